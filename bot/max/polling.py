"""Long polling MAX for development (production uses the webhook: ``bot.max.webhook``).

``GET /updates?marker=M`` confirms every update before ``M``; an unconfirmed batch comes
again.  The poller hands every update of a batch to the callback (once each, through
:class:`~bot.max.updates.Once`) and only then passes the batch's marker, so an update whose
handling failed is neither lost nor handled twice: the handler is retried, with a growing
pause, until it succeeds or the poller stops.  A failed poll (MAX down, a 429) pauses 1 s,
doubling to 30 s.  While a webhook is subscribed MAX returns nothing to a poll, so the start
warns about it.  Pauses use the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from maxapi import Bot
from maxapi.enums.update import UpdateType

from bot.core.inbound import InboundEvent
from bot.max.updates import UPDATE_TYPES, EventHandler, Once, translate
from config.clock import Clock

__all__ = ["MaxPoller"]

log = logging.getLogger(__name__)


class MaxPoller:
    """Polls ``GET /updates`` and feeds the neutral events to ``on_event``."""

    def __init__(
        self,
        bot: Bot,
        on_event: EventHandler | Once,
        clock: Clock,
        *,
        timeout_s: int = 30,
        limit: int = 100,
        update_types: Sequence[str] = UPDATE_TYPES,
        marker: int | None = None,
        max_pause_s: float = 30.0,
        on_state: Callable[[str, str], None] | None = None,
        on_marker: Callable[[int], None] | None = None,
    ) -> None:
        """``on_state(state, error)``: told ``up`` after a poll MAX answered and ``down``
        (with the error's type) after one that failed (the app's health); ``on_marker``:
        told each new marker once its batch is handled (the app stores it, so a restart
        polls from there and gets again a batch the stopped process never confirmed)."""
        self.bot = bot
        self.once = on_event if isinstance(on_event, Once) else Once(on_event)
        self.clock = clock
        self.timeout_s = timeout_s
        self.limit = limit
        self.update_types = [UpdateType(t) for t in update_types]
        self.marker = marker  # where the next poll starts; everything before it is handled
        self.max_pause_s = max_pause_s
        self.on_state = on_state
        self.on_marker = on_marker
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """End :meth:`run` after the batch in hand (a poll in flight is abandoned)."""
        self._stop.set()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
            stopper = asyncio.ensure_future(self._stop.wait())
            try:
                await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                stopper.cancel()

    async def _fetch(self) -> dict[str, Any]:
        answer: dict[str, Any] = await self.bot.get_updates(
            limit=self.limit, timeout=self.timeout_s, marker=self.marker, types=self.update_types
        )
        return answer

    async def _hand_over(self, event: InboundEvent) -> bool:
        """Hand ``event`` over until it is handled; False when stopped first."""
        pause = 1.0
        while True:
            try:
                await self.once(event)
                return True
            except Exception:
                log.exception(
                    "max poll: update %s not handled; again in %.0f s", event.event_id, pause
                )
            if self._stop.is_set():
                return False
            await self._pause(pause)
            if self._stop.is_set():
                return False
            pause = min(pause * 2, self.max_pause_s)

    async def poll_once(self) -> int:
        """One poll: hand its updates over, then move the marker; the number of updates.
        Raises maxapi's errors for the poll itself."""
        return await self._handle(await self._fetch())

    async def _handle(self, answer: dict[str, Any]) -> int:
        updates = answer.get("updates") or []
        for update in updates:
            event = translate(update) if isinstance(update, dict) else None
            if event is not None and not await self._hand_over(event):
                return 0  # stopped: the marker stays, the batch comes again next time
        marker = answer.get("marker")
        if isinstance(marker, int) and marker != self.marker:
            self.marker = marker
            if self.on_marker is not None:
                self.on_marker(marker)
        return len(updates)

    async def run(self) -> None:
        """Poll until :meth:`stop`; a batch being handled is finished first."""
        try:
            if (await self.bot.get_subscriptions()).subscriptions:
                log.warning("max poll: a webhook is subscribed; MAX sends it the updates")
        except Exception as exc:
            log.warning("max poll: subscriptions unknown (%s)", type(exc).__name__)
        pause = 1.0
        while not self._stop.is_set():
            fetch = asyncio.ensure_future(self._fetch())
            stopper = asyncio.ensure_future(self._stop.wait())
            try:
                await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
            if not fetch.done():
                fetch.cancel()  # stopping: the poll in flight is abandoned, nothing handled
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch
                return
            try:
                answer = fetch.result()
            except Exception as exc:
                log.warning("max poll failed (%s); again in %.0f s", type(exc).__name__, pause)
                if self.on_state is not None:
                    self.on_state("down", type(exc).__name__)
                await self._pause(pause)
                pause = min(pause * 2, self.max_pause_s)
                continue
            pause = 1.0
            if self.on_state is not None:
                self.on_state("up", "")
            await self._handle(answer)
