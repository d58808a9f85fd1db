"""The schedule: which job runs when (the jobs themselves live beside their queries).

| job id            | when                                   | what                               |
|-------------------|----------------------------------------|------------------------------------|
| ``sla``           | every minute                           | nudges and escalations             |
| ``spikes``        | every 15 minutes                       | spike alerts to leads              |
| ``digest:<tz>``   | 09:00 daily in ``tz``                  | yesterday's digest to leads in tz  |
| ``weekly:<tz>``   | Monday 09:00 in ``tz``                 | last week's Excel ranking          |

There is one digest and one weekly job per time zone in use (every agency's zone, every
registry person's zone, and Moscow, the default for people added by invite), so each lead
gets them at 09:00 on their own wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.digest import send_daily_digests
from bot.reports import send_weekly_reports
from bot.scheduler import ClockScheduler, JobDeps
from bot.sla_watch import check_sla
from bot.spikes import check_spikes

#: A restart this long after 09:00 still sends the day's digest (once, see ``kv``).
DIGEST_GRACE_S = 6 * 3600


def zones_in_use(deps: JobDeps) -> list[str]:
    zones = {"Europe/Moscow"}
    zones.update(a.tz for a in deps.registry.agencies)
    zones.update(p.tz for p in deps.registry.people if p.tz)
    return sorted(zones)


def build_scheduler(deps: JobDeps, *, now: datetime) -> ClockScheduler:
    """Every periodic job with a stable id; interval jobs start at ``now`` on the app clock
    (APScheduler would otherwise anchor them on the wall clock)."""
    sched = ClockScheduler(deps)
    start = now.astimezone(UTC)
    sched.add_job("sla", IntervalTrigger(minutes=1, start_date=start, timezone=UTC), check_sla)
    sched.add_job(
        "spikes", IntervalTrigger(minutes=15, start_date=start, timezone=UTC), check_spikes
    )
    for tz in zones_in_use(deps):
        sched.add_job(
            f"digest:{tz}",
            CronTrigger(hour=9, minute=0, timezone=tz),
            send_daily_digests,
            misfire_grace_s=DIGEST_GRACE_S,
            tz=tz,
        )
        sched.add_job(
            f"weekly:{tz}",
            CronTrigger(day_of_week="mon", hour=9, minute=0, timezone=tz),
            send_weekly_reports,
            misfire_grace_s=DIGEST_GRACE_S,
            tz=tz,
        )
    return sched
