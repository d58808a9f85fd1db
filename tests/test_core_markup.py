"""Every card in the one HTML subset both messengers read the same way (``<b>``, ``<i>``,
``<a href>`` around escaped text) and within both messengers' limits (``bot/core``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import pytest

from bot.core import texts
from bot.core.capabilities import CAPABILITIES, MAX, TELEGRAM
from bot.core.keyboards import agency_picker, alert_keyboard, list_keyboard
from bot.core.markup import fits, fitted, plain_text, problems, text_length
from bot.core.render import AlertView, ListItem, render_alert, render_list
from bot.core.types import Button, Card, Keyboard
from config.registry import load_registry
from tests.bot_harness import Harness, buttons

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
ROLES = ("official", "moderator", "lead", "admin")
STATUSES = ("open", "in_work", "answered", "resolved", "dismissed")
LONG_RU = (
    "Уважаемая администрация! Во дворе дома 5 по ул. Ленина уже третий месяц стоит яма "
    "глубиной 40 см, «заплатка» с прошлого года — развалилась; дети (и взрослые) падают. "
)


def _view(text: str, **over: Any) -> AlertView:
    base: dict[str, Any] = {
        "complaint_id": 2_147_483_647,
        "topic": "roads",
        "status": "answered",
        "page_name": "Администрация г. Примерска — официальная страница",
        "post_text": LONG_RU * 3,
        "author": "Мария Константиновна Иванова-Петровская",
        "text": text,
        "url": "https://vk.com/wall-123456789_987654?reply=1234567&thread=7654321",
        "due_at": NOW + timedelta(hours=8),
        "tz": "Europe/Moscow",
        "answered_text": LONG_RU * 4,
        "response_seconds": 86_400 * 3 + 3600,
        "business_seconds": 3600 * 20,
        "otpiska": True,
        "quality": 2,
        "quality_reasons": ("шаблонный ответ", "нет сроков", "нет конкретики"),
        "now": NOW,
        "repeat_of": 123_456,
        "reopen_count": 3,
        "taken_by_name": "Иван Петров",
        "agency_name": "МУП «Примерскводоканал»",
        "urgent": True,
        "urgent_reasons": ("запах газа: «пахнет газом в подъезде»", "угроза жизни"),
        "edited_at": NOW,
    }
    base.update(over)
    return AlertView(**base)


def test_the_check_catches_markup_outside_the_subset() -> None:
    """So that the tests below mean something."""
    assert problems("<b>ok</b> <i>ok</i> <a href='https://x'>ok</a> &amp; &lt;") == []
    for bad in [
        "<u>u</u>",
        "<code>x</code>",
        "<b>open",
        "</b>",
        "<a>no href</a>",
        "<a href='x' title='y'>two</a>",
        "<b><b>twice</b></b>",
        "bare & ampersand",
        "a < b",
        "<br/>",
        "<!-- c -->",
    ]:
        assert problems(bad), bad
    assert fits(Card("x" * 4000)) == ["text of 4000 characters, max allows 3999"]
    wide = Keyboard.of([[Button(str(i), payload=str(i)) for i in range(8)]])
    assert fits(Card("x", wide), MAX) and not fits(Card("x", wide), TELEGRAM)


@pytest.mark.parametrize("status", STATUSES)
def test_a_full_alert_card_keeps_to_the_subset_and_fits_both(status: str) -> None:
    html = render_alert(_view(LONG_RU * 6, status=status))
    assert "<" in html  # it does use markup
    for role in ROLES:
        for waiting in (False, True):
            card = Card(html, alert_keyboard(2_147_483_647, status, role, waiting=waiting))
            assert fits(card) == [], (role, waiting)


def test_a_resident_writing_markup_gets_it_shown_not_obeyed() -> None:
    hostile = '<script>alert(1)</script> <b>жирно</b> & "кавычки" <a href="x">ссылка</a>'
    html = render_alert(_view(hostile, author="<i>Хакер</i> & Co", page_name="<b>Стр</b>"))
    assert problems(html) == []
    assert "<script>alert(1)</script>" in plain_text(html)
    assert "<i>Хакер</i> & Co" in plain_text(html)


def test_a_comment_full_of_escapes_is_cut_to_fit_max() -> None:
    """Escaped, ``&`` and quotes grow sixfold, and MAX counts the HTML as sent: the core cuts
    the longest words (never a tag or an entity) until it fits, Telegram's card is whole."""
    weird = '&"<>' * 150  # 600 characters, the excerpt's length
    card = Card(render_alert(_view(weird, answered_text='"&' * 150, post_text="&" * 120)))
    assert text_length(card.html, MAX) > MAX.text_limit  # over as rendered
    assert fits(card, TELEGRAM) == [] and fitted(card, TELEGRAM) == card
    cut = fitted(card, MAX)
    assert fits(cut, MAX) == [] and problems(cut.html) == []
    assert cut.html.startswith(card.html.split("«", 1)[0])  # title and header kept
    assert cut.html.count("<a href=") == card.html.count("<a href=")  # the link survives
    assert "…" in plain_text(cut.html)


def test_a_full_list_page_fits_both() -> None:
    items = [
        ListItem(
            2_000_000_000 + i,
            "roads",
            "Администрация г. Примерска — официальная страница",
            LONG_RU * 3,
            NOW - timedelta(days=3),
            status="in_work",
            reopened=True,
            urgent_reasons=("запах газа: «пахнет газом»", "угроза жизни"),
            agency_name="МУП «Примерскводоканал»",
        )
        for i in range(10)
    ]
    html = render_list(texts.LIST_TITLE["open"], items, 99_999, 9_998, 10_000, NOW)
    keyboard = list_keyboard("open", "t:roads", 9_998, 10_000, [c.complaint_id for c in items])
    assert fits(Card(html, keyboard)) == []


@pytest.mark.parametrize("n", [1, 2, 29, 30, 60, 98])
def test_the_agency_picker_fits_both_however_many_agencies(n: int) -> None:
    """One a row as before while MAX's 30 rows hold them; a region's 60 go two a row."""
    registry = load_registry(Path(__file__).parents[1] / "registry.example.yaml")
    named = [(a.id, a.name) for a in registry.agencies]
    choices = [(f"agency{i}", named[i % len(named)][1]) for i in range(n)]
    picker = agency_picker(2_147_483_647, choices)
    assert fits(Card("x", picker)) == []
    assert len(picker.buttons()) == n + 1
    if n < 30:
        assert all(len(row) == 1 for row in picker.rows)


def test_every_template_keeps_to_the_subset() -> None:
    """Every fixed text the bot may send: a tag outside the subset would reach a person."""
    found = 0
    for name, value in vars(texts).items():
        values = value.values() if isinstance(value, dict) else [value]
        for each in values:
            if isinstance(each, str) and not name.startswith("_"):
                found += 1
                assert problems(each.replace("{", "").replace("}", "")) == [], (name, each)
    assert found > 100


# ---- what the bot really sent ----------------------------------------------------------


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


def _keyboard(params: dict[str, Any]) -> Keyboard | None:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not markup:
        return None
    return Keyboard.of(
        [
            [
                Button(b["text"], url=b["url"])
                if b.get("url")
                else Button(b["text"], payload=b["callback_data"])
                for b in row
            ]
            for row in markup.get("inline_keyboard", [])
        ]
    )


async def test_every_card_the_bot_sends_keeps_to_the_subset_and_fits_both(h: Harness) -> None:
    """Alerts, card edits, a summary, lists, the picker and replies, as sent to Telegram."""
    cids = [await h.complaint(text=escape("<b>не жирно</b> & «цитата»") + LONG_RU * 5)]
    cids += [await h.complaint(topic="snow") for _ in range(5)]
    await h.flush()
    await h.say(601, f"/complaint {cids[0]}")
    mid, _ = h.last(601)
    await h.press(601, mid, f"c:t:{cids[0]}")
    await h.press(601, mid, f"c:p:{cids[0]}")
    await h.press(601, mid, f"ca:{cids[0]}:roads")
    await h.flush()
    for command in ("/open", "/open snow", "/my", "/overdue", "/help", "/users", "/status"):
        await h.say(601, command)
        await h.say(501, command)
    await h.say(501, "/my")
    texts_sent = 0
    for call in h.fake.calls:
        text = call.params.get("text") or call.params.get("caption")
        if call.status != 200 or not isinstance(text, str) or call.method == "answerCallbackQuery":
            continue
        texts_sent += 1
        card = Card(text, _keyboard(call.params))
        for caps in CAPABILITIES.values():
            assert fits(card, caps) == [], (call.method, caps.channel, text[:200])
    assert texts_sent > 20
    summaries = [c for c in h.fake.calls if "одним сообщением" in (c.params.get("text") or "")]
    assert summaries and buttons(h.fake.messages(501)[summaries[0].message_id or 0])
