"""End to end: an unanswered complaint is nudged, escalated to the moderator, then to the lead,
each exactly once, on the sandbox's virtual clock; and /digest answers a lead on demand.

At 2000× a virtual minute is 30 ms: on a loaded machine a job or a command is handled some
virtual minutes late.  So runs end on what the test waits for (the scenario's end is a cap
beyond it), and instants are checked against when things were actually sent, never against
a fixed window (issue 11: the on-demand /digest used to be cut off by the scenario's end)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sandbox.runner import Sandbox
from tests.app_support import COMPLAINT, until

pytestmark = pytest.mark.e2e

SPEED = 2000.0


def _texts(report: dict[str, Any], chat_id: int, needle: str) -> list[dict[str, Any]]:
    return [
        t
        for t in report["telegram"]
        if t["chat_id"] == chat_id
        and t["method"] == "sendMessage"
        and t["status"] == 200
        and needle in (t["text"] or "")
    ]


def _at(call: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(call["at"])


def _msk(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-23T{hhmm}:00+03:00")


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _sent(sandbox: Sandbox, chat_id: int, needle: str) -> bool:
    return any(needle in (c.text or "") for c in sandbox.tg.sent(chat_id))


async def test_unanswered_complaint_nudged_then_escalated_then_lead(
    make_scenario: Any, tmp_path: Path
) -> None:
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:52:00+03:00", "comment": COMPLAINT},
            {"at": "2026-11-23T10:35:00+03:00", "telegram": {"from": 701, "text": "/digest"}},
            {"at": "2026-11-23T10:36:00+03:00", "telegram": {"from": 501, "text": "/digest"}},
            {"at": "2026-11-23T10:37:00+03:00", "telegram": {"from": 701, "text": "/report"}},
            {
                "at": "2026-11-23T10:38:00+03:00",
                "telegram": {"from": 601, "text": "/export 2026-11-23 2026-11-23"},
            },
            {"at": "2026-11-23T10:39:00+03:00", "telegram": {"from": 701, "text": "/report 99"}},
        ],
        # One working hour to answer; leads hear 30 working minutes after the breach.
        agencies=[
            {
                "id": "city",
                "name": "Администрация г. Примерска",
                "tz": "Europe/Moscow",
                "first_response_hours": 1,
                "escalate_lead_after_hours": 0.5,
            }
        ],
        start="2026-11-23T08:50:00+03:00",
        end="2026-11-23T12:00:00+03:00",  # a cap: the run ends when all is there
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED) as sandbox:
        await sandbox.run_app(
            scenario.end,
            stop_when=lambda: (
                sandbox.fed_events == 5 and _sent(sandbox, 701, "Жалоба №1 без ответа")
            ),
        )
        report = await sandbox.report()

    (complaint,) = report["complaints"]
    assert complaint["status"] == "open"
    # The clock starts at 09:00 (working hours): 75 % at 09:45, due 10:00, leads at 10:30.
    # The official is nudged once: in the warning window, or (a starved machine first ran the
    # watch after the deadline) with the late form, which says the deadline has passed.
    timely = _texts(report, 501, "До срока ответа осталось")
    nudges = timely + _texts(report, 501, "Срок ответа истёк")
    escalations = _texts(report, 601, "Просрочена жалоба")
    leads = _texts(report, 701, "Жалоба №1 без ответа")
    assert (len(nudges), len(escalations), len(leads)) == (1, 1, 1), report["telegram"]
    # Never early; late by as much as the job lagged behind (the text says how much is left
    # when the job ran, which was no later than the message's arrival).
    assert _at(nudges[0]) >= _msk("09:45")
    if timely:
        left = re.search(r"осталось (\d+) мин", nudges[0]["text"])
        assert left is not None, nudges[0]["text"]
        assert 60 - _minutes(_at(nudges[0]) - _msk("09:00")) - 1 <= int(left.group(1)) <= 15
        assert _at(nudges[0]) < _at(escalations[0])
    assert _at(escalations[0]) >= _msk("10:00")
    assert _at(leads[0]) >= _msk("10:30")
    assert _at(escalations[0]) < _at(leads[0])
    # «40 мин», or «1 ч 05 мин» when a busy machine let the job lag past an hour
    overdue = re.search(
        r"Просрочка: (?:(\d+) ч)? ?(?:(\d+) мин)? рабочего времени", leads[0]["text"]
    )
    assert overdue is not None and overdue.group(1, 2) != (None, None), leads[0]["text"]
    overdue_min = 60 * int(overdue.group(1) or 0) + int(overdue.group(2) or 0)
    assert 30 <= overdue_min <= _minutes(_at(leads[0]) - _msk("10:00")) + 1
    # Nobody else was chased: the official is not escalated to, the moderator not nudged.
    assert _texts(report, 501, "Просрочена") == [] and _texts(report, 601, "осталось") == []
    assert _texts(report, 601, "Жалоба №1 без ответа") == []
    # /digest on demand: the lead gets it, the official is refused.
    # The 09:00 digest (nothing overdue yet), then the one asked for at 10:35.
    digest = _texts(report, 701, "Сводка за 22.11.2026")
    assert len(digest) == 2
    assert _at(digest[0]) >= _msk("09:00")
    assert "Просрочено без ответа: 0" in digest[0]["text"]
    assert "Просрочено без ответа: 1" in digest[1]["text"]
    assert _texts(report, 501, "недоступна")
    docs = {
        (t["chat_id"], t["text"])
        for t in report["telegram"]
        if t["method"] == "sendDocument" and t["status"] == 200
    }
    # Monday 09:00: last week's ranking went out by itself; /report repeats it on demand.
    assert (701, "📈 Рейтинг ведомств за неделю 47 (16.11.2026 — 22.11.2026)") in docs
    assert (601, "Жалобы с 23.11.2026 по 23.11.2026: 1") in docs
    assert _texts(report, 701, "Не понял неделю «99»")
    # Issue 14: a chart every day, a quiet one too (the backlog), and one with the ranking.
    photos = [t for t in report["telegram"] if t["method"] == "sendPhoto"]
    assert photos and {t["chat_id"] for t in photos} == {701}


async def test_waiting_on_the_resident_holds_the_nudge_until_resumed(
    make_scenario: Any, tmp_path: Path
) -> None:
    """As soon as the alert is in, the official asks the resident for the house number
    (/wait): the clock stands, so nothing is chased, though the nudge was due at 11:15 (75%
    of three working hours from 09:00).  At 11:30 /resume runs it again with what was left,
    and the nudge comes 45 minutes before the new deadline.

    The official acts on what they see (the alert, the clock), not at fixed virtual
    instants: on a loaded machine the alert may come some virtual minutes late."""
    scenario = make_scenario(
        [{"at": "2026-11-23T08:52:00+03:00", "comment": COMPLAINT}],
        agencies=[
            {
                "id": "city",
                "name": "Администрация г. Примерска",
                "tz": "Europe/Moscow",
                "first_response_hours": 3,
            }
        ],
        start="2026-11-23T08:50:00+03:00",
        end="2026-11-23T17:00:00+03:00",  # a cap: the run ends with the nudge
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED) as sandbox:
        run = asyncio.create_task(
            sandbox.run_app(
                scenario.end, stop_when=lambda: _sent(sandbox, 501, "До срока ответа осталось")
            )
        )
        try:
            await until(lambda: run.done() or bool(sandbox.tg.sent(501)), "the alert")
            sandbox.tg.push_message(501, "/wait 1 дом?")
            await until(lambda: run.done() or _sent(sandbox, 501, "ждём ответа"), "the wait")
            await until(lambda: run.done() or sandbox.clock.now() >= _msk("11:30"), "11:30")
            sandbox.tg.push_message(501, "/resume 1")
        finally:
            await run
        report = await sandbox.report()

    (complaint,) = report["complaints"]
    assert complaint["status"] == "open"
    (waited,) = _texts(report, 501, "ждём ответа жителя, срок ответа остановлен")
    edits = [
        t
        for t in report["telegram"]
        if t["chat_id"] == 501
        and t["method"] == "editMessageText"
        and "Ждём ответа жителя" in (t["text"] or "")
    ]
    assert edits and "Спросили: дом?" in edits[0]["text"]
    (resumed,) = _texts(report, 501, "срок ответа снова идёт")
    # What was left at the /wait (three hours, less the working time after 09:00 before it
    # was handled) runs again from the /resume (handled at 11:30 or a little later).
    found = re.search(r"ответить до 23\.11 (\d\d:\d\d)", resumed["text"])
    assert found is not None, resumed["text"]
    due = _msk(found.group(1))
    used = max(_at(waited) - _msk("09:00"), timedelta(0))
    minute, left = timedelta(minutes=1), timedelta(hours=3)
    assert _msk("11:30") + left - used - minute <= due <= _at(resumed) + left + minute
    nudges = _texts(report, 501, "До срока ответа осталось")
    assert len(nudges) == 1, report["telegram"]
    assert _at(nudges[0]) > _at(resumed)  # nothing was chased while the clock stood
    assert _at(nudges[0]) >= due - timedelta(minutes=45)
    assert all(_at(e) >= due for e in _texts(report, 601, "Просрочена жалоба"))
