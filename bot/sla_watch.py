"""The SLA watch: nudge at 75 %, escalate at breach, then to the leads — each exactly once.

Runs every minute of app-clock time (``bot/scheduler.py``).  For each complaint still waiting
for an answer it recomputes the running clock's deadlines from the agency's calendar (so a
pause or a changed registry target is honoured), and for every stage reached whose notice
has not been stamped yet it queues the outbox rows *and* sets the stamp in one transaction.
A crash before the commit sends nothing; a crash after it sends everything once, because
the outbox keys (``nudge:{id}:{clock}:{chat}``) are unique.

An urgent complaint (issue 12) runs on its own clock: the agency's urgent target, round the
clock (``storage.sla_clock.clock_policy``), so it is nudged, escalated and taken to the leads
on calendar time, at night and at weekends too; every notice says it is urgent and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import texts
from bot.core.render import excerpt, local_time, urgent_reasons_text, vk_comment_url
from bot.scheduler import JobDeps
from matcher.overdue import format_working_ru, lateness
from matcher.sla import SlaPolicy, SlaStage, deadlines, format_duration_ru, stage_at
from matcher.workcalendar import WorkCalendar
from storage.models import Agency, Comment, Complaint, ComplaintStatus, Person
from storage.outbox import enqueue
from storage.scope import Scope, in_scope, scope_of
from storage.sla_clock import (
    OPEN_STATUSES,
    agency_calendar,
    awaiting_answer,
    clock_calendar,
    clock_policy,
    current_deadlines,
    running_clock,
    stamped_for_clock,
    store_deadlines,
)

SLA_KINDS = frozenset({"nudge", "escalation", "escalation_lead", "solution_breach"})

log = logging.getLogger(__name__)
#: The log line of each stage (issue 11): who the stage tells.
LEVELS = {
    "nudge": "officials",
    "escalation": "moderators",
    "escalation_lead": "leads",
    "solution_breach": "moderators",
}


@dataclass
class SlaPass:
    """What one pass queued (for logs and tests)."""

    nudged: list[int]
    escalated: list[int]
    escalated_lead: list[int]
    solution_breached: list[int]
    #: (kind, complaint id) → how many people the notice was queued for.
    told: dict[tuple[str, int], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Staff:
    """Active people by role, read once per pass."""

    officials: list[Person]
    moderators: list[Person]
    leads: list[Person]
    everyone: dict[int, Person]
    scopes: dict[int, Scope]  # moderators' and leads' agencies (``storage.scope``)

    def in_charge(self, people: list[Person], agency_id: str) -> list[Person]:
        """Those of ``people`` whose region or agencies cover the agency."""
        return [p for p in people if in_scope(self.scopes.get(p.id), agency_id)]

    def officials_of(self, agency_id: str, taken_by: int | None = None) -> list[Person]:
        """The agency's officials, plus whoever pressed «В работу» if not among them."""
        found = [p for p in self.officials if agency_id in (p.agencies or [])]
        taker = self.everyone.get(taken_by) if taken_by is not None else None
        if taker is not None and taker not in found:
            found.append(taker)
        return found


async def load_staff(session: AsyncSession) -> Staff:
    people = (await session.execute(select(Person).where(Person.active.is_not(False)))).scalars()
    by_role: dict[str, list[Person]] = {}
    everyone: dict[int, Person] = {}
    for p in people:
        by_role.setdefault(p.role, []).append(p)
        everyone[p.id] = p
    moderators, leads = by_role.get("moderator", []), by_role.get("lead", [])
    scopes = {p.id: await scope_of(session, p) for p in [*moderators, *leads]}
    return Staff(
        officials=by_role.get("official", []),
        moderators=moderators,
        leads=leads,
        everyone=everyone,
        scopes=scopes,
    )


async def check_sla(deps: JobDeps, *, now: datetime) -> SlaPass:
    """One pass over the complaints whose clock has reached a stage (scheduler job)."""
    result = SlaPass([], [], [], [])
    # Answered complaints matter only to the optional solution clock.
    solution_statuses = (
        (*OPEN_STATUSES, ComplaintStatus.ANSWERED)
        if any(a.solution_hours for a in deps.registry.agencies)
        else ()
    )
    async with deps.sessions() as session, session.begin():
        staff = await load_staff(session)
        rows = (
            await session.execute(
                select(Complaint, Comment)
                .join(Comment, Comment.id == Complaint.comment_pk)
                .where(
                    Complaint.waiting_since.is_(None),
                    or_(Complaint.warn_at.is_(None), Complaint.warn_at <= now),
                    or_(
                        and_(
                            Complaint.status.in_(OPEN_STATUSES),
                            or_(
                                Complaint.escalated_lead_at.is_(None),
                                Complaint.reopened_at > Complaint.escalated_lead_at,
                            ),
                        ),
                        and_(
                            Complaint.status.in_(solution_statuses),
                            Complaint.solution_breached_at.is_(None),
                        ),
                    ),
                )
                .order_by(Complaint.id)
            )
        ).all()
        agency_names = {a.id: a.name for a in (await session.execute(select(Agency))).scalars()}
        for complaint, comment in rows:
            _check_one(deps, session, complaint, comment, staff, agency_names, now, result)
    if deps.metrics is not None:  # after the commit: count what was stamped and queued
        deps.metrics.sla_pass(result)
    _log_pass(result)
    return result


def _log_pass(result: SlaPass) -> None:
    """One INFO line per stage reached (after the commit, so only what was queued): the
    complaint's id, the level and how many were told; a WARNING when nobody was."""
    for (kind, complaint_id), told in result.told.items():
        level = LEVELS[kind]
        extra = {"event": f"sla_{kind}", "complaint": complaint_id, "level": level, "told": told}
        if told:
            log.info(
                "SLA %s: complaint %s, level %s, %d told",
                kind,
                complaint_id,
                level,
                told,
                extra=extra,
            )
        else:
            log.warning(
                "SLA %s: complaint %s, level %s, nobody to tell",
                kind,
                complaint_id,
                level,
                extra=extra,
            )


def _check_one(
    deps: JobDeps,
    session: AsyncSession,
    c: Complaint,
    comment: Comment,
    staff: Staff,
    agency_names: dict[str, str],
    now: datetime,
    result: SlaPass,
) -> None:
    policy = clock_policy(deps.registry, c)
    cal = clock_calendar(deps.registry, c)
    url = vk_comment_url(comment.owner_id, comment.post_id, comment.comment_id, comment.thread_id)
    agency = escape(agency_names.get(c.agency_id, c.agency_id))
    text = escape(excerpt(comment.text, 200))
    officials = staff.officials_of(c.agency_id, c.taken_by)
    # An urgent complaint's notices open with why it is urgent (the first line).
    urgent = (
        texts.ALERT_URGENT.format(reasons=escape(urgent_reasons_text(c.urgent_reasons or [])))
        + "\n"
        if c.urgent
        else ""
    )
    if awaiting_answer(c):
        d = current_deadlines(c, policy, cal)
        store_deadlines(c, d)
        stage = stage_at(d, now)
        _, _, clock_no = running_clock(c)
        if stage is not SlaStage.OK and not stamped_for_clock(c.nudged_at, c):
            for p in officials:
                if stage is SlaStage.WARNING:
                    left = cal.working_seconds_between(now, d.due_at)
                    tpl = texts.SLA_URGENT_NUDGE if c.urgent else texts.SLA_NUDGE
                    body = tpl.format(
                        id=c.id,
                        agency=agency,
                        left=format_working_ru(left),
                        due=local_time(d.due_at, p.tz),
                        text=text,
                        url=url,
                    )
                else:  # the watch was down during the warning window: still tell them
                    body = urgent + texts.SLA_NUDGE_LATE.format(
                        id=c.id, agency=agency, due=local_time(d.due_at, p.tz), text=text, url=url
                    )
                _queue(session, "nudge", c, clock_no, p.id, body, now)
            c.nudged_at = now
            result.nudged.append(c.id)
            result.told[("nudge", c.id)] = len(officials)
        if stage in (SlaStage.BREACHED, SlaStage.ESCALATED_LEAD) and not stamped_for_clock(
            c.escalated_at, c
        ):
            names = ", ".join(escape(p.name) for p in officials) or texts.NO_OFFICIALS
            in_charge = staff.in_charge(staff.moderators, c.agency_id)
            for p in in_charge:
                body = urgent + texts.SLA_ESCALATION.format(
                    id=c.id,
                    agency=agency,
                    due=local_time(d.due_at, p.tz),
                    officials=names,
                    text=text,
                    url=url,
                )
                _queue(session, "escalation", c, clock_no, p.id, body, now)
            c.escalated_at = now
            result.escalated.append(c.id)
            result.told[("escalation", c.id)] = len(in_charge)
        if stage is SlaStage.ESCALATED_LEAD and not stamped_for_clock(c.escalated_lead_at, c):
            # The one meaning of overdue (issue 14), as the digest and the lists count it.
            late = lateness(d.due_at, now, cal, running_clock(c)[0])
            leads = staff.in_charge(staff.leads, c.agency_id)
            lead_tpl = texts.SLA_URGENT_ESCALATION_LEAD if c.urgent else texts.SLA_ESCALATION_LEAD
            for p in leads:
                body = lead_tpl.format(
                    id=c.id,
                    agency=agency,
                    overdue=format_working_ru(late.late_s),
                    waited=format_duration_ru(late.waited_s),
                    due=local_time(d.due_at, p.tz),
                    text=text,
                    url=url,
                )
                _queue(session, "escalation_lead", c, clock_no, p.id, body, now)
            c.escalated_lead_at = now
            result.escalated_lead.append(c.id)
            result.told[("escalation_lead", c.id)] = len(leads)
    # The optional solution clock runs on the agency's working calendar, urgent or not.
    solution_cal = agency_calendar(deps.registry, c.agency_id) if c.urgent else cal
    _check_solution(session, c, policy.solution_s, solution_cal, staff, agency, url, now, result)


def _check_solution(
    session: AsyncSession,
    c: Complaint,
    solution_s: int | None,
    cal: WorkCalendar,
    staff: Staff,
    agency: str,
    url: str,
    now: datetime,
    result: SlaPass,
) -> None:
    """The optional solution clock runs from the complaint to its resolution, across
    answers and reopens; its breach goes to the moderators once."""
    if solution_s is None or c.solution_breached_at is not None:
        return
    policy = SlaPolicy(first_response_s=solution_s, solution_s=solution_s)
    due = deadlines(c.created_at, policy, cal, paused_s=c.paused_s or 0, kind="solution").due_at
    if now < due:
        return
    in_charge = staff.in_charge(staff.moderators, c.agency_id)
    for p in in_charge:
        body = texts.SLA_SOLUTION_BREACH.format(
            id=c.id, agency=agency, due=local_time(due, p.tz), url=url
        )
        _queue(session, "solution_breach", c, 0, p.id, body, now)
    c.solution_breached_at = now
    result.solution_breached.append(c.id)
    result.told[("solution_breach", c.id)] = len(in_charge)


def _queue(
    session: AsyncSession,
    kind: str,
    c: Complaint,
    clock_no: int,
    chat_id: int,
    text: str,
    now: datetime,
) -> None:
    enqueue(
        session,
        key=f"{kind}:{c.id}:{clock_no}:{chat_id}",
        chat_id=chat_id,
        kind=kind,
        complaint_id=c.id,
        payload={"text": text},
        now=now,
    )
