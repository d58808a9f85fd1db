"""The simple polling collector: recent posts of each page, comments of posts that changed.

It spends one ``wall.get`` per page per pass and ``wall.getComments`` only where a post's
comment count moved since the last confirmed pass.  The budget-aware collector of issue 3
replaces the discovery part; the fetching of a changed post stays the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from collectors.events import Batch, PostEvent, comment_from_vk, from_unix, names_from_extended
from collectors.vk_client import VkClient, VkError
from config.clock import Clock

log = logging.getLogger(__name__)

PAGE_SIZE = 100


class SimplePoller:
    def __init__(
        self,
        client: VkClient,
        clock: Clock,
        *,
        posts_per_page: int = 30,
        watch_days: int = 14,
        known_counts: dict[tuple[int, int], int] | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        self._posts_per_page = posts_per_page
        self._watch = timedelta(days=watch_days)
        self.known_counts: dict[tuple[int, int], int] = dict(known_counts or {})
        self.unreachable: dict[tuple[int, int], str] = {}
        self.page_errors: dict[int, str] = {}

    async def poll(self, group_ids: Iterable[int]) -> Batch:
        batch = Batch()
        for group_id in group_ids:
            try:
                await self._poll_page(group_id, batch)
                self.page_errors.pop(group_id, None)
            except VkError as exc:
                self.page_errors[group_id] = str(exc)
                log.warning("page %s not collected: %s", group_id, exc)
        return batch

    def confirm(self, batch: Batch) -> None:
        """Remember the counts of a batch that storage committed."""
        for post in batch.posts:
            self.known_counts[(post.owner_id, post.post_id)] = post.comments_count

    async def _poll_page(self, group_id: int, batch: Batch) -> None:
        owner_id = -group_id
        wall = await self._client.call(
            "wall.get", {"owner_id": owner_id, "count": self._posts_per_page}
        )
        horizon = self._clock.now() - self._watch
        for post in wall.get("items", []):
            created = from_unix(post["date"])
            if created < horizon and not post.get("is_pinned"):
                continue
            key = (owner_id, int(post["id"]))
            count = int((post.get("comments") or {}).get("count", 0))
            if key in self.unreachable:
                continue
            if count != self.known_counts.get(key, 0):
                try:
                    await self._fetch_comments(owner_id, int(post["id"]), batch)
                except VkError as exc:
                    if not exc.is_object_error:
                        raise
                    self.unreachable[key] = str(exc)
                    continue
            batch.posts.append(PostEvent(owner_id, key[1], created, post.get("text", ""), count))

    async def _fetch_comments(self, owner_id: int, post_id: int, batch: Batch) -> None:
        offset = 0
        while True:
            resp = await self._client.call(
                "wall.getComments",
                {
                    "owner_id": owner_id,
                    "post_id": post_id,
                    "count": PAGE_SIZE,
                    "offset": offset,
                    "sort": "asc",
                    "thread_items_count": 10,
                    "preview_length": 0,
                    "extended": 1,
                    "fields": "first_name,last_name",
                },
            )
            names = names_from_extended(resp)
            items: list[dict[str, Any]] = resp.get("items", [])
            for item in items:
                if not item.get("deleted"):
                    batch.comments.append(comment_from_vk(item, owner_id, post_id, names))
                thread = item.get("thread") or {}
                replies = thread.get("items") or []
                if int(thread.get("count", 0)) > len(replies):
                    await self._fetch_thread(owner_id, post_id, int(item["id"]), batch)
                else:
                    batch.comments.extend(
                        comment_from_vk(r, owner_id, post_id, names) for r in replies
                    )
            offset += len(items)
            level = int(resp.get("current_level_count", resp.get("count", 0)))
            if not items or offset >= level:
                return

    async def _fetch_thread(self, owner_id: int, post_id: int, top_id: int, batch: Batch) -> None:
        offset = 0
        while True:
            resp = await self._client.call(
                "wall.getComments",
                {
                    "owner_id": owner_id,
                    "post_id": post_id,
                    "comment_id": top_id,
                    "count": PAGE_SIZE,
                    "offset": offset,
                    "sort": "asc",
                    "preview_length": 0,
                    "extended": 1,
                    "fields": "first_name,last_name",
                },
            )
            names = names_from_extended(resp)
            items = resp.get("items", [])
            batch.comments.extend(
                comment_from_vk(r, owner_id, post_id, names) for r in items if not r.get("deleted")
            )
            offset += len(items)
            if not items or offset >= int(resp.get("count", 0)):
                return
