"""SLA clocks for residents' complaints, counted in working time (product.md §5).

Like Zammad's first-response / update / solution clocks: a complaint starts a clock, the
agency must answer within a number of *working* seconds of its own calendar, a warning
fires at ``warn_fraction`` of the target, the breach is reported to the responsible
employee, and after ``escalate_lead_after_s`` further working seconds the leads are told.

Pure functions only: "now" is always passed in (see ``config/clock.py``), so the same code
serves production, the accelerated sandbox and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final, Literal

from matcher.workcalendar import WorkCalendar, WorkSchedule

__all__ = [
    "URGENT_LEAD_AFTER_S",
    "URGENT_S",
    "Deadlines",
    "SlaKind",
    "SlaPolicy",
    "SlaStage",
    "deadlines",
    "format_duration_ru",
    "next_change_at",
    "paused_working_seconds",
    "response_times",
    "response_times_excluding_waits",
    "round_the_clock",
    "stage_at",
    "urgent_policy",
]

SlaKind = Literal["first_response", "update", "solution"]

#: An urgent complaint's target (issue 12): two hours round the clock, not working hours.
URGENT_S: Final = 2 * 3600
#: ... and the leads hear an hour after its breach.
URGENT_LEAD_AFTER_S: Final = 3600


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """One agency's targets, all in working seconds of its :class:`WorkCalendar`.

    ``solution_s`` is optional because many agencies only promise a first answer.
    """

    first_response_s: int = 8 * 3600
    update_after_reopen_s: int = 8 * 3600
    solution_s: int | None = None
    warn_fraction: float = 0.75
    escalate_lead_after_s: int = 4 * 3600
    #: Urgent complaints (gas, flooding, a threat to life): calendar seconds, see
    #: :func:`urgent_policy` and :func:`round_the_clock`.
    urgent_s: int = URGENT_S
    urgent_escalate_lead_after_s: int = URGENT_LEAD_AFTER_S

    def __post_init__(self) -> None:
        targets = (
            self.first_response_s,
            self.update_after_reopen_s,
            self.solution_s,
            self.urgent_s,
        )
        if any(t is not None and t <= 0 for t in targets):
            raise ValueError("SLA targets must be positive")
        if not 0.0 < self.warn_fraction <= 1.0:
            raise ValueError("warn_fraction must be in (0, 1]")
        if self.escalate_lead_after_s < 0 or self.urgent_escalate_lead_after_s < 0:
            raise ValueError("lead escalation delays must be non-negative")

    def target_s(self, kind: SlaKind) -> int:
        """The target of one clock; raises if the policy sets none for ``kind``."""
        if kind == "first_response":
            return self.first_response_s
        if kind == "update":
            return self.update_after_reopen_s
        if kind == "solution":
            if self.solution_s is None:
                raise ValueError("this policy has no solution target")
            return self.solution_s
        raise ValueError(f"unknown SLA kind {kind!r}")


def urgent_policy(policy: SlaPolicy) -> SlaPolicy:
    """The targets of an urgent complaint's clocks: its first answer and the update after
    a reopen both within ``urgent_s``, the leads ``urgent_escalate_lead_after_s`` after the
    breach.  Counted on :func:`round_the_clock` (an emergency does not wait for Monday)."""
    return replace(
        policy,
        first_response_s=policy.urgent_s,
        update_after_reopen_s=policy.urgent_s,
        escalate_lead_after_s=policy.urgent_escalate_lead_after_s,
    )


def round_the_clock(cal: WorkCalendar) -> WorkCalendar:
    """The same zone with every instant working time: the urgent clock's calendar."""
    if cal.schedule.always_open:
        return cal
    return WorkCalendar(
        WorkSchedule(tz=cal.schedule.tz, always_open=True), production=cal.production
    )


class SlaStage(StrEnum):
    """Where a running clock stands; declared in escalation order."""

    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    ESCALATED_LEAD = "escalated_lead"


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The instants (UTC) at which a clock changes stage."""

    start: datetime
    warn_at: datetime
    due_at: datetime
    escalate_lead_at: datetime


def deadlines(
    started_at: datetime,
    policy: SlaPolicy,
    cal: WorkCalendar,
    *,
    paused_s: int = 0,
    kind: SlaKind = "first_response",
) -> Deadlines:
    """Deadlines of the ``kind`` clock started at ``started_at``.

    ``paused_s`` is working time the complaint spent waiting on the resident; the clock
    stops meanwhile, so every deadline moves later by that much working time.  The lead
    escalation comes ``escalate_lead_after_s`` working seconds after the breach.
    """
    if paused_s < 0:
        raise ValueError("paused_s must be non-negative")
    _require_aware(started_at)
    target = policy.target_s(kind)
    start = started_at.astimezone(UTC)
    warn_offset = round(target * policy.warn_fraction)
    due_at = cal.add_working_seconds(start, paused_s + target)
    return Deadlines(
        start=start,
        warn_at=cal.add_working_seconds(start, paused_s + warn_offset),
        due_at=due_at,
        escalate_lead_at=cal.add_working_seconds(due_at, policy.escalate_lead_after_s),
    )


def stage_at(d: Deadlines, now: datetime) -> SlaStage:
    """Stage of an unanswered clock at ``now``; each deadline instant belongs to the later
    stage (at ``due_at`` exactly the time is up)."""
    if now >= d.escalate_lead_at:
        return SlaStage.ESCALATED_LEAD
    if now >= d.due_at:
        return SlaStage.BREACHED
    if now >= d.warn_at:
        return SlaStage.WARNING
    return SlaStage.OK


def next_change_at(d: Deadlines, now: datetime) -> datetime | None:
    """When the stage seen at ``now`` next changes (for the scheduler), or None if final."""
    for instant in (d.warn_at, d.due_at, d.escalate_lead_at):
        if now < instant:
            return instant
    return None


def response_times(
    created_at: datetime,
    answered_at: datetime,
    cal: WorkCalendar,
    *,
    paused_s: int = 0,
) -> tuple[int, int]:
    """(calendar seconds, working seconds) from complaint to answer, both >= 0.

    Working time excludes ``paused_s`` (waiting on the resident), which is already in
    working seconds; calendar time is wall time and is reported as is.
    """
    if paused_s < 0:
        raise ValueError("paused_s must be non-negative")
    _require_aware(created_at)
    _require_aware(answered_at)
    calendar_s = max(0, int((answered_at - created_at).total_seconds()))
    working_s = max(0, cal.working_seconds_between(created_at, answered_at) - paused_s)
    return calendar_s, working_s


def paused_working_seconds(
    paused_s: int, waiting_since: datetime | None, until: datetime, cal: WorkCalendar
) -> int:
    """Working seconds a clock stood still up to ``until``: the finished waits on the
    resident (``paused_s``, already in working seconds) plus the wait still running since
    ``waiting_since``, if any.  A wait that starts after ``until`` adds nothing."""
    if paused_s < 0:
        raise ValueError("paused_s must be non-negative")
    _require_aware(until)
    if waiting_since is None:
        return paused_s
    _require_aware(waiting_since)
    return paused_s + cal.working_seconds_between(waiting_since, until)


def response_times_excluding_waits(
    created_at: datetime,
    answered_at: datetime,
    cal: WorkCalendar,
    *,
    paused_s: int = 0,
    waiting_since: datetime | None = None,
) -> tuple[int, int]:
    """(calendar seconds, working seconds) from complaint to answer, the working time
    without the time spent waiting on the resident.

    An official may answer while still waiting (the resident never wrote back, so they
    answered with what they had): that running wait counts up to the answer.  Calendar time
    stays wall time, as in :func:`response_times`.
    """
    paused = paused_working_seconds(paused_s, waiting_since, answered_at, cal)
    return response_times(created_at, answered_at, cal, paused_s=paused)


def _require_aware(at: datetime) -> None:
    # A naive datetime would silently be read as the server's local time.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("timezone-aware datetime required")


_MINUTE: Final = 60
_HOUR: Final = 3600
_DAY: Final = 86_400


def format_duration_ru(seconds: int) -> str:
    """Short Russian duration for messages to employees: "45 сек", "12 мин", "1 ч 05 мин",
    "2 дн 3 ч".

    Two units at most, truncated rather than rounded so that "1 ч" never shows for 59 min.
    A day here is 24 hours: pass working seconds knowing that a working day is shorter.
    Negative values (overdue by) get a leading minus.
    """
    seconds = int(seconds)
    if seconds < 0:
        return "-" + format_duration_ru(-seconds)
    if seconds < _MINUTE:
        return f"{seconds} сек"
    if seconds < _HOUR:
        return f"{seconds // _MINUTE} мин"
    if seconds < _DAY:
        hours, rest = divmod(seconds, _HOUR)
        minutes = rest // _MINUTE
        return f"{hours} ч {minutes:02d} мин" if minutes else f"{hours} ч"
    days, rest = divmod(seconds, _DAY)
    hours = rest // _HOUR
    return f"{days} дн {hours} ч" if hours else f"{days} дн"
