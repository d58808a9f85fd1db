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
import ctypes
import ctypes.util
import gc
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    and_,
    any_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from bot.core import texts
from bot.core.render import local_time
from bot.metrics import Metrics
from collectors.collector import Collector, CollectorConfig, PageCoverage
from collectors.events import Batch
from collectors.longpoll import LongPollListener
from collectors.vk_client import TokenProblem, VkClient, VkHealth, moscow_day
from config.clock import Clock
from config.registry import Registry
from config.settings import REAL_VK_API_BASE, VKSettings
from storage.collector_status import (
    SUMMARY_KEY,
    SUMMARY_STALE_S,
    CollectorStatus,
    summary_age,
    window_key,
)
from storage.ingest import Ingestor
from storage.leases import PageLeases
from storage.models import CollectorPage, Comment, KeyValue, Page, Person, Post
from storage.outbox import enqueue

log = logging.getLogger(__name__)

PERSIST_EVERY_S = 60.0
# SQLite lets one connection write at a time and queues nobody: a writer that finds the lock
# taken polls it every 100 ms until its busy timeout.  While the collector has a backlog (the
# first look at a big region stores batches for minutes) its transactions come back to back,
# a few milliseconds apart, so every other writer starved: the heartbeat failed and /healthz
# said degraded during start-up (issue 11).  After this long of writing with no pause, the
# sink leaves the lock free for a poll (real seconds; ~7% of the storing time at most).
WRITE_STREAK_S = 2.0
WRITE_PAUSE_S = 0.15
# Real seconds a hand-over waits for the requests in flight before starting over instead.
HANDOVER_WAIT_S = 20.0


def rss_mb() -> float | None:
    """This process's resident memory (Linux), for the start-up log line."""
    with (
        contextlib.suppress(OSError, ValueError, IndexError),
        open("/proc/self/status", encoding="ascii") as f,
    ):
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return None


#: glibc's mallopt parameter for the number of malloc arenas.
_M_ARENA_MAX = -8
#: Arenas for a long-running app: glibc's default (8 per core) lets each worker thread
#: (``asyncio.to_thread``, the DB driver) keep its own heap, ~11 MB of resident memory more at
#: 6,000 pages (``bench/app_memory.py``: 299 -> 289 MB peak) for no speed the app needs.
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Cap glibc's malloc arenas (as ``MALLOC_ARENA_MAX`` would); call before threads start.
    Elsewhere (no glibc) nothing happens; an explicit ``MALLOC_ARENA_MAX`` wins."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(_M_ARENA_MAX, arenas)


def release_memory() -> None:
    """Hand the memory start-up's temporaries freed back to the system: the rows of the
    first load, the answers and batches of the first look (a cycle collection, then glibc's
    ``malloc_trim``; elsewhere only the collection).  Run once, when start-up is over.

    What start-up made and still holds (the matcher's tables, the pages) lives as long as the
    app: ``gc.freeze`` keeps every later full collection from walking it again."""
    gc.collect()
    gc.freeze()
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


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
        self.handovers = 0  # lease changes followed in place
        self.rebuilds = 0  # lease changes that had to start over from storage
        self.load_s = 0.0  # real seconds the first load took (start-up cost)
        self._started: float | None = None  # while the first look is under way
        self._sqlite = False  # (known after the first batch stored)
        self._wrote_at = 0.0  # real time the last batch's transaction ended
        self._streak_from = 0.0  # ... and since when they came with no pause
        # What :meth:`persist` last stored, so it writes only what changed.
        self._written: dict[int, tuple[object, ...]] = {}
        self._written_posts: dict[tuple[int, int], str] = {}
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
        self.listeners: dict[int, LongPollListener] = {}
        self._lp_tasks: dict[int, tuple[asyncio.Event, asyncio.Task[None]]] = {}
        self._worker_stop = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self._running = False  # run() is polling: a hand-over restarts what it stopped
        self._lock = asyncio.Lock()
        self.batches = 0
        self.metrics = metrics
        if metrics is not None:
            for c in self.all_clients():
                c.on_call = metrics.vk_call
                c.on_quota_change = self._quota_metric
        # Where /status and ``otklik status`` read this process's summary (one per process).
        self.summary_key = (
            f"{SUMMARY_KEY}:{leases.workers.id}" if leases is not None else SUMMARY_KEY
        )
        self._written_summary: dict[str, Any] | None = None
        self._written_window: dict[str, Any] | None = None
        self._summary_at: datetime | None = None  # when the summary was last written

    def _new_collector(self) -> Collector:
        vk = self.vk
        return Collector(
            self.clock,
            CollectorConfig(
                watch_days=vk.watch_days,
                hot_period_s=vk.hot_period_s,
                cold_period_s=vk.cold_period_s,
                bootstrap_count=vk.posts_per_page,
                # Issue 11: the last hours before a page's first look are alerted, so their
                # comments must be read then (ingest keeps older ones as history).
                backfill=vk.alert_history_hours > 0,
            ),
        )

    def all_clients(self) -> list[VkClient]:
        return [*self.clients, *self.lp_clients.values()]

    async def load(self, only: set[int] | None = None, *, quotas: bool = True) -> None:
        """Restore pages, watched posts, quota counts and Long Poll ``ts`` from the database.

        ``only``: the pages this process holds leases on (all registry pages when None)."""
        wanted = set(self.all_pages) if only is None else set(only)
        t0 = time.perf_counter()
        kv = await self._kv()
        if quotas:
            now = self.clock.now()
            for c in self.all_clients():
                c.quota.restore(kv.get(f"vk:quota:{c.key}", {}), now)
        await self._add_pages(wanted, everything=only is None, kv=kv)
        self.load_s = time.perf_counter() - t0

    def vk_health(self) -> VkHealth:
        """Whether VK serves this process's requests, over all its tokens."""
        health = VkHealth()
        for c in self.all_clients():
            health.merge(c.health)
        return health

    def summary(self, now: datetime, coverage: list[PageCoverage] | None = None) -> dict[str, Any]:
        """What /status and ``otklik status`` show of this process: VK requests and tokens,
        and the posts past the watch window (kept by comments, dormant, not watched)."""
        health = self.vk_health()
        pages = {
            str(c.group_id): [c.kept_posts, c.dormant_posts, c.dropped_posts]
            for c in (self.collector.coverage() if coverage is None else coverage)
            if c.kept_posts or c.dormant_posts or c.dropped_posts
        }
        return {
            "at": now.isoformat(),
            "tokens": len(self.all_clients()),
            "usable_tokens": sum(1 for c in self.all_clients() if c.usable()),
            "last_ok_at": health.last_ok_at.isoformat() if health.last_ok_at else None,
            "failures_in_row": health.failures_in_row,
            "last_error": health.last_error,
            "last_code": health.last_code,
            "kept_posts": sum(v[0] for v in pages.values()),
            "dormant_posts": sum(v[1] for v in pages.values()),
            "dropped_posts": sum(v[2] for v in pages.values()),
            "pages": pages,
        }

    async def _kv(self) -> dict[str, dict[str, Any]]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(KeyValue.key, KeyValue.value).where(
                    or_(KeyValue.key.like("vk:quota:%"), KeyValue.key.like("vk:lp:%"))
                )
            )
            return dict(rows.all())

    async def _add_pages(
        self, gids: set[int], *, everything: bool = False, kv: dict[str, dict[str, Any]]
    ) -> None:
        """Start watching ``gids`` with their state from storage: ``max_seen_id`` and the
        watched posts with their stored comment counts.

        Only these pages' rows are read, as plain columns, so a hand-over of a few pages costs
        a few rows, not the region (``everything``: all registry pages, no owner filter)."""
        if not gids:
            return
        now = self.clock.now()
        horizon = now - timedelta(days=self.vk.watch_days)
        # Posts past the window are kept by a comment within it, or are dormant (issue 11).
        oldest = now - timedelta(days=self.collector.cfg.dormant_days)
        ids = sorted(gids)
        collector = self.collector
        done = 0  # ids[:done] are added

        def add_through(last: int, old: dict[int, list[_PostRow]]) -> None:
            """Add the pages up to ``last`` not added yet, each with its old active posts."""
            nonlocal done
            while done < len(ids) and ids[done] <= last:
                gid = ids[done]
                done += 1
                seen, looked = known.get(gid, (0, None))
                collector.add_page(
                    gid, max_seen_id=seen or 0, longpoll=gid in self.lp_clients, first_look=looked
                )
                self.pages.add(gid)
                for row in old.pop(gid, ()):
                    _add_known(collector, row)

        async with self.sessions() as session:
            owners: list[list[int] | None] = [None]  # None: every page's
            if not everything:
                owners = list(_chunks(session, [-g for g in ids]))
            page_q = select(Page.group_id, Page.max_seen_id, Page.first_look_at)
            # group id -> (max_seen_id, first look): a page looked at before this start, even
            # with nothing stored of it, is not looked at for the first time again.
            known: dict[int, tuple[int, datetime | None]] = {}
            for cond in [None] if everything else _among(session, Page.group_id, ids):
                pq = page_q if cond is None else page_q.where(cond)
                known.update((g, (m, at)) for g, m, at in (await session.execute(pq)).all())
            # Posts older than every window that residents still comment on (few).
            old: dict[int, list[_PostRow]] = {}
            for chunk in owners:
                q = _posts_q(session, horizon, chunk).where(Post.created_at < oldest)
                for row in (await session.execute(q)).all():
                    old.setdefault(-row[0], []).append(row)
            # The watched posts, streamed in page order a few thousand rows at a time: all
            # of a big region's at once (as rows, then as the collector's state) was the
            # peak of a restart's memory, which a process keeps (issue 11).  A page goes in
            # with its first post, so it is never bootstrapped for want of its posts.
            for chunk in owners:
                q = _posts_q(session, horizon, chunk).where(Post.created_at >= oldest)
                q = q.order_by(Post.owner_id.desc(), Post.post_id)
                result = await session.stream(q.execution_options(yield_per=2000))
                async for part in result.partitions():
                    for row in part:
                        gid = -row[0]
                        if gid not in collector.pages:
                            add_through(gid, old)
                        _add_known(collector, row)
        add_through(ids[-1], old)
        for gid in sorted(gids & self.lp_clients.keys()):
            ts = kv.get(f"vk:lp:{gid}", {}).get("ts")
            self.listeners[gid] = LongPollListener(
                self.lp_clients[gid],
                gid,
                self.clock,
                self.collector,
                wait_s=self.vk.longpoll_wait_s,
                ts=str(ts) if ts is not None else None,
                save_ts=self._save_ts,
            )

    def _quota_metric(self, client: VkClient) -> None:
        if self.metrics is None:
            return
        now = self.clock.now()
        for method in client.quota.limits:
            self.metrics.quota_left(client.key, method, client.quota.remaining(method, now) or 0)

    async def _let_others_write(self) -> None:
        """On SQLite, after ``WRITE_STREAK_S`` of storing batches back to back, leave the
        write lock free for ``WRITE_PAUSE_S`` (see there)."""
        now = time.monotonic()
        if now - self._wrote_at >= WRITE_PAUSE_S:
            self._streak_from = now  # the lock was free for a poll since our last write
        elif self._sqlite and now - self._streak_from >= WRITE_STREAK_S:
            await asyncio.sleep(WRITE_PAUSE_S)
            self._streak_from = time.monotonic()

    def _started_up(self) -> None:
        """Once every page had its first look (stored): log it, and give back the memory
        start-up used for a while (an idle process is measured by its peak, issue 11)."""
        if self._started is None or not self.collector.all_bootstrapped():
            return
        took, self._started = time.monotonic() - self._started, None
        before = rss_mb()
        release_memory()
        after = rss_mb()
        log.info(
            "collector: every page looked at (%d page(s), %d post(s) watched) %.0f s after "
            "loading; memory %.0f MB (%.0f MB before releasing start-up's)",
            len(self.pages), self.collector.watched_posts(), took, after or 0, before or 0,
        )  # fmt: skip

    async def sink(self, batch: Batch) -> None:
        """Store ``batch`` in one transaction, then let the collector move forward.  A batch
        with nothing but pages looked at is stored too: it stamps their first looks."""
        if not batch.comments and not batch.posts and not batch.looked:
            self.collector.confirm(batch)
            if self.metrics is not None:
                self.metrics.collector_pass(not batch.failed)
            self._started_up()
            return
        try:
            async with self._lock:
                await self._let_others_write()
                try:
                    async with self.sessions() as session, session.begin():
                        self._sqlite = session.get_bind().dialect.name == "sqlite"
                        result = await self.ingestor.ingest(session, batch)
                finally:
                    self._wrote_at = time.monotonic()
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
        self._started_up()
        if result.notifications or result.answered:
            self.on_stored()

    async def _forget_gone(self, now: datetime) -> None:
        """Remove the summaries of collector processes that stopped reporting long ago."""
        async with self._lock, self.sessions() as session, session.begin():
            rows = await session.execute(
                select(KeyValue.key, KeyValue.value).where(KeyValue.key.like(f"{SUMMARY_KEY}:%"))
            )
            gone = [key for key, value in rows.all() if summary_age(value, now) > SUMMARY_STALE_S]
            if gone:
                keys = [*gone, *(window_key(key) for key in gone)]
                await session.execute(delete(KeyValue).where(KeyValue.key.in_(keys)))

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

    async def persist(self, only: set[int] | None = None) -> None:
        """Quota counts, coverage, unreachable reasons and admin alerts about tokens.

        Only what changed since the last write goes to the database: at 30,000 pages writing
        every page every minute was most of a collector's CPU (issue 7).  ``only``: just these
        pages (handed to another process, whose new owner starts from what is stored)."""
        now = self.clock.now()
        problems: list[TokenProblem] = []
        coverage = self.collector.coverage()
        if only is None:
            values = {f"vk:quota:{c.key}": c.quota.snapshot() for c in self.all_clients()}
            summary = self.summary(now, coverage)
            window = {"pages": summary.pop("pages")}
            # Rewritten when it changes, and every few minutes anyway: an old summary is
            # taken for the report of a process that is gone.
            due = self._summary_at is None or (now - self._summary_at).total_seconds() > 600
            if due or _changed(self._written_summary, summary):
                values[self.summary_key] = summary
            if window != self._written_window:
                values[window_key(self.summary_key)] = window
            await self._put(values)
            self._written_summary, self._written_window = summary, window
            if self.summary_key in values:
                self._summary_at = now
            for c in self.all_clients():
                problems.extend(c.problems)
                c.problems.clear()
            if self.leases is not None:
                await self._forget_gone(now)
        if self.metrics is not None:
            self.metrics.pages_checked(
                {c.group_id: c.lag_s for c in coverage if c.lag_s is not None}
            )
        unreachable = self.collector.unreachable_posts()
        if only is not None:
            coverage = [c for c in coverage if c.group_id in only]
            unreachable = {k: v for k, v in unreachable.items() if -k[0] in only}
        changed = [v for v in coverage if self._written.get(v.group_id) != _written_state(v)]
        bad = [
            (k, reason[:255])
            for k, reason in unreachable.items()
            if self._written_posts.get(k) != reason[:255]
        ]
        async with self._lock, self.sessions() as session, session.begin():
            await _write_coverage(session, changed, now)
            if bad:
                await session.execute(
                    update(Post)
                    .where(
                        Post.owner_id == bindparam("o"),
                        Post.post_id == bindparam("p"),
                    )
                    .values(unreachable_reason=bindparam("r"))
                    .execution_options(synchronize_session=False),
                    [{"o": o, "p": p, "r": r} for (o, p), r in bad],
                )
            for problem in problems:
                await self._notify_admins(session, problem, now)
        for cov in changed:
            self._written[cov.group_id] = _written_state(cov)
        self._written_posts.update(bad)

    async def _notify_admins(
        self, session: AsyncSession, problem: TokenProblem, now: datetime
    ) -> None:
        what = "отключён" if problem.fatal else "приостановлен (нужна капча/проверка)"
        text = (
            f"VK-токен {problem.token_hint} {what}: [{problem.code}] {problem.message}. "
            "Сбор продолжается на остальных токенах."
        )
        admins = await session.scalars(
            select(Person.id).where(Person.role == "admin", Person.active.is_(True))
        )
        for admin in admins:
            enqueue(
                session,
                key=f"vk-token:{problem.token_key}:{problem.code}:{moscow_day(now)}",
                chat_id=admin,
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

    def _start_workers(self) -> None:
        self._worker_stop = asyncio.Event()
        self._workers = [
            asyncio.create_task(
                self.collector.run_worker(c, self.clients, self.sink, self._worker_stop)
            )
            for c in self.clients
        ]

    async def _stop_workers(self, timeout: float) -> bool:
        """Let each polling worker finish its request and its storage, then stop.

        False when one did not within ``timeout`` real seconds and was cancelled: a request
        cut short may leave posts marked in flight, so the collector's state is then suspect.
        """
        self._worker_stop.set()
        tasks, self._workers = self._workers, []
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for t in pending:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return not pending

    def _start_listeners(self, gids: set[int]) -> None:
        for gid in sorted(gids):
            lp = self.listeners.get(gid)
            if lp is not None and gid not in self._lp_tasks:
                ev = asyncio.Event()
                self._lp_tasks[gid] = (ev, asyncio.create_task(lp.run(self.sink, ev)))

    async def _stop_listeners(self, gids: set[int], timeout: float) -> None:
        """Stop these pages' Long Poll loops (a long poll in flight is abandoned: its ``ts``
        is stored only after a commit, so the next owner re-reads rather than loses)."""
        pairs = [self._lp_tasks.pop(g) for g in sorted(gids) if g in self._lp_tasks]
        for ev, _ in pairs:
            ev.set()
        tasks = [t for _, t in pairs]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _resume(self) -> None:
        """Start what should be running and is not (after a hand-over, even a failed one)."""
        if not self._running:
            return
        if not self._workers:
            self._start_workers()
        self._start_listeners(set(self.listeners))

    async def hand_over(self, mine: set[int]) -> None:
        """Follow a lease change in place: drop the pages that went to another process, add
        the ones that came to us; the pages kept keep their state (schedule, rates, comment
        snapshots), so nothing is re-read and the workers pause only for a lost page.

        A removed page must have no request in flight (its answer would find no page), so the
        workers finish theirs first; if one cannot within ``HANDOVER_WAIT_S`` the collector
        starts over from storage, as a fresh process would."""
        lost = self.pages - mine
        gained = mine - self.pages
        try:
            if lost:
                clean = await self._stop_workers(HANDOVER_WAIT_S)
                await self._stop_listeners(lost, 1.0)
                try:
                    await self.persist(lost)  # where the next owner starts: max_seen_id
                except Exception:
                    log.exception("could not store the state of handed-over pages")
                if not clean:
                    await self._rebuild(mine)
                    return
                for gid in lost:
                    self.collector.remove_page(gid)
                    self.listeners.pop(gid, None)
                    self._written.pop(gid, None)
                self.pages -= lost
            if gained:
                await self._add_pages(gained, kv=await self._kv())
            self.handovers += 1
        finally:
            self._resume()

    async def _rebuild(self, mine: set[int]) -> None:
        """Start over on ``mine`` from storage (the state of a page lives there)."""
        await self._stop_workers(HANDOVER_WAIT_S)
        await self._stop_listeners(set(self._lp_tasks), 1.0)
        self.collector = self._new_collector()
        self.pages = set()
        self.listeners = {}
        self._written.clear()
        self.rebuilds += 1
        await self._add_pages(mine, kv=await self._kv())

    async def _hold(self, leases: PageLeases, stop: asyncio.Event) -> None:
        """Keep our lease holder's heartbeat fresh every ``renew_s`` (real seconds)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.renew_s)
            try:
                await leases.beat()
            except Exception:
                log.warning("could not refresh the page leases' heartbeat", exc_info=True)

    async def run(self, stop: asyncio.Event) -> None:
        if not self.clients and not self.lp_clients:
            log.warning("no VK tokens configured: the collector is idle")
            return
        holding: asyncio.Task[None] | None = None
        if self.leases is not None:
            await self.leases.ensure_pages(self.all_pages)
            # Our leases live while this loop beats, also through a long load or hand-over.
            holding = asyncio.create_task(self._hold(self.leases, stop))
            # Collectors started together (role ``collector``) should see each other before
            # the first claim, rather than one taking every page and handing most back.
            if self.join_wait_s > 0:
                await self.leases.announce()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.join_wait_s)
        mine = await self._claim()
        await self.load(mine if mine is not None else set())
        self._started = time.monotonic()
        if self.collector.all_bootstrapped():  # a restart: every page is known
            self._started_up()
        log.info("collector loaded %d page(s) in %.1f s", len(self.pages), self.load_s)
        self._running = True
        self._resume()
        loop = asyncio.get_running_loop()
        next_persist = loop.time() + PERSIST_EVERY_S / self.clock.speed
        # Without leases there is nothing to renew: only the persist timer wakes this loop
        # (a renew deadline that never moved made the wait zero and the loop spin, issue 11).
        next_renew = loop.time() + self.renew_s if self.leases is not None else float("inf")
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
                        try:
                            await self.hand_over(mine)
                        except Exception:  # the next renewal tries again
                            log.exception("could not follow a change of page leases")
                if loop.time() >= next_persist:
                    next_persist = loop.time() + PERSIST_EVERY_S / self.clock.speed
                    try:
                        await self.persist()
                    except Exception:
                        log.exception("could not persist collector state")
        finally:
            self._running = False
            if holding is not None:
                holding.cancel()
                await asyncio.gather(holding, return_exceptions=True)
            await self._stop_workers(5.0)
            await self._stop_listeners(set(self._lp_tasks), 5.0)
            with contextlib.suppress(Exception):
                await self.persist()
            if self.leases is not None:
                with contextlib.suppress(Exception):
                    await self.leases.release_all()
            for c in self.lp_clients.values():
                c.close()


def _changed(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    """Whether a summary says something new (its time aside)."""
    if before is None:
        return True
    return {k: v for k, v in before.items() if k != "at"} != {
        k: v for k, v in after.items() if k != "at"
    }


def _written_state(cov: PageCoverage) -> tuple[object, ...]:
    """What of a page's coverage is stored; the lag is not: it follows from the last check."""
    return (
        cov.last_checked_at,
        cov.unreachable_reason,
        cov.max_seen_id,
        cov.watched_posts,
        cov.unreachable_posts,
        cov.wall_get_calls,
        cov.api_calls,
        cov.longpoll,
    )


_PG_PAGES = text(
    """
    UPDATE pages AS p
    SET last_checked_at = v.checked, unreachable_reason = v.reason, max_seen_id = v.max_seen
    FROM unnest(CAST(:ids AS bigint[]), CAST(:checked AS timestamptz[]),
                CAST(:reasons AS varchar[]), CAST(:max_seen AS bigint[]))
         AS v(group_id, checked, reason, max_seen)
    WHERE p.group_id = v.group_id
    """
)
_PG_COVERAGE = text(
    """
    INSERT INTO collector_pages (group_id, lag_s, watched_posts, unreachable_posts,
                                 wall_get_calls, api_calls, longpoll, updated_at)
    SELECT v.*, CAST(:now AS timestamptz)
    FROM unnest(CAST(:ids AS bigint[]), CAST(:lag AS float8[]), CAST(:watched AS integer[]),
                CAST(:unreachable AS integer[]), CAST(:wall_get AS integer[]),
                CAST(:api AS integer[]), CAST(:longpoll AS boolean[])) AS v
    ON CONFLICT (group_id) DO UPDATE SET
        lag_s = EXCLUDED.lag_s, watched_posts = EXCLUDED.watched_posts,
        unreachable_posts = EXCLUDED.unreachable_posts,
        wall_get_calls = EXCLUDED.wall_get_calls, api_calls = EXCLUDED.api_calls,
        longpoll = EXCLUDED.longpoll, updated_at = EXCLUDED.updated_at
    """
)


async def _write_coverage(session: AsyncSession, rows: list[PageCoverage], now: datetime) -> None:
    """Pages' coverage into ``pages`` and ``collector_pages``: on PostgreSQL one statement
    each (arrays, ``unnest``), elsewhere in bulk (executemany)."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        ids = [c.group_id for c in rows]
        await session.execute(
            _PG_PAGES,
            {
                "ids": ids,
                "checked": [c.last_checked_at for c in rows],
                "reasons": [c.unreachable_reason for c in rows],
                "max_seen": [c.max_seen_id for c in rows],
            },
        )
        await session.execute(
            _PG_COVERAGE,
            {
                "ids": ids,
                "lag": [c.lag_s for c in rows],
                "watched": [c.watched_posts for c in rows],
                "unreachable": [c.unreachable_posts for c in rows],
                "wall_get": [c.wall_get_calls for c in rows],
                "api": [c.api_calls for c in rows],
                "longpoll": [c.longpoll for c in rows],
                "now": now,
            },
        )
        return
    ins = sqlite_insert(CollectorPage)
    upsert = ins.on_conflict_do_update(
        index_elements=["group_id"],
        set_={k: ins.excluded[k] for k in _COVERAGE_COLUMNS if k != "group_id"},
    )
    # A few hundred rows a statement, built as they go: every page's row at once cost ~7 MB
    # a minute at 6,000 pages, and a process's memory stays at its peak (issue 11).
    for i in range(0, len(rows), 500):
        chunk = rows[i : i + 500]
        page_rows = [
            {
                "group_id": c.group_id,
                "last_checked_at": c.last_checked_at,
                "unreachable_reason": c.unreachable_reason,
                "max_seen_id": c.max_seen_id,
            }
            for c in chunk
        ]
        await session.execute(update(Page), page_rows)
        del page_rows
        cov_rows = [
            {
                "group_id": c.group_id,
                "lag_s": c.lag_s,
                "watched_posts": c.watched_posts,
                "unreachable_posts": c.unreachable_posts,
                "wall_get_calls": c.wall_get_calls,
                "api_calls": c.api_calls,
                "longpoll": c.longpoll,
                "updated_at": now,
            }
            for c in chunk
        ]
        await session.execute(upsert, cov_rows)


_COVERAGE_COLUMNS = (
    "group_id", "lag_s", "watched_posts", "unreachable_posts", "wall_get_calls", "api_calls",
    "longpoll", "updated_at",
)  # fmt: skip


def collector_status_text(status: CollectorStatus, now: datetime, tz: str) -> str:
    """/status lines (Russian): whether VK serves the collectors' requests, how many tokens
    work, and what past the watch window is watched less or not at all (issue 11)."""
    if not status.reported:
        return ""
    last = local_time(status.last_ok_at, tz) if status.last_ok_at else texts.NEVER
    if status.vk_failing(now):
        error = texts.VK_ERRORS.get(status.last_code) or texts.VK_ERROR_OTHER.format(
            code=status.last_code
        )
        out = texts.STATUS_VK_FAILING.format(n=status.failures_in_row, error=error, last=last)
    else:
        out = texts.STATUS_VK_OK.format(last=last)
    if status.usable_tokens < status.tokens:
        out += texts.STATUS_VK_TOKENS.format(usable=status.usable_tokens, total=status.tokens)
    if status.kept_posts or status.dormant_posts or status.dropped_posts:
        out += texts.STATUS_WINDOW.format(
            kept=status.kept_posts, dormant=status.dormant_posts, dropped=status.dropped_posts
        )
    return out


def _among(
    session: AsyncSession, column: InstrumentedAttribute[int], values: list[int]
) -> list[ColumnElement[bool]]:
    """``column IN values`` as few statements: one array parameter on PostgreSQL, chunks on
    SQLite (its limit on bound parameters)."""
    if session.get_bind().dialect.name == "postgresql":
        return [column == any_(bindparam("ids", values, type_=ARRAY(BigInteger)))]
    return [column.in_(values[i : i + 500]) for i in range(0, len(values), 500)]


# A stored post as the collector takes it: owner, id, created, comment count, why
# unreachable, its newest comment within the watch window.
_PostRow = Row[int, int, datetime, int, str | None, datetime | None]


def _posts_q(
    session: AsyncSession, horizon: datetime, owners: list[int] | None
) -> Select[int, int, datetime, int, str | None, datetime | None]:
    """Stored posts (of ``owners``' pages, every page's when None) with their newest comment
    within the watch window (None: silent there), as plain columns."""
    active = select(
        Comment.owner_id, Comment.post_id, func.max(Comment.created_at).label("at")
    ).where(Comment.created_at >= horizon)
    if owners is not None:
        active = active.where(_in(session, Comment.owner_id, owners))
    newest = active.group_by(Comment.owner_id, Comment.post_id).subquery()
    q = select(
        Post.owner_id,
        Post.post_id,
        Post.created_at,
        Post.comments_count,
        Post.unreachable_reason,
        newest.c.at,
    ).outerjoin(newest, and_(newest.c.owner_id == Post.owner_id, newest.c.post_id == Post.post_id))
    return q if owners is None else q.where(_in(session, Post.owner_id, owners))


def _add_known(collector: Collector, row: _PostRow) -> None:
    owner_id, post_id, created_at, count, unreachable, active = row
    collector.add_known_post(
        owner_id, post_id, created_at, count, reachable=unreachable is None, active=active
    )


def _chunks(session: AsyncSession, values: list[int]) -> list[list[int]]:
    """``values`` in as few ``IN`` lists as the database takes (see :func:`_in`)."""
    if session.get_bind().dialect.name == "postgresql":
        return [values]
    return [values[i : i + 500] for i in range(0, len(values), 500)]


def _in(session: AsyncSession, column: Any, values: list[int]) -> ColumnElement[bool]:
    """``column IN values``: one array parameter on PostgreSQL, a list on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(BigInteger), unique=True))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]
