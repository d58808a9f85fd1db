"""The fake VK world: communities, posts, comments, the time schedule and Long Poll logs.

Everything is keyed by virtual time.  Items and changes whose instant is already past are
applied at once; future ones go to a heap and are applied by :meth:`World.publish_due`, which
the server calls before every request and from a background task.  Applying a change is the
moment it becomes visible to every method and the moment its Long Poll event is logged.

Long Poll events are only logged for communities whose Long Poll server has been requested
(as if Long Poll were enabled from then on): a real listener only ever sees events from the
``ts`` it got, and logging events for 6,000 idle benchmark walls would waste memory.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from bisect import insort
from collections import deque
from collections.abc import Callable
from typing import Any

from sandbox.fake_vk.model import Comment, Group, LongPollLog, Post, Wall
from sandbox.fake_vk.shapes import comment_json, post_json

LP_HISTORY = 1000


# Kinds of scheduled changes (plain ints: this is the hot path when loading big worlds).
PUBLISH_POST = 1
PUBLISH_COMMENT = 2
EDIT_COMMENT = 3
DELETE_COMMENT = 4
RESTORE_COMMENT = 5
DELETE_POST = 6

_Entry = tuple[float, int, int, Post | Comment, str]


class World:
    """All communities and their walls, plus the schedule of future changes."""

    def __init__(self, *, seed: int = 0) -> None:
        self.walls: dict[int, Wall] = {}
        self.users: dict[int, str] = {}  # user id -> "First Last" for extended answers
        self._by_screen_name: dict[str, int] = {}
        self._heap: list[_Entry] = []
        self._seq = 0
        self._rng = random.Random(seed)
        # Called with the group id after a Long Poll event is logged (the server wakes the
        # long polls waiting on that community instead of polling the log).
        self.on_lp_event: Callable[[int], None] | None = None
        # wall.createComment's ``guid``: (group id, author, guid) -> the first answer, so a
        # retry with the same guid publishes nothing new (issue 15).
        self.guids: dict[tuple[int, int, str], dict[str, Any]] = {}

    # ------------------------------------------------------------------ lookup

    def wall(self, group_id: int) -> Wall:
        """The wall of ``group_id`` or KeyError (programming error in a scenario)."""
        try:
            return self.walls[group_id]
        except KeyError:
            raise KeyError(f"unknown group {group_id}; call add_group first") from None

    def resolve(self, screen_name: str) -> Group | None:
        """A community by screen name, ``club123``/``public123`` or a bare numeric id."""
        name = screen_name.strip().lower()
        gid = self._by_screen_name.get(name)
        if gid is None:
            for prefix in ("club", "public", "event", ""):
                rest = name[len(prefix) :]
                if name.startswith(prefix) and rest.isdigit():
                    gid = int(rest)
                    break
        wall = self.walls.get(gid) if gid is not None else None
        return wall.group if wall else None

    @property
    def pending(self) -> int:
        """Number of scheduled (not yet applied) changes."""
        return len(self._heap)

    # ------------------------------------------------------------------ building

    def add_group(self, group: Group) -> None:
        """Register a community (re-adding replaces its metadata, keeps its wall)."""
        if group.id <= 0:
            raise ValueError("group ids are positive")
        wall = self.walls.get(group.id)
        if wall is None:
            self.walls[group.id] = Wall(group)
        else:
            self._by_screen_name.pop(wall.group.screen_name.lower(), None)
            wall.group = group
        self._by_screen_name[group.screen_name.lower()] = group.id

    def add_post(self, post: Post, now: float) -> None:
        """Store ``post`` (id already allocated) and publish or schedule it."""
        wall = self.wall(post.group_id)
        wall.posts[post.id] = post
        self._apply_or_schedule(post.at, now, PUBLISH_POST, post)

    def add_comment(self, c: Comment, now: float) -> None:
        """Store comment ``c`` (id already allocated) and publish or schedule it."""
        wall = self.wall(c.post.group_id)
        wall.comments[c.id] = c
        self._apply_or_schedule(c.at, now, PUBLISH_COMMENT, c)

    def change_comment(self, c: Comment, act: str, at: float, now: float, text: str = "") -> None:
        """Edit, delete or restore ``c`` at ``at`` (``act`` in edit/delete/restore)."""
        kind = {
            "edit": EDIT_COMMENT,
            "delete": DELETE_COMMENT,
            "restore": RESTORE_COMMENT,
        }[act]
        self._apply_or_schedule(at, now, kind, c, text)

    def delete_post(self, post: Post, at: float, now: float) -> None:
        """Delete ``post`` at ``at``; its comments become unreachable with it."""
        self._apply_or_schedule(at, now, DELETE_POST, post)

    def _apply_or_schedule(
        self, at: float, now: float, act: int, obj: Post | Comment, text: str = ""
    ) -> None:
        self._seq += 1
        if at <= now:
            self._apply(act, obj, text)
        else:
            heapq.heappush(self._heap, (at, self._seq, act, obj, text))

    def publish_due(self, now: float) -> int:
        """Apply every scheduled change whose instant is ``<= now``; returns how many."""
        heap = self._heap
        n = 0
        while heap and heap[0][0] <= now:
            _, _, act, obj, text = heapq.heappop(heap)
            self._apply(act, obj, text)
            n += 1
        return n

    # ------------------------------------------------------------------ applying

    def _apply(self, act: int, obj: Post | Comment, text: str) -> None:
        if isinstance(obj, Post):
            if act == PUBLISH_POST:
                self._publish_post(obj)
            else:
                self._delete_post(obj)
            return
        if act == PUBLISH_COMMENT:
            self._publish_comment(obj)
        elif act == EDIT_COMMENT:
            obj.text = text
            if obj.visible:
                self._emit_comment(obj, "wall_reply_edit")
        elif act == DELETE_COMMENT:
            if obj.deleted:
                return
            obj.deleted = True
            if obj.published:
                obj.post.n_visible -= 1
                wall = self.walls[obj.post.group_id]
                if wall.lp is not None:
                    self._log(
                        wall,
                        "wall_reply_delete",
                        {
                            "owner_id": -wall.group.id,
                            "id": obj.id,
                            "post_id": obj.post.id,
                            "deleter_id": obj.from_id,
                        },
                    )
        elif act == RESTORE_COMMENT:
            if not obj.deleted:
                return
            obj.deleted = False
            if obj.published:
                obj.post.n_visible += 1
                self._emit_comment(obj, "wall_reply_restore")

    def _publish_post(self, post: Post) -> None:
        if post.published:
            return
        post.published = True
        if post.deleted:
            return
        wall = self.walls[post.group_id]
        feed = wall.feed
        if not feed or (feed[-1].at, feed[-1].id) <= (post.at, post.id):
            feed.append(post)
        else:
            insort(feed, post, key=lambda p: (p.at, p.id))
        if wall.lp is not None:
            self._log(wall, "wall_post_new", post_json(post))

    def _delete_post(self, post: Post) -> None:
        if post.deleted:
            return
        post.deleted = True
        if post.published:
            feed = self.walls[post.group_id].feed
            feed.remove(post)

    def _publish_comment(self, c: Comment) -> None:
        if c.published:
            return
        c.published = True
        if c.root is None:
            if c.post.top is None:
                c.post.top = []
            siblings = c.post.top
        else:
            if c.root.replies is None:
                c.root.replies = []
            siblings = c.root.replies
        if not siblings or siblings[-1].id < c.id:
            siblings.append(c)
        else:
            insort(siblings, c, key=lambda x: x.id)
        if not c.deleted:
            c.post.n_visible += 1
            self._emit_comment(c, "wall_reply_new")

    def _emit_comment(self, c: Comment, kind: str) -> None:
        wall = self.walls[c.post.group_id]
        if wall.lp is None or c.post.deleted:
            return
        obj = comment_json(c)
        obj["post_owner_id"] = -wall.group.id
        self._log(wall, kind, obj)

    # ------------------------------------------------------------------ long poll

    def _log(self, wall: Wall, kind: str, obj: dict[str, Any]) -> None:
        lp = wall.lp
        assert lp is not None
        ts = lp.next_ts
        lp.next_ts += 1
        event_id = hashlib.sha1(
            f"{wall.group.id}:{ts}:{lp.key}".encode(), usedforsecurity=False
        ).hexdigest()
        lp.events.append(
            (
                ts,
                {
                    "group_id": wall.group.id,
                    "type": kind,
                    "event_id": event_id,
                    "v": "5.199",
                    "object": obj,
                },
            )
        )
        if self.on_lp_event is not None:
            self.on_lp_event(wall.group.id)

    def new_lp_key(self) -> str:
        """A fresh random Long Poll key."""
        return f"{self._rng.getrandbits(160):040x}"

    def enable_long_poll(self, group_id: int) -> LongPollLog:
        """Start logging events for ``group_id`` (idempotent) and return its log."""
        wall = self.wall(group_id)
        if wall.lp is None:
            wall.lp = LongPollLog(key=self.new_lp_key(), events=deque(maxlen=LP_HISTORY))
        return wall.lp
