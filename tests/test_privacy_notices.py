"""The no-personal-data mode for what is not a card (issue 13): SLA notices, which quote the
comment, a weekly Excel, which lists the comments, and notices that name no resident.  Real
SLA watch and outbox, real aiogram against the fake Telegram, which is the private messenger
here; plus the card itself, rendered for such a messenger with every field that could carry a
resident's data filled in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import texts
from bot.core.privacy import Privacy
from bot.core.render import AlertView, ListItem, render_alert, render_list
from bot.core.types import Channel
from bot.digest import media_payload
from bot.outbox import OutboxSender
from bot.scheduler import JobDeps
from bot.sla_watch import check_sla
from storage.outbox import enqueue
from tests.bot_harness import Harness

OFFICIAL, MODERATOR = 501, 601
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def _private_sender(h: Harness) -> OutboxSender:
    return OutboxSender(
        h.bot, h.sessions, h.clock, h.sender.pacer, privacy=Privacy(frozenset({Channel.TELEGRAM}))
    )


async def test_sla_notices_on_a_private_messenger_say_what_and_when_but_quote_nobody(
    db_url: str,
) -> None:
    async with Harness(db_url) as h:
        h.sender = _private_sender(h)
        cid = await h.complaint(alert=False)
        deps = JobDeps(h.sessions, h.clock, h.registry)
        h.move_to(6)  # 6 of 8 working hours: the official is nudged
        assert (await check_sla(deps, now=h.clock.now())).nudged == [cid]
        h.move_to(8)  # the deadline: the moderators are told
        assert (await check_sla(deps, now=h.clock.now())).escalated == [cid]
        await h.flush()
        to_official = [c.text or "" for c in h.fake.sent(OFFICIAL)]
        to_moderator = [c.text or "" for c in h.fake.sent(MODERATOR)]

    (nudge,) = to_official
    (escalation,) = to_moderator
    for text in (nudge, escalation):
        assert "Мария" not in text and "Яма у дома" not in text and "опасно" not in text
        assert f"Жалоба №{cid}" in text and "vk.com/wall-1001_10?reply=" in text
    assert nudge.startswith(texts.PRIVATE_NOTICE["nudge"])
    assert escalation.startswith(texts.PRIVATE_NOTICE["escalation"])


async def test_a_weekly_excel_is_withheld_and_staff_notices_go_as_they_are(db_url: str) -> None:
    async with Harness(db_url) as h:
        h.sender = _private_sender(h)
        async with h.sessions() as s, s.begin():
            enqueue(
                s,
                key="weekly:1",
                chat_id=OFFICIAL,
                kind="document",
                now=h.clock.now(),
                payload=media_payload(b"PK..", "week.xlsx", "Отчёт за неделю"),
            )
            enqueue(
                s,
                key="chart:1",
                chat_id=OFFICIAL,
                kind="photo",
                now=h.clock.now(),
                payload=media_payload(b"\x89PNG..", "chart.png", "Диаграмма"),
            )
            enqueue(
                s,
                key="digest:1",
                chat_id=OFFICIAL,
                kind="digest",
                now=h.clock.now(),
                payload={"text": "Сводка за день: 3 жалобы"},
            )
        await h.flush()
        calls = h.fake.sent(OFFICIAL)

    methods = [c.method for c in calls]
    assert "sendDocument" not in methods and "sendPhoto" in methods
    texts_sent = [c.text or "" for c in calls]
    assert any("Отчёт за неделю" in t and "не отправляется" in t for t in texts_sent)
    assert "Сводка за день: 3 жалобы" in texts_sent


def test_a_private_card_keeps_page_topic_deadline_number_and_link_only() -> None:
    view = AlertView(
        complaint_id=7,
        topic="roads",
        status="open",
        page_name="Администрация",
        post_text="Итоги недели: ремонт дорог",
        author="Мария Кузнецова",
        text="Яма у дома 5, звоните 8-900-000-00-00",
        url="https://vk.com/wall-1001_10?reply=101",
        due_at=NOW + timedelta(hours=8),
        tz="Europe/Moscow",
        urgent=True,
        urgent_reasons=("яма на дороге: «провалилась машина»",),
        waiting_since=None,
        now=NOW,
    )
    waiting = AlertView(
        **{
            **{f: getattr(view, f) for f in view.__slots__},
            "waiting_since": NOW,
            "waiting_reason": "Мария, уточните номер дома",
        }
    )
    answered = AlertView(
        **{
            **{f: getattr(view, f) for f in view.__slots__},
            "status": "answered",
            "response_seconds": 3600,
            "business_seconds": 3600,
            "answered_text": "Мария, добрый день! Яму засыплют завтра.",
        }
    )
    personal = ("Мария", "Яма у дома", "8-900", "Итоги недели", "провалилась")
    for v in (view, waiting, answered):
        private = render_alert(v, private=True)
        assert [w for w in personal if w in private] == []
        assert "Жалоба №7" in private and "Администрация" in private
        assert "vk.com/wall-1001_10?reply=101" in private and texts.ALERT_HIDDEN in private
        full = render_alert(v, private=False)
        assert "Мария Кузнецова" in full and "Яма у дома 5" in full
    assert "Ответить до" in render_alert(view, private=True)
    assert "яма на дороге" in render_alert(view, private=True)  # why urgent, without quotes

    item = ListItem(7, "roads", "Администрация", "Яма у дома 5", NOW + timedelta(hours=8))
    hidden = render_list("Открытые", [item], 1, 0, 1, NOW, private=True)
    assert "№7" in hidden and "Администрация" in hidden and "Яма" not in hidden
    assert "Яма у дома 5" in render_list("Открытые", [item], 1, 0, 1, NOW, private=False)


async def test_files_that_list_comments_are_not_sent_to_a_private_messenger(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/export (a CSV of comments) and /report (an Excel of them) asked on a messenger in the
    no-personal-data mode: the caption comes, with why the file does not; the chart does."""
    monkeypatch.setenv("OTKLIK__PRIVACY__TELEGRAM", "no_personal_data")
    async with Harness(db_url) as h:
        await h.complaint()
        exported = await h.say(MODERATOR, "/export 2026-11-23 2026-11-23")
        reported = await h.say(MODERATOR, "/report 2026-11-23")
    for calls in (exported, reported):
        assert "sendDocument" not in [c.method for c in calls]
        assert any("не отправляется" in (c.text or "") for c in calls), calls
    assert "sendPhoto" in [c.method for c in reported]  # the ranking chart names no resident
    monkeypatch.delenv("OTKLIK__PRIVACY__TELEGRAM")
    async with Harness(db_url) as h:  # the same database, a messenger with full cards
        exported = await h.say(MODERATOR, "/export 2026-11-23 2026-11-23")
    assert "sendDocument" in [c.method for c in exported]
