"""The fake VK API, exercised through the real vk_api package over HTTP.

These tests pin down what the collector can rely on in the sandbox: response shapes as
vk_api returns them, the error codes, limits in virtual time, execute batching, Long Poll and
transport faults.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jconfig
import pytest
import requests
import vk_api
from vk_api.bot_longpoll import VkBotEventType, VkBotLongPoll
from vk_api.requests_pool import vk_request_one_param_pool

from collectors.vk_client import VkSession
from config.clock import ManualClock, VirtualClock
from sandbox.fake_vk import FakeVK, VKLimits

START = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)  # 09:00 Moscow, a Monday
GID = 1001
OWNER = -GID


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeVK]:
    f = FakeVK(clock, limits=VKLimits(enforce_rps=False))
    await f.start()
    f.add_token("svc", "service")
    f.add_token("usr", "user")
    f.add_token("grp", "group", group_id=GID)
    f.add_group(GID, "Администрация г. Примерска", "adm_primersk")
    yield f
    await f.stop()


def make_vk(fake: FakeVK, token: str = "svc", *, timeout: float = 5.0) -> Any:
    vk = vk_api.VkApi(
        token=token,
        api_version="5.199",
        session=VkSession(fake.base_url, timeout),
        config=jconfig.MemoryConfig,
    )
    vk.RPS_DELAY = 0  # the fake enforces limits; vk_api's own pacing would only slow tests
    return vk


async def call(vk: Any, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
    return await asyncio.to_thread(vk.method, method, params or {}, **kw)


async def api_error(vk: Any, method: str, params: dict[str, Any] | None = None) -> Any:
    with pytest.raises(vk_api.ApiError) as exc:
        await call(vk, method, params)
    return exc.value


def ago(clock: ManualClock, minutes: float) -> datetime:
    return clock.now() - timedelta(minutes=minutes)


def later(clock: ManualClock, minutes: float) -> datetime:
    return clock.now() + timedelta(minutes=minutes)


# ---------------------------------------------------------------------------- wall.get & co


async def test_wall_get_order_pinned_counts_and_paging(fake: FakeVK, clock: ManualClock) -> None:
    pinned = fake.add_post(GID, at=ago(clock, 600), text="Закреп", is_pinned=True)
    old = fake.add_post(GID, at=ago(clock, 300), text="Старый")
    new = fake.add_post(GID, at=ago(clock, 60), text="Новый")
    gone = fake.add_post(GID, at=ago(clock, 30), text="Удалённый")
    fake.delete_post(GID, gone, at=ago(clock, 1))
    fake.add_post(GID, at=later(clock, 10), text="Будущий")
    closed = fake.add_post(GID, at=ago(clock, 400), text="Без комментариев")
    fake.close_comments(GID, closed)
    c1 = fake.add_comment(GID, old, at=ago(clock, 200), from_id=11, text="Когда?")
    fake.add_comment(GID, old, at=ago(clock, 190), from_id=OWNER, text="Скоро", reply_to=c1)
    c3 = fake.add_comment(GID, old, at=ago(clock, 180), from_id=12, text="спам")
    fake.delete_comment(GID, c3, at=ago(clock, 170))
    fake.add_comment(GID, old, at=later(clock, 5), from_id=13, text="потом")

    vk = make_vk(fake)
    resp = await call(vk, "wall.get", {"owner_id": OWNER, "count": 100})
    assert resp["count"] == 4
    assert [p["id"] for p in resp["items"]] == [pinned, new, old, closed]
    first = resp["items"][0]
    assert first["is_pinned"] == 1 and "is_pinned" not in resp["items"][1]
    by_id = {p["id"]: p for p in resp["items"]}
    assert by_id[old]["comments"]["count"] == 2  # the reply counts, deleted/future do not
    assert by_id[old]["comments"]["can_post"] == 1
    assert by_id[closed]["comments"]["can_post"] == 0
    assert by_id[new]["owner_id"] == OWNER and by_id[new]["from_id"] == OWNER
    assert by_id[new]["date"] == int((START - timedelta(minutes=60)).timestamp())
    assert by_id[new]["text"] == "Новый"

    page = await call(vk, "wall.get", {"domain": "adm_primersk", "offset": 1, "count": 2})
    assert [p["id"] for p in page["items"]] == [new, old]
    assert (await call(vk, "wall.get", {"owner_id": OWNER, "offset": 10}))["items"] == []
    err = await api_error(vk, "wall.get", {"owner_id": -999})
    assert err.code == 100


async def test_wall_get_count_is_clamped_to_100(fake: FakeVK, clock: ManualClock) -> None:
    for i in range(120):
        fake.add_post(GID, at=ago(clock, 200 - i), text=f"post {i}")
    resp = await call(make_vk(fake), "wall.get", {"owner_id": OWNER, "count": 500})
    assert resp["count"] == 120 and len(resp["items"]) == 100


async def test_wall_get_by_id_shapes(fake: FakeVK, clock: ManualClock) -> None:
    a = fake.add_post(GID, at=ago(clock, 10), text="A")
    b = fake.add_post(GID, at=ago(clock, 5), text="B")
    fake.delete_post(GID, b, at=ago(clock, 1))
    c = fake.add_post(GID, at=later(clock, 5), text="C")
    resp = await call(
        make_vk(fake), "wall.getById", {"posts": f"{OWNER}_{a},{OWNER}_{b},{OWNER}_{c}"}
    )
    assert [p["id"] for p in resp["items"]] == [a]
    legacy = vk_api.VkApi(
        token="svc", session=VkSession(fake.base_url, 5), config=jconfig.MemoryConfig
    )  # vk_api's default version 5.92 gets the old bare-list shape, like real VK
    legacy.RPS_DELAY = 0
    assert [p["id"] for p in await call(legacy, "wall.getById", {"posts": f"{OWNER}_{a}"})] == [a]


async def test_post_and_comment_ids_share_one_counter(fake: FakeVK, clock: ManualClock) -> None:
    p1 = fake.add_post(GID, at=ago(clock, 10), text="1")
    c1 = fake.add_comment(GID, p1, at=ago(clock, 9), from_id=5, text="x")
    p2 = fake.add_post(GID, at=ago(clock, 8), text="2")
    assert (p1, c1, p2) == (1, 2, 3)
    c2 = fake.add_comment(GID, p2, at=ago(clock, 7), from_id=5, text="y", comment_id=50)
    assert c2 == 50 and fake.add_post(GID, at=ago(clock, 6), text="3") == 51
    fake.delete_comment(GID, c2, at=ago(clock, 1))
    assert fake.add_comment(GID, p2, at=ago(clock, 0), from_id=5, text="z") == 52
    with pytest.raises(ValueError):
        fake.add_comment(GID, p2, at=ago(clock, 0), from_id=5, text="dup", comment_id=50)
    fake.add_group(7, "Другая")
    assert fake.add_post(7, at=ago(clock, 1), text="own counter") == 1


# ---------------------------------------------------------------------------- wall.getComments


async def test_get_comments_threads_sorting_and_paging(fake: FakeVK, clock: ManualClock) -> None:
    fake.add_user(11, "Анна Иванова")
    post = fake.add_post(GID, at=ago(clock, 100), text="Пост")
    c1 = fake.add_comment(GID, post, at=ago(clock, 90), from_id=11, text="Яма на Ленина 5")
    r1 = fake.add_comment(GID, post, at=ago(clock, 80), from_id=OWNER, text="Ответ", reply_to=c1)
    r2 = fake.add_comment(GID, post, at=ago(clock, 70), from_id=12, text="Спасибо", reply_to=r1)
    c2 = fake.add_comment(GID, post, at=ago(clock, 60), from_id=12, text="Второй")
    c3 = fake.add_comment(GID, post, at=ago(clock, 50), from_id=13, text="Третий")
    vk = make_vk(fake)

    resp = await call(
        vk,
        "wall.getComments",
        {
            "owner_id": OWNER,
            "post_id": post,
            "count": 100,
            "thread_items_count": 10,
            "need_likes": 1,
        },
    )
    assert resp["count"] == 5 and resp["current_level_count"] == 3
    assert [c["id"] for c in resp["items"]] == [c1, c2, c3]  # default sort is asc
    top = resp["items"][0]
    assert top["parents_stack"] == [] and top["from_id"] == 11 and top["post_id"] == post
    assert top["owner_id"] == OWNER and top["likes"]["count"] == 0
    assert top["thread"]["count"] == 2
    reply1, reply2 = top["thread"]["items"]
    assert (reply1["id"], reply1["from_id"], reply1["parents_stack"]) == (r1, OWNER, [c1])
    assert (reply1["reply_to_comment"], reply1["reply_to_user"]) == (c1, 11)
    assert (reply2["id"], reply2["reply_to_comment"], reply2["reply_to_user"]) == (r2, r1, OWNER)
    assert reply2["parents_stack"] == [c1]

    desc = await call(
        vk,
        "wall.getComments",
        {"owner_id": OWNER, "post_id": post, "sort": "desc", "offset": 1, "count": 1},
    )
    assert [c["id"] for c in desc["items"]] == [c2]
    assert "items" not in desc["items"][0]["thread"]  # thread_items_count defaults to 0

    short = await call(
        vk,
        "wall.getComments",
        {
            "owner_id": OWNER,
            "post_id": post,
            "count": 1,
            "thread_items_count": 1,
            "preview_length": 3,
        },
    )
    assert short["items"][0]["text"] == "Яма" and len(short["items"][0]["thread"]["items"]) == 1

    thread = await call(
        vk,
        "wall.getComments",
        {"owner_id": OWNER, "post_id": post, "comment_id": c1, "count": 100},
    )
    assert [c["id"] for c in thread["items"]] == [r1, r2]
    assert thread["current_level_count"] == 2
    err = await api_error(
        vk, "wall.getComments", {"owner_id": OWNER, "post_id": post, "comment_id": r1}
    )
    assert err.code == 100  # replies have no threads of their own

    positioned = await call(
        vk,
        "wall.getComments",
        {"owner_id": OWNER, "post_id": post, "start_comment_id": c2, "count": 10},
    )
    assert [c["id"] for c in positioned["items"]] == [c2, c3]
    assert positioned["real_offset"] == 1

    ext = await call(
        vk,
        "wall.getComments",
        {"owner_id": OWNER, "post_id": post, "extended": 1, "thread_items_count": 2},
    )
    assert {u["id"]: u["first_name"] for u in ext["profiles"]}[11] == "Анна"
    assert [g["id"] for g in ext["groups"]] == [GID]


async def test_get_comments_deleted_placeholder(fake: FakeVK, clock: ManualClock) -> None:
    post = fake.add_post(GID, at=ago(clock, 100), text="Пост")
    with_reply = fake.add_comment(GID, post, at=ago(clock, 90), from_id=11, text="Жалоба")
    fake.add_comment(
        GID, post, at=ago(clock, 80), from_id=OWNER, text="Ответ", reply_to=with_reply
    )
    alone = fake.add_comment(GID, post, at=ago(clock, 70), from_id=12, text="Мат")
    fake.delete_comment(GID, with_reply, at=ago(clock, 5))
    fake.delete_comment(GID, alone, at=ago(clock, 5))
    vk = make_vk(fake)
    resp = await call(
        vk, "wall.getComments", {"owner_id": OWNER, "post_id": post, "thread_items_count": 10}
    )
    assert resp["count"] == 1 and resp["current_level_count"] == 1
    (placeholder,) = resp["items"]
    assert placeholder["id"] == with_reply and placeholder["deleted"] is True
    assert placeholder["text"] == "" and placeholder["thread"]["count"] == 1
    assert fake.visible_comment_ids(GID) == {with_reply + 1}
    fake.restore_comment(GID, alone, at=clock.now())
    resp = await call(vk, "wall.getComments", {"owner_id": OWNER, "post_id": post})
    assert [c["id"] for c in resp["items"]] == [with_reply, alone] and resp["count"] == 2


async def test_get_comments_errors_closed_deleted_unknown(
    fake: FakeVK, clock: ManualClock
) -> None:
    closed = fake.add_post(GID, at=ago(clock, 10), text="closed", comments_closed=True)
    gone = fake.add_post(GID, at=ago(clock, 10), text="gone")
    fake.delete_post(GID, gone, at=ago(clock, 1))
    future = fake.add_post(GID, at=later(clock, 10), text="future")
    vk = make_vk(fake)
    assert (
        await api_error(vk, "wall.getComments", {"owner_id": OWNER, "post_id": closed})
    ).code == 212
    err = await api_error(vk, "wall.getComments", {"owner_id": OWNER, "post_id": gone})
    assert err.code == 15 and "post was not found" in err.error["error_msg"]
    assert (
        await api_error(vk, "wall.getComments", {"owner_id": OWNER, "post_id": future})
    ).code == 100
    assert (
        await api_error(vk, "wall.getComments", {"owner_id": OWNER, "post_id": 4242})
    ).code == 100
    fake.add_group(77, "Закрытая", is_closed=1)
    fake.add_post(77, at=ago(clock, 1), text="x")
    assert (await api_error(vk, "wall.get", {"owner_id": -77})).code == 15


async def test_future_items_appear_when_the_clock_passes(fake: FakeVK, clock: ManualClock) -> None:
    post = fake.add_post(GID, at=ago(clock, 10), text="Пост")
    cid = fake.add_comment(GID, post, at=later(clock, 5), from_id=11, text="Когда уберут снег?")
    fake.edit_comment(GID, cid, at=later(clock, 7), text="Когда уберут снег?!")
    fake.delete_comment(GID, cid, at=later(clock, 9))
    vk = make_vk(fake)

    async def texts() -> list[str]:
        r = await call(vk, "wall.getComments", {"owner_id": OWNER, "post_id": post})
        return [c["text"] for c in r["items"]]

    assert await texts() == []
    assert fake.visible_comment_ids(GID) == set()
    clock.advance(5 * 60)
    assert await texts() == ["Когда уберут снег?"]
    clock.advance(2 * 60)
    assert await texts() == ["Когда уберут снег?!"]
    clock.advance(2 * 60)
    assert await texts() == []
    posts = await call(vk, "wall.get", {"owner_id": OWNER})
    assert posts["items"][0]["comments"]["count"] == 0


# ---------------------------------------------------------------------------- groups & utils


async def test_groups_get_by_id_and_resolve_screen_name(fake: FakeVK) -> None:
    fake.add_group(2002, "Минздрав", "minzdrav", deactivated="banned")
    vk = make_vk(fake)
    resp = await call(
        vk, "groups.getById", {"group_ids": "adm_primersk,2002,nosuch", "fields": "members_count"}
    )
    assert resp["profiles"] == []
    first, second = resp["groups"]
    assert (first["id"], first["screen_name"], first["is_closed"]) == (GID, "adm_primersk", 0)
    assert "members_count" in first and second["deactivated"] == "banned"
    own = await call(make_vk(fake, "grp"), "groups.getById")
    assert [g["id"] for g in own["groups"]] == [GID]
    assert (await api_error(vk, "groups.getById", {"group_ids": "nosuch"})).code == 100

    assert await call(vk, "utils.resolveScreenName", {"screen_name": "adm_primersk"}) == {
        "type": "group",
        "object_id": GID,
    }
    assert (await call(vk, "utils.resolveScreenName", {"screen_name": f"club{GID}"}))[
        "object_id"
    ] == GID
    assert await call(vk, "utils.resolveScreenName", {"screen_name": "nobody_here"}) == []


# ---------------------------------------------------------------------------- tokens & limits


async def test_token_errors(fake: FakeVK) -> None:
    err = await api_error(make_vk(fake, "nope"), "wall.get", {"owner_id": OWNER})
    assert err.code == 5
    assert {"key": "owner_id", "value": str(OWNER)} in err.error["request_params"]
    assert (await api_error(make_vk(fake, "grp"), "wall.get", {"owner_id": OWNER})).code == 27
    assert (
        await api_error(
            make_vk(fake, "grp"), "wall.getComments", {"owner_id": OWNER, "post_id": 1}
        )
    ).code == 27
    assert (
        await api_error(make_vk(fake), "groups.getLongPollServer", {"group_id": GID})
    ).code == 28
    assert (await api_error(make_vk(fake), "wall.post", {})).code == 3
    assert (await call(make_vk(fake, "usr"), "wall.get", {"owner_id": OWNER}))["count"] == 0
    fake.revoke_token("usr")
    assert (await api_error(make_vk(fake, "usr"), "wall.get", {"owner_id": OWNER})).code == 5


async def test_raw_http_bearer_query_merge_and_missing_version(fake: FakeVK) -> None:
    def go() -> list[Any]:
        url = fake.base_url + "method/utils.resolveScreenName"
        with requests.Session() as s:
            ok = s.get(
                url,
                params={"screen_name": "adm_primersk", "v": "5.199"},
                headers={"Authorization": "Bearer svc"},
                timeout=5,
            )
            merged = s.post(
                url + "?v=5.199&access_token=svc", data={"screen_name": "x"}, timeout=5
            )
            no_v = s.post(url, data={"access_token": "svc", "screen_name": "x"}, timeout=5)
        return [ok.json(), merged.json(), no_v.json(), ok.status_code]

    ok, merged, no_v, status = await asyncio.to_thread(go)
    assert status == 200 and ok == {"response": {"type": "group", "object_id": GID}}
    assert merged == {"response": []}
    assert no_v["error"]["error_code"] == 8


async def test_captcha(fake: FakeVK) -> None:
    fake.set_captcha("svc")
    vk = make_vk(fake)
    with pytest.raises(vk_api.Captcha) as exc:
        await call(vk, "wall.get", {"owner_id": OWNER})
    assert exc.value.sid and "captcha.php" in exc.value.url
    fake.set_captcha("svc", required=False)
    assert (await call(vk, "wall.get", {"owner_id": OWNER}))["count"] == 0


async def test_rps_limit_in_virtual_time(fake: FakeVK, clock: ManualClock) -> None:
    fake.limits.enforce_rps = True
    vk = make_vk(fake)
    vk.error_handlers[6] = lambda error: None  # raise instead of vk_api's endless retry
    for _ in range(3):
        await call(vk, "groups.getById", {"group_ids": GID})
    assert (await api_error(vk, "groups.getById", {"group_ids": GID})).code == 6
    # another token has its own budget; the rejected request did not use this one's
    await call(make_vk(fake, "usr"), "groups.getById", {"group_ids": GID})
    clock.advance(0.5)
    assert (await api_error(vk, "groups.getById", {"group_ids": GID})).code == 6
    clock.advance(0.6)
    await call(vk, "groups.getById", {"group_ids": GID})
    assert fake.stats()["errors_by_code"][6] == 2
    assert [c.error_code for c in fake.calls].count(6) == 2


async def test_rps_retry_by_vk_api_with_virtual_clock() -> None:
    """vk_api's own error-6 handler sleeps 0.5 s real = 1 virtual s at speed 2, then passes."""
    clock = VirtualClock(START, speed=2)
    fake = FakeVK(clock, limits=VKLimits(rps_per_token=1))
    await fake.start()
    try:
        fake.add_token("svc", "service")
        fake.add_group(GID, "G")
        vk = make_vk(fake)
        await call(vk, "groups.getById", {"group_ids": GID})
        await call(vk, "groups.getById", {"group_ids": GID})  # first try gets 6, retry passes
        assert [c.error_code for c in fake.calls] == [None, 6, None]
        assert fake.calls[2].at - fake.calls[0].at >= timedelta(seconds=1)
    finally:
        await fake.stop()


async def test_daily_quota_counts_execute_and_resets_at_moscow_midnight(
    fake: FakeVK, clock: ManualClock
) -> None:
    fake.limits.daily_quota = {"wall.get": 3}
    vk = make_vk(fake)
    await call(vk, "wall.get", {"owner_id": OWNER})
    code = ",".join(f'API.wall.get({{"owner_id":{OWNER}}})' for _ in range(3))
    raw = await call(vk, "execute", {"code": f"return [{code}];"}, raw=True)
    assert [r is not False for r in raw["response"]] == [True, True, False]
    assert raw["execute_errors"][0]["error_code"] == 29
    assert (await api_error(vk, "wall.get", {"owner_id": OWNER})).code == 29
    await call(make_vk(fake, "usr"), "wall.get", {"owner_id": OWNER})  # per token
    assert fake.quota_used("svc", "wall.get") == 3
    # 09:00 MSK -> 23:59 MSK still the same day, 00:00 MSK (21:00 UTC) a new one
    clock.advance((14 * 60 + 59) * 60)
    assert (await api_error(vk, "wall.get", {"owner_id": OWNER})).code == 29
    clock.advance(60)
    assert (await call(vk, "wall.get", {"owner_id": OWNER}))["count"] == 0


# ---------------------------------------------------------------------------- execute


async def test_execute_list_with_failing_inner_call(fake: FakeVK, clock: ManualClock) -> None:
    post = fake.add_post(GID, at=ago(clock, 5), text="p")
    fake.limits.enforce_rps = True
    vk = make_vk(fake)
    code = (
        f'return [API.wall.get({{"owner_id":{OWNER},"count":1}}),'
        f'API.wall.getComments({{"owner_id":{OWNER},"post_id":999}}),'
        f'API.wall.getComments({{"owner_id":{OWNER},"post_id":{post},"count":5}})];'
    )
    for _ in range(3):  # one execute = one request for the rps limit
        raw = await call(vk, "execute", {"code": code}, raw=True)
    ok_posts, failed, ok_comments = raw["response"]
    assert ok_posts["items"][0]["id"] == post and failed is False and ok_comments["count"] == 0
    assert raw["execute_errors"] == [
        {
            "method": "wall.getComments",
            "error_code": 100,
            "error_msg": (
                "One of the parameters specified was missing or invalid: post_id is invalid"
            ),
        }
    ]
    rec = fake.calls[-1]
    assert (rec.method, rec.api_calls, rec.error_code) == ("execute", 3, None)
    assert rec.inner == (("wall.get", None), ("wall.getComments", 100), ("wall.getComments", None))
    stats = fake.stats()
    assert stats["http_requests"] == 3 and stats["api_calls"] == 9
    assert stats["inner_errors_by_code"] == {100: 3}
    assert stats["by_method"]["wall.getComments"]["api_calls"] == 6


async def test_execute_limits_and_parse_errors(fake: FakeVK) -> None:
    vk = make_vk(fake)
    many = ",".join(f'API.groups.getById({{"group_ids":{GID}}})' for _ in range(26))
    err = await api_error(vk, "execute", {"code": f"return [{many}];"})
    assert err.code == 13
    assert (await api_error(vk, "execute", {"code": "var a = API.wall.get({});"})).code == 12
    assert (
        await api_error(vk, "execute", {"code": "return [API.wall.get({bad json})];"})
    ).code == 12
    single = await call(
        vk, "execute", {"code": f'return API.groups.getById({{"group_ids":"{GID}"}});'}
    )
    assert single["groups"][0]["id"] == GID
    as_group = await call(
        make_vk(fake, "grp"),
        "execute",
        {"code": f'return [API.wall.get({{"owner_id":{OWNER}}})];'},
        raw=True,
    )
    assert as_group["response"] == [False]  # token-kind checks apply to inner calls
    assert as_group["execute_errors"][0]["error_code"] == 27


async def test_vk_api_batching_helpers(fake: FakeVK, clock: ManualClock) -> None:
    posts = [fake.add_post(GID, at=ago(clock, 300 - i), text=f"p{i}") for i in range(250)]
    fake.add_comment(GID, posts[0], at=ago(clock, 1), from_id=11, text="c")
    fake.close_comments(GID, posts[1])
    vk = make_vk(fake)

    def pools() -> tuple[Any, ...]:
        with vk_api.VkRequestsPool(vk) as pool:  # one method -> vk_one_method loop template
            same = [
                pool.method("wall.getComments", {"owner_id": OWNER, "post_id": p})
                for p in posts[:3]
            ]
        with vk_api.VkRequestsPool(vk) as pool:  # mixed -> return [API..., API...]
            mixed = [
                pool.method("wall.getById", {"posts": f"{OWNER}_{posts[0]}"}),
                pool.method("groups.getById", {"group_ids": GID}),
            ]
        by_post, errors = vk_request_one_param_pool(
            vk,
            "wall.getComments",
            "post_id",
            posts[:30],
            {"owner_id": OWNER, "count": 100, "preview_length": 0},
        )
        everything = vk_api.VkTools(vk).get_all("wall.get", 100, {"owner_id": OWNER})
        return same, mixed, by_post, errors, everything

    same, mixed, by_post, errors, everything = await asyncio.to_thread(pools)
    assert same[0].ok and same[0].result["count"] == 1
    assert not same[1].ok and same[1].error["error_code"] == 212
    assert same[2].ok
    assert mixed[0].result["items"][0]["id"] == posts[0]
    assert mixed[1].result["groups"][0]["id"] == GID
    assert set(by_post) == set(posts[:30]) - {posts[1]} and by_post[posts[0]]["count"] == 1
    assert errors[posts[1]]["error_code"] == 212
    assert everything["count"] == 250
    assert [p["id"] for p in everything["items"]] == posts[::-1]
    executes = [c for c in fake.calls if c.method == "execute"]
    assert [c.api_calls for c in executes] == [3, 2, 25, 5, 3]


# ---------------------------------------------------------------------------- long poll


async def test_long_poll_through_vk_bot_long_poll(fake: FakeVK, clock: ManualClock) -> None:
    post = fake.add_post(GID, at=ago(clock, 10), text="Пост")
    early = fake.add_comment(GID, post, at=ago(clock, 5), from_id=11, text="до подключения")
    vk = make_vk(fake, "grp")
    lp = await asyncio.to_thread(VkBotLongPoll, vk, GID, 1)
    assert lp.server == f"{fake.base_url}lp/{GID}" and isinstance(lp.ts, str)

    cid = fake.add_comment(GID, post, at=clock.now(), from_id=12, text="Новый вопрос")
    events = await asyncio.to_thread(lp.check)
    assert [e.type for e in events] == [VkBotEventType.WALL_REPLY_NEW]
    ev = events[0]
    assert ev.group_id == GID and ev.raw["v"] == "5.199" and ev.raw["event_id"]
    assert (ev.object.id, ev.object.post_id, ev.object.from_id) == (cid, post, 12)
    assert ev.object.post_owner_id == OWNER and ev.object.text == "Новый вопрос"

    reply = fake.add_comment(
        GID, post, at=later(clock, 1), from_id=OWNER, text="Ответ", reply_to=early
    )
    fake.edit_comment(GID, cid, at=later(clock, 2), text="Исправлено")
    fake.delete_comment(GID, cid, at=later(clock, 3))
    fake.restore_comment(GID, cid, at=later(clock, 4))
    new_post = fake.add_post(GID, at=later(clock, 5), text="Новости")
    clock.advance(300)  # the background publisher applies them within ~20 ms
    got: list[Any] = []
    for _ in range(5):
        got += await asyncio.to_thread(lp.check)
        if len(got) >= 5:
            break
    assert [e.type for e in got] == [
        VkBotEventType.WALL_REPLY_NEW,
        VkBotEventType.WALL_REPLY_EDIT,
        VkBotEventType.WALL_REPLY_DELETE,
        VkBotEventType.WALL_REPLY_RESTORE,
        VkBotEventType.WALL_POST_NEW,
    ]
    assert got[0].object.id == reply and got[0].object.parents_stack == [early]
    assert got[1].object.text == "Исправлено"
    assert got[2].object.deleter_id == 12 and got[2].object.id == cid
    assert got[4].object.id == new_post

    started = time.monotonic()
    assert await asyncio.to_thread(lp.check) == []  # nothing new: waits `wait` real seconds
    assert 0.8 < time.monotonic() - started < 3


async def test_long_poll_failures(fake: FakeVK, clock: ManualClock) -> None:
    post = fake.add_post(GID, at=ago(clock, 10), text="Пост")
    lp = await asyncio.to_thread(VkBotLongPoll, make_vk(fake, "grp"), GID, 1)

    def comment(text: str) -> int:
        return fake.add_comment(GID, post, at=clock.now(), from_id=11, text=text)

    async def ids() -> list[int]:
        return [e.object.id for e in await asyncio.to_thread(lp.check)]

    key, ts = lp.key, lp.ts
    a = comment("a")
    fake.lp_fail(GID, 2)  # key expired: vk_api refreshes the key, keeps ts
    assert await ids() == []
    assert lp.key != key and lp.ts == ts
    assert await ids() == [a]

    comment("lost")
    fake.lp_fail(GID, 3)  # information lost: new key and ts, events in between are gone
    assert await ids() == []
    c = comment("c")
    assert await ids() == [c]

    fake.lp_fail(GID, 1)
    comment("skipped")
    assert await ids() == [] and int(lp.ts) > 0
    d = comment("d")
    assert await ids() == [d]

    stale = lp.ts
    for i in range(1001):  # more than the kept history
        comment(f"flood {i}")
    assert await ids() == []  # failed: 1 with the current ts
    assert int(lp.ts) == int(stale) + 1001
    assert fake.stats()["lp_requests"] == 7


# ---------------------------------------------------------------------------- faults


async def test_transport_faults(fake: FakeVK) -> None:
    vk = make_vk(fake)
    params = {"owner_id": OWNER}
    fake.inject_fault("http500", method="wall.get")
    assert (await call(vk, "groups.getById", {"group_ids": GID}))["groups"]  # other method: fine
    with pytest.raises(vk_api.ApiHttpError) as http_err:
        await call(vk, "wall.get", params)
    assert http_err.value.response.status_code == 500
    fake.inject_fault("http502", count=2)
    for _ in range(2):
        with pytest.raises(vk_api.ApiHttpError):
            await call(vk, "wall.get", params)
    fake.inject_fault("truncated_json")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        await call(vk, "wall.get", params)
    fake.inject_fault("html")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        await call(vk, "wall.get", params)
    fake.inject_fault("error", code=10)
    assert (await api_error(vk, "wall.get", params)).code == 10
    assert (await call(vk, "wall.get", params))["count"] == 0  # all faults used up
    assert [c.http_status for c in fake.calls] == [200, 500, 502, 502, 200, 200, 200, 200]
    assert fake.stats()["faults"] == {
        "http500": 1,
        "http502": 2,
        "truncated_json": 1,
        "html": 1,
        "error": 1,
    }


async def test_timeout_fault_trips_the_session_timeout(fake: FakeVK) -> None:
    fake.inject_fault("timeout", delay_s=5)
    vk = make_vk(fake, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        await call(vk, "wall.get", {"owner_id": OWNER})
    assert time.monotonic() - started < 2
    assert (await call(vk, "wall.get", {"owner_id": OWNER}))["count"] == 0


def test_redirect_session_rewrites_and_sets_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, Any]] = []

    def fake_request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        seen.append((url, kwargs.get("timeout")))
        return None

    monkeypatch.setattr(requests.Session, "request", fake_request)
    s = VkSession("http://127.0.0.1:9/", 7.5)
    s.request("POST", "https://api.vk.ru/method/wall.get")
    s.request("POST", "https://api.vk.com/method/wall.get", timeout=2)
    s.request("GET", "https://example.org/x")
    assert seen == [
        ("http://127.0.0.1:9/method/wall.get", 7.5),
        ("http://127.0.0.1:9/method/wall.get", 2),
        ("https://example.org/x", 7.5),
    ]


async def test_records_and_json_body_shape(fake: FakeVK, clock: ManualClock) -> None:
    vk = make_vk(fake)
    await call(vk, "wall.get", {"owner_id": OWNER, "count": 5})
    rec = fake.calls[-1]
    assert rec.at == clock.now() and rec.token == "svc" and rec.http_status == 200
    assert rec.params["owner_id"] == str(OWNER) and "access_token" not in rec.params
    assert rec.params["v"] == "5.199" and rec.api_calls == 1
    body = await asyncio.to_thread(
        lambda: requests.post(
            fake.base_url + "method/wall.get",
            data={"v": "5.199", "access_token": "grp", "owner_id": OWNER},
            timeout=5,
        ).json()
    )
    assert set(body) == {"error"}
    assert set(body["error"]) >= {"error_code", "error_msg", "request_params"}
    assert json.dumps(body)  # plain JSON


# ---------------------------------------------------------------------------- synthetic region


async def test_synth_region_ground_truth_and_fake_agree() -> None:
    from sandbox.synth import generate_region

    clock = ManualClock(START)
    fake = FakeVK(clock, limits=VKLimits(enforce_rps=False))
    hours = 6.0
    world = generate_region(
        fake,
        start=START,
        hours=hours,
        pages=200,
        posts_per_page=10,
        new_posts_per_day=400,
        comments_per_day=4000,
        seed=7,
    )
    end = START + timedelta(hours=hours)
    assert world.end == end and len(world.group_ids) == 200
    existing = [p for p in world.posts if p.at < START]
    new = [p for p in world.posts if p.at >= START]
    assert len(existing) == 200 * 10
    assert all(START - p.at <= timedelta(days=14) for p in existing)
    # 09:00-15:00 MSK is office time: ~60% of a day's posts (~240 expected, not 100)
    assert 180 <= len(new) <= 300
    period = world.comments_between(START, end)
    citizens = [c for c in period if c.from_id > 0]
    assert 1000 <= len(citizens) <= 1800  # ~1400 expected: 4000/day over busy hours
    assert all(c.at >= START - timedelta(hours=24) for c in world.comments)

    # page activity is skewed: the busiest 10% of pages get a large share of comments
    per_page: dict[int, int] = {}
    for c in world.comments:
        per_page[c.group_id] = per_page.get(c.group_id, 0) + 1
    top = sorted(per_page.values(), reverse=True)[:20]
    assert sum(top) > 0.35 * len(world.comments)

    by_id = {(c.group_id, c.comment_id): c for c in world.comments}
    officials = [c for c in world.comments if c.official]
    assert officials and all(c.reply_to is not None for c in officials)
    for c in officials:
        assert c.reply_to is not None
        asked = by_id[(c.group_id, c.reply_to)]
        assert asked.from_id > 0 and asked.post_id == c.post_id
        assert timedelta(seconds=600) <= c.at - asked.at <= timedelta(seconds=7200)
    assert any(c.reply_to is not None and c.from_id > 0 for c in world.comments)

    # one counter per wall, growing with time
    items: dict[int, list[tuple[datetime, int]]] = {}
    for p in world.posts:
        items.setdefault(p.group_id, []).append((p.at, p.post_id))
    for c in world.comments:
        items.setdefault(c.group_id, []).append((c.at, c.comment_id))
    for seq in items.values():
        ids = [i for _, i in sorted(seq)]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)

    # the fake shows exactly the past part now and everything at the end
    busiest = max(per_page, key=per_page.__getitem__)
    past = {c.comment_id for c in world.comments if c.group_id == busiest and c.at <= START}
    assert fake.visible_comment_ids(busiest) == past
    clock.advance(hours * 3600)
    assert fake.visible_comment_ids(busiest) == {
        c.comment_id for c in world.comments if c.group_id == busiest
    }

    await fake.start()
    try:
        fake.add_token("svc", "service")
        resp = await call(make_vk(fake), "wall.get", {"owner_id": -busiest, "count": 100})
        counts = {p["id"]: p["comments"]["count"] for p in resp["items"]}
        truth: dict[int, int] = {}
        for c in world.comments:
            if c.group_id == busiest:
                truth[c.post_id] = truth.get(c.post_id, 0) + 1
        assert {k: v for k, v in counts.items() if v} == truth
    finally:
        await fake.stop()


def test_synth_full_size_region_is_fast() -> None:
    from sandbox.synth import generate_region

    fake = FakeVK(ManualClock(START))
    started = time.process_time()  # CPU, not wall time: a busy machine must not fail it
    world = generate_region(fake, start=START, hours=2, history_hours=2)
    elapsed = time.process_time() - started
    assert len(world.group_ids) == 6000 and len(world.posts) >= 6000 * 30
    assert len(world.comments) > 1000
    assert elapsed < 15, f"generating 6000 pages took {elapsed:.1f} s of CPU"
