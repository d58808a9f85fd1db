"""The no-personal-data mode, per messenger (issue 13), end to end: the real app against the
fake VK, Telegram and MAX (the real ``maxapi``), on SQLite and PostgreSQL.

A centre runs one messenger with full cards and the other with none of the residents' data
(``OTKLIK__PRIVACY__TELEGRAM`` / ``OTKLIK__PRIVACY__MAX``).  Two officials of one agency, one
on each messenger, get the same complaints: the alert, the card edit when the page answers,
a summary of a burst and a list.  What the private messenger was sent (every recorded call of
the fake) names no resident and quotes no comment, answer or post, yet carries the number, the
topic, the page, the deadline and the link, and its buttons still act; the other messenger gets
the full cards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import texts
from bot.core.callbacks import Act, ComplaintCb
from sandbox.runner import Sandbox
from storage.db import make_engine, make_session_factory
from storage.models import Complaint
from tests.app_support import COMPLAINT, app_running, comment, until
from tests.conftest import BASE_SCENARIO

pytestmark = pytest.mark.e2e

SPEED = 600.0
IVAN = 501  # the base scenario's city official, on Telegram
VERA = 803  # a city official on MAX
#: Five complaints at once: each official gets them as one summary.
BURST = [
    ("Семён Лаврентьев", "Не горит фонарь у дома 3 по ул. Мира, когда почините?"),
    ("Зоя Кукушкина", "Сломаны качели на детской площадке у дома 9, когда почините?"),
    ("Глеб Ширяев", "Яма на дороге у школы №4 третью неделю, когда заделаете?"),
    ("Фаина Брусникина", "Не вывозят мусор во дворе дома 14, когда вывезете?"),
    ("Лукьян Гордеев", "Разбита остановка на ул. Садовой, когда почините?"),
]
ANSWER = "Мария, добрый день! Бригада выйдет завтра, яму засыплют до пятницы."
#: What no message to the private messenger may contain: residents' names, their words, the
#: page's answer (it addresses the resident) and the post's excerpt.
PERSONAL = [
    "Мария",
    "Яма у дома 5",
    "Бригада выйдет",
    "Итоги ремонта",
    *(name for name, _ in BURST),
    *(text[:20] for _, text in BURST),
]


def _scenario(make_scenario: Any) -> Any:
    burst = [
        {
            "at": "2026-11-23T08:30:00+03:00",
            "comment": comment(21 + i, text, author=7101 + i, name=name),
        }
        for i, (name, text) in enumerate(BURST)
    ]
    vera = {"max_user_id": VERA, "name": "Вера Иванова", "role": "official", "agencies": ["city"]}
    return make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT},
            *burst,
            {
                "at": "2026-11-23T09:00:00+03:00",
                "comment": comment(12, ANSWER, author=-1001, reply_to=11),
            },
            {"at": "2026-11-23T09:20:00+03:00", "telegram": {"from": IVAN, "text": "/open"}},
            {"at": "2026-11-23T09:20:00+03:00", "max": {"from": VERA, "text": "/open"}},
        ],
        people=[*BASE_SCENARIO["people"], vera],
        end="2026-11-23T10:30:00+03:00",
    )


async def _status(db_url: str, complaint_id: int) -> str:
    engine = make_engine(db_url)
    try:
        async with make_session_factory(engine)() as session:
            found = await session.scalar(
                select(Complaint.status).where(Complaint.id == complaint_id)
            )
            return str(found)
    finally:
        await engine.dispose()


def _leaks(sent: list[str]) -> list[tuple[str, str]]:
    return [(word, text) for text in sent for word in PERSONAL if word in text]


def _tg_texts(sb: Sandbox, chat_id: int) -> list[str]:
    return [c.text or "" for c in sb.tg.calls if c.chat_id == chat_id and c.text]


def _max_texts(sb: Sandbox, user_id: int) -> list[str]:
    return [c.text or "" for c in sb.max.calls if c.user_id == user_id and c.text]


def _max_cards(sb: Sandbox, user_id: int) -> list[str]:
    return [m["plain_text"] for m in sb.max.messages(user_id).values()]


def _tg_cards(sb: Sandbox, chat_id: int) -> list[str]:
    return [m["plain_text"] for m in sb.tg.messages(chat_id).values()]


async def _run(
    sb: Sandbox, scenario: Any, db_url: str, *, press_on_tg: bool
) -> tuple[list[str], list[str]]:
    """Run the scenario; the private side's official takes complaint 1 by its card's button.
    Returns what both messengers were sent to the officials, waiting until everything (the
    answer's edit, the summaries, the lists) has arrived on both."""
    take_1 = ComplaintCb(act=Act.TAKE, id=1).pack()

    def alerted() -> bool:
        return any("Жалоба №1" in t for t in _tg_cards(sb, IVAN)) and any(
            "Жалоба №1" in t for t in _max_cards(sb, VERA)
        )

    def finished() -> bool:
        tg, mx = _tg_cards(sb, IVAN), _max_cards(sb, VERA)
        return all(
            sum(texts.SUMMARY_HINT in t for t in side) >= 1
            and sum("Ответ дан" in t for t in side) >= 1
            and sum("Открытые жалобы" in t for t in side) >= 1
            for side in (tg, mx)
        )

    async with app_running(sb, scenario.end):
        await until(alerted, "both officials alerted of complaint 1", 120)
        if press_on_tg:
            (mid,) = [m for m, v in sb.tg.messages(IVAN).items() if "Жалоба №1" in v["text"]]
            sb.tg.push_callback(IVAN, mid, take_1)
        else:
            (mid_max,) = [m for m, v in sb.max.messages(VERA).items() if "Жалоба №1" in v["text"]]
            sb.max.push_callback(VERA, mid_max, take_1)
        await until(_taken(db_url), "complaint 1 taken by the button", 120)
        await until(finished, "the answer's edit, the summaries and the lists", 240)
    return _tg_texts(sb, IVAN), _max_texts(sb, VERA)


def _taken(db_url: str) -> Any:
    async def check() -> bool:
        return await _status(db_url, 1) in ("in_work", "answered")

    return check


async def test_telegram_without_personal_data_max_with_full_cards(
    make_scenario: Any, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTKLIK__PRIVACY__TELEGRAM", "no_personal_data")
    scenario = _scenario(make_scenario)
    async with Sandbox(scenario, workdir=tmp_path / "run", speed=SPEED, db_url=db_url) as sb:
        private, full = await _run(sb, scenario, db_url, press_on_tg=True)
        tg_cards = _tg_cards(sb, IVAN)
        tg_alert = next(
            m for m in sb.tg.messages(IVAN).values() if m["plain_text"].startswith("🔔 Жалоба №1 ")
        )

    assert _leaks(private) == []
    # The card still says what, where, by when and links to the comment; its buttons act.
    assert (
        "Жалоба №1" in tg_alert["plain_text"]
        and "Администрация г. Примерска" in (tg_alert["plain_text"])
    )
    assert "vk.com/wall-1001_10?reply=11" in tg_alert["text"]
    assert texts.ALERT_HIDDEN in tg_alert["text"]
    assert tg_alert["edited"]
    (sent,) = [
        c
        for c in sb.tg.calls
        if c.chat_id == IVAN and c.method == "sendMessage" and "Жалоба №1<" in (c.text or "")
    ]
    assert sent.params.get("reply_markup")  # the buttons came with it (and acted, above)
    assert any("Ответ дан" in t for t in tg_cards)
    # MAX, in full: names and words in the alert, the answer's edit, the summary, the list.
    for word in ("Мария К.", "Яма у дома 5", "Бригада выйдет", BURST[0][1][:20]):
        assert any(word in t for t in full), word
    assert texts.ALERT_HIDDEN not in "".join(full)


async def test_max_without_personal_data_telegram_with_full_cards(
    make_scenario: Any, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTKLIK__PRIVACY__MAX", "no_personal_data")
    scenario = _scenario(make_scenario)
    async with Sandbox(scenario, workdir=tmp_path / "run", speed=SPEED, db_url=db_url) as sb:
        full, private = await _run(sb, scenario, db_url, press_on_tg=False)
        max_alert = next(
            m
            for m in sb.max.messages(VERA).values()
            if m["plain_text"].startswith("🔔 Жалоба №1 ")
        )

    assert _leaks(private) == []
    assert "vk.com/wall-1001_10?reply=11" in max_alert["text"]
    assert max_alert["edited"]
    (sent,) = [
        c
        for c in sb.max.calls
        if c.user_id == VERA and c.method == "POST /messages" and "Жалоба №1<" in (c.text or "")
    ]
    assert sent.body.get("attachments")  # the buttons came with it (and acted, above)
    for word in ("Мария К.", "Яма у дома 5", "Бригада выйдет", BURST[0][1][:20]):
        assert any(word in t for t in full), word
