"""One meaning of "overdue" for every message and report (issue 14).

A deadline is set in the agency's *working* time (``matcher.sla``), so how late a complaint
is, or how much time is left, is working time too: the digest, the lists, the cards, the
escalations and the Excel all call :func:`lateness` and say «рабочего времени».  Beside it
they may show the calendar time the resident has been waiting («без ответа 1 дн 2 ч»),
which is what the resident feels; the two are never mixed up under one word.

Pure: "now" and the calendar are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from matcher.workcalendar import WorkCalendar

__all__ = ["Lateness", "clock_time_ru", "format_working_ru", "lateness", "overdue_working_s"]

_MINUTE = 60
_HOUR = 3600


@dataclass(frozen=True, slots=True)
class Lateness:
    """Where a running clock stands at ``now``.

    ``left_s`` is the working time left before the deadline (0 once it has passed),
    ``late_s`` the working time past it (0 before it), ``waited_s`` the calendar time since
    the clock started (the complaint, or its reopening).
    """

    left_s: int
    late_s: int
    waited_s: int
    round_the_clock: bool = False  # an urgent clock: every hour counts, no "working" time

    @property
    def overdue(self) -> bool:
        """At the deadline instant the time is up (as ``matcher.sla.stage_at`` says)."""
        return self.left_s == 0


def overdue_working_s(due_at: datetime, now: datetime, cal: WorkCalendar) -> int:
    """Working seconds from the deadline to ``now``; 0 if the deadline is still ahead."""
    return cal.working_seconds_between(due_at, now)


def lateness(
    due_at: datetime,
    now: datetime,
    cal: WorkCalendar,
    started_at: datetime,
    *,
    round_the_clock: bool = False,
) -> Lateness:
    """The clock due at ``due_at`` (started at ``started_at``), seen at ``now``;
    ``round_the_clock``: ``cal`` is an urgent complaint's 24/7 calendar."""
    return Lateness(
        left_s=cal.working_seconds_between(now, due_at),
        late_s=overdue_working_s(due_at, now, cal),
        waited_s=max(0, int((now - started_at).total_seconds())),
        round_the_clock=round_the_clock,
    )


def format_working_ru(seconds: int) -> str:
    """Working time in hours and minutes, never days («27 ч 30 мин», «45 мин», «0 мин»).

    A "day" would be ambiguous (24 hours, or a working day of 8–9 hours?), so working time
    is always counted in hours; the caller names the unit («рабочего времени»).
    """
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, _HOUR)
    minutes = rest // _MINUTE
    if not hours:
        return f"{minutes} мин"
    return f"{hours} ч {minutes:02d} мин" if minutes else f"{hours} ч"


def clock_time_ru(seconds: int, round_the_clock: bool = False) -> str:
    """Time on a deadline clock with its unit: «3 ч 20 мин рабочего времени», or for an
    urgent clock, which runs round the clock, «3 ч 20 мин (круглосуточно)»."""
    unit = "(круглосуточно)" if round_the_clock else "рабочего времени"
    return f"{format_working_ru(seconds)} {unit}"
