"""The budget-aware polling collector (issue 3): every new comment, on one token's budget.

Why it is built this way (product.md §7, vk-api.md §2, §5):

* **Counts, not comments.** ``wall.getById`` returns up to 100 posts with ``comments.count``;
  ``execute`` packs 25 such calls, so one HTTP request checks 2,500 posts.  ``wall.getComments``
  is spent only on a post whose count moved, and it rides in the same ``execute`` requests.
* **A check budget, spent where comments come.** ``checks_per_s`` posts a second (about 0.4
  requests) are checked on average.  Each post's expected comment rate is estimated from what
  was seen on it (decayed), plus its page's activity spread by freshness (comments go mostly
  to the newest posts) and a flat tail share.  Every post is checked at least every
  ``cold_period_s``; the rest of the budget makes the posts with the highest rates "hot",
  checked every ``hot_period_s``.  For a share of comments seen within a delay, checking the
  likeliest posts as often as the delay needs and the others at the floor is optimal (the
  late share is linear in each post's check frequency).  Requests are work-conserving: a
  request that goes anyway is filled with the checks due next.
* **The wall's id counter.** A wall numbers posts and comments from one counter (believed for
  VK, true in the fake).  So a comment read with an id further above the highest id seen than
  the ids read in between means something else was written on that wall: its posts are
  checked at once and the unexplained ids are probed with ``wall.getById`` (one may be a new
  post).  And ``wall.getById`` on the few ids just above the highest seen finds new posts
  without spending the ``wall.get`` quota; the probes are spread by posting and comment
  activity.  ``wall.get`` stays as the safety net, spread over the day's remaining quota in
  proportion to page activity, so the code keeps working if the counter trick is wrong on
  real VK.
* **Cheap to run.** Re-scoring the posts is done a slice per step, and the check queues are
  FIFO per period (a check is due one period after the last), so a region of 200k posts costs
  a few percent of a core and never blocks the event loop (Long Poll shares it).  And little
  memory (issue 11): a watched post is a row of flat arrays (:class:`_Rows`, read through
  :class:`PostState` views), a queued check 32 bytes of arrays (:class:`_Fifo`), a comment
  snapshot 16 bytes a comment (:class:`Snapshot`): ~180 bytes a post in all, ~610 before.
* **Edits** (issue 11) do not move a post's comment count, so no count check sees them.  A post
  that residents commented on is re-read a few times after its latest comment, on a schedule
  that thins out with time since (1, 3, 10, 30 and 90 minutes by default): one
  ``wall.getComments`` for its newest comments (plus one per deep thread with recent replies)
  that rides in a request going anyway.  Each text is compared with what storage has; the
  answer's count doubles as a count check.  Re-reads are charged to the check budget (a call
  is worth ``refs_per_getbyid`` checks, times ``reread_charge``: they mostly displace checks
  pulled forward to fill requests), and the later steps are dropped when their calls would be
  worth more than ``reread_share`` of it.
* **Past the window** (issue 11).  A post is watched ``watch_days`` from its creation *or its
  latest comment*, so a post that residents keep commenting on stays watched.  One that falls
  silent goes *dormant*: its count is still checked, on a slow schedule sized from
  ``dormant_share`` of the budget (every ``cold_period_s`` in a small region, up to
  ``dormant_max_period_s`` in a big one), for ``dormant_days``; a comment wakes it up.  When
  the id counter shows ids nobody explains, the page's dormant posts are checked at once.
  What is not watched at all (older than ``dormant_days`` or beyond ``dormant_per_page``) is
  counted per page, so ``otklik status`` and /status can say so.
* **Exactly once.** Comment counts and comment snapshots move forward only in :meth:`confirm`,
  after storage committed the batch, so a crash re-fetches rather than loses.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
from array import array
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

import numpy as np

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
# Farthest the moving probe block reaches above the highest id seen.
MAX_PROBE_SPAN = 60
# Queue entry kinds.
CHECK, PROBE, WALLGET, DORMANT, REREAD = 0, 1, 2, 3, 4
# Check sources, in the order of ``Collector._queues``.
SOURCE_NAMES = ("soon", "probe", "hot", "cold", "dormant", "reread")
# Queue entry: (due, seq, kind, group id, post id); stale entries are skipped (``seq``).
Entry = tuple[float, int, int, int, int]


@dataclass
class CollectorConfig:
    """Knobs of the collector; defaults fit a region of thousands of pages on 3 rps tokens."""

    watch_days: float = 14.0
    hot_period_s: float = 40.0
    cold_period_s: float = 600.0
    # Posts checked per second on average, all tokens together (a request checks up to 2,500,
    # so 1,000 is ~0.4 requests/s, a few percent of three 3-rps tokens): the floor (every post
    # once per cold period) and the probes come first, the rest makes the hot set.
    checks_per_s: float = 950.0
    # Never more hot posts than carry this share of the expected comments (small regions).
    hot_share: float = 0.999
    # Rate model: observed comments decay with ``rate_tau_s``; a page's activity (its decayed
    # comments plus ``page_prior``) is spread over its posts by freshness (``fresh_tau_s``,
    # weight ``fresh_weight``) and evenly (``tail_weight``, old posts get comments too).
    rate_tau_s: float = 6 * 3600.0
    fresh_tau_s: float = 12 * 3600.0
    fresh_weight: float = 1.0
    tail_weight: float = 0.15
    page_prior: float = 0.3
    retier_every_s: float = 300.0
    retier_chunk: int = 1500  # posts re-scored per step (a few ms: Long Poll shares the loop)
    fetch_coalesce_s: float = 1.0
    fetch_max_wait_s: float = 3.0
    # After the id counter showed unseen activity on a wall, re-check its posts not checked
    # for this long, and probe up to ``gap_probe_ids`` of the unexplained ids.
    gap_recheck_s: float = 10.0
    # Checks pulled in by the id counter or a promotion wait this long, so they ride in a
    # request that goes anyway (one goes every few seconds) rather than sending their own.
    soon_delay_s: float = 5.0
    gap_probe_ids: int = 25
    probe_ids: int = 3
    # A block of ids further up, moved on each probe over ``probe_far_steps`` positions.
    probe_far_ids: int = 3
    probe_far_steps: int = 8
    # Probe refs per second, all pages together, spread by posting and comment activity.
    probe_refs_per_s: float = 70.0
    probe_min_s: float = 60.0
    probe_max_s: float = 900.0
    probe_slack_s: float = 60.0
    wall_get_slack_s: float = 300.0
    # Read the comments already under posts found at a page's first look (costly on big
    # regions; storage would get history it may not need).
    backfill: bool = False
    wall_get_count: int = 10
    bootstrap_count: int = 30
    wall_get_min_interval_s: float = 900.0
    wall_get_budget_share: float = 0.9
    refs_per_getbyid: int = REFS_PER_GETBYID
    idle_step_s: float = 0.5
    # Edits (issue 11): seconds after a post's latest resident comment at which its newest
    # comments are read again (an edit does not move the comment count).
    reread_after_s: tuple[float, ...] = (60.0, 180.0, 600.0, 1800.0, 5400.0)
    reread_count: int = 20  # newest top-level comments (and their first replies) re-read
    reread_threads: int = 2  # deep threads with recent replies re-read along with the post
    reread_share: float = 0.15  # of the check budget at most; later steps dropped beyond
    # What a re-read call is charged, in getById calls' worth of checks: re-reads mostly take
    # the place of checks pulled forward to fill requests that go anyway (charged in full,
    # the benchmark sent 6% fewer requests than before and its p95 delay rose 42 -> 58 s).
    reread_charge: float = 0.25
    reread_pull_s: float = 10.0  # a re-read may ride this much before it is due
    reread_slack_s: float = 30.0  # overdue this long: it sends a request of its own
    # Past the window (issue 11): silent posts stay "dormant" this long after creation, at
    # most this many per page, checked every dormant period (from ``dormant_share`` of the
    # budget, between ``cold_period_s`` and ``dormant_max_period_s``).
    dormant_days: float = 90.0
    dormant_per_page: int = 50
    dormant_share: float = 0.05
    dormant_max_period_s: float = 6 * 3600.0
    dormant_slack_s: float = 600.0
    # Ids the counter showed and nobody explains this long after: check the dormant posts.
    orphan_wait_s: float = 60.0


class Snapshot:
    """Comment id -> hash of its text, as storage has them: one flat array, the sorted ids
    then their hashes (16 bytes a comment; a dict took ~100, and a region keeps one per post
    that residents commented on)."""

    __slots__ = ("_a",)

    def __init__(self, hashes: dict[int, int]) -> None:
        ids = sorted(hashes)
        self._a = array("q", ids)
        self._a.extend(hashes[cid] for cid in ids)

    def __len__(self) -> int:
        return len(self._a) // 2

    def get(self, cid: int) -> int | None:
        n = len(self._a) // 2
        i = bisect_left(self._a, cid, 0, n)
        return self._a[n + i] if i < n and self._a[i] == cid else None

    def __contains__(self, cid: int) -> bool:
        return self.get(cid) is not None

    def ids(self) -> list[int]:
        return self._a[: len(self._a) // 2].tolist()

    def set_hashes(self, hashes: dict[int, int]) -> None:
        """New texts of comments it has (an edit); ids it does not have are ignored."""
        n = len(self._a) // 2
        for cid, h in hashes.items():
            i = bisect_left(self._a, cid, 0, n)
            if i < n and self._a[i] == cid:
                self._a[n + i] = h


class _PostMore:
    """What few posts need at a time: a new post's text until storage has it, why it is
    unreachable, its comment snapshot (once comments were read) and its re-read schedule."""

    __slots__ = (
        "recent",
        "reread_at",
        "reread_seq",
        "reread_step",
        "snapshot",
        "text",
        "unreachable",
    )

    def __init__(self) -> None:
        self.text: str | None = None
        self.unreachable: str | None = None
        self.snapshot: Snapshot | None = None
        self.reread_at = 0.0
        self.reread_step = 0
        self.reread_seq = 0
        self.recent: dict[int, int] | None = None

    def unused(self) -> bool:
        return (
            self.text is None
            and self.unreachable is None
            and self.snapshot is None
            and not self.reread_at
            and not self.reread_step
            and not self.reread_seq
            and self.recent is None
        )


class _Rows:
    """Every watched post of a collector as one row of flat arrays (~90 bytes a post).

    A big region watches ~200k posts (6,000 pages, two weeks of posts); as objects with their
    numbers, queue entries and dict slots they took ~610 bytes each, the most of an idle
    process's memory (issue 11, ``bench/idle.py``).  A post is read and written through a
    :class:`PostState` view; a row freed when its post stops being watched is reused, and
    its generation moves on, so an old view of it reads defaults and writes nothing."""

    __slots__ = (
        "active", "checked", "count", "created", "flags", "free", "gen", "h", "more", "n",
        "n_at", "period", "seq",
    )  # fmt: skip

    def __init__(self) -> None:
        self.gen = array("I")
        self.created = array("d")
        self.count = array("q")  # confirmed by storage
        self.n = array("d")  # decayed number of recent comments (rate estimate = n / tau)
        self.n_at = array("d")
        self.h = array("d")  # expected comments (same units as n), from the last scoring
        self.period = array("d")
        self.checked = array("d")  # last time its count was seen
        self.seq = array("q")  # queue entry that is current (lazy invalidation)
        self.active = array("d")  # date of the newest comment seen (keeps an old post watched)
        self.flags = array("B")
        self.more: dict[int, _PostMore] = {}
        self.free = array("q")

    def new(self, created: float, count: int) -> int:
        if self.free:
            row = self.free.pop()
            self.created[row], self.count[row] = created, count
            for col in (self.n, self.n_at, self.h, self.period, self.checked, self.active):
                col[row] = 0.0
            self.seq[row] = self.flags[row] = 0
            return row
        self.gen.append(0)
        self.created.append(created)
        self.count.append(count)
        for col in (self.n, self.n_at, self.h, self.period, self.checked, self.active):
            col.append(0.0)
        self.seq.append(0)
        self.flags.append(0)
        return len(self.gen) - 1

    def release(self, row: int) -> None:
        self.gen[row] = (self.gen[row] + 1) & 0xFFFFFFFF
        self.more.pop(row, None)
        self.free.append(row)

    def unreachable(self, row: int) -> bool:
        more = self.more.get(row)
        return more is not None and more.unreachable is not None


T = TypeVar("T")


class _Col(Generic[T]):
    """A :class:`PostState` attribute kept in a column of :class:`_Rows`."""

    def __init__(self, default: T) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, post: PostState, owner: type | None = None) -> T:
        rows, row = post._rows, post._row
        if rows.gen[row] != post._gen:
            return self.default
        return cast(T, getattr(rows, self.name)[row])

    def __set__(self, post: PostState, value: T) -> None:
        rows, row = post._rows, post._row
        if rows.gen[row] == post._gen:
            getattr(rows, self.name)[row] = value


class _More(Generic[T]):
    """A :class:`PostState` attribute kept in its :class:`_PostMore` (made when first set to
    something other than the default, dropped when all of it is back to the defaults)."""

    def __init__(self, default: T) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, post: PostState, owner: type | None = None) -> T:
        rows, row = post._rows, post._row
        more = rows.more.get(row) if rows.gen[row] == post._gen else None
        return self.default if more is None else cast(T, getattr(more, self.name))

    def __set__(self, post: PostState, value: T) -> None:
        rows, row = post._rows, post._row
        if rows.gen[row] != post._gen:
            return
        more = rows.more.get(row)
        if more is None:
            if value is self.default or value == self.default:
                return
            more = rows.more[row] = _PostMore()
        setattr(more, self.name, value)
        if more.unused():
            del rows.more[row]


class _Flag:
    """A :class:`PostState` flag kept as a bit of its row's flags."""

    def __init__(self, bit: int) -> None:
        self.bit = bit

    def __get__(self, post: PostState, owner: type | None = None) -> bool:
        rows, row = post._rows, post._row
        return rows.gen[row] == post._gen and bool(rows.flags[row] & self.bit)

    def __set__(self, post: PostState, on: bool) -> None:
        rows, row = post._rows, post._row
        if rows.gen[row] == post._gen:
            rows.flags[row] = rows.flags[row] | self.bit if on else rows.flags[row] & ~self.bit


class PostState:
    """A watched post: a view of its row in :class:`_Rows` (views come and go; the row is
    the post).  Two views of one row are equal."""

    __slots__ = ("_gen", "_row", "_rows", "owner_id", "post_id")

    created: _Col[float] = _Col(0.0)
    count: _Col[int] = _Col(0)  # confirmed by storage
    n: _Col[float] = _Col(0.0)  # decayed number of recent comments (rate estimate = n / tau)
    n_at: _Col[float] = _Col(0.0)
    h: _Col[float] = _Col(0.0)  # expected comments (same units as n), from the last scoring
    period: _Col[float] = _Col(0.0)
    checked: _Col[float] = _Col(0.0)  # last time its count was seen
    seq: _Col[int] = _Col(0)  # queue entry that is current (lazy invalidation)
    active: _Col[float] = _Col(0.0)  # date of the newest comment seen (keeps it watched)
    fetching = _Flag(1)
    stored = _Flag(2)  # storage has the post row
    rereading = _Flag(4)
    text: _More[str | None] = _More(None)  # kept only until the post is stored
    unreachable: _More[str | None] = _More(None)
    snapshot: _More[Snapshot | None] = _More(None)  # comment id -> hash(text), confirmed
    # Re-reads for edits: the latest resident comment's date, the next step, the queue entry
    # that is current, and the recent comments (id -> thread root if it came from a thread
    # call, else 0) a re-read must cover.
    reread_at: _More[float] = _More(0.0)
    reread_step: _More[int] = _More(0)
    reread_seq: _More[int] = _More(0)
    recent: _More[dict[int, int] | None] = _More(None)

    def __init__(self, rows: _Rows, row: int, owner_id: int, post_id: int) -> None:
        self._rows = rows
        self._row = row
        self._gen = rows.gen[row]
        self.owner_id = owner_id
        self.post_id = post_id

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PostState)
            and other._rows is self._rows
            and other._row == self._row
            and other._gen == self._gen
        )

    def __hash__(self) -> int:
        return hash((self._row, self._gen))


class PagePosts:
    """A page's watched posts: post id -> :class:`PostState`, kept as two arrays (the ids
    and their rows) in the order the posts came; a lookup scans the page's ids."""

    __slots__ = ("_owner", "_rows", "at", "ids")

    def __init__(self, rows: _Rows, owner_id: int) -> None:
        self._rows = rows
        self._owner = owner_id
        self.ids = array("q")
        self.at = array("q")  # row of each id

    def _view(self, i: int) -> PostState:
        return PostState(self._rows, self.at[i], self._owner, self.ids[i])

    def _index(self, post_id: int) -> int:
        try:
            return self.ids.index(post_id)
        except ValueError:
            return -1

    def get(self, post_id: int) -> PostState | None:
        i = self._index(post_id)
        return self._view(i) if i >= 0 else None

    def __getitem__(self, post_id: int) -> PostState:
        i = self._index(post_id)
        if i < 0:
            raise KeyError(post_id)
        return self._view(i)

    def __contains__(self, post_id: object) -> bool:
        return post_id in self.ids

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def __len__(self) -> int:
        return len(self.ids)

    def values(self) -> list[PostState]:
        return [self._view(i) for i in range(len(self.ids))]

    def add(self, post_id: int, created: float, count: int) -> PostState:
        row = self._rows.new(created, count)
        self.ids.append(post_id)
        self.at.append(row)
        return self._view(len(self.ids) - 1)

    def remove(self, post_id: int) -> None:
        i = self._index(post_id)
        if i >= 0:
            self._rows.release(self.at[i])
            del self.ids[i]
            del self.at[i]

    def clear(self) -> None:
        for row in self.at:
            self._rows.release(row)
        del self.ids[:]
        del self.at[:]


@dataclass(slots=True, eq=False)
class PageState:
    group_id: int
    posts: PagePosts
    owner_id: int = field(init=False)  # -group_id, one int shared by the page's posts
    max_seen_id: int = 0
    unreachable: str | None = None
    longpoll: bool = False
    post_rate: float = 0.0  # posts per second, from the watched posts' dates
    page_n: float = 0.0  # decayed comments on the page (sum of its posts' n)
    fresh_z: float = 0.0  # sum of the posts' freshness weights at ``scored_at``
    scored_at: float = 0.0
    # Lowest id a new post can have: comments known to exist above the newest post (their
    # ids are unknown until read) push it above ``max_seen_id``.
    probe_floor: int = 0
    gap_ids: list[int] = field(default_factory=list)  # unexplained ids to probe once
    # How far above the newest post unread comments may reach (from the first look's
    # comment counts), so the moving probe block covers that far; 0 once ids were read.
    probe_span: int = 0
    probe_period: float = 0.0
    last_wall_get: float = 0.0
    last_new_post: float = 0.0
    probe_seq: int = 0
    probe_round: int = 0
    wall_seq: int = 0
    wall_get_calls: int = 0
    api_calls: int = 0
    bootstrapped: bool = False
    # When Otklik first looked at the page (``pages.first_look_at``, from storage at a start;
    # this process's look once storage committed it); None: no look stored yet, so a
    # ``wall.get`` says it looked (``Batch.looked``).  A page looked at before this start is
    # bootstrapped without taking its posts written since for history: their comments are
    # read (issue 11).
    first_look: float | None = None
    # Past the window: post id -> (confirmed count, created) of silent posts still checked
    # now and then; ``dropped``: posts no longer checked at all (too old, or too many).
    dormant: dict[int, tuple[int, float]] = field(default_factory=dict)
    dormant_seq: int = 0
    dormant_todo: list[int] = field(default_factory=list)  # of a sweep spread over calls
    dropped: int = 0
    orphan_ids: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.owner_id = -self.group_id


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
    reread: bool = False  # newest comments only, for edits (see ``Collector._start_reread``)
    deep: set[int] = field(default_factory=set)  # ids read through thread calls


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
    # Past the window (issue 11): watched because comments keep coming, checked rarely,
    # and not checked at all any more.
    kept_posts: int = 0
    dormant_posts: int = 0
    dropped_posts: int = 0


Sink = Callable[[Batch], Awaitable[None]]


@dataclass(slots=True)
class _Pass:
    """One re-scoring sweep over the pages, done a slice per step."""

    started: float
    pages: list[int]
    pos: int = 0
    scores: array[float] = field(default_factory=lambda: array("d"))
    longpoll_posts: int = 0
    probe_weight: float = 0.0
    post_rate: float = 0.0
    dormant: int = 0


class _Fifo:
    """A FIFO queue of check entries in flat arrays (due, seq, group id, post id): 32 bytes
    an entry, where a deque of tuples took ~140 with the numbers in them, and a region keeps
    one entry per watched post.  Read and written as :data:`Entry` tuples."""

    __slots__ = ("_due", "_gid", "_head", "_pid", "_seq")

    def __init__(self) -> None:
        self._due = array("d")
        self._seq = array("q")
        self._gid = array("q")
        self._pid = array("q")
        self._head = 0

    def __len__(self) -> int:
        return len(self._due) - self._head

    def __bool__(self) -> bool:
        return len(self._due) > self._head

    def __getitem__(self, i: int) -> Entry:
        j = self._head + i if i >= 0 else len(self._due) + i
        if not self._head <= j < len(self._due):
            raise IndexError("queue index out of range")
        return (self._due[j], self._seq[j], CHECK, self._gid[j], self._pid[j])

    def append(self, entry: Entry) -> None:
        due, seq, _, gid, pid = entry
        self._due.append(due)
        self._seq.append(seq)
        self._gid.append(gid)
        self._pid.append(pid)

    def last_due(self) -> float:
        return self._due[-1] if len(self._due) > self._head else -math.inf

    def popleft(self) -> None:
        self._head += 1
        if self._head == len(self._due):
            for col in (self._due, self._seq, self._gid, self._pid):
                del col[:]
            self._head = 0
        elif self._head >= 4096 and 2 * self._head >= len(self._due):
            for col in (self._due, self._seq, self._gid, self._pid):
                del col[: self._head]
            self._head = 0


class Collector:
    """Shared state of all polling workers (one worker per token, see :meth:`run_worker`)."""

    def __init__(self, clock: Clock, config: CollectorConfig | None = None) -> None:
        self.clock = clock
        self.cfg = config or CollectorConfig()
        self.pages: dict[int, PageState] = {}
        # Checks wait in FIFO queues, one per period (a check is due one period after the
        # last, so each queue stays in due order); what does not fit the order (a check due
        # now behind later ones, a promotion) goes to the ``_soon`` heap, probes to their own.
        self._hot = _Fifo()
        self._cold = _Fifo()
        self._soon: list[Entry] = []
        self._probes: list[Entry] = []
        self._walls: list[Entry] = []
        self._dormant_q: list[Entry] = []  # one sweep entry per page with dormant posts
        self._rereads: list[Entry] = []
        self._queues: tuple[list[Entry] | _Fifo, ...] = (
            self._soon, self._probes, self._hot, self._cold, self._dormant_q, self._rereads,
        )  # fmt: skip
        self._orphans: list[tuple[float, int]] = []  # (when to look, group id)
        self._dormant_period = self.cfg.cold_period_s
        self._reread_steps = len(self.cfg.reread_after_s)
        self._reread_mark: tuple[float, int] | None = None  # (time, calls) at the last pass
        self._reread_load = 0.0  # checks per second the re-reads took lately
        self._seq = 0
        self._rows = _Rows()  # every watched post's state
        self._fetches: dict[tuple[int, int], _Fetch] = {}
        self._fetch_queue: list[_Fetch] = []
        self._pending: dict[int, list[Callable[[], None]]] = {}
        self._pass: _Pass | None = None
        self._last_pass = -math.inf
        self._threshold: float | None = None  # hot if h >= threshold; None before a pass
        self._probe_norm = 0.0  # sum of the pages' probe weights (last pass)
        self._total_post_rate = 0.0  # sum of the pages' post rates (last pass)
        self._unbootstrapped = 0
        self._seen_ids: dict[int, set[int]] = {}  # ids read in the answer being handled
        self.requests = 0
        self.api_calls = 0
        self.inner_errors: dict[int, int] = {}
        self.hot_posts = 0
        self.gap_triggers = 0
        self.reread_calls = 0
        self.edits_seen = 0  # edits found by re-reads (not by a full read of a changed post)
        self.revived = 0  # silent posts that got a comment again
        self.orphan_sweeps = 0  # dormant posts checked because ids were unexplained
        # Why requests went and what they carried (calls; refs for checks and probes).
        self.triggers: dict[str, int] = {}
        self.calls_by_kind: dict[str, int] = {}
        self.rtt_s: list[float] = []  # clock seconds per request, for benchmarks

    # ------------------------------------------------------------------ set-up

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def add_page(
        self,
        group_id: int,
        *,
        max_seen_id: int = 0,
        longpoll: bool = False,
        first_look: datetime | None = None,
    ) -> None:
        """Watch a page; without known posts it is bootstrapped by one ``wall.get``.

        ``first_look``: the page's stored first look (a restart); the posts that bootstrap
        finds written since are read in full, as new ones."""
        if group_id in self.pages:
            self.pages[group_id].longpoll = longpoll
            return
        posts = PagePosts(self._rows, -group_id)
        page = PageState(group_id, posts, max_seen_id=max_seen_id, longpoll=longpoll)
        if first_look is not None:
            page.first_look = first_look.timestamp()
        self.pages[group_id] = page
        self._unbootstrapped += 1
        self._push_wall_get(page, self._now())

    def remove_page(self, group_id: int) -> None:
        """Stop watching a page (its lease went to another collector process, issue 7).

        Call it between requests, with none in flight: an answer about the page would find it
        gone.  Its queued reads are dropped here; its queue entries die lazily (``_live``)."""
        page = self.pages.pop(group_id, None)
        if page is None:
            return
        if not page.bootstrapped:
            self._unbootstrapped -= 1
        owner = -group_id
        for key in [k for k in self._fetches if k[0] == owner]:
            del self._fetches[key]
        self._fetch_queue = [f for f in self._fetch_queue if f.post.owner_id != owner]
        page.posts.clear()  # their rows go to new posts

    def add_known_post(
        self,
        owner_id: int,
        post_id: int,
        created: datetime,
        count: int,
        *,
        reachable: bool,
        active: datetime | None = None,
    ) -> None:
        """A post storage already has (after a restart): watch it without re-reading it.

        ``active``: its newest stored comment, if that is within the watch window (it keeps
        an older post watched); a post silent for longer goes dormant."""
        page = self.pages.get(-owner_id)
        if page is None:
            return
        now = self._now()
        ts = created.timestamp()
        act = active.timestamp() if active is not None else 0.0
        if ts < now - self.cfg.dormant_days * 86400 and act == 0.0:
            return
        if not page.bootstrapped:
            # Known from storage: no bootstrap wall.get, just the usual safety-net rotation.
            spread = self.cfg.wall_get_min_interval_s * (page.group_id % 97) / 97
            self._push_wall_get(page, now + spread)
            self._push_probe(page, now)
            self._set_bootstrapped(page)
        page.max_seen_id = max(page.max_seen_id, post_id)
        if max(ts, act) < now - self.cfg.watch_days * 86400:
            if reachable:
                self._make_dormant(page, post_id, count, ts, now)
            return
        post = self._new_post(page, post_id, ts, count, now)
        post.stored = True
        post.active = act
        if not reachable:
            post.unreachable = "unreachable (stored)"
        # Known posts come back after a restart: check them now, so nothing waits a period.
        if reachable:
            self._push_check(post, now, now)

    def all_bootstrapped(self) -> bool:
        """Pages are watched and each has had its first look (its comments so far are the
        baseline)."""
        return bool(self.pages) and self._unbootstrapped == 0

    def _set_bootstrapped(self, page: PageState) -> None:
        if not page.bootstrapped:
            page.bootstrapped = True
            self._unbootstrapped -= 1

    def _new_post(
        self, page: PageState, post_id: int, created: float, count: int, now: float
    ) -> PostState:
        age = max(now - created, 3600.0)
        post = page.posts.add(post_id, created, count)
        post.n = count * min(1.0, self.cfg.rate_tau_s / age)
        post.n_at = now
        post.h = self._expected(page, post, now)
        post.period = self._period_for(page, post, now)
        return post

    # ------------------------------------------------------------------ rates and tiers

    def _expected(self, page: PageState, post: PostState, now: float) -> float:
        """Expected comments on ``post`` (in units of ``n``) from the page's last scoring."""
        cfg = self.cfg
        k = max(len(page.posts), 1)
        fresh = math.exp(-max(now - post.created, 0.0) / cfg.fresh_tau_s)
        z = page.fresh_z * math.exp(-(now - page.scored_at) / cfg.fresh_tau_s)
        base = page.page_n + cfg.page_prior
        share = fresh / (z + fresh) if z + fresh > 0 else 0.0
        return post.n + base * (cfg.fresh_weight * share + cfg.tail_weight / k)

    def _period_for(self, page: PageState, post: PostState, now: float) -> float:
        return self._period_of(page, post.created, post.h, now)

    def _period_of(self, page: PageState, created: float, h: float, now: float) -> float:
        cfg = self.cfg
        if page.longpoll:
            return cfg.cold_period_s  # pushed to us; polling only reconciles
        if self._threshold is None:
            # Before the first scoring pass: only a post that just appeared is assumed busy.
            return cfg.hot_period_s if now - created < 3600 else cfg.cold_period_s
        return cfg.hot_period_s if h >= self._threshold else cfg.cold_period_s

    def _score_page(self, page: PageState, now: float, scores: array[float] | None) -> int:
        """Re-estimate the page's post rates, apply the current tiering; returns posts done.

        Runs over every watched post every few minutes, so it works on the rows' columns."""
        cfg = self.cfg
        rows = self._rows
        created, active = rows.created, rows.active
        horizon = now - cfg.watch_days * 86400
        posts = page.posts
        old = [
            pid
            for pid, row in zip(posts.ids, posts.at, strict=True)
            if created[row] < horizon and active[row] < horizon
        ]
        for pid in old:
            self._retire(page, posts[pid], now)
        live = [
            (pid, row)
            for pid, row in zip(posts.ids, posts.at, strict=True)
            if not rows.unreachable(row)
        ]
        if not live:
            return 1
        tau, tf = cfg.rate_tau_s, cfg.fresh_tau_s
        ns, n_at, hs, periods = rows.n, rows.n_at, rows.h, rows.period
        page_n = 0.0
        z = 0.0
        oldest = now
        fresh: list[float] = []
        for _, row in live:
            n = ns[row]
            if n:
                n *= math.exp(-(now - n_at[row]) / tau)
                ns[row] = n
            n_at[row] = now
            page_n += n
            w = math.exp(-max(now - created[row], 0.0) / tf)
            fresh.append(w)
            z += w
            oldest = min(oldest, created[row])
        page.page_n, page.fresh_z, page.scored_at = page_n, z, now
        page.post_rate = len(live) / max(now - oldest, 86400.0)
        base = page_n + cfg.page_prior
        fw = cfg.fresh_weight * base / z if z > 0 else 0.0
        tw = cfg.tail_weight * base / len(live)
        for (pid, row), w in zip(live, fresh, strict=True):
            h = ns[row] + fw * w + tw
            hs[row] = h
            if scores is not None and not page.longpoll:
                scores.append(h)
            if (
                self._threshold is not None
                and self._period_of(page, created[row], h, now) != periods[row]
            ):
                self._set_period(page, posts[pid], now)
        return len(live)

    def _retire(self, page: PageState, post: PostState, now: float) -> None:
        """A post past the window and silent as long: dormant (checked rarely) or gone."""
        if post.fetching or post.rereading or post.seq == -1:
            return  # a read or a check is under way; next time
        reachable, count, created = post.unreachable is None, post.count, post.created
        page.posts.remove(post.post_id)
        if reachable:
            self._make_dormant(page, post.post_id, count, created, now)

    def _make_dormant(
        self, page: PageState, post_id: int, count: int, created: float, now: float
    ) -> None:
        cfg = self.cfg
        if created < now - cfg.dormant_days * 86400 or cfg.dormant_per_page <= 0:
            page.dropped += 1
            return
        page.dormant[post_id] = (count, created)
        if len(page.dormant) > cfg.dormant_per_page:
            del page.dormant[min(page.dormant)]  # the oldest post goes
            page.dropped += 1
        if len(page.dormant) == 1:  # the first (a sweep entry dies when none is left)
            spread = self._dormant_period * ((page.group_id * 7919) % 97 + 1) / 98
            self._push_dormant(page, now + spread)

    def _dormant_seen(
        self, page: PageState, post_id: int, count: int, batch: Batch, now: float
    ) -> None:
        """A dormant post's count: a new comment wakes it up (watched again, read now)."""
        known, created = page.dormant[post_id]
        if count == known:
            return
        del page.dormant[post_id]
        post = self._new_post(page, post_id, created, known, now)
        post.stored = True
        post.active = now
        self.revived += 1
        self._seen_count(post, count, batch, now)

    def _set_period(self, page: PageState, post: PostState, now: float) -> None:
        period = self._period_for(page, post, now)
        if period != post.period:
            post.period = period
            if not post.fetching and post.seq > 0:
                due = max(post.checked + period, now + self.cfg.soon_delay_s)
                self._push_check(post, due, now)

    def _retier_step(self, now: float) -> None:
        """Re-score a slice of the pages; start a pass every ``retier_every_s``."""
        cfg = self.cfg
        if self._pass is None:
            first = self._threshold is None and self._unbootstrapped == 0 and self.pages
            if now - self._last_pass < cfg.retier_every_s and not first:
                return
            self._pass = _Pass(now, list(self.pages))
            self._last_pass = now
        ps = self._pass
        done = 0
        while ps.pos < len(ps.pages) and done < cfg.retier_chunk:
            page = self.pages.get(ps.pages[ps.pos])
            ps.pos += 1
            if page is None or page.unreachable is not None or not page.bootstrapped:
                continue
            done += self._score_page(page, now, ps.scores)
            if page.longpoll:
                ps.longpoll_posts += len(page.posts)
            ps.post_rate += page.post_rate
            ps.probe_weight += self._probe_weight(page)
            ps.dormant += len(page.dormant)
        if ps.pos >= len(ps.pages):
            self._pass = None
            self._finish_pass(ps, now)

    def _finish_pass(self, ps: _Pass, now: float) -> None:
        """Set the probe periods, then size the hot set from what is left of the check budget
        and set the threshold for the next pass."""
        cfg = self.cfg
        self._total_post_rate = ps.post_rate
        self._probe_norm = ps.probe_weight
        refs = cfg.probe_ids + cfg.probe_far_ids
        probe_load = 0.0
        for page in self.pages.values():
            if page.bootstrapped and page.unreachable is None:
                page.probe_period = self._probe_period(page)
                probe_load += refs / page.probe_period
                if page.probe_seq == 0:
                    spread = page.probe_period * (page.group_id % 97) / 97
                    self._push_probe(page, now + spread)
        n = len(ps.scores)
        # Silent posts past the window: a small share of the budget, never more often than
        # the cold period (a small region checks them as often as its quiet posts).
        dormant_budget = max(cfg.dormant_share * cfg.checks_per_s, 1e-9)
        self._dormant_period = min(
            max(ps.dormant / dormant_budget, cfg.cold_period_s), cfg.dormant_max_period_s
        )
        floor = (n + ps.longpoll_posts) / cfg.cold_period_s + ps.dormant / self._dormant_period
        self._size_rereads(now)
        spare = cfg.checks_per_s - floor - probe_load - self._reread_load
        per_hot = 1.0 / cfg.hot_period_s - 1.0 / cfg.cold_period_s
        cap = int(max(spare, 0.0) / per_hot) if per_hot > 0 else n
        first = self._threshold is None
        if n == 0:
            self.hot_posts = 0
        elif cap <= 0:
            self._threshold, self.hot_posts = math.inf, 0
        else:
            desc = -np.sort(-np.frombuffer(ps.scores, dtype=np.float64))
            share = np.cumsum(desc)
            by_share = int(np.searchsorted(share, cfg.hot_share * share[-1])) + 1
            k = min(cap, by_share, n)
            self._threshold, self.hot_posts = float(desc[k - 1]), k
        if first:
            # The first threshold: apply it everywhere now rather than one pass later.
            for page in self.pages.values():
                if page.unreachable is None and page.bootstrapped:
                    for post in page.posts.values():
                        if post.unreachable is None:
                            self._set_period(page, post, now)

    def _size_rereads(self, now: float) -> None:
        """What the re-reads cost lately (one call is worth a getById call of checks); the
        later steps of the schedule go when they would take more than ``reread_share``."""
        cfg = self.cfg
        mark, self._reread_mark = self._reread_mark, (now, self.reread_calls)
        if mark is None or now <= mark[0]:
            return
        rate = (self.reread_calls - mark[1]) / (now - mark[0])
        load = rate * cfg.refs_per_getbyid  # checks' worth of calls
        self._reread_load = load * cfg.reread_charge
        cap = cfg.reread_share * cfg.checks_per_s
        if load > cap and self._reread_steps > 1:
            self._reread_steps -= 1
        elif load < 0.6 * cap and self._reread_steps < len(cfg.reread_after_s):
            self._reread_steps += 1

    def _probe_weight(self, page: PageState) -> float:
        """How much finding a new post on ``page`` soon is worth: posts come often, and a new
        post gathers comments fast where comments come often (square-root allocation)."""
        rate = (page.page_n + self.cfg.page_prior) / self.cfg.rate_tau_s
        return math.sqrt(max(page.post_rate, 1e-9) * rate)

    def _probe_period(self, page: PageState) -> float:
        cfg = self.cfg
        refs = cfg.probe_ids + cfg.probe_far_ids
        if self._probe_norm <= 0 or cfg.probe_refs_per_s <= 0:
            return cfg.probe_max_s
        period = refs * self._probe_norm / (cfg.probe_refs_per_s * self._probe_weight(page))
        return min(max(period, cfg.probe_min_s), cfg.probe_max_s)

    # ------------------------------------------------------------------ queues

    def _push_check(self, post: PostState, due: float, now: float) -> None:
        self._seq += 1
        post.seq = self._seq
        entry = (due, self._seq, CHECK, -post.owner_id, post.post_id)
        queue = self._hot if post.period == self.cfg.hot_period_s else self._cold
        if queue.last_due() > due:
            heapq.heappush(self._soon, entry)
        else:
            queue.append(entry)

    def _push_probe(self, page: PageState, due: float) -> None:
        self._seq += 1
        page.probe_seq = self._seq
        heapq.heappush(self._probes, (due, self._seq, PROBE, page.group_id, 0))

    def _push_wall_get(self, page: PageState, due: float) -> None:
        self._seq += 1
        page.wall_seq = self._seq
        heapq.heappush(self._walls, (due, self._seq, WALLGET, page.group_id, 0))

    def _push_dormant(self, page: PageState, due: float) -> None:
        self._seq += 1
        page.dormant_seq = self._seq
        heapq.heappush(self._dormant_q, (due, self._seq, DORMANT, page.group_id, 0))

    def _push_reread(self, post: PostState, due: float) -> None:
        self._seq += 1
        post.reread_seq = self._seq
        heapq.heappush(self._rereads, (due, self._seq, REREAD, -post.owner_id, post.post_id))

    def _schedule_reread(self, post: PostState, now: float) -> None:
        """The next step of the post's re-read schedule still ahead, or none (it is over)."""
        steps = self.cfg.reread_after_s[: self._reread_steps]
        while post.reread_step < len(steps):
            due = post.reread_at + steps[post.reread_step]
            if due > now:
                self._push_reread(post, due)
                return
            post.reread_step += 1
        post.reread_seq = 0
        post.recent = None

    def _live(self, entry: Entry) -> PostState | PageState | None:
        _, seq, kind, gid, pid = entry
        page = self.pages.get(gid)
        if page is None or page.unreachable is not None:
            return None
        if kind in (CHECK, REREAD):
            post = page.posts.get(pid)
            if post is None or post.unreachable is not None:
                return None
            if kind == CHECK:
                return post if post.seq == seq else None
            return post if post.reread_seq == seq and not page.longpoll else None
        if kind == PROBE:
            return page if page.probe_seq == seq else None
        if kind == DORMANT:
            return page if page.dormant_seq == seq and page.dormant else None
        return page if page.wall_seq == seq else None

    def _heap_head(self, heap: list[Entry]) -> Entry | None:
        while heap and self._live(heap[0]) is None:
            heapq.heappop(heap)
        return heap[0] if heap else None

    def _fifo_head(self, fifo: _Fifo) -> Entry | None:
        while fifo:
            entry = fifo[0]
            if self._live(entry) is not None:
                return entry
            fifo.popleft()
        return None

    def _heads(self) -> list[Entry | None]:
        """The earliest live entry of each source (``SOURCE_NAMES``)."""
        return [self._head_of(i) for i in range(len(self._queues))]

    def _head_of(self, source: int) -> Entry | None:
        q = self._queues[source]
        if isinstance(q, list):
            return self._heap_head(q)
        return self._fifo_head(q)

    def _target_of(self, source: int) -> tuple[Entry, PostState | PageState] | None:
        """The earliest live entry of ``source`` with what it is for."""
        q = self._queues[source]
        while q:
            entry = q[0]
            target = self._live(entry)
            if target is not None:
                return entry, target
            self._pop(source)
        return None

    def _pop(self, source: int) -> None:
        q = self._queues[source]
        if isinstance(q, list):
            heapq.heappop(q)
        else:
            q.popleft()

    def _triggered(self, now: float) -> str | None:
        """Which due work justifies a request of its own (rather than riding along), if any.

        Checks trigger when due; probes, dormant sweeps, re-reads and safety-net ``wall.get``
        calls only when overdue (they normally ride in requests that go anyway); bootstrap
        calls at once.
        """
        cfg = self.cfg
        slacks = {
            PROBE: cfg.probe_slack_s,
            DORMANT: cfg.dormant_slack_s,
            REREAD: cfg.reread_slack_s,
        }
        for name, head in zip(SOURCE_NAMES, self._heads(), strict=True):
            if head is None:
                continue
            if head[0] + slacks.get(head[2], 0.0) <= now:
                return name
        wall = self._heap_head(self._walls)
        if wall is not None:
            page = self.pages[wall[3]]
            slack = self.cfg.wall_get_slack_s if page.bootstrapped else 0.0
            if wall[0] + slack <= now:
                return "wall.get" if page.bootstrapped else "bootstrap"
        return None

    # ------------------------------------------------------------------ planning

    def reconcile(self, group_id: int) -> None:
        """After a Long Poll gap or a restart: check the page's posts and wall now."""
        page = self.pages.get(group_id)
        if page is None:
            return
        now = self._now()
        for post in page.posts.values():
            if post.unreachable is None and not post.fetching:
                self._push_check(post, now, now)
        self._push_probe(page, now)
        self._push_wall_get(page, now)

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

    def _due(self, now: float) -> str | None:
        """Why a request should go now (None: nothing is due yet).

        Changed posts wait ``fetch_coalesce_s`` for company, and up to ``fetch_max_wait_s``
        when a request for due checks goes before that anyway (it takes them along)."""
        cfg = self.cfg
        if self._fetch_queue:
            age = now - min(f.queued_at for f in self._fetch_queue)
            if age >= cfg.fetch_max_wait_s or len(self._fetch_queue) >= 10:
                return "comments"
            if age >= cfg.fetch_coalesce_s:
                dues = [h[0] for h in self._heads() if h is not None and h[2] == CHECK]
                if not dues or min(dues) > now + cfg.fetch_max_wait_s - age:
                    return "comments"
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
        # 2. safety-net wall.get calls that are due, where this token has quota
        quota_left = client.quota.remaining("wall.get", self.clock.now()) or 0
        can_wall_get = client.kind != "group" and quota_left > 0
        deferred: list[Entry] = []
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
        # 3. getById chunks: checks, dormant sweeps and probes by due time, pulled forward to
        # fill the request, and re-reads for edits when (about) due.  Checks and probes go in
        # separate calls: a check needs only ids and comment counts (projected, see
        # VkClient.execute), a probe hit needs the whole post.
        limit = cfg.refs_per_getbyid
        bufs: dict[int, tuple[list[str], list[tuple[int, Any]]]] = {
            CHECK: ([], []),
            PROBE: ([], []),
        }
        swept: list[PageState] = []  # dormant sweeps issued: rescheduled after the loop

        def open_calls() -> int:
            return len(calls) + sum(1 for refs, _ in bufs.values() if refs)

        def flush(kind: int) -> None:
            refs, refs_meta = bufs[kind]
            calls.append(("wall.getById", {"posts": ",".join(refs)}))
            meta.append(("byid" if kind == CHECK else "probe", refs_meta))
            bufs[kind] = ([], [])

        heads = [self._target_of(i) for i in range(len(self._queues))]
        while True:
            source, pick = -1, None
            for i, head in enumerate(heads):
                if head is not None and (pick is None or head[0][0] < pick[0][0]):
                    source, pick = i, head
            if pick is None:
                break
            entry, target = pick
            if entry[2] == REREAD:
                assert isinstance(target, PostState)
                tasks = self._reread_tasks(target)
                if entry[0] > now + cfg.reread_pull_s or open_calls() + len(tasks) > (
                    CALLS_PER_EXECUTE
                ):
                    heads[source] = None  # not yet, or no room: the next request
                    continue
                self._pop(source)
                heads[source] = self._target_of(source)
                self._start_reread(target, tasks, calls, meta, now)
                continue
            kind = PROBE if entry[2] == PROBE else CHECK
            buf = kind
            refs, refs_meta = bufs[buf]
            if not refs and open_calls() >= CALLS_PER_EXECUTE:
                # No call left for a new chunk: a check may still fill the probes' call
                # (whole posts there, ids and counts are in them too).
                probe_refs = bufs[PROBE][0]
                if kind == PROBE or not probe_refs or len(probe_refs) >= limit:
                    break
                buf = PROBE
                refs, refs_meta = bufs[buf]
            if entry[2] == DORMANT:
                assert isinstance(target, PageState)
                if not target.dormant_todo:
                    target.dormant_todo = sorted(target.dormant)
                while target.dormant_todo and len(refs) < limit:
                    pid = target.dormant_todo.pop()
                    if pid in target.dormant:
                        refs.append(f"{-target.group_id}_{pid}")
                        refs_meta.append((DORMANT, (target, pid)))
                if target.dormant_todo:
                    flush(buf)  # the rest in a call of its own (or the next request)
                    continue
                target.dormant_seq = -1
                swept.append(target)
            elif kind == PROBE:
                assert isinstance(target, PageState)
                ids = self._probe_ids(target)[:limit]
                if len(refs) + len(ids) > limit:
                    flush(kind)
                    continue
                refs.extend(f"{-target.group_id}_{i}" for i in ids)
                refs_meta.append((PROBE, target))
                target.probe_seq = -1
                target.probe_round += 1
                target.gap_ids = []
            else:
                assert isinstance(target, PostState)
                if len(refs) + 1 > limit:
                    flush(buf)
                    continue
                refs.append(f"{target.owner_id}_{target.post_id}")
                refs_meta.append((CHECK, target))
                target.seq = -1
            self._pop(source)
            heads[source] = self._target_of(source)
        for kind in (CHECK, PROBE):
            if bufs[kind][0]:
                flush(kind)
        for page in swept:
            self._push_dormant(page, now + self._dormant_period)
        return calls, meta

    def _reread_tasks(self, post: PostState) -> list[tuple[int, int | None]]:
        """The calls of one re-read: the post's newest comments (with each one's first
        replies), plus the deep threads where recent replies are."""
        n = self.cfg.reread_threads
        roots = sorted({r for r in (post.recent or {}).values() if r})
        return [(0, None), *((0, r) for r in roots[len(roots) - n :] if n > 0)]

    def _start_reread(
        self,
        post: PostState,
        tasks: list[tuple[int, int | None]],
        calls: list[tuple[str, dict[str, Any]]],
        meta: list[tuple[str, Any]],
        now: float,
    ) -> None:
        post.reread_seq = -1
        post.reread_step += 1
        if post.fetching or post.snapshot is None:
            # A full read is under way (it sees every edit), or there is nothing to compare.
            self._schedule_reread(post, now)
            return
        post.rereading = True
        fetch = _Fetch(post, now, reread=True, total=-1)
        for offset, thread in tasks:
            fetch.in_flight += 1
            params = _comments_params(post, offset, thread, newest=self.cfg.reread_count)
            calls.append(("wall.getComments", params))
            meta.append(("comments", (fetch, offset, thread)))
        self.reread_calls += len(tasks)

    # ------------------------------------------------------------------ running

    async def run_worker(
        self, client: VkClient, clients: list[VkClient], sink: Sink, stop: Any
    ) -> None:
        """Poll with one token until ``stop`` (an asyncio.Event) is set."""
        failures = 0
        while not stop.is_set():
            if not client.usable():
                await self.clock.sleep(self.cfg.idle_step_s * 20)
                continue
            try:
                batch = await self.step(client, clients)
            except Exception:
                log.exception("collector step failed on token %s", client.token_hint)
                await self.clock.sleep(self.cfg.idle_step_s * 10)
                continue
            if batch is None:
                await self.clock.sleep(self.cfg.idle_step_s)
                continue
            try:
                await sink(batch)
            except Exception:
                # Storage failed; the sink forgot the batch, so its posts are re-read later.
                log.exception("storing a collector batch failed")
                await self.clock.sleep(self.cfg.idle_step_s * 10)
            failures = failures + 1 if batch.failed else 0
            if failures:
                # VK keeps failing (the client already retried): back off, up to a minute.
                await self.clock.sleep(min(60.0, 2.0 ** min(failures, 6)))

    async def step(self, client: VkClient, clients: list[VkClient]) -> Batch | None:
        """Send one request if work is due; None when there was nothing to do yet."""
        now = self._now()
        self._retier_step(now)
        self._resolve_orphans(now)
        reason = self._due(now)
        if reason is None:
            return None
        calls, meta = self._build(client, clients, now)
        if not calls:
            return None
        batch = Batch()
        sent = self.clock.monotonic()
        try:
            results = await client.execute(
                calls,
                [CHECK_FIELDS if kind == "byid" else None for kind, _ in meta],
                columns=True,
            )
        except (TokenUnusable, QuotaExhausted, VkError) as exc:
            log.warning("request failed on token %s: %s", client.token_hint, exc)
            self._requeue(meta)
            batch.failed = True
            return batch
        self.requests += 1
        self.api_calls += len(calls)
        self.triggers[reason] = self.triggers.get(reason, 0) + 1
        for kind, what in meta:
            n = len(what) if kind in ("byid", "probe") else 1
            self.calls_by_kind[kind] = self.calls_by_kind.get(kind, 0) + n
        if len(self.rtt_s) < 100_000:
            self.rtt_s.append(self.clock.monotonic() - sent)
        for i, ((kind, what), result) in enumerate(zip(meta, results, strict=True)):
            if i % 4 == 3:
                # Let the loop breathe (Long Poll deliveries share it): 2,500 checks take a
                # while.  The posts being handled are out of the queues, so nothing races.
                await asyncio.sleep(0)
            now = self._now()
            if isinstance(result, VkError):
                self.inner_errors[result.code] = self.inner_errors.get(result.code, 0) + 1
            if kind == "comments":
                self._on_comments(what, result, batch, now)
            elif kind in ("byid", "probe"):
                self._on_by_id(what, result, batch, now)
            elif kind == "wall":
                self._on_wall_get(what, result, batch, now, clients)
        self._check_counters(self._now())
        return batch

    def _requeue(self, meta: list[tuple[str, Any]]) -> None:
        now = self._now()
        for kind, what in meta:
            if kind == "comments":
                fetch, offset, thread = what
                fetch.in_flight -= 1
                if fetch.reread:
                    if fetch.in_flight == 0:  # the same step again, a little later
                        fetch.post.rereading = False
                        fetch.post.reread_step = max(0, fetch.post.reread_step - 1)
                        self._push_reread(fetch.post, now + self.cfg.reread_slack_s)
                    continue
                fetch.tasks.append((offset, thread))
                if fetch not in self._fetch_queue:
                    self._fetch_queue.append(fetch)
            elif kind in ("byid", "probe"):
                for k, target in what:
                    if k == CHECK:
                        self._push_check(target, now, now)
                    elif k == DORMANT:
                        page, _ = target
                        if page.dormant_seq <= 0:
                            self._push_dormant(page, now)
                    else:
                        self._push_probe(target, now)
            elif kind == "wall":
                self._push_wall_get(what, now + 60.0)

    # ------------------------------------------------------------------ the id counter

    def _saw_ids(self, page: PageState, ids: Any) -> None:
        self._seen_ids.setdefault(page.group_id, set()).update(ids)

    def _check_counters(self, now: float) -> None:
        """Ids read above a wall's highest seen id, with ids between them unexplained: more
        was written there (comments on other posts, or a new post), so look now."""
        seen, self._seen_ids = self._seen_ids, {}
        for gid, ids in seen.items():
            page = self.pages.get(gid)
            if page is None:
                continue
            old = page.max_seen_id
            top = max(ids, default=0)
            if top <= old:
                continue
            page.max_seen_id = top
            page.probe_span = 0
            if old <= 0 or page.longpoll or not page.bootstrapped:
                continue
            above = {i for i in ids if i > old}
            missing = top - old - len(above)
            if missing <= 0:
                continue
            self.gap_triggers += 1
            n = self.cfg.gap_probe_ids
            gap: list[int] = []
            i = top - 1
            while i > old and len(gap) < n:
                if i not in above and i not in page.posts:
                    gap.append(i)
                i -= 1
            page.gap_ids = gap
            self._push_probe(page, now)
            if page.dormant and gap:
                # If no read of the page's watched posts explains them, they may be comments
                # under a dormant post: look at those then.
                page.orphan_ids = gap
                heapq.heappush(self._orphans, (now + self.cfg.orphan_wait_s, gid))
            for post in page.posts.values():
                if (
                    post.unreachable is None
                    and not post.fetching
                    and post.seq > 0
                    and now - post.checked >= self.cfg.gap_recheck_s
                ):
                    self._push_check(post, now + self.cfg.soon_delay_s, now)

    def _resolve_orphans(self, now: float) -> None:
        """Ids the counter showed that no read explained: check the page's dormant posts."""
        while self._orphans and self._orphans[0][0] <= now:
            _, gid = heapq.heappop(self._orphans)
            page = self.pages.get(gid)
            if page is None or not page.orphan_ids or not page.dormant:
                continue
            ids, page.orphan_ids = page.orphan_ids, []
            known: set[int] = set(page.posts)
            for post in page.posts.values():
                if post.snapshot:
                    known.update(post.snapshot.ids())
            if any(i not in known for i in ids) and page.dormant_seq != -1:
                self.orphan_sweeps += 1
                self._push_dormant(page, now)

    # ------------------------------------------------------------------ answers

    def _seen_count(self, post: PostState, count: int, batch: Batch, now: float) -> None:
        post.checked = now
        self._push_check(post, now + post.period, now)
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
        found: dict[tuple[int, int], dict[str, Any]] = {}
        if isinstance(result, dict) and "columns" in result:
            cols = result["columns"]
            counts = {
                (int(o), int(i)): _count_of(c)
                for o, i, c in zip(cols["owner_id"], cols["id"], cols["comments"], strict=True)
            }
        else:
            items = result.get("items", []) if isinstance(result, dict) else result
            found = {(int(i["owner_id"]), int(i["id"])): i for i in items or []}
            counts = {key: _comments_count(i) for key, i in found.items()}
        for kind, target in refs_meta:
            if kind == CHECK:
                count = counts.get((target.owner_id, target.post_id))
                if count is None:
                    target.unreachable = "not returned by wall.getById: deleted or hidden"
                    target.fetching = False
                    continue
                self._seen_count(target, count, batch, now)
            elif kind == DORMANT:
                silent, pid = target
                if pid not in silent.dormant:
                    continue  # woken up or forgotten meanwhile
                count = counts.get((-silent.group_id, pid))
                if count is None:
                    del silent.dormant[pid]  # deleted or hidden: nothing to watch
                else:
                    self._dormant_seen(silent, pid, count, batch, now)
            else:
                page: PageState = target
                horizon = now - self.cfg.watch_days * 86400
                mine = [it for (owner, _), it in found.items() if owner == -page.group_id]
                self._saw_ids(page, (int(it["id"]) for it in mine))
                new = [
                    it
                    for it in mine
                    if int(it["id"]) not in page.posts and float(it.get("date", now)) >= horizon
                ]
                for it in sorted(new, key=lambda x: int(x["id"])):
                    self._discovered(page, it, batch, now)
                # Found something: there may be more right behind it.
                period = 5.0 if new else page.probe_period or self.cfg.probe_max_s
                self._push_probe(page, now + period)

    def _probe_ids(self, page: PageState) -> list[int]:
        """Ids to probe: unexplained ids below the highest seen (once), the few right above
        it, plus a block further up that moves on every probe, so a post behind ids spent on
        comments we have not read (cold posts, unwatched old posts, deleted comments) is still
        found within a few probes instead of stalling until a ``wall.get``."""
        cfg = self.cfg
        top = max(page.max_seen_id, page.probe_floor)
        ids = list(page.gap_ids)
        ids.extend(top + i for i in range(1, cfg.probe_ids + 1))
        if cfg.probe_far_ids > 0 and cfg.probe_far_steps > 0:
            steps = max(cfg.probe_far_steps, -(-page.probe_span // cfg.probe_far_ids))
            step = page.probe_round % steps
            first = top + cfg.probe_ids + 1 + step * cfg.probe_far_ids
            ids.extend(range(first, first + cfg.probe_far_ids))
        return ids

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
        if baseline:
            page.max_seen_id = max(page.max_seen_id, pid)
        else:
            self._saw_ids(page, (pid,))
        created = float(item.get("date", now))
        if pid in page.posts:
            return
        if pid in page.dormant:
            self._dormant_seen(page, pid, _comments_count(item), batch, now)
            return
        pinned = bool(item.get("is_pinned"))
        if baseline and not pinned and created < now - self.cfg.watch_days * 86400:
            # Older than the window at the first look (a page that posts rarely): its
            # comments so far are history; it is checked as a dormant post.
            count = _comments_count(item)
            text = str(item.get("text", ""))
            batch.posts.append(PostEvent(-page.group_id, pid, from_unix(created), text, count))
            self._make_dormant(page, pid, count, created, now)
            return
        post = self._new_post(page, pid, created, 0, now)
        post.text = str(item.get("text", ""))
        if pinned:
            post.active = now  # on top of the page: watched while it is pinned
        if baseline and not self.cfg.backfill:
            post.count = _comments_count(item)
            post.n = post.count * min(1.0, self.cfg.rate_tau_s / max(now - created, 3600.0))
            post.h = self._expected(page, post, now)
            post.period = self._period_for(page, post, now)
        else:
            page.last_new_post = now
        self._seen_count(post, _comments_count(item), batch, now)

    def _on_wall_get(
        self, page: PageState, result: Any, batch: Batch, now: float, clients: list[VkClient]
    ) -> None:
        page.wall_get_calls += 1
        if isinstance(result, VkError):
            if result.code in OBJECT_CODES:
                page.unreachable = f"[{result.code}] {result.message}"
                self._set_bootstrapped(page)
                return
            self._push_wall_get(page, now + 300.0)
            return
        page.last_wall_get = now
        first = not page.bootstrapped
        if page.first_look is None:
            # Looked at, even if empty: storage stamps the first look with this batch.
            batch.looked.append(page.group_id)
            self._on_confirm(batch, lambda: _mark_looked(page, now))
        looked = page.first_look if page.first_look is not None else math.inf
        items = result.get("items", [])
        for item in items:
            pid = int(item["id"])
            if pid in page.posts:
                post = page.posts[pid]
                if item.get("is_pinned"):
                    post.active = now
                if post.unreachable is None:
                    self._seen_count(post, _comments_count(item), batch, now)
            else:
                # A post written since a stored first look (before this start) is new: its
                # comments are read, not skipped as the page's history.
                baseline = first and float(item.get("date", now)) < looked
                self._discovered(page, item, batch, now, baseline=baseline)
        if first:
            self._set_bootstrapped(page)
            if items:
                newest = max(items, key=lambda it: int(it["id"]))
                page.max_seen_id = max(page.max_seen_id, int(newest["id"]))
                # Its comments came after it, so their ids (not read) are above its id;
                # the other posts' comments may be above it too.
                page.probe_floor = page.max_seen_id + _comments_count(newest)
                others = sum(_comments_count(it) for it in items) - _comments_count(newest)
                page.probe_span = min(others, MAX_PROBE_SPAN)
            self._score_page(page, now, None)
            page.probe_period = self._probe_period(page)
            self._push_probe(page, now + page.probe_period * (page.group_id % 97) / 97)
        budget = self._wall_get_budget(clients)
        total_rate = self._total_post_rate or max(page.post_rate, 1e-9) * len(self.pages)
        interval = self.wall_get_interval(page, budget, total_rate)
        if first:
            # Spread the pages' first safety-net reads over one interval, so the quota is
            # spent evenly from the start rather than all pages at once an interval later.
            phase = (page.group_id * 2654435761 % 997 + 1) / 997
            interval = max(interval * phase, self.cfg.wall_get_min_interval_s)
        self._push_wall_get(page, now + interval)

    def _on_comments(
        self, what: tuple[_Fetch, int, int | None], result: Any, batch: Batch, now: float
    ) -> None:
        fetch, offset, thread = what
        fetch.in_flight -= 1
        post = fetch.post
        if fetch.reread:
            self._on_reread(fetch, thread, result, batch, now)
            return
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
            if thread is not None:
                fetch.deep.add(int(item["id"]))
            else:
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
        self._saw_ids(page, fetch.items.keys())
        snapshot: dict[int, int] = {}
        old = post.snapshot
        recent: dict[int, int] = {}  # new residents' comments, for the re-reads
        newest = 0.0
        for cid, item in fetch.items.items():
            if item.get("deleted"):
                continue
            ev = comment_from_vk(item, post.owner_id, post.post_id, fetch.names)
            h = hash(ev.text)
            snapshot[cid] = h
            before = old.get(cid) if old is not None else None
            if before is None:
                batch.comments.append(ev)
                at = ev.created_at.timestamp()
                post.active = max(post.active, at)
                if ev.from_id > 0:
                    recent[cid] = (ev.thread_id or 0) if cid in fetch.deep else 0
                    newest = max(newest, at)
            elif before != h:
                batch.comments.append(replace(ev, change=CommentChange.EDIT))
        if old is None:
            batch.baselines.append((post.owner_id, post.post_id, frozenset(snapshot)))
        else:
            for cid in [c for c in old.ids() if c not in snapshot]:
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
        post.fetching = False
        if added > 0:
            post.n = post.n * math.exp(-(now - post.n_at) / self.cfg.rate_tau_s) + added
            post.n_at = now
            # A comment makes more likely: promote now rather than at the next scoring.
            post.h = max(post.h, self._expected(page, post, now))
            if self._threshold is not None:
                self._set_period(page, post, now)
        count = fetch.total
        batch.posts.append(
            PostEvent(post.owner_id, post.post_id, from_unix(post.created), post.text, count)
        )
        compact = Snapshot(snapshot)

        def confirm() -> None:
            post.count = count
            post.snapshot = compact
            _mark_stored(post)
            if recent and not page.longpoll:
                self._plan_rereads(post, recent, newest)

        self._on_confirm(batch, confirm)
        page.api_calls += 1

    def _plan_rereads(self, post: PostState, recent: dict[int, int], newest: float) -> None:
        """Residents wrote under ``post``: read its newest comments again on the schedule,
        counted from the newest of them (its own date, so a late find skips steps)."""
        merged = {**(post.recent or {}), **recent}
        if len(merged) > 20:
            merged = {cid: merged[cid] for cid in sorted(merged)[-20:]}
        post.recent = merged
        if newest > post.reread_at:
            post.reread_at, post.reread_step = newest, 0
        if not post.rereading:  # else its answer reschedules
            self._schedule_reread(post, self._now())

    def _on_reread(
        self, fetch: _Fetch, thread: int | None, result: Any, batch: Batch, now: float
    ) -> None:
        post = fetch.post
        if isinstance(result, VkError):
            if result.code in OBJECT_CODES:
                post.unreachable = f"[{result.code}] {result.message}"
        else:
            fetch.names.update(names_from_extended(result))
            for item in result.get("items", []):
                fetch.items[int(item["id"])] = item
                for r in (item.get("thread") or {}).get("items") or []:
                    fetch.items[int(r["id"])] = r
            if thread is None:
                fetch.total = int(result.get("count", 0))
        if fetch.in_flight == 0:
            self._finish_reread(fetch, batch, now)

    def _finish_reread(self, fetch: _Fetch, batch: Batch, now: float) -> None:
        """Texts that differ from what storage has are edits; the count is a count check."""
        post = fetch.post
        post.rereading = False
        old = post.snapshot
        if post.unreachable is not None or post.fetching or old is None:
            self._schedule_reread(post, now)
            return
        edits: dict[int, int] = {}
        for cid, item in fetch.items.items():
            before = old.get(cid)
            if before is None or item.get("deleted"):
                continue  # new ones come with the full read their count starts
            ev = comment_from_vk(item, post.owner_id, post.post_id, fetch.names)
            h = hash(ev.text)
            if h != before:
                batch.comments.append(replace(ev, change=CommentChange.EDIT))
                edits[cid] = h
        if fetch.total >= 0 and fetch.total != post.count:
            post.checked = now
            self._start_fetch(post, now)
        if edits:
            self.edits_seen += len(edits)

            def confirm() -> None:
                if post.snapshot is not None:
                    post.snapshot.set_hashes(edits)

            self._on_confirm(batch, confirm)
        self._schedule_reread(post, now)

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
            page.max_seen_id = max(page.max_seen_id, int(item["id"]))

    def on_pushed_comment(self, owner_id: int, post_id: int, comment_id: int) -> None:
        """A pushed comment: raise the wall's highest id."""
        page = self.pages.get(-owner_id)
        if page is None:
            return
        page.max_seen_id = max(page.max_seen_id, comment_id)
        post = page.posts.get(post_id)
        if post is not None:
            post.active = self._now()

    # ------------------------------------------------------------------ coverage

    def coverage(self) -> list[PageCoverage]:
        now = self._now()
        horizon = now - self.cfg.watch_days * 86400
        out = []
        rows = self._rows
        for page in self.pages.values():
            live = [row for row in page.posts.at if not rows.unreachable(row)]
            oldest = min((rows.checked[row] for row in live), default=page.last_wall_get)
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
                    kept_posts=sum(1 for row in live if rows.created[row] < horizon),
                    dormant_posts=len(page.dormant),
                    dropped_posts=page.dropped,
                )
            )
        return out

    def unreachable_posts(self) -> dict[tuple[int, int], str]:
        out: dict[tuple[int, int], str] = {}
        more = self._rows.more
        for page in self.pages.values():
            for pid, row in zip(page.posts.ids, page.posts.at, strict=True):
                m = more.get(row)
                if m is not None and m.unreachable is not None:
                    out[(page.owner_id, pid)] = m.unreachable
        return out

    def watched_posts(self) -> int:
        return sum(len(p.posts) for p in self.pages.values())


def _mark_looked(page: PageState, now: float) -> None:
    """The page's first look is stored (no later ``wall.get`` needs to say it again)."""
    if page.first_look is None:
        page.first_look = now


def _mark_stored(post: PostState) -> None:
    post.stored = True
    post.text = None


def _count_of(comments: Any) -> int:
    return int(comments.get("count", 0)) if isinstance(comments, dict) else 0


def _comments_count(item: dict[str, Any]) -> int:
    return int((item.get("comments") or {}).get("count", 0))


def _comments_params(
    post: PostState, offset: int, thread: int | None, *, newest: int = 0
) -> dict[str, Any]:
    """A page of the post's comments (or of one thread), oldest first; ``newest``: the
    newest that many instead (a re-read for edits)."""
    params: dict[str, Any] = {
        "owner_id": post.owner_id,
        "post_id": post.post_id,
        "count": newest or PAGE_SIZE,
        "offset": offset,
        "sort": "desc" if newest else "asc",
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
