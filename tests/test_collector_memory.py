"""Issue 11: an idle install of 6,000 pages must fit in 300 MB.

With two weeks of posts (30 a page, 180,000 watched posts) it took 327 MB: the collector kept
~610 bytes a post (an object with its numbers, a queue entry, a dict slot), and a restart
read every stored post into memory at once before handing it to the collector.  These tests
measure what the collector itself allocates (``tracemalloc``, lines of
``collectors/collector.py``) per watched post, on the two ways a region's posts arrive: a
first look at the pages over the fake VK, and a restart that reads them from a SQLite file.
``bench/idle.py`` measures the whole process.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from bot.collecting import CollectionService
from collectors.collector import Collector, CollectorConfig
from collectors.vk_client import VkClient
from config.clock import ManualClock
from config.registry import Registry, parse_registry
from config.settings import VKSettings
from matcher.classifier import Classification
from matcher.quality import AnswerRating
from matcher.topics import Topic
from sandbox.fake_vk import FakeVK
from storage.db import make_engine, make_session_factory
from storage.ingest import Ingestor
from storage.migrate import upgrade
from storage.models import Comment, Post
from storage.registry_sync import sync_registry

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POSTS_PER_PAGE = 30
#: What a watched post may cost the collector, all its state and queues included (it took
#: ~550 bytes, now ~180; 180,000 posts at this bound are 45 MB).
BYTES_PER_POST = 250
COLLECTOR_PY = "*/collectors/collector.py"


@pytest.fixture
def traced() -> Iterator[None]:
    gc.collect()
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def collector_bytes() -> int:
    """Memory still held that lines of ``collectors/collector.py`` allocated."""
    gc.collect()
    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, COLLECTOR_PY)])
    return sum(stat.size for stat in snapshot.statistics("filename"))


def region(pages: int) -> list[int]:
    return [300_000 + i for i in range(pages)]


def post_date(page: int, j: int) -> datetime:
    """Two weeks of posts, none at the end of the watch window."""
    return T0 - timedelta(hours=1 + (page * 7 + j * 23) % (13 * 24))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeVK]:
    f = FakeVK(clock)
    await f.start()
    f.add_token("svc", "service")
    yield f
    await f.stop()


@pytest.mark.timeout(600)  # a hang detector: tracemalloc on a busy machine takes minutes
async def test_a_first_look_at_a_big_region_keeps_little_per_post(
    fake: FakeVK, clock: ManualClock, traced: None
) -> None:
    """300 pages, two weeks of posts each, looked at for the first time and stored (the sink
    confirms), then a scoring pass and their first checks: the state of every watched post,
    its queue entries included, stays under ``BYTES_PER_POST``."""
    gids = region(300)
    for i, gid in enumerate(gids):
        fake.add_group(gid, f"Страница {gid}", f"page{gid}")
        for j in range(POSTS_PER_PAGE):
            fake.add_post(gid, at=post_date(i, j), text=f"Новости района №{j}")
    collector = Collector(clock, CollectorConfig())
    for gid in gids:
        collector.add_page(gid)
    client = VkClient("svc", clock=clock, api_base=fake.base_url, timeout=5)
    end = clock.monotonic() + 900  # the first look, a scoring pass, the first cold checks
    try:
        while clock.monotonic() < end:
            batch = await collector.step(client, [client])
            if batch is None:
                await clock.sleep(1.0)
            else:
                collector.confirm(batch)  # stored
    finally:
        client.close()
    assert collector.all_bootstrapped()
    assert collector.watched_posts() == len(gids) * POSTS_PER_PAGE
    assert collector.hot_posts > 0  # scored: hot and cold tiers are set
    per_post = collector_bytes() / collector.watched_posts()
    assert per_post <= BYTES_PER_POST, f"{per_post:.0f} bytes a watched post"


def _registry(gids: list[int]) -> Registry:
    return parse_registry(
        {
            "agencies": [{"id": "city", "name": "Администрация", "tz": "Europe/Moscow"}],
            "pages": [
                {"group_id": g, "name": f"P{g}", "screen_name": f"p{g}", "agency": "city"}
                for g in gids
            ],
            "people": [],
            "rules": [],
        },
        source="test",
    )


def _chatter(_text: str) -> Classification:
    return Classification(False, 0.1, Topic.OTHER, 0.5, ("test",))


def _rate(_q: str, _a: str) -> AnswerRating:
    return AnswerRating(False, 80, ())


async def test_a_restart_reads_a_big_region_without_a_peak(tmp_path: Path) -> None:
    """2,000 pages with 60,000 stored posts, loaded by a restarting collector: every post is
    watched again, and neither the state kept nor the peak while loading (rows as they are
    read, then the collector's state) exceeds ``BYTES_PER_POST`` a post.  Before, the rows
    of every post were held at once: ~560 bytes a post kept, ~860 at the peak."""
    clock = ManualClock(T0)
    gids = region(2000)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'otklik.db'}")
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        registry = _registry(gids)
        async with sessions() as s, s.begin():
            await sync_registry(s, registry)
            rows = [
                {
                    "owner_id": -gid,
                    "post_id": 1000 + j,
                    "created_at": post_date(i, j),
                    "text": f"Новости района №{j}",
                    "comments_count": j % 3,
                }
                for i, gid in enumerate(gids)
                for j in range(POSTS_PER_PAGE)
            ]
            await s.execute(insert(Post), rows)
            del rows
        service = CollectionService(
            VKSettings(), registry, clock, sessions, Ingestor(registry, clock, _chatter, _rate),
            [], lambda: None,
        )  # fmt: skip
        async with sessions() as s:
            await s.get(Post, 1)  # the pool's connection, opened outside the measurement
        gc.collect()
        tracemalloc.start()
        try:
            base, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            await service.load()
            _, peak = tracemalloc.get_traced_memory()
            kept = collector_bytes()
        finally:
            tracemalloc.stop()
        posts = service.collector.watched_posts()
        assert posts == len(gids) * POSTS_PER_PAGE
        assert service.collector.all_bootstrapped()
        kept_per_post, peak_per_post = kept / posts, (peak - base) / posts
        assert max(kept_per_post, peak_per_post) <= BYTES_PER_POST, (
            f"{kept_per_post:.0f} bytes a post kept, {peak_per_post:.0f} at the peak"
        )
        # as they were stored: the comment counts a restart compares new counts with
        assert [p.count for p in service.collector.pages[gids[7]].posts.values()][:4] == [
            0, 1, 2, 0,
        ]  # fmt: skip
    finally:
        await engine.dispose()


async def test_a_restart_watches_what_was_watched(tmp_path: Path) -> None:
    """The posts read back as a stream (page by page) are watched as before the restart: a
    post residents commented on yesterday stays watched past the 14-day window, even one
    older than every window (100 days); a silent 20-day-old post is dormant; a post whose
    page left the registry, and pages with no posts, change nothing."""
    clock = ManualClock(T0)
    gids = region(3)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'otklik.db'}")
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        registry = _registry(gids)
        a, b, c = gids
        days = timedelta(days=1)
        posts = {
            (a, 10): T0 - 20 * days,  # commented yesterday: kept
            (a, 11): T0 - 20 * days,  # silent: dormant
            (a, 12): T0 - 2 * days,  # within the window
            (b, 20): T0 - 100 * days,  # older than every window, commented yesterday: kept
            (b, 21): T0 - 100 * days,  # silent, too old: not watched
            (300_999, 5): T0 - days,  # a page no longer in the registry
        }  # (page c has none)
        async with sessions() as s, s.begin():
            await sync_registry(s, registry)
            post_rows = [
                {"owner_id": -g, "post_id": p, "created_at": at, "comments_count": 1}
                for (g, p), at in posts.items()
            ]
            await s.execute(insert(Post), post_rows)
            comment_rows = [
                {
                    "owner_id": -g, "post_id": p, "comment_id": p * 10, "from_id": 7,
                    "text": "Когда?", "created_at": T0 - days, "stored_at": T0 - days,
                }
                for g, p in ((a, 10), (b, 20))
            ]  # fmt: skip
            await s.execute(insert(Comment), comment_rows)
        service = CollectionService(
            VKSettings(), registry, clock, sessions, Ingestor(registry, clock, _chatter, _rate),
            [], lambda: None,
        )  # fmt: skip
        await service.load()
        collector = service.collector
        assert collector.all_bootstrapped() is False  # page c has its first look to come
        assert sorted(collector.pages[a].posts) == [10, 12]
        assert sorted(collector.pages[a].dormant) == [11]
        assert sorted(collector.pages[b].posts) == [20]
        assert not collector.pages[b].dormant and not collector.pages[c].posts
        cov = {x.group_id: x for x in collector.coverage()}
        assert (cov[a].kept_posts, cov[b].kept_posts) == (1, 1)
        assert 300_999 not in collector.pages
    finally:
        await engine.dispose()
