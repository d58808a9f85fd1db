"""One injectable clock for the whole application.

Everything that needs "now" or has to wait asks a :class:`Clock`.  Production uses
:class:`SystemClock`; the sandbox runs a :class:`VirtualClock` that starts at the scenario's
start instant and runs ``speed`` times faster than real time; unit tests use a
:class:`ManualClock` that only moves when told to.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the application needs to know about time."""

    @property
    def speed(self) -> float:
        """How many virtual seconds pass per real second (1 for the system clock)."""
        ...

    def now(self) -> datetime:
        """Current instant, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale in this clock's time (for intervals and rate limits)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """Real time."""

    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class VirtualClock:
    """Time that starts at ``start`` and runs ``speed`` times faster than real time.

    Virtual time is a linear function of real monotonic time while running, so rate limits in
    virtual seconds can be enforced by real-time waits divided by ``speed``.  The sandbox may
    :meth:`pause` it while the application starts, so start-up costs no virtual hours.
    """

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a timezone-aware start instant")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start.astimezone(UTC)
        self._speed = float(speed)
        self._accrued = 0.0
        self._real0: float | None = time.monotonic()

    @classmethod
    def anchored(cls, start: datetime, speed: float, epoch_wall: float) -> VirtualClock:
        """A running clock showing ``start + (time.time() - epoch_wall) * speed``.

        Separate processes built with the same three numbers agree on virtual time (the
        multi-process tests and benchmarks: fakes in one process, the app in others)."""
        clock = cls(start, speed)
        clock._accrued = (time.time() - epoch_wall) * clock._speed
        clock._real0 = time.monotonic()
        return clock

    @property
    def speed(self) -> float:
        return self._speed

    def monotonic(self) -> float:
        if self._real0 is None:
            return self._accrued
        return self._accrued + (time.monotonic() - self._real0) * self._speed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    def pause(self) -> None:
        if self._real0 is not None:
            self._accrued = self.monotonic()
            self._real0 = None

    def resume(self) -> None:
        if self._real0 is None:
            self._real0 = time.monotonic()

    def step(self, seconds: float) -> None:
        """Move a paused clock forward by ``seconds`` (the sandbox lets paced requests through
        while it holds time); a running clock is left alone."""
        if self._real0 is None:
            self._accrued += max(0.0, seconds)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)

    def real_seconds_until(self, instant: datetime) -> float:
        """Real seconds left until the virtual ``instant`` (negative when past)."""
        return (instant - self.now()).total_seconds() / self._speed


class ManualClock:
    """A clock that moves only when :meth:`advance` is called; ``sleep`` advances it."""

    speed = 1.0

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start instant")
        self._now = start.astimezone(UTC)
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)
