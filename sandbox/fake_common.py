"""What the fake Telegram and the fake MAX servers share: serving on the caller's loop, the
record of calls a test waits on, injected faults, rate windows and long-poll waits.

Both fakes stand for a messenger's Bot API the real client library talks to over HTTP; what
differs (routes, payload shapes, error bodies, limits) stays in ``fake_telegram.py`` and
``fake_max.py``.  Delays are measured on the injected :class:`~config.clock.Clock`, so a
``VirtualClock`` makes them short and a ``ManualClock`` deterministic.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Generic, Protocol, Self, TypeVar

from aiohttp import web

from config.clock import Clock

__all__ = ["MAX_LONG_POLL_REAL_S", "FakeServer", "Fault", "Window", "utf16_len"]

#: Real seconds a long poll waits at most, whatever its ``timeout`` says, so a stopping
#: dispatcher or a finishing test never waits for a poll to run out.
MAX_LONG_POLL_REAL_S = 1.0


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: how both messengers count entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class Window:
    """Sliding-window log of request instants: at most ``capacity`` within ``window`` s."""

    def __init__(self, capacity: int, window: float) -> None:
        self.capacity = capacity
        self.window = window
        self._times: deque[float] = deque()

    def wait(self, now: float) -> float | None:
        """Seconds until one more request fits, or None when it fits now."""
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()
        if len(self._times) < self.capacity:
            return None
        return self._times[len(self._times) - self.capacity] + self.window - now

    def add(self, now: float) -> None:
        self._times.append(now)


@dataclass
class Fault:
    """A fault injected for the next ``remaining`` matching calls."""

    kind: str
    method: str | None  # as the fake keys methods; None = any call except the long poll
    remaining: int
    delay_s: float
    retry_after: int = 5


class RecordedCall(Protocol):
    """What the shared machinery reads of a fake's call record."""

    @property
    def method(self) -> str: ...

    @property
    def status(self) -> int: ...


CallT = TypeVar("CallT", bound=RecordedCall)


class FakeServer(Generic[CallT]):
    """An aiohttp server on the caller's event loop that records every call it answers.

    Subclasses name their service (for messages), the aiohttp route all calls go to, and the
    long-poll method a fault without a method must spare (so a polling client does not
    swallow a fault meant for a send).
    """

    _SERVICE: ClassVar[str]
    _ROUTE: ClassVar[str]
    _POLL_METHOD: ClassVar[str]

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.calls: list[CallT] = []
        #: Awaited after a call is done and recorded, before it is answered: a test can hold
        #: the answer (the message is out, the bot does not know yet) to break something then.
        self.before_reply: Callable[[CallT], Awaitable[None]] | None = None
        self._faults: list[Fault] = []
        self._calls_cond = asyncio.Condition()
        self._updates_event = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (port 0 picks a free one) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", self._ROUTE, self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._stop_event.clear()
        self._base_url = f"http://{host}:{runner.addresses[0][1]}"
        return self._base_url

    async def stop(self) -> None:
        """Release long polls and injected delays, then shut the server down."""
        if self._runner is None:
            return
        self._stop_event.set()
        self._updates_event.set()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://host:port``, what the client library is pointed at."""
        if self._base_url is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._base_url

    # ---- faults ------------------------------------------------------------------------

    def _fault_key(self, method: str) -> str:
        """How faults name a method (Telegram matches names case-insensitively)."""
        return method

    def _add_fault(
        self, kind: str, method: str | None, count: int, delay_s: float, retry_after: int = 5
    ) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        key = self._fault_key(method) if method is not None else None
        self._faults.append(Fault(kind, key, count, delay_s, retry_after))

    def clear_faults(self) -> None:
        """The service is back: drop every injected fault not used up yet."""
        self._faults.clear()

    def _take_fault(self, method: str) -> Fault | None:
        key = self._fault_key(method)
        for fault in self._faults:
            if (fault.method is None and method != self._POLL_METHOD) or fault.method == key:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _sleep_unless_stopped(self, delay_s: float) -> None:
        """Sleep ``delay_s`` seconds of the injected clock, cut short when the fake stops."""
        sleeper = asyncio.ensure_future(self._clock.sleep(delay_s))
        stopper = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()

    async def _long_poll(
        self,
        ready: Callable[[], bool],
        timeout_s: float,
        on_wake: Callable[[], None] | None = None,
    ) -> None:
        """Hold a long poll until ``ready()``, its time is up (real seconds, capped by
        :data:`MAX_LONG_POLL_REAL_S`) or the fake stops; ``on_wake`` runs after every wake-up
        (it may raise to end the poll with an error)."""
        if ready() or timeout_s <= 0 or self._stop_event.is_set():
            return
        self._updates_event.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(timeout_s, MAX_LONG_POLL_REAL_S)):
                while not ready() and not self._stop_event.is_set():
                    await self._updates_event.wait()
                    self._updates_event.clear()
                    if on_wake is not None:
                        on_wake()

    # ---- the record --------------------------------------------------------------------

    async def _record(self, call: CallT) -> None:
        """Keep the call (waiters see it), then let :attr:`before_reply` hold its answer."""
        self.calls.append(call)
        await self._wake_waiters()
        if self.before_reply is not None:
            await self.before_reply(call)

    async def _wake_waiters(self) -> None:
        async with self._calls_cond:
            self._calls_cond.notify_all()

    def http_429_count(self) -> int:
        """How many calls were refused with 429 Too Many Requests."""
        return sum(1 for call in self.calls if call.status == 429)

    async def wait_for(
        self,
        predicate: Callable[[CallT], bool],
        timeout: float = 10.0,
        *,
        start: int = 0,
    ) -> CallT:
        """The first call (from index ``start`` of :attr:`calls`) matching ``predicate``.

        Past calls are checked first; then waits on a condition notified on every call.
        ``timeout`` is in real seconds.  Pass ``start=len(fake.calls)`` before an action to
        wait only for calls the action causes.  Raises ``TimeoutError``.
        """
        index = start
        try:
            async with asyncio.timeout(timeout), self._calls_cond:
                while True:
                    while index < len(self.calls):
                        call = self.calls[index]
                        index += 1
                        if predicate(call):
                            return call
                    await self._calls_cond.wait()
        except TimeoutError:
            recent = ", ".join(f"{c.method}:{c.status}" for c in self.calls[-10:])
            raise TimeoutError(
                f"no matching {self._SERVICE} call within {timeout} s; last calls: [{recent}]"
            ) from None
