"""Alerts and their buttons, through the real aiogram against the fake Bot API (issue 5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Label
from tests.bot_harness import STRANGER, Harness, buttons


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


async def test_alert_card_has_countdown_link_and_role_buttons(h: Harness) -> None:
    cid = await h.complaint()
    await h.flush()
    (card,) = h.cards(501)
    text = card["text"]
    assert f"Жалоба №{cid}" in text and "Мария К." in text
    assert "&lt;опасно&gt; &amp; глубоко" in text  # residents' text is escaped
    assert "vk.com/wall-1001_10?reply=101" in text
    # Moscow time, a countdown in working time that says so (issue 14).
    assert "Ответить до 23.11 18:00 (осталось 8 ч рабочего времени)" in text
    assert [b for b, _ in buttons(card)] == [
        "Ответить",
        "В работу",
        "Ответ дан",
        "Ждём ответа жителя",
    ]
    assert h.cards(502) == [] and h.cards(601) == []  # another agency, the moderator
    assert h.fake.http_429_count() == 0


async def test_take_edits_the_card_and_is_audited(h: Harness) -> None:
    cid = await h.complaint()
    await h.flush()
    mid, _ = h.last(501)
    answer = await h.press(501, mid, f"c:t:{cid}")
    assert "взята в работу" in answer.params["text"]
    await h.flush()
    card = h.fake.messages(501)[mid]
    assert card["edited"] and "В работе: Иван Петров" in card["text"]
    assert [b for b, _ in buttons(card)] == ["Ответить", "Ответ дан", "Ждём ответа жителя"]
    assert (await h.get(cid)).status == "in_work"
    async with h.sessions() as s:
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.action == "take"))
        ).scalar_one()
    assert (entry.actor, entry.before["status"], entry.after["taken_by"]) == (
        "tg:501",
        "open",
        501,
    )


async def test_answered_by_hand_shows_on_the_card(h: Harness) -> None:
    cid = await h.complaint()
    await h.flush()
    h.clock.advance(3600)
    mid, _ = h.last(501)
    await h.press(501, mid, f"c:a:{cid}")
    await h.flush()
    card = h.fake.messages(501)[mid]
    assert "отмечено вручную: Иван Петров" in card["text"] and "через 1 ч" in card["text"]
    assert buttons(card) == []
    assert (await h.get(cid)).response_seconds == 3600


async def test_buttons_without_rights_change_nothing_and_say_so(h: Harness) -> None:
    cid = await h.complaint()
    other = await h.complaint(page=1002, agency="roads")
    await h.flush()
    mid, _ = h.last(501)
    before = await h.audit_count()
    # A forged «Решено» (officials have no such button): refused, saying who may do it.
    answer = await h.press(501, mid, f"c:r:{cid}")
    assert answer.params["text"] == (
        f"Жалоба №{cid}: закрывать жалобу как решённую могут модераторы ЦУР и администраторы."
    )
    # Another agency's complaint: it exists, but is not theirs (not «не найдена»).
    answer = await h.press(501, mid, f"c:t:{other}")
    assert f"№{other} есть, но она не из ваших ведомств (Администрация)" in (answer.params["text"])
    # Garbage that no typed filter accepts.
    answer = await h.press(501, mid, "c:zz:oops")
    assert "устарела" in answer.params["text"]
    # A forged reassignment.
    answer = await h.press(501, mid, f"ca:{cid}:roads")
    assert "передавать жалобу другому ведомству могут модераторы ЦУР" in answer.params["text"]
    assert (await h.get(cid)).status == "open"
    assert (await h.get(cid)).agency_id == "city"
    assert await h.audit_count() == before


async def test_stale_button_after_a_moderator_closed_it(h: Harness) -> None:
    cid = await h.complaint()
    await h.flush()
    mid, _ = h.last(501)
    assert "закрыта как решённая" in await h.reply(601, f"/resolve {cid} починили")
    before = await h.audit_count()
    answer = await h.press(501, mid, f"c:t:{cid}")
    assert "уже закрыта" in answer.params["text"]
    assert (await h.get(cid)).status == "resolved"
    assert await h.audit_count() == before
    await h.flush()
    assert "Решено" in h.fake.messages(501)[mid]["text"]


async def test_stranger_button_is_refused(h: Harness) -> None:
    cid = await h.complaint()
    await h.reply(STRANGER, "/start")
    mid, _ = h.last(STRANGER)
    answer = await h.press(STRANGER, mid, f"c:t:{cid}")
    assert "по приглашению" in answer.params["text"]
    assert (await h.get(cid)).status == "open"


async def test_moderator_reassigns_with_the_picker_and_new_agency_is_alerted(h: Harness) -> None:
    cid = await h.complaint()
    await h.flush()
    official_mid, _ = h.last(501)
    await h.say(601, f"/complaint {cid}")
    mid, card = h.last(601)
    assert [b for b, _ in buttons(card)] == [
        "Ответить",
        "В работу",
        "Ответ дан",
        "Ждём ответа жителя",
        "Решено",
        "Не жалоба",
        "Передать",
    ]
    await h.press(601, mid, f"c:p:{cid}")
    picker = h.fake.messages(601)[mid]
    assert ("Дорожная служба", f"ca:{cid}:roads") in buttons(picker)
    answer = await h.press(601, mid, f"ca:{cid}:roads")
    assert "передана: Дорожная служба" in answer.params["text"]
    await h.flush()
    assert (await h.get(cid)).agency_id == "roads"
    (new_card,) = h.cards(502)
    assert f"Жалоба №{cid}" in new_card["text"]
    assert "Ведомство:</b> Дорожная служба" in h.fake.messages(501)[official_mid]["text"]
    assert "Передать" in [b for b, _ in buttons(h.fake.messages(601)[mid])]


async def test_dismiss_button_writes_a_label_and_reopen_restarts_the_clock(h: Harness) -> None:
    cid = await h.complaint(text="Когда уже сделают нормальный парк?")
    await h.flush()
    await h.say(601, f"/complaint {cid}")
    mid, _ = h.last(601)
    answer = await h.press(601, mid, f"c:d:{cid}")
    assert "«не жалоба»" in answer.params["text"]
    await h.flush()
    assert "Не жалоба" in h.fake.messages(501)[h.last(501)[0]]["text"]
    async with h.sessions() as s:
        label = (await s.execute(select(Label))).scalar_one()
    assert (label.needs_answer, label.by, label.complaint_id) == (False, 601, cid)
    h.clock.advance(600)
    answer = await h.press(601, mid, f"c:o:{cid}")
    assert "переоткрыта" in answer.params["text"]
    c = await h.get(cid)
    assert (c.status, c.reopen_count) == ("open", 1)
    await h.flush()
    assert "Переоткрыта (1 раз)" in h.fake.messages(501)[h.last(501)[0]]["text"]
