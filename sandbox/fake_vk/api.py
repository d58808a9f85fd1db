"""Handlers of the VK methods the fake implements (everything but ``execute``).

Each handler gets a :class:`Ctx` and the merged string parameters, returns the value of the
``response`` field or raises :class:`VKError`.  Token kinds, rate limits and quotas are checked
by the server before a handler runs (they apply to ``execute`` inner calls too).

Error codes chosen where the real API is undocumented (vk-api.md §4.2, §10):

* unknown community / malformed owner: 100 ("owner_id is incorrect");
* closed (``is_closed`` != 0) or deactivated community: 15 on wall.get / wall.getComments;
* wall.getComments on a **deleted** post: 15 "Access denied: post was not found";
* wall.getComments on a post that **never existed or is not published yet**: 100
  "One of the parameters specified was missing or invalid: post_id is invalid";
* comments closed on the post: 212;
* ``comment_id`` that is not a top-level comment of that post: 100;
* ``count`` above 100 is clamped to 100 (as VK does), ``thread_items_count`` above 10 too.

``wall.createComment`` (issue 15; parameters and response per VKCOM/vk-api-schema 5.199
``wall/methods.json``, errors 212/213/222/223 listed there, the rest chosen here):

* a service token: 28 (the schema allows user and community tokens only);
* a community token of another community, or a user token with ``from_group`` (the fake
  models no community admins): 15 "Access denied";
* a community token of this community without the ``manage`` right (VK's community-token
  rights are stories, photos, app_widget, messages, docs and manage; none is "wall"): 15 with
  ``error_subcode`` 1133 (the schema's ``method_permission_denied``);
* comments closed on the post: 213 ("Access to status replies denied", the write side);
* a post that never existed or is not published yet: 100 "post_id is invalid"; a deleted
  post: 210 "Access to wall's post denied";
* ``reply_to_comment`` that is not a comment under that post: 100; a deleted one: 211;
* neither ``message`` nor ``attachments``: 100;
* ``guid``: the same author sending the same guid on the same wall again gets the first
  comment's id back and nothing new is published.

``groups.getTokenPermissions`` (community tokens only; user 15, service 28) answers
``{"mask", "permissions": [{"name", "setting"}]}`` with VK's bits for each right.
``users.get`` (any token) names residents for an answer's address; a malformed id: 113.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

from sandbox.fake_vk.errors import VKError
from sandbox.fake_vk.model import Comment, Group, Post
from sandbox.fake_vk.shapes import comment_json, group_json, post_json, profile_json
from sandbox.fake_vk.world import World

TokenKind = Literal["service", "user", "group"]
NEW_SHAPES = (5, 199)  # groups.getById / wall.getById return objects from this version on

#: VK's community-token rights and their bits (``groups.getTokenPermissions``' mask).
COMMUNITY_RIGHTS: dict[str, int] = {
    "stories": 1,
    "photos": 4,
    "app_widget": 64,
    "messages": 4096,
    "docs": 131072,
    "manage": 262144,
}
#: What a community token gets in the fake unless told otherwise.
DEFAULT_COMMUNITY_RIGHTS = ("messages", "photos", "docs", "manage")
#: The right a community token needs to comment as the community (see the docstring).
COMMENT_RIGHT = "manage"
#: Methods that change the world: the sandbox report lists every call of them.
WRITE_METHODS = frozenset({"wall.createComment"})


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A registered access token."""

    token: str
    kind: TokenKind
    group_id: int | None = None
    rights: frozenset[str] = frozenset()  # a community token's rights
    user_id: int | None = None  # a user token's user (the author of what it writes)


@dataclass(slots=True)
class Ctx:
    """What a handler may look at besides its parameters."""

    world: World
    token: TokenInfo
    version: tuple[int, int]
    base_url: str
    now: float = 0.0  # the clock's instant (unix seconds) when the request is handled


class Params:
    """Typed access to string parameters with VK-style error 100 on bad values."""

    __slots__ = ("raw",)

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = raw

    def get_str(self, name: str) -> str | None:
        value = self.raw.get(name)
        return value if value not in (None, "") else None

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.get_str(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise VKError(100, f"{name} not integer") from None

    def req_int(self, name: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise VKError(100, f"{name} is undefined")
        return value

    def flag(self, name: str) -> bool:
        value = self.get_str(name)
        return value not in (None, "0", "false", "False")

    def fields(self) -> set[str]:
        return {f.strip() for f in (self.get_str("fields") or "").split(",") if f.strip()}


def _clamp(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, value))


def _group_for_wall(ctx: Ctx, p: Params) -> Group:
    owner_id = p.get_int("owner_id")
    group: Group | None
    if owner_id is None:
        domain = p.get_str("domain")
        if domain is None:
            raise VKError(100, "owner_id is undefined")
        group = ctx.world.resolve(domain)
    else:
        wall = ctx.world.walls.get(-owner_id) if owner_id < 0 else None
        group = wall.group if wall else None
    if group is None:
        raise VKError(100, "owner_id is incorrect")
    if group.deactivated:
        raise VKError(15, "group is blocked")
    if group.is_closed:
        raise VKError(15, "this wall available only for community members")
    return group


def _extended(ctx: Ctx, owner_ids: Iterable[int], fields: set[str]) -> dict[str, Any]:
    users = sorted({i for i in owner_ids if i > 0})
    groups = []
    for gid in sorted({-i for i in owner_ids if i < 0}):
        wall = ctx.world.walls.get(gid)
        if wall is not None:
            groups.append(group_json(wall.group, fields))
    return {"profiles": [profile_json(u, ctx.world.users.get(u)) for u in users], "groups": groups}


def wall_get(ctx: Ctx, p: Params) -> Any:
    """wall.get: newest first, pinned post(s) first, ``count`` ≤ 100."""
    group = _group_for_wall(ctx, p)
    feed = ctx.world.walls[group.id].feed
    offset = max(0, p.get_int("offset", 0) or 0)
    count = _clamp(p.get_int("count", 20) or 0, 0, 100)
    flt = p.get_str("filter") or "all"
    owner = -group.id

    def keep(post: Post) -> bool:
        if flt == "owner":
            return post.from_id == owner
        if flt == "others":
            return post.from_id != owner
        return flt == "all"

    pinned = [x for x in feed if x.is_pinned and keep(x)]
    rest = (x for x in reversed(feed) if not x.is_pinned and keep(x))
    total = sum(1 for x in feed if keep(x)) if flt != "all" else len(feed)
    items = pinned[offset : offset + count]
    skip = max(0, offset - len(pinned))
    items.extend(islice(rest, skip, skip + count - len(items)))
    out: dict[str, Any] = {"count": total, "items": [post_json(x) for x in items]}
    if p.flag("extended"):
        out.update(_extended(ctx, [x.from_id for x in items] + [owner], p.fields()))
    return out


def wall_get_by_id(ctx: Ctx, p: Params) -> Any:
    """wall.getById: deleted, unpublished and unknown posts are silently absent."""
    raw = p.get_str("posts")
    if raw is None:
        raise VKError(100, "posts is undefined")
    refs = [r.strip() for r in raw.split(",") if r.strip()]
    if len(refs) > 100:
        raise VKError(100, "posts is too long")
    items: list[dict[str, Any]] = []
    for ref in refs:
        owner_s, _, post_s = ref.partition("_")
        try:
            owner_id, post_id = int(owner_s), int(post_s)
        except ValueError:
            continue
        wall = ctx.world.walls.get(-owner_id) if owner_id < 0 else None
        post = wall.posts.get(post_id) if wall else None
        if wall is None or post is None or not post.published or post.deleted:
            continue
        if wall.group.is_closed or wall.group.deactivated:
            continue
        items.append(post_json(post))
    if ctx.version < NEW_SHAPES:
        return items
    out: dict[str, Any] = {"items": items}
    if p.flag("extended"):
        out.update(_extended(ctx, [i["from_id"] for i in items], p.fields()))
    return out


def _visible_top(post: Post) -> list[Comment]:
    """Top-level comments a reader sees: deleted ones only as placeholders with live replies."""
    return [c for c in post.top or () if not c.deleted or c.visible_replies()]


def _start_index(level: list[Comment], start_id: int, desc: bool) -> int:
    """Position of ``start_id`` in ``level`` (or of the nearest earlier comment)."""
    ids = [c.id for c in level]
    if desc:
        for i, cid in enumerate(ids):
            if cid <= start_id:
                return i
        return len(ids)
    return max(0, bisect_right(ids, start_id) - 1)


def wall_get_comments(ctx: Ctx, p: Params) -> Any:
    """wall.getComments (vk-api.md §2.2); see the module docstring for error codes."""
    group = _group_for_wall(ctx, p)
    wall = ctx.world.walls[group.id]
    post_id = p.req_int("post_id")
    post = wall.posts.get(post_id)
    if post is None or not post.published:
        raise VKError(100, "post_id is invalid")
    if post.deleted:
        raise VKError(15, "post was not found")
    if post.comments_closed:
        raise VKError(212)
    count = _clamp(p.get_int("count", 10) or 0, 0, 100)
    offset = p.get_int("offset", 0) or 0
    sort = p.get_str("sort") or "asc"
    if sort not in ("asc", "desc", "smart"):
        raise VKError(100, "sort is invalid")
    desc = sort == "desc"
    preview = max(0, p.get_int("preview_length", 0) or 0)
    thread_items = _clamp(p.get_int("thread_items_count", 0) or 0, 0, 10)
    need_likes = p.flag("need_likes")
    comment_id = p.get_int("comment_id")

    if comment_id is not None:
        root = wall.comments.get(comment_id)
        if root is None or root.post is not post or not root.published or root.root is not None:
            raise VKError(100, "comment_id is invalid")
        level = root.visible_replies()
        total = len(level)
    else:
        level = _visible_top(post)
        total = post.n_visible
    if desc:
        level = level[::-1]
    real_offset: int | None = None
    start_comment_id = p.get_int("start_comment_id")
    if start_comment_id is not None:
        real_offset = max(0, _start_index(level, start_comment_id, desc) + offset)
        start = real_offset
    else:
        if offset < 0:
            raise VKError(100, "offset is invalid")
        start = offset
    page = level[start : start + count]
    items = [
        comment_json(
            c,
            preview_length=preview,
            need_likes=need_likes,
            thread_items=thread_items,
            can_post=not post.comments_closed,
        )
        for c in page
    ]
    out: dict[str, Any] = {
        "count": total,
        "current_level_count": len(level),
        "can_post": not post.comments_closed,
        "show_reply_button": True,
        "groups_can_post": True,
        "items": items,
    }
    if real_offset is not None:
        out["real_offset"] = real_offset
    if p.flag("extended"):
        authors = [i["from_id"] for i in items]
        for i in items:
            authors.extend(r["from_id"] for r in i.get("thread", {}).get("items", []))
        out.update(_extended(ctx, [a for a in authors if a], p.fields()))
    return out


def groups_get_by_id(ctx: Ctx, p: Params) -> Any:
    """groups.getById by ids or screen names; unknown ones are skipped, none found → 100."""
    raw = p.get_str("group_ids") or p.get_str("group_id")
    if raw is None:
        if ctx.token.kind != "group" or ctx.token.group_id is None:
            raise VKError(100, "group_ids is undefined")
        raw = str(ctx.token.group_id)
    refs = [r.strip() for r in raw.split(",") if r.strip()]
    if len(refs) > 500:
        raise VKError(100, "group_ids is too long")
    fields = p.fields()
    groups = []
    for ref in refs:
        group = ctx.world.resolve(ref.lstrip("-"))
        if group is not None:
            groups.append(group_json(group, fields))
    if not groups:
        raise VKError(100, "Invalid group id")
    if ctx.version < NEW_SHAPES:
        return groups
    return {"groups": groups, "profiles": []}


def utils_resolve_screen_name(ctx: Ctx, p: Params) -> Any:
    """utils.resolveScreenName: ``{"type", "object_id"}`` or ``[]`` when not found."""
    name = p.get_str("screen_name")
    if name is None:
        raise VKError(100, "screen_name is undefined")
    name = name.rsplit("/", 1)[-1]
    group = ctx.world.resolve(name)
    if group is None or name.isdigit():
        return []
    return {"type": group.type, "object_id": group.id}


def groups_get_long_poll_server(ctx: Ctx, p: Params) -> Any:
    """groups.getLongPollServer: enables event logging for the community (see world.py)."""
    gid = p.get_int("group_id", ctx.token.group_id)
    if gid is None:
        raise VKError(100, "group_id is undefined")
    if ctx.token.kind == "group" and ctx.token.group_id != gid:
        raise VKError(15, "no access to this group")
    if gid not in ctx.world.walls:
        raise VKError(100, "group_id is invalid")
    lp = ctx.world.enable_long_poll(gid)
    return {"key": lp.key, "server": f"{ctx.base_url}lp/{gid}", "ts": str(lp.next_ts)}


def wall_create_comment(ctx: Ctx, p: Params) -> Any:
    """wall.createComment: publishes at once, so the wall and Long Poll see it (issue 15)."""
    post_id = p.req_int("post_id")
    owner_id = p.get_int("owner_id")
    tok = ctx.token
    if owner_id is None:
        owner_id = -tok.group_id if tok.kind == "group" and tok.group_id else 0
    wall = ctx.world.walls.get(-owner_id) if owner_id < 0 else None
    if wall is None:
        raise VKError(100, "owner_id is incorrect")
    gid = wall.group.id
    from_group = p.get_int("from_group", 0) or 0
    if tok.kind == "group":
        if tok.group_id != gid:
            raise VKError(15, "no access to this community")
        if COMMENT_RIGHT not in tok.rights:
            raise VKError(15, "no access to call this method", error_subcode=1133)
        author = -gid
    elif from_group:
        raise VKError(15, "you are not an admin of this community")
    else:
        author = tok.user_id or 1
    message = p.get_str("message")
    if message is None and p.get_str("attachments") is None:
        raise VKError(100, "message is empty or invalid")
    guid = p.get_str("guid")
    if guid is not None and (known := ctx.world.guids.get((gid, author, guid))) is not None:
        return dict(known)
    post = wall.posts.get(post_id)
    if post is None or not post.published:
        raise VKError(100, "post_id is invalid")
    if post.deleted:
        raise VKError(210)
    if post.comments_closed:
        raise VKError(213)
    reply_to = p.get_int("reply_to_comment") or None
    root: Comment | None = None
    reply_user = 0
    if reply_to is not None:
        parent = wall.comments.get(reply_to)
        if parent is None or parent.post is not post or not parent.published:
            raise VKError(100, "reply_to_comment is invalid")
        if parent.deleted:
            raise VKError(211)
        root = parent.root or parent
        reply_user = parent.from_id
    cid = wall.allocate_id(None)
    at = max(ctx.now, post.at)
    comment = Comment(cid, post, author, at, message or "", reply_to or 0, reply_user, root)
    ctx.world.add_comment(comment, at)  # published now: the wall and Long Poll see it
    result: dict[str, Any] = {
        "comment_id": cid,
        "parents_stack": [root.id] if root is not None else [],
    }
    if guid is not None:
        ctx.world.guids[(gid, author, guid)] = dict(result)
    return result


def users_get(ctx: Ctx, p: Params) -> Any:
    """users.get: names of the given users (the token's user without ``user_ids``)."""
    raw = p.get_str("user_ids")
    if raw is None:
        if ctx.token.user_id is None:
            raise VKError(100, "user_ids is undefined")
        raw = str(ctx.token.user_id)
    ids = []
    for ref in (r.strip() for r in raw.split(",") if r.strip()):
        if not ref.lstrip("id").isdigit():
            raise VKError(113, "Invalid user id")
        ids.append(int(ref.lstrip("id")))
    if len(ids) > 1000:
        raise VKError(100, "user_ids is too long")
    return [profile_json(i, ctx.world.users.get(i)) for i in ids if i > 0]


def groups_get_token_permissions(ctx: Ctx, p: Params) -> Any:
    """groups.getTokenPermissions: the community token's rights and their mask."""
    rights = sorted(ctx.token.rights, key=lambda r: COMMUNITY_RIGHTS.get(r, 0))
    permissions = [{"name": r, "setting": COMMUNITY_RIGHTS[r]} for r in rights]
    return {"mask": sum(x["setting"] for x in permissions), "permissions": permissions}


Handler = Callable[[Ctx, Params], Any]

READ: frozenset[TokenKind] = frozenset({"user", "service"})
ANY: frozenset[TokenKind] = frozenset({"user", "service", "group"})
NOT_SERVICE: frozenset[TokenKind] = frozenset({"user", "group"})
GROUP: frozenset[TokenKind] = frozenset({"group"})

# method -> (handler, token kinds allowed), per vk-api.md §1.3.
METHODS: dict[str, tuple[Handler, frozenset[TokenKind]]] = {
    "wall.get": (wall_get, READ),
    "wall.getById": (wall_get_by_id, READ),
    "wall.getComments": (wall_get_comments, READ),
    "groups.getById": (groups_get_by_id, ANY),
    "utils.resolveScreenName": (utils_resolve_screen_name, ANY),
    "groups.getLongPollServer": (groups_get_long_poll_server, NOT_SERVICE),
    "wall.createComment": (wall_create_comment, NOT_SERVICE),
    "groups.getTokenPermissions": (groups_get_token_permissions, GROUP),
    "users.get": (users_get, ANY),
}
EXECUTE_KINDS: frozenset[TokenKind] = ANY


def check_token_kind(kind: TokenKind, allowed: frozenset[TokenKind]) -> None:
    """Raise 27 (group token) or 28 (service token) if ``kind`` may not call the method."""
    if kind in allowed:
        return
    if kind == "group":
        raise VKError(27)
    if kind == "service":
        raise VKError(28)
    raise VKError(15, "method is unavailable with this token")
