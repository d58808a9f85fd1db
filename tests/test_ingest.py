"""Ingest on a real SQLite file with the real matcher: stored once, answered, reopened, repeats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from collectors.events import Batch, CommentEvent
from config.clock import ManualClock
from config.registry import parse_registry
from matcher.classifier import classify
from matcher.quality import rate_answer
from storage.db import make_engine, make_session_factory
from storage.ingest import Ingestor, IngestResult
from storage.migrate import upgrade
from storage.models import Comment, Complaint, Notification
from storage.registry_sync import sync_registry

T0 = datetime(2026, 11, 23, 5, 5, tzinfo=UTC)  # 08:05 Moscow, a Monday
REGISTRY = parse_registry(
    {
        "agencies": [{"id": "city", "name": "Администрация"}],
        "pages": [
            {"group_id": 1001, "name": "Администрация", "agency": "city"},
            {"group_id": 1002, "name": "Район", "agency": "city"},
        ],
        "people": [
            {
                "telegram_id": 501,
                "name": "Иван",
                "role": "official",
                "agencies": ["city"],
                "vk_id": 9001,
            }
        ],
    }
)


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(db_url)
    await upgrade(engine)
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        await sync_registry(session, REGISTRY)
    yield factory
    await engine.dispose()


def comment(
    cid: int,
    text: str,
    *,
    minutes: float,
    from_id: int = 7001,
    post: int = 10,
    owner: int = -1001,
    thread: int | None = None,
    reply_to_user: int | None = None,
) -> CommentEvent:
    return CommentEvent(
        owner_id=owner,
        post_id=post,
        comment_id=cid,
        from_id=from_id,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        thread_id=thread,
        reply_to_comment=thread,
        reply_to_user=reply_to_user,
    )


async def ingest(
    factory: async_sessionmaker[AsyncSession], clock: ManualClock, *events: CommentEvent
) -> IngestResult:
    ingestor = Ingestor(REGISTRY, clock, classify, rate_answer)
    async with factory() as session, session.begin():
        return await ingestor.ingest(session, Batch(comments=list(events)))


async def test_same_comment_twice_is_stored_once_and_alerted_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(T0)
    c = comment(11, "Яма у дома 5 по ул. Ленина, когда заделаете?", minutes=0)
    first = await ingest(sessions, clock, c)
    second = await ingest(sessions, clock, c, c)
    assert first.new_complaints == [1] and second.new_complaints == []
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Comment)) == 1
        assert await s.scalar(select(func.count()).select_from(Complaint)) == 1
        alerts = (await s.execute(select(Notification.chat_id))).scalars().all()
    assert alerts == [501]


async def test_resident_reply_is_not_an_answer_but_official_reply_is(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(T0)
    await ingest(
        sessions, clock, comment(11, "Третий день нет горячей воды, когда дадут?", minutes=0)
    )
    neighbour = comment(
        12, "У нас тоже нет", minutes=10, from_id=7002, thread=11, reply_to_user=7001
    )
    result = await ingest(sessions, clock, neighbour)
    assert result.answered == []
    official = comment(
        13,
        "Подачу воды восстановят сегодня до 18:00, бригада уже на месте.",
        minutes=175,
        from_id=9001,
        thread=11,
        reply_to_user=7001,
    )
    result = await ingest(sessions, clock, official)
    assert result.answered == [1]
    async with sessions() as s:
        c = await s.get(Complaint, 1)
    assert c is not None and c.status == "answered"
    assert c.response_seconds == 175 * 60
    assert c.business_seconds == 120 * 60  # 09:00–11:00 Moscow
    assert c.otpiska is False


async def test_author_saying_nothing_changed_reopens_with_new_clock(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(T0)
    await ingest(sessions, clock, comment(11, "Когда уберут мусор во дворе на Мира 3?", minutes=0))
    await ingest(
        sessions,
        clock,
        comment(
            12,
            "Ваше обращение передано в ответственную службу.",
            minutes=60,
            from_id=-1001,
            thread=11,
            reply_to_user=7001,
        ),
    )
    thanks = await ingest(
        sessions, clock, comment(13, "Хорошо, подожду", minutes=90, thread=11, reply_to_user=-1001)
    )
    assert thanks.reopened == [] and thanks.new_complaints == []
    later = await ingest(
        sessions,
        clock,
        comment(
            14,
            "Прошла неделя, до сих пор ничего не убрали",
            minutes=60 * 24 * 2,
            thread=11,
            reply_to_user=-1001,
        ),
    )
    assert later.reopened == [1] and later.new_complaints == []
    async with sessions() as s:
        c = await s.get(Complaint, 1)
        updates = (await s.execute(select(Notification.kind).order_by(Notification.id))).all()
    assert c is not None
    assert (c.status, c.reopen_count, c.answered_at) == ("open", 1, None)
    assert c.due_at is not None and c.due_at > T0 + timedelta(days=2)
    assert [k for (k,) in updates] == ["alert", "update", "update"]  # answered, then reopened


async def test_same_author_same_topic_within_30_days_is_linked_as_repeat(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(T0)
    await ingest(
        sessions, clock, comment(11, "Яма на дороге у дома 5 по Ленина, заделайте!", minutes=0)
    )
    again = await ingest(
        sessions,
        clock,
        comment(
            31,
            "Опять яма на Ленина 5, колесо пробил, когда отремонтируете дорогу?",
            minutes=60 * 24 * 5,
            post=30,
        ),
    )
    copy_elsewhere = await ingest(
        sessions,
        clock,
        comment(
            41,
            "Яма на дороге у дома 5 по Ленина, заделайте!",
            minutes=60 * 24 * 6,
            post=40,
            owner=-1002,
            from_id=7777,
        ),
    )
    stranger = await ingest(
        sessions,
        clock,
        comment(
            51,
            "Когда починят светофор на перекрёстке Мира и Гагарина?",
            minutes=60 * 24 * 7,
            post=50,
            from_id=8888,
        ),
    )
    async with sessions() as s:
        rows = {c.id: c.repeat_of for c in (await s.execute(select(Complaint))).scalars()}
    assert again.new_complaints and copy_elsewhere.new_complaints and stranger.new_complaints
    assert rows[again.new_complaints[0]] == 1
    assert rows[copy_elsewhere.new_complaints[0]] == 1
    assert rows[stranger.new_complaints[0]] is None
