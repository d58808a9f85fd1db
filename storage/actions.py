"""What people do to complaints: each action changes state, audits it and refreshes alerts.

Handlers stay thin: they parse, call one function here and phrase its :class:`ActionResult`.
Every function works in the caller's transaction and never commits, so the state change, the
audit entry and the outbox rows that announce it are committed together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matcher.sla import SlaPolicy, deadlines, response_times
from matcher.workcalendar import WorkCalendar, WorkSchedule
from storage.models import (
    Agency,
    AuditEntry,
    Comment,
    Complaint,
    ComplaintStatus,
    Label,
    Notification,
    Person,
)
from storage.outbox import enqueue, enqueue_alert_update

CLOSED = (ComplaintStatus.RESOLVED, ComplaintStatus.DISMISSED)
WORKING = (ComplaintStatus.OPEN, ComplaintStatus.IN_WORK)
REGION_WIDE_ROLES = frozenset({"moderator", "lead", "admin"})
MODERATING_ROLES = frozenset({"moderator", "admin"})


class Outcome(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    ALREADY_CLOSED = "already_closed"
    FORBIDDEN = "forbidden"
    UNCHANGED = "unchanged"
    NOT_CLOSED = "not_closed"
    UNKNOWN_AGENCY = "unknown_agency"


class Action(StrEnum):
    """Everything a person can do to a complaint; the rights table below is keyed by it."""

    TAKE = "take"
    ANSWERED = "answered"
    RESOLVE = "resolve"
    DISMISS = "dismiss"
    REASSIGN = "reassign"
    REOPEN = "reopen"


#: Officials work their own agency's complaints; closing, reassigning and reopening are the
#: regional centre's decisions (product.md §1), so they belong to moderators and admins.
OFFICIAL_ACTIONS = frozenset({Action.TAKE, Action.ANSWERED})


@dataclass(frozen=True, slots=True)
class ActionResult:
    outcome: Outcome
    status: str | None = None


def can_see(person: Person, complaint: Complaint) -> bool:
    """Region-wide roles see every complaint; an official sees those of their agencies."""
    return person.role in REGION_WIDE_ROLES or complaint.agency_id in (person.agencies or [])


def may(person: Person, action: Action, complaint: Complaint) -> bool:
    if person.role in MODERATING_ROLES:
        return True
    return (
        person.role == "official"
        and action in OFFICIAL_ACTIONS
        and complaint.agency_id in (person.agencies or [])
    )


def actor_of(person: Person) -> str:
    return f"tg:{person.telegram_id}"


async def officials_of(session: AsyncSession, agency_id: str) -> list[int]:
    """Active officials of an agency from the database (registry people and invited ones)."""
    rows = await session.execute(
        select(Person.telegram_id, Person.agencies)
        .where(Person.role == "official", Person.active.is_(True))
        .order_by(Person.telegram_id)
    )
    return [tid for tid, agencies in rows.all() if agency_id in (agencies or [])]


async def moderators(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        select(Person.telegram_id)
        .where(
            Person.role == "moderator",
            Person.active.is_(True),
            Person.unreachable.is_(False),
        )
        .order_by(Person.telegram_id)
    )
    return list(rows.scalars())


async def calendar_and_policy(
    session: AsyncSession, agency_id: str
) -> tuple[WorkCalendar, SlaPolicy]:
    agency = await session.get(Agency, agency_id)
    tz = agency.tz if agency else "Europe/Moscow"
    always_open = agency.always_open if agency else False
    first = agency.first_response_s if agency else 8 * 3600
    calendar = WorkCalendar(WorkSchedule(tz=tz, always_open=always_open))
    return calendar, SlaPolicy(first_response_s=first, update_after_reopen_s=first)


def _audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    now: datetime,
    complaint_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=action,
            complaint_id=complaint_id,
            before=before or {},
            after=after or {},
        )
    )


def audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Audit an action that concerns no complaint (invites, pages, mute)."""
    _audit(session, actor=actor, action=action, now=now, before=before, after=after)


async def _load(
    session: AsyncSession, complaint_id: int, person: Person | None, action: Action
) -> Complaint | ActionResult:
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None or (person is not None and not can_see(person, complaint)):
        # Another agency's complaint is reported as missing: its existence is not theirs.
        return ActionResult(Outcome.NOT_FOUND)
    if person is not None and not may(person, action, complaint):
        return ActionResult(Outcome.FORBIDDEN, complaint.status)
    return complaint


async def take(
    session: AsyncSession, complaint_id: int, person: Person, now: datetime
) -> ActionResult:
    """«В работу»: the person takes the complaint; everyone alerted sees who did."""
    loaded = await _load(session, complaint_id, person, Action.TAKE)
    if isinstance(loaded, ActionResult):
        return loaded
    c = loaded
    if c.status not in WORKING:
        return ActionResult(
            Outcome.ALREADY_CLOSED if c.status in CLOSED else Outcome.UNCHANGED, c.status
        )
    if c.status == ComplaintStatus.IN_WORK and c.taken_by == person.telegram_id:
        return ActionResult(Outcome.UNCHANGED, c.status)
    before = {"status": c.status, "taken_by": c.taken_by}
    c.status, c.taken_by = ComplaintStatus.IN_WORK, person.telegram_id
    _audit(
        session,
        actor=actor_of(person),
        action="take",
        now=now,
        complaint_id=c.id,
        before=before,
        after={"status": c.status, "taken_by": c.taken_by},
    )
    await enqueue_alert_update(session, c.id, "take", now)
    return ActionResult(Outcome.DONE, c.status)


async def mark_answered(
    session: AsyncSession, complaint_id: int, person: Person, now: datetime
) -> ActionResult:
    """«Ответ дан» by hand (answered by phone, in private messages, from another account)."""
    loaded = await _load(session, complaint_id, person, Action.ANSWERED)
    if isinstance(loaded, ActionResult):
        return loaded
    c = loaded
    if c.status not in WORKING:
        return ActionResult(
            Outcome.ALREADY_CLOSED if c.status in CLOSED else Outcome.UNCHANGED, c.status
        )
    calendar, _ = await calendar_and_policy(session, c.agency_id)
    before = {"status": c.status, "answered_at": None}
    calendar_s, working_s = response_times(c.created_at, max(now, c.created_at), calendar)
    c.status, c.answered_at, c.answered_by = ComplaintStatus.ANSWERED, now, person.telegram_id
    c.response_seconds, c.business_seconds = calendar_s, working_s
    _audit(
        session,
        actor=actor_of(person),
        action="answered_by_hand",
        now=now,
        complaint_id=c.id,
        before=before,
        after={"status": c.status, "answered_at": now.isoformat(), "response_seconds": calendar_s},
    )
    await enqueue_alert_update(session, c.id, "answered", now)
    return ActionResult(Outcome.DONE, c.status)


async def close_complaint(
    session: AsyncSession,
    complaint_id: int,
    *,
    actor: str,
    status: ComplaintStatus,
    note: str | None,
    now: datetime,
    person: Person | None = None,
) -> ActionResult:
    """Resolve or dismiss a complaint; closed ones stay as they are.

    A dismissal by a person also records a «не жалоба» label: the moderator's verdict is the
    best training example the matcher can get.
    """
    action = Action.DISMISS if status == ComplaintStatus.DISMISSED else Action.RESOLVE
    loaded = await _load(session, complaint_id, person, action)
    if isinstance(loaded, ActionResult):
        return loaded
    complaint = loaded
    if complaint.status in CLOSED:
        return ActionResult(Outcome.ALREADY_CLOSED, complaint.status)
    before = {"status": complaint.status}
    complaint.status = status
    complaint.closed_at = now
    complaint.close_note = note
    _audit(
        session,
        actor=actor,
        action=status.value,
        now=now,
        complaint_id=complaint_id,
        before=before,
        after={"status": status.value, "note": note},
    )
    if status == ComplaintStatus.DISMISSED and person is not None:
        comment = await session.get(Comment, complaint.comment_pk)
        session.add(
            Label(
                text=comment.text if comment else "",
                needs_answer=False,
                topic=complaint.topic,
                complaint_id=complaint.id,
                by=person.telegram_id,
                at=now,
            )
        )
    await enqueue_alert_update(session, complaint_id, status.value, now)
    return ActionResult(Outcome.DONE, status.value)


async def reassign(
    session: AsyncSession, complaint_id: int, agency_id: str, person: Person, now: datetime
) -> ActionResult:
    """«Передать»: route to another agency, whose officials get a fresh alert."""
    loaded = await _load(session, complaint_id, person, Action.REASSIGN)
    if isinstance(loaded, ActionResult):
        return loaded
    c = loaded
    if await session.get(Agency, agency_id) is None:
        return ActionResult(Outcome.UNKNOWN_AGENCY, c.status)
    if c.status in CLOSED:
        return ActionResult(Outcome.ALREADY_CLOSED, c.status)
    if c.agency_id == agency_id:
        return ActionResult(Outcome.UNCHANGED, c.status)
    before = {"agency": c.agency_id, "status": c.status, "taken_by": c.taken_by}
    c.agency_id, c.route_rule, c.taken_by = agency_id, f"manual:{actor_of(person)}", None
    if c.status == ComplaintStatus.IN_WORK:
        c.status = ComplaintStatus.OPEN
    _audit(
        session,
        actor=actor_of(person),
        action="reassign",
        now=now,
        complaint_id=c.id,
        before=before,
        after={"agency": agency_id, "status": c.status},
    )
    await enqueue_alert_update(session, c.id, "reassign", now)
    await alert_officials(session, c.id, agency_id, now)
    return ActionResult(Outcome.DONE, c.status)


async def alert_officials(
    session: AsyncSession, complaint_id: int, agency_id: str, now: datetime
) -> int:
    """Queue the alert for every official of ``agency_id`` not yet alerted about it."""
    known = set(
        (
            await session.execute(
                select(Notification.chat_id).where(
                    Notification.complaint_id == complaint_id, Notification.kind == "alert"
                )
            )
        ).scalars()
    )
    queued = 0
    for chat_id in await officials_of(session, agency_id):
        if chat_id in known:
            continue
        enqueue(
            session,
            key=f"alert:{complaint_id}:{chat_id}",
            chat_id=chat_id,
            kind="alert",
            complaint_id=complaint_id,
            now=now,
        )
        queued += 1
    return queued


async def reopen(
    session: AsyncSession, complaint_id: int, person: Person, now: datetime
) -> ActionResult:
    """Reopen an answered or closed complaint with a new response clock."""
    loaded = await _load(session, complaint_id, person, Action.REOPEN)
    if isinstance(loaded, ActionResult):
        return loaded
    c = loaded
    if c.status in WORKING:
        return ActionResult(Outcome.NOT_CLOSED, c.status)
    calendar, policy = await calendar_and_policy(session, c.agency_id)
    due = deadlines(now, policy, calendar, kind="update")
    before = {
        "status": c.status,
        "answered_at": c.answered_at.isoformat() if c.answered_at else None,
        "due_at": c.due_at.isoformat() if c.due_at else None,
    }
    c.status = ComplaintStatus.OPEN
    c.reopen_count += 1
    c.reopened_at = now
    c.closed_at = c.close_note = None
    c.answered_at = c.answer_comment_pk = c.answered_by = None
    c.response_seconds = c.business_seconds = None
    c.otpiska = c.quality = None
    c.quality_reasons = []
    c.taken_by = None
    c.due_at, c.warn_at, c.escalate_lead_at = due.due_at, due.warn_at, due.escalate_lead_at
    c.nudged_at = c.escalated_at = c.escalated_lead_at = None
    _audit(
        session,
        actor=actor_of(person),
        action="reopen",
        now=now,
        complaint_id=c.id,
        before=before,
        after={"status": c.status, "due_at": c.due_at.isoformat(), "reopen_count": c.reopen_count},
    )
    await enqueue_alert_update(session, c.id, "reopen", now)
    return ActionResult(Outcome.DONE, c.status)
