"""Issue 11, defects 4 and 9, end to end: the real app (aiogram, vk_api, a SQLite file)
against the fake VK and Telegram servers on a virtual clock.

* Every VK request fails (the fake answers 500 to everything): /healthz, /metrics, /status
  and ``otklik status`` must say so within minutes, and recover when VK is back.  Before the
  fix a pass whose request failed was stored as a good pass and health said "ok".
* A resident adds the address to a complaint by editing it, or edits chatter into a
  complaint, and nothing else happens on the post: the stored complaint must show the
  address, and the official must get the new complaint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.metrics import Health
from bot.status_report import render_status, status_data
from sandbox.runner import Sandbox
from storage.db import make_engine, make_session_factory
from tests.app_support import app_running, app_started, comment
from tests.ops_support import get, sample, serving
from tests.waiting import until

pytestmark = pytest.mark.e2e

SPEED = 200.0
MODERATOR = 601


def replies(sandbox: Sandbox, chat_id: int) -> list[str]:
    return [
        str(c.text)
        for c in sandbox.tg.calls
        if c.method == "sendMessage" and c.chat_id == chat_id and c.status == 200
    ]


async def test_health_metrics_and_status_say_so_when_every_vk_request_fails(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    scenario = make_scenario([], end="2026-11-24T12:00:00+03:00")  # stopped well before
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sandbox:
        sandbox.vk.inject_fault("http500", count=10**9)  # VK answers nothing but 500
        async with app_running(sandbox, scenario.end) as runner:
            app = await app_started(sandbox, runner)
            async with serving(app.metrics, Health(app.metrics, None)) as base:

                async def collector(status: str) -> bool:
                    _, _, body = await get(base + "/healthz")
                    return bool(body["checks"]["collector"]["status"] == status)

                await until(
                    lambda: collector("degraded"), "the collector to be degraded", timeout=90.0
                )
                _, _, body = await get(base + "/healthz")
                check = body["checks"]["collector"]
                assert body["status"] == "degraded"
                assert check["vk_failed_in_row"] >= 3 and "[-1]" in check["vk_error"]
                _, exposition, _ = await get(base + "/metrics")
                assert sample(exposition, "otklik_vk_failed_requests_in_row") >= 3
                assert sample(exposition, "otklik_collector_passes_total", result="failed") >= 1
                assert 'otklik_collector_passes_total{result="ok"}' not in exposition

                # The moderator asks; the answer says VK is away (from what the collector
                # stored, so a bot in another process would say the same).
                sandbox.tg.push_message(MODERATOR, "/status")

                async def told() -> bool:
                    return any("ВКонтакте не отвечает" in t for t in replies(sandbox, MODERATOR))

                await until(told, "/status to say VK is away", timeout=90.0)
                (status_text,) = [t for t in replies(sandbox, MODERATOR) if "Состояние" in t]
                assert "нет связи с сервером ВКонтакте" in status_text
                assert "ВКонтакте не отвечает" in await report(sandbox, db_url)

                sandbox.vk.clear_faults()  # VK is back
                await until(lambda: collector("ok"), "the collector to recover", timeout=90.0)

                async def stored_ok() -> bool:
                    return "Запросы к ВКонтакте: проходят" in await report(sandbox, db_url)

                await until(stored_ok, "the collector to store that VK works", timeout=90.0)
                sandbox.tg.push_message(MODERATOR, "/status")

                async def fine() -> bool:
                    return "запросы проходят" in replies(sandbox, MODERATOR)[-1]

                await until(fine, "/status to say VK works", timeout=90.0)


async def report(sandbox: Sandbox, db_url: str) -> str:
    """``otklik status`` (what the collector stored), read by another engine like the CLI."""
    engine = make_engine(db_url)
    try:
        sessions = make_session_factory(engine)
        return render_status(await status_data(sessions, sandbox.clock.now(), threshold_s=3600))
    finally:
        await engine.dispose()


async def test_an_edited_complaint_is_stored_with_the_address_added(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    """Only the edit happens after the complaint: the post's comment count never moves."""
    address = "Яма на дороге у дома 5 по ул. Ленина, когда заделаете? Уже два колеса пробили"
    scenario = make_scenario(
        [
            {
                "at": "2026-11-23T08:05:00+03:00",
                "comment": comment(11, "Яма на дороге, когда заделаете? Уже два колеса пробили"),
            },
            {"at": "2026-11-23T08:08:00+03:00", "edit": {"page": 1001, "id": 11, "text": address}},
        ],
        end="2026-11-23T08:40:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sandbox:
        report = await sandbox.run()
    (complaint,) = report["complaints"]
    assert complaint["text"] == address


async def test_chatter_edited_into_a_complaint_reaches_the_official(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    """A "+" under the post becomes a complaint by an edit; nothing else happens there."""
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": comment(11, "+")},
            {
                "at": "2026-11-23T08:08:00+03:00",
                "edit": {
                    "page": 1001,
                    "id": 11,
                    "text": "Яма у дома 5 по ул. Ленина, когда заделаете? Два колеса пробили",
                },
            },
        ],
        end="2026-11-23T08:40:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sandbox:
        report = await sandbox.run()
    (complaint,) = report["complaints"]
    assert complaint["alerted"] == [501]
