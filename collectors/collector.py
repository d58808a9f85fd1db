"""The budget-aware polling collector (issue 3): every new comment, on one token's budget.

Why it is built this way (product.md §7, vk-api.md §2, §5):

* **Counts, not comments.** ``wall.getById`` returns up to 100 posts with ``comments.count``;
  ``execute`` packs 25 such calls, so one HTTP request checks 2,500 posts.  ``wall.getComments``
  is spent only on a post whose count moved, and it rides in the same ``execute`` requests.
* **Hot posts often, cold posts rarely.** Each post has an estimated comment rate (decayed
  observed comments, plus a share of its page's activity, plus a boost when fresh).  The posts
  that carry ``hot_share`` of the expected comments are checked every ``hot_period_s``; the rest
  every ``cold_period_s``.  Requests are work-conserving: a request that goes anyway is filled
  with the posts due next, so checking early is free.
* **Discovery.** A wall numbers posts and comments from one counter (believed for VK, true in
  the fake), so ``wall.getById`` on the few ids just above the highest id we have seen finds a
  new post without spending the ``wall.get`` quota.  ``wall.get`` stays as the safety net,
  spread over the day's remaining quota in proportion to page activity, so the code keeps
  working if the counter trick is wrong on real VK.
* **Exactly once.** Comment counts and comment snapshots move forward only in :meth:`confirm`,
  after storage committed the batch, so a crash re-fetches rather than loses.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from collectors.events import (
    Batch,
    CommentChange,
    CommentEvent,
    PostEvent,
    comment_from_vk,
    from_unix,
    names_from_extended,
)
from collectors.vk_client import (
    OBJECT_CODES,
    QuotaExhausted,
    TokenUnusable,
    VkClient,
    VkError,
    seconds_to_reset,
)
from config.clock import Clock

log = logging.getLogger(__name__)

PAGE_SIZE = 100
REFS_PER_GETBYID = 100
CALLS_PER_EXECUTE = 25
# What a count check asks ``wall.getById`` for (VKScript projection, see VkClient.execute).
CHECK_FIELDS = ("owner_id", "id", "comments")
# Heap entry kinds.
CHECK, PROBE, WALLGET = 0, 1, 2


@dataclass
class CollectorConfig:
    """Knobs of the collector; defaults fit a region of thousands of pages on 3 rps tokens."""

    watch_days: float = 14.0
    hot_period_s: float = 40.0
    cold_period_s: float = 600.0
    hot_share: float = 0.985
    # Share of a page's comments assumed to land on any of its posts, old ones included.
    tail_weight: float = 0.15
    rate_tau_s: float = 6 * 3600.0
    retier_every_s: float = 120.0
    fetch_coalesce_s: float = 2.0
    probe_ids: int = 3
    # A block of ids further up, moved on each probe over ``probe_far_steps`` positions.
    probe_far_ids: int = 3
    probe_far_steps: int = 8
    probe_min_s: float = 60.0
    probe_max_s: float = 300.0
    probe_slack_s: float = 60.0
    wall_get_slack_s: float = 300.0
    sync_per_request: int = 15
    # Read the comments already under posts found at a page's first look (costly on big
    # regions; storage would get history it may not need).
    backfill: bool = False
    wall_get_count: int = 10
    bootstrap_count: int = 30
    wall_get_min_interval_s: float = 900.0
    wall_get_budget_share: float = 0.9
    refs_per_getbyid: int = REFS_PER_GETBYID
    idle_step_s: float = 1.0


@dataclass(slots=True, eq=False)
class PostState:
    owner_id: int
    post_id: int
    created: float
    count: int = 0  # confirmed by storage
    n: float = 0.0  # decayed number of recent comments (rate estimate = n / tau)
    n_at: float = 0.0
    period: float = 0.0
    checked: float = 0.0  # last time its count was seen
    seq: int = 0  # heap entry that is current (lazy invalidation)
    fetching: bool = False
    stored: bool = False  # storage has the post row
    text: str | None = None  # kept only until the post is stored
    unreachable: str | None = None
    snapshot: dict[int, int] | None = None  # comment id -> hash(text), confirmed


@dataclass(slots=True, eq=False)
class PageState:
    group_id: int
    max_seen_id: int = 0
    posts: dict[int, PostState] = field(default_factory=dict)
    unreachable: str | None = None
    longpoll: bool = False
    post_rate: float = 0.0  # posts per second, from the watched posts' dates
    last_wall_get: float = 0.0
    last_new_post: float = 0.0
    probe_seq: int = 0
    probe_round: int = 0
    wall_seq: int = 0
    wall_get_calls: int = 0
    api_calls: int = 0
    bootstrapped: bool = False


@dataclass(slots=True, eq=False)
class _Fetch:
    """A changed post being read; may take several getComments pages across requests."""

    post: PostState
    queued_at: float
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    tasks: list[tuple[int, int | None]] = field(default_factory=list)  # (offset, thread id)
    in_flight: int = 0
    total: int = 0
    reconcile: bool = False


@dataclass
class PageCoverage:
    """What ``otklik status`` and /status show per page."""

    group_id: int
    last_checked_at: datetime | None
    lag_s: float | None
    watched_posts: int
    unreachable_posts: int
    wall_get_calls: int
    api_calls: int
    unreachable_reason: str | None
    longpoll: bool
    max_seen_id: int


Sink = Callable[[Batch], Awaitable[None]]


class Collector:
    """Shared state of all polling workers (one worker per token, see :meth:`run_worker`)."""

    def __init__(self, clock: Clock, config: CollectorConfig | None = None) -> None:
        self.clock = clock
        self.cfg = config or CollectorConfig()
        self.pages: dict[int, PageState] = {}
        # due, seq, kind, gid, pid: checks and probes (filled by due order) and wall.get calls
        self._heap: list[tuple[float, int, int, int, int]] = []
        self._walls: list[tuple[float, int, int, int, int]] = []
        self._sync: list[PostState] = []  # learn a wall's newest comment id after bootstrap
        self._seq = 0
        self._fetches: dict[tuple[int, int], _Fetch] = {}
        self._fetch_queue: list[_Fetch] = []
        self._pending: dict[int, list[Callable[[], None]]] = {}
        self._last_retier = -math.inf
        self.requests = 0
        self.api_calls = 0
        self.inner_errors: dict[int, int] = {}
        self.hot_posts = 0
        self.rtt_s: list[float] = []  # clock seconds per request, for benchmarks

    # ------------------------------------------------------------------ set-up

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def add_page(self, group_id: int, *, max_seen_id: int = 0, longpoll: bool = False) -> None:
        """Watch a page; without known posts it is bootstrapped by one ``wall.get``."""
        if group_id in self.pages:
            self.pages[group_id].longpoll = longpoll
            return
        page = PageState(group_id, max_seen_id=max_seen_id, longpoll=longpoll)
        self.pages[group_id] = page
        self._push_wall_get(page, self._now())

    def add_known_post(
        self, owner_id: int, post_id: int, created: datetime, count: int, *, reachable: bool
    ) -> None:
        """A post storage already has (after a restart): watch it without re-reading it."""
        page = self.pages.get(-owner_id)
        if page is None:
            return
        now = self._now()
        ts = created.timestamp()
        if ts < now - self.cfg.watch_days * 86400:
            return
        if not page.bootstrapped:
            # Known from storage: no bootstrap wall.get, just the usual safety-net rotation.
            spread = self.cfg.wall_get_min_interval_s * (page.group_id % 97) / 97
            self._push_wall_get(page, now + spread)
            self._push(now, PROBE, page.group_id)
        post = self._new_post(page, post_id, ts, count)
        post.stored = True
        if not reachable:
            post.unreachable = "unreachable (stored)"
        page.bootstrapped = True
        page.max_seen_id = max(page.max_seen_id, post_id)
        # Known posts come back after a restart: check them now, so nothing waits a period.
        if not reachable:
            return
        self._push(now, CHECK, page.group_id, post)

    def _new_post(self, page: PageState, post_id: int, created: float, count: int) -> PostState:
        now = self._now()
        age = max(now - created, 3600.0)
        post = PostState(-page.group_id, post_id, created, count=count)
        post.n = count * min(1.0, self.cfg.rate_tau_s / age)
        post.n_at = now
        post.period = self.cfg.hot_period_s
        page.posts[post_id] = post
        return post

    # ------------------------------------------------------------------ heap

    def _push(self, due: float, kind: int, gid: int, post: PostState | None = None) -> None:
        self._seq += 1
        if post is not None:
            post.seq = self._seq
            heapq.heappush(self._heap, (due, self._seq, kind, gid, post.post_id))
            return
        page = self.pages[gid]
        if kind == PROBE:
            page.probe_seq = self._seq
            heapq.heappush(self._heap, (due, self._seq, kind, gid, 0))
        else:
            page.wall_seq = self._seq
            heapq.heappush(self._walls, (due, self._seq, kind, gid, 0))

    def _push_wall_get(self, page: PageState, due: float) -> None:
        self._push(due, WALLGET, page.group_id)

    def _live(self, entry: tuple[float, int, int, int, int]) -> PostState | PageState | None:
        _, seq, kind, gid, pid = entry
        page = self.pages.get(gid)
        if page is None or page.unreachable is not None:
            return None
        if kind == CHECK:
            post = page.posts.get(pid)
            if post is None or post.seq != seq or post.unreachable is not None:
                return None
            return post
        if kind == PROBE:
            return page if page.probe_seq == seq else None
        return page if page.wall_seq == seq else None

    def _top(self, heap: list[tuple[float, int, int, int, int]]) -> tuple[float, int] | None:
        while heap and self._live(heap[0]) is None:
            heapq.heappop(heap)
        return (heap[0][0], heap[0][2]) if heap else None

    def _triggered(self, now: float) -> bool:
        """Whether due work justifies a request of its own (rather than riding along).

        Checks trigger when due; probes and safety-net ``wall.get`` calls only when long
        overdue (they normally ride in requests that go anyway); bootstrap calls at once.
        """
        top = self._top(self._heap)
        if top is not None:
            due, kind = top
            if due + (self.cfg.probe_slack_s if kind == PROBE else 0.0) <= now:
                return True
        wall = self._top(self._walls)
        if wall is not None:
            page = self.pages[self._walls[0][3]]
            slack = self.cfg.wall_get_slack_s if page.bootstrapped else 0.0
            if wall[0] + slack <= now:
                return True
        return False

    # ------------------------------------------------------------------ planning

    def reconcile(self, group_id: int) -> None:
        """After a Long Poll gap or a restart: check the page's posts and wall now."""
        page = self.pages.get(group_id)
        if page is None:
            return
        now = self._now()
        for post in page.posts.values():
            if post.unreachable is None:
                self._push(now, CHECK, group_id, post)
        self._push(now, PROBE, group_id)
        self._push_wall_get(page, now)

    def _retier(self, now: float) -> None:
        """Re-estimate each post's comment rate and pick the hot set and the probe periods."""
        cfg = self.cfg
        tau = cfg.rate_tau_s
        horizon = now - cfg.watch_days * 86400
        scored: list[tuple[float, PostState, PageState]] = []
        total = 0.0
        for page in self.pages.values():
            if page.unreachable is not None:
                continue
            for pid in [p for p, s in page.posts.items() if s.created < horizon]:
                del page.posts[pid]
            live = [p for p in page.posts.values() if p.unreachable is None]
            if not live:
                continue
            page_n = 0.0
            for p in live:
                p.n *= math.exp(-(now - p.n_at) / tau)
                p.n_at = now
                page_n += p.n
            k = len(live)
            newest = max(p.created for p in live)
            oldest = min(p.created for p in live)
            page.post_rate = k / max(now - oldest, 86400.0)
            for p in live:
                h = p.n + cfg.tail_weight * page_n / k + 1e-6
                if now - p.created < 2 * 3600 or p.created == newest:
                    h += 0.5 * page_n + 0.05
                if page.longpoll:
                    h *= 1e-6  # pushed to us; polling only reconciles
                scored.append((h, p, page))
                total += h
        scored.sort(key=lambda x: x[0], reverse=True)
        acc = 0.0
        self.hot_posts = 0
        for h, p, page in scored:
            acc += h
            period = cfg.hot_period_s if acc <= cfg.hot_share * total else cfg.cold_period_s
            self.hot_posts += period == cfg.hot_period_s
            if page.longpoll:
                period = cfg.cold_period_s
            if period != p.period:
                p.period = period
                self._push(max(p.checked + period, now), CHECK, page.group_id, p)
        self._plan_probes_and_wall_gets(now)
        self._last_retier = now

    def _plan_probes_and_wall_gets(self, now: float) -> None:
        cfg = self.cfg
        for page in self.pages.values():
            if page.unreachable is not None or not page.bootstrapped:
                continue
            period = 0.1 / max(page.post_rate, 1e-9)
            period = min(max(period, cfg.probe_min_s), cfg.probe_max_s)
            if page.probe_seq == 0:
                self._push(now + period * (page.group_id % 97) / 97, PROBE, page.group_id)

    def wall_get_interval(self, page: PageState, budget_per_s: float, total_rate: float) -> float:
        """Seconds between safety-net ``wall.get`` calls of ``page`` under the day's budget."""
        share = max(page.post_rate, 1e-9) / max(total_rate, 1e-9)
        interval = 1.0 / max(budget_per_s * share, 1e-9)
        return max(interval, self.cfg.wall_get_min_interval_s)

    def _wall_get_budget(self, clients: list[VkClient]) -> float:
        now_dt = self.clock.now()
        left = 0
        for c in clients:
            if c.usable() and c.kind != "group":
                left += c.quota.remaining("wall.get", now_dt) or 0
        return left * self.cfg.wall_get_budget_share / seconds_to_reset(now_dt)

    def _due(self, now: float) -> bool:
        if self._fetch_queue:
            oldest = min(f.queued_at for f in self._fetch_queue)
            if now - oldest >= self.cfg.fetch_coalesce_s or len(self._fetch_queue) >= 10:
                return True
        return self._triggered(now)

    def _build(
        self, client: VkClient, clients: list[VkClient], now: float
    ) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, Any]]]:
        """One execute's calls and what each one is for."""
        calls: list[tuple[str, dict[str, Any]]] = []
        meta: list[tuple[str, Any]] = []
        cfg = self.cfg
        # 1. comments of changed posts (and their deep threads)
        while self._fetch_queue and len(calls) < CALLS_PER_EXECUTE:
            fetch = self._fetch_queue[0]
            if not fetch.tasks:
                self._fetch_queue.pop(0)
                continue
            offset, thread = fetch.tasks.pop(0)
            fetch.in_flight += 1
            calls.append(("wall.getComments", _comments_params(fetch.post, offset, thread)))
            meta.append(("comments", (fetch, offset, thread)))
            if not fetch.tasks:
                self._fetch_queue.pop(0)
        # 2. learn the newest comment id of freshly bootstrapped walls (for the id trick)
        n_sync = 0
        while self._sync and n_sync < cfg.sync_per_request and len(calls) < CALLS_PER_EXECUTE:
            post = self._sync.pop()
            params = {"owner_id": post.owner_id, "post_id": post.post_id, "count": 1}
            calls.append(("wall.getComments", {**params, "sort": "desc", "preview_length": 1}))
            meta.append(("sync", post))
            n_sync += 1
        # 3. safety-net wall.get calls that are due, where this token has quota
        quota_left = client.quota.remaining("wall.get", self.clock.now()) or 0
        can_wall_get = client.kind != "group" and quota_left > 0
        deferred: list[tuple[float, int, int, int, int]] = []
        while self._walls and self._walls[0][0] <= now and len(calls) < CALLS_PER_EXECUTE - 1:
            entry = heapq.heappop(self._walls)
            page = self._live(entry)
            if page is None:
                continue
            assert isinstance(page, PageState)
            if not can_wall_get or quota_left <= 0:
                deferred.append((now + 300.0, *entry[1:]))
                continue
            quota_left -= 1
            count = cfg.wall_get_count if page.bootstrapped else cfg.bootstrap_count
            calls.append(("wall.get", {"owner_id": -page.group_id, "count": count}))
            meta.append(("wall", page))
            page.wall_seq = -1  # in flight; rescheduled on the answer
        for entry in deferred:
            heapq.heappush(self._walls, entry)
        # 4. getById chunks: checks and probes by due time, pulled forward to fill the request.
        # Checks and probes go in separate calls: a check needs only ids and comment counts
        # (projected, see VkClient.execute), a probe hit needs the whole post.
        limit = cfg.refs_per_getbyid
        bufs: dict[int, tuple[list[str], list[tuple[int, PageState | PostState]]]] = {
            CHECK: ([], []),
            PROBE: ([], []),
        }

        def open_calls() -> int:
            return len(calls) + sum(1 for refs, _ in bufs.values() if refs)

        def flush(kind: int) -> None:
            refs, refs_meta = bufs[kind]
            calls.append(("wall.getById", {"posts": ",".join(refs)}))
            meta.append(("byid" if kind == CHECK else "probe", refs_meta))
            bufs[kind] = ([], [])

        while self._heap:
            entry = self._heap[0]
            target = self._live(entry)
            if target is None:
                heapq.heappop(self._heap)
                continue
            kind = PROBE if entry[2] == PROBE else CHECK
            refs, refs_meta = bufs[kind]
            if not refs and open_calls() >= CALLS_PER_EXECUTE:
                break
            if kind == PROBE:
                assert isinstance(target, PageState)
                ids = self._probe_ids(target)
                if len(refs) + len(ids) > limit:
                    flush(kind)
                    continue
                heapq.heappop(self._heap)
                refs.extend(f"{-target.group_id}_{i}" for i in ids)
                refs_meta.append((PROBE, target))
                target.probe_seq = -1
                target.probe_round += 1
            else:
                assert isinstance(target, PostState)
                if len(refs) + 1 > limit:
                    flush(kind)
                    continue
                heapq.heappop(self._heap)
                refs.append(f"{target.owner_id}_{target.post_id}")
                refs_meta.append((CHECK, target))
                target.seq = -1
        for kind in (CHECK, PROBE):
            if bufs[kind][0]:
                flush(kind)
        return calls, meta

    # ------------------------------------------------------------------ running

    async def run_worker(
        self, client: VkClient, clients: list[VkClient], sink: Sink, stop: Any
    ) -> None:
        """Poll with one token until ``stop`` (an asyncio.Event) is set."""
        while not stop.is_set():
            if not client.usable():
                await self.clock.sleep(self.cfg.idle_step_s * 10)
                continue
            try:
                batch = await self.step(client, clients)
            except Exception:
                log.exception("collector step failed on token %s", client.token_hint)
                await self.clock.sleep(self.cfg.idle_step_s * 5)
                continue
            if batch is None:
                await self.clock.sleep(self.cfg.idle_step_s)
                continue
            try:
                await sink(batch)
            except Exception:
                # Storage failed; the sink forgot the batch, so its posts are re-read later.
                log.exception("storing a collector batch failed")
                await self.clock.sleep(self.cfg.idle_step_s * 5)

    async def step(self, client: VkClient, clients: list[VkClient]) -> Batch | None:
        """Send one request if work is due; None when there was nothing to do yet."""
        now = self._now()
        if now - self._last_retier >= self.cfg.retier_every_s:
            self._retier(now)
        if not self._due(now):
            return None
        calls, meta = self._build(client, clients, now)
        if not calls:
            return None
        batch = Batch()
        sent = self.clock.monotonic()
        try:
            results = await client.execute(
                calls, [CHECK_FIELDS if kind == "byid" else None for kind, _ in meta]
            )
        except (TokenUnusable, QuotaExhausted, VkError) as exc:
            log.warning("request failed on token %s: %s", client.token_hint, exc)
            self._requeue(meta)
            return batch
        self.requests += 1
        self.api_calls += len(calls)
        if len(self.rtt_s) < 100_000:
            self.rtt_s.append(self.clock.monotonic() - sent)
        now = self._now()
        for (kind, what), result in zip(meta, results, strict=True):
            if isinstance(result, VkError):
                self.inner_errors[result.code] = self.inner_errors.get(result.code, 0) + 1
            if kind == "comments":
                self._on_comments(what, result, batch, now)
            elif kind in ("byid", "probe"):
                self._on_by_id(what, result, batch, now)
            elif kind == "wall":
                self._on_wall_get(what, result, batch, now, clients)
            elif kind == "sync" and isinstance(result, dict):
                for item in result.get("items", []):
                    page = self.pages[-what.owner_id]
                    page.max_seen_id = max(page.max_seen_id, int(item["id"]))
        return batch

    def _requeue(self, meta: list[tuple[str, Any]]) -> None:
        now = self._now()
        for kind, what in meta:
            if kind == "comments":
                fetch, offset, thread = what
                fetch.in_flight -= 1
                fetch.tasks.append((offset, thread))
                if fetch not in self._fetch_queue:
                    self._fetch_queue.append(fetch)
            elif kind in ("byid", "probe"):
                for k, target in what:
                    if k == CHECK:
                        self._push(now, CHECK, -target.owner_id, target)
                    else:
                        self._push(now, PROBE, target.group_id)
            elif kind == "wall":
                self._push_wall_get(what, now + 60.0)
            elif kind == "sync":
                self._sync.append(what)

    # ------------------------------------------------------------------ answers

    def _seen_count(self, post: PostState, count: int, batch: Batch, now: float) -> None:
        post.checked = now
        page = self.pages[-post.owner_id]
        self._push(now + post.period, CHECK, page.group_id, post)
        if post.fetching:
            return
        if count != post.count:
            self._start_fetch(post, now)
        elif not post.stored:
            batch.posts.append(
                PostEvent(post.owner_id, post.post_id, from_unix(post.created), post.text, count)
            )
            self._on_confirm(batch, lambda: _mark_stored(post))

    def _start_fetch(self, post: PostState, now: float, *, reconcile: bool = False) -> None:
        post.fetching = True
        fetch = _Fetch(post, now, tasks=[(0, None)], reconcile=reconcile)
        self._fetches[(post.owner_id, post.post_id)] = fetch
        self._fetch_queue.append(fetch)

    def _on_by_id(
        self, refs_meta: list[tuple[int, Any]], result: Any, batch: Batch, now: float
    ) -> None:
        if isinstance(result, VkError):
            self._requeue([("byid", refs_meta)])
            return
        items = result.get("items", []) if isinstance(result, dict) else result
        found: dict[tuple[int, int], dict[str, Any]] = {
            (int(i["owner_id"]), int(i["id"])): i for i in items or []
        }
        for kind, target in refs_meta:
            if kind == CHECK:
                item = found.get((target.owner_id, target.post_id))
                if item is None:
                    target.unreachable = "not returned by wall.getById: deleted or hidden"
                    target.fetching = False
                    continue
                self._seen_count(target, _comments_count(item), batch, now)
            else:
                page: PageState = target
                new = [
                    it
                    for (owner, pid), it in found.items()
                    if owner == -page.group_id and pid > page.max_seen_id
                ]
                for it in sorted(new, key=lambda x: int(x["id"])):
                    self._discovered(page, it, batch, now)
                # Found something: there may be more right behind it.
                period = 5.0 if new else self._probe_period(page)
                self._push(now + period, PROBE, page.group_id)

    def _probe_ids(self, page: PageState) -> list[int]:
        """Ids to probe: the few right above the highest id seen, plus a block further up
        that moves on every probe, so a post behind ids spent on comments we have not read
        (cold posts, unwatched old posts, deleted comments) is still found within a few
        probes instead of stalling until a ``wall.get``."""
        cfg = self.cfg
        top = page.max_seen_id
        ids = [top + i for i in range(1, cfg.probe_ids + 1)]
        if cfg.probe_far_ids > 0 and cfg.probe_far_steps > 0:
            step = page.probe_round % cfg.probe_far_steps
            first = top + cfg.probe_ids + 1 + step * cfg.probe_far_ids
            ids.extend(range(first, first + cfg.probe_far_ids))
        return ids

    def _probe_period(self, page: PageState) -> float:
        period = 0.1 / max(page.post_rate, 1e-9)
        return min(max(period, self.cfg.probe_min_s), self.cfg.probe_max_s)

    def _discovered(
        self,
        page: PageState,
        item: dict[str, Any],
        batch: Batch,
        now: float,
        *,
        baseline: bool = False,
    ) -> None:
        """Start watching a post; ``baseline``: its current comments predate our watch."""
        pid = int(item["id"])
        page.max_seen_id = max(page.max_seen_id, pid)
        if pid in page.posts:
            return
        created = float(item.get("date", now))
        if created < now - self.cfg.watch_days * 86400:
            return
        post = self._new_post(page, pid, created, 0)
        post.text = str(item.get("text", ""))
        page_n = sum(p.n for p in page.posts.values())
        post.n = max(0.5 * page_n, 0.5)
        if baseline and not self.cfg.backfill:
            post.count = _comments_count(item)
            post.n = post.count * min(1.0, self.cfg.rate_tau_s / max(now - created, 3600.0))
        else:
            page.last_new_post = now
        page.bootstrapped = True
        self._seen_count(post, _comments_count(item), batch, now)

    def _on_wall_get(
        self, page: PageState, result: Any, batch: Batch, now: float, clients: list[VkClient]
    ) -> None:
        page.wall_get_calls += 1
        if isinstance(result, VkError):
            if result.code in OBJECT_CODES:
                page.unreachable = f"[{result.code}] {result.message}"
                return
            self._push_wall_get(page, now + 300.0)
            return
        page.last_wall_get = now
        first = not page.bootstrapped
        for item in result.get("items", []):
            pid = int(item["id"])
            if pid in page.posts:
                post = page.posts[pid]
                page.max_seen_id = max(page.max_seen_id, pid)
                if post.unreachable is None:
                    self._seen_count(post, _comments_count(item), batch, now)
            else:
                self._discovered(page, item, batch, now, baseline=first)
        page.bootstrapped = True
        if first:
            live = list(page.posts.values())
            commented = [p for p in live if p.count > 0 or p.fetching]
            if commented:
                self._sync.append(max(commented, key=lambda p: p.created))
            if live:
                oldest = min(p.created for p in live)
                page.post_rate = len(live) / max(now - oldest, 86400.0)
            self._push(now + self._probe_period(page), PROBE, page.group_id)
        budget = self._wall_get_budget(clients)
        total_rate = sum(p.post_rate for p in self.pages.values()) or 1.0
        self._push_wall_get(page, now + self.wall_get_interval(page, budget, total_rate))

    def _on_comments(
        self, what: tuple[_Fetch, int, int | None], result: Any, batch: Batch, now: float
    ) -> None:
        fetch, offset, thread = what
        fetch.in_flight -= 1
        post = fetch.post
        if isinstance(result, VkError):
            if result.code in OBJECT_CODES:
                post.unreachable = f"[{result.code}] {result.message}"
                post.fetching = False
                self._fetches.pop((post.owner_id, post.post_id), None)
                if fetch in self._fetch_queue:
                    self._fetch_queue.remove(fetch)
                return
            fetch.tasks.append((offset, thread))
            if fetch not in self._fetch_queue:
                self._fetch_queue.append(fetch)
            return
        fetch.names.update(names_from_extended(result))
        items: list[dict[str, Any]] = result.get("items", [])
        for item in items:
            fetch.items[int(item["id"])] = item
            if thread is None:
                th = item.get("thread") or {}
                replies = th.get("items") or []
                for r in replies:
                    fetch.items[int(r["id"])] = r
                if int(th.get("count", 0)) > len(replies):
                    fetch.tasks.append((0, int(item["id"])))
        if thread is None:
            fetch.total = int(result.get("count", 0))
            level = int(result.get("current_level_count", fetch.total))
        else:
            level = int(result.get("count", 0))
        if items and offset + len(items) < level:
            fetch.tasks.append((offset + len(items), thread))
        if fetch.tasks and fetch not in self._fetch_queue:
            self._fetch_queue.append(fetch)
        if not fetch.tasks and fetch.in_flight == 0:
            self._finish_fetch(fetch, batch, now)

    def _finish_fetch(self, fetch: _Fetch, batch: Batch, now: float) -> None:
        post = fetch.post
        page = self.pages[-post.owner_id]
        self._fetches.pop((post.owner_id, post.post_id), None)
        snapshot: dict[int, int] = {}
        old = post.snapshot
        for cid, item in fetch.items.items():
            page.max_seen_id = max(page.max_seen_id, cid)
            if item.get("deleted"):
                continue
            ev = comment_from_vk(item, post.owner_id, post.post_id, fetch.names)
            h = hash(ev.text)
            snapshot[cid] = h
            if old is None or cid not in old:
                batch.comments.append(ev)
            elif old[cid] != h:
                batch.comments.append(replace(ev, change=CommentChange.EDIT))
        if old is not None:
            for cid in old.keys() - snapshot.keys():
                batch.comments.append(
                    CommentEvent(
                        post.owner_id,
                        post.post_id,
                        cid,
                        0,
                        "",
                        from_unix(now),
                        change=CommentChange.DELETE,
                    )
                )
        added = len(snapshot) - (len(old) if old is not None else post.count)
        if added > 0:
            post.n = post.n * math.exp(-(now - post.n_at) / self.cfg.rate_tau_s) + added
            post.n_at = now
        count = fetch.total
        batch.posts.append(
            PostEvent(post.owner_id, post.post_id, from_unix(post.created), post.text, count)
        )
        post.fetching = False

        def confirm() -> None:
            post.count = count
            post.snapshot = snapshot
            _mark_stored(post)

        self._on_confirm(batch, confirm)
        page.api_calls += 1

    def _on_confirm(self, batch: Batch, fn: Callable[[], None]) -> None:
        self._pending.setdefault(id(batch), []).append(fn)

    def confirm(self, batch: Batch) -> None:
        """Storage committed ``batch``: move counts and snapshots forward."""
        for fn in self._pending.pop(id(batch), []):
            fn()

    def forget(self, batch: Batch) -> None:
        """Storage failed on ``batch``: its posts will be noticed as changed and re-read."""
        self._pending.pop(id(batch), None)

    # ------------------------------------------------------------------ push (Long Poll)

    def on_pushed_post(self, owner_id: int, item: dict[str, Any], batch: Batch) -> None:
        """A ``wall_post_new`` from Long Poll: start watching the post at once."""
        page = self.pages.get(-owner_id)
        if page is not None:
            self._discovered(page, item, batch, self._now())

    def on_pushed_comment(self, owner_id: int, post_id: int, comment_id: int) -> None:
        """A pushed comment: raise the post's observed rate and the wall's highest id."""
        page = self.pages.get(-owner_id)
        if page is None:
            return
        page.max_seen_id = max(page.max_seen_id, comment_id)

    # ------------------------------------------------------------------ coverage

    def coverage(self) -> list[PageCoverage]:
        now = self._now()
        out = []
        for page in self.pages.values():
            live = [p for p in page.posts.values() if p.unreachable is None]
            checked = [p.checked for p in live]
            oldest = min(checked) if checked else page.last_wall_get
            last = from_unix(oldest) if oldest > 0 else None
            out.append(
                PageCoverage(
                    group_id=page.group_id,
                    last_checked_at=last,
                    lag_s=(now - oldest) if oldest > 0 else None,
                    watched_posts=len(live),
                    unreachable_posts=len(page.posts) - len(live),
                    wall_get_calls=page.wall_get_calls,
                    api_calls=page.api_calls,
                    unreachable_reason=page.unreachable,
                    longpoll=page.longpoll,
                    max_seen_id=page.max_seen_id,
                )
            )
        return out

    def unreachable_posts(self) -> dict[tuple[int, int], str]:
        return {
            (p.owner_id, p.post_id): p.unreachable
            for page in self.pages.values()
            for p in page.posts.values()
            if p.unreachable is not None
        }

    def watched_posts(self) -> int:
        return sum(len(p.posts) for p in self.pages.values())


def _mark_stored(post: PostState) -> None:
    post.stored = True
    post.text = None


def _comments_count(item: dict[str, Any]) -> int:
    return int((item.get("comments") or {}).get("count", 0))


def _comments_params(post: PostState, offset: int, thread: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "owner_id": post.owner_id,
        "post_id": post.post_id,
        "count": PAGE_SIZE,
        "offset": offset,
        "sort": "asc",
        "preview_length": 0,
        "extended": 1,
        "fields": "first_name,last_name",
    }
    if thread is None:
        params["thread_items_count"] = 10
    else:
        params["comment_id"] = thread
    return params


__all__ = ["Collector", "CollectorConfig", "PageCoverage"]
