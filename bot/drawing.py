"""Drawing reports (matplotlib charts, openpyxl workbooks) apart from the long-running app.

Importing matplotlib and openpyxl keeps about 35 MB resident in a process for good, for a few
seconds of work a day: the 09:00 digests, Monday's rankings, a lead's /digest or /report.  In
``otklik run`` that was an eighth of the memory floor (issue 12: 300 MB with the matcher loaded).
``Drawing(apart=True)`` does that work in one child process, started when first needed and ended
after ``idle_s`` seconds without work, so the app itself never imports them.  Without ``apart``
(tests, one-off commands) it draws in a thread of this process; the result is the same bytes.

A child that dies (killed, out of memory) is replaced once; if drawing apart fails again the
work is done in a thread here, so a digest is late by a second rather than lost.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a drawing process waits for more work before it ends: the digests of one zone come
#: together at 09:00, and a process start costs about a second of CPU (imports).
IDLE_S = 60.0


class Drawing:
    """Runs a drawing function (module-level, picklable arguments) and returns its result."""

    def __init__(self, *, apart: bool = False, idle_s: float = IDLE_S) -> None:
        self.apart = apart
        self.idle_s = idle_s
        self._pool: ProcessPoolExecutor | None = None
        self._busy = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self.started = 0  # child processes started so far (for tests and logs)

    async def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        if not self.apart:
            return await asyncio.to_thread(fn, *args)
        self._busy += 1
        self._cancel_idle_timer()
        try:
            for attempt in (1, 2):
                pool = self._ensure_pool()
                try:
                    return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
                except BrokenProcessPool:
                    log.warning("drawing process died (attempt %d); starting another", attempt)
                    self._drop_pool()
            log.error("drawing apart failed twice; drawing in this process")
            return await asyncio.to_thread(fn, *args)
        finally:
            self._busy -= 1
            if self._busy == 0 and self._pool is not None:
                loop = asyncio.get_running_loop()
                self._idle_timer = loop.call_later(self.idle_s, self._stop_if_idle)

    @property
    def running(self) -> bool:
        """Whether a drawing process is up."""
        return self._pool is not None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fresh interpreter, not a fork of an app with threads and open sockets
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            self.started += 1
            log.info("drawing process started (%d so far)", self.started)
        return self._pool

    def _drop_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _stop_if_idle(self) -> None:
        self._idle_timer = None
        if self._busy == 0 and self._pool is not None:
            log.info("drawing process idle for %.0f s: stopping it", self.idle_s)
            self._drop_pool()

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    async def close(self) -> None:
        """End the drawing process (waits for it to exit, off the event loop)."""
        self._cancel_idle_timer()
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
