"""Issue 15 end to end on the sandbox, below the messenger UI: the real app (collector,
ingest, outbox, aiogram against the fake Telegram) runs a scenario whose page declares
``community: true``; the official's answer goes through ``bot.answering`` to the fake VK
as the page, the collector reads it back, and the alert card shows the answer.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.answering import AnswerDeps, AnswerOutcome, VkCommentWriter, answer_now
from sandbox.runner import Sandbox
from storage.db import make_engine, make_session_factory
from storage.models import Complaint, Person
from tests.app_support import COMPLAINT, OFFICIAL, app_running, app_started, until

pytestmark = pytest.mark.e2e

SPEED = 600.0
CAP = datetime.fromisoformat("2026-11-23T12:00:00+03:00")
GOOD = "Яму у дома 5 заделают до 27 ноября, бригада выйдет в среду."


def _card_shows(sb: Sandbox, chat_id: int, text: str) -> bool:
    return any(text in (m["text"] or "") for m in sb.tg.messages(chat_id).values())


async def test_answer_from_the_alert_is_published_once_and_shown_on_the_card(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    scenario = make_scenario(
        [{"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT}],
        pages=[
            {
                "group_id": 1001,
                "name": "Администрация г. Примерска",
                "screen_name": "adm_primersk",
                "agency": "city",
                "community": True,
            }
        ],
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED, db_url=db_url) as sb:
        engine = make_engine(sb.db_url)
        sessions = make_session_factory(engine)
        writer = VkCommentWriter(sb.settings().vk, sb.clock)
        try:
            async with app_running(sb, CAP) as runner:
                await app_started(sb, runner)
                await until(lambda: _card_shows(sb, OFFICIAL, "Яма у дома 5"), "the alert")
                async with sessions() as session:
                    person = (
                        await session.execute(select(Person).where(Person.telegram_id == OFFICIAL))
                    ).scalar_one()
                    complaint = (await session.execute(select(Complaint))).scalar_one()
                deps = AnswerDeps(sessions, sb.clock, writer)
                result = await answer_now(deps, complaint.id, person, GOOD)
                assert result.outcome is AnswerOutcome.PUBLISHED, result.message
                await until(lambda: _card_shows(sb, OFFICIAL, "Ответ дан"), "the card edited")
        finally:
            writer.close()
            await engine.dispose()
        report = await sb.report()

    [row] = report["complaints"]
    assert row["status"] == "answered" and row["otpiska"] is False
    posted = sb.vk.world.wall(1001).comments[result.vk_comment_id]
    asked = sb.vk.world.wall(1001).comments[11]
    assert row["response_seconds"] == int(posted.at) - int(asked.at)
    assert datetime.fromisoformat(row["answered_at"]).timestamp() == int(posted.at)
    [write] = report["vk_writes"]
    assert write == {
        "method": "wall.createComment",
        "owner_id": -1001,
        "post_id": 10,
        "reply_to_comment": 11,
        "from_group": 1001,
        "message": "Мария, яму у дома 5 заделают до 27 ноября, бригада выйдет в среду.",
        "guid": write["guid"],
        "at": write["at"],
        "error": None,
        "comment_id": result.vk_comment_id,
    }
    assert datetime.fromisoformat(write["at"]).timestamp() == pytest.approx(posted.at)
    assert _card_shows(sb, OFFICIAL, "бригада выйдет в среду")  # the answer on the card
