"""The clock-driven scheduler: each job at the right local time, on the injected clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs import build_scheduler
from bot.scheduler import ClockScheduler, JobDeps
from config.clock import ManualClock, VirtualClock
from tests.issue6_support import region


def _deps(clock: Any = None) -> JobDeps:
    return JobDeps(sessions=None, clock=clock, registry=region())  # type: ignore[arg-type]


def _recording(sched: ClockScheduler, fired: list[tuple[str, datetime]]) -> None:
    """Replace every job's function by a recorder, keeping ids, triggers and arguments."""
    for job in sched.jobs.values():

        async def record(deps: JobDeps, *, now: datetime, _id: str = job.id, **kw: Any) -> None:
            fired.append((_id, now))

        job.func = record


async def test_digest_and_weekly_fire_at_nine_local_in_two_zones() -> None:
    start = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)  # Sunday 21:00 MSK, Monday 01:00 NSK
    sched = build_scheduler(_deps(), now=start)
    assert {"sla", "spikes", "digest:Europe/Moscow", "digest:Asia/Novosibirsk"} <= set(sched.jobs)
    fired: list[tuple[str, datetime]] = []
    _recording(sched, fired)
    now = start
    while now < datetime(2026, 11, 24, 0, 0, tzinfo=UTC):
        await sched.run_due(now)
        now += timedelta(minutes=5)
    daily = [(i, t) for i, t in fired if i.startswith(("digest:", "weekly:"))]
    assert daily == [
        ("digest:Asia/Novosibirsk", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
        ("weekly:Asia/Novosibirsk", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
        ("digest:Europe/Moscow", datetime(2026, 11, 23, 6, 0, tzinfo=UTC)),
        ("weekly:Europe/Moscow", datetime(2026, 11, 23, 6, 0, tzinfo=UTC)),
    ]
    sla_runs = [t for i, t in fired if i == "sla"]
    assert len(sla_runs) == 30 * 12  # every 5-minute step ran the 1-minute job once
    assert len([i for i, _ in fired if i == "spikes"]) == 30 * 4


async def test_restart_after_nine_still_sends_todays_digest_but_not_yesterdays() -> None:
    restart = datetime(2026, 11, 24, 7, 20, tzinfo=UTC)  # 10:20 MSK, 14:20 NSK
    sched = build_scheduler(_deps(), now=restart)
    fired: list[tuple[str, datetime]] = []
    _recording(sched, fired)
    await sched.run_due(restart)
    ids = sorted(i for i, _ in fired)
    assert "digest:Europe/Moscow" in ids and "digest:Asia/Novosibirsk" in ids
    assert "weekly:Europe/Moscow" not in ids  # Tuesday: Monday's ranking is not redone
    fired.clear()
    await sched.run_due(restart + timedelta(hours=2))
    assert [i for i, _ in fired if i.startswith("digest")] == []


async def test_failing_job_does_not_stop_others() -> None:
    now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    sched = ClockScheduler(_deps(ManualClock(now)))
    ran: list[str] = []

    async def boom(deps: JobDeps, *, now: datetime) -> None:
        raise RuntimeError("boom")

    async def ok(deps: JobDeps, *, now: datetime) -> None:
        ran.append("ok")

    sched.add_job("a", CronTrigger(hour=9, timezone="Europe/Moscow"), boom)
    sched.add_job("b", CronTrigger(hour=9, timezone="Europe/Moscow"), ok)
    assert await sched.run_due(now) == ["a", "b"]
    assert ran == ["ok"]
    # Retried soon (issue 7: a database away at 09:00 must not cost the day's digest).
    assert sched.jobs["a"].next_run == now + timedelta(seconds=1)
    assert sched.jobs["b"].next_run == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


async def test_run_loop_follows_the_virtual_clock() -> None:
    """The loop sleeps on the app's clock: at 20,000× a 10-minute job is due every 30 real ms,
    so six fires come within seconds (on the wall clock they would take fifty minutes).  Never
    early, never twice for one fire time — whatever the machine's load does to a wake-up: at
    this speed a millisecond late is twenty virtual seconds late, so the gaps between fires
    prove nothing and are not asserted (they once measured 441 s on a busy machine)."""
    start = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    clock = VirtualClock(start, speed=20_000)
    sched = ClockScheduler(_deps(clock))
    seen: list[datetime] = []
    six = asyncio.Event()

    async def tick(deps: JobDeps, *, now: datetime) -> None:
        seen.append(now)
        if len(seen) >= 6:
            six.set()

    sched.add_job("tick", IntervalTrigger(minutes=10, start_date=start, timezone=UTC), tick)
    stop = asyncio.Event()
    task = asyncio.create_task(sched.run(stop))
    await asyncio.wait_for(six.wait(), 60)
    stop.set()
    await asyncio.wait_for(task, 10)
    # the 10-minute slot each fire falls in: one fire a slot, in order (a fire before its time
    # falls in the slot before, which has fired already)
    slots = [(t - start) // timedelta(minutes=10) for t in seen]
    assert slots == sorted(set(slots)), seen
