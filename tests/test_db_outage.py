"""The database goes away while the real app runs (issue 7 §4): PostgreSQL stops accepting
connections and drops the app's (``ALLOW_CONNECTIONS false`` plus ``pg_terminate_backend``),
or SQLite is write-locked by another connection for far longer than the busy timeout.

Meanwhile a complaint arrives on VK, a moderator sends a command, and later the database goes
away again in the instant between an alert reaching Telegram and the sender recording it.
Every loop (collector, outbox, scheduler, heartbeat, bot updates) must survive, the metrics
and ``/healthz`` must say what is going on, and once the database is back every complaint
reaches its official exactly once without anyone restarting anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot import app as bot_app
from bot.app import OtklikApp
from bot.core import texts
from bot.jobs import build_scheduler
from bot.metrics import Health, HealthThresholds
from bot.scheduler import JobDeps
from config.settings import Settings, TelegramSettings
from sandbox.fake_telegram import TgCall
from sandbox.runner import Sandbox
from storage.db import make_engine
from storage.models import Complaint, Notification
from tests.app_support import app_started, comment
from tests.ops_support import FlakyLeader, ObservedHarness, sample, sqlite_path, write_lock
from tests.waiting import until

pytestmark = pytest.mark.e2e

SPEED = 60.0
FIRST = "Z1: Когда уберут мусор во дворе дома 5 на ул. Мира? Неделю стоит."
SECOND = "Z2: Третий день нет горячей воды в доме 12, куда звонить?"


class Outage:
    """Takes the test's database away from everyone, and gives it back."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.pg = db_url.startswith("postgresql")
        self._lock = contextlib.ExitStack()
        self.active = False

    async def begin(self) -> None:
        if self.pg:
            name = self.db_url.rsplit("/", 1)[1]
            admin = await asyncpg.connect(os.environ["OTKLIK_TEST_PG"])
            try:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                )
            finally:
                await admin.close()
        else:
            # Another writer (a backup, a migration, a second process) holds the write lock.
            # Taken in a thread: it may have to wait for the app's own short transaction.
            await asyncio.to_thread(self._lock.enter_context, write_lock(sqlite_path(self.db_url)))
        self.active = True

    async def end(self) -> None:
        if not self.active:
            return
        if self.pg:
            name = self.db_url.rsplit("/", 1)[1]
            admin = await asyncpg.connect(os.environ["OTKLIK_TEST_PG"])
            try:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            finally:
                await admin.close()
        else:
            await asyncio.to_thread(self._lock.close)
        self.active = False


def sends_to(sb: Sandbox, chat_id: int, marker: str) -> list[TgCall]:
    return [
        c
        for c in sb.tg.sent(chat_id)
        if c.method == "sendMessage" and marker in (c.text or "") and c.status == 200
    ]


def replies(sb: Sandbox, chat_id: int) -> list[str]:
    return [c.text or "" for c in sb.tg.sent(chat_id) if c.method == "sendMessage"]


async def test_the_database_goes_away_and_back_and_every_complaint_is_alerted_once(
    make_scenario: Any, tmp_path: Path, db_url: str
) -> None:
    scenario = make_scenario(
        [
            {
                "at": "2026-11-23T08:01:30+03:00",
                "comment": comment(11, FIRST),
            },
            {
                "at": "2026-11-23T08:06:00+03:00",
                "comment": comment(12, SECOND, author=7002),
            },
        ]
    )
    outage = Outage(db_url)
    probe = make_engine(db_url, busy_timeout_s=0.2)
    done = asyncio.Event()
    hit: list[TgCall] = []
    mid_send: list[TgCall] = []  # the call, once the database is away
    try:
        async with Sandbox(
            scenario, workdir=tmp_path, speed=SPEED, db_url=db_url, busy_timeout_s=0.2
        ) as sb:

            async def away_after_the_second_alert(call: TgCall) -> None:
                # The message is out; before the sender learns so, the database goes away.
                if not hit and call.method == "sendMessage" and "Z2:" in (call.text or ""):
                    hit.append(call)
                    await outage.begin()
                    mid_send.append(call)
                    asyncio.get_running_loop().call_later(
                        1.5, lambda: asyncio.ensure_future(outage.end())
                    )

            sb.tg.before_reply = away_after_the_second_alert
            runner = asyncio.create_task(
                sb.run_app(scenario.end, stop_when=done.is_set), name="app"
            )
            app = await app_started(sb, runner)
            # The collector is at work (it has read the pages) before the database goes.
            await until(lambda: sb.vk.stats()["http_requests"] >= 2, "the first VK requests")
            await outage.begin()

            def metric(name: str, **labels: str) -> float:
                return sample(app.metrics.render().decode(), name, **labels)

            # Phase 1: away.  The complaint cannot be stored; a command is refused politely.
            sb.tg.push_message(601, "/mute 1")
            await until(lambda: texts.DB_BUSY in replies(sb, 601), "the polite refusal")
            await until(
                lambda: metric("otklik_db_errors_total", part="collector") >= 1,
                "a failed collector pass",
            )
            assert metric("otklik_db_up") == 0
            status, checks = await Health(
                app.metrics, probe, HealthThresholds(db_unhealthy_s=10**6)
            ).report()
            assert status == "degraded" and checks["db"].status == "degraded"
            assert "collector" in checks["db"].detail["errors"]
            assert sends_to(sb, 501, "Z1:") == []
            await outage.end()

            # Back: the complaint is stored and alerted, and the command works again.
            await until(lambda: len(sends_to(sb, 501, "Z1:")) == 1, "the first alert")
            sb.tg.push_message(601, "/mute 1")
            await until(lambda: any("Не беспокою" in t for t in replies(sb, 601)), "the command")
            # Phase 2: away between the second alert's delivery and its bookkeeping.
            await until(lambda: bool(mid_send), "the second alert", timeout=60)
            await until(lambda: not outage.active, "the database back")

            async def settled() -> bool:
                async with probe.connect() as conn:
                    busy = await conn.scalar(
                        select(func.count())
                        .select_from(Notification)
                        .where(Notification.status.in_(["pending", "sending"]))
                    )
                return busy == 0

            await until(settled, "the outbox to settle")
            await until(lambda: not app.metrics.parts["outbox"].failing, "the outbox healthy")

            async def database_up_again() -> bool:
                # A health probe refreshes the probe's own verdict from the outage; then every
                # part that met the outage (the collector too) must have passed since.
                await Health(app.metrics, probe).report()
                return metric("otklik_db_up") == 1

            await until(database_up_again, "every part to see the database")
            status, checks = await Health(app.metrics, probe).report()
            up = metric("otklik_db_up")
            outbox_db_errors = metric("otklik_db_errors_total", part="outbox")
            scheduler = app.metrics.parts.get("scheduler")
            done.set()
            await runner
            async with probe.connect() as conn:
                complaints = await conn.scalar(select(func.count()).select_from(Complaint))
                rows = (
                    await conn.execute(
                        select(Notification.status).where(Notification.chat_id == 501)
                    )
                ).all()
    finally:
        await outage.end()
        await probe.dispose()
    assert complaints == 2
    assert len(sends_to(sb, 501, "Z1:")) == 1
    assert len(sends_to(sb, 501, "Z2:")) == 1
    assert [r.status for r in rows] == ["sent", "sent"]  # the outcome held in memory was kept
    assert outbox_db_errors >= 1
    assert up == 1 and status == "ok" and checks["db"].status == "ok", checks
    assert scheduler is None or not scheduler.failing
    # Nobody was told an alert might be lost: none was.
    assert not [t for t in replies(sb, 601) if "прервано сбоем" in t]


async def test_a_digest_due_while_the_database_is_away_goes_out_once_it_is_back(
    db_url: str,
) -> None:
    """09:00 comes while the database is away: the job is retried within seconds, not
    tomorrow, and sends the day's digest once."""
    async with ObservedHarness(db_url, busy_timeout_s=0.1) as h:
        deps = JobDeps(h.sessions, h.clock, h.registry, metrics=h.metrics)
        sched = build_scheduler(deps, now=h.clock.now())  # 10:00 Moscow: today's is due
        outage = Outage(db_url)
        await outage.begin()
        try:
            assert "digest:Europe/Moscow" in await sched.run_due(h.clock.now())
            assert h.metrics.parts["scheduler"].failing
        finally:
            await outage.end()
        for _ in range(5):  # the first tries after the outage may meet a dropped connection
            h.clock.advance(60)
            await sched.run_due(h.clock.now())
            if not h.metrics.parts["scheduler"].failing:
                break
        h.clock.advance(3600)
        await sched.run_due(h.clock.now())
        async with h.sessions() as s:
            digests = (
                await s.execute(
                    select(Notification.dedupe_key).where(
                        Notification.chat_id == 701, Notification.kind == "digest"
                    )
                )
            ).all()
    assert len(digests) == 1
    assert not h.metrics.parts["scheduler"].failing
    assert sched.jobs["digest:Europe/Moscow"].next_run == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


async def test_polling_stops_when_another_process_took_the_lock_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot_app, "LEADER_CHECK_S", 0.05)
    async with ObservedHarness(f"sqlite+aiosqlite:///{tmp_path / 'poll.db'}") as h:
        settings = Settings(_env_file=None, telegram=TelegramSettings(polling_timeout_s=1))
        app = OtklikApp(settings, h.registry, h.clock, metrics=h.metrics)
        leader = FlakyLeader()
        stop = asyncio.Event()
        polling = asyncio.create_task(app._poll_telegram(h.dp, h.bot, leader, stop))

        def polls() -> int:
            return sum(1 for c in h.fake.calls if c.method == "getUpdates")

        await until(lambda: polls() >= 1, "polling")
        await until(lambda: leader.checks >= 3, "the stand-by's checks")
        stood_by = polls()
        await until(lambda: leader.checks >= 6, "more checks")
        assert polls() == stood_by  # no second consumer of getUpdates
        assert not polling.done()  # standing by, ready to lead again
        stop.set()
        await asyncio.wait_for(polling, 5)


async def test_a_collection_that_dies_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database goes away while the collection loads its pages (or takes over another
    collector's): it is started afresh, not left dead while the process runs on."""
    runs: list[int] = []
    stop = asyncio.Event()

    class DyingOnce:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            return None

        async def run(self, stop_: asyncio.Event) -> None:
            runs.append(len(runs))
            if len(runs) == 1:
                raise OperationalError("SELECT", {}, ConnectionRefusedError(111, "refused"))
            stop.set()

    monkeypatch.setattr(bot_app, "CollectionService", DyingOnce)
    async with ObservedHarness(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}") as h:
        app = OtklikApp(Settings(_env_file=None), h.registry, h.clock, metrics=h.metrics)
        await asyncio.wait_for(app._collect(h.sessions, [], lambda: None, stop), 10)
    assert runs == [0, 1]
    assert sample(h.metrics.render().decode(), "otklik_part_errors_total", part="collector") == 1
