"""The open-source peers' strategy, for comparison: every page's wall, then every post's comments.

Each cycle calls ``wall.get`` per page and ``wall.getComments`` (with thread pages) for every
watched post, whatever changed, with the same tokens, pacing and retries as our collector.

How many of the window's comments it sees depends on which pages its cycle reaches while
the window is open, and with a few busy pages carrying most comments that swings its requests
per detected comment between ~95 and ~180 with small changes of its request rate (measured on
the benchmark world).  In real time on a small shared box its rate follows the CPU it gets, so
:func:`run_paced` runs it at its rate limit instead, on a discrete-event clock (what binds it
against real VK), over several phases of its cycle relative to the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from collectors.collector import Sink
from collectors.events import Batch, PostEvent, comment_from_vk, from_unix
from collectors.vk_client import VkError
from config.clock import Clock


class NaivePoller:
    def __init__(
        self, client: Any, clock: Clock, group_ids: list[int], *, watch_days: int = 14
    ) -> None:
        self.client = client  # a VkClient, or anything with its ``call``
        self.clock = clock
        self.group_ids = group_ids
        self.watch = timedelta(days=watch_days)

    async def run(self, sink: Sink, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for gid in self.group_ids:
                if stop.is_set():
                    return
                batch = Batch()
                with contextlib.suppress(VkError):
                    await self._page(gid, batch)
                await sink(batch)

    async def _page(self, gid: int, batch: Batch) -> None:
        wall = await self.client.call("wall.get", {"owner_id": -gid, "count": 30})
        horizon = self.clock.now() - self.watch
        for post in wall.get("items", []):
            created = from_unix(post["date"])
            if created < horizon:
                continue
            batch.posts.append(PostEvent(-gid, int(post["id"]), created, None, 0))
            try:
                await self._comments(-gid, int(post["id"]), batch)
            except VkError:
                continue

    async def _comments(
        self, owner_id: int, post_id: int, batch: Batch, thread: int | None = None
    ) -> None:
        offset = 0
        while True:
            params: dict[str, Any] = {
                "owner_id": owner_id, "post_id": post_id, "count": 100, "offset": offset,
                "sort": "asc", "preview_length": 0,
            }  # fmt: skip
            if thread is None:
                params["thread_items_count"] = 10
            else:
                params["comment_id"] = thread
            resp = await self.client.call("wall.getComments", params)
            items = resp.get("items", [])
            for item in items:
                batch.comments.append(comment_from_vk(item, owner_id, post_id, {}))
                th = item.get("thread") or {}
                replies = th.get("items") or []
                batch.comments.extend(comment_from_vk(r, owner_id, post_id, {}) for r in replies)
                if thread is None and int(th.get("count", 0)) > len(replies):
                    await self._comments(owner_id, post_id, batch, int(item["id"]))
            offset += len(items)
            level = int(resp.get("current_level_count", resp.get("count", 0)))
            if thread is not None:
                level = int(resp.get("count", 0))
            if not items or offset >= level:
                return


class EventClock:
    """Discrete-event time for ``actors`` coroutines: when all of them sleep, the clock jumps
    to the earliest wake-up.  Their requests then land exactly where their pacing puts them,
    however long the CPU takes."""

    speed = 1.0

    def __init__(self, start: datetime, actors: int) -> None:
        self._start = start
        self._mono = 0.0
        self._queue: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._running = actors

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._mono)

    def monotonic(self) -> float:
        return self._mono

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._queue, (self._mono + max(0.0, seconds), self._seq, fut))
        self._running -= 1
        self._wake()
        await fut

    def finished(self) -> None:
        """An actor returned for good."""
        self._running -= 1
        self._wake()

    def _wake(self) -> None:
        if self._running == 0 and self._queue:
            at, _, fut = heapq.heappop(self._queue)
            self._mono = max(self._mono, at)
            self._running += 1
            fut.set_result(None)


class PacedClient:
    """A token at its rate limit against an in-process fake VK (no HTTP, no CPU-bound pace)."""

    def __init__(self, fake: Any, token: str, clock: EventClock, interval_s: float) -> None:
        self.fake = fake
        self.token = token
        self.clock = clock
        self.interval_s = interval_s
        self._next = 0.0
        self.requests = 0

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        await self.clock.sleep(self._next - self.clock.monotonic())
        self._next = max(self.clock.monotonic(), self._next) + self.interval_s
        self.requests += 1
        body = self.fake.call_in_process(
            method, {k: str(v) for k, v in params.items()} | {"v": "5.199"}, self.token
        )
        if "error" in body:
            err = body["error"]
            raise VkError(int(err.get("error_code", 0)), str(err.get("error_msg", "")), method)
        return body["response"]


async def run_paced(
    fake: Any,
    clock: EventClock,
    group_ids: list[int],
    tokens: list[str],
    *,
    interval_s: float,
    end: datetime,
    phase: float,
    record: Callable[[Batch, datetime], None],
) -> int:
    """Run the peers' poller with one paced client per token until ``end``; returns requests.

    ``phase`` (0..1): where in its cycle each token starts (the window can meet the cycle
    anywhere).  ``record`` gets each page's batch with the clock time it was read."""
    stop = asyncio.Event()
    clients = [PacedClient(fake, t, clock, interval_s) for t in tokens]

    async def one(i: int, client: PacedClient) -> None:
        mine = group_ids[i :: len(tokens)]
        k = int(phase * len(mine))
        poller = NaivePoller(client, clock, mine[k:] + mine[:k])

        async def sink(batch: Batch) -> None:
            if clock.now() >= end:
                stop.set()
            record(batch, clock.now())

        try:
            await poller.run(sink, stop)
        finally:
            clock.finished()

    await asyncio.gather(*(one(i, c) for i, c in enumerate(clients)))
    return sum(c.requests for c in clients)
