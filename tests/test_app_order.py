"""Issue 11, defect 12: one chat's updates are handled in order, and the sandbox's outcome
does not depend on its speed.

At 1,000× two commands a virtual minute apart were answered out of order, and two presses
on one complaint raced (the second «Ждём ответа жителя» got the success text): aiogram's
polling handled every update as a concurrent task.  Now the app handles a chat's updates one
after another, and the sandbox feeds a scenario's next Telegram event only once the app has
handled the one before.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.core import texts
from sandbox.fake_telegram import TgCall
from sandbox.runner import Sandbox
from tests.app_support import COMPLAINT, MODERATOR, OFFICIAL, app_running, texts_to, until

pytestmark = pytest.mark.e2e

WAIT = "c:w:1"  # «Ждём ответа жителя» on complaint 1 (bot.core.callbacks.ComplaintCb)


def callback_answers(sb: Sandbox, query_ids: list[str]) -> list[str]:
    """The texts the bot answered the given button presses with, in the presses' order."""
    answers = {
        str(c.params.get("callback_query_id")): c.text or ""
        for c in sb.tg.calls
        if c.method == "answerCallbackQuery" and c.status == 200
    }
    return [answers.get(q, "<no answer>") for q in query_ids]


class SlowFirstAnswer:
    """Telegram is slow to take the bot's first answer (the held call) until the app has
    the chat's next update in hand as well.  In order, that update waits for the first one
    (it is queued behind it); handled side by side, it runs now, before the first one's
    change is committed, and is answered first (``answered_next``)."""

    def __init__(self, sb: Sandbox, match: Any, answered_next: Any) -> None:
        self.sb = sb
        self.match = match
        self.answered_next = answered_next
        self.held = 0

    def in_hand(self) -> int:
        poller = getattr(self.sb.app, "poller", None)
        return int(getattr(poller, "in_flight", 0))

    async def __call__(self, call: TgCall) -> None:
        if self.held or not self.match(call):
            return
        self.held += 1
        await until(lambda: self.in_hand() >= 2 or self.answered_next(), "the next update")


async def test_a_double_press_and_two_quick_commands_are_handled_in_order(
    make_scenario: Any, tmp_path: Path
) -> None:
    """A double tap, then two commands sent at once: each pair reaches the app together."""
    scenario = make_scenario(
        [{"at": "2026-11-23T08:00:30+03:00", "comment": COMPLAINT}],
        end="2026-11-24T08:00:00+03:00",
    )
    async with Sandbox(scenario, workdir=tmp_path, speed=100.0, busy_timeout_s=1.0) as sb:
        async with app_running(sb, scenario.end):
            await until(lambda: len(sb.tg.sent(OFFICIAL)) >= 1, "the alert")
            alert = sb.tg.sent(OFFICIAL)[0].message_id
            assert alert is not None
            presses: list[str] = []
            sb.tg.before_reply = SlowFirstAnswer(
                sb,
                lambda c: (
                    c.method == "answerCallbackQuery"
                    and c.params.get("callback_query_id") == presses[0]
                ),
                lambda: callback_answers(sb, presses[1:]) != ["<no answer>"],
            )
            presses += [sb.tg.push_callback(OFFICIAL, alert, WAIT) for _ in range(2)]
            await until(lambda: "<no answer>" not in callback_answers(sb, presses), "answers")
            sb.tg.before_reply = None
            sb.tg.push_message(MODERATOR, "/resolve 1")
            sb.tg.push_message(MODERATOR, "/reopen 1")
            await until(lambda: len(texts_to(sb, MODERATOR)) == 2, "the replies")
        report = await sb.report()
    assert callback_answers(sb, presses) == [
        texts.CB_WAITING.format(id=1),
        texts.ALREADY_WAITING.format(id=1),
    ]
    replies = texts_to(sb, MODERATOR)
    assert len(replies) == 2 and replies[0] == texts.RESOLVED_OK.format(id=1), replies
    assert replies[1].startswith("Жалоба №1 переоткрыта"), replies
    assert report["complaints"][0]["status"] == "open"


def _same(text: str) -> str:
    """A text with its times and numbers blanked: they follow the clock, not the outcome."""
    return re.sub(r"\d+", "#", text)


def outcome(sb: Sandbox, report: dict[str, Any]) -> dict[str, Any]:
    """What people saw, and the complaints' states, without the instants."""
    chats = sorted({c.chat_id for c in sb.tg.calls if c.chat_id is not None})
    return {
        "complaints": [(c["id"], c["status"], c["alerted"]) for c in report["complaints"]],
        "sent": {chat: [_same(t) for t in texts_to(sb, chat)] for chat in chats},
        "pressed": [
            _same(c.text or "")
            for c in sb.tg.calls
            if c.method == "answerCallbackQuery" and c.status == 200
        ],
        "cards": {
            chat: [_same(m["text"] or "") for m in sb.tg.messages(chat).values()] for chat in chats
        },
    }


async def run_at(speed: float, make_scenario: Any, workdir: Path) -> dict[str, Any]:
    def tg(at: str, who: int, **event: Any) -> dict[str, Any]:
        return {"at": f"2026-11-23T10:{at}+03:00", "telegram": {"from": who, **event}}

    # Mid-morning: the nearest job (the nudge at 75% of eight working hours) is six hours
    # off, beyond any lag a loaded machine adds at 1000×; the digest ran at 09:00.
    scenario = make_scenario(
        [
            {"at": "2026-11-23T10:00:30+03:00", "comment": COMPLAINT},
            tg("03:00", OFFICIAL, message=1, callback=WAIT),
            tg("03:00", OFFICIAL, message=1, callback=WAIT),  # a double tap
            tg("05:00", OFFICIAL, text="/resume 1"),
            tg("06:00", MODERATOR, text="/resolve 1"),
            tg("06:00", MODERATOR, text="/reopen 1"),
            tg("07:00", OFFICIAL, text="/wait 1 номер дома?"),
            tg("07:00", OFFICIAL, text="/wait 1"),
            tg("08:00", MODERATOR, text="/complaint 1"),
        ],
        start="2026-11-23T10:00:00+03:00",
        end="2026-11-23T10:09:00+03:00",
    )
    async with Sandbox(scenario, workdir=workdir, speed=speed) as sb:
        report = await sb.run()
    return outcome(sb, report)


async def test_one_scenario_gives_one_outcome_at_two_speeds(
    make_scenario: Any, tmp_path: Path
) -> None:
    slow = await run_at(50.0, make_scenario, tmp_path / "slow")
    fast = await run_at(1000.0, make_scenario, tmp_path / "fast")
    assert fast == slow
    assert slow["complaints"] == [(1, "open", [OFFICIAL, MODERATOR])]
    assert slow["pressed"] == [
        _same(texts.CB_WAITING.format(id=1)),
        _same(texts.ALREADY_WAITING.format(id=1)),
    ]
    official = slow["sent"][OFFICIAL]
    assert len(official) == 4, official  # the alert, /resume, /wait, the second /wait
    assert official[1].startswith("Жалоба №#: срок ответа снова идёт"), official
    assert official[3] == _same(texts.ALREADY_WAITING.format(id=1))
    moderator = slow["sent"][MODERATOR]
    assert moderator[0] == _same(texts.RESOLVED_OK.format(id=1))
    assert moderator[1].startswith("Жалоба №# переоткрыта")
    assert "Ждём ответа жителя" in moderator[2]  # the card shows the wait
