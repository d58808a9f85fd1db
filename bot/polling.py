"""Telegram long polling that outlives Telegram outages, keeps each chat in order, and drains.

Why not ``Dispatcher.start_polling`` (issue 11): it gives up for good when ``getMe`` fails at
start (a network late after boot, a proxy down), so the bot went deaf while alerts still went
out; it keeps nothing a health check can read while ``getUpdates`` fails; it handles every
update as a free-running task, so two commands or two presses from one chat raced each other;
and when it stops it closes the bot session, which the outbox sender shares, under the
replies still being sent.  This loop keeps the dispatcher for everything else
(:meth:`~aiogram.Dispatcher.feed_update`: middlewares, filters, routers).

* Every failure (network, HTML from a proxy, 5xx, 401, 409) is retried after a capped
  exponential backoff for as long as the process lives; the state goes to the metrics
  (``/healthz`` says polling is down) and to the log (attempt and wait).
* Updates of one chat are handled one after another, in the order Telegram numbered them;
  different chats run side by side.
* :meth:`TelegramPoller.drain` waits (bounded) for the updates being handled, and
  :meth:`TelegramPoller.confirm` tells Telegram which ones are done, so a restart does not
  hand them out again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update, User

from bot.faults import Backoff
from bot.metrics import Metrics

log = logging.getLogger(__name__)

#: Real seconds before the first retry of a failed ``getMe``/``getUpdates``; doubled (with
#: jitter) on each further failure up to :data:`POLL_BACKOFF_MAX_S`.
POLL_BACKOFF_INITIAL_S = 1.0
POLL_BACKOFF_MAX_S = 60.0


def chat_key(update: Update) -> int | None:
    """The chat whose order an update belongs to (None: no order to keep).

    A button press belongs to the chat of the message it sits on, so a press and a command
    in one chat are ordered too; a private chat's id is its person's id."""
    for event in (update.message, update.edited_message, update.my_chat_member):
        if event is not None:
            return event.chat.id
    query = update.callback_query
    if query is not None:
        if query.message is not None:
            return query.message.chat.id
        return query.from_user.id
    return None


def describe(exc: BaseException) -> str:
    """A short, personal-data-free name of a polling failure for logs and ``/healthz``."""
    if isinstance(exc, TelegramAPIError):
        return f"{type(exc).__name__}: {exc.message}"[:200]
    return type(exc).__name__


class TelegramPoller:
    """``getMe`` then ``getUpdates`` for ever; stop it by cancelling :meth:`run`."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        *,
        polling_timeout_s: int,
        metrics: Metrics | None = None,
        on_connected: Callable[[], Awaitable[None]] | None = None,
        on_handled: Callable[[int], None] | None = None,
    ) -> None:
        """``on_connected`` runs once, the first time Telegram answers (the command menus:
        set when they can be, not at start-up while Telegram may be away).  ``on_handled``
        gets each update's id once its handler is done, whatever the outcome (the sandbox
        feeds a scenario's next event only then)."""
        self.dp = dp
        self.bot = bot
        self.polling_timeout_s = polling_timeout_s
        self.metrics = metrics
        self.on_connected = on_connected
        self.on_handled = on_handled
        self.offset: int | None = None  # the next update id to ask for
        self.handled = 0
        self._connected = False
        self._tails: dict[int, asyncio.Task[None]] = {}
        self._in_flight: dict[asyncio.Task[None], int] = {}

    @property
    def in_flight(self) -> int:
        """Updates received and not yet handled (including those queued behind their chat)."""
        return len(self._in_flight)

    def _state(self, state: str, error: str = "") -> None:
        if self.metrics is not None:
            self.metrics.telegram_polling(state, error)

    async def run(self) -> None:
        """Poll until cancelled.  Never returns on a failure: it waits and tries again."""
        backoff = Backoff(POLL_BACKOFF_INITIAL_S, POLL_BACKOFF_MAX_S)
        allowed = self.dp.resolve_used_update_types()
        # Longer than the long poll itself, or every quiet poll would end in a timeout.
        request_timeout = int(self.bot.session.timeout + self.polling_timeout_s)
        failures = 0
        me: User | None = None
        started = False
        try:
            while True:
                try:
                    if me is None:
                        me = await self.bot.get_me()
                        if not self._connected:
                            self._connected = True
                            if self.on_connected is not None:
                                await self.on_connected()
                    updates = await self.bot(
                        GetUpdates(
                            offset=self.offset,
                            timeout=self.polling_timeout_s,
                            allowed_updates=allowed,
                        ),
                        request_timeout=request_timeout,
                    )
                except Exception as exc:
                    failures += 1
                    wait = min(backoff.next(), POLL_BACKOFF_MAX_S)
                    if isinstance(exc, TelegramRetryAfter):  # Telegram named the wait
                        wait = max(wait, float(exc.retry_after))
                    error = describe(exc)
                    log.warning(
                        "Telegram polling failed (%s); attempt %d, retrying in %.1f s",
                        error,
                        failures,
                        wait,
                    )
                    self._state("down", error)
                    await asyncio.sleep(wait)
                    continue
                if not started:
                    started = True
                    log.info("Telegram polling started for bot id %d", self.bot.id)
                if failures:
                    log.info("Telegram polling is back after %d failed attempt(s)", failures)
                    failures = 0
                    backoff.reset()
                self._state("up")
                for update in updates:
                    self.offset = update.update_id + 1
                    self._dispatch(update)
        finally:
            if started:
                log.info("Telegram polling stopped (next update id %s)", self.offset)

    def _dispatch(self, update: Update) -> None:
        """Handle ``update`` in its own task, after the ones its chat received before it."""
        key = chat_key(update)
        before = self._tails.get(key) if key is not None else None
        task = asyncio.create_task(self._handle(update, before), name=f"update-{update.update_id}")
        self._in_flight[task] = update.update_id
        task.add_done_callback(self._forget)
        if key is not None:
            self._tails[key] = task

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        for key, tail in list(self._tails.items()):
            if tail is task:
                del self._tails[key]

    async def _handle(self, update: Update, before: asyncio.Task[None] | None) -> None:
        try:
            if before is not None:
                await asyncio.wait({before})  # its outcome is its own; only the order matters
            response = await self.dp.feed_update(self.bot, update)
            if isinstance(response, TelegramMethod):
                await self.bot(response)
        except Exception:
            log.exception("update %d failed", update.update_id)
        finally:
            self.handled += 1
            if self.on_handled is not None:
                self.on_handled(update.update_id)

    async def drain(self, timeout_s: float) -> tuple[int, list[int]]:
        """Wait up to ``timeout_s`` for the updates being handled; cancel what is left.

        Returns how many finished meanwhile and the ids of those abandoned."""
        pending = dict(self._in_flight)
        if not pending:
            return 0, []
        done, left = await asyncio.wait(pending, timeout=max(timeout_s, 0.0))
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=1.0)
        return len(done), sorted(pending[t] for t in left)

    async def confirm(self, abandoned: list[int]) -> None:
        """Tell Telegram the handled updates are done (``getUpdates`` with the next offset,
        answering at once), so the next start does not get them again.  An update abandoned
        by :meth:`drain` is not confirmed: it comes again after a restart."""
        offset = min(abandoned) if abandoned else self.offset
        if offset is None:
            return
        with contextlib.suppress(Exception):
            await self.bot(GetUpdates(offset=offset, limit=1, timeout=0), request_timeout=1)
