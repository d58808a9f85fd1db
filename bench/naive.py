"""The open-source peers' strategy, for comparison: every page's wall, then every post's comments.

Each cycle calls ``wall.get`` per page and ``wall.getComments`` (with thread pages) for every
watched post, whatever changed, with the same tokens, pacing and retries as our collector.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from collectors.collector import Sink
from collectors.events import Batch, PostEvent, comment_from_vk, from_unix
from collectors.vk_client import VkClient, VkError
from config.clock import Clock


class NaivePoller:
    def __init__(
        self, client: VkClient, clock: Clock, group_ids: list[int], *, watch_days: int = 14
    ) -> None:
        self.client = client
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
