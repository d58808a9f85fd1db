"""Periodic jobs (SLA watch, digests, weekly rankings, spikes) on the application's clock.

Why not APScheduler's ``AsyncIOScheduler``: it waits on the event loop's real-time clock and
reads ``datetime.now()`` itself, while the sandbox runs the whole app on a
:class:`~config.clock.VirtualClock` hundreds of times faster than real time.  A digest due at
09:00 virtual time would fire hours of real time late.  So we keep APScheduler for what it is
good at — calendar math: ``CronTrigger(hour=9, timezone=tz).get_next_fire_time(prev, now)``
knows time zones, weekdays and month ends — and run the triggers with this small loop, which
asks the injected clock for "now" and sleeps on it.  Tests call :meth:`ClockScheduler.run_due`
with a fixed instant, or call the job functions directly.

Jobs are plain ``async def job(deps, *, now)`` coroutines; the scheduler holds no state that
matters across restarts.  What must survive a restart ("the 23 November digest went out")
lives in the database, and each job checks it, so a restart neither skips nor resends.
A job may declare a ``misfire_grace_s``: on start the scheduler looks that far back, so an
app restarted at 09:20 still sends the 09:00 digest (and the job's own record prevents a
second one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.drawing import Drawing
from config.clock import Clock
from config.registry import Registry

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

#: The loop never sleeps longer than this many clock seconds, so a paused or resumed virtual
#: clock, or a job added later, is noticed quickly.
MAX_SLEEP_S = 60.0
#: Real seconds between leadership checks of a stand-by scheduler (issue 7).
LEADER_RETRY_S = 5.0
#: Real seconds before a failed job is retried, doubling up to ``RETRY_MAX_S``.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0


class Leader(Protocol):
    """What the loop needs of :class:`storage.leases.Leadership`."""

    async def ensure(self) -> bool: ...

    async def release(self) -> None: ...


class Trigger(Protocol):
    """The part of APScheduler 3's ``BaseTrigger`` we use."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...


@dataclass
class JobDeps:
    """What every job needs; built once by the app and passed to each run."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    registry: Registry
    wake_sender: Callable[[], None] = lambda: None
    metrics: Metrics | None = None
    draw: Drawing = field(default_factory=Drawing)  # charts and workbooks (bot.drawing)


JobFunc = Callable[..., Awaitable[Any]]


@dataclass
class ScheduledJob:
    id: str
    trigger: Trigger
    func: JobFunc
    kwargs: dict[str, Any] = field(default_factory=dict)
    misfire_grace_s: float = 0.0
    next_run: datetime | None = None
    last_run: datetime | None = None
    runs: int = 0
    failures: int = 0  # consecutive failed runs (retried soon, see ``run_due``)


class ClockScheduler:
    """Fires APScheduler triggers on an injected :class:`Clock`."""

    def __init__(self, deps: JobDeps) -> None:
        self.deps = deps
        self.jobs: dict[str, ScheduledJob] = {}

    def add_job(
        self,
        job_id: str,
        trigger: Trigger,
        func: JobFunc,
        *,
        misfire_grace_s: float = 0.0,
        **kwargs: Any,
    ) -> ScheduledJob:
        """Register (or replace) a job; its first run is computed when the loop first looks."""
        job = ScheduledJob(job_id, trigger, func, kwargs, misfire_grace_s)
        self.jobs[job_id] = job
        return job

    def get_job(self, job_id: str) -> ScheduledJob | None:
        return self.jobs.get(job_id)

    def _plan(self, job: ScheduledJob, now: datetime) -> None:
        if job.next_run is None and job.last_run is None:
            since = now - timedelta(seconds=job.misfire_grace_s)
            job.next_run = job.trigger.get_next_fire_time(None, since)

    async def run_due(self, now: datetime) -> list[str]:
        """Run every job whose fire time is at or before ``now`` (once, even if several fire
        times were missed); return their ids in run order.  A failing job is logged and
        rescheduled, never allowed to stop the others."""
        ran: list[str] = []
        for job in sorted(self.jobs.values(), key=lambda j: j.id):
            self._plan(job, now)
            if job.next_run is None or job.next_run > now:
                continue
            fire_time = job.next_run
            try:
                await job.func(self.deps, now=now, **job.kwargs)
            except Exception as exc:
                log.exception("scheduled job %s failed", job.id)
                if self.deps.metrics is not None:
                    self.deps.metrics.part_failed("scheduler", exc)
                job.failures += 1
            else:
                job.failures = 0
                if self.deps.metrics is not None:
                    self.deps.metrics.part_ok("scheduler")
            job.last_run, job.runs = fire_time, job.runs + 1
            # Skip fire times missed meanwhile: jobs look at the state, not at the tick count.
            job.next_run = job.trigger.get_next_fire_time(fire_time, now + timedelta(seconds=1))
            if job.failures:
                # Issue 7: a database away at 09:00 must not cost the day's digest.  Retry
                # after a real-time backoff (the outage is real), unless the next regular
                # run comes sooner; each job keeps what it did, so a retry repeats nothing.
                real_s = min(RETRY_FIRST_S * 2 ** (job.failures - 1), RETRY_MAX_S)
                retry = now + timedelta(seconds=real_s * self.deps.clock.speed)
                job.next_run = retry if job.next_run is None else min(job.next_run, retry)
            ran.append(job.id)
        if ran:
            self.deps.wake_sender()
        return ran

    def next_wakeup(self, now: datetime) -> datetime | None:
        for job in self.jobs.values():
            self._plan(job, now)
        times = [j.next_run for j in self.jobs.values() if j.next_run is not None]
        return min(times) if times else None

    async def run(self, stop: asyncio.Event, *, leader: Leader | None = None) -> None:
        """Run jobs at their fire times until ``stop`` is set.

        With ``leader`` (issue 7) jobs run only while this process holds the scheduler's
        leadership; a stand-by checks every few real seconds and takes over when the leader's
        connection is gone.  Jobs keep what they did in the database, so the new leader
        neither repeats nor skips a digest."""
        clock = self.deps.clock
        try:
            await self._loop(stop, leader, clock)
        finally:
            if leader is not None:
                with contextlib.suppress(Exception):
                    await leader.release()

    async def _loop(self, stop: asyncio.Event, leader: Leader | None, clock: Clock) -> None:
        while not stop.is_set():
            if leader is not None:
                try:
                    leads = await leader.ensure()
                except Exception:
                    log.exception("could not check scheduler leadership")
                    leads = False
                if not leads:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=LEADER_RETRY_S)
                    continue
            now = clock.now()
            await self.run_due(now)
            now = clock.now()
            nxt = self.next_wakeup(now)
            wait = MAX_SLEEP_S if nxt is None else (nxt - now).total_seconds()
            wait = min(max(wait, 0.0), MAX_SLEEP_S)
            if leader is not None:
                wait = min(wait, LEADER_RETRY_S * clock.speed)  # notice a lost lock soon
            # Sleep on the app clock, but wake at once when asked to stop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(wait / clock.speed, 0.001))
