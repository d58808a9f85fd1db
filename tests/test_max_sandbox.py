"""MAX in the running app (issue 13), through the sandbox: the real app talks to the fake
MAX with the real ``maxapi`` by long polling, beside the fake Telegram, and a scenario's
``max`` events are fed through it.

A moderator invited by the administrator opens the deep link in MAX and joins, asks for
/help, gets the digest with its chart, and stops the clock of a complaint with /wait; the
report's ``max`` list shows every call but the long polls.  A MAX person who stops the bot
is marked unreachable on MAX only.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import texts
from bot.max.dialogs import KEY, MARKER_KEY
from bot.max.runtime import bot_commands
from config.registry import Registry
from sandbox.fake_max import MaxCall
from sandbox.runner import Sandbox
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Complaint, KeyValue, Person
from storage.people import NewInvite, create_invite
from storage.registry_sync import sync_registry
from tests.app_support import COMPLAINT, until

pytestmark = pytest.mark.e2e

ADMIN = 901  # on Telegram
OLGA = 801  # the moderator who joins on MAX
VERA = 803  # an official on MAX and Telegram (Telegram 503)
SPEED = 600.0


def _people() -> list[dict[str, Any]]:
    from tests.conftest import BASE_SCENARIO

    return [
        *BASE_SCENARIO["people"],
        {"telegram_id": ADMIN, "name": "Алексей Админов", "role": "admin"},
    ]


async def _invite(db_url: str, registry: Registry, role: str, at: Any) -> str:
    """An invite the administrator made (as /invite does), in the prepared database."""
    engine = make_engine(db_url)
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        async with sessions() as session, session.begin():
            await sync_registry(session, registry)
            admin = await session.scalar(select(Person).where(Person.telegram_id == ADMIN))
            assert admin is not None
            made = await create_invite(session, admin, role, None, at)
            assert isinstance(made, NewInvite)
            return made.code
    finally:
        await engine.dispose()


async def _read(db_url: str, fn: Any) -> Any:
    engine = make_engine(db_url)
    try:
        async with make_session_factory(engine)() as session:
            return await fn(session)
    finally:
        await engine.dispose()


def _to(sandbox: Sandbox, user_id: int) -> list[dict[str, Any]]:
    """The bot's messages to ``user_id`` on MAX, in order, as they look now."""
    return list(sandbox.max.messages(user_id).values())


async def test_a_moderator_on_max_joins_by_invite_and_works(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    base = make_scenario([], people=_people())
    code = await _invite(db_url, base.registry(), "moderator", base.start)
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT},
            {"at": "2026-11-23T08:30:00+03:00", "max": {"from": OLGA, "start": code}},
            {"at": "2026-11-23T08:35:00+03:00", "max": {"from": OLGA, "text": "/help"}},
            {"at": "2026-11-23T08:40:00+03:00", "max": {"from": OLGA, "text": "/digest"}},
            {
                "at": "2026-11-23T08:45:00+03:00",
                "max": {"from": OLGA, "text": "/wait 1 уточняем адрес у жительницы"},
            },
        ],
        people=_people(),
        end="2026-11-23T09:00:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path / "run", speed=SPEED, db_url=db_url) as sb:
        sb.max.add_user(OLGA, "Ольга", "Маева")  # opens the link: MAX knows her name
        await sb.run_app(scenario.end)
        report = await sb.report(tmp_path / "files")
        sent = _to(sb, OLGA)
        uploads = list(sb.max.uploads.values())
        commands = list(sb.max.commands)

    welcome, help_, digest, chart, waiting = (m["plain_text"] for m in sent)
    assert welcome.startswith("Добро пожаловать в «Отклик», Ольга Маева!")
    assert "/resolve" in help_ and "/digest" in help_
    assert digest and chart.startswith("График: жалобы")
    assert [a["type"] for a in sent[3]["attachments"]] == ["image"]
    assert [u.kind for u in uploads] == ["image"] and uploads[0].data.startswith(b"\x89PNG")
    assert waiting.startswith(texts.WAIT_OK.format(id=1)[:20])
    # MAX has one command list for the whole bot: every role's commands, in Russian.
    assert [c["name"] for c in commands] == [name for name, _ in bot_commands()]
    assert commands[0] == {"name": "start", "description": texts.COMMAND_DESCRIPTIONS["start"]}

    async def stored(session: Any) -> tuple[Person | None, Complaint | None, Any]:
        olga = await session.scalar(select(Person).where(Person.max_user_id == OLGA))
        dialog = await session.get(KeyValue, f"{KEY}{OLGA}")
        return olga, await session.get(Complaint, 1), dialog

    olga, complaint, dialog = await _read(db_url, stored)
    assert olga is not None and olga.role == "moderator" and olga.telegram_id is None
    assert complaint is not None and complaint.waiting_since is not None
    # Her dialog's chat id is kept for after a restart (a lost send is settled through it).
    assert dialog is not None and dialog.value == {"chat_id": sb.max.dialog_id(OLGA)}

    # The report: every MAX call but the long polls, each with who, what, when and the text.
    entries = report["max"]
    assert entries and all(e["method"] != "GET /updates" for e in entries)
    assert {"user_id", "method", "at", "text"} <= set(entries[0])
    to_olga = [e for e in entries if e["method"] == "POST /messages" and e["user_id"] == OLGA]
    assert [e["text"] for e in to_olga] == [m["text"] for m in sent]
    assert [e["at"] for e in to_olga] == sorted(e["at"] for e in to_olga)
    assert {"PATCH /me/commands", "POST /uploads"} <= {e["method"] for e in entries}
    assert not [e for e in entries if e["status"] == 429]  # paced within MAX's limits
    # Telegram works as before beside it: the official got the complaint's alert there.
    assert any(t["chat_id"] == 501 and "Яма" in (t["text"] or "") for t in report["telegram"])


async def test_a_max_person_who_stops_the_bot_is_unreachable_on_max_only(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    vera = {
        "telegram_id": 503,
        "max_user_id": VERA,
        "preferred": "max",
        "name": "Вера Иванова",
        "role": "official",
        "agencies": ["city"],
    }
    scenario = make_scenario(
        [],
        people=[*_people(), vera],
        end="2026-11-23T08:30:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path / "run", speed=SPEED, db_url=db_url) as sb:
        sb.max.block(VERA)  # she stopped the bot in MAX: MAX sends bot_stopped
        stopped = sb.max.last_update_seq
        await sb.run_app(scenario.end, stop_when=lambda: sb.max.handled(stopped))

    async def person(session: Any) -> Person | None:
        found: Person | None = await session.scalar(
            select(Person).where(Person.max_user_id == VERA)
        )
        return found

    stored = await _read(db_url, person)
    assert stored is not None and stored.max_unreachable and not stored.unreachable


async def test_a_message_sent_while_the_app_restarts_is_answered_after_it(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    """The long poll's marker is kept: a poll the stopped app left open may take an update
    the app never handled, and the next start polls from the kept marker, so MAX gives it
    again (``bot.max.dialogs.MarkerStore``)."""
    vera = {"max_user_id": VERA, "name": "Вера Иванова", "role": "official", "agencies": ["city"]}
    scenario = make_scenario(
        [{"at": "2026-11-23T08:10:00+03:00", "max": {"from": VERA, "text": "/help"}}],
        people=[*_people(), vera],
        end="2026-11-23T09:00:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path / "run", speed=SPEED, db_url=db_url) as sb:
        await sb.run_app(scenario.end, stop_when=lambda: sb.fed_events >= 1)
        seq = sb.max.push_message(VERA, "/help")  # while the app is down
        await sb.run_app(scenario.end, stop_when=lambda: sb.max.handled(seq))
        answers = [m["plain_text"] for m in _to(sb, VERA)]
    assert len(answers) == 2 and answers[0] == answers[1]

    async def marker(session: Any) -> Any:
        row = await session.get(KeyValue, MARKER_KEY)
        return row.value if row is not None else None

    assert await _read(db_url, marker) == {"marker": seq + 1}


DEMO_WITH_MAX = """\
start: 2026-11-23T08:00:00+03:00
end: 2026-11-23T08:40:00+03:00
agencies:
  - {id: city, name: Администрация, tz: Europe/Moscow}
pages:
  - {group_id: 1001, name: Администрация, agency: city}
people:
  - {max_user_id: 803, name: Вера Иванова, role: official, agencies: [city]}
  - {telegram_id: 601, name: Ольга Смирнова, role: moderator}
posts:
  - {page: 1001, id: 10, at: 2026-11-23T07:30:00+03:00, text: Итоги}
events:
  - at: 2026-11-23T08:20:00+03:00
    max: {from: 803, text: "/help"}
  - at: 2026-11-23T08:25:00+03:00
    telegram: {from: 601, text: "/help"}
"""


def test_the_demo_prints_what_people_on_max_are_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``otklik demo``: a message to someone on MAX is printed like a Telegram one, marked
    «в MAX», and counted in the summary."""
    from bot.cli import main

    scenario = tmp_path / "demo.yaml"
    scenario.write_text(DEMO_WITH_MAX, encoding="utf-8")
    assert main(["demo", "--scenario", str(scenario), "--speed", "600"]) == 0
    out = capsys.readouterr().out
    assert "→ Вера Иванова (исполнитель) в MAX: сообщение" in out
    assert "→ Ольга Смирнова (модератор ЦУР): сообщение" in out
    total = re.search(r"Показано выше: (\d+) \(", out)
    assert total is not None and int(total.group(1)) == 2


async def test_a_max_command_in_hand_at_sigterm_is_answered_in_full(
    make_scenario: Any, tmp_path: Path
) -> None:
    """A shutdown lets the MAX update in hand finish, as Telegram's: /digest's text is held
    by a slow MAX while SIGTERM comes, and its chart still goes out before the client
    closes."""
    olga = {"max_user_id": OLGA, "name": "Ольга Маева", "role": "moderator"}
    scenario = make_scenario(
        [{"at": "2026-11-23T08:10:00+03:00", "max": {"from": OLGA, "text": "/digest"}}],
        people=[*_people(), olga],
        end="2026-11-24T08:00:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path / "run", speed=SPEED) as sb:
        sigterm = asyncio.Event()
        held: list[MaxCall] = []

        async def slow_first_reply(call: MaxCall) -> None:
            if held or call.method != "POST /messages" or call.user_id != OLGA:
                return
            held.append(call)
            sigterm.set()
            app = sb.app
            assert app is not None
            await until(lambda: runner.done() or app.draining.is_set(), "shutdown")

        sb.max.before_reply = slow_first_reply
        runner = asyncio.create_task(sb.run_app(scenario.end, stop_when=sigterm.is_set))
        await runner
        sent = _to(sb, OLGA)
    assert held and len(sent) == 2
    assert [a["type"] for a in sent[1]["attachments"]] == ["image"]
