"""End to end: an unanswered complaint is nudged, escalated to the moderator, then to the lead,
each exactly once, on the sandbox's virtual clock; and /digest answers a lead on demand.

At 2000× a virtual minute is 30 ms: on a loaded machine a job or a command is handled some
virtual minutes late.  So runs end on what the test waits for (the scenario's end is a cap
beyond it), and instants are checked against when things were actually sent, never against
a fixed window (issue 11: the on-demand /digest used to be cut off by the scenario's end)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sandbox.runner import Sandbox

pytestmark = pytest.mark.e2e

SPEED = 2000.0
COMPLAINT = {
    "page": 1001,
    "post": 10,
    "id": 11,
    "from_id": 7001,
    "name": "Мария К.",
    "text": "Яма у дома 5 по ул. Ленина, когда заделаете?",
}


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
            {"at": "2026-11-23T10:39:00+03:00", "telegram": {"from": 701, "text": "/report 47"}},
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
    nudges = _texts(report, 501, "До срока ответа осталось")
    escalations = _texts(report, 601, "Просрочена жалоба")
    leads = _texts(report, 701, "Жалоба №1 без ответа")
    assert (len(nudges), len(escalations), len(leads)) == (1, 1, 1), report["telegram"]
    # Never early; late by as much as the job lagged behind (the text says how much is left
    # when the job ran, which was no later than the message's arrival).
    assert _at(nudges[0]) >= _msk("09:45")
    left = re.search(r"осталось (\d+) мин", nudges[0]["text"])
    assert left is not None, nudges[0]["text"]
    assert 60 - _minutes(_at(nudges[0]) - _msk("09:00")) - 1 <= int(left.group(1)) <= 15
    assert _at(escalations[0]) >= _msk("10:00")
    assert _at(leads[0]) >= _msk("10:30")
    assert _at(nudges[0]) < _at(escalations[0]) < _at(leads[0])
    overdue = re.search(r"Просрочка: (\d+) мин рабочего времени", leads[0]["text"])
    assert overdue is not None
    assert 30 <= int(overdue.group(1)) <= _minutes(_at(leads[0]) - _msk("10:00")) + 1
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
    assert (701, "📈 Рейтинг ведомств за 2026-W47 (16.11.2026 — 22.11.2026)") in docs
    assert (601, "Жалобы с 23.11.2026 по 23.11.2026: 1") in docs
    assert _texts(report, 701, "Укажите неделю так")
    assert sum(1 for t in report["telegram"] if t["method"] == "sendPhoto") == 0  # empty day


async def test_waiting_on_the_resident_holds_the_nudge_until_resumed(
    make_scenario: Any, tmp_path: Path
) -> None:
    """The official asks the resident for the house number at 09:30 (half the hour used):
    nothing is chased while the clock stands (the nudge was due at 09:45); /resume at 10:30
    leaves 30 minutes, so the nudge comes at about 10:45 and the breach would be at 11:00."""
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:52:00+03:00", "comment": COMPLAINT},
            {"at": "2026-11-23T09:30:00+03:00", "telegram": {"from": 501, "text": "/wait 1 дом?"}},
            {"at": "2026-11-23T10:30:00+03:00", "telegram": {"from": 501, "text": "/resume 1"}},
        ],
        agencies=[
            {
                "id": "city",
                "name": "Администрация г. Примерска",
                "tz": "Europe/Moscow",
                "first_response_hours": 1,
            }
        ],
        start="2026-11-23T08:50:00+03:00",
        end="2026-11-23T12:00:00+03:00",  # a cap: the run ends with the nudge
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED) as sandbox:
        await sandbox.run_app(
            scenario.end,
            stop_when=lambda: (
                sandbox.fed_events == 2 and _sent(sandbox, 501, "До срока ответа осталось")
            ),
        )
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
    # 30 minutes were left at the /wait and run again from the /resume: 11:00, moved by how
    # late each command was handled (no later than its reply was sent).
    found = re.search(r"ответить до 23\.11 (\d\d:\d\d)", resumed["text"])
    assert found is not None, resumed["text"]
    due = _msk(found.group(1))
    early = _at(waited) - _msk("09:30") + timedelta(minutes=1)
    late = _at(resumed) - _msk("10:30") + timedelta(minutes=1)
    assert _msk("11:00") - early <= due <= _msk("11:00") + late, resumed["text"]
    nudges = _texts(report, 501, "До срока ответа осталось")
    assert len(nudges) == 1, report["telegram"]
    assert _at(nudges[0]) > _at(resumed)  # nothing was chased while the clock stood
    assert all(_at(e) >= due for e in _texts(report, 601, "Просрочена жалоба"))
