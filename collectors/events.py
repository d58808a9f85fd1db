"""Normalized events that collectors hand to storage, whatever the source (poll or push)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class CommentChange(StrEnum):
    NEW = "new"
    EDIT = "edit"
    DELETE = "delete"
    RESTORE = "restore"


@dataclass(frozen=True, slots=True)
class CommentEvent:
    owner_id: int
    post_id: int
    comment_id: int
    from_id: int
    text: str
    created_at: datetime
    thread_id: int | None = None
    reply_to_comment: int | None = None
    reply_to_user: int | None = None
    author_name: str | None = None
    change: CommentChange = CommentChange.NEW


@dataclass(frozen=True, slots=True)
class PostEvent:
    owner_id: int
    post_id: int
    created_at: datetime
    text: str | None  # None: unchanged, storage keeps what it has
    comments_count: int


@dataclass
class Batch:
    """What one collection pass found; counts are confirmed only after storage commits."""

    posts: list[PostEvent] = field(default_factory=list)
    comments: list[CommentEvent] = field(default_factory=list)
    # The request failed (VK away, token out): nothing was looked at, so it is not a good
    # pass, however empty (issue 11).
    failed: bool = False
    # Posts read in full with nothing of them in memory (the first read after a start): the
    # ids of their live comments.  Storage compares them with what it holds, so a comment
    # deleted or edited while Otklik was down is noticed (issue 11).
    baselines: list[tuple[int, int, frozenset[int]]] = field(default_factory=list)
    # Pages (group ids) read now whose first look storage may not hold yet, however empty
    # their walls: storage stamps it with the batch, so a restart before anything of the page
    # was stored does not take its comments written meanwhile for its history.
    looked: list[int] = field(default_factory=list)


def from_unix(ts: int | float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def comment_from_vk(
    item: dict[str, Any], owner_id: int, post_id: int, names: dict[int, str]
) -> CommentEvent:
    """Build an event from a VK comment object (wall.getComments item or Long Poll object)."""
    stack = item.get("parents_stack") or []
    from_id = int(item.get("from_id", 0))
    return CommentEvent(
        owner_id=owner_id,
        post_id=int(item.get("post_id", post_id)),
        comment_id=int(item["id"]),
        from_id=from_id,
        text=str(item.get("text", "")),
        created_at=from_unix(item.get("date", 0)),
        thread_id=int(stack[0]) if stack else None,
        reply_to_comment=_opt_int(item.get("reply_to_comment")),
        reply_to_user=_opt_int(item.get("reply_to_user")),
        author_name=names.get(from_id),
    )


def names_from_extended(response: dict[str, Any]) -> dict[int, str]:
    """Owner id → display name from the ``profiles``/``groups`` of an extended response."""
    names: dict[int, str] = {}
    for p in response.get("profiles") or []:
        names[int(p["id"])] = f"{p.get('first_name', '')} {p.get('last_name', '')}".strip()
    for g in response.get("groups") or []:
        names[-int(g["id"])] = str(g.get("name", ""))
    return names


def _opt_int(value: Any) -> int | None:
    return None if value in (None, "", 0) else int(value)
