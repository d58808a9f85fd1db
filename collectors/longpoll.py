"""Bots Long Poll for pages we hold a community token for (vk-api.md §6.1).

A community token cannot read walls (error 27), but its Long Poll pushes every new, edited,
deleted and restored comment within a second, which no polling budget can match.  Failures
follow the protocol: ``failed: 1`` continue with the returned ``ts`` (events may be lost, so the
page gets a reconciliation poll), ``2`` fetch a new key and keep ``ts``, ``3`` fetch a new key
and ``ts`` (and reconcile).  The ``ts`` is saved only after storage committed the events, and a
restart always reconciles, because events between the shutdown and now may be gone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import requests

from collectors.collector import Collector, Sink
from collectors.events import Batch, CommentChange, CommentEvent, comment_from_vk, from_unix
from collectors.vk_client import TokenUnusable, VkClient, VkError
from config.clock import Clock

log = logging.getLogger(__name__)

_CHANGES = {
    "wall_reply_new": CommentChange.NEW,
    "wall_reply_edit": CommentChange.EDIT,
    "wall_reply_restore": CommentChange.RESTORE,
}


class LongPollListener:
    """One community's Long Poll loop; events become the same Batch the poller produces."""

    def __init__(
        self,
        client: VkClient,
        group_id: int,
        clock: Clock,
        collector: Collector | None = None,
        *,
        wait_s: int = 25,
        ts: str | None = None,
        save_ts: Callable[[int, str], Awaitable[None]] | None = None,
    ) -> None:
        self.client = client
        self.group_id = group_id
        self.clock = clock
        self.collector = collector
        self.wait_s = wait_s
        self.ts = ts
        self._restarted = ts is not None  # a ts from storage: events since may be gone
        # Until a delivery is stored: this listener's pushes are a look at the page, which
        # storage stamps as its first look if it has none (a page without service tokens
        # is never polled, and a restart must not take its pushed comments for history).
        self._looked = False
        self.save_ts = save_ts
        self._server = ""
        self._key = ""
        self.reconciliations = 0
        self.failures: dict[int, int] = {}
        self.store_failures = 0  # events the sink could not store at first (then retried)
        self._executor: ThreadPoolExecutor | None = None

    async def _new_server(self, *, keep_ts: bool) -> None:
        resp = await self.client.call("groups.getLongPollServer", {"group_id": self.group_id})
        self._server, self._key = str(resp["server"]), str(resp["key"])
        if not keep_ts or self.ts is None:
            self.ts = str(resp["ts"])

    def _reconcile(self) -> None:
        self.reconciliations += 1
        if self.collector is not None:
            self.collector.reconcile(self.group_id)

    async def _check(self) -> dict[str, Any]:
        params = {"act": "a_check", "key": self._key, "ts": self.ts, "wait": self.wait_s}
        # Its own thread: a long poll holds it for up to ``wait_s``, and many listeners on the
        # shared default pool would starve each other and the polling workers.
        loop = asyncio.get_running_loop()
        resp = await loop.run_in_executor(
            self._executor,
            functools.partial(
                self.client.session.get, self._server, params=params, timeout=self.wait_s + 10
            ),
        )
        resp.raise_for_status()
        body: dict[str, Any] = resp.json()
        return body

    async def run(self, sink: Sink, stop: asyncio.Event) -> None:
        """Listen until ``stop``; a restart (a stored ``ts``) starts with a reconciliation."""
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"longpoll-{self.group_id}")
        try:
            await self._run(sink, stop)
        finally:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def _run(self, sink: Sink, stop: asyncio.Event) -> None:
        backoff = 1.0
        while not stop.is_set():
            try:
                if not self._server:
                    await self._new_server(keep_ts=True)
                    if self._restarted:
                        self._reconcile()
                        self._restarted = False
                body = await self._check()
                backoff = 1.0
            except TokenUnusable:
                if self.client.dead_reason is not None:
                    log.error(
                        "Long Poll of %s stopped: %s", self.group_id, self.client.dead_reason
                    )
                    return
                await self.clock.sleep(60.0)
                continue
            except (VkError, requests.RequestException, ValueError) as exc:
                log.warning("Long Poll of %s: %s", self.group_id, exc)
                await self.clock.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            failed = body.get("failed")
            if failed is not None:
                code = int(failed)
                self.failures[code] = self.failures.get(code, 0) + 1
                if code == 1:
                    self.ts = str(body.get("ts", self.ts))
                    self._reconcile()
                elif code == 2:
                    self._server = ""
                else:
                    self._server, self.ts = "", None
                    self._reconcile()
                continue
            batch = self.to_batch(body.get("updates") or [])
            if not self._looked:
                batch.looked.append(self.group_id)
            if not await self._deliver(sink, batch, str(body.get("ts", self.ts)), stop):
                return
            self._looked = True

    async def _deliver(self, sink: Sink, batch: Batch, ts: str, stop: asyncio.Event) -> bool:
        """Store the events, then move ``ts`` past them.  Storage being away (a database
        outage) is waited out and the same events retried, so the listener neither dies nor
        skips what the server sent; storing twice is harmless (comments are unique)."""
        backoff = 1.0
        while not stop.is_set():
            try:
                if batch.comments or batch.posts or batch.looked:
                    await sink(batch)
                self.ts = ts
                if self.save_ts is not None:
                    await self.save_ts(self.group_id, ts)
                return True
            except Exception:
                log.exception("Long Poll of %s: could not store events, retrying", self.group_id)
                self.store_failures += 1
                await self.clock.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
        return False

    def to_batch(self, updates: list[dict[str, Any]]) -> Batch:
        """Normalize Long Poll updates into comment and post events."""
        batch = Batch()
        for upd in updates:
            kind = str(upd.get("type", ""))
            obj: dict[str, Any] = upd.get("object") or {}
            owner_id = int(obj.get("post_owner_id") or obj.get("owner_id") or -self.group_id)
            if kind in _CHANGES:
                ev = comment_from_vk(obj, owner_id, int(obj.get("post_id", 0)), {})
                ev = replace(ev, change=_CHANGES[kind])
                batch.comments.append(ev)
                if self.collector is not None:
                    self.collector.on_pushed_comment(owner_id, ev.post_id, ev.comment_id)
            elif kind == "wall_reply_delete":
                batch.comments.append(
                    CommentEvent(
                        owner_id, int(obj.get("post_id", 0)), int(obj.get("id", 0)),
                        int(obj.get("deleter_id") or obj.get("user_id") or 0), "",
                        from_unix(self.clock.now().timestamp()), change=CommentChange.DELETE,
                    )
                )  # fmt: skip
            elif kind == "wall_post_new" and self.collector is not None:
                self.collector.on_pushed_post(owner_id, obj, batch)
        return batch
