"""Complaints reach people on MAX (issue 13), end to end: the real app against the fake VK,
Telegram and MAX (the real ``maxapi``, long polling), on SQLite and PostgreSQL.

An official on MAX gets the alert card with its buttons, and the page's answer edits that
card in place; a person on both messengers gets each alert once, on the one they prefer
(and on the other while they have stopped the bot there); a moderator on MAX resolves one
complaint by command and another by the card's button; a forged press changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.callbacks import Act, ComplaintCb
from sandbox.runner import Sandbox
from storage.db import make_engine, make_session_factory
from storage.models import Complaint
from tests.app_support import COMPLAINT, app_running, comment, until
from tests.conftest import BASE_SCENARIO

pytestmark = pytest.mark.e2e


SPEED = 600.0
VERA = 803  # an official of the city on MAX
VERA_TG = 503
OLGA = 801  # a moderator on MAX
WATER = {"id": "water", "name": "МУП «Примерскводоканал»", "tz": "Europe/Moscow"}
WATER_PAGE = {
    "group_id": 1002,
    "name": "Примерскводоканал",
    "screen_name": "pv",
    "agency": "water",
}
WATER_POST = {"page": 1002, "id": 30, "at": "2026-11-23T08:00:00+03:00", "text": "Отключения"}


def _vera(**extra: Any) -> dict[str, Any]:
    return {
        "max_user_id": VERA,
        "name": "Вера Иванова",
        "role": "official",
        "agencies": ["city"],
        **extra,
    }


def _others() -> list[dict[str, Any]]:
    """The base scenario's people without its city official (Vera is the city's)."""
    return [p for p in BASE_SCENARIO["people"] if p["role"] != "official"]


async def _statuses(db_url: str) -> dict[int, str]:
    engine = make_engine(db_url)
    try:
        async with make_session_factory(engine)() as session:
            rows = await session.execute(select(Complaint.id, Complaint.status))
            return {int(i): str(s) for i, s in rows.all()}
    finally:
        await engine.dispose()


def _cards(sb: Sandbox, user_id: int) -> list[dict[str, Any]]:
    return list(sb.max.messages(user_id).values())


def _keyboard_sent(body: Any) -> list[str]:
    """The callback payloads a send, an edit or a press's answer carried."""
    message = body.get("message") if isinstance(body, dict) and "message" in body else body
    found: list[str] = []
    for attachment in (message or {}).get("attachments") or []:
        if attachment.get("type") == "inline_keyboard":
            for row in attachment["payload"]["buttons"]:
                found.extend(b["payload"] for b in row if b["type"] == "callback")
    return found


async def test_an_official_on_max_gets_the_alert_takes_it_and_the_answer_edits_it(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    answer = comment(
        12,
        "Мария, добрый день! Бригада выйдет завтра, яму засыплют до пятницы.",
        author=-1001,
        reply_to=11,
    )
    take = ComplaintCb(act=Act.TAKE, id=1).pack()
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT},
            {"at": "2026-11-23T08:20:00+03:00", "max": {"from": VERA, "press": take}},
            {"at": "2026-11-23T08:40:00+03:00", "comment": answer},
        ],
        people=[*_others(), _vera()],
        end="2026-11-23T09:30:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path / "run", speed=SPEED, db_url=db_url) as sb:

        def edited() -> bool:
            cards = _cards(sb, VERA)
            return bool(cards) and "Ответ дан" in cards[0]["plain_text"]

        await sb.run_app(scenario.end, stop_when=edited)
        report = await sb.report(tmp_path / "files")
        (card,) = _cards(sb, VERA)
        calls = [c for c in sb.max.calls if c.user_id == VERA and c.status == 200]

    assert "Жалоба №1" in card["plain_text"] and "Ответ дан" in card["plain_text"]
    assert card["edited"]
    sent, pressed, changed = (
        [c for c in calls if c.method == method]
        for method in ("POST /messages", "POST /answers", "PUT /messages")
    )
    assert len(sent) == 1 and take in _keyboard_sent(sent[0].body)
    # «В работу» is answered with a notice, and the card is edited with its buttons sent
    # again (MAX would drop them): everything but «В работу» itself; then the page's
    # answer edits it once more.
    (answered,) = pressed
    assert (answered.text or "").endswith("взята в работу.")
    assert len(changed) >= 2 and "Ответ дан" in (changed[-1].text or "")
    assert set(_keyboard_sent(changed[0].body)) == set(_keyboard_sent(sent[0].body)) - {take}
    assert await _statuses(db_url) == {1: "answered"}
    assert [e["user_id"] for e in report["max"] if e["method"] == "POST /messages"] == [VERA]
    assert not [t for t in report["telegram"] if t["chat_id"] == VERA]


@pytest.mark.parametrize(
    "blocked_on_max",
    [pytest.param(False, id="prefers-max"), pytest.param(True, id="max-blocked")],
)
async def test_a_person_on_both_messengers_is_alerted_once_on_the_preferred_one(
    make_scenario: Any, tmp_path: Path, db_url: str, blocked_on_max: bool
) -> None:
    scenario = make_scenario(
        [{"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT}],
        people=[*_others(), _vera(telegram_id=VERA_TG, preferred="max")],
        end="2026-11-23T09:00:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path / "run", speed=SPEED, db_url=db_url) as sb:
        if blocked_on_max:
            sb.max.block(VERA)  # she stopped the bot in MAX: bot_stopped reaches the app

        # To the end: an alert on the other messenger too would come within it.
        await sb.run_app(scenario.end)
        on_max = [c["plain_text"] for c in _cards(sb, VERA)]
        on_telegram = [c.text or "" for c in sb.tg.sent(VERA_TG)]
    alerts = [t for t in [*on_max, *on_telegram] if "Жалоба №1" in t]
    assert len(alerts) == 1
    assert bool(on_telegram) is blocked_on_max and bool(on_max) is not blocked_on_max


async def test_a_moderator_on_max_resolves_by_command_and_by_button_and_a_forgery_fails(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    olga = {"max_user_id": OLGA, "name": "Ольга Маева", "role": "moderator"}
    water = {"page": 1002, "post": 30, "id": 31, "from_id": 7003, "name": "Анна Б."}
    show_2 = ComplaintCb(act=Act.SHOW, id=2).pack()
    resolve_2 = ComplaintCb(act=Act.RESOLVE, id=2).pack()
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT},
            {
                "at": "2026-11-23T08:10:00+03:00",
                "comment": {**water, "text": "Третий день нет горячей воды в доме 12"},
            },
            {"at": "2026-11-23T08:30:00+03:00", "max": {"from": OLGA, "text": "/resolve 1"}},
            # The «no official» notice's button opens the full card; she resolves there.
            {"at": "2026-11-23T08:35:00+03:00", "max": {"from": OLGA, "press": show_2}},
            {"at": "2026-11-23T08:40:00+03:00", "max": {"from": OLGA, "press": resolve_2}},
        ],
        agencies=[*BASE_SCENARIO["agencies"], WATER],
        pages=[*BASE_SCENARIO["pages"], WATER_PAGE],
        posts=[*BASE_SCENARIO["posts"], WATER_POST],
        people=[*BASE_SCENARIO["people"], olga, _vera()],
        end="2026-11-24T12:00:00+03:00",  # a cap: the test stops the app when done
    )
    sb = Sandbox(scenario, workdir=tmp_path / "run", speed=SPEED, db_url=db_url)
    async with sb, app_running(sb, scenario.end):
        await until(lambda: sb.fed_events >= 3, "the scenario's MAX events handled", 120)
        assert await _statuses(db_url) == {1: "resolved", 2: "resolved"}
        await until(lambda: bool(_cards(sb, VERA)), "Vera's alert of complaint 1", 120)

        # Forged presses crafted onto Vera's card of complaint 1: «reopen» of the water
        # complaint, which is not her agency's, and an act that does not exist.  Each is
        # answered (refused), and nothing changes.
        (mid,) = sb.max.messages(VERA)
        told = len(sb.max.notifications)
        sb.max.push_callback(VERA, mid, ComplaintCb(act=Act.REOPEN, id=2).pack(), forged=True)
        sb.max.push_callback(VERA, mid, "c:x:1", forged=True)
        last = sb.max.last_update_seq
        await sb.max.wait_handled(last, timeout=120)
        notices = sb.max.notifications[told:]
        assert await _statuses(db_url) == {1: "resolved", 2: "resolved"}
    assert [user for user, _ in notices] == [VERA, VERA]
    (olga_done,) = [m for m in _cards(sb, OLGA) if m["plain_text"].startswith("Жалоба №1 закрыта")]
    assert olga_done
