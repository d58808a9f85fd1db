"""Support for the operations tests (issue 7): a bot harness that reports to a Metrics object,
a real SQLite write lock held by another connection, and an HTTP client for the metrics
server."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Dispatcher
from sqlalchemy import select

from bot.app import build_dispatcher
from bot.metrics import Health, HealthThresholds, Metrics, MetricsServer, page_agencies
from bot.outbox import OutboxSender
from config.settings import Settings
from sandbox.fake_telegram import TelegramLimits
from storage.db import make_engine, make_session_factory
from storage.models import Notification
from tests.bot_harness import Harness


class ObservedHarness(Harness):
    """The issue-5 harness with metrics wired like the app does, and an optional short
    SQLite busy timeout (so "locked past the timeout" takes a fraction of a second)."""

    def __init__(
        self,
        db_url: str,
        *,
        limits: TelegramLimits | None = None,
        busy_timeout_s: float | None = None,
    ) -> None:
        super().__init__(db_url, limits=limits)
        self.metrics = Metrics(self.clock, page_agencies=page_agencies(self.registry.pages))
        self.busy_timeout_s = busy_timeout_s

    def make_dispatcher(self) -> Dispatcher:
        return build_dispatcher(
            self.sessions,
            self.clock,
            self.registry,
            Settings(_env_file=None),
            metrics=self.metrics,
        )

    async def __aenter__(self) -> ObservedHarness:
        await super().__aenter__()
        if self.busy_timeout_s is not None:
            await self.engine.dispose()
            self.engine = make_engine(self.db_url, busy_timeout_s=self.busy_timeout_s)
            self.sessions = make_session_factory(self.engine)
        self.sender = OutboxSender(
            self.bot, self.sessions, self.clock, self.sender.pacer, metrics=self.metrics
        )
        self.dp = self.make_dispatcher()
        return self

    def health(self, **thresholds: float) -> Health:
        return Health(self.metrics, self.engine, HealthThresholds(**thresholds))

    async def row_statuses(self) -> list[str]:
        async with self.sessions() as s:
            return list((await s.execute(select(Notification.status))).scalars())


def sqlite_path(db_url: str) -> Path:
    return Path(db_url.split("///", 1)[1])


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[threading.Event]:
    """Another connection holds SQLite's write lock (``BEGIN IMMEDIATE``) until the yielded
    event is set or the block ends — what a backup, a migration or a second process does."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("BEGIN IMMEDIATE")
            taken.set()
            release.wait(30)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(5), "could not take the write lock"
    try:
        yield release
    finally:
        release.set()
        thread.join(5)


def release_after(release: threading.Event, seconds: float) -> asyncio.TimerHandle:
    return asyncio.get_running_loop().call_later(seconds, release.set)


@contextlib.asynccontextmanager
async def serving(metrics: Metrics, health: Health) -> AsyncIterator[str]:
    """A real metrics server on a free port; yields its base URL."""
    server = MetricsServer(metrics, health)
    port = await server.start("127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.stop()


async def get(url: str) -> tuple[int, str, Any]:
    """GET ``url``: status, text, and JSON when it is JSON."""
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        body = await resp.text()
        data = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, body, data


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in exposition.splitlines():
        if line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)", line)
        if m is None or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(m.group(4))
    return 0.0


class FlakyLeader:
    """A polling lock that leads at the first check; then (the database restarted) another
    process holds it."""

    def __init__(self) -> None:
        self.checks = 0

    async def ensure(self) -> bool:
        self.checks += 1
        return self.checks == 1

    async def release(self) -> None:
        return None
