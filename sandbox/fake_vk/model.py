"""Lean in-memory objects of the fake VK world.

The collector benchmark loads ~200k posts and several hundred thousand comments, so these are
slotted dataclasses holding references instead of per-item dicts; JSON is only built when a
method returns an item (see :mod:`sandbox.fake_vk.shapes`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, eq=False)
class Group:
    """A community.  ``type`` is always ``group`` (the fake does not model pages/events)."""

    id: int
    name: str
    screen_name: str
    is_closed: int = 0
    deactivated: str | None = None
    type: str = "group"


@dataclass(slots=True, eq=False)
class Post:
    """A wall post; ``at`` is the publication instant as unix seconds (float, for ordering)."""

    id: int
    group_id: int
    from_id: int
    at: float
    text: str
    comments_closed: bool = False
    is_pinned: bool = False
    published: bool = False
    deleted: bool = False
    # Published top-level comments in id order (deleted ones stay, flagged); created lazily.
    top: list[Comment] | None = None
    # Published, non-deleted comments including replies (what wall.get reports).
    n_visible: int = 0
    # The post's ``hash`` field and its last rendering, reused while the count and the
    # comment state are unchanged (a count check renders thousands of posts); never mutated.
    hash: str = ""
    rendered: dict[str, Any] | None = None
    rendered_key: int = -1


@dataclass(slots=True, eq=False)
class Comment:
    """A wall comment.  ``root`` is None for top-level comments, else the thread's top comment."""

    id: int
    post: Post
    from_id: int
    at: float
    text: str
    reply_to: int = 0
    reply_to_user: int = 0
    root: Comment | None = None
    published: bool = False
    deleted: bool = False
    # Published replies in id order (only for top-level comments; created lazily).
    replies: list[Comment] | None = None

    @property
    def visible(self) -> bool:
        """Published and not deleted: what a reader of the wall can see."""
        return self.published and not self.deleted

    def visible_replies(self) -> list[Comment]:
        """Replies a reader can see (deleted replies are simply absent in VK)."""
        if not self.replies:
            return []
        return [r for r in self.replies if not r.deleted]


@dataclass(slots=True, eq=False)
class LongPollLog:
    """Bots Long Poll state of one community: key, event counter and a bounded history.

    Events are numbered from 1; ``next_ts`` is the number the next event will get, which is
    also the ``ts`` a client passes to wait for it.  Only the newest ``maxlen`` events are kept,
    so a client that falls further behind gets ``failed: 1``.
    """

    key: str
    next_ts: int = 1
    events: deque[tuple[int, dict[str, object]]] = field(
        default_factory=lambda: deque(maxlen=1000)
    )
    scripted_failures: deque[int] = field(default_factory=deque)


@dataclass(slots=True, eq=False)
class Wall:
    """One community wall: a single id counter shared by its posts and comments."""

    group: Group
    last_id: int = 0
    posts: dict[int, Post] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    # Published posts ordered by (at, id), deleted ones removed.
    feed: list[Post] = field(default_factory=list)
    lp: LongPollLog | None = None

    def allocate_id(self, explicit: int | None) -> int:
        """Next id from the shared counter, or ``explicit`` (bumping the counter past it)."""
        if explicit is None:
            self.last_id += 1
            return self.last_id
        if explicit <= 0:
            raise ValueError("ids must be positive")
        if explicit in self.posts or explicit in self.comments:
            raise ValueError(f"id {explicit} is already used on wall {self.group.id}")
        self.last_id = max(self.last_id, explicit)
        return explicit
