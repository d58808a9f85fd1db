"""Issue 14: Russian for everything a person reads, Russian accepted for everything a person
types, and refusals that say what was refused, why and who can do it.

The scenario test runs every scenario shipped in ``sandbox/scenarios`` (the demo and a tour
of each role's commands typed in Russian) through the real app on the sandbox, and reads
every text the fake Telegram received: no topic code, no role code, no agency id.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.fake_telegram import TgCall
from sandbox.runner import Sandbox
from sandbox.scenario import load_scenario
from tests.bot_harness import Harness

SCENARIOS = sorted((Path(__file__).parent.parent / "sandbox" / "scenarios").glob("*.yaml"))
TOPIC_CODES = [
    "roads",
    "housing",
    "improvement",
    "garbage",
    "snow",
    "transport",
    "health",
    "education",
    "social",
    "safety",
    "animals",
    "ecology",
    "other",
]
ROLE_CODES = ["official", "moderator", "lead", "admin"]
SPEED = 3000.0


def _readable(call: TgCall) -> list[str]:
    """Every text of a Bot API call a person reads: message texts and captions, button
    labels, pop-up answers, menu descriptions."""
    found = [call.text or ""]
    if call.method == "answerCallbackQuery":
        found.append(str(call.params.get("text") or ""))
    markup = call.params.get("reply_markup")
    if isinstance(markup, dict):
        for row in markup.get("inline_keyboard", []):
            found += [str(b.get("text", "")) for b in row]
    if call.method == "setMyCommands":
        found += [str(c.get("description", "")) for c in call.params.get("commands", [])]
    return found


def _words(text: str) -> str:
    """The text as read: links (whose query strings carry random codes) and tags left out."""
    text = re.sub(r"https?://\S+|t\.me/\S+", " ", text)
    return re.sub(r"<[^>]+>", " ", text)


def codes_in(text: str, agency_ids: list[str]) -> list[str]:
    words = _words(text)
    return [
        code
        for code in [*TOPIC_CODES, *ROLE_CODES, *agency_ids]
        if re.search(rf"(?<![\w/]){re.escape(code)}(?!\w)", words)
    ]


def test_the_code_finder_finds_codes() -> None:
    assert codes_in("Укажите тему (roads, housing…)", ["city"]) == ["roads", "housing"]
    assert codes_in("Роли: official, moderator", ["city"]) == ["official", "moderator"]
    assert codes_in("Ведомство: city", ["city"]) == ["city"]
    assert codes_in('<a href="https://vk.com/x?city=1">№1</a> /open', ["city", "open"]) == []


def _done(sandbox: Sandbox, name: str) -> bool:
    """All Telegram events handled; the tour also waits for the next morning's digest."""
    if sandbox.fed_events < len([e for e in sandbox.scenario.events if e.telegram]):
        return False
    if name != "tour.yaml":
        return False  # the demo runs to its end
    return any(
        c.method == "sendPhoto" and "23.11.2026" in (c.text or "") for c in sandbox.tg.sent(701)
    )


@pytest.mark.e2e
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
async def test_no_code_in_any_telegram_text_of_the_scenarios(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    agency_ids = [a.id for a in scenario.agencies]
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED) as sandbox:
        await sandbox.run_app(scenario.end, stop_when=lambda: _done(sandbox, path.name))
        calls = [c for c in sandbox.tg.calls if c.method != "getUpdates" and c.status == 200]
    leaks = [
        (c.method, c.chat_id, found, text[:160])
        for c in calls
        for text in _readable(c)
        if (found := codes_in(text, agency_ids))
    ]
    assert leaks == []
    assert sum(1 for c in calls if c.method in ("sendMessage", "editMessageText")) >= 3
    if path.name == "tour.yaml":
        said = re.sub(r"<[^>]+>", "", "\n".join(c.text or "" for c in calls))
        # Russian input understood: a topic, periods, roles, an agency by part of its name,
        # dates and a week number; refusals say who can.
        assert "Открытые жалобы: 1" in said
        assert "Статистика за 7 дней" in said and "Статистика за 30 дней" in said
        assert "Приглашение (модератор ЦУР)" in said
        assert "Приглашение (исполнитель, МУП «Примерскводоканал»)" in said
        assert "её выполняют модераторы ЦУР и администраторы" in said
        assert "Жалобы с 23.11.2026 по 23.11.2026: 2" in said
        assert "Рейтинг ведомств за неделю 47 (16.11.2026 — 22.11.2026)" in said
        assert "передана: МУП «Примерскводоканал»" in said
        assert "есть, но она не из ваших ведомств" in said
        assert "Жалоба №99 не найдена." in said
        assert "Не понял период «год»" in said and "Не понял фильтр «погода»" in said


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


MODERATOR, LEAD, ADMIN, OFFICIAL = 601, 701, 801, 501


async def test_russian_input_is_understood(h: Harness) -> None:
    first = await h.complaint(topic="roads")
    await h.complaint(topic="housing", text="Нет горячей воды")
    await h.flush()
    for typed in ("дороги", "Дороги", "дорога", "roads"):
        assert "Открытые жалобы: 1" in await h.reply(MODERATOR, f"/open {typed}"), typed
    assert "Открытые жалобы: 1" in await h.reply(MODERATOR, "/open ЖКХ")
    for typed, days in (("7", 7), ("30 дней", 30), ("неделя", 7), ("месяц", 30), ("7d", 7)):
        days_text = "7 дней" if days == 7 else "30 дней"
        assert f"Статистика за {days_text}" in await h.reply(LEAD, f"/stats {typed}"), typed
    assert "Статистика за 14 дней" in await h.reply(LEAD, "/stats 2 недели")
    assert "Приглашение (руководитель)" in await h.reply(ADMIN, "/invite руководитель")
    invite = await h.reply(ADMIN, "/invite исполнитель дорожная")
    assert "Приглашение (исполнитель, Дорожная служба)" in invite
    reply = await h.reply(MODERATOR, f"/assign {first} Дорожная служба")
    assert f"Жалоба №{first} передана: Дорожная служба." == reply
    assert (await h.get(first)).agency_id == "roads"
    export = [c for c in await h.say(MODERATOR, "/export 23.11.2026 23.11.2026") if c.status]
    assert [c.text for c in export if c.method == "sendDocument"] == [
        "Жалобы с 23.11.2026 по 23.11.2026: 2"
    ]
    week = [
        c for c in await h.say(LEAD, "/report 47") if c.method in ("sendDocument", "sendPhoto")
    ]
    assert [c.method for c in week] == ["sendDocument", "sendPhoto"]
    assert week[0].text == "📈 Рейтинг ведомств за неделю 47 (16.11.2026 — 22.11.2026)"


async def test_refusals_say_what_why_and_who(h: Harness) -> None:
    mine = await h.complaint()
    other = await h.complaint(page=1002, agency="roads")
    await h.flush()
    refusal = await h.refused(LEAD, "/export 01.11.2026 30.11.2026", "недоступна")
    assert refusal == (
        "Команда /export (выгрузка жалоб (CSV)) вам недоступна: её выполняют модераторы ЦУР "
        "и администраторы. Ваши команды — /help."
    )
    refusal = await h.refused(OFFICIAL, "/resolve 1", "недоступна")
    assert "её выполняют модераторы ЦУР и администраторы" in refusal
    assert "её выполняют администраторы" in await h.refused(
        MODERATOR, "/addpage x y", "недоступна"
    )
    # Exists, but another agency's: not the same as a number that does not exist.
    assert await h.refused(OFFICIAL, f"/complaint {other}", "не из ваших ведомств") == (
        f"Жалоба №{other} есть, но она не из ваших ведомств (Администрация): её ведут "
        "исполнители другого ведомства и модераторы ЦУР."
    )
    assert await h.refused(OFFICIAL, "/complaint 99", "не найдена") == "Жалоба №99 не найдена."
    # What can be typed is said in Russian: topics, roles, agencies by name.
    topics = await h.refused(MODERATOR, "/open погода", "Не понял фильтр")
    assert "дороги, жкх, благоустройство" in topics
    roles = await h.refused(ADMIN, "/invite король", "Роли:")
    assert "Роли: исполнитель, модератор, руководитель, администратор." in roles
    unknown = await h.refused(ADMIN, "/invite исполнитель Марс", "не найдено")
    assert "есть: Администрация, Дорожная служба" in unknown
    assert "Не понял период «год»" in await h.refused(LEAD, "/stats год", "Не понял")
    assert "Не понял неделю «99»" in await h.refused(LEAD, "/report 99", "Не понял")
    assert "/export 01.11.2026 30.11.2026" in await h.refused(MODERATOR, "/export ноябрь", "")
    for text in (topics, roles, unknown):
        assert codes_in(text, ["city", "roads"]) == [], text
    assert (await h.get(mine)).status == "open"
