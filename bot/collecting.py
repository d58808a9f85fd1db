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
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from collectors.collector import Collector, CollectorConfig
from collectors.events import Batch
from collectors.longpoll import LongPollListener
from collectors.vk_client import TokenProblem, VkClient, moscow_day
from config.clock import Clock
from config.registry import Registry
from config.settings import REAL_VK_API_BASE, VKSettings
from storage.ingest import Ingestor
from storage.leases import PageLeases
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
        on_stored: Callable[[], object],
        *,
        leases: PageLeases | None = None,
        renew_s: float = 15.0,
        metrics: Metrics | None = None,
        join_wait_s: float = 0.0,
    ) -> None:
        """``leases``: share the registry's pages with other collector processes (PostgreSQL,
        issue 7); without it this process polls every page."""
        self.vk = vk
        self.registry = registry
        self.clock = clock
        self.sessions = sessions
        self.ingestor = ingestor
        self.clients = clients
        self.on_stored = on_stored
        self.leases = leases
        self.renew_s = renew_s
        self.join_wait_s = join_wait_s
        self.all_pages = {p.group_id for p in registry.pages}
        self.pages: set[int] = set()  # the pages this process polls now
        self.rebuilds = 0
        self.collector = self._new_collector()
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
        self.metrics = metrics
        if metrics is not None:
            for c in self.all_clients():
                c.on_call = metrics.vk_call
                c.on_quota_change = self._quota_metric

    def _new_collector(self) -> Collector:
        vk = self.vk
        return Collector(
            self.clock,
            CollectorConfig(
                watch_days=vk.watch_days,
                hot_period_s=vk.hot_period_s,
                cold_period_s=vk.cold_period_s,
                bootstrap_count=vk.posts_per_page,
            ),
        )

    def all_clients(self) -> list[VkClient]:
        return [*self.clients, *self.lp_clients.values()]

    async def load(self, only: set[int] | None = None, *, quotas: bool = True) -> None:
        """Restore pages, watched posts, quota counts and Long Poll ``ts`` from the database.

        ``only``: the pages this process holds leases on (all registry pages when None)."""
        wanted = set(self.all_pages) if only is None else set(only)
        self.pages = wanted
        self.listeners = []
        async with self.sessions() as session:
            pages = {p.group_id: p for p in (await session.execute(select(Page))).scalars()}
            for gid in sorted(wanted):
                page = pages.get(gid)
                self.collector.add_page(
                    gid,
                    max_seen_id=page.max_seen_id if page else 0,
                    longpoll=gid in self.lp_clients,
                )
            posts = select(Post)
            if only is not None and len(wanted) <= 1000:
                posts = posts.where(Post.owner_id.in_([-g for g in wanted]))
            for post in (await session.execute(posts)).scalars():
                if -post.owner_id not in wanted:
                    continue
                self.collector.add_known_post(
                    post.owner_id,
                    post.post_id,
                    post.created_at,
                    post.comments_count,
                    reachable=post.unreachable_reason is None,
                )
            kv = {k.key: k.value for k in (await session.execute(select(KeyValue))).scalars()}
        now = self.clock.now()
        if quotas:
            for c in self.all_clients():
                c.quota.restore(kv.get(f"vk:quota:{c.key}", {}), now)
        for gid, client in self.lp_clients.items():
            if gid not in wanted:
                continue
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

    def _quota_metric(self, client: VkClient) -> None:
        if self.metrics is None:
            return
        now = self.clock.now()
        for method in client.quota.limits:
            self.metrics.quota_left(client.key, method, client.quota.remaining(method, now) or 0)

    async def sink(self, batch: Batch) -> None:
        """Store ``batch`` in one transaction, then let the collector move forward."""
        if not batch.comments and not batch.posts:
            self.collector.confirm(batch)
            if self.metrics is not None:
                self.metrics.collector_pass(True)
            return
        try:
            async with self._lock, self.sessions() as session, session.begin():
                result = await self.ingestor.ingest(session, batch)
        except Exception as exc:
            self.collector.forget(batch)
            if self.metrics is not None:
                self.metrics.part_failed("collector", exc)
                self.metrics.collector_pass(False)
            raise
        self.collector.confirm(batch)
        if self.metrics is not None:
            self.metrics.collector_pass(True)
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
            # In bulk (executemany): a collector of 30,000 pages must not hold the database
            # for a minute every minute (issue 7).
            page_rows = [
                {
                    "group_id": cov.group_id,
                    "last_checked_at": cov.last_checked_at,
                    "unreachable_reason": cov.unreachable_reason,
                    "max_seen_id": cov.max_seen_id,
                }
                for cov in coverage
            ]
            cov_rows = [
                {
                    "group_id": cov.group_id,
                    "lag_s": cov.lag_s,
                    "watched_posts": cov.watched_posts,
                    "unreachable_posts": cov.unreachable_posts,
                    "wall_get_calls": cov.wall_get_calls,
                    "api_calls": cov.api_calls,
                    "longpoll": cov.longpoll,
                    "updated_at": now,
                }
                for cov in coverage
            ]
            dialect = session.get_bind().dialect.name
            ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(CollectorPage)
            upsert = ins.on_conflict_do_update(
                index_elements=["group_id"],
                set_={k: ins.excluded[k] for k in cov_rows[0] if k != "group_id"}
                if cov_rows
                else {},
            )
            for i in range(0, len(page_rows), 2000):
                await session.execute(update(Page), page_rows[i : i + 2000])
                await session.execute(upsert, cov_rows[i : i + 2000])
            if self.metrics is not None:
                for cov in coverage:
                    if cov.lag_s is not None:
                        self.metrics.page_checked(cov.group_id, cov.lag_s)
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

    async def _claim(self) -> set[int] | None:
        """Renew leases; the pages to poll now (None: keep the current set, renewal failed)."""
        if self.leases is None:
            return set(self.all_pages)
        try:
            return await self.leases.renew(self.all_pages)
        except Exception:
            log.exception("could not renew page leases")
            return None

    def _start(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        tasks = [
            asyncio.create_task(self.collector.run_worker(c, self.clients, self.sink, stop))
            for c in self.clients
        ]
        tasks += [asyncio.create_task(lp.run(self.sink, stop)) for lp in self.listeners]
        return tasks

    async def _stop(self, gen_stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
        gen_stop.set()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def run(self, stop: asyncio.Event) -> None:
        if not self.clients and not self.lp_clients:
            log.warning("no VK tokens configured: the collector is idle")
            return
        if self.leases is not None:
            await self.leases.ensure_pages(self.all_pages)
            # Collectors started together (role ``collector``) should see each other before
            # the first claim, rather than one taking every page and handing most back.
            if self.join_wait_s > 0:
                await self.leases.workers.heartbeat()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.join_wait_s)
        mine = await self._claim()
        await self.load(mine if mine is not None else set())
        gen_stop = asyncio.Event()
        tasks = self._start(gen_stop)
        loop = asyncio.get_running_loop()
        next_persist = loop.time() + PERSIST_EVERY_S / self.clock.speed
        next_renew = loop.time() + self.renew_s
        try:
            while not stop.is_set():
                wait = max(0.0, min(next_persist, next_renew) - loop.time())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                if stop.is_set():
                    break
                if self.leases is not None and loop.time() >= next_renew:
                    next_renew = loop.time() + self.renew_s
                    mine = await self._claim()
                    if mine is not None and mine != self.pages:
                        # Hand-over: stop the workers, keep what they learnt, start afresh on
                        # the new set from the database (where a page's state lives).
                        await self._stop(gen_stop, tasks)
                        with contextlib.suppress(Exception):
                            await self.persist()
                        self.collector = self._new_collector()
                        await self.load(mine, quotas=False)
                        self.rebuilds += 1
                        gen_stop = asyncio.Event()
                        tasks = self._start(gen_stop)
                if loop.time() >= next_persist:
                    next_persist = loop.time() + PERSIST_EVERY_S / self.clock.speed
                    try:
                        await self.persist()
                    except Exception:
                        log.exception("could not persist collector state")
        finally:
            await self._stop(gen_stop, tasks)
            with contextlib.suppress(Exception):
                await self.persist()
            if self.leases is not None:
                with contextlib.suppress(Exception):
                    await self.leases.release_all()
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
