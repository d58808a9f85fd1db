"""What people do to complaints: each action changes state, audits it and refreshes alerts.

Handlers stay thin: they parse, call one function here and phrase its :class:`ActionResult`.
Every function works in the caller's transaction and never commits, so the state change, the
audit entry and the outbox rows that announce it are committed together or not at all.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ParamSpec

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.registry import Registry
from matcher.sla import SlaPolicy, round_the_clock, urgent_policy
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
from storage.orphans import log_routed, route_unreached
from storage.outbox import enqueue, enqueue_alert_update
from storage.scope import in_scope, scope_of
from storage.sla_clock import end_wait, pause_clock, record_answer, reopen_clock, resume_clock

log = logging.getLogger(__name__)

P = ParamSpec("P")
#: Closed: by a person (resolved, dismissed) or by the resident deleting the comment (issue
#: 11); a moderator may reopen any of them.
CLOSED = (ComplaintStatus.RESOLVED, ComplaintStatus.DISMISSED, ComplaintStatus.DELETED)
WORKING = (ComplaintStatus.OPEN, ComplaintStatus.IN_WORK)
MODERATING_ROLES = frozenset({"moderator", "admin"})


class Outcome(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    ALREADY_CLOSED = "already_closed"
    FORBIDDEN = "forbidden"
    UNCHANGED = "unchanged"
    NOT_CLOSED = "not_closed"
    UNKNOWN_AGENCY = "unknown_agency"
    AGENCY_OUT_OF_SCOPE = "agency_out_of_scope"
    ALREADY_WAITING = "already_waiting"
    NOT_WAITING = "not_waiting"


class Action(StrEnum):
    """Everything a person can do to a complaint; the rights table below is keyed by it."""

    TAKE = "take"
    ANSWERED = "answered"
    RESOLVE = "resolve"
    DISMISS = "dismiss"
    REASSIGN = "reassign"
    REOPEN = "reopen"
    WAIT = "wait"  # «Ждём ответа жителя»: the clock stops
    RESUME = "resume"  # the clock runs again


#: Officials work their own agency's complaints, waits on the resident included; closing,
#: reassigning and reopening are the regional centre's decisions (product.md §1), so they
#: belong to moderators and admins.
OFFICIAL_ACTIONS = frozenset({Action.TAKE, Action.ANSWERED, Action.WAIT, Action.RESUME})

#: The statuses each action applies to; in any other the complaint is left as it is.
_NOT_CLOSED = (*WORKING, ComplaintStatus.ANSWERED)
APPLIES_TO: dict[Action, tuple[str, ...]] = {
    Action.TAKE: WORKING,
    Action.ANSWERED: WORKING,
    Action.WAIT: WORKING,
    Action.RESUME: WORKING,
    Action.RESOLVE: _NOT_CLOSED,
    Action.DISMISS: _NOT_CLOSED,
    Action.REASSIGN: _NOT_CLOSED,
    Action.REOPEN: (ComplaintStatus.ANSWERED, *CLOSED),
}


@dataclass(frozen=True, slots=True)
class ActionResult:
    outcome: Outcome
    status: str | None = None


async def can_see(session: AsyncSession, person: Person, complaint: Complaint) -> bool:
    """Whether the complaint is in the person's scope (see ``storage.scope``)."""
    return in_scope(await scope_of(session, person), complaint.agency_id)


def may(person: Person, action: Action, complaint: Complaint) -> bool:
    """The role's right to ``action``; whether the complaint is theirs to see is
    :func:`can_see`'s question."""
    if person.role in MODERATING_ROLES:
        return True
    return (
        person.role == "official"
        and action in OFFICIAL_ACTIONS
        and complaint.agency_id in (person.agencies or [])
    )


def actor_of(person: Person) -> str:
    """The audit's name for a person: their Telegram id as before issue 13, else their MAX id."""
    if person.telegram_id is not None:
        return f"tg:{person.telegram_id}"
    return f"max:{person.max_user_id}"


async def officials_of(session: AsyncSession, agency_id: str) -> list[int]:
    """Active officials of an agency from the database (registry people and invited ones)."""
    rows = await session.execute(
        select(Person.id, Person.agencies)
        .where(Person.role == "official", Person.active.is_(True))
        .order_by(Person.id)
    )
    return [tid for tid, agencies in rows.all() if agency_id in (agencies or [])]


async def moderators(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        select(Person.id)
        .where(
            Person.role == "moderator",
            Person.active.is_(True),
            Person.reachable,
        )
        .order_by(Person.id)
    )
    return list(rows.scalars())


async def calendar_and_policy(
    session: AsyncSession, agency_id: str, *, urgent: bool = False
) -> tuple[WorkCalendar, SlaPolicy]:
    """The agency's calendar and targets; an urgent complaint's (issue 12) run round the
    clock on the urgent target."""
    agency = await session.get(Agency, agency_id)
    tz = agency.tz if agency else "Europe/Moscow"
    always_open = agency.always_open if agency else False
    first = agency.first_response_s if agency else 8 * 3600
    calendar = WorkCalendar(WorkSchedule(tz=tz, always_open=always_open))
    policy = SlaPolicy(first_response_s=first, update_after_reopen_s=first)
    if urgent:
        policy = urgent_policy(SlaPolicy(urgent_s=agency.urgent_s if agency else 2 * 3600))
        calendar = round_the_clock(calendar)
    return calendar, policy


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


def _status_refusal(action: Action, c: Complaint) -> ActionResult | None:
    """Why ``action`` does not apply to the complaint as it stands, or None if it does."""
    if c.status in APPLIES_TO[action]:
        return None
    if action is Action.REOPEN:
        return ActionResult(Outcome.NOT_CLOSED, c.status)
    return ActionResult(
        Outcome.ALREADY_CLOSED if c.status in CLOSED else Outcome.UNCHANGED, c.status
    )


class _Refused(Exception):
    """An action that does not go ahead, with the outcome that says why.  Raised from the
    shared prelude (:func:`_load`) and turned into the result by :func:`_action`, so each
    action reads as its own rule and nothing else."""

    def __init__(self, result: ActionResult) -> None:
        super().__init__(result.outcome.value)
        self.result = result


def _action(fn: Callable[P, Awaitable[ActionResult]]) -> Callable[P, Awaitable[ActionResult]]:
    """An action whose refusals (:class:`_Refused`) come back as its result."""

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> ActionResult:
        try:
            return await fn(*args, **kwargs)
        except _Refused as refused:
            return refused.result

    return run


async def _load(
    session: AsyncSession,
    complaint_id: int,
    person: Person | None,
    action: Action,
    *,
    check_status: bool = True,
) -> Complaint:
    """The prelude of every action: the complaint, if the person may see it, has the right
    to ``action`` and (unless ``check_status`` is off) finds it in a status it applies to;
    otherwise :class:`_Refused` with the outcome that says why not.  ``person=None`` is the
    system."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None or (person is not None and not await can_see(session, person, complaint)):
        # Another agency's complaint is reported as missing: its existence is not theirs.
        raise _Refused(ActionResult(Outcome.NOT_FOUND))
    if person is not None and not may(person, action, complaint):
        raise _Refused(ActionResult(Outcome.FORBIDDEN, complaint.status))
    if check_status and (refused := _status_refusal(action, complaint)) is not None:
        raise _Refused(refused)
    return complaint


async def _done(
    session: AsyncSession,
    c: Complaint,
    *,
    actor: str,
    action: str,
    now: datetime,
    before: dict[str, Any],
    after: dict[str, Any],
    event: str | None = None,
) -> ActionResult:
    """The epilogue of every action: audit it and refresh everyone's card."""
    _audit(
        session,
        actor=actor,
        action=action,
        now=now,
        complaint_id=c.id,
        before=before,
        after=after,
    )
    await enqueue_alert_update(session, c.id, event or action, now)
    return ActionResult(Outcome.DONE, c.status)


@_action
async def take(
    session: AsyncSession, complaint_id: int, person: Person, now: datetime
) -> ActionResult:
    """«В работу»: the person takes the complaint; everyone alerted sees who did."""
    c = await _load(session, complaint_id, person, Action.TAKE)
    if c.status == ComplaintStatus.IN_WORK and c.taken_by == person.id:
        return ActionResult(Outcome.UNCHANGED, c.status)
    before = {"status": c.status, "taken_by": c.taken_by}
    c.status, c.taken_by = ComplaintStatus.IN_WORK, person.id
    after = {"status": c.status, "taken_by": c.taken_by}
    return await _done(
        session, c, actor=actor_of(person), action="take", now=now, before=before, after=after
    )


@_action
async def mark_answered(
    session: AsyncSession, complaint_id: int, person: Person, now: datetime
) -> ActionResult:
    """«Ответ дан» by hand (answered by phone, in private messages, from another account)."""
    c = await _load(session, complaint_id, person, Action.ANSWERED)
    calendar, _ = await calendar_and_policy(session, c.agency_id, urgent=c.urgent)
    before = {"status": c.status, "answered_at": None}
    # The running clock's answer: after a reopen the first answer stays as it was.
    calendar_s, _ = record_answer(c, now, calendar, by=person.id)
    after = {"status": c.status, "answered_at": now.isoformat(), "response_seconds": calendar_s}
    return await _done(
        session,
        c,
        actor=actor_of(person),
        action="answered_by_hand",
        now=now,
        before=before,
        after=after,
        event="answered",
    )


@_action
async def wait_for_resident(
    session: AsyncSession, complaint_id: int, person: Person, now: datetime, reason: str | None
) -> ActionResult:
    """«Ждём ответа жителя»: the official asked the resident something (an address, a
    photo), so the deadline clock stops until the resident writes back or someone resumes."""
    c = await _load(session, complaint_id, person, Action.WAIT)
    if c.waiting_since is not None:
        return ActionResult(Outcome.ALREADY_WAITING, c.status)
    pause_clock(c, now, reason)
    after = {"waiting_since": now.isoformat(), "reason": reason}
    return await _done(
        session,
        c,
        actor=actor_of(person),
        action="wait",
        now=now,
        before={"waiting_since": None},
        after=after,
    )


@_action
async def resume(
    session: AsyncSession, complaint_id: int, person: Person, now: datetime, registry: Registry
) -> ActionResult:
    """The clock runs again by hand (the resident answered by phone, or the wait was a
    mistake); the deadlines move by the working time it stood still."""
    c = await _load(session, complaint_id, person, Action.RESUME)
    if c.waiting_since is None:
        return ActionResult(Outcome.NOT_WAITING, c.status)
    before = {"waiting_since": c.waiting_since.isoformat(), "paused_s": c.paused_s or 0}
    resume_clock(c, now, registry)
    after = {
        "paused_s": c.paused_s,
        "due_at": c.due_at.isoformat() if c.due_at else None,
        "by": "hand",
    }
    return await _done(
        session, c, actor=actor_of(person), action="resume", now=now, before=before, after=after
    )


@_action
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
    complaint = await _load(session, complaint_id, person, action)
    before = {"status": complaint.status}
    if complaint.waiting_since is not None:
        cal, _ = await calendar_and_policy(session, complaint.agency_id, urgent=complaint.urgent)
        end_wait(complaint, now, cal)
    complaint.status = status
    complaint.closed_at = now
    complaint.close_note = note
    if status == ComplaintStatus.DISMISSED and person is not None:
        comment = await session.get(Comment, complaint.comment_pk)
        session.add(
            Label(
                text=comment.text if comment else "",
                needs_answer=False,
                topic=complaint.topic,
                complaint_id=complaint.id,
                by=person.id,
                at=now,
            )
        )
    after = {"status": status.value, "note": note}
    return await _done(
        session, complaint, actor=actor, action=status.value, now=now, before=before, after=after
    )


@_action
async def reassign(
    session: AsyncSession, complaint_id: int, agency_id: str, person: Person, now: datetime
) -> ActionResult:
    """«Передать»: route to another agency in the person's scope, whose officials get a fresh
    alert."""
    c = await _load(session, complaint_id, person, Action.REASSIGN, check_status=False)
    if await session.get(Agency, agency_id) is None:
        return ActionResult(Outcome.UNKNOWN_AGENCY, c.status)
    if not in_scope(await scope_of(session, person), agency_id):
        return ActionResult(Outcome.AGENCY_OUT_OF_SCOPE, c.status)
    if (refused := _status_refusal(Action.REASSIGN, c)) is not None:
        return refused
    if c.agency_id == agency_id:
        return ActionResult(Outcome.UNCHANGED, c.status)
    before = {"agency": c.agency_id, "status": c.status, "taken_by": c.taken_by}
    c.agency_id, c.route_rule, c.taken_by = agency_id, f"manual:{actor_of(person)}", None
    if c.status == ComplaintStatus.IN_WORK:
        c.status = ComplaintStatus.OPEN
    result = await _done(
        session,
        c,
        actor=actor_of(person),
        action="reassign",
        now=now,
        before=before,
        after={"agency": agency_id, "status": c.status},
    )
    await alert_officials(session, c.id, agency_id, now)
    # An agency no official hears from: its moderators hear of the complaint instead.
    log_routed(await route_unreached(session, [c], now))
    return result


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


@_action
async def reopen(
    session: AsyncSession, complaint_id: int, person: Person, now: datetime
) -> ActionResult:
    """Reopen an answered or closed complaint with a new response clock; the first answer
    and its figures stay for the statistics (``storage.sla_clock.reopen_clock``)."""
    c = await _load(session, complaint_id, person, Action.REOPEN)
    calendar, policy = await calendar_and_policy(session, c.agency_id, urgent=c.urgent)
    before = {
        "status": c.status,
        "answered_at": c.answered_at.isoformat() if c.answered_at else None,
        "due_at": c.due_at.isoformat() if c.due_at else None,
    }
    due = reopen_clock(c, now, policy, calendar)
    after = {"status": c.status, "due_at": due.due_at.isoformat(), "reopen_count": c.reopen_count}
    log.info("complaint %s reopened by %s (was %s)", c.id, actor_of(person), before["status"])
    return await _done(
        session, c, actor=actor_of(person), action="reopen", now=now, before=before, after=after
    )
