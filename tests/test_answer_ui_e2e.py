"""Issue 15 end to end through the messenger: the real app on the sandbox (collector, ingest,
outbox, aiogram against the fake Telegram, maxapi against the fake MAX, vk_api against the
fake VK), a scenario whose city page declares ``community: true`` and whose parks page does
not.  Officials press «Ответить» on the alert or type /answer; what goes to VK is read from
the report's ``vk_writes``, and the collector reads the answers back as the page's.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sandbox.runner import Sandbox
from storage.db import make_engine, make_session_factory
from storage.models import AnswerDraft, AnswerState, AuditEntry
from tests.app_support import COMPLAINT, OFFICIAL, app_running, app_started, comment, until

pytestmark = pytest.mark.e2e

SPEED = 60.0
END = datetime.fromisoformat("2026-11-23T20:00:00+03:00")
PARKS_OFFICIAL, VERA = 502, 803  # Vera: the city's official on MAX only
CITY_PAGE = "Администрация г. Примерска"
OTPISKA = "Ваше обращение передано в ответственную службу."
GOOD = "Яму у дома 5 заделают до 27 ноября, бригада выйдет в среду."
LAMP = "Фонарь у дома 7 заменят до 25 ноября, электрики приедут во вторник."


def _region(people: list[dict[str, Any]]) -> dict[str, Any]:
    """The city (community page) and the parks (no community token), with their officials."""
    return {
        "agencies": [
            {"id": "city", "name": CITY_PAGE, "tz": "Europe/Moscow"},
            {"id": "parks", "name": "Парки и скверы", "tz": "Europe/Moscow"},
        ],
        "pages": [
            {
                "group_id": 1001,
                "name": CITY_PAGE,
                "screen_name": "adm_primersk",
                "agency": "city",
                "community": True,
            },
            {"group_id": 1002, "name": "Парки Примерска", "agency": "parks"},
        ],
        "posts": [
            {"page": 1001, "id": 10, "at": "2026-11-23T08:00:00+03:00", "text": "Итоги"},
            {"page": 1002, "id": 20, "at": "2026-11-23T08:00:00+03:00", "text": "Парки"},
        ],
        "people": people,
    }


def _plain(html: str | None) -> str:
    return re.sub(r"<[^>]+>", "", html or "")


def _tg_last(sb: Sandbox, chat: int) -> tuple[int, dict[str, Any]]:
    return max(sb.tg.messages(chat).items())


def _tg_button(message: dict[str, Any], label: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if b["text"] == label:
                return str(b.get("callback_data") or b.get("url"))
    raise AssertionError(f"no button {label!r}: {message.get('reply_markup')}")


async def _tg_say(sb: Sandbox, chat: int, text: str, expect: str) -> dict[str, Any]:
    """Send a message; the bot's new reply, once it says ``expect``."""
    before = max(sb.tg.messages(chat), default=0)
    sb.tg.push_message(chat, text)

    def replied() -> bool:
        mid, msg = _tg_last(sb, chat)
        return mid > before and expect in _plain(msg["text"])

    await until(replied, f"a reply saying {expect!r}", timeout=120)
    return _tg_last(sb, chat)[1]


async def _tg_press(sb: Sandbox, chat: int, mid: int, data: str) -> str:
    """Press a button; the text the bot answered the press with."""
    query = sb.tg.push_callback(chat, mid, data)

    def answered() -> str | None:
        for c in sb.tg.calls:
            if c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query:
                return c.text or ""
        return None

    await until(lambda: answered() is not None, f"the press {data}", timeout=120)
    return answered() or ""


async def _stored(db_url: str) -> tuple[list[AnswerDraft], list[tuple[str, str, int | None]]]:
    engine = make_engine(db_url)
    try:
        async with make_session_factory(engine)() as s:
            drafts = list(
                (await s.execute(select(AnswerDraft).order_by(AnswerDraft.id))).scalars()
            )
            audit = [
                (a.action, a.actor, a.complaint_id)
                for a in (await s.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
                if a.action.startswith("answer_")
            ]
            return drafts, audit
    finally:
        await engine.dispose()


@pytest.mark.timeout(300)  # a hang detector: the real app on a busy machine
async def test_answers_from_telegram_are_checked_published_once_and_shown(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    from tests.conftest import BASE_SCENARIO

    people = [
        *BASE_SCENARIO["people"],
        {"telegram_id": PARKS_OFFICIAL, "name": "Пётр Сидоров", "role": "official"}
        | {"agencies": ["parks"]},
    ]
    lamp = "Не горит фонарь у дома 7 по ул. Мира уже неделю, когда почините?"
    trash = "Во дворе дома 9 по ул. Садовой третий день не вывозят мусор, когда вывезут?"
    bench = "Сломана скамейка в сквере у фонтана, когда почините?"
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT},
            {"at": "2026-11-23T08:06:00+03:00", "comment": comment(12, lamp, author=7002)},
            {"at": "2026-11-23T08:07:00+03:00", "comment": comment(13, trash, author=7003)},
            {
                "at": "2026-11-23T08:08:00+03:00",
                "comment": {"page": 1002, "post": 20, "id": 21, "from_id": 7004, "text": bench},
            },
        ],
        end=END.isoformat(),
        **_region(people),
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sb:
        async with app_running(sb, END) as runner:
            await app_started(sb, runner)
            await until(lambda: len(sb.tg.messages(OFFICIAL)) >= 3, "three alerts", 120)
            await until(lambda: len(sb.tg.messages(PARKS_OFFICIAL)) >= 1, "the parks alert", 120)
            ids = {
                word: (int(m.group(1)), mid)
                for chat in (OFFICIAL, PARKS_OFFICIAL)
                for mid, msg in sb.tg.messages(chat).items()
                for word in ("Яма", "фонарь", "мусор", "скамейка")
                if word in (msg["text"] or "")
                and (m := re.search(r"Жалоба №(\d+)", msg["text"] or ""))
            }
            first, card_mid = ids["Яма"]
            card = sb.tg.messages(OFFICIAL)[card_mid]

            # «Ответить» → an отписка → stopped with reasons → «Исправить» → published.
            await _tg_press(sb, OFFICIAL, card_mid, _tg_button(card, "Ответить"))
            await until(
                lambda: "напишите ответ" in _plain(_tg_last(sb, OFFICIAL)[1]["text"]), "the ask"
            )
            held = await _tg_say(sb, OFFICIAL, OTPISKA, "Похоже на отписку")
            held_mid = _tg_last(sb, OFFICIAL)[0]
            await _tg_press(sb, OFFICIAL, held_mid, _tg_button(held, "Исправить"))
            await until(
                lambda: "исправленный текст" in _plain(_tg_last(sb, OFFICIAL)[1]["text"]), "ask"
            )
            preview = await _tg_say(sb, OFFICIAL, GOOD, "Проверка пройдена")
            assert f"от имени страницы «{CITY_PAGE}»" in _plain(preview["text"])
            preview_mid = _tg_last(sb, OFFICIAL)[0]
            toast = await _tg_press(sb, OFFICIAL, preview_mid, _tg_button(preview, "Опубликовать"))
            assert toast == f"Ответ опубликован от имени страницы «{CITY_PAGE}»."

            # /answer in one step; an отписка by /answer, then «Опубликовать как есть».
            await _tg_say(sb, OFFICIAL, f"/answer {ids['фонарь'][0]} {LAMP}", "Ответ опубликован")
            held = await _tg_say(sb, OFFICIAL, f"/answer {ids['мусор'][0]} {OTPISKA}", "отписку")
            held_mid = _tg_last(sb, OFFICIAL)[0]
            forced = await _tg_press(
                sb, OFFICIAL, held_mid, _tg_button(held, "Опубликовать как есть")
            )
            assert forced.startswith("Ответ опубликован")

            # The parks page has no community token: a clear refusal, the draft kept.
            parks_id = ids["скамейка"][0]
            refused = await _tg_say(
                sb, PARKS_OFFICIAL, f"/answer {parks_id} Скамейку починят до 30 ноября.", "ключ"
            )
            assert "У страницы «Парки Примерска» нет ключа доступа сообщества" in _plain(
                refused["text"]
            )
            # The city's complaint is not the parks official's to answer.
            other = await _tg_say(sb, PARKS_OFFICIAL, f"/answer {first} {GOOD}", "не найдена")
            assert "опубликован" not in _plain(other["text"])

            # The collector reads the answers back: the first card shows it.
            await until(
                lambda: (
                    "бригада выйдет в среду" in _plain(sb.tg.messages(OFFICIAL)[card_mid]["text"])
                ),
                "the card showing the answer",
                timeout=180,
            )
        report = await sb.report()

    writes = report["vk_writes"]
    assert [(w["owner_id"], w["post_id"], w["reply_to_comment"]) for w in writes] == [
        (-1001, 10, 11),
        (-1001, 10, 12),
        (-1001, 10, 13),
    ]
    assert all(w["method"] == "wall.createComment" and w["from_group"] == 1001 for w in writes)
    assert writes[0]["message"].startswith("Мария, яму у дома 5 заделают")
    by_comment = {c["comment"]: c for c in report["complaints"] if c["page"] == 1001}
    wall = sb.vk.world.wall(1001)
    for write in writes:
        row = by_comment[write["reply_to_comment"]]
        posted = wall.comments[write["comment_id"]]
        asked = wall.comments[write["reply_to_comment"]]
        assert row["status"] == "answered"
        assert row["response_seconds"] == int(posted.at) - int(asked.at)
    drafts, audit = await _stored(db_url)
    parks = [d for d in drafts if d.complaint_id == parks_id]
    assert [(d.state, d.vk_comment_id) for d in parks] == [(AnswerState.DRAFT, None)]
    assert [a for a in audit if a[0] == "answer_forced"] == [
        ("answer_forced", f"tg:{OFFICIAL}", ids["мусор"][0])
    ]
    assert len([a for a in audit if a[0] == "answer_published"]) == 3


@pytest.mark.timeout(300)  # a hang detector: the real app on a busy machine
async def test_the_answer_button_flow_on_max(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    """The same neutral flow on MAX: «Ответить» on the alert card, «напишите ответ», the
    text, the preview with its buttons, «Опубликовать»; VK then has the page's answer."""
    people = [
        {"max_user_id": VERA, "name": "Вера Иванова", "role": "official", "agencies": ["city"]}
    ]
    scenario = make_scenario(
        [{"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT}],
        end=END.isoformat(),
        **_region(people),
    )

    def last() -> tuple[str, dict[str, Any]]:
        return list(sb.max.messages(VERA).items())[-1]

    def says(text: str) -> bool:
        return bool(sb.max.messages(VERA)) and text in last()[1]["plain_text"]

    def payload(message: dict[str, Any], label: str) -> str:
        for row in message["keyboard"] or []:
            for b in row:
                if b.get("text") == label:
                    return str(b.get("payload") or b.get("url"))
        raise AssertionError(f"no button {label!r}: {message['keyboard']}")

    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sb:
        async with app_running(sb, END) as runner:
            await app_started(sb, runner)
            await until(lambda: says("Жалоба №1"), "the alert on MAX", 120)
            card_mid, card = last()
            sb.max.push_callback(VERA, card_mid, payload(card, "Ответить"))
            await until(lambda: says("напишите ответ"), "the ask", 120)
            sb.max.push_message(VERA, GOOD)
            await until(lambda: says("Проверка пройдена"), "the preview", 120)
            preview_mid, preview = last()
            assert f"от имени страницы «{CITY_PAGE}»" in preview["plain_text"]
            sb.max.push_callback(VERA, preview_mid, payload(preview, "Опубликовать"))
            await until(
                lambda: "Ответ опубликован" in sb.max.messages(VERA)[preview_mid]["plain_text"],
                "the preview showing it published",
                120,
            )

            async def answered() -> bool:
                report = await sb.report()
                return report["complaints"][0]["status"] == "answered"

            # Read back from VK as the page's answer, and the card on MAX says so.
            await until(answered, "the answer read back from VK", 180)
            await until(
                lambda: "Ответ дан" in sb.max.messages(VERA)[card_mid]["plain_text"],
                "the card on MAX showing the answer",
                180,
            )
        report = await sb.report()

    [write] = report["vk_writes"]
    assert (write["owner_id"], write["reply_to_comment"], write["from_group"]) == (-1001, 11, 1001)
    [row] = report["complaints"]
    assert row["status"] == "answered"
    posted = sb.vk.world.wall(1001).comments[write["comment_id"]]
    asked = sb.vk.world.wall(1001).comments[11]
    assert row["response_seconds"] == int(posted.at) - int(asked.at)
