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
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from config.registry import Registry
from matcher.sla import Deadlines, SlaKind, SlaPolicy, deadlines, response_times_excluding_waits
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
    )


def running_clock(c: Complaint) -> tuple[datetime, SlaKind, int]:
    """(start, kind, clock number) of the clock the complaint runs now."""
    if c.reopened_at is not None:
        return c.reopened_at, "update", max(c.reopen_count, 1)
    return c.created_at, "first_response", 0


def awaiting_answer(c: Complaint) -> bool:
    """Open, and not answered since the running clock started."""
    if c.status not in OPEN_STATUSES:
        return False
    if c.answered_at is None:
        return True
    return c.reopened_at is not None and c.answered_at < c.reopened_at


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
    cal = agency_calendar(registry, c.agency_id)
    end_wait(c, now, cal)
    store_deadlines(c, current_deadlines(c, agency_policy(registry, c.agency_id), cal))


def answer_times(c: Complaint, answered_at: datetime, cal: WorkCalendar) -> tuple[int, int]:
    """(calendar, working) response times of an answer given at ``answered_at``, without the
    time spent waiting on the resident; an answer also ends a running wait.

    Ingest calls this where it records an answer found on VK, and «Ответ дан» does the same.
    """
    times = response_times_excluding_waits(
        c.created_at,
        max(answered_at, c.created_at),
        cal,
        paused_s=c.paused_s or 0,
        waiting_since=c.waiting_since,
    )
    end_wait(c, answered_at, cal)
    return times


def start_new_clock(c: Complaint) -> None:
    """A reopen starts a clock of its own: waits before it no longer move its deadlines."""
    c.waiting_since = c.waiting_reason = None
    c.paused_before_clock_s = c.paused_s or 0


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
