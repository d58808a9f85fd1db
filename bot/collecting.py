"""The app's side of collection: VK collector and Long Poll → storage, quota and coverage.

Kept out of ``bot/app.py`` so the wiring there stays small.  Each collector request yields a
batch that is ingested in one transaction; only after the commit does the collector move its
counts forward (``confirm``), so a crash re-reads rather than loses a comment.  Quota counts,
Long Poll ``ts`` and per-page coverage are written to the database, and token problems are
queued as Telegram messages to the admins through the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from collectors.collector import Collector, CollectorConfig
from collectors.events import Batch
from collectors.longpoll import LongPollListener
from collectors.vk_client import TokenProblem, VkClient, moscow_day
from config.clock import Clock
from config.registry import Registry
from config.settings import REAL_VK_API_BASE, VKSettings
from storage.ingest import Ingestor
from storage.models import CollectorPage, KeyValue, Page, Post
from storage.outbox import enqueue

log = logging.getLogger(__name__)

PERSIST_EVERY_S = 60.0


def make_clients(vk: VKSettings, clock: Clock) -> list[VkClient]:
    """One polling client per service token, each with its own pacing and quota book."""
    api_base = None if vk.api_base == REAL_VK_API_BASE else vk.api_base
    return [
        VkClient(
            t.get_secret_value(),
            clock=clock,
            api_base=api_base,
            api_version=vk.api_version,
            rps=vk.rps_per_token,
            timeout=vk.request_timeout_s,
            quotas=vk.quotas,
            rps_margin=vk.rps_margin,
            human_pause_s=vk.captcha_pause_s,
        )
        for t in vk.service_tokens
    ]


class CollectionService:
    """Runs the polling workers and Long Poll listeners and keeps their state in the DB."""

    def __init__(
        self,
        vk: VKSettings,
        registry: Registry,
        clock: Clock,
        sessions: async_sessionmaker[AsyncSession],
        ingestor: Ingestor,
        clients: list[VkClient],
        on_stored: Callable[[], None],
    ) -> None:
        self.vk = vk
        self.registry = registry
        self.clock = clock
        self.sessions = sessions
        self.ingestor = ingestor
        self.clients = clients
        self.on_stored = on_stored
        self.collector = Collector(
            clock,
            CollectorConfig(
                watch_days=vk.watch_days,
                hot_period_s=vk.hot_period_s,
                cold_period_s=vk.cold_period_s,
                bootstrap_count=vk.posts_per_page,
            ),
        )
        api_base = None if vk.api_base == REAL_VK_API_BASE else vk.api_base
        self.lp_clients = {
            gid: VkClient(
                tok.get_secret_value(),
                clock=clock,
                api_base=api_base,
                api_version=vk.api_version,
                rps=20.0,
                timeout=vk.longpoll_wait_s + vk.request_timeout_s,
                kind="group",
                group_id=gid,
                quotas={},
                human_pause_s=vk.captcha_pause_s,
            )
            for gid, tok in vk.community_tokens.items()
        }
        self.listeners: list[LongPollListener] = []
        self._lock = asyncio.Lock()
        self.batches = 0

    def all_clients(self) -> list[VkClient]:
        return [*self.clients, *self.lp_clients.values()]

    async def load(self) -> None:
        """Restore pages, watched posts, quota counts and Long Poll ``ts`` from the database."""
        async with self.sessions() as session:
            pages = {p.group_id: p for p in (await session.execute(select(Page))).scalars()}
            for gid in (p.group_id for p in self.registry.pages):
                page = pages.get(gid)
                self.collector.add_page(
                    gid,
                    max_seen_id=page.max_seen_id if page else 0,
                    longpoll=gid in self.lp_clients,
                )
            for post in (await session.execute(select(Post))).scalars():
                self.collector.add_known_post(
                    post.owner_id,
                    post.post_id,
                    post.created_at,
                    post.comments_count,
                    reachable=post.unreachable_reason is None,
                )
            kv = {k.key: k.value for k in (await session.execute(select(KeyValue))).scalars()}
        now = self.clock.now()
        for c in self.all_clients():
            c.quota.restore(kv.get(f"vk:quota:{c.key}", {}), now)
        for gid, client in self.lp_clients.items():
            ts = kv.get(f"vk:lp:{gid}", {}).get("ts")
            self.listeners.append(
                LongPollListener(
                    client,
                    gid,
                    self.clock,
                    self.collector,
                    wait_s=self.vk.longpoll_wait_s,
                    ts=str(ts) if ts is not None else None,
                    save_ts=self._save_ts,
                )
            )

    async def sink(self, batch: Batch) -> None:
        """Store ``batch`` in one transaction, then let the collector move forward."""
        if not batch.comments and not batch.posts:
            self.collector.confirm(batch)
            return
        try:
            async with self._lock, self.sessions() as session, session.begin():
                result = await self.ingestor.ingest(session, batch)
        except Exception:
            self.collector.forget(batch)
            raise
        self.collector.confirm(batch)
        self.batches += 1
        if result.notifications or result.answered:
            self.on_stored()

    async def _save_ts(self, group_id: int, ts: str) -> None:
        await self._put({f"vk:lp:{group_id}": {"ts": ts}})

    async def _put(self, values: dict[str, dict[str, Any]]) -> None:
        async with self._lock, self.sessions() as session, session.begin():
            for key, value in values.items():
                row = await session.get(KeyValue, key)
                if row is None:
                    session.add(KeyValue(key=key, value=value))
                else:
                    row.value = value

    async def persist(self) -> None:
        """Quota counts, coverage, unreachable reasons and admin alerts about tokens."""
        now = self.clock.now()
        await self._put({f"vk:quota:{c.key}": c.quota.snapshot() for c in self.all_clients()})
        problems: list[TokenProblem] = []
        for c in self.all_clients():
            problems.extend(c.problems)
            c.problems.clear()
        coverage = self.collector.coverage()
        unreachable = self.collector.unreachable_posts()
        async with self._lock, self.sessions() as session, session.begin():
            for cov in coverage:
                await session.execute(
                    update(Page)
                    .where(Page.group_id == cov.group_id)
                    .values(
                        last_checked_at=cov.last_checked_at,
                        unreachable_reason=cov.unreachable_reason,
                        max_seen_id=cov.max_seen_id,
                    )
                )
                row = await session.get(CollectorPage, cov.group_id)
                if row is None:
                    row = CollectorPage(group_id=cov.group_id, updated_at=now)
                    session.add(row)
                row.lag_s = cov.lag_s
                row.watched_posts = cov.watched_posts
                row.unreachable_posts = cov.unreachable_posts
                row.wall_get_calls = cov.wall_get_calls
                row.api_calls = cov.api_calls
                row.longpoll = cov.longpoll
                row.updated_at = now
            for (owner_id, post_id), reason in unreachable.items():
                await session.execute(
                    update(Post)
                    .where(Post.owner_id == owner_id, Post.post_id == post_id)
                    .values(unreachable_reason=reason[:255])
                )
            for problem in problems:
                self._notify_admins(session, problem, now)

    def _notify_admins(self, session: AsyncSession, problem: TokenProblem, now: datetime) -> None:
        what = "отключён" if problem.fatal else "приостановлен (нужна капча/проверка)"
        text = (
            f"VK-токен {problem.token_hint} {what}: [{problem.code}] {problem.message}. "
            "Сбор продолжается на остальных токенах."
        )
        for person in self.registry.people:
            if str(person.role) != "admin":
                continue
            enqueue(
                session,
                key=f"vk-token:{problem.token_key}:{problem.code}:{moscow_day(now)}",
                chat_id=person.telegram_id,
                kind="admin",
                now=now,
                payload={"text": text},
            )

    async def run(self, stop: asyncio.Event) -> None:
        if not self.clients and not self.lp_clients:
            log.warning("no VK tokens configured: the collector is idle")
            return
        await self.load()
        tasks = [
            asyncio.create_task(self.collector.run_worker(c, self.clients, self.sink, stop))
            for c in self.clients
        ]
        tasks += [asyncio.create_task(lp.run(self.sink, stop)) for lp in self.listeners]
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), PERSIST_EVERY_S / self.clock.speed)
                try:
                    await self.persist()
                except Exception:
                    log.exception("could not persist collector state")
        finally:
            await asyncio.wait(tasks, timeout=5)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.persist()
            for c in self.lp_clients.values():
                c.close()


async def coverage_report(sessions: async_sessionmaker[AsyncSession], now: datetime) -> str:
    """Plain-text coverage: per page the last full check, lag, quota spent and why unreachable.

    Pages never checked or unreachable come first, then the most lagging, because those are
    what an admin must act on.
    """
    async with sessions() as session:
        pages = list((await session.execute(select(Page))).scalars())
        cov = {c.group_id: c for c in (await session.execute(select(CollectorPage))).scalars()}
        bad_posts = (
            await session.execute(
                select(Post.owner_id, Post.post_id, Post.unreachable_reason).where(
                    Post.unreachable_reason.is_not(None)
                )
            )
        ).all()
        quotas = [
            kv
            for kv in (await session.execute(select(KeyValue))).scalars()
            if kv.key.startswith("vk:quota:")
        ]

    def order(p: Page) -> tuple[int, float]:
        c = cov.get(p.group_id)
        lag = c.lag_s if c is not None and c.lag_s is not None else float("inf")
        return (0 if p.unreachable_reason or p.last_checked_at is None else 1, -lag)

    lines = [f"VK coverage at {now.isoformat(timespec='seconds')}: {len(pages)} pages"]
    lines.append(
        f"{'group_id':>10} {'last check (UTC)':<20} {'lag':>8} {'posts':>6} {'wall.get':>8} "
        f"{'calls':>7}  state"
    )
    for p in sorted(pages, key=order):
        c = cov.get(p.group_id)
        last = p.last_checked_at.strftime("%Y-%m-%d %H:%M:%S") if p.last_checked_at else "never"
        lag = f"{c.lag_s:.0f}s" if c is not None and c.lag_s is not None else "-"
        state = p.unreachable_reason or ("long poll" if c is not None and c.longpoll else "ok")
        if c is not None and c.unreachable_posts:
            state += f", {c.unreachable_posts} post(s) unreachable"
        lines.append(
            f"{p.group_id:>10} {last:<20} {lag:>8} {c.watched_posts if c else 0:>6} "
            f"{c.wall_get_calls if c else 0:>8} {c.api_calls if c else 0:>7}  {state}"
        )
    for owner_id, post_id, reason in bad_posts[:50]:
        lines.append(f"post {owner_id}_{post_id}: {reason}")
    for kv in quotas:
        used = ", ".join(f"{m} {n}" for m, n in dict(kv.value.get("used", {})).items())
        parked = ", ".join(kv.value.get("parked", []))
        lines.append(
            f"token {kv.key.removeprefix('vk:quota:')} on {kv.value.get('day', '?')}: "
            f"{used or 'no quota spent'}" + (f"; parked until reset: {parked}" if parked else "")
        )
    return "\n".join(lines)
