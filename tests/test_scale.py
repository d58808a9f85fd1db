"""Scale-out (issue 7): three collector processes share the pages of one PostgreSQL through
leases; one is killed with SIGKILL mid-scenario, the others take its pages over, and every
comment is still stored exactly once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.collecting import CollectionService
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
from storage.leases import PageLeases, Workers
from storage.migrate import upgrade
from storage.models import Comment, Complaint, Page, PageLease, Post, Worker
from storage.registry_sync import sync_registry
from tests.proc_support import AppProcess, World, pg_url, write_registry

pytestmark = pytest.mark.e2e

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PAGES = [3001 + i for i in range(24)]
SPEED = 20.0
TEXTS = (
    "Когда отремонтируют дорогу на ул. Ленина? Ямы по колено.",
    "Третий день нет горячей воды в доме 5, куда звонить?",
    "Почему не вывозят мусор у дома 12 по ул. Мира?",
    "Спасибо за информацию!",
)


async def _wait(cond: object, timeout: float, what: str, step: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await cond():  # type: ignore[operator]
            return
        await asyncio.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


async def test_three_collectors_share_pages_and_survive_a_kill(
    db_url: str, tmp_path: Path
) -> None:
    if pg_url(db_url) is None:
        pytest.skip("several collector processes need PostgreSQL (SQLite runs one process)")
    world = World(START, SPEED)
    clock = world.clock()
    fake = FakeVK(clock)
    await fake.start()
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    await upgrade(engine)
    procs: list[AppProcess] = []
    try:
        posts: dict[int, list[int]] = {}
        for gid in PAGES:
            fake.add_group(gid, f"Страница {gid}", f"page{gid}")
            posts[gid] = [
                fake.add_post(gid, at=START - timedelta(hours=h), text="Новости") for h in (5, 1)
            ]
        registry = write_registry(tmp_path / "registry.yaml", PAGES, [])
        for i in range(3):
            fake.add_token(f"tok-{i}", "service")
            procs.append(
                AppProcess(
                    f"collector{i}",
                    "collector",
                    workdir=tmp_path,
                    world=world,
                    db_url=db_url,
                    registry=registry,
                    vk_base=fake.base_url,
                    vk_tokens=[f"tok-{i}"],
                )
            )
        for p in procs:
            p.start()

        async def count(stmt: object) -> int:
            async with sessions() as s:
                return int((await s.execute(stmt)).scalar_one())  # type: ignore[call-overload]

        async def all_pages_seen() -> bool:
            assert all(p.alive for p in procs), "\n".join(p.tail() for p in procs)
            return await count(select(func.count(func.distinct(Post.owner_id)))) == len(PAGES)

        owners: dict[int, str | None] = {}

        async def split_evenly() -> bool:
            """Every page leased, 8 each: the split the three settle on."""
            assert all(p.alive for p in procs), "\n".join(p.tail() for p in procs)
            async with sessions() as s:
                rows = await s.execute(select(PageLease.group_id, PageLease.owner))
                owners.clear()
                owners.update(dict(rows.all()))
            share = {o: sum(1 for v in owners.values() if v == o) for o in set(owners.values())}
            return sorted(share.values()) == [8, 8, 8] and None not in share

        # Generous: three processes start at once on a machine that may be busy.
        await _wait(split_evenly, 120, "three collectors holding 8 pages each")
        await _wait(all_pages_seen, 60, "every page bootstrapped")
        await _wait(split_evenly, 30, "the split to hold")

        # Comments from now on, 20 real seconds of them; the victim dies a third of the way in.
        t0 = clock.now() + timedelta(seconds=5 * SPEED)
        window_s = 20 * SPEED
        expected: set[tuple[int, int, int]] = set()
        n = 150
        for k in range(n):
            gid = PAGES[(k * 7) % len(PAGES)]
            pid = posts[gid][k % 2]
            cid = fake.add_comment(
                gid,
                pid,
                at=t0 + timedelta(seconds=window_s * k / n),
                from_id=7000 + k,
                text=TEXTS[k % len(TEXTS)],
            )
            expected.add((-gid, pid, cid))
        victim = procs[1]
        assert victim.proc is not None
        victim_pages = {g for g, o in owners.items() if o and f":{victim.proc.pid}:" in o}
        assert len(victim_pages) == 8
        await asyncio.sleep(clock.real_seconds_until(t0) + 7)
        victim.kill()
        killed_at = clock.now()
        late = {k for k in expected if k[0] in {-g for g in victim_pages}}

        async def all_stored() -> bool:
            assert all(p.alive for p in procs if p is not victim), "\n".join(
                p.tail() for p in procs
            )
            return await count(select(func.count()).select_from(Comment)) >= len(expected)

        await _wait(all_stored, clock.real_seconds_until(t0) + 20 + 25, "every comment stored")
        async with sessions() as s:
            rows = (
                await s.execute(select(Comment.owner_id, Comment.post_id, Comment.comment_id))
            ).all()
            stored_at = dict(
                (
                    await s.execute(
                        select(Comment.comment_id, Comment.stored_at).where(
                            Comment.owner_id.in_([-g for g in victim_pages])
                        )
                    )
                ).all()
            )
            complaints = int(
                (
                    await s.execute(select(func.count(func.distinct(Complaint.comment_pk))))
                ).scalar_one()
            )
            total_complaints = int(
                (await s.execute(select(func.count()).select_from(Complaint))).scalar_one()
            )
            owners_after = set(
                (await s.execute(select(PageLease.owner).where(PageLease.group_id.in_(PAGES))))
                .scalars()
                .all()
            )
        keys = [tuple(r) for r in rows]
        assert len(keys) == len(set(keys)) == len(expected), "a comment stored twice or lost"
        assert set(keys) == expected
        assert complaints == total_complaints > 0
        # The victim's pages went on being collected after it died: by the survivors.
        assert late and any(at > killed_at for at in stored_at.values())
        assert len(owners_after) == 2 and None not in owners_after
        assert not any(f":{victim.proc.pid}:" in str(o) for o in owners_after)
    finally:
        for p in procs:
            p.kill()
        await engine.dispose()
        await fake.stop()


async def test_leases_split_rebalance_and_expire(db_url: str) -> None:
    """The lease arithmetic itself, on either database, with an injected wall clock."""
    engine = make_engine(db_url)
    await upgrade(engine)
    sessions = make_session_factory(engine)
    now = [datetime(2026, 1, 1, tzinfo=UTC)]

    def wall() -> datetime:
        return now[0]

    pages = list(range(1, 11))
    a = PageLeases(Workers(sessions, "a", "collector", ttl_s=45, now=wall))
    b = PageLeases(Workers(sessions, "b", "collector", ttl_s=45, now=wall))
    try:
        await a.ensure_pages(pages)
        assert await a.renew(pages) == set(pages)  # alone: everything
        await b.announce()
        assert len(await a.renew(pages)) == 5  # two alive: gives back the excess
        assert len(await b.renew(pages)) == 5
        assert a.mine.isdisjoint(b.mine)
        now[0] += timedelta(seconds=30)
        await b.renew(pages)  # a stops renewing (dies)
        now[0] += timedelta(seconds=30)
        assert await b.renew(pages) == set(pages)  # a's leases expired: b takes them, < 60 s
        await b.ensure_pages([*pages, 11])  # a page added to the registry
        assert 11 in await b.renew([*pages, 11])
        async with sessions() as s:
            assert (await s.execute(select(func.count()).select_from(Worker))).scalar_one() == 2
            await s.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def test_hand_over_keeps_kept_pages_and_polls_gained_ones(db_url: str) -> None:
    """A second collector joins: the first gives half its pages away without starting over.

    The first keeps what it knew of the pages it keeps, so a new comment there is the only
    thing it hands to storage (a reload would re-read and re-store the page's earlier
    comments); it stops asking VK about the pages it gave away; the newcomer polls those from
    what storage knows; and every comment ends up stored."""
    clock = ManualClock(START)
    fake = FakeVK(clock)
    await fake.start()
    engine = make_engine(db_url)
    await upgrade(engine)
    sessions = make_session_factory(engine)
    wall = [datetime(2026, 1, 1, tzinfo=UTC)]
    pages = [4001, 4002, 4003, 4004]
    posts: dict[int, int] = {}
    try:
        for gid in pages:
            fake.add_group(gid, f"Страница {gid}", f"page{gid}")
            posts[gid] = fake.add_post(gid, at=START - timedelta(hours=2), text="Новости")
        registry = _registry(pages)
        async with sessions() as s, s.begin():
            await sync_registry(s, registry)
        received: dict[str, list[tuple[int, int]]] = {}  # comments handed to storage
        names: dict[int, str] = {}

        def service(name: str) -> tuple[CollectionService, PageLeases]:
            fake.add_token(name, "service")
            leases = PageLeases(
                Workers(sessions, name, "collector", ttl_s=45, now=lambda: wall[0])
            )
            vk = VKSettings(api_base=fake.base_url)
            client = VkClient(name, clock=clock, api_base=fake.base_url, timeout=5)
            ingestor = Ingestor(registry, clock, _chatter, _rate)
            svc = CollectionService(
                vk, registry, clock, sessions, ingestor, [client], lambda: None, leases=leases
            )
            received[name] = []
            names[id(svc)] = name
            return svc, leases

        async def drain(svc: CollectionService) -> None:
            """Send every request that is due now and store what comes back."""
            name = names[id(svc)]
            while (batch := await svc.collector.step(svc.clients[0], svc.clients)) is not None:
                received[name].extend((c.owner_id, c.comment_id) for c in batch.comments)
                await svc.sink(batch)

        async def stored() -> set[tuple[int, int]]:
            async with sessions() as s:
                return {
                    (o, c)
                    for o, c in await s.execute(select(Comment.owner_id, Comment.comment_id))
                }

        async def until_stored(keys: set[tuple[int, int]], *svcs: CollectionService) -> None:
            for _ in range(40):  # up to 20 virtual minutes, half a minute at a time
                if keys <= await stored():
                    return
                clock.advance(30)
                for svc in svcs:
                    await drain(svc)
            raise AssertionError(f"not stored: {keys - await stored()}")

        def comment(gid: int, who: int) -> tuple[int, int]:
            text = "Когда починят свет во дворе?"
            return -gid, fake.add_comment(gid, posts[gid], at=clock.now(), from_id=who, text=text)

        first, first_leases = service("tok-a")
        await first_leases.ensure_pages(pages)
        await first.load(await first_leases.renew(pages))
        assert first.pages == set(pages)
        await drain(first)  # bootstrap: every wall read once
        early = {comment(gid, 7001) for gid in pages}
        await until_stored(early, first)

        second, second_leases = service("tok-b")
        await second_leases.announce()
        kept = await first_leases.renew(pages)
        assert kept == {4001, 4002}  # the excess goes, highest group ids first
        known = {g: first.collector.pages[g].max_seen_id for g in (4003, 4004)}
        await first.hand_over(kept)
        async with sessions() as s:  # the next owner starts from where the first stopped
            rows = await s.execute(
                select(Page.group_id, Page.max_seen_id, Page.last_checked_at).where(
                    Page.group_id.in_(known)
                )
            )
            assert {g: (m, at is not None) for g, m, at in rows} == {
                g: (m, True) for g, m in known.items()
            }
        await second.hand_over(await second_leases.renew(pages))
        assert second.pages == {4003, 4004}
        before = len(fake.calls)
        for name in received:
            received[name].clear()

        late = {comment(gid, 7002) for gid in (4001, 4004)}
        await until_stored(late, first, second)
        have = await stored()
        for gid in pages:  # every comment on VK is stored
            assert {c for o, c in have if o == -gid} == fake.visible_comment_ids(gid)
        # The page kept: only the new comment went to storage, nothing was re-read.
        assert received["tok-a"] == [(-4001, c) for o, c in late if o == -4001]
        assert (-4004, max(c for o, c in late if o == -4004)) in received["tok-b"]
        asked = {
            tok: " ".join(str(c.params) for c in fake.calls[before:] if c.token == tok)
            for tok in ("tok-a", "tok-b")
        }
        assert "-4003" not in asked["tok-a"] and "-4004" not in asked["tok-a"]
        assert "-4004" in asked["tok-b"] and "-4001" not in asked["tok-b"]
    finally:
        await engine.dispose()
        await fake.stop()


def _registry(group_ids: list[int]) -> Registry:
    return parse_registry(
        {
            "agencies": [{"id": "city", "name": "Администрация", "tz": "Europe/Moscow"}],
            "pages": [
                {"group_id": g, "name": f"P{g}", "screen_name": f"p{g}", "agency": "city"}
                for g in group_ids
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
