"""One pacer per messenger for every message the bot puts in front of a person.

Handlers' replies and the outbox sender share a chat, so they must share its limits too:
otherwise an alert followed by a command reply one tenth of a second later earns a 429.
Each messenger's adapter routes its client's sends and edits through its channel's pacer
(Telegram: an aiogram request middleware, ``bot/telegram/pacing.py``), and the outbox sender
asks the pacer of a row's channel which chats are ready instead of waiting on them.  The
limits come from ``bot/core/capabilities.py``; nothing here knows a client library.

Intervals are measured from the moment a request *completed*: the server saw it no later than
that, so the next request, started ``interval`` after, reaches it at least ``interval`` later
whatever the network did to the first one.

A messenger's overall limit is per bot, not per process: with several sender processes on one
PostgreSQL (issue 7) each keeps ``global_rate / n`` (:meth:`ChannelPacer.set_share`, called
by the outbox sender with the number of live senders), so together they stay under it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from bot.core.capabilities import Capabilities, capabilities
from bot.core.types import Channel
from config.clock import Clock

T = TypeVar("T")


class Pacer(Protocol):
    """What the outbox sender asks of a channel's pacer (a :class:`ChannelPacer` also holds
    a chat at the sender's per-minute cap and is seeded when chats change hands)."""

    def set_share(self, senders: int) -> None:
        """``senders`` processes send for this bot: keep a share of the overall rate."""
        ...

    def ready_in(self, chat_id: int, /) -> float:
        """Seconds until one more message to ``chat_id`` fits (0: now)."""
        ...


class SpacedLimiter:
    """At most ``rate`` starts per second of the app clock, evenly spaced (so every sliding
    second stays within it, unlike a bucket that allows bursts); the rate may change."""

    def __init__(self, clock: Clock, rate: float) -> None:
        self._clock = clock
        self.interval = 1.0 / rate
        self._next = clock.monotonic()
        self._lock = asyncio.Lock()

    def set_rate(self, rate: float) -> None:
        """Takes effect from the next start: a wait already booked is kept."""
        self.interval = 1.0 / rate

    async def acquire(self) -> None:
        async with self._lock:
            now = self._clock.monotonic()
            if (wait := self._next - now) > 0:
                await self._clock.sleep(wait)
            self._next = max(now, self._next) + self.interval


class ChannelPacer:
    """Per chat: one message per ``per_chat_interval_s``; per group (a negative chat id, on
    a messenger that limits groups): ``group_per_min`` a minute; overall: ``global_rate`` a
    second.  Also counts each chat's last minute, so the sender can hold a chat at
    ``chat_per_min`` and coalesce instead of flooding it.  The defaults are Telegram's."""

    def __init__(
        self,
        clock: Clock,
        *,
        per_chat_interval_s: float = 1.05,
        group_per_min: int | None = 19,
        global_rate: float = 28.0,
        channel: Channel = Channel.TELEGRAM,
    ) -> None:
        self.channel = channel
        self.clock = clock
        self.per_chat_interval_s = per_chat_interval_s
        self.group_per_min = group_per_min
        self.global_rate = global_rate
        self.senders = 1
        self._global = SpacedLimiter(clock, global_rate)
        self._ready: dict[int, float] = {}
        self._minute: dict[int, deque[float]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def set_share(self, senders: int) -> None:
        """``senders`` processes send for this bot: keep ``global_rate / senders``."""
        self.senders = max(1, senders)
        self._global.set_rate(self.global_rate / self.senders)

    def _recent(self, chat_id: int, now: float) -> deque[float]:
        log = self._minute.setdefault(chat_id, deque())
        while log and log[0] <= now - 60.0:
            log.popleft()
        return log

    def sent_last_minute(self, chat_id: int) -> int:
        return len(self._recent(chat_id, self.clock.monotonic()))

    def ready_in(self, chat_id: int, per_min: int | None = None) -> float:
        """Seconds until one more message to ``chat_id`` fits (0 when it fits now).

        ``per_min`` adds a cap on the chat's last minute (groups always have one)."""
        now = self.clock.monotonic()
        wait = self._ready.get(chat_id, float("-inf")) - now
        cap = self.group_per_min if chat_id < 0 else None  # None: no group limit
        if per_min is not None:
            cap = per_min if cap is None else min(cap, per_min)
        if cap is not None:
            log = self._recent(chat_id, now)
            if len(log) >= cap:
                wait = max(wait, log[len(log) - cap] + 60.0 - now)
        return max(wait, 0.0)

    def seed(self, chat_id: int, ages_s: list[float]) -> None:
        """Messages another sender sent to ``chat_id`` so many seconds ago: a chat handed
        over between processes keeps its pace (issue 7)."""
        now = self.clock.monotonic()
        times = sorted(now - age for age in ages_s if age < 60.0)
        if not times:
            return
        self._ready[chat_id] = max(
            self._ready.get(chat_id, float("-inf")), times[-1] + self.per_chat_interval_s
        )
        log = self._recent(chat_id, now)
        merged = sorted([*log, *times])
        log.clear()
        log.extend(merged)

    def penalize(self, chat_id: int, seconds: float) -> None:
        """The server said 429: nothing more to this chat for ``seconds``."""
        self._ready[chat_id] = max(
            self._ready.get(chat_id, float("-inf")), self.clock.monotonic() + seconds
        )

    async def paced(self, chat_id: int, send: Callable[[], Awaitable[T]]) -> T:
        """Run ``send()`` when the chat and the bot-wide budget allow, then book it.  A 429
        inside ``send`` is the adapter's to turn into :meth:`penalize` (only it knows how
        its client reports one)."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            while (wait := self.ready_in(chat_id)) > 0:
                await self.clock.sleep(wait)
            await self._global.acquire()
            try:
                return await send()
            finally:
                done = self.clock.monotonic()
                self._ready[chat_id] = max(
                    self._ready.get(chat_id, float("-inf")), done + self.per_chat_interval_s
                )
                self._recent(chat_id, done).append(done)

    @classmethod
    def for_channel(cls, channel: Channel | str, clock: Clock) -> ChannelPacer:
        """The pacer a messenger's limits call for (``bot/core/capabilities.py``)."""
        caps: Capabilities = capabilities(channel)
        return cls(
            clock,
            per_chat_interval_s=caps.per_chat_interval_s,
            group_per_min=caps.group_per_min,
            global_rate=caps.global_rate,
            channel=caps.channel,
        )


#: The name it had before issue 13: Telegram's pacer is a channel pacer with its limits.
TelegramPacer = ChannelPacer
