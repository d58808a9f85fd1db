"""End to end: the real app, real aiogram and vk_api, both fakes over HTTP, a SQLite file.

Runs end on what the test waits for (``stop_when``), with the scenario's end only as a cap
far beyond it: a loaded machine takes more virtual time for the same work (issue 11)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.runner import Sandbox
from tests.app_support import COMPLAINT, comment
from tests.ops_support import sample

pytestmark = pytest.mark.e2e

SPEED = 1000.0
CAP = datetime.fromisoformat("2026-11-23T12:00:00+03:00")
ANSWER = comment(12, "Мария, яму заделают до 27 ноября.", author=-1001, reply_to=11)


def _card_shows(sandbox: Sandbox, chat_id: int, text: str) -> bool:
    return any(text in (m["text"] or "") for m in sandbox.tg.messages(chat_id).values())


def _alerts(report: dict[str, Any], chat_id: int) -> list[dict[str, Any]]:
    return [
        t
        for t in report["telegram"]
        if t["chat_id"] == chat_id and t["method"] == "sendMessage" and t["status"] == 200
    ]


async def test_complaint_alerts_official_and_answer_edits_alert(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT},
            {"at": "2026-11-23T09:10:00+03:00", "comment": ANSWER},
        ]
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sandbox:
        await sandbox.run_app(CAP, stop_when=lambda: _card_shows(sandbox, 501, "Ответ дан"))
        report = await sandbox.report()
        final = sandbox.tg.messages(501)

    assert len(report["complaints"]) == 1
    complaint = report["complaints"][0]
    assert (complaint["page"], complaint["post"], complaint["comment"]) == (1001, 10, 11)
    assert complaint["topic"] == "roads"
    assert complaint["status"] == "answered"
    assert complaint["alerted"] == [501]
    # The stored response time is exactly the gap in the scenario: 08:05 → 09:10.
    assert complaint["response_seconds"] == 65 * 60
    assert complaint["business_seconds"] == 10 * 60  # working day starts at 09:00
    assert datetime.fromisoformat(complaint["answered_at"]) == datetime.fromisoformat(
        "2026-11-23T09:10:00+03:00"
    )

    alerts = _alerts(report, 501)
    assert len(alerts) == 1, alerts
    assert "Яма у дома 5" in alerts[0]["text"]
    assert "Мария К." in alerts[0]["text"]
    assert "vk.com/wall-1001_10?reply=11" in str(final)
    # Nobody else is pinged about a fresh complaint (the lead's 09:00 digest is not about it).
    assert _alerts(report, 601) == []
    assert [t["text"] for t in _alerts(report, 701) if "Сводка за" not in t["text"]] == []
    # The alert was edited to show the answer and how long it took.
    edits = [
        t
        for t in report["telegram"]
        if t["method"] == "editMessageText" and t["chat_id"] == 501 and t["status"] == 200
    ]
    assert edits, "alert was not edited after the answer"
    (shown,) = final.values()
    assert "Ответ дан" in shown["text"] and "1 ч 05 мин" in shown["text"]
    assert "заделают до 27 ноября" in shown["text"]


async def test_thanks_comment_produces_no_alert(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": comment(11, "спасибо")},
            {
                "at": "2026-11-23T08:10:00+03:00",
                "comment": comment(
                    13,
                    "Спасибо большое за ремонт дороги на Садовой, отлично сделали!",
                    author=7002,
                ),
            },
        ],
    )

    def both_read() -> bool:
        app = sandbox.app
        if app is None:
            return False
        return sample(app.metrics.render().decode(), "otklik_comments_stored_total") >= 2

    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sandbox:
        # An alert would be queued with its comment and sent before the app exits.
        await sandbox.run_app(CAP, stop_when=both_read)
        report = await sandbox.report()
    assert report["complaints"] == []
    sent = [t for t in report["telegram"] if t["method"] == "sendMessage"]
    assert [t for t in sent if "Сводка за" not in t["text"]] == []


async def test_restart_mid_scenario_sends_no_duplicate_alert(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT},
            {"at": "2026-11-23T09:10:00+03:00", "comment": ANSWER},
        ]
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sandbox:
        # Stop the first app as soon as the alert is out (before the answer at 09:10, unless
        # the machine is very slow: then the second run simply has less to do).
        await sandbox.run_app(scenario.end, stop_when=lambda: len(sandbox.tg.sent(501)) >= 1)
        assert len(sandbox.tg.sent(501)) == 1  # alerted before the restart
        await sandbox.run_app(CAP, stop_when=lambda: _card_shows(sandbox, 501, "Ответ дан"))
        report = await sandbox.report()
    assert report["app_runs"] == 2
    assert len(_alerts(report, 501)) == 1
    assert len(report["complaints"]) == 1
    assert report["complaints"][0]["response_seconds"] == 3900


async def test_moderator_resolves_by_command_and_strangers_are_refused(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT},
            {"at": "2026-11-23T08:30:00+03:00", "telegram": {"from": 999, "text": "/resolve 1"}},
            {"at": "2026-11-23T08:40:00+03:00", "telegram": {"from": 501, "text": "/resolve 1"}},
            {
                "at": "2026-11-23T08:50:00+03:00",
                "telegram": {"from": 601, "text": "/resolve один"},
            },
            {"at": "2026-11-23T09:30:00+03:00", "telegram": {"from": 601, "text": "/resolve 1"}},
        ]
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sandbox:
        # The run lasts until every command is answered; the card's last edit then follows.
        await sandbox.run_app(CAP, stop_when=lambda: _card_shows(sandbox, 501, "Решено"))
        report = await sandbox.report()
        # The alert may come after the official's refused command on a loaded machine.
        alert_text = next(
            m["text"] for m in sandbox.tg.messages(501).values() if "Яма у дома 5" in m["text"]
        )
    (complaint,) = report["complaints"]
    assert complaint["status"] == "resolved"
    replies = {
        t["chat_id"]: t["text"]
        for t in report["telegram"]
        if t["method"] == "sendMessage" and t["chat_id"] in (999, 601)
    }
    assert "по приглашению" in replies[999]
    official_replies = [t["text"] for t in _alerts(report, 501)]
    assert any("недоступна" in text for text in official_replies)
    moderator = [
        t["text"]
        for t in report["telegram"]
        if t["chat_id"] == 601 and t["method"] == "sendMessage"
    ]
    assert any("числом" in text for text in moderator)
    assert any("закрыта как решённая" in text for text in moderator)
    assert "Решено" in alert_text
