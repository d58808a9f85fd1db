"""Every answer of the fake VK conforms to VK's published API 5.199 schema.

The fake is written together with the collector, so a shape it invents (a key VK never sends,
a string where VK sends a number) would pass our own tests and fail on api.vk.ru.  These tests
drive the fake through the real vk_api (and the collector's own VKScript and Long Poll
requests), record every HTTP answer and check it, strictly, against vkbottle-types: pydantic
models generated from VK's official JSON schema (VKCOM/vk-api-schema, API 5.199).  Error
objects, ``execute_errors`` and the Long Poll ``a_check`` envelope have no model there; the
small models below follow dev.vk.com as quoted in shared/docs/vk-api.md (§2.8, §4.1, §6.1).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import jconfig
import pydantic
import pytest
import requests
import vk_api
import vkbottle_types.codegen.objects as codegen_objects
from vkbottle_types.codegen.objects import BaseErrorInnerType, CallbackBase
from vkbottle_types.events.objects import group_event_objects as events
from vkbottle_types.objects import (
    BaseError,
    GroupsGroupFull,
    GroupsLongPollServer,
    UsersUserFull,
    UtilsDomainResolved,
)
from vkbottle_types.objects import WallWallpostFull as Post
from vkbottle_types.responses import groups as groups_r
from vkbottle_types.responses import wall as wall_r

from collectors.collector import CHECK_FIELDS, _comments_params
from collectors.vk_client import VkSession, execute_code
from config.clock import ManualClock
from sandbox.fake_vk import FakeVK, VKLimits
from tests import test_fake_vk
from tests.conformance_support import VK, Dialect, assert_conforms, problems
from tests.test_fake_vk import GID, OWNER, ago, later

CLOSED_GID = 77
BANNED_GID = 78

# --------------------------------------------------------------------------- extra models


class ErrorObject(BaseError):
    """``error`` of a failed call (vk-api.md §4.1: dev.vk.com's captcha example, SCHEMA
    ``base_error``).  ``inner_type`` is the schema's discriminator, not sent in errors."""

    inner_type: BaseErrorInnerType | None = None  # type: ignore[assignment]
    captcha_sid: str | None = None  # error 14 only
    captcha_img: str | None = None  # error 14 only


class WallGetCommentsPositioned(wall_r.WallGetCommentsResponseModel):
    """wall.getComments with ``start_comment_id``: the schema misses ``real_offset``, which
    VK puts next to ``count`` (VK's own Android client reads it there; the schema of
    photos.getComments, the same call for photos, has it) and the fake answers with it."""

    real_offset: int


class ExecuteError(pydantic.BaseModel):
    """One ``execute_errors`` entry (vk-api.md §2.8; vk_api requests_pool, vk-io)."""

    method: str
    error_code: int
    error_msg: str


class LongPollUpdate(CallbackBase):
    """An event in an ``a_check`` answer: the schema's ``callback_base`` plus ``object``."""

    object: dict[str, Any]


class LongPollAnswer(pydantic.BaseModel):
    """``{"ts": "4", "updates": [...]}`` (dev.vk.com bots-long-poll/getting-started)."""

    ts: str
    updates: list[LongPollUpdate]


class LongPollFailed(pydantic.BaseModel):
    """``{"failed": 1, "ts": ...}`` / ``{"failed": 2}`` / ``{"failed": 3}``."""

    failed: Literal[1, 2, 3]
    ts: str | None = None


for _model in (ErrorObject, LongPollUpdate, WallGetCommentsPositioned):
    _model.object_build(vars(codegen_objects))  # resolve the schema's forward references
LongPollAnswer.model_rebuild()

STRICT = Dialect(
    "VK",
    int_bools=True,
    required={
        **VK.required,
        # dev.vk.com: every error names its code and message and echoes the request
        "ErrorObject": frozenset({"error_msg", "request_params"}),
        # the comment objects of Long Poll events say where they are (vk-api.md §6.1)
        "WallReplyNewObject": frozenset({"post_id", "owner_id", "post_owner_id"}),
        "WallReplyEditObject": frozenset({"post_id", "owner_id", "post_owner_id"}),
        "WallReplyRestoreObject": frozenset({"post_id", "owner_id", "post_owner_id"}),
        # dev.vk.com and vkbottle-types name the deleter ``deleter_id`` (the JSON schema's
        # callback_wall_comment_delete says ``user_id``; the listener reads both)
        "WallReplyDeleteObject": frozenset({"owner_id", "id", "deleter_id", "post_id"}),
        "WallPostNewObject": frozenset({"inner_type", "id", "owner_id", "from_id", "date"}),
    },
)

EVENT_OBJECTS: dict[str, type[pydantic.BaseModel]] = {
    "wall_reply_new": events.WallReplyNewObject,
    "wall_reply_edit": events.WallReplyEditObject,
    "wall_reply_restore": events.WallReplyRestoreObject,
    "wall_reply_delete": events.WallReplyDeleteObject,
    "wall_post_new": events.WallPostNewObject,
}

# --------------------------------------------------------------------------- recording


@dataclass
class Exchange:
    """One HTTP request vk_api (or the Long Poll loop) made and the JSON it got back."""

    method: str  # VK method, or "a_check" for the Long Poll server
    params: dict[str, str]
    body: Any


class RecordingSession(VkSession):
    """The collector's own session, keeping every answer for the conformance check."""

    def __init__(self, api_base: str) -> None:
        super().__init__(api_base, 10.0)
        self.exchanges: list[Exchange] = []

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        resp = super().request(method, url, *args, **kwargs)
        path = urlsplit(url.decode() if isinstance(url, bytes) else url).path
        name = path.rsplit("/", 1)[-1] if path.startswith("/method/") else "a_check"
        sent = kwargs.get("data") or kwargs.get("params") or {}
        params = {str(k): str(v) for k, v in dict(sent).items()}
        self.exchanges.append(Exchange(name, params, resp.json()))
        return resp


def make_vk(fake: FakeVK, token: str = "svc") -> tuple[Any, RecordingSession]:
    session = RecordingSession(fake.base_url)
    vk = vk_api.VkApi(
        token=token, api_version="5.199", session=session, config=jconfig.MemoryConfig
    )
    vk.RPS_DELAY = 0
    return vk, session


async def call(vk: Any, method: str, params: dict[str, Any], **kw: Any) -> Any:
    return await asyncio.to_thread(vk.method, method, params, **kw)


async def fails(vk: Any, method: str, params: dict[str, Any]) -> int:
    """Call expecting a VK error; returns its code (captcha is its own exception type)."""
    with pytest.raises(vk_api.VkApiError) as exc:
        await call(vk, method, params)
    return int(getattr(exc.value, "code", 0))


# --------------------------------------------------------------------------- validation


def response_model(method: str, params: dict[str, str]) -> type[pydantic.BaseModel] | None:
    """The schema's model of ``response`` for a method as the collector and the bot call it."""
    extended = params.get("extended") not in (None, "", "0")
    if method == "wall.getComments" and "start_comment_id" in params and not extended:
        return WallGetCommentsPositioned
    return {
        ("wall.get", False): wall_r.WallGetResponseModel,
        ("wall.get", True): wall_r.WallGetExtendedResponseModel,
        ("wall.getById", False): wall_r.WallGetByIdResponseModel,
        ("wall.getById", True): wall_r.WallGetByIdExtendedResponseModel,
        ("wall.getComments", False): wall_r.WallGetCommentsResponseModel,
        ("wall.getComments", True): wall_r.WallGetCommentsExtendedResponseModel,
        ("groups.getById", False): groups_r.GroupsGetByIdObjectResponseModel,
        ("utils.resolveScreenName", False): UtilsDomainResolved,
        ("groups.getLongPollServer", False): GroupsLongPollServer,
        ("wall.createComment", False): wall_r.WallCreateCommentResponseModel,
        ("groups.getTokenPermissions", False): groups_r.GroupsGetTokenPermissionsResponseModel,
    }.get((method, extended))


def check_result(method: str, params: dict[str, Any], result: Any, what: str) -> None:
    """One method's ``response`` value (top level or an execute inner result)."""
    if method == "utils.resolveScreenName" and result == []:
        return  # "not found" is an empty array (vk-api.md §2.7; vk-io relies on it)
    if method == "users.get":  # the schema's users_get_response: an array of users_user_full
        assert isinstance(result, list), f"{what}: {result!r}"
        for i, user in enumerate(result):
            assert_conforms(user, UsersUserFull, STRICT, f"{what} #{i}")
        return
    model = response_model(method, {k: str(v) for k, v in params.items()})
    assert model is not None, f"{what}: no schema model chosen for {method}"
    assert_conforms(result, model, STRICT, what)


def check_error(body: Any, what: str) -> None:
    assert isinstance(body, dict) and set(body) == {"error"}, f"{what}: {body!r}"
    assert_conforms(body["error"], ErrorObject, STRICT, f"{what} error")


def check_a_check(body: Any, what: str) -> None:
    if isinstance(body, dict) and "failed" in body:
        assert_conforms(body, LongPollFailed, STRICT, what)
        return
    assert_conforms(body, LongPollAnswer, STRICT, what)
    for i, update in enumerate(body["updates"]):
        kind = update["type"]
        assert kind in EVENT_OBJECTS, f"{what}: unexpected event type {kind}"
        assert_conforms(update["object"], EVENT_OBJECTS[kind], STRICT, f"{what} #{i} {kind}")


def check_exchange(ex: Exchange) -> None:
    what = f"{ex.method}({ex.params})"
    if ex.method == "a_check":
        check_a_check(ex.body, what)
    elif isinstance(ex.body, dict) and "error" in ex.body:
        check_error(ex.body, what)
    elif ex.method == "execute":
        pass  # checked call by call in the execute tests, which know what was asked
    else:
        assert isinstance(ex.body, dict) and set(ex.body) == {"response"}, f"{what}: {ex.body}"
        check_result(ex.method, ex.params, ex.body["response"], what)


def check_all(session: RecordingSession, *, expect: set[str]) -> None:
    """Validate everything recorded; ``expect``: methods that must have been exercised."""
    for ex in session.exchanges:
        check_exchange(ex)
    seen = {ex.method for ex in session.exchanges}
    assert expect <= seen, f"not exercised: {expect - seen}"


# --------------------------------------------------------------------------- the world


clock = test_fake_vk.clock  # a ManualClock at START


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeVK]:
    f = FakeVK(clock, limits=VKLimits(enforce_rps=False))
    await f.start()
    f.add_token("svc", "service")
    f.add_token("grp", "group", group_id=GID)
    f.add_group(GID, "Администрация г. Примерска", "adm_primersk")
    f.add_group(CLOSED_GID, "Закрытый клуб", is_closed=1)
    f.add_group(BANNED_GID, "Заблокированная", deactivated="banned")
    f.add_user(11, "Анна Иванова")
    f.add_user(12, "Борис Петров")
    yield f
    await f.stop()


@dataclass
class Region:
    pinned: int
    main: int
    deep: int
    closed: int
    gone: int
    resident_post: int
    complaint: int
    edited: int
    placeholder: int
    deep_root: int


def build_region(fake: FakeVK, clock: ManualClock) -> Region:
    """Comments, answers, replies to replies, edits, deletions, a deep thread, closed walls."""
    pinned = fake.add_post(GID, at=ago(clock, 900), text="Правила сообщества", is_pinned=True)
    main = fake.add_post(GID, at=ago(clock, 300), text="Ремонт дорог в 2025 году")
    complaint = fake.add_comment(
        GID, main, at=ago(clock, 290), from_id=11, text="Яма на Ленина 5, когда заделаете?"
    )
    answer = fake.add_comment(
        GID, main, at=ago(clock, 280), from_id=OWNER, text="Передали в ДЭУ", reply_to=complaint
    )
    fake.add_comment(GID, main, at=ago(clock, 270), from_id=12, text="Спасибо", reply_to=answer)
    spam = fake.add_comment(
        GID, main, at=ago(clock, 265), from_id=12, text="реклама", reply_to=complaint
    )
    fake.delete_comment(GID, spam, at=ago(clock, 260))
    edited = fake.add_comment(GID, main, at=ago(clock, 250), from_id=12, text="Сломан светофор")
    fake.edit_comment(GID, edited, at=ago(clock, 240), text="Сломан светофор на Мира/Гагарина")
    placeholder = fake.add_comment(GID, main, at=ago(clock, 230), from_id=13, text="Удалю")
    fake.add_comment(
        GID, main, at=ago(clock, 225), from_id=OWNER, text="Уточните", reply_to=placeholder
    )
    fake.delete_comment(GID, placeholder, at=ago(clock, 220))
    alone = fake.add_comment(GID, main, at=ago(clock, 215), from_id=14, text="мат")
    fake.delete_comment(GID, alone, at=ago(clock, 214))
    restored = fake.add_comment(GID, main, at=ago(clock, 213), from_id=15, text="Верните")
    fake.delete_comment(GID, restored, at=ago(clock, 212))
    fake.restore_comment(GID, restored, at=ago(clock, 211))
    fake.add_comment(GID, main, at=ago(clock, 210), from_id=16, text="Т" * 5000)

    deep = fake.add_post(GID, at=ago(clock, 200), text="Отключение воды")
    deep_root = fake.add_comment(GID, deep, at=ago(clock, 199), from_id=11, text="Нет воды")
    previous = deep_root
    for i in range(14):
        author = OWNER if i % 3 == 0 else 20 + i
        previous = fake.add_comment(
            GID, deep, at=ago(clock, 198 - i), from_id=author, text=f"ответ {i}", reply_to=previous
        )

    closed = fake.add_post(GID, at=ago(clock, 150), text="Без комментариев")
    fake.close_comments(GID, closed)
    gone = fake.add_post(GID, at=ago(clock, 120), text="Удалённый пост")
    fake.add_comment(GID, gone, at=ago(clock, 119), from_id=11, text="?")
    fake.delete_post(GID, gone, at=ago(clock, 100))
    resident_post = fake.add_post(GID, at=ago(clock, 90), text="Предложение", from_id=12)
    fake.add_post(GID, at=later(clock, 60), text="Будущий пост")
    fake.add_post(CLOSED_GID, at=ago(clock, 10), text="Для своих")
    return Region(
        pinned, main, deep, closed, gone, resident_post, complaint, edited, placeholder, deep_root
    )


def comments_params(post_id: int, *, offset: int = 0, thread: int | None = None) -> dict[str, Any]:
    """wall.getComments exactly as the collector asks: its own parameters."""
    post = cast("Any", SimpleNamespace(owner_id=OWNER, post_id=post_id))  # all it reads
    return _comments_params(post, offset, thread)


# --------------------------------------------------------------------------- tests


async def test_wall_reads_conform(fake: FakeVK, clock: ManualClock) -> None:
    """wall.get, wall.getById and wall.getComments as the collector and `otklik check` call
    them, over comments, answers, edits, deletions, placeholders and a deep thread."""
    region = build_region(fake, clock)
    vk, session = make_vk(fake)

    feed = await call(vk, "wall.get", {"owner_id": OWNER, "count": 100})
    assert feed["items"][0]["id"] == region.pinned
    await call(vk, "wall.get", {"owner_id": OWNER, "count": 2, "offset": 1})
    await call(vk, "wall.get", {"domain": "adm_primersk", "count": 5, "filter": "others"})
    await call(vk, "wall.get", {"owner_id": OWNER, "extended": 1, "fields": "members_count"})
    refs = [region.main, region.deep, region.closed, region.gone, region.resident_post, 9999]
    posts = ",".join(f"{OWNER}_{p}" for p in refs)
    by_id = await call(vk, "wall.getById", {"posts": posts})
    assert {p["id"] for p in by_id["items"]} == set(refs) - {region.gone, 9999}
    await call(vk, "wall.getById", {"posts": posts, "extended": 1})

    top = await call(vk, "wall.getComments", comments_params(region.main))
    ids = [c["id"] for c in top["items"]]
    assert region.placeholder in ids and region.complaint in ids
    thread = await call(
        vk, "wall.getComments", comments_params(region.deep, thread=region.deep_root)
    )
    assert thread["current_level_count"] == 14
    await call(
        vk, "wall.getComments", comments_params(region.deep, offset=10, thread=region.deep_root)
    )
    await call(vk, "wall.getComments", comments_params(region.deep))
    plain = {"owner_id": OWNER, "post_id": region.main, "need_likes": 1, "thread_items_count": 3}
    await call(vk, "wall.getComments", plain)
    await call(vk, "wall.getComments", {**plain, "sort": "desc", "preview_length": 20})
    await call(vk, "wall.getComments", {**plain, "start_comment_id": region.edited, "count": 2})
    check_all(session, expect={"wall.get", "wall.getById", "wall.getComments"})


async def test_page_lookup_and_long_poll_server_conform(fake: FakeVK) -> None:
    """/addpage (utils.resolveScreenName, groups.getById), `otklik check` and the Long Poll
    listener's groups.getLongPollServer."""
    vk, session = make_vk(fake)
    found = await call(vk, "utils.resolveScreenName", {"screen_name": "adm_primersk"})
    assert found["object_id"] == GID
    assert await call(vk, "utils.resolveScreenName", {"screen_name": "no_such_page"}) == []
    await call(vk, "groups.getById", {"group_id": GID})
    await call(
        vk,
        "groups.getById",
        {"group_ids": f"{GID},{CLOSED_GID},{BANNED_GID}", "fields": "members_count,verified"},
    )
    group_vk, group_session = make_vk(fake, "grp")
    await call(group_vk, "groups.getById", {})
    server = await call(group_vk, "groups.getLongPollServer", {"group_id": GID})
    assert server["server"].startswith(fake.base_url)
    check_all(session, expect={"utils.resolveScreenName", "groups.getById"})
    check_all(group_session, expect={"groups.getById", "groups.getLongPollServer"})


async def test_error_answers_conform(fake: FakeVK, clock: ManualClock) -> None:
    """Errors the collector sorts by code: closed comments, deleted and unknown posts,
    closed and banned walls, wrong token kinds, revoked tokens, captcha, rate and quota."""
    region = build_region(fake, clock)
    vk, session = make_vk(fake)
    assert await fails(vk, "wall.getComments", comments_params(region.closed)) == 212
    assert await fails(vk, "wall.getComments", comments_params(region.gone)) == 15
    assert await fails(vk, "wall.getComments", comments_params(4242)) == 100
    assert await fails(vk, "wall.get", {"owner_id": -CLOSED_GID}) == 15
    assert await fails(vk, "wall.get", {"owner_id": -BANNED_GID}) == 15
    assert await fails(vk, "wall.get", {"owner_id": -4242}) == 100
    assert await fails(vk, "groups.getById", {"group_ids": "4242"}) == 100
    assert await fails(vk, "groups.getLongPollServer", {"group_id": GID}) == 28
    assert await fails(vk, "wall.noSuchMethod", {}) == 3
    assert await fails(vk, "execute", {"code": "return API.wall.get({}) + 1;"}) == 12
    too_many = execute_code([("wall.get", {"owner_id": OWNER, "count": 1})] * 26, [None] * 26)
    assert await fails(vk, "execute", {"code": too_many}) == 13
    fake.inject_fault("error", method="wall.get", code=10)
    assert await fails(vk, "wall.get", {"owner_id": OWNER}) == 10

    group_vk, group_session = make_vk(fake, "grp")
    assert await fails(group_vk, "wall.getById", {"posts": f"{OWNER}_{region.main}"}) == 27
    fake.set_captcha("svc")
    assert await fails(vk, "wall.get", {"owner_id": OWNER}) == 14
    fake.set_captcha("svc", required=False)
    fake.revoke_token("svc")
    assert await fails(vk, "wall.get", {"owner_id": OWNER}) == 5

    fake.add_token("quota", "service")
    fake.limits.daily_quota["wall.get"] = 1
    quota_vk, quota_session = make_vk(fake, "quota")
    await call(quota_vk, "wall.get", {"owner_id": OWNER, "count": 1})
    assert await fails(quota_vk, "wall.get", {"owner_id": OWNER, "count": 1}) == 29

    fake.limits.enforce_rps = True
    fake.limits.rps_per_token = 1
    fake.add_token("fast", "service")
    fast_vk, fast_session = make_vk(fake, "fast")
    fast_vk.error_handlers.pop(6, None)  # vk_api would sleep and retry forever
    await call(fast_vk, "groups.getById", {"group_id": GID})
    assert await fails(fast_vk, "groups.getById", {"group_id": GID}) == 6

    for s in (session, group_session, quota_session, fast_session):
        check_all(s, expect=set())
    codes = {
        ex.body["error"]["error_code"]
        for s in (session, group_session, quota_session, fast_session)
        for ex in s.exchanges
        if "error" in ex.body
    }
    assert codes == {3, 5, 6, 10, 12, 13, 14, 15, 27, 28, 29, 100, 212}


async def test_answer_writes_conform(fake: FakeVK, clock: ManualClock) -> None:
    """Issue 15: wall.createComment as Otklik publishes an answer (community token, the
    page's wall, a reply to the resident, ``from_group``, ``guid``), its refusals, and
    groups.getTokenPermissions as `otklik check` asks; the answer is then on the wall."""
    region = build_region(fake, clock)
    fake.add_token("grp-bare", "group", group_id=GID, rights=("messages",))
    fake.add_token("grp-other", "group", group_id=CLOSED_GID)
    fake.add_token("usr", "user", user_id=12)
    vk, session = make_vk(fake, "grp")
    answer = {
        "owner_id": OWNER,
        "post_id": region.main,
        "reply_to_comment": region.complaint,
        "from_group": GID,
        "message": "Анна, яму заделают до 27 ноября.",
        "guid": "otklik-1",
    }
    first = await call(vk, "wall.createComment", answer)
    assert await call(vk, "wall.createComment", answer) == first  # the guid: published once
    assert first["parents_stack"] == [region.complaint]
    await call(vk, "wall.createComment", {**answer, "guid": "otklik-2", "reply_to_comment": 0})
    [named] = await call(vk, "users.get", {"user_ids": 11})  # a Long Poll comment's author
    assert (named["first_name"], named["last_name"]) == ("Анна", "Иванова")
    perms = await call(vk, "groups.getTokenPermissions", {})
    assert "manage" in {p["name"] for p in perms["permissions"]}
    closed = {**answer, "post_id": region.closed, "guid": "otklik-c"}
    assert await fails(vk, "wall.createComment", closed) == 213
    gone = {**answer, "post_id": region.gone, "guid": "otklik-g"}
    assert await fails(vk, "wall.createComment", gone) == 210
    unknown = {**answer, "post_id": 4242, "guid": "otklik-u"}
    assert await fails(vk, "wall.createComment", unknown) == 100
    deleted = {**answer, "reply_to_comment": region.placeholder, "guid": "otklik-3"}
    assert await fails(vk, "wall.createComment", deleted) == 211
    assert await fails(vk, "wall.createComment", {**answer, "message": "", "guid": ""}) == 100
    fake.inject_fault("error", method="wall.createComment", code=9)
    assert await fails(vk, "wall.createComment", {**answer, "guid": "otklik-4"}) == 9
    bare_vk, bare_session = make_vk(fake, "grp-bare")
    assert await fails(bare_vk, "wall.createComment", {**answer, "guid": "otklik-5"}) == 15
    other_vk, other_session = make_vk(fake, "grp-other")
    assert await fails(other_vk, "wall.createComment", {**answer, "guid": "otklik-6"}) == 15
    user_vk, user_session = make_vk(fake, "usr")
    assert await fails(user_vk, "wall.createComment", {**answer, "guid": "otklik-7"}) == 15
    assert await fails(user_vk, "groups.getTokenPermissions", {}) == 15
    svc_vk, svc_session = make_vk(fake, "svc")
    assert await fails(svc_vk, "wall.createComment", answer) == 28
    assert await fails(svc_vk, "groups.getTokenPermissions", {}) == 28

    thread = await call(
        svc_vk, "wall.getComments", comments_params(region.main, thread=region.complaint)
    )
    mine = [c for c in thread["items"] if c["id"] == first["comment_id"]]
    assert mine and mine[0]["from_id"] == OWNER and mine[0]["text"] == answer["message"]
    check_all(session, expect={"wall.createComment", "groups.getTokenPermissions", "users.get"})
    for s in (bare_session, other_session, user_session, svc_session):
        check_all(s, expect=set())
    assert [w["error"] for w in fake.writes].count(None) == 3
    assert {w["method"] for w in fake.writes} == {"wall.createComment"}


async def test_execute_as_the_collector_sends_it_conforms(
    fake: FakeVK, clock: ManualClock
) -> None:
    """The collector's batch: projected wall.getById count checks (VKScript ``@.``), whole
    posts for probes, wall.getComments pages and wall.get, one inner call failing; then the
    plain ``return [...]`` form it falls back to."""
    region = build_region(fake, clock)
    vk, session = make_vk(fake)
    refs = ",".join(f"{OWNER}_{p}" for p in (region.main, region.deep, region.gone, 9999))
    calls: list[tuple[str, dict[str, Any]]] = [
        ("wall.getById", {"posts": refs}),
        ("wall.getById", {"posts": f"{OWNER}_{region.resident_post}"}),
        ("wall.getComments", comments_params(region.main)),
        ("wall.getComments", comments_params(region.deep, thread=region.deep_root)),
        ("wall.getComments", comments_params(region.closed)),
        ("wall.get", {"owner_id": OWNER, "count": 100}),
        ("wall.getById", {"posts": f"-{CLOSED_GID}_1"}),
    ]
    projected: list[tuple[str, ...] | None] = [CHECK_FIELDS] + [None] * (len(calls) - 1)
    plain: list[tuple[str, ...] | None] = [None] * len(calls)
    for fields in (projected, plain):
        body = await call(vk, "execute", {"code": execute_code(calls, fields)}, raw=True)
        check_execute(body, calls, fields)
    assert [ex.method for ex in session.exchanges] == ["execute", "execute"]


def check_execute(
    body: Any,
    calls: list[tuple[str, dict[str, Any]]],
    fields: list[tuple[str, ...] | None],
) -> None:
    assert isinstance(body, dict) and set(body) <= {"response", "execute_errors"}, body
    results = body["response"]
    assert isinstance(results, list) and len(results) == len(calls)
    failed = 0
    for i, ((method, params), proj, result) in enumerate(zip(calls, fields, results, strict=True)):
        what = f"execute #{i} {method}"
        if result is False:
            failed += 1
            continue
        if proj is None:
            check_result(method, params, result, what)
            continue
        # ``a.items@.f``: one array per field, of the values the post objects carry
        assert isinstance(result, list) and len(result) == len(proj), f"{what}: {result!r}"
        for name, column in zip(proj, result, strict=True):
            annotation = Post.model_fields[name].annotation
            assert isinstance(column, list), f"{what}@.{name}: {column!r}"
            found = [
                p
                for j, v in enumerate(column)
                for p in problems(v, annotation, STRICT, f"{what}@.{name}[{j}]")
            ]
            assert not found, "\n".join(found)
    errors = body.get("execute_errors", [])
    assert len(errors) == failed == 1, body.get("execute_errors")
    for e in errors:
        assert_conforms(e, ExecuteError, STRICT, "execute_errors entry")
    assert errors[0] == {
        "method": "wall.getComments",
        "error_code": 212,
        "error_msg": "Access to post comments denied",
    }


async def test_long_poll_events_conform(fake: FakeVK, clock: ManualClock) -> None:
    """The a_check answers the listener reads: new comments and replies, edits, deletions,
    restorations and new posts, then the ``failed`` answers."""
    vk, session = make_vk(fake, "grp")
    server = await call(vk, "groups.getLongPollServer", {"group_id": GID})
    post = fake.add_post(GID, at=clock.now(), text="Новый пост")
    top = fake.add_comment(GID, post, at=clock.now(), from_id=11, text="Где автобус?")
    reply = fake.add_comment(
        GID, post, at=clock.now(), from_id=OWNER, text="Изменили маршрут", reply_to=top
    )
    fake.edit_comment(GID, top, at=clock.now(), text="Где автобус 12?")
    fake.delete_comment(GID, reply, at=clock.now())
    fake.restore_comment(GID, reply, at=clock.now())

    def a_check(ts: str) -> Any:
        params = {"act": "a_check", "key": server["key"], "ts": ts, "wait": 0}
        return session.get(server["server"], params=params, timeout=10).json()

    answer = await asyncio.to_thread(a_check, server["ts"])
    kinds = [u["type"] for u in answer["updates"]]
    assert kinds == [
        "wall_post_new",
        "wall_reply_new",
        "wall_reply_new",
        "wall_reply_edit",
        "wall_reply_delete",
        "wall_reply_restore",
    ]
    idle = await asyncio.to_thread(a_check, answer["ts"])
    assert idle["updates"] == []
    fake.lp_fail(GID, 1)
    assert (await asyncio.to_thread(a_check, answer["ts"]))["failed"] == 1
    fake.lp_fail(GID, 2)
    assert (await asyncio.to_thread(a_check, answer["ts"]))["failed"] == 2
    check_all(session, expect={"groups.getLongPollServer", "a_check"})


# --------------------------------------------------------------------------- the checker


def test_the_check_refuses_what_vk_never_sends() -> None:
    """The check itself: an unknown key, a wrong type, a missing required field, a null and
    an enum value outside the schema each fail, nested in a comment's thread too."""
    good = {
        "id": 5,
        "from_id": 11,
        "date": 1750000000,
        "text": "Яма",
        "post_id": 3,
        "owner_id": OWNER,
        "parents_stack": [],
        "thread": {"count": 0, "can_post": True},
    }
    model = wall_r.WallGetCommentsResponseModel
    assert_conforms({"count": 1, "items": [good]}, model, STRICT)
    bad_cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "author_name": "Анна"}, "author_name: not a field"),
        ({**good, "date": "1750000000"}, "where a unix time"),
        ({k: v for k, v in good.items() if k != "text"}, "text: required"),
        ({**good, "reply_to_user": None}, "null"),
        ({**good, "thread": {"count": 0, "extra": 1}}, "thread.extra: not a field"),
        ({**good, "thread": {"count": "0"}}, "where an integer"),
        ({**good, "deleted": 2}, "where a boolean"),
    ]
    for item, message in bad_cases:
        with pytest.raises(AssertionError, match=message):
            assert_conforms({"count": 1, "items": [item]}, model, STRICT)
    with pytest.raises(AssertionError, match="not a GroupsGroupType"):
        assert_conforms({"id": 1, "type": "club"}, GroupsGroupFull, STRICT)
    with pytest.raises(AssertionError, match="inner_type: required"):
        assert_conforms({"id": 1, "owner_id": OWNER}, Post, STRICT)
