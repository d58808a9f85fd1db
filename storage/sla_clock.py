"""Which SLA clock a stored complaint is running, and its deadlines now.

A complaint runs one clock at a time: the first-response clock from ``created_at``, or after
a reopen the update clock from ``reopened_at``.  Everything sent about a clock (nudge,
escalations) is stamped; a stamp older than the running clock's start belongs to an earlier
clock and does not count, so a reopened complaint is nudged and escalated afresh even if
whoever reopened it did not clear the stamps.

While the complaint waits on the resident (``waiting_since`` set) the clock is paused;
:func:`resume_clock` adds the paused working time to ``paused_s`` and moves the stored
deadlines.  These helpers only touch the ORM object; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from config.registry import Registry
from matcher.sla import Deadlines, SlaKind, SlaPolicy, deadlines
from matcher.workcalendar import WorkCalendar, WorkSchedule
from storage.models import Complaint, ComplaintStatus

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


def current_deadlines(c: Complaint, policy: SlaPolicy, cal: WorkCalendar) -> Deadlines:
    start, kind, _ = running_clock(c)
    return deadlines(start, policy, cal, paused_s=c.paused_s or 0, kind=kind)


def store_deadlines(c: Complaint, d: Deadlines) -> None:
    """Keep the stored deadlines (shown in alerts, used as a query pre-filter) current."""
    if c.warn_at != d.warn_at:
        c.warn_at = d.warn_at
    if c.due_at != d.due_at:
        c.due_at = d.due_at
    if c.escalate_lead_at != d.escalate_lead_at:
        c.escalate_lead_at = d.escalate_lead_at


def pause_clock(c: Complaint, now: datetime) -> None:
    """The complaint now waits on the resident: stop its clock (idempotent)."""
    if c.waiting_since is None:
        c.waiting_since = now


def resume_clock(c: Complaint, now: datetime, registry: Registry) -> None:
    """The resident replied: add the paused working time and move the deadlines."""
    if c.waiting_since is None:
        return
    cal = agency_calendar(registry, c.agency_id)
    c.paused_s = (c.paused_s or 0) + cal.working_seconds_between(c.waiting_since, now)
    c.waiting_since = None
    store_deadlines(c, current_deadlines(c, agency_policy(registry, c.agency_id), cal))
