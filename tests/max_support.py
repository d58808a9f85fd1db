"""What the MAX adapter tests share: the fake MAX with two known users, and Otklik's own
MAX client (``bot.max.client.open_client``, pacer on) pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.core.types import Button, Card, Keyboard
from bot.max.client import MaxClient, open_client
from bot.max.pacer import MaxPacer
from bot.max.port import MaxPort
from config.clock import Clock, ManualClock
from config.settings import MaxSettings
from sandbox.fake_max import FakeMax

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANNA = 501
BORIS = 502


def max_settings(fake: FakeMax, **overrides: object) -> MaxSettings:
    """Settings for the fake: its token and address, long polling."""
    values: dict[str, object] = {
        "token": SecretStr(fake.token),
        "api_base": fake.base_url,
        "mode": "polling",
        **overrides,
    }
    return MaxSettings.model_validate(values)


def alert_card(complaint: int = 7, html: str | None = None) -> Card:
    """An alert card as the core renders it: escaped HTML and three buttons, one a link."""
    keyboard = Keyboard.of(
        [
            [
                Button("В работу", payload=f"c:t:{complaint}"),
                Button("Решено", payload=f"c:r:{complaint}"),
            ],
            [Button("Комментарий в VK", url="https://vk.com/wall-1_2?reply=3")],
        ]
    )
    text = html or f"<b>Жалоба №{complaint}</b> на «Дороги»: яма у дома 5 &amp; 7"
    return Card(text, keyboard=keyboard)


@dataclass
class MaxRig:
    """The fake, Otklik's client with its pacer, and the port over them."""

    clock: Clock
    fake: FakeMax
    client: MaxClient
    pacer: MaxPacer
    port: MaxPort


@asynccontextmanager
async def max_rig(
    tmp_path: Path, *, pacer_on: bool = True, clock: Clock | None = None, **fake_options: Any
) -> AsyncIterator[MaxRig]:
    """A started fake MAX knowing Anna and Boris, and Otklik's client and port on it
    (``pacer_on=False``: the same client without its pacer, to show what it prevents).
    The clock is a :class:`ManualClock` unless one is given."""
    clock = clock if clock is not None else ManualClock(START)
    fake = FakeMax(clock, **fake_options)
    await fake.start()
    fake.add_user(ANNA, "Анна", "Петрова", "anna_p")
    fake.add_user(BORIS, "Борис")
    pacer = MaxPacer(clock, api_base=fake.base_url)
    client = open_client(
        max_settings(fake),
        middlewares=[pacer] if pacer_on else [],
        after_upload_retry_delay_s=0.01,
    )
    port = MaxPort(client.bot, clock, pacer=pacer if pacer_on else None, tmp_dir=tmp_path)
    try:
        yield MaxRig(clock, fake, client, pacer, port)
    finally:
        await client.close()
        await fake.stop()
