"""Read-only questions the bot's commands ask: lists of complaints, stats, pages, people.

Each list is scoped by who asks (``storage.scope``: an official sees their agencies, a
regional moderator their region's) and returns complaint ids in a stable order, so a paged
message can be re-queried page by page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from matcher.overdue import Lateness, lateness
from matcher.sla import SlaPolicy, deadlines
from matcher.stats import AgencyFigures, ComplaintFacts, agency_figures
from matcher.workcalendar import WorkCalendar, WorkSchedule
from storage.actions import WORKING
from storage.collector_status import CollectorStatus, collector_status
from storage.models import (
    Agency,
    Complaint,
    ComplaintStatus,
    Notification,
    OutboxStatus,
    Page,
    Person,
)
from storage.orphans import Unreached, unreached_agencies
from storage.scope import complaint_filter, scope_of
from storage.sla_clock import awaiting_answer, running_clock


async def _scoped(session: AsyncSession, stmt: Select[int], person: Person) -> list[int]:
    """The ids ``stmt`` finds among the complaints ``person`` sees, soonest deadline first."""
    stmt = stmt.where(*complaint_filter(await scope_of(session, person)))
    return list((await session.execute(stmt.order_by(Complaint.due_at, Complaint.id))).scalars())


async def my_ids(session: AsyncSession, person: Person) -> list[int]:
    """An official's open complaints; for others, the ones they took «В работу»."""
    stmt = select(Complaint.id).where(Complaint.status.in_(WORKING))
    if person.role == "official":
        stmt = stmt.where(
            or_(
                Complaint.agency_id.in_(list(person.agencies or [])),
                Complaint.taken_by == person.id,
            )
        )
    else:
        stmt = stmt.where(Complaint.taken_by == person.id)
    return list((await session.execute(stmt.order_by(Complaint.due_at, Complaint.id))).scalars())


async def open_ids(
    session: AsyncSession, person: Person, *, topic: str | None = None, page: int | None = None
) -> list[int]:
    stmt = select(Complaint.id).where(Complaint.status.in_(WORKING))
    if topic is not None:
        stmt = stmt.where(Complaint.topic == topic)
    if page is not None:
        stmt = stmt.where(Complaint.owner_id == -page)
    return await _scoped(session, stmt, person)


def overdue_filter(now: datetime) -> list[ColumnElement[bool]]:
    """Overdue, the one meaning (issue 14): waiting for an answer on the clock that runs now
    (the first, or a reopen's: the status is open or in work), not paused on the resident
    (that clock stands still), at or past the deadline (``matcher.sla.stage_at``).  The
    lists, /stats, the digest and the reports all use this; how late is
    :func:`matcher.overdue.lateness`, in working time."""
    return [
        Complaint.status.in_(WORKING),
        Complaint.due_at <= now,
        Complaint.waiting_since.is_(None),
    ]


async def overdue_ids(session: AsyncSession, person: Person, now: datetime) -> list[int]:
    return await _scoped(session, select(Complaint.id).where(*overdue_filter(now)), person)


@dataclass(frozen=True, slots=True)
class AgencyClock:
    """What the figures need to know of an agency: its name, calendar and targets."""

    name: str
    calendar: WorkCalendar
    first_response_s: int
    urgent_s: int = 2 * 3600

    def calendar_for(self, c: Complaint) -> WorkCalendar:
        """The calendar the complaint's clocks run on: round the clock when it is urgent
        (issue 12, as ``storage.sla_clock.clock_calendar``), the agency's otherwise."""
        if c.urgent and not self.calendar.schedule.always_open:
            return work_calendar(self.calendar.schedule.tz, True)
        return self.calendar


@functools.lru_cache(maxsize=64)
def work_calendar(tz: str = "Europe/Moscow", always_open: bool = False) -> WorkCalendar:
    """One calendar per (zone, 24/7), shared: its per-year tables are built once."""
    return WorkCalendar(WorkSchedule(tz=tz, always_open=always_open))


def agency_calendar_of(agency: Agency | None) -> WorkCalendar:
    """The agency's working calendar (the default one for an agency since removed)."""
    return work_calendar(agency.tz, agency.always_open) if agency else work_calendar()


def default_clock(agency_id: str) -> AgencyClock:
    """An agency since removed: the default calendar and target (as the SLA watch does)."""
    return AgencyClock(agency_id, work_calendar(), 8 * 3600)


async def agency_clocks(session: AsyncSession) -> dict[str, AgencyClock]:
    rows = (await session.execute(select(Agency))).scalars()
    return {a.id: agency_clock(a, a.id) for a in rows}


def clock_of(clocks: dict[str, AgencyClock], agency_id: str) -> AgencyClock:
    return clocks.get(agency_id) or default_clock(agency_id)


def agency_clock(agency: Agency | None, agency_id: str) -> AgencyClock:
    """One agency's :class:`AgencyClock` from its row (None: since removed)."""
    if agency is None:
        return default_clock(agency_id)
    return AgencyClock(
        agency.name, agency_calendar_of(agency), agency.first_response_s, agency.urgent_s
    )


def complaint_lateness(c: Complaint, now: datetime, clock: AgencyClock) -> Lateness | None:
    """How late the running clock of ``c`` is at ``now`` (working time, or calendar time for
    an urgent complaint), with the calendar time since it started; None when no clock runs
    (answered, closed, paused on the resident, no deadline)."""
    if c.due_at is None or c.waiting_since is not None or not awaiting_answer(c):
        return None
    cal = clock.calendar_for(c)
    return lateness(c.due_at, now, cal, running_clock(c)[0], round_the_clock=bool(c.urgent))


def complaint_facts(c: Complaint, clock: AgencyClock) -> ComplaintFacts:
    """The statistics' view of a stored complaint: its *first* answer and first deadline,
    whatever reopens came after (issue 14), and the reopen's own figure.

    Stored (migration 0010), a reopen keeps the first answer in ``answered_at`` and the
    figures beside it, and the first deadline in ``first_due_at``; the answer to the latest
    reopen has ``reopen_*`` columns of its own, measured from the reopen.  ``due_at`` is the
    running clock's deadline.  A complaint reopened before 0010 has lost its first answer
    and its first deadline, which is then recomputed from the agency's calendar and target.
    """
    first_due = c.first_due_at
    if first_due is None and c.reopened_at is None:
        first_due = c.due_at
    elif first_due is None:
        target = clock.urgent_s if c.urgent else clock.first_response_s
        policy = SlaPolicy(first_response_s=target)
        paused = c.paused_before_clock_s or 0
        first_due = deadlines(c.created_at, policy, clock.calendar_for(c), paused_s=paused).due_at
    answered = c.answered_at is not None
    update_s = c.reopen_business_seconds if c.reopen_answered_at is not None else None
    running = c.due_at if c.waiting_since is None and awaiting_answer(c) else None
    return ComplaintFacts(
        agency_id=c.agency_id,
        topic=c.topic,
        created_at=c.created_at,
        due_at=first_due,
        answered_at=c.answered_at,
        response_s=c.response_seconds if answered else None,
        working_s=c.business_seconds if answered else None,
        otpiska=c.otpiska if answered else None,
        quality=c.quality if answered else None,
        deleted=c.status == ComplaintStatus.DELETED,
        reopened=c.reopen_count or 0,
        update_working_s=update_s,
        awaiting_due_at=running,
    )


@dataclass(frozen=True, slots=True)
class Stats:
    """/stats: the period's complaints (by the digest's definitions) and the backlog now."""

    figures: AgencyFigures  # complaints created in the period, first answers
    open_now: int
    overdue_now: int

    @property
    def received(self) -> int:
        return self.figures.complaints

    @property
    def deleted(self) -> int:
        return self.figures.deleted


async def stats(session: AsyncSession, person: Person, now: datetime, days: int) -> Stats:
    """Figures over complaints created in the last ``days`` days, scoped to the person, as
    the digest counts them (``matcher.stats``: first answers, working time); «не жалоба» is
    left out, a deleted comment counts on its own line; the backlog is counted now."""
    since = now - timedelta(days=days)
    scope = complaint_filter(await scope_of(session, person))
    rows = (
        await session.execute(
            select(Complaint).where(
                Complaint.created_at >= since,
                Complaint.status != ComplaintStatus.DISMISSED,
                *scope,
            )
        )
    ).scalars()
    clocks = await agency_clocks(session)
    facts = [complaint_facts(c, clock_of(clocks, c.agency_id)) for c in rows]
    open_now = await session.scalar(
        select(func.count()).select_from(Complaint).where(Complaint.status.in_(WORKING), *scope)
    )
    overdue_now = await session.scalar(
        select(func.count()).select_from(Complaint).where(*overdue_filter(now), *scope)
    )
    return Stats(
        figures=agency_figures("*", facts, now),
        open_now=open_now or 0,
        overdue_now=overdue_now or 0,
    )


async def pages(session: AsyncSession) -> list[Page]:
    return list((await session.execute(select(Page).order_by(Page.name))).scalars())


async def people(session: AsyncSession) -> list[Person]:
    return list(
        (
            await session.execute(
                select(Person).where(Person.active.is_(True)).order_by(Person.role, Person.name)
            )
        ).scalars()
    )


@dataclass(frozen=True, slots=True)
class Health:
    pages: int
    fresh: int
    never: int
    last_checked_at: datetime | None
    unreachable: list[tuple[str, str]]
    outbox_pending: int
    outbox_failed: int
    blocked: int
    # Issue 11: agencies no official hears from, (id, name, why): their complaints go to the
    # moderators.
    unreached: list[tuple[str, str, Unreached]] = field(default_factory=list)
    # Issue 11: whether VK serves the collectors, and posts past the watch window.
    collector: CollectorStatus = field(default_factory=CollectorStatus)


async def health(session: AsyncSession, now: datetime) -> Health:
    """The collector's health as the database sees it, plus the outbox's, plus the agencies
    whose complaints reach no official."""
    all_pages = await pages(session)
    checked = [p.last_checked_at for p in all_pages if p.last_checked_at is not None]
    pending = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.status == OutboxStatus.PENDING)
    )
    failed = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.status == OutboxStatus.FAILED)
    )
    blocked = await session.scalar(
        select(func.count()).select_from(Person).where(~Person.reachable)
    )
    names = dict((await session.execute(select(Agency.id, Agency.name))).all())
    unreached = [
        (agency, names.get(agency, agency), why)
        for agency, why in (await unreached_agencies(session, now)).items()
    ]
    return Health(
        pages=len(all_pages),
        fresh=sum(1 for at in checked if at >= now - timedelta(hours=1)),
        never=len(all_pages) - len(checked),
        last_checked_at=max(checked) if checked else None,
        unreachable=[(p.name, p.unreachable_reason) for p in all_pages if p.unreachable_reason],
        outbox_pending=pending or 0,
        outbox_failed=failed or 0,
        blocked=blocked or 0,
        unreached=sorted(unreached, key=lambda u: u[1]),
        collector=await collector_status(session, now),
    )
