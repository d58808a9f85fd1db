"""The MAX adapter's incoming side: updates from the fake MAX, by long polling and by webhook,
become the same neutral events (``bot.core.inbound``), each handed over once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.core.inbound import (
    BotStarted,
    BotStopped,
    ButtonPress,
    CommandMessage,
    InboundEvent,
    TextMessage,
)
from bot.core.types import Channel
from bot.max.polling import MaxPoller
from bot.max.updates import Once, translate
from bot.max.webhook import SECRET_HEADER, serve_webhook, subscribe, webhook_app
from tests.max_support import ANNA, MaxRig, alert_card, max_rig
from tests.waiting import until

SECRET = "s3cret-Otklik"
VERA = 603


class Recorder:
    """The callback the core will be: records events; may fail the first ``fail`` times."""

    def __init__(self, fail: int = 0) -> None:
        self.events: list[InboundEvent] = []
        self.calls = 0
        self.fail = fail

    async def __call__(self, event: InboundEvent) -> None:
        self.calls += 1
        if self.calls <= self.fail:
            raise RuntimeError("the database is down")
        self.events.append(event)


async def act(rig: MaxRig) -> tuple[str, int]:
    """An invite redeemed, commands, text, a real and a forged press, a stop; the card's
    message id and the last update's sequence number."""
    sent = await rig.port.send(ANNA, alert_card())
    assert sent.ref is not None
    rig.fake.push_bot_started(VERA, "INV-7F3K", first_name="Вера", last_name="Иванова")
    rig.fake.push_message(ANNA, "/complaint 12")
    rig.fake.push_message(ANNA, "/my")
    rig.fake.push_message(ANNA, "Яму засыпали, можно закрывать")
    rig.fake.push_callback(ANNA, sent.ref, "c:t:7")
    rig.fake.push_callback(ANNA, sent.ref, "c:r:999", forged=True)
    rig.fake.block(ANNA)
    return sent.ref, rig.fake.last_update_seq


async def start_webhook(
    rig: MaxRig, handler: Any, *, secret: str = SECRET
) -> tuple[web.AppRunner, str]:
    runner = await serve_webhook(webhook_app(handler, secret=secret, path="/max"), "127.0.0.1", 0)
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/max"


async def subscribed(rig: MaxRig, url: str, secret: str = SECRET) -> None:
    with pytest.warns(UserWarning, match="HTTPS"):  # maxapi warns of a plain-HTTP hook
        await subscribe(rig.client.bot, url, secret)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[MaxRig]:
    async with max_rig(tmp_path) as r:
        yield r


async def polled_events(tmp_path: Path) -> tuple[str, list[InboundEvent], MaxRig]:
    async with max_rig(tmp_path / "poll") as rig:
        ref, last = await act(rig)
        recorder = Recorder()
        poller = MaxPoller(rig.client.bot, recorder, rig.clock, timeout_s=0)
        task = asyncio.create_task(poller.run())
        try:
            await rig.fake.wait_handled(last, timeout=30)
        finally:
            poller.stop()
            await task
        return ref, recorder.events, rig


async def webhooked_events(tmp_path: Path) -> tuple[str, list[InboundEvent], MaxRig]:
    async with max_rig(tmp_path / "hook") as rig:
        ref, last = await act(rig)
        recorder = Recorder()
        runner, url = await start_webhook(rig, recorder)
        try:
            await subscribed(rig, url)
            await rig.fake.wait_handled(last, timeout=30)
        finally:
            await runner.cleanup()
        assert {d.status for d in rig.fake.deliveries} == {200}
        return ref, recorder.events, rig


async def test_polling_and_webhook_deliver_the_same_neutral_events(tmp_path: Path) -> None:
    ref, polled, poll_rig = await polled_events(tmp_path)
    hook_ref, hooked, _ = await webhooked_events(tmp_path)
    assert hook_ref == ref
    assert polled == hooked
    started, complaint, my, text, press, forged, stopped = polled
    dialog = poll_rig.fake.dialog_id
    assert started == BotStarted(
        channel=Channel.MAX,
        event_id=started.event_id,
        user_id=VERA,
        chat_id=dialog(VERA),
        name="Вера Иванова",
        payload="INV-7F3K",  # the invite code from https://max.ru/<bot>?start=INV-7F3K
    )
    assert isinstance(complaint, CommandMessage)
    assert (complaint.command, complaint.args, complaint.user_id) == ("complaint", "12", ANNA)
    assert (complaint.chat_id, complaint.name) == (dialog(ANNA), "Анна Петрова")
    assert isinstance(my, CommandMessage) and (my.command, my.args) == ("my", "")
    assert isinstance(text, TextMessage) and text.text == "Яму засыпали, можно закрывать"
    assert isinstance(press, ButtonPress)
    assert (press.payload, press.message_ref, press.user_id) == ("c:t:7", ref, ANNA)
    assert press.callback_id == press.event_id and press.callback_id.startswith("cb.")
    # A forged press arrives untouched: only the core may refuse it.
    assert isinstance(forged, ButtonPress) and forged.payload == "c:r:999"
    assert isinstance(stopped, BotStopped) and stopped.user_id == ANNA
    assert len({e.event_id for e in polled}) == len(polled)


async def test_the_webhook_refuses_a_wrong_secret(tmp_path: Path) -> None:
    async with max_rig(tmp_path, webhook_retry_s=1800) as rig:
        recorder = Recorder()
        runner, url = await start_webhook(rig, recorder, secret="the-right-one")
        try:
            update = {"update_type": "bot_started", "timestamp": 1, "chat_id": 1, "user": {}}
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {SECRET_HEADER: "the-wrong-one"}):
                    async with http.post(url, json=update, headers=headers) as response:
                        assert response.status == 403
            await subscribed(rig, url, secret="a-wrong-one")
            rig.fake.push_message(ANNA, "/my")
            await rig.fake.wait_until(lambda: not rig.fake.subscriptions(), 30)
        finally:
            await runner.cleanup()
    assert recorder.calls == 0
    assert {d.status for d in rig.fake.deliveries} == {403}  # MAX gave up after 8 hours


async def test_a_redelivered_update_is_handed_over_once(rig: MaxRig) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    handled: list[InboundEvent] = []

    async def slow(event: InboundEvent) -> None:
        entered.set()
        await release.wait()
        handled.append(event)

    once = Once(slow)
    runner, url = await start_webhook(rig, once)
    rig.fake.push_message(ANNA, "/my")
    (update,) = rig.fake.pending_updates()
    try:
        async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as http:

            async def post() -> int:
                async with http.post(url, data=json.dumps(update)) as response:
                    return response.status

            first, second = asyncio.ensure_future(post()), asyncio.ensure_future(post())
            await entered.wait()
            await until(lambda: once.duplicates == 1, "the second delivery to arrive")
            assert not first.done() and not second.done()  # 200 only after the handler
            release.set()
            assert await asyncio.gather(first, second) == [200, 200]
            assert await post() == 200  # later still: already handled
    finally:
        await runner.cleanup()
    assert len(handled) == 1


async def test_an_update_that_failed_is_delivered_again_and_handled_once(rig: MaxRig) -> None:
    recorder = Recorder(fail=1)
    runner, url = await start_webhook(rig, recorder)
    try:
        await subscribed(rig, url)
        seq = rig.fake.push_message(ANNA, "/my")
        await rig.fake.wait_handled(seq, timeout=30)
    finally:
        await runner.cleanup()
    assert [d.status for d in rig.fake.deliveries] == [500, 200]
    assert [type(e) for e in recorder.events] == [CommandMessage]


async def test_polling_retries_a_failed_update_before_moving_on(rig: MaxRig) -> None:
    recorder = Recorder(fail=2)
    poller = MaxPoller(rig.client.bot, recorder, rig.clock, timeout_s=0)
    first = rig.fake.push_message(ANNA, "раз")
    rig.fake.push_message(ANNA, "два")
    assert await poller.poll_once() == 2
    assert [e.text for e in recorder.events if isinstance(e, TextMessage)] == ["раз", "два"]
    assert recorder.calls == 4 and not rig.fake.handled(first)
    assert await poller.poll_once() == 0  # the marker confirms the batch
    assert rig.fake.handled(rig.fake.last_update_seq)


async def test_updates_otklik_does_not_use_are_skipped(rig: MaxRig) -> None:
    assert translate({"update_type": "dialog_muted", "timestamp": 1}) is None
    assert translate({"update_type": "something_new", "timestamp": 1}) is None
    assert translate({"update_type": "message_created"}) is None  # malformed
    once = Once(Recorder())
    assert once.duplicates == 0


async def test_a_poll_that_fails_is_repeated_without_losing_updates(rig: MaxRig) -> None:
    recorder = Recorder()
    poller = MaxPoller(rig.client.bot, recorder, rig.clock, timeout_s=0)
    seq = rig.fake.push_message(ANNA, "/my")
    rig.fake.inject_fault("http503", method="GET /updates", count=2)
    task = asyncio.create_task(poller.run())
    try:
        await rig.fake.wait_handled(seq, timeout=30)
    finally:
        poller.stop()
        await task
    assert [type(e) for e in recorder.events] == [CommandMessage]
    statuses = [c.status for c in rig.fake.calls if c.method == "GET /updates"]
    assert statuses[:2] == [503, 503] and 200 in statuses
