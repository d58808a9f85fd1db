"""Issue 12 (product side): urgent complaints, and issue 14's first answer after a reopen.

An emergency («Пахнет газом в подъезде дом 5») written on a Saturday night reaches the
official and the region's moderators at once, its card says «🔴 Срочно» and why, and it runs
a clock of two calendar hours that the SLA watch follows through the night; an ordinary
complaint written at the same moment keeps its eight working hours.  A complaint the author
reopens («ничего не сделали») keeps its first answer for the statistics, while its card shows
it waiting again.

Real SQLite (or PostgreSQL), the real matcher, ingest, outbox sender and SLA watch, and real
aiogram over HTTP to the fake Bot API (``tests/bot_harness.py``) on a ManualClock.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select, text

from bot.scheduler import JobDeps
from bot.sla_watch import SlaPass, check_sla
from config.registry import RegistryError, parse_registry
from matcher.classifier import classify
from matcher.quality import rate_answer
from storage.db import make_engine, make_session_factory
from storage.ingest import Ingestor
from storage.migrate import alembic_config, upgrade
from storage.models import Agency, AuditEntry, Complaint, Notification
from storage.sla_clock import agency_policy
from tests.bot_harness import T0, Harness
from tests.test_ingest_lifecycle import REGION, comment, ingest, region_registry

GAS = "Пахнет газом в подъезде дом 5"
ROADS = "Яма у дома 5 по ул. Ленина, когда заделаете?"
#: Saturday 28 November 2026, 23:30 in Moscow: nobody works until Monday 09:00.
SATURDAY_NIGHT_H = 5 * 24 + 13.5
SATURDAY_NIGHT = T0 + timedelta(hours=SATURDAY_NIGHT_H)
LEAD = {"telegram_id": 701, "name": "Андрей Руководитель", "role": "lead", "region": REGION}


@pytest.fixture
async def hr(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url, registry=region_registry(extra_people=[LEAD])) as harness:
        yield harness


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


def plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def texts_of(h: Harness, chat_id: int) -> list[str]:
    return [plain(m["text"]) for m in h.cards(chat_id)]


async def rows(h: Harness) -> list[Notification]:
    async with h.sessions() as s:
        return list((await s.execute(select(Notification).order_by(Notification.id))).scalars())


async def sla_at(h: Harness, hours_after_t0: float) -> SlaPass:
    """The SLA watch's pass at that instant, its messages delivered."""
    h.move_to(hours_after_t0)
    passed = await check_sla(JobDeps(h.sessions, h.clock, h.registry), now=h.clock.now())
    await h.flush()
    return passed


def at_night(minutes: float) -> float:
    """Hours after T0 of so many minutes after the Saturday-night comment."""
    return SATURDAY_NIGHT_H + minutes / 60


async def test_gas_smell_on_saturday_night_is_urgent_round_the_clock(hr: Harness) -> None:
    hr.move_to(SATURDAY_NIGHT_H)
    minutes = SATURDAY_NIGHT_H * 60
    result = await ingest(
        hr, comment(11, GAS, minutes=minutes), comment(12, ROADS, minutes=minutes, from_id=7002)
    )
    gas, roads = result.new_complaints
    await hr.flush()

    urgent, ordinary = await hr.get(gas), await hr.get(roads)
    assert urgent.urgent and any("запах газа" in r for r in urgent.urgent_reasons)
    assert not ordinary.urgent and ordinary.urgent_reasons == []
    # Two calendar hours, in the night; the ordinary one waits for Monday's working hours
    # (09:00 + 8 h = 17:00 Moscow).
    assert urgent.due_at == urgent.first_due_at == SATURDAY_NIGHT + timedelta(hours=2)
    assert ordinary.due_at == T0 + timedelta(days=7, hours=7)

    # The official's card says it is urgent and why; the ordinary one does not.
    cards = {plain(m["text"]).split("\n")[0]: plain(m["text"]) for m in hr.cards(501)}
    gas_card = next(t for title, t in cards.items() if f"№{gas} " in title)
    roads_card = next(t for title, t in cards.items() if f"№{roads} " in title)
    assert "🔴 Срочно" in gas_card and "запах газа" in gas_card
    assert "круглосуточно" in gas_card
    assert "Срочно" not in roads_card

    # The region's moderator is told at once (beside the official), once; the other
    # region's moderator and the admin are not; nobody hears of the ordinary complaint.
    (notice,) = texts_of(hr, 601)
    assert f"Жалоба №{gas}" in notice and "🔴 Срочно" in notice and "запах газа" in notice
    assert "29.11 01:30" in notice and "Исполнители ведомства уведомлены" in notice
    assert texts_of(hr, 602) == [] and texts_of(hr, 801) == []
    assert texts_of(hr, 701) == []
    async with hr.sessions() as s:
        audit = (
            await s.execute(select(AuditEntry).where(AuditEntry.complaint_id == gas))
        ).scalars()
        actions = {a.action: a.after for a in audit}
    assert actions["urgent_to_moderators"]["to"] == [601]
    assert actions["complaint_created"]["urgent"] == list(urgent.urgent_reasons)

    # The watch follows the urgent clock through the night: 75 % of two hours is 01:00.
    assert (await sla_at(hr, at_night(89))).nudged == []
    nudge = await sla_at(hr, at_night(90))
    assert nudge.nudged == [gas]
    assert "Срочная жалоба" in texts_of(hr, 501)[-1]
    assert "осталось 30 мин" in texts_of(hr, 501)[-1] and "круглосуточно" in texts_of(hr, 501)[-1]
    assert (await sla_at(hr, at_night(119))).escalated == []
    assert (await sla_at(hr, at_night(120))).escalated == [gas]
    escalation = texts_of(hr, 601)[-1]
    assert f"Просрочена жалоба №{gas}" in escalation and "🔴 Срочно" in escalation
    # Leads an hour after the breach (the agency's urgent_escalate_lead_after_hours).
    assert (await sla_at(hr, at_night(179))).escalated_lead == []
    assert (await sla_at(hr, at_night(180))).escalated_lead == [gas]
    (lead,) = texts_of(hr, 701)
    assert "Срочная жалоба" in lead and "Просрочка: 1 ч" in lead
    assert "рабочего времени" not in lead
    # The ordinary complaint was never chased at night or on Sunday.
    assert (await sla_at(hr, 6 * 24 + 23)).nudged == []
    kinds = {(r.kind, r.complaint_id) for r in await rows(hr)}
    assert not {k for k in kinds if k[1] == roads} - {("alert", roads)}
    # ... and is nudged on Monday at 15:00 (six of its eight working hours).
    assert (await sla_at(hr, 7 * 24 + 4.99)).nudged == []
    assert (await sla_at(hr, 7 * 24 + 5)).nudged == [roads]
    assert "рабочего времени" in texts_of(hr, 501)[-1]


async def test_urgent_complaint_nobody_answers_for_is_one_notice(hr: Harness) -> None:
    """«Парки» has no official: the moderator hears once, of both things."""
    hr.move_to(SATURDAY_NIGHT_H)
    result = await ingest(
        hr,
        comment(
            11, "Сильно пахнет газом в сквере у фонтана", page=1003, minutes=SATURDAY_NIGHT_H * 60
        ),
    )
    (cid,) = result.new_complaints
    await hr.flush()
    (notice,) = texts_of(hr, 601)
    assert f"Жалоба №{cid}" in notice
    assert "🔴 Срочно" in notice and "запах газа" in notice
    assert "нет исполнителя в боте" in notice
    assert [(r.kind, r.chat_id) for r in await rows(hr)] == [("orphan", 601)]
    (routed,) = result.routed
    assert routed.urgent and routed.cause is not None and routed.chats == (601,)


async def test_urgent_complaints_stand_out_in_lists(hr: Harness) -> None:
    hr.move_to(SATURDAY_NIGHT_H)
    minutes = SATURDAY_NIGHT_H * 60
    await ingest(
        hr, comment(11, GAS, minutes=minutes), comment(12, ROADS, minutes=minutes, from_id=7002)
    )
    await hr.flush()
    reply = await hr.reply(601, "/open")
    lines = {line.split(" · ")[0]: line for line in reply.split("\n") if line.startswith("№")}
    assert "🔴 Срочно (запах газа)" in lines["№1"]
    assert "Срочно" not in lines["№2"]


# ---- issue 14: the first answer survives a reopen ------------------------------------------


async def answered_then_reopened(h: Harness) -> int:
    """A complaint answered by the page in ten minutes, which its author reopens a day
    later («ничего не сделали») in the thread."""
    ingestor = Ingestor(h.registry, h.clock, classify, rate_answer)
    (cid,) = (await ingest(h, comment(11, ROADS), ingestor=ingestor)).new_complaints
    await h.flush()
    answer = "Мария, яму заделают до 27 ноября, бригада уже выехала."
    h.move_to(10 / 60)
    await ingest(h, comment(12, answer, minutes=10, from_id=-1001, thread=11), ingestor=ingestor)
    await h.flush()
    assert "Ответ дан" in texts_of(h, 501)[0]
    h.move_to(24)
    reopened = await ingest(
        h,
        comment(13, "Ничего не сделали, яма на месте", minutes=24 * 60, thread=11),
        ingestor=ingestor,
    )
    assert reopened.reopened == [cid]
    await h.flush()
    return cid


async def test_reopen_by_the_author_keeps_the_first_answer_for_statistics(h: Harness) -> None:
    cid = await answered_then_reopened(h)
    c = await h.get(cid)
    assert (c.status, c.reopen_count) == ("open", 1)
    # The first answer and its figures stay; the reopen waits on a clock of its own.
    assert c.answered_at == T0 + timedelta(minutes=10)
    assert (c.response_seconds, c.business_seconds) == (600, 600)
    assert c.otpiska is not None and c.quality is not None
    assert c.first_due_at == T0 + timedelta(hours=8)  # 18:00 Moscow, the first deadline
    assert c.reopen_answered_at is None and c.due_at is not None
    assert c.due_at > T0 + timedelta(hours=24)
    # The card shows a reopened complaint waiting, not «Ответ дан».
    (card,) = texts_of(h, 501)
    assert "Переоткрыта" in card and "Ответ дан" not in card and "Ответить до" in card
    # The statistics still count the first answer in ten minutes.
    stats = await h.reply(601, "/stats")
    assert "10 мин" in stats, stats

    # The page answers the reopen an hour later: the reopen's own figure, the first stays.
    h.move_to(25)
    await ingest(
        h,
        comment(
            14,
            "Бригада засыпала яму сегодня, фото в ответе.",
            minutes=25 * 60,
            from_id=-1001,
            thread=11,
        ),
    )
    await h.flush()
    c = await h.get(cid)
    assert c.status == "answered"
    assert c.reopen_answered_at == T0 + timedelta(hours=25)
    assert c.reopen_response_seconds == 3600
    assert (c.answered_at, c.response_seconds) == (T0 + timedelta(minutes=10), 600)
    (card,) = texts_of(h, 501)
    assert "Ответ после переоткрытия дан через 1 ч" in card
    assert "засыпала яму" in card


async def test_reopen_by_a_moderator_keeps_the_first_answer_too(h: Harness) -> None:
    """/reopen and the author's reopen mean the same: a new clock, the first answer kept."""
    ingestor = Ingestor(h.registry, h.clock, classify, rate_answer)
    (cid,) = (await ingest(h, comment(11, ROADS), ingestor=ingestor)).new_complaints
    h.move_to(10 / 60)
    await ingest(
        h,
        comment(12, "Яму заделают до 27 ноября.", minutes=10, from_id=-1001, thread=11),
        ingestor=ingestor,
    )
    h.move_to(2)
    reply = await h.reply(601, f"/reopen {cid}")
    assert f"№{cid}" in reply
    c = await h.get(cid)
    assert (c.status, c.answered_at, c.response_seconds) == (
        "open",
        T0 + timedelta(minutes=10),
        600,
    )
    assert c.reopened_at == h.clock.now() and c.reopen_answered_at is None
    await h.flush()
    cards: list[dict[str, Any]] = h.cards(501)
    assert "Ответ дан" not in plain(cards[-1]["text"])


async def test_the_migration_keeps_what_old_rows_mean(db_url: str) -> None:
    """Stored before 0010: a plain complaint's deadline is its first one; an answer stored
    after a reopen (the old code wrote it over the first) becomes the reopen's answer."""
    script = ScriptDirectory.from_config(alembic_config())
    before = script.get_revision("i0010_urgent").down_revision
    engine = make_engine(db_url)
    try:
        await upgrade(engine, str(before))
        old = MetaData()
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: old.reflect(sync, only=["agencies", "comments"]))
            await conn.run_sync(lambda sync: old.reflect(sync, only=["complaints"]))
            await conn.execute(
                old.tables["agencies"]
                .insert()
                .values(
                    id="city",
                    name="А",
                    tz="Europe/Moscow",
                    always_open=False,
                    first_response_s=8 * 3600,
                )
            )
            for pk in (1, 2):
                await conn.execute(
                    old.tables["comments"]
                    .insert()
                    .values(
                        id=pk,
                        owner_id=-1001,
                        post_id=10,
                        comment_id=pk,
                        from_id=7000 + pk,
                        text=ROADS,
                        created_at=T0,
                        stored_at=T0,
                        deleted=False,
                    )
                )
            common: dict[str, Any] = {
                "owner_id": -1001,
                "post_id": 10,
                "agency_id": "city",
                "route_rule": "r",
                "topic": "roads",
                "score": 0.9,
                "reasons": [],
                "created_at": T0,
                "due_at": T0 + timedelta(hours=8),
                "paused_s": 0,
                "paused_before_clock_s": 0,
            }
            answered = T0 + timedelta(days=1, hours=1)
            # One statement each: an executemany takes its columns from the first row.
            for row in (
                {
                    **common,
                    "id": 1,
                    "comment_pk": 1,
                    "comment_id": 1,
                    "author_id": 7001,
                    "status": "open",
                    "reopen_count": 0,
                    "quality_reasons": [],
                },
                {
                    **common,
                    "id": 2,
                    "comment_pk": 2,
                    "comment_id": 2,
                    "author_id": 7002,
                    "status": "answered",
                    "reopen_count": 1,
                    "reopened_at": T0 + timedelta(days=1),
                    "answered_at": answered,
                    "answer_comment_pk": 1,
                    "response_seconds": 90000,
                    "business_seconds": 9 * 3600,
                    "otpiska": True,
                    "quality": 20,
                    "quality_reasons": ["нет срока"],
                },
            ):
                await conn.execute(old.tables["complaints"].insert().values(**row))
            # A message about complaint 1: on SQLite the batch rebuild of ``complaints`` must
            # not trip over the rows that point at it (it did, «FOREIGN KEY constraint failed»).
            await conn.run_sync(lambda sync: old.reflect(sync, only=["outbox"]))
            await conn.execute(
                old.tables["outbox"]
                .insert()
                .values(
                    dedupe_key="alert:1:501",
                    chat_id=501,
                    kind="alert",
                    complaint_id=1,
                    payload={},
                    status="sent",
                    attempts=1,
                    created_at=T0,
                    next_attempt_at=T0,
                )
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            linked = await conn.scalar(
                text("SELECT complaint_id FROM outbox WHERE dedupe_key = 'alert:1:501'")
            )
            assert linked == 1
            if engine.dialect.name == "sqlite":
                assert (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all() == []
                assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        sessions = make_session_factory(engine)
        async with sessions() as s:
            plain_c, reopened = (await s.get(Complaint, 1)), (await s.get(Complaint, 2))
        assert plain_c is not None and reopened is not None
        assert plain_c.first_due_at == T0 + timedelta(hours=8) and not plain_c.urgent
        assert plain_c.urgent_reasons == [] and plain_c.reopen_quality_reasons == []
        assert reopened.first_due_at is None  # replaced by the reopen's: unknown
        assert (reopened.answered_at, reopened.response_seconds, reopened.otpiska) == (
            None,
            None,
            None,
        )
        assert (reopened.reopen_answered_at, reopened.reopen_otpiska) == (answered, True)
        assert reopened.reopen_quality_reasons == ["нет срока"]
        assert reopened.reopen_response_seconds is None  # measured from the complaint: dropped
        async with sessions() as s:
            agency = await s.get(Agency, "city")
        assert agency is not None and agency.urgent_s == 2 * 3600
    finally:
        await engine.dispose()


def test_the_urgent_target_is_set_per_agency_in_the_registry() -> None:
    data: dict[str, Any] = {
        "agencies": [
            {"id": "city", "name": "Администрация"},
            {
                "id": "gas",
                "name": "Горгаз",
                "urgent_hours": 1,
                "urgent_escalate_lead_after_hours": 0,
            },
        ],
        "pages": [{"group_id": 1001, "name": "Администрация", "agency": "city"}],
    }
    registry = parse_registry(data)
    assert agency_policy(registry, "city").urgent_s == 2 * 3600  # the default: two hours
    policy = agency_policy(registry, "gas")
    assert (policy.urgent_s, policy.urgent_escalate_lead_after_s) == (3600, 0)
    data["agencies"][1]["urgent_hours"] = 0
    with pytest.raises(RegistryError, match="urgent_hours"):
        parse_registry(data)
