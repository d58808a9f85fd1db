"""Which SLA clock a stored complaint is running, and its deadlines now.

A complaint runs one clock at a time: the first-response clock from ``created_at``, or after
a reopen the update clock from ``reopened_at``.  Everything sent about a clock (nudge,
escalations) is stamped; a stamp older than the running clock's start belongs to an earlier
clock and does not count, so a reopened complaint is nudged and escalated afresh even if
whoever reopened it did not clear the stamps.

While the complaint waits on the resident (``waiting_since`` set) the clock is paused;
:func:`resume_clock` adds the paused working time to ``paused_s`` and moves the stored
deadlines.  ``paused_s`` sums the waits of every clock (the optional solution clock runs
across reopens and needs them all); a reopen remembers it in ``paused_before_clock_s``, so
the running clock subtracts only its own waits.  These helpers work in the caller's
transaction and never commit.

Urgent complaints (issue 12) run every clock of theirs round the clock on a short target
(:func:`clock_policy`, :func:`clock_calendar`): waits and response times are counted on that
calendar too.  A reopen keeps the first answer (statistics count the first response, issue
14); the reopen's own answer goes to the ``reopen_*`` columns (:func:`record_answer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from config.registry import Registry
from matcher.quality import AnswerRating
from matcher.sla import (
    Deadlines,
    SlaKind,
    SlaPolicy,
    deadlines,
    response_times_excluding_waits,
    round_the_clock,
    urgent_policy,
)
from matcher.workcalendar import WorkCalendar, WorkSchedule
from storage.models import AuditEntry, Complaint, ComplaintStatus
from storage.outbox import enqueue_alert_update

OPEN_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.IN_WORK)


def agency_calendar(registry: Registry, agency_id: str) -> WorkCalendar:
    """The agency's working calendar; an agency since removed from the registry gets the
    default (Moscow, Mon–Fri 09–18) rather than breaking the watch."""
    try:
        agency = registry.agency(agency_id)
    except KeyError:
        return WorkCalendar(WorkSchedule())
    return WorkCalendar(WorkSchedule(tz=agency.tz, always_open=agency.always_open))


def agency_policy(registry: Registry, agency_id: str) -> SlaPolicy:
    try:
        a = registry.agency(agency_id)
    except KeyError:
        return SlaPolicy()
    first = int(a.first_response_hours * 3600)
    return SlaPolicy(
        first_response_s=first,
        update_after_reopen_s=int(a.update_hours * 3600) if a.update_hours else first,
        solution_s=int(a.solution_hours * 3600) if a.solution_hours else None,
        escalate_lead_after_s=int(a.escalate_lead_after_hours * 3600),
        urgent_s=int(a.urgent_hours * 3600),
        urgent_escalate_lead_after_s=int(a.urgent_escalate_lead_after_hours * 3600),
    )


def clock_calendar(registry: Registry, c: Complaint) -> WorkCalendar:
    """The calendar the complaint's clocks run on: round the clock when it is urgent, the
    agency's working calendar otherwise."""
    cal = agency_calendar(registry, c.agency_id)
    return round_the_clock(cal) if c.urgent else cal


def clock_policy(registry: Registry, c: Complaint) -> SlaPolicy:
    """The targets of the complaint's clocks: the agency's urgent ones when it is urgent."""
    policy = agency_policy(registry, c.agency_id)
    return urgent_policy(policy) if c.urgent else policy


def running_clock(c: Complaint) -> tuple[datetime, SlaKind, int]:
    """(start, kind, clock number) of the clock the complaint runs now."""
    if c.reopened_at is not None:
        return c.reopened_at, "update", max(c.reopen_count, 1)
    return c.created_at, "first_response", 0


def clock_answered_at(c: Complaint) -> datetime | None:
    """When the running clock got its answer: the first answer, or after a reopen the
    reopen's (None: not yet).  The first answer of a reopened complaint is kept for the
    statistics but answers only the first clock."""
    return c.answered_at if c.reopened_at is None else c.reopen_answered_at


@dataclass(frozen=True, slots=True)
class ClockAnswer:
    """The running clock's answer as a card shows it (all None: not answered yet)."""

    at: datetime | None = None
    comment_pk: int | None = None
    by: int | None = None  # «Ответ дан» pressed by hand
    response_seconds: int | None = None
    business_seconds: int | None = None
    otpiska: bool | None = None
    quality: int | None = None
    quality_reasons: tuple[str, ...] = ()


def running_answer(c: Complaint) -> ClockAnswer:
    """The first answer, or after a reopen the reopen's: a reopened complaint shows the
    answer to its reopening, never the earlier one as if it were its state."""
    if c.reopened_at is None:
        return ClockAnswer(
            c.answered_at,
            c.answer_comment_pk,
            c.answered_by,
            c.response_seconds,
            c.business_seconds,
            c.otpiska,
            c.quality,
            tuple(c.quality_reasons or ()),
        )
    return ClockAnswer(
        c.reopen_answered_at,
        c.reopen_answer_comment_pk,
        c.reopen_answered_by,
        c.reopen_response_seconds,
        c.reopen_business_seconds,
        c.reopen_otpiska,
        c.reopen_quality,
        tuple(c.reopen_quality_reasons or ()),
    )


def ever_answered(c: Complaint) -> bool:
    """Did any clock of the complaint get an answer?"""
    return c.answered_at is not None or c.reopen_answered_at is not None


def awaiting_answer(c: Complaint) -> bool:
    """Open, and not answered since the running clock started."""
    return c.status in OPEN_STATUSES and clock_answered_at(c) is None


def stamped_for_clock(stamp: datetime | None, c: Complaint) -> bool:
    """Was this notice already sent for the running clock?"""
    return stamp is not None and stamp >= running_clock(c)[0]


def running_clock_paused_s(c: Complaint) -> int:
    """Working seconds the running clock has been paused (finished waits only)."""
    return max(0, (c.paused_s or 0) - (c.paused_before_clock_s or 0))


def current_deadlines(c: Complaint, policy: SlaPolicy, cal: WorkCalendar) -> Deadlines:
    start, kind, _ = running_clock(c)
    return deadlines(start, policy, cal, paused_s=running_clock_paused_s(c), kind=kind)


def store_deadlines(c: Complaint, d: Deadlines) -> None:
    """Keep the stored deadlines (shown in alerts, used as a query pre-filter) current."""
    if c.warn_at != d.warn_at:
        c.warn_at = d.warn_at
    if c.due_at != d.due_at:
        c.due_at = d.due_at
    if c.escalate_lead_at != d.escalate_lead_at:
        c.escalate_lead_at = d.escalate_lead_at
    if c.reopened_at is None and c.first_due_at != d.due_at:
        c.first_due_at = d.due_at  # the first clock runs: kept once a reopen replaces it


def pause_clock(c: Complaint, now: datetime, reason: str | None = None) -> None:
    """The complaint now waits on the resident: stop its clock (idempotent)."""
    if c.waiting_since is None:
        c.waiting_since = now
        c.waiting_reason = reason


def end_wait(c: Complaint, at: datetime, cal: WorkCalendar) -> None:
    """Fold a running wait into ``paused_s`` (nothing if none runs): an answer or a closing
    ends the wait, and the paused time stays counted."""
    if c.waiting_since is None:
        return
    c.paused_s = (c.paused_s or 0) + cal.working_seconds_between(c.waiting_since, at)
    c.waiting_since = None
    c.waiting_reason = None


def resume_clock(c: Complaint, now: datetime, registry: Registry) -> None:
    """The resident replied: add the paused working time and move the deadlines."""
    if c.waiting_since is None:
        return
    cal = clock_calendar(registry, c)
    end_wait(c, now, cal)
    store_deadlines(c, current_deadlines(c, clock_policy(registry, c), cal))


def answer_times(c: Complaint, answered_at: datetime, cal: WorkCalendar) -> tuple[int, int]:
    """(calendar, working) response times of the running clock answered at ``answered_at``
    (from the complaint, or from the reopen), without that clock's waits on the resident;
    an answer also ends a running wait.  ``cal``: the complaint's :func:`clock_calendar`."""
    start, _, _ = running_clock(c)
    times = response_times_excluding_waits(
        start,
        max(answered_at, start),
        cal,
        paused_s=running_clock_paused_s(c),
        waiting_since=c.waiting_since,
    )
    end_wait(c, answered_at, cal)
    return times


def record_answer(
    c: Complaint,
    at: datetime,
    cal: WorkCalendar,
    *,
    comment_pk: int | None = None,
    by: int | None = None,
    rating: AnswerRating | None = None,
) -> tuple[int, int]:
    """The running clock is answered at ``at`` (an answer on VK: ``comment_pk`` and its
    ``rating``; «Ответ дан» by hand: ``by``).  The first clock's answer fills the columns the
    statistics read; a reopen's answer its own (``reopen_*``), so the first one survives.
    Returns the (calendar, working) response times.  Ingest and «Ответ дан» both call it."""
    calendar_s, working_s = answer_times(c, at, cal)
    otpiska = rating.otpiska if rating else None
    quality = rating.quality if rating else None
    reasons = list(rating.reasons) if rating else []
    c.status = ComplaintStatus.ANSWERED
    if c.reopened_at is None:
        c.answered_at, c.answer_comment_pk, c.answered_by = at, comment_pk, by
        c.response_seconds, c.business_seconds = calendar_s, working_s
        c.otpiska, c.quality, c.quality_reasons = otpiska, quality, reasons
    else:
        c.reopen_answered_at, c.reopen_answer_comment_pk, c.reopen_answered_by = (
            at,
            comment_pk,
            by,
        )
        c.reopen_response_seconds, c.reopen_business_seconds = calendar_s, working_s
        c.reopen_otpiska, c.reopen_quality, c.reopen_quality_reasons = otpiska, quality, reasons
    return calendar_s, working_s


def start_new_clock(c: Complaint) -> None:
    """A reopen starts a clock of its own: waits before it no longer move its deadlines."""
    c.waiting_since = c.waiting_reason = None
    c.paused_before_clock_s = c.paused_s or 0


def reopen_clock(c: Complaint, at: datetime, policy: SlaPolicy, cal: WorkCalendar) -> Deadlines:
    """Reopen the complaint at ``at`` with an update clock of its own (``policy`` and
    ``cal``: the complaint's :func:`clock_policy` and :func:`clock_calendar`).

    The first answer and its figures stay (statistics count the first response); the
    previous reopen's answer, the stamps of what was sent and who had taken it are cleared,
    so the card shows a complaint waiting again.  Ingest (the author writes that nothing
    changed) and /reopen both call it."""
    d = deadlines(at, policy, cal, kind="update")
    c.status = ComplaintStatus.OPEN
    c.reopen_count = (c.reopen_count or 0) + 1
    c.reopened_at = at
    c.closed_at = c.close_note = None
    c.taken_by = None
    c.reopen_answered_at = c.reopen_answer_comment_pk = c.reopen_answered_by = None
    c.reopen_response_seconds = c.reopen_business_seconds = None
    c.reopen_otpiska = c.reopen_quality = None
    c.reopen_quality_reasons = []
    start_new_clock(c)
    c.due_at, c.warn_at, c.escalate_lead_at = d.due_at, d.warn_at, d.escalate_lead_at
    c.nudged_at = c.escalated_at = c.escalated_lead_at = None
    return d


def resume_for_resident(
    c: Complaint, at: datetime, registry: Registry
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The author wrote again (at ``at``) under a complaint that waits on them: the clock
    runs again and the deadlines move.  Returns the audit's (before, after), or None if the
    complaint was not waiting.  Ingest calls this for every follow-up of the author."""
    if c.waiting_since is None or c.status not in OPEN_STATUSES:
        return None
    before = {"waiting_since": c.waiting_since.isoformat(), "paused_s": c.paused_s or 0}
    resume_clock(c, max(at, c.waiting_since), registry)
    after = {
        "paused_s": c.paused_s,
        "due_at": c.due_at.isoformat() if c.due_at else None,
        "by": "resident",
    }
    return before, after


async def resident_replied(
    session: AsyncSession, c: Complaint, at: datetime, registry: Registry, now: datetime
) -> bool:
    """:func:`resume_for_resident` with its audit entry and the cards' refresh (which then
    lose «Ждём ответа жителя»), for a caller that holds a session.  False if nothing
    waited."""
    change = resume_for_resident(c, at, registry)
    if change is None:
        return False
    before, after = change
    session.add(
        AuditEntry(
            at=now, actor="system", action="resume", complaint_id=c.id, before=before, after=after
        )
    )
    await enqueue_alert_update(session, c.id, "resume", now)
    return True
