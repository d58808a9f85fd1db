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

from sandbox.fake_vk import FakeVK
from storage.db import make_engine, make_session_factory
from storage.leases import PageLeases, Workers
from storage.migrate import upgrade
from storage.models import Comment, Complaint, PageLease, Post, Worker
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

        async def three_owners() -> bool:
            return await count(select(func.count(func.distinct(PageLease.owner)))) == 3

        await _wait(three_owners, 30, "three collectors holding leases")
        await _wait(all_pages_seen, 30, "every page bootstrapped")
        async with sessions() as s:
            owners = dict((await s.execute(select(PageLease.group_id, PageLease.owner))).all())
        share = {o: sum(1 for v in owners.values() if v == o) for o in set(owners.values())}
        assert sorted(share.values()) == [8, 8, 8], share

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
        await b.workers.heartbeat()
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
