"""MAX's limits kept on every request the bot makes, as an aiohttp client middleware.

MAX allows 2 messages a second in one chat (sends, edits, deletes and callback answers all
count) and 30 requests a second per bot, every request counted (``docs/max-design.md`` §2).
maxapi has no request middleware, but all its requests go through one aiohttp
``ClientSession`` built from ``DefaultConnectionProperties(**kwargs)``, so the pacer sits
there (:func:`bot.max.client.open_client` ``middlewares=``): handlers' replies and the
outbox's sends share one budget, as on Telegram.

Per chat: one message every 0.55 s; overall: 28 starts a second, evenly spaced
(:class:`bot.pacing.SpacedLimiter`).  Intervals run from a request's *completion* (see
``bot/pacing.py``).  A MAX 429 carries no ``retry_after``: the chat (or, for a request about
no chat, the whole bot) is held 1 s, doubling on each further 429 up to 30 s, and a success
resets it.  The upload host is another server with limits of its own: not counted.

An edit or a callback answer names no chat in its query (``message_id``, ``callback_id``);
the port says which person it is about with :func:`about`.  A send names ``user_id`` (or a
dialog ``chat_id``, mapped to its user once :meth:`MaxPacer.alias` learned it).
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from aiohttp import ClientRequest, ClientResponse
from aiohttp.client_middlewares import ClientHandlerType
from yarl import URL

from bot.core.capabilities import MAX
from bot.pacing import Pacer, SpacedLimiter
from config.clock import Clock

__all__ = ["PER_CHAT", "MaxPacer", "about"]

T = TypeVar("T")

#: Requests MAX counts toward a chat's 2 messages a second: (verb, first path segment).
PER_CHAT = frozenset(
    {("POST", "messages"), ("PUT", "messages"), ("DELETE", "messages"), ("POST", "answers")}
)

_about: ContextVar[int | None] = ContextVar("otklik_max_about", default=None)


@contextmanager
def about(user_id: int | None) -> Iterator[None]:
    """Requests made inside are about ``user_id``'s dialog (for those that do not say)."""
    token = _about.set(user_id)
    try:
        yield
    finally:
        _about.reset(token)


class MaxPacer:
    """Per chat: one message per ``per_chat_interval_s``; overall: ``global_rate`` requests
    a second; after a 429 a back-off of ``first_backoff_s`` doubling to ``max_backoff_s``."""

    def __init__(
        self,
        clock: Clock,
        *,
        api_base: str,
        per_chat_interval_s: float = MAX.per_chat_interval_s,
        global_rate: float = MAX.global_rate,
        first_backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.clock = clock
        self.api_base = URL(api_base.rstrip("/"))
        self.per_chat_interval_s = per_chat_interval_s
        self.global_rate = global_rate
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s
        self.senders = 1
        self.http_429 = 0  # 429 answers seen (a metric; zero when the pacing is right)
        self._global = SpacedLimiter(clock, global_rate)
        # Requests in flight and completions of the last second: MAX counts a request when
        # it arrives, which may be any time between its start and its completion.
        self._in_flight = 0
        self._completions: deque[float] = deque()
        self._completed = asyncio.Event()
        self._admit_lock = asyncio.Lock()
        self._ready: dict[int, float] = {}
        self._minute: dict[int, deque[float]] = {}
        self._strikes: dict[int, int] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._dialogs: dict[int, int] = {}  # dialog chat id -> user id
        self._hold_until = float("-inf")  # the whole bot, after a 429 about no chat
        self._hold_strikes = 0

    # ---- what the outbox asks -----------------------------------------------------------

    def set_share(self, senders: int) -> None:
        """``senders`` processes send for this bot: keep ``global_rate / senders``."""
        self.senders = max(1, senders)
        self._global.set_rate(self.global_rate / self.senders)

    @property
    def window_cap(self) -> int:
        """Requests that may be in flight or completed within one second."""
        return max(1, math.floor(self.global_rate / self.senders))

    def _recent(self, user_id: int, now: float) -> deque[float]:
        log = self._minute.setdefault(user_id, deque())
        while log and log[0] <= now - 60.0:
            log.popleft()
        return log

    def sent_last_minute(self, user_id: int) -> int:
        return len(self._recent(user_id, self.clock.monotonic()))

    def ready_in(self, user_id: int, per_min: int | None = None) -> float:
        """Seconds until one more message to ``user_id`` fits (0 when it fits now);
        ``per_min`` caps the chat's last minute too (the sender coalesces beyond it)."""
        now = self.clock.monotonic()
        wait: float = max(self._ready.get(user_id, float("-inf")), self._hold_until) - now
        if per_min is not None:
            log = self._recent(user_id, now)
            if len(log) >= per_min:
                wait = max(wait, log[len(log) - per_min] + 60.0 - now)
        return max(wait, 0.0)

    def seed(self, user_id: int, ages_s: list[float]) -> None:
        """Messages another sender sent to ``user_id`` so many seconds ago: a chat handed
        over between processes keeps its pace (issue 7)."""
        now = self.clock.monotonic()
        times = sorted(now - age for age in ages_s if age < 60.0)
        if not times:
            return
        self._ready[user_id] = max(
            self._ready.get(user_id, float("-inf")), times[-1] + self.per_chat_interval_s
        )
        log = self._recent(user_id, now)
        merged = sorted([*log, *times])
        log.clear()
        log.extend(merged)

    def penalize(self, user_id: int, seconds: float) -> None:
        """Nothing more to this chat for ``seconds``."""
        until = self.clock.monotonic() + seconds
        self._ready[user_id] = max(self._ready.get(user_id, float("-inf")), until)

    def alias(self, chat_id: int, user_id: int) -> None:
        """``chat_id`` is the dialog with ``user_id`` (learned from a send or an update)."""
        self._dialogs[chat_id] = user_id

    # ---- pacing ---------------------------------------------------------------------------

    def _backoff(self, user_id: int | None) -> float:
        """A 429: hold the chat (or the bot) for the next back-off step; return it."""
        self.http_429 += 1
        if user_id is None:
            step = self.first_backoff_s * 2.0**self._hold_strikes
            self._hold_strikes += 1
            seconds = min(step, self.max_backoff_s)
            self._hold_until = max(self._hold_until, self.clock.monotonic() + seconds)
            return seconds
        strikes = self._strikes.get(user_id, 0)
        seconds = min(self.first_backoff_s * 2.0**strikes, self.max_backoff_s)
        self._strikes[user_id] = strikes + 1
        self.penalize(user_id, seconds)
        return seconds

    async def _wait_hold(self) -> None:
        while (wait := self._hold_until - self.clock.monotonic()) > 0:
            await self.clock.sleep(wait)

    async def _admit(self) -> None:
        """Start a request: evenly spaced, and only while fewer than :attr:`window_cap` are
        in flight or completed within the last second.  Then, whatever the network delays,
        every request MAX receives in any one second was admitted while the others it
        received then were counted, so it never sees more than ``window_cap + 1``."""
        await self._wait_hold()
        await self._global.acquire()
        async with self._admit_lock:
            while True:
                now = self.clock.monotonic()
                while self._completions and self._completions[0] <= now - 1.0:
                    self._completions.popleft()
                if self._in_flight + len(self._completions) < self.window_cap:
                    self._in_flight += 1
                    return
                if self._completions:
                    await self.clock.sleep(self._completions[0] + 1.0 - now)
                else:
                    self._completed.clear()
                    await self._completed.wait()

    def _release(self) -> None:
        self._in_flight -= 1
        self._completions.append(self.clock.monotonic())
        self._completed.set()

    async def _send(self, send: Callable[[], Awaitable[T]]) -> T:
        await self._admit()
        try:
            return await send()
        finally:
            self._release()

    async def paced(
        self, user_id: int | None, send: Callable[[], Awaitable[T]], status: Callable[[T], int]
    ) -> T:
        """Run ``send()`` when the chat and the bot-wide budget allow, then book it;
        ``status`` reads the HTTP status of its result (429 starts the back-off)."""
        if user_id is None:
            result = await self._send(send)
            if status(result) == 429:
                self._backoff(None)
            elif status(result) < 400:
                self._hold_strikes = 0
            return result
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            while (wait := self.ready_in(user_id)) > 0:
                await self.clock.sleep(wait)
            code = 0
            try:
                result = await self._send(send)
                code = status(result)
                return result
            finally:
                done = self.clock.monotonic()
                self._ready[user_id] = max(
                    self._ready.get(user_id, float("-inf")), done + self.per_chat_interval_s
                )
                if 0 < code < 400:
                    self._recent(user_id, done).append(done)
                if code == 429:
                    self._backoff(user_id)
                elif 0 < code < 400:
                    self._strikes.pop(user_id, None)

    def _route(self, request: ClientRequest) -> tuple[bool, int | None]:
        """Whether ``request`` is a Bot API call, and the person it is about (per chat)."""
        url = request.url
        base_path = self.api_base.path.rstrip("/")
        if url.origin() != self.api_base.origin() or not url.path.startswith(base_path):
            return False, None  # the upload host
        segment = url.path[len(base_path) :].strip("/").split("/", 1)[0]
        if segment == "upload":  # an upload slot served by the API host (the fake's)
            return False, None
        if (request.method, segment) not in PER_CHAT:
            return True, None
        user_id = _about.get()
        query = url.query
        if user_id is None and query.get("user_id", "").isdigit():
            user_id = int(query["user_id"])
        if user_id is None and query.get("chat_id", "").lstrip("-").isdigit():
            chat_id = int(query["chat_id"])
            user_id = self._dialogs.get(chat_id, chat_id)
        return True, user_id

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        """The aiohttp client middleware."""
        metered, user_id = self._route(request)
        if not metered:
            return await handler(request)

        async def send() -> ClientResponse:
            return await handler(request)

        return await self.paced(user_id, send, lambda response: response.status)


def _is_a_pacer(pacer: MaxPacer) -> Pacer:
    return pacer  # mypy: the outbox sender can ask a MaxPacer what it asks any channel's
