"""Shared builders for the issue-6 tests: a small two-zone region and complaints in it."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.scheduler import JobDeps
from config.clock import ManualClock
from config.registry import Registry, parse_registry
from matcher.sla import deadlines
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Comment, Complaint, ComplaintStatus, Notification
from storage.registry_sync import sync_registry
from storage.sla_clock import agency_calendar, agency_policy

REGION: dict[str, Any] = {
    "agencies": [
        {"id": "city", "name": "Администрация г. Примерска", "tz": "Europe/Moscow"},
        {"id": "water", "name": "Примерскводоканал", "tz": "Europe/Moscow"},
        {
            "id": "nsk",
            "name": "Мэрия Новосибирска",
            "tz": "Asia/Novosibirsk",
            "escalate_lead_after_hours": 2,
        },
    ],
    "pages": [
        {"group_id": 1001, "name": "Администрация г. Примерска", "agency": "city"},
        {"group_id": 1002, "name": "Примерскводоканал", "agency": "water"},
        {"group_id": 2001, "name": "Мэрия Новосибирска", "agency": "nsk"},
    ],
    "people": [
        {"telegram_id": 501, "name": "Иван Петров", "role": "official", "agencies": ["city"]},
        {"telegram_id": 502, "name": "Пётр Сибиряков", "role": "official", "agencies": ["nsk"]},
        {"telegram_id": 601, "name": "Ольга Смирнова", "role": "moderator"},
        {"telegram_id": 701, "name": "Андрей Руководитель", "role": "lead"},
        {
            "telegram_id": 702,
            "name": "Сергей Сибирский",
            "role": "lead",
            "tz": "Asia/Novosibirsk",
        },
    ],
}

MSK = "+03:00"
_ids = itertools.count(100)


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text + MSK)


def region(**agency_overrides: Any) -> Registry:
    data = {**REGION}
    if agency_overrides:
        data["agencies"] = [{**a, **agency_overrides.get(a["id"], {})} for a in REGION["agencies"]]
    return parse_registry(data)


@asynccontextmanager
async def region_db(db_url: str, registry: Registry, now: datetime) -> AsyncIterator[JobDeps]:
    """A migrated database with the registry synced, and job deps on a manual clock."""
    engine = make_engine(db_url)
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        async with sessions() as session, session.begin():
            await sync_registry(session, registry)
        yield JobDeps(sessions, ManualClock(now), registry)
    finally:
        await engine.dispose()


async def add_complaint(
    sessions: async_sessionmaker[AsyncSession],
    registry: Registry,
    *,
    created_at: datetime,
    agency: str = "city",
    page: int | None = None,
    topic: str = "roads",
    text: str = "Яма у дома 5 по ул. Ленина",
    answered_after_s: int | None = None,
    working_s: int | None = None,
    otpiska: bool | None = None,
    quality: int | None = None,
    status: str | None = None,
    **fields: Any,
) -> int:
    """Store a comment and its complaint with the deadlines ingest would give it."""
    page = page or {"city": 1001, "water": 1002, "nsk": 2001}[agency]
    d = deadlines(created_at, agency_policy(registry, agency), agency_calendar(registry, agency))
    comment_id = next(_ids)
    async with sessions() as session, session.begin():
        cm = Comment(
            owner_id=-page,
            post_id=10,
            comment_id=comment_id,
            from_id=7000 + comment_id,
            author_name="Житель",
            text=text,
            created_at=created_at,
            stored_at=created_at,
        )
        session.add(cm)
        await session.flush()
        answered = (
            None if answered_after_s is None else created_at + timedelta(seconds=answered_after_s)
        )
        c = Complaint(
            comment_pk=cm.id,
            owner_id=-page,
            post_id=10,
            comment_id=comment_id,
            author_id=cm.from_id,
            agency_id=agency,
            route_rule="test",
            topic=topic,
            score=0.9,
            status=status
            or (ComplaintStatus.ANSWERED if answered is not None else ComplaintStatus.OPEN),
            created_at=created_at,
            due_at=d.due_at,
            warn_at=d.warn_at,
            escalate_lead_at=d.escalate_lead_at,
            answered_at=answered,
            response_seconds=answered_after_s,
            business_seconds=working_s,
            otpiska=otpiska,
            quality=quality,
            **fields,
        )
        session.add(c)
        await session.flush()
        return c.id


async def outbox(sessions: async_sessionmaker[AsyncSession]) -> list[Notification]:
    async with sessions() as session:
        rows = await session.execute(select(Notification).order_by(Notification.id))
        return list(rows.scalars())


async def monday_complaints(deps: JobDeps) -> dict[str, int]:
    """Monday 23 November 2026 as both the digest and the weekly ranking are checked on: the
    city answers in an hour, the water utility after ten hours (8 h 30 min of working time)
    and leaves another complaint unanswered since 08:00."""
    reg, s = deps.registry, deps.sessions
    return {
        "fast": await add_complaint(
            s,
            reg,
            created_at=msk("2026-11-23T09:00:00"),
            answered_after_s=3600,
            working_s=3600,
            otpiska=False,
            quality=80,
            text="Яма у дома 5",
        ),
        "late": await add_complaint(
            s,
            reg,
            created_at=msk("2026-11-23T09:30:00"),
            agency="water",
            topic="housing",
            answered_after_s=36000,
            working_s=30600,
            otpiska=False,
            quality=60,
        ),
        "overdue": await add_complaint(
            s,
            reg,
            created_at=msk("2026-11-23T08:00:00"),
            agency="water",
            topic="housing",
            text="Нет воды в доме 7",
        ),
    }


async def add_otpiska(deps: JobDeps, created_at: datetime) -> int:
    """A city complaint answered two hours later with an «отписка» (quality 20)."""
    return await add_complaint(
        deps.sessions,
        deps.registry,
        created_at=created_at,
        answered_after_s=7200,
        working_s=7200,
        otpiska=True,
        quality=20,
    )
