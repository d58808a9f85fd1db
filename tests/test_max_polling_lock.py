"""MAX long polling has one consumer at a time.  Two processes that both polled ``GET /updates``
would each handle every update: every command answered twice, every press applied twice.  As
with Telegram's ``getUpdates``, a process polls MAX only while it holds a lock (a PostgreSQL
advisory lock; SQLite is one process), and a stand-by takes over when the holder stops — from
the marker the holder stored, so an update the holder fetched but never confirmed comes again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from bot import app as bot_app
from bot.app import OtklikApp
from bot.core.handling import Conversation
from bot.core.inbound import InboundEvent, TextMessage
from bot.max.client import open_client
from bot.max.pacer import MaxPacer
from bot.max.port import MaxPort
from bot.max.runtime import MaxRuntime
from config.settings import Settings
from storage.db import make_engine, make_session_factory
from storage.leases import Leadership
from storage.migrate import upgrade
from tests.answer_support import region_registry
from tests.max_support import ANNA, MaxRig, max_rig, max_settings
from tests.ops_support import FlakyLeader
from tests.waiting import until


class Recorder:
    """What the neutral dispatcher will be: records which process handled which message."""

    def __init__(self, name: str, handled: list[tuple[str, str]]) -> None:
        self.name = name
        self.handled = handled

    async def handle(self, event: InboundEvent, convo: Conversation) -> None:
        if isinstance(event, TextMessage):
            self.handled.append((self.name, event.text))


@asynccontextmanager
async def max_process(rig: MaxRig, tmp_path: Path) -> AsyncIterator[tuple[OtklikApp, MaxRuntime]]:
    """One Otklik process's MAX side: its own client, pacer and port on the shared fake."""
    settings = max_settings(rig.fake, polling_timeout_s=1)
    pacer = MaxPacer(rig.clock, api_base=rig.fake.base_url)
    client = open_client(settings, middlewares=[pacer])
    port = MaxPort(client.bot, rig.clock, pacer=pacer, tmp_dir=tmp_path)
    app = OtklikApp(Settings(_env_file=None), region_registry(), rig.clock)
    try:
        yield app, MaxRuntime(settings, rig.clock, client, pacer, port, app.metrics)
    finally:
        await client.close()


def polls(rig: MaxRig) -> int:
    return sum(1 for c in rig.fake.calls if c.method == "GET /updates")


async def test_a_process_that_lost_the_lock_stops_polling_max_and_stands_by(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot_app, "LEADER_CHECK_S", 0.05)
    async with max_rig(tmp_path) as rig, max_process(rig, tmp_path) as (app, runtime):
        leader = FlakyLeader()
        stop = asyncio.Event()
        handled: list[tuple[str, str]] = []
        receiving = asyncio.create_task(
            app._receive_max(runtime, Recorder("a", handled), stop, leader)  # type: ignore[arg-type]
        )
        await until(lambda: polls(rig) >= 1, "polling")
        await until(lambda: leader.checks >= 3, "the stand-by's checks")
        stood_by = polls(rig)
        await until(lambda: leader.checks >= 6, "more checks")
        assert polls(rig) == stood_by  # no second consumer of GET /updates
        assert app.metrics.max_state == "standby"
        assert not receiving.done()  # standing by, ready to lead again
        stop.set()
        await asyncio.wait_for(receiving, 10)


async def test_every_max_update_is_handled_once_and_a_stand_by_takes_over(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the polling lock is PostgreSQL's; on SQLite Otklik is one process")
    monkeypatch.setattr(bot_app, "LEADER_CHECK_S", 0.05)
    handled: list[tuple[str, str]] = []
    async with AsyncExitStack() as stack:
        rig = await stack.enter_async_context(max_rig(tmp_path))
        stops = {name: asyncio.Event() for name in "ab"}
        tasks: dict[str, asyncio.Task[None]] = {}
        for name in "ab":
            app, runtime = await stack.enter_async_context(max_process(rig, tmp_path / name))
            engine = make_engine(db_url)
            stack.push_async_callback(engine.dispose)
            if name == "a":
                await upgrade(engine)
            # the poll's marker is shared through the database, as in `otklik run`
            await runtime.remember_dialogs(make_session_factory(engine))
            leader = Leadership(engine, "max-polling")
            tasks[name] = asyncio.create_task(
                app._receive_max(runtime, Recorder(name, handled), stops[name], leader)  # type: ignore[arg-type]
            )
        for i in range(5):
            rig.fake.push_message(ANNA, f"первое {i}")
        await rig.fake.wait_handled(rig.fake.last_update_seq, timeout=30)
        first = {who for who, _ in handled}
        assert len(first) == 1, handled  # one process polled
        (holder,) = first
        standby = "b" if holder == "a" else "a"

        stops[holder].set()  # the holder stops; the stand-by takes the lock and polls
        await asyncio.wait_for(tasks[holder], 10)
        for i in range(5):
            rig.fake.push_message(ANNA, f"второе {i}")
        await rig.fake.wait_handled(rig.fake.last_update_seq, timeout=30)  # all confirmed
        assert sorted(text for _, text in handled) == sorted(
            [f"первое {i}" for i in range(5)] + [f"второе {i}" for i in range(5)]
        )
        assert {who for who, text in handled if text.startswith("второе")} == {standby}
        stops[standby].set()
        await asyncio.wait_for(tasks[standby], 10)
