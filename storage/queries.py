"""Read-only questions the bot's commands ask: lists of complaints, stats, pages, people.

Each list is scoped by who asks (``storage.scope``: an official sees their agencies, a
regional moderator their region's) and returns complaint ids in a stable order, so a paged
message can be re-queried page by page.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

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
                Complaint.taken_by == person.telegram_id,
            )
        )
    else:
        stmt = stmt.where(Complaint.taken_by == person.telegram_id)
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


def _overdue(now: datetime) -> list[ColumnElement[bool]]:
    """Open past the deadline, and not waiting on the resident (that clock stands still)."""
    return [
        Complaint.status.in_(WORKING),
        Complaint.due_at < now,
        Complaint.waiting_since.is_(None),
    ]


async def overdue_ids(session: AsyncSession, person: Person, now: datetime) -> list[int]:
    return await _scoped(session, select(Complaint.id).where(*_overdue(now)), person)


async def waiting_since(session: AsyncSession, ids: list[int]) -> dict[int, datetime]:
    """Which of ``ids`` wait on the resident, and since when (for the lists' due column)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Complaint.id, Complaint.waiting_since).where(Complaint.id.in_(ids))
    )
    return {cid: at for cid, at in rows.all() if at is not None}


@dataclass(frozen=True, slots=True)
class Stats:
    received: int
    answered: int
    on_time: int
    median_response_s: int | None
    otpiska: int
    open_now: int
    overdue_now: int
    deleted: int = 0  # closed because the resident deleted the comment (issue 11)


async def stats(session: AsyncSession, person: Person, now: datetime, days: int) -> Stats:
    """Counts over complaints created in the last ``days`` days, scoped to the person.

    A complaint whose comment was deleted counts as received and, on its own line, as
    deleted; never as open or overdue (its clock stopped)."""
    since = now - timedelta(days=days)
    scope = complaint_filter(await scope_of(session, person))
    rows = (
        await session.execute(
            select(
                Complaint.answered_at,
                Complaint.due_at,
                Complaint.response_seconds,
                Complaint.status,
            ).where(Complaint.created_at >= since, *scope)
        )
    ).all()
    answered = [r for r in rows if r.answered_at is not None]
    on_time = [r for r in answered if r.due_at is None or r.answered_at <= r.due_at]
    responses = [r.response_seconds for r in answered if r.response_seconds is not None]
    otpiska = await session.scalar(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.created_at >= since, Complaint.otpiska.is_(True), *scope)
    )
    open_now = await session.scalar(
        select(func.count()).select_from(Complaint).where(Complaint.status.in_(WORKING), *scope)
    )
    overdue_now = await session.scalar(
        select(func.count()).select_from(Complaint).where(*_overdue(now), *scope)
    )
    return Stats(
        received=len(rows),
        answered=len(answered),
        on_time=len(on_time),
        median_response_s=int(statistics.median(responses)) if responses else None,
        otpiska=otpiska or 0,
        open_now=open_now or 0,
        overdue_now=overdue_now or 0,
        deleted=sum(1 for r in rows if r.status == ComplaintStatus.DELETED),
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
        select(func.count()).select_from(Person).where(Person.unreachable.is_(True))
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
