"""Issue 11 (defect 4), product.md §2.7: an edited comment is re-classified.

Chatter edited into a complaint becomes one (alerted once, however often the edit is seen);
a complaint whose author adds the address shows the new text on every card, a summary's
reader's included; an edit may re-route, make urgent, or withdraw a complaint (which stays
open for the moderators to decide).  Real SQLite (or PostgreSQL), the real matcher, ingest
and outbox sender, real aiogram over HTTP to the fake Bot API (``tests/bot_harness.py``), and
end to end through the sandbox, where the fake VK reports the edit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from collectors.events import Batch, CommentChange, CommentEvent
from config.registry import parse_registry
from matcher.classifier import classify
from matcher.quality import rate_answer
from sandbox.runner import Sandbox
from sandbox.scenario import Scenario
from storage.actions import take
from storage.db import make_engine
from storage.ingest import Ingestor, IngestResult
from storage.models import AuditEntry, Comment, Notification, Person
from tests.bot_harness import T0, Harness, buttons

#: Roads go to the road service (official 502) wherever they are written; the rest of page
#: 1001's complaints to the administration (official 501).
REGISTRY = parse_registry(
    {
        "agencies": [
            {"id": "city", "name": "Администрация"},
            {"id": "roads", "name": "Дорожная служба"},
        ],
        "pages": [
            {"group_id": 1001, "name": "Администрация", "screen_name": "adm", "agency": "city"}
        ],
        "people": [
            {"telegram_id": 501, "name": "Иван Петров", "role": "official", "agencies": ["city"]},
            {
                "telegram_id": 502,
                "name": "Пётр Дорогин",
                "role": "official",
                "agencies": ["roads"],
            },
            {"telegram_id": 601, "name": "Ольга Смирнова", "role": "moderator"},
        ],
        "rules": [{"topic": "roads", "agency": "roads"}],
    }
)

CHATTER = "Спасибо за новости!"
CHATTER_NOW_WATER = "Спасибо за новости! Но третий день нет горячей воды, когда дадут?"
NO_ADDRESS = "Яма на дороге, когда заделаете?"
WITH_ADDRESS = "Яма на дороге у дома 5 по ул. Ленина, когда заделаете?"
WATER = "Третий день нет горячей воды, когда дадут?"
WATER_AND_GAS = "Третий день нет горячей воды, а теперь в подъезде сильно пахнет газом!"
GARBAGE = "Когда уберут мусор во дворе дома 3? Неделю не вывозят!"
WITHDRAWN = "Вопрос снят, спасибо"


def said(
    cid: int,
    text: str,
    *,
    minutes: float = 0.0,
    from_id: int = 7001,
    thread: int | None = None,
    edit: bool = False,
) -> CommentEvent:
    """A comment on page 1001's post 10 written at ``T0 + minutes`` (``edit``: the event
    that says it now reads ``text``; VK gives an edit the comment's own date)."""
    return CommentEvent(
        owner_id=-1001,
        post_id=10,
        comment_id=cid,
        from_id=from_id,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        thread_id=thread,
        reply_to_comment=thread,
        change=CommentChange.EDIT if edit else CommentChange.NEW,
    )


async def ingest(
    h: Harness, *events: CommentEvent, ingestor: Ingestor | None = None
) -> IngestResult:
    ingestor = ingestor or Ingestor(h.registry, h.clock, classify, rate_answer)
    async with h.sessions() as session, session.begin():
        return await ingestor.ingest(session, Batch(comments=list(events)))


def plain(text: str | None) -> str:
    return re.sub(r"<[^>]+>", "", text or "")


def sent(h: Harness, chat_id: int, method: str = "sendMessage") -> list[str]:
    """What reached ``chat_id`` by ``method`` (the real Bot API calls), in order."""
    return [
        plain(c.text)
        for c in h.fake.calls
        if c.chat_id == chat_id and c.method == method and c.status == 200
    ]


async def queued(h: Harness, complaint_id: int) -> list[tuple[str, int]]:
    async with h.sessions() as s:
        rows = await s.execute(
            select(Notification.kind, Notification.chat_id)
            .where(Notification.complaint_id == complaint_id)
            .order_by(Notification.id)
        )
        return [(k, int(c)) for k, c in rows.all()]


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url, registry=REGISTRY) as harness:
        yield harness


# ---- chatter edited into a complaint -----------------------------------------------------


async def test_chatter_edited_into_a_complaint_is_alerted_once_however_often_the_edit_comes(
    h: Harness,
) -> None:
    first = await ingest(h, said(11, CHATTER))
    assert first.new_complaints == []
    h.move_to(1)  # 11:00: the resident edits the thanks into a complaint
    edit = said(11, CHATTER_NOW_WATER, edit=True)
    # Polling re-reads the post and Long Poll pushes ``wall_reply_edit``: the same edit twice
    # in a batch, and again later (another process, a restart: a fresh ingestor).
    result = await ingest(h, edit, edit)
    (cid,) = result.new_complaints
    again = await ingest(h, edit, ingestor=Ingestor(h.registry, h.clock, classify, rate_answer))
    assert again.new_complaints == [] and again.notifications == 0
    c = await h.get(cid)
    assert (c.topic, c.agency_id, c.status) == ("housing", "city", "open")
    # It became a complaint at 11:00: its clock starts then (8 working hours: Tue 10:00).
    assert c.created_at == T0 + timedelta(hours=1)
    assert c.due_at == T0 + timedelta(days=1)
    await h.flush()
    (alert,) = sent(h, 501)
    assert f"Жалоба №{cid}" in alert and "нет горячей воды" in alert
    assert "Автор изменил комментарий 23.11 11:00" in alert
    assert sent(h, 502) == [] and sent(h, 601) == []  # not roads, not urgent, not orphaned
    assert await queued(h, cid) == [("alert", 501)]
    async with h.sessions() as s:
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.complaint_id == cid))
        ).scalar_one()
    assert entry.action == "complaint_created" and entry.after["from_edit"] == 11


async def test_an_edit_of_a_comment_never_read_is_taken_as_that_comment(h: Harness) -> None:
    """Long Poll may bring ``wall_reply_edit`` of a comment whose ``wall_reply_new`` was
    missed: it is a resident's comment like any other, dated when it was written."""
    ingestor = Ingestor(h.registry, h.clock, classify, rate_answer)  # first look: T0
    h.move_to(0.5)
    (cid,) = (await ingest(h, said(11, WATER, edit=True), ingestor=ingestor)).new_complaints
    assert (await h.get(cid)).created_at == T0
    await h.flush()
    assert len(sent(h, 501)) == 1


async def test_a_comment_and_its_edit_in_one_batch_are_decided_by_the_text_as_it_reads(
    h: Harness,
) -> None:
    """Long Poll may bring ``wall_reply_new`` and ``wall_reply_edit`` together: the comment
    is decided as it reads now, once, dated when it was written."""
    ingestor = Ingestor(h.registry, h.clock, classify, rate_answer)  # first look: T0
    h.move_to(0.5)
    result = await ingest(
        h, said(11, CHATTER), said(11, CHATTER_NOW_WATER, edit=True), ingestor=ingestor
    )
    (cid,) = result.new_complaints
    c = await h.get(cid)
    assert (c.topic, c.created_at) == ("housing", T0)
    await h.flush()
    (alert,) = sent(h, 501)
    assert "нет горячей воды" in alert


async def test_chatter_edited_into_a_complaint_of_an_agency_without_officials_goes_to_moderators(
    h: Harness,
) -> None:
    async with h.sessions() as s, s.begin():
        (await s.get(Person, 501)).active = False  # type: ignore[union-attr]
    await ingest(h, said(11, CHATTER))
    h.move_to(1)
    (cid,) = (await ingest(h, said(11, CHATTER_NOW_WATER, edit=True))).new_complaints
    await h.flush()
    (notice,) = sent(h, 601)
    assert f"Жалоба №{cid}" in notice and "нет исполнителя в боте" in notice


async def test_only_residents_comments_of_today_become_complaints_when_edited(
    h: Harness,
) -> None:
    """History stays history, the page's words are not a resident's, and the author adding
    to their own complaint's thread is a follow-up: edited, none of them is a complaint.
    A neighbour's thanks edited into a complaint in the same batch is one."""
    ingestor = Ingestor(h.registry, h.clock, classify, rate_answer)  # first look: T0
    (cid,) = (
        await ingest(
            h,
            said(5, CHATTER, minutes=-120),  # written before Otklik first looked: history
            said(11, WATER, minutes=1),
            said(12, "Спасибо, ждём", minutes=2, thread=11),  # the author, in their thread
            said(13, "Хорошего дня!", minutes=3, from_id=-1001),  # the page
            said(14, CHATTER, minutes=4, from_id=7004),  # a neighbour
            ingestor=ingestor,
        )
    ).new_complaints
    h.move_to(1)
    result = await ingest(
        h,
        said(5, CHATTER_NOW_WATER, minutes=-120, edit=True),
        said(12, "Подъезд 2, квартира 40, воды нет", minutes=2, thread=11, edit=True),
        said(
            13,
            "Хорошего дня! Когда дадут воду, пока не знаем",
            minutes=3,
            from_id=-1001,
            edit=True,
        ),
        said(14, GARBAGE, minutes=4, from_id=7004, edit=True),
        ingestor=ingestor,
    )
    (new,) = result.new_complaints
    assert (await h.get(new)).comment_id == 14 and result.edited == []
    assert (await h.get(cid)).status == "open"


# ---- a complaint edited -------------------------------------------------------------------


async def test_the_author_adding_the_address_edits_the_officials_card(h: Harness) -> None:
    (cid,) = (await ingest(h, said(11, NO_ADDRESS))).new_complaints
    await h.flush()
    mid, card = h.last(502)
    assert "Яма на дороге, когда" in plain(card["text"])
    due = (await h.get(cid)).due_at
    h.move_to(1)
    result = await ingest(h, said(11, WITH_ADDRESS, edit=True))
    assert result.edited == [cid] and result.new_complaints == []
    assert await queued(h, cid) == [("alert", 502), ("update", 502)]
    await h.flush()
    edited = plain(h.fake.messages(502)[mid]["text"])
    assert "у дома 5 по ул. Ленина" in edited and "Автор изменил комментарий 23.11 11:00" in edited
    assert len(sent(h, 502)) == 1  # the card was edited, not sent again
    c = await h.get(cid)
    assert (c.agency_id, c.topic, c.due_at, c.status) == ("roads", "roads", due, "open")
    # The same edit read again changes nothing.
    again = await ingest(h, said(11, WITH_ADDRESS, edit=True))
    assert again.edited == [] and await queued(h, cid) == [("alert", 502), ("update", 502)]


async def test_a_person_who_saw_the_complaint_only_in_a_summary_gets_the_edit(
    h: Harness,
) -> None:
    burst = [said(11 + i, f"{NO_ADDRESS} Уже {i + 2} дня", from_id=7001 + i) for i in range(5)]
    ids = (await ingest(h, *burst)).new_complaints
    await h.flush()
    ((summary_id, summary),) = h.fake.messages(502).items()
    assert "5 новых жалоб" in plain(summary["text"])
    h.move_to(1)
    edited = said(13, f"{WITH_ADDRESS} Уже 4 дня", from_id=7003, edit=True)
    assert (await ingest(h, edited)).edited == [ids[2]]
    await h.flush()
    (fresh,) = [t for t in sent(h, 502) if f"Жалоба №{ids[2]}" in t]
    assert "Изменение по жалобе из сводки" in fresh and "у дома 5 по ул. Ленина" in fresh
    # The summary itself now lists the complaint as it reads.
    assert "у дома 5 по ул. Ленина" in plain(h.fake.messages(502)[summary_id]["text"])


async def test_a_complaint_edited_into_thanks_stays_open_and_the_moderators_decide(
    h: Harness,
) -> None:
    (cid,) = (await ingest(h, said(11, WATER))).new_complaints
    await h.flush()
    mid, _ = h.last(501)
    h.move_to(1)
    withdrawn = said(11, WITHDRAWN, edit=True)
    assert (await ingest(h, withdrawn)).edited == [cid]
    await ingest(h, withdrawn)  # seen again: nobody is told twice
    assert (await h.get(cid)).status == "open"  # nothing closes by itself
    await h.flush()
    card = plain(h.fake.messages(501)[mid]["text"])
    assert "Вопрос снят, спасибо" in card and "Автор изменил комментарий" in card
    (notice,) = sent(h, 601)
    assert f"Жалоба №{cid}" in notice and "не похож на жалобу" in notice
    assert f"/dismiss {cid}" in notice and "Вопрос снят, спасибо" in notice
    _, message = h.last(601)
    assert buttons(message)[0][0] == f"№{cid}"
    assert "«не жалоба»" in await h.reply(601, f"/dismiss {cid}")


async def test_an_edit_that_makes_a_complaint_urgent_runs_the_urgent_clock(h: Harness) -> None:
    (cid,) = (await ingest(h, said(11, WATER))).new_complaints
    await h.flush()
    mid, _ = h.last(501)
    h.move_to(0.5)
    result = await ingest(h, said(11, WATER_AND_GAS, edit=True))
    assert result.edited == [cid] and [r.complaint_id for r in result.routed] == [cid]
    c = await h.get(cid)
    assert c.urgent and "запах газа" in c.urgent_reasons[0]
    assert c.due_at == T0 + timedelta(hours=2)  # 2 hours round the clock from its start
    await h.flush()
    assert "Срочно" in plain(h.fake.messages(501)[mid]["text"])
    (notice,) = sent(h, 601)
    assert f"Жалоба №{cid}" in notice and "Срочно" in notice and "запах газа" in notice


async def test_a_new_topic_reroutes_an_untouched_complaint_but_not_one_taken(h: Harness) -> None:
    untouched, taken = (
        await ingest(h, said(11, GARBAGE), said(12, GARBAGE + " Дом 4", from_id=7002))
    ).new_complaints
    async with h.sessions() as s, s.begin():
        official = await s.get(Person, 501)
        assert official is not None
        await take(s, taken, official, h.clock.now())
    await h.flush()
    h.move_to(1)
    result = await ingest(
        h,
        said(11, WITH_ADDRESS, edit=True),
        said(12, WITH_ADDRESS + " Дом 4", from_id=7002, edit=True),
    )
    assert sorted(result.edited) == [untouched, taken]
    moved, kept = await h.get(untouched), await h.get(taken)
    assert (moved.agency_id, moved.topic) == ("roads", "roads")
    assert (kept.agency_id, kept.topic) == ("city", "roads")  # its topic is its text's
    await h.flush()
    (alert,) = sent(h, 502)  # the road service hears of the one passed to it
    assert f"Жалоба №{untouched}" in alert and "Дорожная служба" in alert
    edits = [t for t in sent(h, 501, "editMessageText") if f"Жалоба №{untouched}" in t]
    assert edits and "Дорожная служба" in edits[-1]  # the administration sees where it went


async def test_an_edited_answer_is_rated_again(h: Harness) -> None:
    (cid,) = (
        await ingest(
            h,
            said(11, WATER),
            said(
                12,
                "Ваше обращение передано в ответственную службу",
                minutes=30,
                from_id=-1001,
                thread=11,
            ),
        )
    ).new_complaints
    assert (await h.get(cid)).otpiska is True
    await h.flush()
    h.move_to(1)
    better = "Воду дадут сегодня до 18:00, бригада уже на месте, меняют задвижку в доме."
    result = await ingest(h, said(12, better, minutes=30, from_id=-1001, thread=11, edit=True))
    assert result.edited == [cid]
    c = await h.get(cid)
    assert c.otpiska is False and c.status == "answered"
    await h.flush()
    assert "бригада уже на месте" in sent(h, 501, "editMessageText")[-1]


async def test_each_edit_is_logged_once_with_ids_only(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    (cid,) = (await ingest(h, said(11, WATER), said(12, CHATTER, from_id=7002))).new_complaints
    h.move_to(1)
    with caplog.at_level(logging.INFO, logger="storage.ingest"):
        result = await ingest(
            h,
            said(11, WATER_AND_GAS, edit=True),
            said(12, CHATTER_NOW_WATER, from_id=7002, edit=True),
        )
    (new,) = result.new_complaints
    lines = [r.getMessage() for r in caplog.records if r.name == "storage.ingest"]
    assert [ln for ln in lines if ln.startswith(f"complaint {cid}:")] == [
        f"complaint {cid}: comment 11 edited, re-classified: now urgent"
    ]
    (created,) = [ln for ln in lines if ln.startswith(f"complaint {new} created")]
    assert "comment 12" in created and "edited into one" in created
    for text in (WATER_AND_GAS, CHATTER_NOW_WATER, "газом", "воды"):
        assert not any(text in ln for ln in lines)


# ---- end to end ---------------------------------------------------------------------------

LATE = "2026-11-23T12:00:00+03:00"


def _said(hhmm: str, cid: int, author: int, text: str) -> dict[str, Any]:
    return {
        "at": f"2026-11-23T{hhmm}:00+03:00",
        "comment": {"page": 1001, "post": 10, "id": cid, "from_id": author, "text": text},
    }


@pytest.mark.e2e
async def test_e2e_chatter_edited_into_a_complaint_reaches_the_official(
    make_scenario: Callable[..., Scenario], tmp_path: Path, db_url: str
) -> None:
    scenario = make_scenario(
        [
            _said("08:05", 11, 7001, CHATTER),
            {"at": "2026-11-23T08:20:00+03:00", "edit": {"page": 1001, "id": 11, "text": WATER}},
        ],
        end=LATE,
    )

    def alerted() -> bool:
        return any(
            "горячей воды" in (m.get("text") or "") for m in sandbox.tg.messages(501).values()
        )

    async with Sandbox(scenario, workdir=tmp_path, speed=1000.0, db_url=db_url) as sandbox:
        await sandbox.run_app(scenario.end, stop_when=alerted)
        report = await sandbox.report()
        engine = make_engine(sandbox.db_url)
        try:
            async with engine.connect() as conn:
                edited_at = await conn.scalar(
                    select(Comment.edited_at).where(Comment.comment_id == 11)
                )
        finally:
            await engine.dispose()
    assert alerted()
    (complaint,) = report["complaints"]
    assert complaint["comment"] == 11 and complaint["topic"] == "housing"
    created = datetime.fromisoformat(complaint["created_at"])
    if edited_at is not None:
        # The thanks was read first: the clock runs from when the edit was seen, not 08:05.
        assert created >= datetime.fromisoformat("2026-11-23T08:20:00+03:00")
    else:
        # A busy machine let the collector read the comment only once it was already edited:
        # it was a complaint when first seen, and its clock runs from when it was written.
        assert created == datetime.fromisoformat("2026-11-23T08:05:00+03:00")
    alerts = [
        t for t in report["telegram"] if t["chat_id"] == 501 and t["method"] == "sendMessage"
    ]
    assert len(alerts) == 1
