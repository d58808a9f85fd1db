"""MAX started from settings, as the app will: polling for development, the webhook for
production, each delivering events to the neutral handler once."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.core.handling import Conversation
from bot.core.inbound import CommandMessage, InboundEvent
from bot.core.types import Card
from bot.max.runtime import start_max
from bot.max.webhook import SECRET_HEADER
from tests.max_support import ANNA, max_rig, max_settings

HANDLED: list[InboundEvent] = []


async def handle(event: InboundEvent, convo: Conversation) -> None:
    HANDLED.append(event)
    if isinstance(event, CommandMessage):
        await convo.reply(Card(f"Команда /{event.command} принята"))


async def test_polling_mode_answers_a_command(tmp_path: Path) -> None:
    HANDLED.clear()
    async with max_rig(tmp_path) as rig:
        runtime = await start_max(max_settings(rig.fake), rig.clock, handle)
        try:
            seq = rig.fake.push_message(ANNA, "/my")
            await rig.fake.wait_handled(seq, timeout=30)
            await rig.fake.wait_until(lambda: bool(rig.fake.messages(ANNA)), 30)
        finally:
            await runtime.close()
        assert [m["text"] for m in rig.fake.messages(ANNA).values()] == ["Команда /my принята"]
        assert runtime.client.connector.closed


async def test_webhook_mode_subscribes_with_the_secret_and_listens(tmp_path: Path) -> None:
    HANDLED.clear()
    async with max_rig(tmp_path) as rig:
        settings = max_settings(
            rig.fake,
            mode="webhook",
            webhook_url="https://otklik.example.ru/hooks/max",
            webhook_secret="s3cret-Otklik",
            webhook_port=0,
        )
        runtime = await start_max(settings, rig.clock, handle)
        try:
            assert rig.fake.subscriptions() == [
                {
                    "url": "https://otklik.example.ru/hooks/max",
                    "update_types": [
                        "message_created",
                        "message_callback",
                        "bot_started",
                        "bot_stopped",
                    ],
                    "secret": "s3cret-Otklik",
                }
            ]
            assert runtime.runner is not None
            port = runtime.runner.addresses[0][1]
            # Posted here by hand: the fake cannot reach the public address to deliver it.
            update = {
                "update_type": "bot_started",
                "timestamp": 1_772_442_000_000,
                "chat_id": rig.fake.dialog_id(ANNA),
                "user": {
                    "user_id": ANNA,
                    "first_name": "Анна",
                    "is_bot": False,
                    "last_activity_time": 1_772_442_000_000,
                },
                "payload": "INV-1",
            }
            url = f"http://127.0.0.1:{port}/hooks/max"
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json=update) as refused:
                    assert refused.status == 403
                headers = {SECRET_HEADER: "s3cret-Otklik"}
                async with http.post(url, json=update, headers=headers) as accepted:
                    assert accepted.status == 200
        finally:
            await runtime.close()
        assert [type(e).__name__ for e in HANDLED] == ["BotStarted"]
        assert rig.fake.subscriptions()  # kept: MAX holds updates across a restart
