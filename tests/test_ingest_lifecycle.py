"""Issue 11: a complaint's life from ingest on — nobody to tell, deleted comments, history.

Real SQLite (or PostgreSQL), the real matcher, the real ingest and outbox sender, and real
aiogram over HTTP to the fake Bot API (``tests/bot_harness.py``); end to end through the
sandbox where the collector decides what is read (history, deletions).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.digest import build_digest
from bot.drawing import Drawing
from bot.scheduler import JobDeps
from bot.sla_watch import check_sla
from collectors.events import Batch, CommentChange, CommentEvent, PostEvent
from config.registry import Registry, parse_registry
from config.settings import Settings
from matcher.classifier import classify
from matcher.quality import rate_answer
from sandbox.runner import Sandbox
from sandbox.scenario import Scenario
from storage.ingest import Ingestor, IngestResult
from storage.models import AuditEntry, Notification, Page, Person
from tests.bot_harness import T0, Harness, buttons
from tests.waiting import until

ROADS = "Яма у дома 5 по ул. Ленина, когда заделаете?"
WATER = "Третий день нет горячей воды, когда дадут?"
GARBAGE = "Когда уберут мусор во дворе дома 3? Неделю не вывозят!"
LIGHTS = "Во дворе на Садовой не горят фонари, когда почините?"
ANSWER = "Мария, яму заделают до 27 ноября."

#: Three agencies, two regions: «Парки» has no official, «Дальний район» none either.
REGION = "Примерский край"
FAR = "Дальний край"


def region_registry(*, extra_people: list[dict[str, Any]] | None = None) -> Registry:
    return parse_registry(
        {
            "agencies": [
                {"id": "city", "name": "Администрация", "region": REGION},
                {"id": "parks", "name": "Парки и скверы", "region": REGION},
                {"id": "far", "name": "Дальний район", "region": FAR},
            ],
            "pages": [
                {
                    "group_id": 1001,
                    "name": "Администрация",
                    "screen_name": "adm",
                    "agency": "city",
                },
                {"group_id": 1003, "name": "Парки", "screen_name": "parks", "agency": "parks"},
                {"group_id": 1004, "name": "Дальний", "screen_name": "far", "agency": "far"},
            ],
            "people": [
                {
                    "telegram_id": 501,
                    "name": "Иван Петров",
                    "role": "official",
                    "agencies": ["city"],
                },
                {
                    "telegram_id": 601,
                    "name": "Ольга Смирнова",
                    "role": "moderator",
                    "region": REGION,
                },
                {"telegram_id": 602, "name": "Инна Дальняя", "role": "moderator", "region": FAR},
                {"telegram_id": 801, "name": "Анна Админ", "role": "admin"},
                *(extra_people or []),
            ],
        }
    )


def comment(
    cid: int,
    text: str,
    *,
    minutes: float = 0.0,
    page: int = 1001,
    post: int = 10,
    from_id: int = 7001,
    thread: int | None = None,
    change: CommentChange = CommentChange.NEW,
) -> CommentEvent:
    return CommentEvent(
        owner_id=-page,
        post_id=post,
        comment_id=cid,
        from_id=from_id,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        thread_id=thread,
        reply_to_comment=thread,
        change=change,
    )


def gone(h: Harness, cid: int, *, page: int = 1001, post: int = 10) -> CommentEvent:
    """What the collector reports when a comment has disappeared (seen now)."""
    return CommentEvent(-page, post, cid, 0, "", h.clock.now(), change=CommentChange.DELETE)


async def ingest(
    h: Harness, *events: CommentEvent, ingestor: Ingestor | None = None
) -> IngestResult:
    ingestor = ingestor or Ingestor(h.registry, h.clock, classify, rate_answer)
    async with h.sessions() as session, session.begin():
        return await ingestor.ingest(session, Batch(comments=list(events)))


async def set_person(h: Harness, telegram_id: int, **values: Any) -> None:
    async with h.sessions() as s, s.begin():
        await s.execute(update(Person).where(Person.telegram_id == telegram_id).values(**values))


def texts_of(h: Harness, chat_id: int) -> list[str]:
    return [m["text"] for m in h.cards(chat_id)]


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


@pytest.fixture
async def hr(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url, registry=region_registry()) as harness:
        yield harness


# ---- defect 3: a complaint no official hears of goes to the moderators at once ------------


async def test_complaint_of_an_agency_without_officials_reaches_its_moderators_at_once(
    hr: Harness,
) -> None:
    result = await ingest(hr, comment(11, GARBAGE, page=1003))
    (cid,) = result.new_complaints
    assert result.notifications == 1  # no official to alert: the region's moderator instead
    await hr.flush()
    (notice,) = hr.cards(601)
    assert f"Жалоба №{cid}" in notice["text"] and "Парки и скверы" in notice["text"]
    assert "у ведомства «Парки и скверы» нет исполнителя в боте" in notice["text"]
    assert (
        "Неделю не вывозят" in notice["text"] and "vk.com/wall-1003_10?reply=11" in notice["text"]
    )
    assert buttons(notice)[0][0] == f"№{cid}"  # opens the card, with «Передать»
    sent = next(c for c in hr.fake.calls if c.chat_id == 601 and c.method == "sendMessage")
    assert sent.at - T0 < timedelta(minutes=1)  # at once, not at the breach hours later
    # The other region's moderator and the admins (there is a moderator) hear nothing.
    assert hr.cards(602) == [] and hr.cards(801) == []
    async with hr.sessions() as s:
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.action == "routed_to_moderators"))
        ).scalar_one()
    assert entry.after == {"agency": "parks", "cause": "no_official", "to": [601]}
    # The moderator's card (from the button) then works like anyone's.
    card = await hr.reply(601, f"/complaint {cid}")
    assert "Неделю не вывозят" in card


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"unreachable": True}, "исполнитель ведомства «Парки и скверы» заблокировал бота"),
        (
            {"muted_until": T0 + timedelta(hours=4)},
            "исполнитель ведомства «Парки и скверы» отключил уведомления до 23.11 14:00",
        ),
    ],
    ids=["blocked", "muted"],
)
async def test_officials_who_blocked_or_muted_the_bot_count_as_nobody(
    db_url: str, state: dict[str, Any], reason: str
) -> None:
    official = {
        "telegram_id": 503,
        "name": "Пётр Парков",
        "role": "official",
        "agencies": ["parks"],
    }
    async with Harness(db_url, registry=region_registry(extra_people=[official])) as h:
        await set_person(h, 503, **state)
        (cid,) = (await ingest(h, comment(11, GARBAGE, page=1003))).new_complaints
        await h.flush(max_s=5 * 3600)  # the muted official's alert waits for 14:00
        (notice,) = texts_of(h, 601)
        assert f"Жалоба №{cid}" in notice and reason in notice
        told = next(c.at for c in h.fake.calls if c.chat_id == 601 and c.method == "sendMessage")
        assert told - T0 < timedelta(minutes=1)


async def test_an_official_blocking_the_bot_hands_his_open_complaints_to_the_moderators(
    hr: Harness,
) -> None:
    waiting = await ingest(hr, comment(11, ROADS))
    answered = await ingest(
        hr,
        comment(12, WATER, minutes=1, from_id=7002),
        comment(13, ANSWER, minutes=2, from_id=-1001, thread=12),
    )
    (open_id,), (answered_id,) = waiting.new_complaints, answered.new_complaints
    assert hr.cards(601) == []
    hr.fake.block(501)  # the first alert to him answers 403
    await hr.flush()
    told = texts_of(hr, 601)
    assert "Иван Петров" in told[0] and "заблокировал бота" in told[0]  # who (the outbox)
    (notice,) = told[1:]  # and what he held: the open complaint, not the answered one
    assert f"Жалоба №{open_id}" in notice and f"№{answered_id}" not in notice
    assert "исполнитель ведомства «Администрация» заблокировал бота" in notice
    assert not any("Жалоба №" in t for t in texts_of(hr, 602))  # not the far region's


async def test_with_no_moderator_in_charge_the_admins_hear_of_it(hr: Harness) -> None:
    await set_person(hr, 602, active=False)  # the far region's only moderator has left
    (cid,) = (await ingest(hr, comment(11, LIGHTS, page=1004))).new_complaints
    await hr.flush()
    (notice,) = texts_of(hr, 801)
    assert f"Жалоба №{cid}" in notice and "у ведомства «Дальний район» нет исполнителя" in notice
    assert hr.cards(601) == []


async def test_passing_a_complaint_to_an_agency_without_officials_tells_its_moderators(
    hr: Harness,
) -> None:
    (cid,) = (await ingest(hr, comment(11, ROADS))).new_complaints
    await hr.flush()
    assert "передана" in await hr.reply(601, f"/assign {cid} parks")
    await hr.flush()
    notice = texts_of(hr, 601)[-1]
    assert f"Жалоба №{cid}" in notice and "у ведомства «Парки и скверы» нет исполнителя" in notice


async def test_status_lists_the_agencies_whose_complaints_reach_no_official(hr: Harness) -> None:
    regional = await hr.reply(601, "/status")
    assert "Ведомства без исполнителя, который получает жалобы: 1" in regional
    assert "Парки и скверы: нет исполнителя в боте" in regional
    assert "Дальний район" not in regional  # another region's
    await set_person(hr, 501, unreachable=True)
    everything = await hr.reply(801, "/status")
    assert "Ведомства без исполнителя, который получает жалобы: 3" in everything
    assert "Администрация: исполнители заблокировали бота или ещё не открыли его" in everything
    assert "Дальний район: нет исполнителя в боте" in everything


# ---- defect 5: a deleted comment closes its complaint -------------------------------------


async def test_a_deleted_comment_closes_its_complaint_and_nothing_is_escalated(h: Harness) -> None:
    (cid,) = (await ingest(h, comment(11, ROADS))).new_complaints
    await h.flush()
    mid, card = h.last(501)
    assert "Ответить до" in card["text"]
    h.move_to(2)
    result = await ingest(h, gone(h, 11))
    assert result.deleted == [cid]
    c = await h.get(cid)
    assert (c.status, c.closed_at) == ("deleted", T0 + timedelta(hours=2))
    await h.flush()
    card = h.fake.messages(501)[mid]  # the card is edited, like any change of status
    assert "Комментарий удалён" in card["text"] and "Ответить до" not in card["text"]
    assert buttons(card) == []  # nothing left for the official to do
    # The SLA watch never nudges nor escalates it: not at 75 %, the breach or for the leads.
    deps = JobDeps(h.sessions, h.clock, h.registry)
    for hours in (7, 9, 30):
        passed = await check_sla(deps, now=T0 + timedelta(hours=hours))
        assert cid not in [*passed.nudged, *passed.escalated, *passed.escalated_lead]
    async with h.sessions() as s:
        kinds = (await s.execute(select(Notification.kind))).scalars().all()
    assert sorted(set(kinds)) == ["alert", "update"]
    h.move_to(30)
    assert "Жалоб нет" in await h.reply(601, "/overdue")
    stats = await h.reply(601, "/stats")
    assert "Открыто сейчас: 0, из них просрочено: 0" in stats
    assert "Закрыто, комментарий удалён автором: 1" in stats
    # A moderator may reopen it: a new clock, and the card says so.
    assert "переоткрыта" in await h.reply(601, f"/reopen {cid}")
    assert (await h.get(cid)).status == "open"
    await h.flush()
    card = h.fake.messages(501)[mid]
    assert "Комментарий удалён" not in card["text"] and "Переоткрыта" in card["text"]


@pytest.mark.parametrize("how", ["long_poll_restore", "read_again"])
async def test_a_restored_comment_brings_its_complaint_back(h: Harness, how: str) -> None:
    (cid,) = (await ingest(h, comment(11, ROADS))).new_complaints
    await h.flush()
    mid, _ = h.last(501)
    h.move_to(1)
    await ingest(h, gone(h, 11))
    h.move_to(2)
    back = (
        comment(11, ROADS, change=CommentChange.RESTORE)
        if how == "long_poll_restore"
        else comment(11, ROADS)  # polling: the comment is simply there again
    )
    result = await ingest(h, back)
    assert result.restored == [cid] and result.new_complaints == []
    c = await h.get(cid)
    assert (c.status, c.closed_at) == ("open", None)
    await h.flush()
    card = h.fake.messages(501)[mid]
    assert "Комментарий удалён" not in card["text"] and "Ответить до" in card["text"]


async def test_a_comment_deleted_before_it_was_read_raises_no_complaint(h: Harness) -> None:
    """Long Poll may bring a comment and its deletion in one batch."""
    ingestor = Ingestor(h.registry, h.clock, classify, rate_answer)  # first look at T0
    h.move_to(0.5)
    result = await ingest(h, comment(11, ROADS, minutes=5), gone(h, 11), ingestor=ingestor)
    assert result.new_comments == 1 and result.new_complaints == []


async def test_deleted_complaints_count_on_their_own_in_the_digest(h: Harness) -> None:
    ids = [
        (await ingest(h, comment(11 + i, text, minutes=i, from_id=7001 + i))).new_complaints[0]
        for i, text in enumerate((ROADS, WATER, GARBAGE))
    ]
    await ingest(h, comment(20, ANSWER, minutes=30, from_id=-1001, thread=13))  # the third
    h.move_to(1)
    await ingest(h, gone(h, 12), gone(h, 13))  # unanswered, and answered, then deleted
    h.move_to(24)  # the next morning: the first complaint is overdue
    async with h.sessions() as s:
        lead = await s.get(Person, 701)
        assert lead is not None
        text, _, data = await build_digest(s, lead, h.clock.now(), draw=Drawing())
    region = data.region
    assert (region.complaints, region.answered, region.deleted) == (3, 1, 2)
    assert region.overdue_open == 1  # the deleted unanswered one is not overdue
    assert region.measured == 2  # nor part of the on-time share: nobody could answer it
    assert [o.id for o in data.overdue] == [ids[0]]
    assert "закрыто (комментарий удалён автором): <b>2</b>" in text
    assert "Просрочено без ответа: 1" in text


# ---- defect 6: history is decided by the comment's own date --------------------------------


async def test_history_is_decided_by_the_comments_date_not_by_how_it_was_read(
    h: Harness,
) -> None:
    first_look = Ingestor(h.registry, h.clock, classify, rate_answer)  # started at T0
    # The post is first read because someone commented after the first look: the comments
    # written before it come along as never seen, and are the page's history.
    result = await ingest(
        h,
        comment(11, ROADS, minutes=-180),
        comment(12, WATER, minutes=5, from_id=7002),
        ingestor=first_look,
    )
    (cid,) = result.new_complaints
    assert (await h.get(cid)).comment_id == 12
    assert (await ingest(h, comment(13, GARBAGE, minutes=-60, from_id=7003))).new_complaints == []
    async with h.sessions() as s:
        page = await s.get(Page, 1001)
        assert page is not None and page.first_look_at == T0
    # After a restart two days later the first look stays: what was written while the app
    # was down is alerted, what predates the first look still is not.
    h.move_to(48)
    restarted = Ingestor(h.registry, h.clock, classify, rate_answer)
    result = await ingest(
        h,
        comment(14, LIGHTS, minutes=-120, from_id=7004),
        comment(15, LIGHTS, minutes=36 * 60, from_id=7005),
        ingestor=restarted,
    )
    assert [(await h.get(i)).comment_id for i in result.new_complaints] == [15]
    await h.flush()
    assert len(h.cards(501)) == 2


async def test_the_first_look_is_stamped_by_its_posts_before_any_comment(h: Harness) -> None:
    """The soak, seed 11 at 300×: the first look stored a page's posts, and the app restarted
    before it read the page's first comment.  Stamped only with a first stored comment, the
    page's first look became the restart, and the comment written before it (and one written
    while the app was down) were taken for history: no complaint, nobody told."""
    first_look = Ingestor(h.registry, h.clock, classify, rate_answer)  # started at T0
    async with h.sessions() as session, session.begin():
        post = PostEvent(-1001, 10, T0 - timedelta(hours=5), "Итоги ремонта дорог", 0)
        await first_look.ingest(session, Batch(posts=[post]))
    async with h.sessions() as s:
        page = await s.get(Page, 1001)
        assert page is not None and page.first_look_at == T0
    h.move_to(1)  # restarted an hour later
    restarted = Ingestor(h.registry, h.clock, classify, rate_answer)
    result = await ingest(
        h,
        comment(11, ROADS, minutes=20),  # written while the first run was up, not read by then
        comment(12, WATER, minutes=45, from_id=7002),  # written while it was down
        ingestor=restarted,
    )
    assert [(await h.get(i)).comment_id for i in result.new_complaints] == [11, 12]


async def test_an_empty_wall_looked_at_stamps_the_first_look(h: Harness) -> None:
    """The first look found the page's wall empty: nothing to store, but it was looked at
    (``Batch.looked``).  Unstamped, a restart took its own start for the first look, and
    comments under a post written since (read only after the restart) for history."""
    first_look = Ingestor(h.registry, h.clock, classify, rate_answer)  # started at T0
    async with h.sessions() as session, session.begin():
        await first_look.ingest(session, Batch(looked=[1001]))
    async with h.sessions() as s:
        page = await s.get(Page, 1001)
        assert page is not None and page.first_look_at == T0
    h.move_to(1)  # restarted an hour later
    restarted = Ingestor(h.registry, h.clock, classify, rate_answer)
    async with h.sessions() as session, session.begin():
        await restarted.ingest(session, Batch(looked=[1001]))  # looked at again: no move
    result = await ingest(h, comment(11, ROADS, minutes=20), ingestor=restarted)
    assert [(await h.get(i)).comment_id for i in result.new_complaints] == [11]
    async with h.sessions() as s:
        page = await s.get(Page, 1001)
        assert page is not None and page.first_look_at == T0


async def test_alert_history_hours_alerts_the_last_hours_unanswered_complaints(
    h: Harness,
) -> None:
    """``OTKLIK__VK__ALERT_HISTORY_HOURS=3``: a centre installing Otklik at 10:00 wants
    the complaints of the morning that nobody has answered."""
    assert Settings(_env_file=None, vk={"alert_history_hours": 3}).vk.alert_history_hours == 3
    first_look = Ingestor(h.registry, h.clock, classify, rate_answer, alert_history_hours=3)
    result = await ingest(
        h,
        comment(11, ROADS, minutes=-120),  # 08:00, nobody answered
        comment(12, WATER, minutes=-100, from_id=7002),  # answered at 08:40
        comment(13, ANSWER, minutes=-80, from_id=-1001, thread=12),
        comment(14, GARBAGE, minutes=-300, from_id=7003),  # 05:00: before the window
        ingestor=first_look,
    )
    unanswered, answered = result.new_complaints
    assert (await h.get(unanswered)).comment_id == 11
    assert (await h.get(answered)).status == "answered"
    await h.flush()
    (alert,) = h.cards(501)
    assert f"Жалоба №{unanswered}" in alert["text"]


# ---- 14: one INFO line per event, ids only ---------------------------------------------------


async def test_each_lifecycle_event_is_logged_once_with_ids_only(
    hr: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    created = await ingest(hr, comment(11, ROADS, from_id=7001), comment(21, GARBAGE, page=1003))
    city, parks = created.new_complaints
    await ingest(hr, comment(12, ANSWER, minutes=5, from_id=-1001, thread=11))
    await ingest(hr, comment(13, "Ничего не сделали, яма на месте", minutes=60, thread=11))
    await ingest(hr, gone(hr, 21, page=1003))
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("storage.")]
    for expected in (
        f"complaint {city} created: page 1001 post 10 comment 11, agency city, topic roads",
        f"complaint {parks} created: page 1003 post 10 comment 21, agency parks",
        f"complaint {parks} routed to 1 moderator(s)/admin(s): agency parks, no_official",
        f"complaint {city} answered by comment 12",
        f"complaint {city} reopened by comment 13",
        f"complaint {parks} closed: its comment 21 was deleted",
    ):
        assert sum(line.startswith(expected) for line in lines) == 1, (expected, lines)
    for line in lines:
        assert not any(word in line for word in ("Яма", "Мария", "мусор", "Ленина"))


# ---- end to end: the collector, the fake VK and Telegram, the whole app ----------------------


#: The scenarios' end: far enough for a loaded machine; each test stops on its condition.
LATE = "2026-11-23T14:00:00+03:00"


def _sent_to(sandbox: Sandbox, chat_id: int) -> list[str]:
    return [
        c.text or ""
        for c in sandbox.tg.calls
        if c.chat_id == chat_id and c.method == "sendMessage" and c.status == 200
    ]


def _said(hhmm: str, post: int, cid: int, author: int, text: str) -> dict[str, Any]:
    """A scenario comment on page 1001, on the scenario's day (Moscow time)."""
    return {
        "at": f"2026-11-23T{hhmm}:00+03:00",
        "comment": {"page": 1001, "post": post, "id": cid, "from_id": author, "text": text},
    }


def _history_scenario(make_scenario: Callable[..., Scenario]) -> Scenario:
    return make_scenario(
        [
            _said("04:00", 5, 7, 7004, LIGHTS),
            _said("05:30", 5, 8, 7003, GARBAGE),
            _said("06:00", 6, 9, 7001, ROADS),
            _said("08:10", 6, 12, 7002, WATER),
        ],
        posts=[
            {"page": 1001, "id": 5, "at": "2026-11-23T03:00:00+03:00", "text": "Ночные новости"},
            {"page": 1001, "id": 6, "at": "2026-11-23T05:00:00+03:00", "text": "Итоги недели"},
        ],
        end=LATE,
    )


@pytest.mark.e2e
async def test_e2e_history_is_never_alerted_even_when_its_post_is_read_again(
    make_scenario: Callable[..., Scenario], tmp_path: Path, db_url: str
) -> None:
    """08:00 is the first look.  The 06:00 comment is history; its post is read only at 08:10,
    when a resident comments under it, and the 06:00 one must not be alerted then."""
    scenario = _history_scenario(make_scenario)
    async with Sandbox(scenario, workdir=tmp_path, speed=1000.0, db_url=db_url) as sandbox:
        await sandbox.run_app(
            scenario.end,
            stop_when=lambda: any("горячей воды" in t for t in _sent_to(sandbox, 501)),
        )
        report = await sandbox.report()
    assert [c["comment"] for c in report["complaints"]] == [12]  # not 9 (06:00)
    (alert,) = _sent_to(sandbox, 501)  # the two alerts would have gone in that order
    assert "горячей воды" in alert


class HistorySandbox(Sandbox):
    def settings(self) -> Settings:
        settings = super().settings()
        settings.vk.alert_history_hours = 3.0
        return settings


@pytest.mark.e2e
async def test_e2e_alert_history_hours_alerts_the_mornings_complaints_on_first_start(
    make_scenario: Callable[..., Scenario], tmp_path: Path, db_url: str
) -> None:
    scenario = _history_scenario(make_scenario)
    marks = ("Ленина", "мусор", "горячей воды")  # 06:00, 05:30 (its post never changes), 08:10

    def all_alerted() -> bool:
        sent = " ".join(_sent_to(sandbox, 501))
        return all(m in sent for m in marks)

    async with HistorySandbox(scenario, workdir=tmp_path, speed=1000.0, db_url=db_url) as sandbox:
        await sandbox.run_app(scenario.end, stop_when=all_alerted)
        report = await sandbox.report()
    assert all_alerted()
    # 04:00 is more than 3 hours before the first look: history.
    assert sorted(c["comment"] for c in report["complaints"]) == [8, 9, 12]


@pytest.mark.e2e
async def test_e2e_deleted_comment_closes_the_complaint_and_its_card_says_so(
    make_scenario: Callable[..., Scenario], tmp_path: Path, db_url: str
) -> None:
    # The resident deletes the comment once the official has the card: by condition, not at
    # a virtual time, so a busy machine cannot let the deletion overtake the first read.
    scenario = make_scenario(
        [_said("08:05", 10, 11, 7001, ROADS)], end="2026-11-24T14:00:00+03:00"
    )

    def texts_to_official() -> list[str]:
        return [str(m.get("text") or "") for m in sandbox.tg.messages(501).values()]

    def card_closed() -> bool:
        return any("Комментарий удалён" in t for t in texts_to_official())

    async def delete_once_alerted() -> None:
        await until(lambda: any("Жалоба №" in t for t in texts_to_official()), "the alert", 240)
        sandbox.vk.delete_comment(1001, 11, at=sandbox.clock.now())

    async with Sandbox(scenario, workdir=tmp_path, speed=1000.0, db_url=db_url) as sandbox:
        deleting = asyncio.create_task(delete_once_alerted())
        await sandbox.run_app(scenario.end, stop_when=card_closed)
        await deleting
        report = await sandbox.report()
    assert card_closed()
    (complaint,) = report["complaints"]
    assert complaint["status"] == "deleted"


@pytest.mark.e2e
async def test_e2e_complaint_without_an_official_reaches_the_moderator(
    make_scenario: Callable[..., Scenario], tmp_path: Path, db_url: str
) -> None:
    scenario = make_scenario(
        [
            _said("08:05", 10, 11, 7001, ROADS),
        ],
        people=[{"telegram_id": 601, "name": "Ольга Смирнова", "role": "moderator"}],
        end=LATE,
    )

    def told() -> bool:
        return any("нет исполнителя в боте" in t for t in _sent_to(sandbox, 601))

    async with Sandbox(scenario, workdir=tmp_path, speed=1000.0, db_url=db_url) as sandbox:
        await sandbox.run_app(scenario.end, stop_when=told)
        report = await sandbox.report()
    assert told()
    (complaint,) = report["complaints"]
    (notice,) = _sent_to(sandbox, 601)
    assert f"Жалоба №{complaint['id']}" in notice
    # As soon as the complaint is seen, not at the breach escalation (17:00) hours later.
    told_at = datetime.fromisoformat(
        next(t["at"] for t in report["telegram"] if t["chat_id"] == 601)
    )
    assert told_at < datetime.fromisoformat(complaint["due_at"]) - timedelta(hours=6)
