"""Ingest on a real SQLite file with the real matcher: stored once, answered, reopened, repeats."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from collectors.events import Batch, CommentChange, CommentEvent, PostEvent
from config.clock import ManualClock
from config.registry import Registry, parse_registry
from matcher.classifier import Classification, classify
from matcher.followup import NEAR_DUPLICATE, fingerprint, shared_keys_needed, similarity
from matcher.quality import AnswerRating, rate_answer
from matcher.topics import Topic
from storage.db import make_engine, make_session_factory
from storage.ingest import Ingestor, IngestResult
from storage.migrate import upgrade
from storage.models import AuditEntry, Comment, Complaint, ComplaintKey, Notification
from storage.registry_sync import sync_registry
from storage.repeats import REPEAT_WINDOW, KeyStats, _plan, stored_keys

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


# The same city with a roads department that takes every roads complaint.
ROADS_REGISTRY = parse_registry(
    {
        **REGISTRY.model_dump(mode="json"),
        "agencies": [{"id": "city", "name": "Администрация"}, {"id": "roads", "name": "Дороги"}],
        "rules": [{"topic": "roads", "agency": "roads"}],
    }
)


async def migrated(
    db_url: str, registry: Registry
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(db_url)
    await upgrade(engine)
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        await sync_registry(session, registry)
    yield factory
    await engine.dispose()


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async for factory in migrated(db_url, REGISTRY):
        yield factory


@pytest.fixture
async def roads_sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async for factory in migrated(db_url, ROADS_REGISTRY):
        yield factory


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
    factory: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    *events: CommentEvent,
    registry: Registry = REGISTRY,
) -> IngestResult:
    ingestor = Ingestor(registry, clock, classify, rate_answer)
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
    # Waiting again, on a clock of its own; the first answer is kept (issue 14).
    assert (c.status, c.reopen_count, c.reopen_answered_at) == ("open", 1, None)
    assert c.answered_at == T0 + timedelta(minutes=60)
    assert c.due_at is not None and c.due_at > T0 + timedelta(days=2)
    assert [k for (k,) in updates] == ["alert", "update", "update"]  # answered, then reopened


@pytest.mark.parametrize(
    ("reply", "reopens"),
    [
        ("Хорошо, жду звонка", False),  # agreeing to wait is no complaint that nothing changed
        ("Ясно. Ждём", False),
        ("А сроки какие?", True),  # asked again: the answer did not do
        ("Ну и?", True),
        ("И?", True),  # a bare prod: a shrug under news, asking again under the page's answer
        ("Понятно, спасибо", False),
        # VK's own prefix of a reply to the page's comment: the dispute is addressed to it
        ("[club1001|Администрация], вы сами-то там были?", True),
        ("[club1001|Администрация], спасибо!", False),
    ],
)
async def test_the_authors_reply_under_an_answer_reopens_only_when_it_asks_again(
    sessions: async_sessionmaker[AsyncSession], reply: str, reopens: bool
) -> None:
    clock = ManualClock(T0)
    await ingest(sessions, clock, comment(11, "Когда уберут мусор во дворе на Мира 3?", minutes=0))
    answer = "Ваше обращение передано в ответственную службу."
    await ingest(
        sessions,
        clock,
        comment(12, answer, minutes=60, from_id=-1001, thread=11, reply_to_user=7001),
    )
    result = await ingest(
        sessions, clock, comment(13, reply, minutes=90, thread=11, reply_to_user=-1001)
    )
    assert result.reopened == ([1] if reopens else [])
    assert result.new_complaints == []
    async with sessions() as s:
        c = await s.get(Complaint, 1)
    assert c is not None and c.status == ("open" if reopens else "answered")


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


# ====================================================================== issue 7: batched ingest
# Repeats come from the ``complaint_keys`` index, not from reading every complaint: these tests
# hold it to the old definition (earliest complaint in 30 days with the same author and topic,
# or ``similarity >= 0.8``), across batches, pages, processes and rollbacks.

ROADS = Classification(True, 0.9, Topic.ROADS, 0.9, ("test",))
WATER = Classification(True, 0.9, Topic.HOUSING, 0.9, ("test",))
CHATTER = Classification(False, 0.1, Topic.OTHER, 0.5, ("test",))


def stub_classify(text: str) -> Classification:
    """ "!" starts a complaint; "!!" one about water, so topics differ too."""
    if text.startswith("!!"):
        return WATER
    return ROADS if text.startswith("!") else CHATTER


def stub_rate(_q: str, _a: str) -> AnswerRating:
    return AnswerRating(False, 80, ())


def corpus_complaints() -> list[str]:
    path = Path(__file__).resolve().parent.parent / "matcher" / "data" / "corpus.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [r["text"] for r in rows if r["needs_answer"]]


async def ingest_with(
    factory: async_sessionmaker[AsyncSession], ingestor: Ingestor, *events: CommentEvent
) -> IngestResult:
    async with factory() as session, session.begin():
        return await ingestor.ingest(session, Batch(comments=list(events)))


async def repeat_of(factory: async_sessionmaker[AsyncSession], complaint_id: int) -> int | None:
    async with factory() as s:
        c = await s.get(Complaint, complaint_id)
    assert c is not None
    return c.repeat_of


def test_index_keys_never_miss_a_near_duplicate() -> None:
    """Every pair that ``similarity`` calls near-duplicates shares enough index keys in the
    same part of the index (or the whole-set key), over corpus texts and their edited copies,
    and two very long texts that differ by a number."""
    rng = random.Random(5)
    base = corpus_complaints()
    texts = list(base[:150])
    for t in base[:80]:
        texts += [
            "Повторно пишу! " + t,
            t[: len(t) * 3 // 4],
            t + " уже неделю",
            t.upper(),
            t.replace("1", "7"),
            f"{t} дом {rng.randint(1, 9)}",
        ]
    texts += ["", "!!!", "яма", "дом 5", "дом 7", "12345", "ул 5 дом 7", "ул 7 дом 5"]
    # Over LONG_TEXT shingles (listed in part 0), so long that a number added at the end
    # still leaves a near-duplicate: 9,000 random words, some 62,000 distinct shingles.
    huge = " ".join(
        "".join(rng.choice("абвгдежзиклмнопрстуфхцчшщэюя") for _ in range(6)) for _ in range(9000)
    )
    texts += [huge, huge + " 987654"]
    stats = KeyStats()
    found = 0
    for i, text in enumerate(texts):
        probe = _plan(text, stats)
        a = probe.size
        keys = {*probe.keys, *probe.long_keys}
        for j in range(i):
            if similarity(texts[j], text) < NEAR_DUPLICATE:
                continue
            found += 1
            fb = fingerprint(texts[j])
            b = len(fb.shingles)
            listed = set(stored_keys(fb))
            whole = probe.whole in listed and a == b
            assert whole or len(keys & listed) >= shared_keys_needed(a, b) > 0, (
                text[:80],
                texts[j][:80],
            )
    assert found > 200
    assert similarity(huge, huge + " 987654") >= NEAR_DUPLICATE
    assert fingerprint(huge).numbers != fingerprint(huge + " 987654").numbers


async def test_repeat_found_among_hundreds_of_stored_complaints_on_another_page(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(T0)
    ingestor = Ingestor(REGISTRY, clock, stub_classify, stub_rate)
    texts = corpus_complaints()[:300]
    events = [
        comment(1000 + k, "! " + t, minutes=k, from_id=20_000 + k, post=100 + k // 50)
        for k, t in enumerate(texts)
    ]
    for k in range(0, len(events), 100):
        await ingest_with(sessions, ingestor, *events[k : k + 100])
    original = texts[137]
    copy = await ingest_with(
        sessions,
        ingestor,
        comment(5000, "! " + original, minutes=600, from_id=99_001, owner=-1002, post=7),
        comment(5001, "! Повторно пишу! " + original, minutes=601, from_id=99_002, owner=-1002),
        comment(5002, "! Совсем другое: сломан светофор", minutes=602, from_id=99_003),
    )
    async with sessions() as s:
        first = await s.scalar(select(Complaint.id).where(Complaint.comment_id == 1137))
        expected = first
        # The earliest near-duplicate wins: an earlier complaint may say the same.
        for cid, text in (
            await s.execute(
                select(Complaint.id, Comment.text)
                .join(Comment, Comment.id == Complaint.comment_pk)
                .order_by(Complaint.created_at, Complaint.id)
            )
        ).all():
            if similarity(text, "! " + original) >= NEAR_DUPLICATE:
                expected = cid
                break
    assert first is not None and copy.repeats == 2
    assert await repeat_of(sessions, copy.new_complaints[0]) == expected
    assert await repeat_of(sessions, copy.new_complaints[2]) is None


async def test_repeat_within_the_same_batch(sessions: async_sessionmaker[AsyncSession]) -> None:
    clock = ManualClock(T0)
    ingestor = Ingestor(REGISTRY, clock, stub_classify, stub_rate)
    text = "! Третий день не вывозят мусор во дворе дома 12 по улице Мира"
    result = await ingest_with(
        sessions,
        ingestor,
        comment(11, text, minutes=0, from_id=7001),
        comment(12, "! Яма на Садовой", minutes=1, from_id=7002),
        comment(13, text + "!!!", minutes=2, from_id=7003, owner=-1002),  # a copy elsewhere
        comment(14, "! Опять яма на Садовой, колесо пробил", minutes=3, from_id=7002),
        comment(15, "!! Нет воды на Садовой", minutes=4, from_id=7002),  # other topic
    )
    first, pothole, copy, again, water = result.new_complaints
    assert await repeat_of(sessions, copy) == first
    assert await repeat_of(sessions, again) == pothole  # same author and topic
    assert await repeat_of(sessions, water) is None
    assert await repeat_of(sessions, first) is None
    assert result.repeats == 2


async def test_another_process_committed_complaint_is_a_repeat_target(
    db_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Two ingestors with their own engines (two processes) share only the database."""
    clock = ManualClock(T0)
    mine = Ingestor(REGISTRY, clock, stub_classify, stub_rate)
    engine = make_engine(db_url)
    other_sessions = make_session_factory(engine)
    other = Ingestor(REGISTRY, clock, stub_classify, stub_rate)
    try:
        warm = await ingest_with(sessions, mine, comment(1, "! Яма на Ленина 5", minutes=0))
        text = "! Второй месяц не работает освещение в парке у дома 3 по Советской"
        theirs = await ingest_with(
            other_sessions, other, comment(2, text, minutes=5, from_id=8001, owner=-1002)
        )
        ours = await ingest_with(
            sessions, mine, comment(3, "! " + text[2:] + " Сделайте!", minutes=9, from_id=8002)
        )
        back = await ingest_with(
            other_sessions, other, comment(4, "! Яма на Ленина 5!", minutes=12, from_id=8003)
        )
    finally:
        await engine.dispose()
    assert await repeat_of(sessions, ours.new_complaints[0]) == theirs.new_complaints[0]
    assert await repeat_of(sessions, back.new_complaints[0]) == warm.new_complaints[0]


async def test_rolled_back_batch_leaves_no_repeat_target(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(T0)
    ingestor = Ingestor(REGISTRY, clock, stub_classify, stub_rate)
    text = "! Во дворе дома 8 по Школьной сломали детскую площадку, кто ответит?"

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with sessions() as session, session.begin():
            lost = await ingestor.ingest(session, Batch(comments=[comment(1, text, minutes=0)]))
            assert lost.new_complaints
            raise Boom
    kept = await ingest_with(sessions, ingestor, comment(2, text, minutes=5, from_id=7002))
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Complaint)) == 1
        listed = await s.execute(select(ComplaintKey.complaint_id).distinct())
    assert await repeat_of(sessions, kept.new_complaints[0]) is None
    assert list(listed.scalars()) == kept.new_complaints


async def test_edited_complaint_is_compared_by_its_current_text(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(T0)
    ingestor = Ingestor(REGISTRY, clock, stub_classify, stub_rate)
    before = "! Не вывозят мусор с контейнерной площадки у дома 4 по Гагарина"
    after = "! Разбит тротуар вдоль школы номер 9, дети падают каждый день"
    first = await ingest_with(sessions, ingestor, comment(1, before, minutes=0, from_id=7001))
    edit = replace(comment(1, after, minutes=0, from_id=7001), change=CommentChange.EDIT)
    await ingest_with(sessions, ingestor, edit)
    old_copy = await ingest_with(sessions, ingestor, comment(2, before, minutes=5, from_id=7002))
    new_copy = await ingest_with(sessions, ingestor, comment(3, after, minutes=6, from_id=7003))
    assert await repeat_of(sessions, old_copy.new_complaints[0]) is None
    assert await repeat_of(sessions, new_copy.new_complaints[0]) == first.new_complaints[0]


async def test_answer_and_follow_up_later_in_the_batch_see_its_new_complaint(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Events are decided in order against the batch's own complaints: a follow-up in the
    author's thread is no new complaint, an official's reply answers, the author's «ничего не
    сделали» reopens, and a second answer answers again (its card refreshed once)."""
    clock = ManualClock(T0)
    ingestor = Ingestor(REGISTRY, clock, classify, rate_answer)
    result = await ingest_with(
        sessions,
        ingestor,
        comment(11, "Третий день нет горячей воды в доме 7 по Мира, когда дадут?", minutes=0),
        comment(12, "Уточню: подъезд 2", minutes=1, thread=11, reply_to_user=-1001),
        comment(
            13,
            "Подачу воды восстановят сегодня до 18:00, бригада уже на месте.",
            minutes=30,
            from_id=9001,
            thread=11,
            reply_to_user=7001,
        ),
        comment(14, "Уже вечер, до сих пор нет воды!", minutes=600, thread=11, reply_to_user=9001),
        comment(
            15,
            "Бригада работает, воду дадут к утру.",
            minutes=620,
            from_id=9001,
            thread=11,
            reply_to_user=7001,
        ),
    )
    assert result.new_complaints == [1]
    assert result.answered == [1, 1] and result.reopened == [1]
    async with sessions() as s:
        c = await s.get(Complaint, 1)
        kinds = (await s.execute(select(Notification.kind).order_by(Notification.id))).all()
        audit = (await s.execute(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert c is not None and (c.status, c.reopen_count) == ("answered", 1)
    assert [a for (a,) in audit] == ["complaint_created", "answered", "reopened", "answered"]
    assert [k for (k,) in kinds] == ["alert", "update", "update"]


async def test_top_level_follow_up_after_an_answer_in_the_same_batch_reopens(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(T0)
    ingestor = Ingestor(REGISTRY, clock, classify, rate_answer)
    result = await ingest_with(
        sessions,
        ingestor,
        comment(11, "Когда уберут мусор во дворе на Мира 3?", minutes=0),
        comment(
            12,
            "Здравствуйте! Вывоз запланирован на завтра.",
            minutes=30,
            from_id=-1001,
            thread=11,
            reply_to_user=7001,
        ),
        comment(13, "Прошла неделя, до сих пор ничего не убрали", minutes=60 * 24 * 7),
        comment(14, "Когда починят светофор на Гагарина?", minutes=60 * 24 * 7 + 1, post=11),
    )
    assert result.new_complaints == [1, 2]
    assert result.answered == [1] and result.reopened == [1]
    async with sessions() as s:
        c = await s.get(Complaint, 1)
    assert c is not None and (c.status, c.reopen_count, c.reopen_answered_at) == ("open", 1, None)
    assert c.answered_at == T0 + timedelta(minutes=30)  # the first answer stays (issue 14)


def _expected_repeats(rows: list[tuple[int, int, str, datetime, str]]) -> dict[int, int | None]:
    """The old definition, by brute force: for each complaint (in id order) the earliest
    (created_at, id) earlier-stored complaint within its 30 days with the same author and
    topic or a near-identical text."""
    out: dict[int, int | None] = {}
    for k, (cid, author, topic, at, text) in enumerate(rows):
        best: tuple[datetime, int] | None = None
        for oid, o_author, o_topic, o_at, o_text in rows[:k]:
            if not at - REPEAT_WINDOW <= o_at <= at:
                continue
            if (o_author == author and o_topic == topic) or similarity(
                o_text, text
            ) >= NEAR_DUPLICATE:
                best = min(best or (o_at, oid), (o_at, oid))
        out[cid] = best[1] if best else None
    return out


@pytest.mark.parametrize("hot_key", [48, 2])
async def test_repeats_match_the_brute_force_definition(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch, hot_key: int
) -> None:
    """Random batches (late comments, copies, numbers changed, few authors, two topics, a
    40-day span) link exactly the complaints that comparing with every complaint links; also
    when nearly every key counts as common and is skipped where the bound allows."""
    monkeypatch.setattr("storage.repeats.HOT_KEY", hot_key)
    rng = random.Random(11)
    bases = corpus_complaints()[:40]
    clock = ManualClock(T0)
    ingestor = Ingestor(REGISTRY, clock, stub_classify, stub_rate)
    said: list[str] = []
    cid = 100
    for _ in range(8):
        events = []
        for _ in range(40):
            cid += 1
            roll = rng.random()
            if said and roll < 0.25:
                text = rng.choice(said)
            elif said and roll < 0.35:
                text = "! Повторно! " + rng.choice(said).lstrip("!")
            elif said and roll < 0.45:
                text = rng.choice(said) + f" дом {rng.randint(1, 3)}"
            elif roll < 0.55:
                text = "чат " + rng.choice(bases)
            else:
                text = rng.choice(["! ", "!! "]) + rng.choice(bases)
            said.append(text)
            events.append(
                comment(
                    cid,
                    text,
                    minutes=rng.uniform(0, 40 * 24 * 60),
                    from_id=rng.randint(7001, 7012),
                    owner=rng.choice([-1001, -1002]),
                    post=rng.randint(1, 30),
                )
            )
        await ingest_with(sessions, ingestor, *events)
    async with sessions() as s:
        rows = (
            await s.execute(
                select(
                    Complaint.id,
                    Complaint.author_id,
                    Complaint.topic,
                    Complaint.created_at,
                    Comment.text,
                    Complaint.repeat_of,
                )
                .join(Comment, Comment.id == Complaint.comment_pk)
                .order_by(Complaint.id)
            )
        ).all()
    expected = _expected_repeats([(r[0], r[1], r[2], r[3], r[4]) for r in rows])
    got = {r[0]: r[5] for r in rows}
    assert len(rows) > 100 and sum(v is not None for v in expected.values()) > 30
    assert got == expected


async def test_complaints_stored_before_the_index_are_indexed_by_the_migration(
    db_url: str,
) -> None:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    mine = next(r for r in script.walk_revisions() if r.revision.startswith("i0008"))
    engine = make_engine(db_url)
    try:
        await upgrade(engine, str(mine.down_revision))
        factory = make_session_factory(engine)
        # The old schema's tables as they are (today's models have columns added since).
        old = MetaData()
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: old.reflect(sync, only=["agencies", "complaints"]))
        async with factory() as session, session.begin():
            await session.execute(
                old.tables["agencies"]
                .insert()
                .values(
                    id="city",
                    name="Администрация",
                    tz="Europe/Moscow",
                    always_open=False,
                    first_response_s=8 * 3600,
                )
            )
        text = "! Сломана лавочка у подъезда дома 6 по Набережной"
        clock = ManualClock(T0)
        # Stored by the old schema's code path: a complaint row without keys.
        async with factory() as session, session.begin():
            session.add(
                Comment(
                    owner_id=-1001,
                    post_id=10,
                    comment_id=1,
                    from_id=7001,
                    text=text,
                    created_at=T0,
                    stored_at=T0,
                )
            )
            await session.flush()
            await session.execute(
                old.tables["complaints"]
                .insert()
                .values(
                    comment_pk=1,
                    owner_id=-1001,
                    post_id=10,
                    comment_id=1,
                    author_id=7001,
                    agency_id="city",
                    route_rule="r",
                    topic="roads",
                    score=0.9,
                    reasons=[],
                    quality_reasons=[],
                    status="open",
                    created_at=T0,
                    paused_s=0,
                    paused_before_clock_s=0,
                    reopen_count=0,
                )
            )
        await upgrade(engine)
        async with factory() as session, session.begin():
            await sync_registry(session, REGISTRY)
        ingestor = Ingestor(REGISTRY, clock, stub_classify, stub_rate)
        later = await ingest_with(
            factory, ingestor, comment(2, text, minutes=10, from_id=7002, owner=-1002)
        )
        assert await repeat_of(factory, later.new_complaints[0]) == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize("in_thread", [True, False], ids=["thread-reply", "top-level"])
async def test_residents_comment_resumes_a_complaint_waiting_on_them(
    sessions: async_sessionmaker[AsyncSession], in_thread: bool
) -> None:
    """The official asked for the house number and paused the clock; the resident's next
    comment (in the thread or on the post) starts it again, moves the deadline by the working
    time spent waiting, and is neither a new complaint nor an answer."""
    clock = ManualClock(T0)
    await ingest(sessions, clock, comment(11, "Когда уберут мусор во дворе?", minutes=0))
    async with sessions() as s, s.begin():
        c = await s.get(Complaint, 1)
        assert c is not None and c.due_at is not None
        first_due = c.due_at
        c.waiting_since = T0 + timedelta(minutes=55)  # 09:00 Moscow: working time from here
        c.waiting_reason = "Уточните номер дома"
    reply = comment(
        12,
        "Дом 7 по улице Мира, мусор так и лежит",
        minutes=175,  # 11:00 Moscow: two working hours of waiting
        thread=11 if in_thread else None,
        reply_to_user=-1001 if in_thread else None,
    )
    result = await ingest(sessions, clock, reply)
    assert result.new_complaints == [] and result.answered == [] and result.reopened == []
    async with sessions() as s:
        c = await s.get(Complaint, 1)
        actions = (await s.execute(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        kinds = (await s.execute(select(Notification.kind).order_by(Notification.id))).all()
    assert c is not None and c.status == "open"
    assert (c.waiting_since, c.paused_s) == (None, 2 * 3600)
    assert c.due_at is not None and c.due_at > first_due
    assert [a for (a,) in actions] == ["complaint_created", "resume"]
    assert [k for (k,) in kinds] == ["alert", "update"]  # the card loses «Ждём ответа жителя»


# A neighbour's reply inside a complaint's thread: «Враньё, никто не приезжал» or «А сроки
# какие?» names no subject; read alone it takes whatever topic its words lean to (ecology,
# «other») and goes to the page's default agency, not to the department the complaint went to.


async def complaints_by_comment(
    factory: async_sessionmaker[AsyncSession], *events: CommentEvent
) -> dict[int, Complaint]:
    clock = ManualClock(T0)
    for event in events:  # one batch each, as comments arrive one by one
        await ingest(factory, clock, event, registry=ROADS_REGISTRY)
    async with factory() as session:
        rows = (await session.execute(select(Complaint))).scalars().all()
    return {c.comment_id: c for c in rows}


PIT = "Яма на Лесной 12 третью неделю, когда заделаете?"


@pytest.mark.parametrize("reply", ["Враньё, никто не приезжал", "А сроки какие?"])
async def test_a_reply_naming_nothing_goes_where_the_complaint_went(
    roads_sessions: async_sessionmaker[AsyncSession], reply: str
) -> None:
    alone = classify(reply)
    assert alone.needs_answer and not alone.topic_named
    assert alone.topic is not Topic.ROADS  # read alone it would go elsewhere
    found = await complaints_by_comment(
        roads_sessions,
        comment(11, PIT, minutes=0),
        comment(12, reply, minutes=30, from_id=7002, thread=11, reply_to_user=7001),
    )
    assert found[11].agency_id == "roads"
    assert (found[12].topic, found[12].agency_id) == ("roads", "roads")
    assert "тема из жалобы, на которую это ответ: Дороги" in found[12].reasons
    assert not any(r.startswith("тема: ") for r in found[12].reasons)


async def test_a_reply_naming_its_own_subject_keeps_it_and_a_top_comment_is_read_alone(
    roads_sessions: async_sessionmaker[AsyncSession],
) -> None:
    garbage = "у нас во дворе мусор не вывозят вторую неделю"
    found = await complaints_by_comment(
        roads_sessions,
        comment(11, PIT, minutes=0),
        comment(12, garbage, minutes=30, from_id=7002, thread=11, reply_to_user=7001),
        comment(13, "Враньё, никто не приезжал", minutes=40, from_id=7003),
    )
    assert (found[12].topic, found[12].agency_id) == ("garbage", "city")
    # not in any thread: nothing to take a topic from
    assert found[13].agency_id == "city" and found[13].topic != "roads"


# A comment under a post often names no subject of its own: «Когда уже закончат?» under the
# post announcing a bridge closed for repair is about the road; read alone it leans to housing
# and went to the page's default agency.
BRIDGE_POST = (
    "С 3 июня закрывается движение по мосту через реку Сылву на капитальный ремонт. "
    "Объезд по ул. Лесной."
)


async def test_a_comment_naming_nothing_takes_the_topic_of_its_post(
    roads_sessions: async_sessionmaker[AsyncSession],
) -> None:
    vague = "Когда уже закончат? Второй месяц так"
    alone = classify(vague)
    assert alone.needs_answer and not alone.topic_named and alone.topic is not Topic.ROADS
    garbage = "у нас во дворе мусор не вывозят вторую неделю"
    clock = ManualClock(T0)
    ingestor = Ingestor(ROADS_REGISTRY, clock, classify, rate_answer)
    post = PostEvent(-1001, 10, T0 - timedelta(hours=1), BRIDGE_POST, 3)
    bare = PostEvent(-1001, 20, T0 - timedelta(hours=1), "", 1)
    async with roads_sessions() as session, session.begin():
        await ingestor.ingest(session, Batch(posts=[post, bare]))
    async with roads_sessions() as session, session.begin():
        await ingestor.ingest(
            session,
            Batch(
                comments=[
                    comment(11, vague, minutes=5),
                    comment(12, garbage, minutes=6, from_id=7002),
                    comment(13, vague, minutes=7, from_id=7003, post=20),
                ]
            ),
        )
    async with roads_sessions() as session:
        found = {c.comment_id: c for c in (await session.execute(select(Complaint))).scalars()}
    assert (found[11].topic, found[11].agency_id) == ("roads", "roads")
    assert "тема из поста, под которым комментарий: Дороги" in found[11].reasons
    assert not any(r.startswith("тема: ") for r in found[11].reasons)
    # sure of its own subject: the post does not change it
    assert (found[12].topic, found[12].agency_id) == ("garbage", "city")
    # a post with no text gives nothing to read the comment by
    assert found[13].topic == alone.topic.value and found[13].agency_id == "city"


async def test_an_edit_reads_the_comment_under_its_post_too(
    roads_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A comment edited into a complaint, and a complaint edited, are read under the post
    as a new comment is: the topic does not flip with an edit of a word."""
    clock = ManualClock(T0)
    ingestor = Ingestor(ROADS_REGISTRY, clock, classify, rate_answer)
    post = PostEvent(-1001, 10, T0 - timedelta(hours=1), BRIDGE_POST, 2)
    async with roads_sessions() as session, session.begin():
        await ingestor.ingest(session, Batch(posts=[post]))
    first = comment(11, "Спасибо за информацию", minutes=5)
    second = comment(12, "А сроки какие?", minutes=6, from_id=7002)
    async with roads_sessions() as session, session.begin():
        await ingestor.ingest(session, Batch(comments=[first, second]))
    clock.advance(30 * 60)
    edits = [
        replace(first, text="Когда уже закончат? Второй месяц так", change=CommentChange.EDIT),
        replace(second, text="А сроки какие? Сколько ещё ждать", change=CommentChange.EDIT),
    ]
    async with roads_sessions() as session, session.begin():
        await ingestor.ingest(session, Batch(comments=edits))
    async with roads_sessions() as session:
        found = {c.comment_id: c for c in (await session.execute(select(Complaint))).scalars()}
    assert (found[11].topic, found[11].agency_id) == ("roads", "roads")
    assert (found[12].topic, found[12].agency_id) == ("roads", "roads")
