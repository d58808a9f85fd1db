"""JSON shapes of VK 5.199 objects (vk-api.md §2) built from the lean model objects.

Kept separate from the method logic so Long Poll events and method responses render items
identically, as the real API does.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sandbox.fake_vk.model import Comment, Group, Post


def group_json(group: Group, fields: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """A ``groups_group`` object; optional ``fields`` the fake can answer are filled in."""
    out: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "screen_name": group.screen_name,
        "is_closed": group.is_closed,
        "type": group.type,
        "is_admin": 0,
        "is_member": 0,
        "is_advertiser": 0,
        "photo_50": f"https://sun.userapi.com/fake/g{group.id}_50.jpg",
        "photo_100": f"https://sun.userapi.com/fake/g{group.id}_100.jpg",
        "photo_200": f"https://sun.userapi.com/fake/g{group.id}_200.jpg",
    }
    if group.deactivated:
        out["deactivated"] = group.deactivated
    if "members_count" in fields:
        out["members_count"] = 1000 + group.id % 50_000
    if "verified" in fields:
        out["verified"] = 1
    if "activity" in fields:
        out["activity"] = "Государственная организация"
    return out


def profile_json(user_id: int, name: str | None = None) -> dict[str, Any]:
    """A minimal ``users_user`` object for ``extended=1`` answers."""
    first, _, last = (name or f"User{user_id} Fake").partition(" ")
    return {
        "id": user_id,
        "first_name": first,
        "last_name": last,
        "can_access_closed": True,
        "is_closed": False,
    }


# Parts every post shares (never mutated; a cached post object costs less memory with them).
_NO_ATTACHMENTS: list[Any] = []
_POST_SOURCE = {"type": "vk"}
_LIKES = {"count": 0, "user_likes": 0, "can_like": 1, "can_publish": 1}
_REPOSTS = {"count": 0, "user_reposted": 0}


def post_json(post: Post, *, can_post_comments: bool = True) -> dict[str, Any]:
    """A ``wall_wallpost_full`` object as wall.get / wall.getById return it.

    The object is cached on the post while its count, comment state and pin are unchanged,
    so callers must not mutate it (they serialise or copy it)."""
    can_post = 1 if can_post_comments and not post.comments_closed else 0
    key = post.n_visible * 4 + can_post * 2 + post.is_pinned
    if post.rendered is not None and post.rendered_key == key:
        return post.rendered
    owner_id = -post.group_id
    out: dict[str, Any] = {
        "inner_type": "wall_wallpost",  # the schema requires it; real answers carry it
        "id": post.id,
        "owner_id": owner_id,
        "from_id": post.from_id,
        "date": int(post.at),
        "text": post.text,
        "post_type": "post",
        "marked_as_ads": 0,
        "attachments": _NO_ATTACHMENTS,
        "post_source": _POST_SOURCE,
        "comments": {
            "count": post.n_visible,
            "can_post": can_post,
            "groups_can_post": True,
            "can_close": 0,
            "can_open": 0,
        },
        "likes": _LIKES,
        "reposts": _REPOSTS,
        "views": {"count": 10 * (post.n_visible + 1)},
        "hash": post.hash or _post_hash(post),
    }
    if post.is_pinned:
        out["is_pinned"] = 1
    post.rendered, post.rendered_key = out, key
    return out


def _post_hash(post: Post) -> str:
    post.hash = hashlib.md5(
        f"{-post.group_id}_{post.id}".encode(), usedforsecurity=False
    ).hexdigest()[:14]
    return post.hash


def _truncate(text: str, preview_length: int) -> str:
    if preview_length > 0 and len(text) > preview_length:
        return text[:preview_length]
    return text


def comment_json(
    c: Comment,
    *,
    preview_length: int = 0,
    need_likes: bool = False,
    thread_items: int = 0,
    can_post: bool = True,
) -> dict[str, Any]:
    """A ``wall_wall_comment`` object.

    Top-level comments carry a ``thread`` with the number of visible replies and (when
    ``thread_items`` > 0) the oldest ``thread_items`` of them; replies carry
    ``parents_stack``/``reply_to_*`` and an empty thread, as observed on the real API.
    A deleted top-level comment kept as a placeholder has empty text, ``from_id`` 0 and
    ``deleted: true``.
    """
    owner_id = -c.post.group_id
    out: dict[str, Any] = {
        "id": c.id,
        "from_id": 0 if c.deleted else c.from_id,
        "date": int(c.at),
        "text": "" if c.deleted else _truncate(c.text, preview_length),
        "post_id": c.post.id,
        "owner_id": owner_id,
        "parents_stack": [] if c.root is None else [c.root.id],
    }
    if c.deleted:
        out["deleted"] = True
    if c.root is not None:
        if c.reply_to:
            out["reply_to_comment"] = c.reply_to
        if c.reply_to_user:
            out["reply_to_user"] = c.reply_to_user
        out["thread"] = {"count": 0}
    else:
        replies = c.visible_replies()
        thread: dict[str, Any] = {"count": len(replies)}
        if thread_items > 0:
            thread["items"] = [
                comment_json(r, preview_length=preview_length, need_likes=need_likes)
                for r in replies[:thread_items]
            ]
        thread["can_post"] = can_post
        thread["show_reply_button"] = True
        thread["groups_can_post"] = True
        out["thread"] = thread
    if need_likes:
        out["likes"] = {"count": 0, "user_likes": 0, "can_like": 1}
    return out
