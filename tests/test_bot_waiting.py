"""«Ждём ответа жителя»: the button and /wait stop the deadline clock, /resume, the button or
the resident's reply start it again, and the working response time leaves the wait out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Complaint
from storage.sla_clock import (
    agency_calendar,
    agency_policy,
    current_deadlines,
    resident_replied,
)
from tests.bot_harness import STRANGER, T0, Harness, buttons

OFFICIAL, OTHER_OFFICIAL, MODERATOR, LEAD = 501, 502, 601, 701


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


async def _actions(h: Harness) -> list[str]:
    async with h.sessions() as s:
        return list((await s.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())


async def test_wait_button_stops_the_clock_and_resume_moves_the_deadline(h: Harness) -> None:
    cid = await h.complaint()  # Monday 10:00 Moscow, due 18:00
    await h.flush()
    mid, card = h.last(OFFICIAL)
    wait = dict(buttons(card))["Ждём ответа жителя"]
    answer = await h.press(OFFICIAL, mid, wait)
    assert "ждём ответа жителя, срок остановлен" in answer.params["text"]
    await h.flush()
    card = h.fake.messages(OFFICIAL)[mid]
    assert "Ждём ответа жителя</b> с 23.11 10:00, срок ответа остановлен" in card["text"]
    assert "Ответить до" not in card["text"]
    assert [b for b, _ in buttons(card)] == [
        "Ответить",
        "В работу",
        "Ответ дан",
        "Возобновить срок",
    ]
    assert (await h.get(cid)).waiting_since == T0

    h.move_to(2)  # two working hours on the resident: 12:00
    answer = await h.press(OFFICIAL, mid, dict(buttons(card))["Возобновить срок"])
    assert "срок ответа снова идёт" in answer.params["text"]
    c = await h.get(cid)
    assert (c.waiting_since, c.paused_s) == (None, 2 * 3600)
    await h.flush()
    card = h.fake.messages(OFFICIAL)[mid]
    # 18:00 plus two working hours: Tuesday 11:00.
    assert "Ответить до 24.11 11:00" in card["text"] and "Ждём ответа" not in card["text"]
    assert "Ждём ответа жителя" in [b for b, _ in buttons(card)]
    assert await _actions(h) == ["wait", "resume"]


async def test_wait_command_with_reason_shows_on_every_card(h: Harness) -> None:
    cid = await h.complaint()
    await h.flush()
    await h.say(MODERATOR, f"/complaint {cid}")
    cards = {chat: h.last(chat)[0] for chat in (OFFICIAL, MODERATOR)}
    h.move_to(0.25)
    reply = await h.reply(OFFICIAL, f"/wait {cid} уточняем номер дома <5>")
    assert f"Жалоба №{cid}: ждём ответа жителя" in reply and f"/resume {cid}" in reply
    await h.flush()
    for chat, mid in cards.items():
        text = h.fake.messages(chat)[mid]["text"]
        assert "Ждём ответа жителя</b> с 23.11 10:15" in text
        assert "Спросили: уточняем номер дома &lt;5&gt;" in text
    assert (await h.get(cid)).waiting_reason == "уточняем номер дома <5>"
    # The moderator resumes it; the reply names the deadline: 18:00 plus one working hour.
    h.move_to(1.25)
    assert "ответить до 24.11 10:00" in await h.reply(MODERATOR, f"/resume {cid}")
    c = await h.get(cid)
    assert (c.waiting_since, c.waiting_reason, c.paused_s) == (None, None, 3600)


# Every row is refused with a clear message and changes nothing.
REFUSALS = [
    (STRANGER, "/wait {id}", "по приглашению"),
    (LEAD, "/wait {id}", "недоступна"),
    (LEAD, "/resume {id}", "недоступна"),
    (OTHER_OFFICIAL, "/wait {id}", "не из ваших ведомств"),  # another agency's complaint
    (OFFICIAL, "/wait", "числом"),
    (OFFICIAL, "/wait два", "числом"),
    (OFFICIAL, "/wait 999", "не найдена"),
    (OFFICIAL, "/wait {id} " + "очень " * 60, "не больше 300 символов"),
    (OFFICIAL, "/resume {id}", "не ждёт ответа жителя"),
    (MODERATOR, "/resume {id}", "не ждёт ответа жителя"),
]


@pytest.mark.parametrize(("who", "command", "expected"), REFUSALS)
async def test_wait_refusals_change_nothing(
    h: Harness, who: int, command: str, expected: str
) -> None:
    cid = await h.complaint()
    await h.refused(who, command.format(id=cid), expected)
    c = await h.get(cid)
    assert (c.waiting_since, c.paused_s, c.status) == (None, 0, "open")


async def test_waiting_twice_or_on_a_closed_complaint_is_refused(h: Harness) -> None:
    cid = await h.complaint()
    await h.reply(OFFICIAL, f"/wait {cid}")
    since = (await h.get(cid)).waiting_since
    h.move_to(0.5)
    assert "уже ждёт ответа жителя" in await h.reply(OFFICIAL, f"/wait {cid}")
    assert (await h.get(cid)).waiting_since == since  # the wait still counts from the first
    closed = await h.complaint()
    await h.reply(MODERATOR, f"/resolve {closed}")
    assert "уже закрыта" in await h.reply(OFFICIAL, f"/wait {closed}")
    assert (await h.get(closed)).waiting_since is None
    assert await _actions(h) == ["wait", "resolved"]


async def test_forged_wait_button_of_another_agency_changes_nothing(h: Harness) -> None:
    mine = await h.complaint()
    other = await h.complaint(page=1002, agency="roads")
    await h.flush()
    mid, _ = h.last(OFFICIAL)
    answer = await h.press(OFFICIAL, mid, f"c:w:{other}")
    assert f"№{other} есть, но она не из ваших ведомств" in answer.params["text"]
    await h.say(LEAD, f"/complaint {mine}")  # a lead's card has no buttons: forge one
    answer = await h.press(LEAD, h.last(LEAD)[0], f"c:w:{mine}")
    assert (
        "останавливать срок («Ждём ответа жителя») могут исполнители ведомства жалобы"
        in (answer.params["text"])
    )
    assert (await h.get(other)).waiting_since is None
    assert (await h.get(mine)).waiting_since is None
    assert await _actions(h) == []


async def test_paused_complaint_is_not_overdue_and_lists_say_it_waits(h: Harness) -> None:
    late = await h.complaint(due_in_h=-1)
    await h.complaint(due_in_h=-2)
    await h.reply(OFFICIAL, f"/wait {late}")
    overdue = await h.reply(MODERATOR, "/overdue")
    assert "Просроченные жалобы: 1" in overdue and f"№{late} " not in overdue
    assert "просрочено" in overdue
    listing = await h.reply(MODERATOR, "/open")
    assert f"№{late} · Дороги · Администрация · ⏸ ждём ответа жителя" in listing
    assert "из них просрочено: 1" in await h.reply(MODERATOR, "/stats")


async def test_answer_while_waiting_leaves_the_wait_out_of_working_time(h: Harness) -> None:
    cid = await h.complaint()  # 10:00
    await h.flush()
    mid, card = h.last(OFFICIAL)
    h.move_to(1)
    await h.reply(OFFICIAL, f"/wait {cid} нужен адрес")  # 11:00
    h.move_to(3)
    await h.press(OFFICIAL, mid, dict(buttons(card))["Ответ дан"])  # 13:00
    c = await h.get(cid)
    assert (c.response_seconds, c.business_seconds) == (3 * 3600, 3600)
    assert (c.waiting_since, c.paused_s) == (None, 2 * 3600)
    await h.flush()
    card = h.fake.messages(OFFICIAL)[mid]
    assert "Ждём ответа" not in card["text"] and "через 3 ч" in card["text"]


async def test_the_residents_reply_resumes_the_clock(h: Harness) -> None:
    """What ingest does when the author writes again under a waiting complaint."""
    cid = await h.complaint()
    await h.flush()
    mid, _ = h.last(OFFICIAL)
    await h.reply(OFFICIAL, f"/wait {cid}")
    h.move_to(3)
    wrote_at = h.clock.now() - timedelta(minutes=30)  # collected half an hour late
    async with h.sessions() as s, s.begin():
        c = await s.get(Complaint, cid)
        assert c is not None
        assert await resident_replied(s, c, wrote_at, h.registry, h.clock.now())
        assert not await resident_replied(s, c, wrote_at, h.registry, h.clock.now())
    c = await h.get(cid)
    assert (c.waiting_since, c.paused_s) == (None, int(2.5 * 3600))
    await h.flush()
    card = h.fake.messages(OFFICIAL)[mid]
    assert "Ждём ответа" not in card["text"] and "Ответить до 24.11 11:30" in card["text"]
    async with h.sessions() as s:
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.action == "resume"))
        ).scalar_one()
    assert (entry.actor, entry.after["by"]) == ("system", "resident")


async def test_reopen_starts_a_clock_without_the_old_waits(h: Harness) -> None:
    cid = await h.complaint()
    await h.reply(OFFICIAL, f"/wait {cid}")
    h.move_to(4)
    await h.reply(OFFICIAL, f"/resume {cid}")
    await h.reply(MODERATOR, f"/resolve {cid}")
    h.move_to(5)  # Monday 15:00
    assert "срок ответа — до 24.11 14:00" in await h.reply(MODERATOR, f"/reopen {cid}")
    c = await h.get(cid)
    assert (c.paused_s, c.paused_before_clock_s, c.waiting_since) == (4 * 3600, 4 * 3600, None)
    # The SLA watch recomputes the running clock's deadline the same way: the wait of the
    # first clock does not push the new one.
    city = (agency_policy(h.registry, "city"), agency_calendar(h.registry, "city"))
    assert current_deadlines(c, *city).due_at == c.due_at
