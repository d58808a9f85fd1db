"""Issue 11: while the collector stores the first look at a big region, the rest of the app
can still write to the SQLite file.

SQLite has one writer at a time and queues nobody: a connection that finds the write lock
taken polls it until its busy timeout.  The collector's workers store their batches back to
back while they have a backlog (the first look at 6,000 pages takes minutes), a few
milliseconds apart, so the heartbeat failed with "database is locked" and /healthz said
degraded during start-up.  Here three workers store first-look batches the way the app's do
(through :meth:`CollectionService.sink`), and the app's heartbeat beats all along.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.collecting import CollectionService
from collectors.events import Batch, PostEvent
from config.clock import ManualClock
from config.registry import parse_registry
from config.settings import VKSettings
from matcher.classifier import Classification
from matcher.quality import AnswerRating
from matcher.topics import Topic
from storage.db import make_engine, make_session_factory
from storage.ingest import Ingestor
from storage.leases import Workers
from storage.migrate import upgrade
from storage.registry_sync import sync_registry

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PAGES = [300_000 + i for i in range(960)]
PAGES_PER_BATCH = 24  # one execute: 24 first-look wall.get calls of 30 posts
# Shorter than the app's 10 s, so that a starved writer shows in seconds; the collector's
# pauses (every 2 s of writing) leave it several chances.
BUSY_TIMEOUT_S = 6.0


def _chatter(_text: str) -> Classification:
    return Classification(False, 0.1, Topic.OTHER, 0.5, ("test",))


def _rate(_q: str, _a: str) -> AnswerRating:
    return AnswerRating(False, 80, ())


def first_look(gids: list[int]) -> Batch:
    batch = Batch()
    for gid in gids:
        for j in range(30):
            at = T0 - timedelta(hours=1 + j * 11)
            batch.posts.append(PostEvent(-gid, 1000 + j, at, f"Новости района №{j}", 0))
    return batch


async def test_the_heartbeat_is_written_while_the_first_look_is_stored(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'otklik.db'}"
    engine = make_engine(url, busy_timeout_s=BUSY_TIMEOUT_S)
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        registry = parse_registry(
            {
                "agencies": [{"id": "city", "name": "Администрация", "tz": "Europe/Moscow"}],
                "pages": [
                    {"group_id": g, "name": f"P{g}", "screen_name": f"p{g}", "agency": "city"}
                    for g in PAGES
                ],
                "people": [],
                "rules": [],
            },
            source="test",
        )
        async with sessions() as s, s.begin():
            await sync_registry(s, registry)
        clock = ManualClock(T0)
        service = CollectionService(
            VKSettings(), registry, clock, sessions, Ingestor(registry, clock, _chatter, _rate),
            [], lambda: None,
        )  # fmt: skip
        todo = [PAGES[i : i + PAGES_PER_BATCH] for i in range(0, len(PAGES), PAGES_PER_BATCH)]

        async def worker() -> None:
            """Answers are at hand: store one batch after the other, as a worker does."""
            while todo:
                batch = first_look(todo.pop(0))
                await asyncio.sleep(0)  # (the next answer is handled meanwhile)
                await service.sink(batch)

        workers = Workers(sessions, "otklik-test", "all")
        beats: list[str] = []

        async def heartbeat() -> None:
            """The app's heartbeat, every ~half second while the batches are stored."""
            while todo:
                await asyncio.sleep(0.5)
                try:
                    await workers.heartbeat()
                except Exception as exc:  # what bot.app._beat reports as degraded
                    beats.append(f"failed: {type(exc).__name__}: {exc}")
                else:
                    beats.append("ok")

        await asyncio.gather(worker(), worker(), worker(), heartbeat())
        assert service.batches == len(PAGES) // PAGES_PER_BATCH
        assert len(beats) >= 3, beats  # the storing took long enough to need a pause
        assert all(b == "ok" for b in beats), beats
    finally:
        await engine.dispose()
