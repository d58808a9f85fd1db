"""Handlers answering on MAX through :class:`bot.max.conversation.MaxConversation`: a reply
to a command, and a button press answered once with the new card and a notice together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.handling import Conversation
from bot.core.inbound import ButtonPress, CommandMessage, InboundEvent
from bot.max.conversation import serve_events
from bot.max.polling import MaxPoller
from tests.max_support import ANNA, BORIS, MaxRig, alert_card, max_rig

REPLIES: list[str | None] = []  # what ``reply`` returned: the card's ref, to edit it later


async def handle(event: InboundEvent, convo: Conversation) -> None:
    """What the neutral handlers do, in miniature."""
    if isinstance(event, CommandMessage) and event.command == "my":
        REPLIES.append(await convo.reply(alert_card()))
    elif isinstance(event, ButtonPress) and event.payload.startswith("c:t:"):
        await convo.toast("Взято в работу")
        assert await convo.edit(alert_card(html="<b>Жалоба №7</b>: в работе у Анны"))
    elif isinstance(event, ButtonPress):
        await convo.toast("Кнопка устарела", alert=True)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[MaxRig]:
    async with max_rig(tmp_path) as r:
        yield r


async def deliver(rig: MaxRig) -> None:
    """Poll until every update so far was handled."""
    poller = MaxPoller(rig.client.bot, serve_events(rig.port, handle), rig.clock, timeout_s=0)
    while not rig.fake.handled(rig.fake.last_update_seq):
        await poller.poll_once()


async def test_a_command_is_answered_and_a_press_gets_one_answer(rig: MaxRig) -> None:
    rig.fake.push_message(ANNA, "/my")
    await deliver(rig)
    (mid,) = rig.fake.messages(ANNA)
    assert rig.fake.button_payloads(mid) == ["c:t:7", "c:r:7"]

    rig.fake.push_callback(ANNA, mid, "c:t:7")
    await deliver(rig)
    (answer,) = [c for c in rig.fake.calls if c.method == "POST /answers"]
    assert answer.status == 200 and set(answer.body) == {"message", "notification"}
    assert rig.fake.notifications == [(ANNA, "Взято в работу")]
    shown = rig.fake.messages(ANNA)[mid]
    assert shown["plain_text"] == "Жалоба №7: в работе у Анны"
    assert rig.fake.button_payloads(mid) == ["c:t:7", "c:r:7"]

    rig.fake.push_callback(ANNA, mid, "x:забытая кнопка", forged=True)
    await deliver(rig)
    assert rig.fake.notifications[-1] == (ANNA, "Кнопка устарела")
    assert rig.fake.messages(ANNA)[mid]["plain_text"] == "Жалоба №7: в работе у Анны"


async def test_an_expired_press_still_gets_its_card_edited(rig: MaxRig) -> None:
    sent = await rig.port.send(ANNA, alert_card())
    assert sent.ref is not None
    callback_id = rig.fake.push_callback(ANNA, sent.ref, "c:t:7")
    await rig.client.bot.send_callback(callback_id=callback_id, notification="раньше")
    await deliver(rig)  # the answer is refused: answered already
    assert rig.fake.messages(ANNA)[sent.ref]["plain_text"] == "Жалоба №7: в работе у Анны"
    assert rig.fake.button_payloads(sent.ref) == ["c:t:7", "c:r:7"]


async def test_a_reply_whose_answer_was_lost_is_found_in_the_dialog(rig: MaxRig) -> None:
    """The dialog is learned from Boris's own message, so the lost send can be looked up and
    the handler gets the card's ref (to edit it later) without a second card."""
    REPLIES.clear()
    rig.fake.inject_fault("done_then_504", method="POST /messages")
    rig.fake.push_message(BORIS, "/my")
    await deliver(rig)
    (mid,) = rig.fake.messages(BORIS)
    assert [mid] == REPLIES
