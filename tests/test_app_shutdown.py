"""Issue 11, defect 13: a shutdown (SIGTERM: the stop event) finishes the work in hand.

It used to close the bot session under whatever was under way: a person who pressed a
button just before got the press acknowledged and never the card (in CI: the on-demand
``/digest`` cut off, «Connector is closed»), and an alert mid-send was left half-recorded,
so the next start told the moderators it may have been lost.  Now polling stops, the
updates in hand are handled and the outbox's sends settle (bounded), and only then does the
session close.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sandbox.fake_telegram import TgCall
from sandbox.runner import Sandbox
from storage.db import make_engine, make_session_factory
from storage.models import Notification
from tests.app_support import COMPLAINT, MODERATOR, OFFICIAL, texts_to, until

pytestmark = pytest.mark.e2e

SPEED = 100.0
SHOW = "c:s:1"  # «show the card» of complaint 1: acknowledge the press, then send the card


class Held:
    """Holds the fake's answer to one call (the Bot API is slow right then), sets the app's
    stop (SIGTERM) meanwhile, and lets the answer go once the app is shutting down (or, if
    it never says so, once it has exited)."""

    def __init__(self, sb: Sandbox, match: Any) -> None:
        self.sb = sb
        self.match = match
        self.sigterm = asyncio.Event()
        self.calls: list[TgCall] = []
        self.exited_at_call: int | None = None  # len(sb.tg.calls) when the app exited
        self.runner: asyncio.Task[None] | None = None

    async def __call__(self, call: TgCall) -> None:
        if self.calls or not self.match(call):
            return
        self.calls.append(call)
        self.sigterm.set()
        app, runner = self.sb.app, self.runner
        assert app is not None and runner is not None
        draining = getattr(app, "draining", None)
        await until(
            lambda: runner.done() or (draining is not None and draining.is_set()), "shutdown"
        )

    def start(self, until_at: Any) -> asyncio.Task[None]:
        self.runner = asyncio.create_task(self.sb.run_app(until_at, stop_when=self.sigterm.is_set))

        def exited(_: object) -> None:
            self.exited_at_call = len(self.sb.tg.calls)

        self.runner.add_done_callback(exited)
        return self.runner


async def test_a_press_in_hand_at_sigterm_still_gets_its_card(
    make_scenario: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    scenario = make_scenario(
        [{"at": "2026-11-23T08:00:30+03:00", "comment": COMPLAINT}],
        end="2026-11-24T08:00:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED) as sb:
        held = Held(sb, lambda c: c.method == "answerCallbackQuery")
        sb.tg.before_reply = held
        runner = held.start(scenario.end)
        await until(lambda: len(texts_to(sb, OFFICIAL)) == 1 or runner.done(), "the alert")
        alert = sb.tg.sent(OFFICIAL)[0].message_id
        assert alert is not None
        sb.tg.push_callback(OFFICIAL, alert, SHOW)
        await runner
        calls = list(sb.tg.calls)
    assert held.calls, "the press was not handled"
    cards = [
        i
        for i, c in enumerate(calls)
        if c.method == "sendMessage" and c.chat_id == OFFICIAL and c.status == 200
    ][1:]
    assert held.exited_at_call is not None
    assert cards and cards[0] < held.exited_at_call, "the card came after the app exited"
    assert "Яма у дома 5" in (calls[cards[0]].text or "")
    assert "shutdown: drained 1 handler(s)" in caplog.text


async def test_an_alert_mid_send_at_sigterm_is_recorded_and_not_sent_again(
    make_scenario: Any, tmp_path: Path
) -> None:
    scenario = make_scenario(
        [{"at": "2026-11-23T08:00:30+03:00", "comment": COMPLAINT}],
        end="2026-11-24T08:00:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED) as sb:
        held = Held(sb, lambda c: c.method == "sendMessage" and c.chat_id == OFFICIAL)
        sb.tg.before_reply = held
        await held.start(scenario.end)
        assert held.calls, "the alert was not sent"
        first = await sb.report()
        sb.tg.before_reply = None
        # Start again: the outbox looks at what the last run left, then has nothing to do.
        await sb.run_app(scenario.end, stop_when=lambda: outbox_passed(sb))
        report = await sb.report()
        engine = make_engine(sb.db_url)
        try:
            async with make_session_factory(engine)() as session:
                rows = (await session.execute(select(Notification))).scalars().all()
                outbox = [(r.chat_id, r.kind, r.status) for r in rows]
        finally:
            await engine.dispose()
    assert first["complaints"][0]["alerted"] == [OFFICIAL]  # recorded before the exit
    assert outbox == [(OFFICIAL, "alert", "sent")]  # nobody told it may have been lost
    assert len(sb.tg.sent(OFFICIAL)) == 1
    assert report["complaints"][0]["alerted"] == [OFFICIAL]
    assert texts_to(sb, MODERATOR) == []


def outbox_passed(sb: Sandbox) -> bool:
    """The restarted app's outbox has settled the last run's rows and made a full pass."""
    app = sb.app
    if app is None:
        return False
    state = app.metrics.parts.get("outbox")
    return state is not None and state.last_ok is not None
