"""The budget-aware collector against the real vk_api and the fake VK over HTTP.

Time is a ManualClock: the collector's pacing sleeps advance it, and so does the test, so a
minute of VK time costs milliseconds.  Every test checks what a user would notice: a comment
stored or missed, a token taken out with an admin told, quota not spent twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.collecting import CollectionService
from bot.metrics import Health, Metrics
from bot.status_report import status_data
from collectors.collector import Collector, CollectorConfig
from collectors.events import Batch, CommentChange
from collectors.longpoll import LongPollListener
from collectors.vk_client import QuotaExhausted, TokenUnusable, VkClient, VkError
from config.clock import ManualClock
from config.registry import Role
from config.settings import VKSettings
from sandbox.fake_vk import FakeVK, VKLimits
from storage.db import make_engine, make_session_factory
from storage.ingest import Ingestor
from storage.migrate import upgrade
from storage.models import Notification
from storage.registry_sync import sync_registry
from tests.ops_support import get, sample, serving

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
GID = 1001
OWNER = -GID


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeVK]:
    f = FakeVK(clock, limits=VKLimits(daily_quota={"wall.get": 5000}))
    await f.start()
    f.add_token("svc", "service")
    f.add_token("svc2", "service")
    f.add_token("grp", "group", group_id=GID)
    f.add_group(GID, "Администрация г. Примерска", "adm_primersk")
    yield f
    await f.stop()


def client(fake: FakeVK, clock: ManualClock, token: str = "svc", **kw: Any) -> VkClient:
    return VkClient(token, clock=clock, api_base=fake.base_url, timeout=kw.pop("timeout", 5), **kw)


class Sink:
    """Stores batches like the app does and confirms them; ``texts`` keeps the latest text
    each comment was handed to storage with."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.comments: dict[int, Any] = {}
        self.keys: set[tuple[int, int]] = set()
        self.changes: list[tuple[CommentChange, int]] = []
        self.posts: set[int] = set()
        self.texts: dict[int, str] = {}
        self.looked: list[int] = []

    async def __call__(self, batch: Batch) -> None:
        self.looked.extend(batch.looked)
        for ev in batch.comments:
            if ev.change in (CommentChange.NEW, CommentChange.EDIT):
                self.texts[ev.comment_id] = ev.text
            if ev.change is CommentChange.NEW:
                self.comments.setdefault(ev.comment_id, ev)
                self.keys.add((ev.owner_id, ev.comment_id))
            else:
                self.changes.append((ev.change, ev.comment_id))
        self.posts.update(p.post_id for p in batch.posts)
        self.collector.confirm(batch)


async def run_for(
    collector: Collector, clients: list[VkClient], sink: Sink, clock: ManualClock, seconds: float
) -> None:
    """Drive the workers' steps until ``seconds`` of VK time have passed."""
    end = clock.monotonic() + seconds
    while clock.monotonic() < end:
        progressed = False
        for c in clients:
            batch = await collector.step(c, clients)
            if batch is not None:
                await sink(batch)
                progressed = True
        if not progressed:
            await clock.sleep(1.0)


async def started(
    fake: FakeVK, clock: ManualClock, **cfg: Any
) -> tuple[Collector, list[VkClient], Sink]:
    collector = Collector(clock, CollectorConfig(**cfg))
    collector.add_page(GID)
    clients = [client(fake, clock)]
    sink = Sink(collector)
    await run_for(collector, clients, sink, clock, 5)
    return collector, clients, sink


def quiet_pages(fake: FakeVK, collector: Collector, post_at: Callable[[int], datetime]) -> None:
    """24 other pages, 30 posts each (post ``d`` written at ``post_at(d)``), watched before
    ours: a crowd ahead of it in the queue."""
    for g in range(3000, 3024):
        fake.add_group(g, f"page {g}")
        for d in range(30):
            fake.add_post(g, at=post_at(d), text="пост")
        collector.add_page(g)


def wall_get_calls(fake: FakeVK) -> int:
    return sum(
        1 if c.method == "wall.get" else sum(1 for m, _ in c.inner if m == "wall.get")
        for c in fake.calls
    )


async def test_new_comments_deep_threads_and_new_post_by_id_trick(
    fake: FakeVK, clock: ManualClock
) -> None:
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Ремонт дорог")
    collector, clients, sink = await started(fake, clock)
    assert 10 in sink.posts
    top = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Когда починят яму?")
    replies = [
        fake.add_comment(GID, 10, at=clock.now(), from_id=6 + i, text=f"+{i}", reply_to=top)
        for i in range(14)
    ]
    await run_for(collector, clients, sink, clock, 60)
    assert {top, *replies} <= sink.comments.keys()
    assert sink.comments[replies[-1]].thread_id == top  # reply 14 came from a thread page

    before = wall_get_calls(fake)
    new_post = fake.add_post(GID, at=clock.now(), text="Новый пост")
    comment = fake.add_comment(GID, new_post, at=clock.now(), from_id=9, text="Вопрос")
    await run_for(collector, clients, sink, clock, 360)
    assert new_post in sink.posts and comment in sink.comments
    assert wall_get_calls(fake) == before  # found through ids above the highest seen


async def test_a_page_looked_at_says_so_and_a_restart_reads_what_was_written_since(
    fake: FakeVK, clock: ManualClock
) -> None:
    """Issue 11: an empty wall's first look stores nothing, yet storage must stamp it, or a
    restart before a post of the page was stored moves it (``Batch.looked``, said until
    stored); a wall never read (closed) is no look.  Restarted with the first look stored,
    the collector reads the comments of posts written since, rather than skipping them as
    a first look's history."""
    fake.add_group(GID + 1, "Закрытая группа", is_closed=1)
    collector = Collector(clock)
    collector.add_page(GID)
    collector.add_page(GID + 1)
    clients = [client(fake, clock)]
    sink = Sink(collector)
    await run_for(collector, clients, sink, clock, 1800)
    assert collector.all_bootstrapped() and sink.looked == [GID]

    old = fake.add_post(GID, at=T0 - timedelta(hours=2), text="Старый пост")
    fake.add_comment(GID, old, at=T0 - timedelta(hours=1), from_id=5, text="История")
    since = fake.add_post(GID, at=clock.now(), text="Новый пост")
    comment = fake.add_comment(GID, since, at=clock.now(), from_id=6, text="Когда?")
    restarted = Collector(clock)
    restarted.add_page(GID, first_look=T0)
    sink = Sink(restarted)
    await run_for(restarted, clients, sink, clock, 5)
    assert sink.looked == []  # stored before
    assert {old, since} <= sink.posts and set(sink.comments) == {comment}


async def test_new_post_by_wall_get_when_ids_jump(fake: FakeVK, clock: ManualClock) -> None:
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    collector, clients, sink = await started(
        fake, clock, probe_ids=1, probe_far_ids=0, wall_get_min_interval_s=120.0,
        wall_get_slack_s=0.0,
    )  # fmt: skip
    # Ids consumed by something we never see (comments deleted at once) defeat the id trick.
    for _ in range(5):
        cid = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="спам")
        fake.delete_comment(GID, cid, at=clock.now())
    new_post = fake.add_post(GID, at=clock.now(), text="Новый пост")
    before = wall_get_calls(fake)
    await run_for(collector, clients, sink, clock, 400)
    assert new_post in sink.posts
    assert wall_get_calls(fake) > before


async def test_edits_and_deletions_are_noticed(fake: FakeVK, clock: ManualClock) -> None:
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    collector, clients, sink = await started(fake, clock)
    a = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Нет воды")
    b = fake.add_comment(GID, 10, at=clock.now(), from_id=6, text="Тоже нет")
    await run_for(collector, clients, sink, clock, 60)
    fake.edit_comment(GID, a, at=clock.now(), text="Нет воды третий день")
    fake.delete_comment(GID, b, at=clock.now())
    await run_for(collector, clients, sink, clock, 60)
    assert (CommentChange.DELETE, b) in sink.changes
    assert (CommentChange.EDIT, a) in sink.changes


async def test_execute_maps_false_and_execute_errors(fake: FakeVK, clock: ManualClock) -> None:
    fake.add_post(GID, post_id=10, at=T0, text="открыт")
    fake.add_post(GID, post_id=11, at=T0, text="закрыт", comments_closed=True)
    fake.add_post(GID, post_id=12, at=T0, text="удалён")
    fake.delete_post(GID, 12, at=T0)
    c = client(fake, clock)
    out = await c.execute(
        [
            ("wall.getComments", {"owner_id": OWNER, "post_id": 11}),
            ("wall.getById", {"posts": f"{OWNER}_10"}),
            ("wall.getComments", {"owner_id": OWNER, "post_id": 12}),
        ]
    )
    assert isinstance(out[0], VkError) and out[0].code == 212
    assert out[1]["items"][0]["id"] == 10
    assert isinstance(out[2], VkError) and out[2].code == 15
    assert fake.calls[-1].method == "execute" and len(fake.calls) == 1


async def test_closed_and_deleted_posts_are_marked_and_cost_nothing_more(
    fake: FakeVK, clock: ManualClock
) -> None:
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    fake.add_post(GID, post_id=11, at=T0 - timedelta(hours=1), text="Пост 2")
    collector, clients, sink = await started(fake, clock)
    fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Вопрос")
    fake.close_comments(GID, 10)  # count moved, but reading comments now answers 212
    fake.delete_post(GID, 11, at=clock.now())
    await run_for(collector, clients, sink, clock, 120)
    bad = collector.unreachable_posts()
    assert "212" in bad[(OWNER, 10)] and "deleted" in bad[(OWNER, 11)]
    n = len(fake.calls)
    await run_for(collector, clients, sink, clock, 1200)
    later = [c.params.get("code", "") for c in fake.calls[n:]]
    assert later and not any(f"{OWNER}_10" in code or f"{OWNER}_11" in code for code in later)


async def test_token_errors_take_out_pause_and_park(fake: FakeVK, clock: ManualClock) -> None:
    revoked = client(fake, clock)
    fake.revoke_token("svc")
    with pytest.raises(TokenUnusable):
        await revoked.call("wall.get", {"owner_id": OWNER})
    assert revoked.dead_reason and not revoked.usable() and revoked.problems[0].fatal
    group = client(fake, clock, "grp")
    with pytest.raises(TokenUnusable):
        await group.call("wall.getById", {"posts": f"{OWNER}_1"})
    assert group.problems[0].code == 27 and not group.usable()

    captcha = client(fake, clock, "svc2", human_pause_s=600)
    fake.set_captcha("svc2")
    with pytest.raises(TokenUnusable):
        await captcha.call("wall.get", {"owner_id": OWNER})
    assert not captcha.usable() and captcha.problems[0].code == 14
    assert not captcha.problems[0].fatal
    fake.set_captcha("svc2", False)
    clock.advance(601)
    assert captcha.usable()

    fake.limits.daily_quota["wall.get"] = 1
    await captcha.call("wall.get", {"owner_id": OWNER})
    with pytest.raises(QuotaExhausted):
        await captcha.call("wall.get", {"owner_id": OWNER})
    n = len(fake.calls)
    with pytest.raises(QuotaExhausted):
        await captcha.call("wall.get", {"owner_id": OWNER})
    assert len(fake.calls) == n  # parked: not even asked
    clock.advance(86400)
    await captcha.call("wall.get", {"owner_id": OWNER})  # the next Moscow day


@pytest.mark.parametrize("kind", ["http500", "timeout", "truncated_json", "html", "error"])
async def test_transient_failures_are_retried(fake: FakeVK, clock: ManualClock, kind: Any) -> None:
    fake.add_post(GID, post_id=10, at=T0, text="Пост")
    c = client(fake, clock, timeout=0.5)
    fake.inject_fault(kind, method="wall.getById", delay_s=2.0, code=10)
    out = await c.call("wall.getById", {"posts": f"{OWNER}_10"})
    assert out["items"][0]["id"] == 10
    assert c.requests_made == 2  # the failed attempt and the retry


async def test_no_error_6_under_load(fake: FakeVK, clock: ManualClock) -> None:
    for g in range(2000, 2300):
        fake.add_group(g, f"page {g}")
        fake.add_post(g, at=T0 - timedelta(hours=2), text="пост")
    collector = Collector(clock, CollectorConfig())
    for g in range(2000, 2300):
        collector.add_page(g)
    clients = [client(fake, clock)]
    sink = Sink(collector)
    for g in range(2000, 2300, 7):
        fake.add_comment(g, 1, at=clock.now() + timedelta(seconds=30), from_id=5, text="?")
    await run_for(collector, clients, sink, clock, 180)
    assert len(fake.calls) > 12
    assert not [c for c in fake.calls if c.error_code == 6]
    assert len(sink.keys) == len(range(2000, 2300, 7))


async def test_long_poll_failures_and_reconciliation(fake: FakeVK, clock: ManualClock) -> None:
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    collector = Collector(clock)
    collector.add_page(GID, longpoll=True)
    saved: dict[int, str] = {}

    async def save(gid: int, ts: str) -> None:
        saved[gid] = ts

    got: list[tuple[CommentChange, int]] = []

    async def sink(batch: Batch) -> None:
        got.extend((e.change, e.comment_id) for e in batch.comments)
        collector.confirm(batch)

    async def listen(listener: LongPollListener, until: int, then: Any = None) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(sink, stop))
        if then is not None:
            await asyncio.sleep(0.3)
            then()
        for _ in range(300):
            await asyncio.sleep(0.02)
            if len(got) >= until:
                break
        stop.set()
        await asyncio.wait_for(task, 5)

    lp = LongPollListener(
        client(fake, clock, "grp"), GID, clock, collector, wait_s=1, save_ts=save
    )
    await lp._new_server(keep_ts=False)
    a = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Нет света")
    fake.lp_fail(GID, 2)  # key expired: new key, same ts, nothing lost
    await listen(lp, 1)
    assert (CommentChange.NEW, a) in got and lp.failures == {2: 1}
    fake.lp_fail(GID, 1)  # history lost: carry on from the new ts and reconcile by polling
    await listen(
        lp, 2, lambda: fake.edit_comment(GID, a, at=clock.now(), text="Нет света второй день")
    )
    assert (CommentChange.EDIT, a) in got and lp.reconciliations == 1
    fake.lp_fail(GID, 3)
    fake.delete_comment(GID, a, at=clock.now())
    await listen(lp, 2)
    assert lp.reconciliations == 2 and saved[GID]

    # a restart: the stored ts is used and the page is reconciled by polling
    b = fake.add_comment(GID, 10, at=clock.now(), from_id=6, text="И у нас")
    again = LongPollListener(client(fake, clock, "grp"), GID, clock, collector, wait_s=1, ts=lp.ts)
    await listen(again, len(got) + 1)
    assert (CommentChange.NEW, b) in got and again.reconciliations == 1


async def test_quota_persisted_coverage_and_admin_alert(
    fake: FakeVK, clock: ManualClock, tmp_path: Path, make_scenario: Any
) -> None:
    registry = make_scenario([]).registry()
    registry = registry.model_copy(
        update={
            "people": [
                *registry.people,
                registry.people[0].model_copy(update={"telegram_id": 900, "role": Role.ADMIN}),
            ]
        }
    )
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    await upgrade(engine)
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        await sync_registry(session, registry)

    metrics = Metrics(clock)

    def service() -> CollectionService:
        vk = VKSettings(api_base=fake.base_url)
        ingestor = Ingestor(registry, clock, _classify, _rate)
        clients = [client(fake, clock), client(fake, clock, "svc2")]
        return CollectionService(
            vk, registry, clock, sessions, ingestor, clients, lambda: None, metrics=metrics
        )

    first = service()
    await first.load()
    sink = first.sink
    fake.revoke_token("svc2")
    with pytest.raises(TokenUnusable):
        await first.clients[1].call("wall.get", {"owner_id": OWNER})
    end = clock.monotonic() + 30
    while clock.monotonic() < end:
        for c in first.clients:
            if c.usable() and (batch := await first.collector.step(c, first.clients)):
                await sink(batch)
        await clock.sleep(1)
    spent = first.clients[0].quota.used["wall.get"]
    assert spent >= 1
    await first.persist()

    second = service()
    await second.load()
    assert second.clients[0].quota.used["wall.get"] == spent
    async with sessions() as session:
        notes = list((await session.execute(select(Notification))).scalars())
    assert [n.chat_id for n in notes if n.kind == "admin"] == [900]
    # ``otklik status`` reads the same page and the same quota book.
    status = await status_data(sessions, clock.now(), threshold_s=3600)
    assert [p.group_id for p in status.pages] == [GID]
    used = {q["token"]: q["used"] for q in status.quotas}
    assert used[first.clients[0].key]["wall.get"] == spent
    # The same pass is on /metrics: calls by method and code, quota left, page lag, passes.
    async with serving(metrics, Health(metrics, engine)) as base:
        _, text, _ = await get(base + "/metrics")
    assert sample(text, "otklik_vk_api_calls_total", method="execute", code="0") >= 1
    assert sample(text, "otklik_vk_api_calls_total", method="wall.get", code="5") == 1
    assert sample(text, "otklik_vk_api_errors_total", method="wall.get", code="5") == 1
    assert sample(text, "otklik_vk_quota_left", token=first.clients[0].key, method="wall.get") == (
        5000 - spent
    )
    assert "otklik_vk_" in text and "otklik_collector" in text
    await engine.dispose()


def _classify(text: str) -> Any:
    from matcher.classifier import classify

    return classify(text)


def _rate(complaint: str, answer: str) -> Any:
    from matcher.quality import rate_answer

    return rate_answer(complaint, answer)


async def test_count_checks_ask_only_for_ids_and_counts(fake: FakeVK, clock: ManualClock) -> None:
    """Count checks use VKScript ``@.`` projection: ids and counts, not whole posts."""
    for pid in (10, 11, 12):
        fake.add_post(GID, post_id=pid, at=T0 - timedelta(hours=pid), text="Пост " * 200)
    collector, clients, sink = await started(fake, clock)
    cid = fake.add_comment(GID, 11, at=clock.now(), from_id=5, text="Где автобус?")
    await run_for(collector, clients, sink, clock, 60)
    assert cid in sink.comments
    checks = [
        c for c in fake.calls if c.method == "execute" and "items@.comments" in c.params["code"]
    ]
    assert checks and all("Пост" not in c.params["code"] for c in checks)
    # One projected call failing still maps to its own error; the others come back as items.
    c = clients[0]
    results = await c.execute(
        [
            ("wall.getById", {"posts": f"{OWNER}_10,{OWNER}_12"}),
            ("wall.getComments", {"owner_id": OWNER, "post_id": 999}),
            ("wall.getById", {"posts": "abc"}),
        ],
        [("owner_id", "id", "comments"), None, None],
    )
    assert results[0] == {
        "items": [
            {"owner_id": OWNER, "id": 10, "comments": {"count": 0, **_rest(results[0], 0)}},
            {"owner_id": OWNER, "id": 12, "comments": {"count": 0, **_rest(results[0], 1)}},
        ]
    }
    assert isinstance(results[1], VkError) and results[1].code == 100
    assert results[2] == {"items": []}


def _rest(result: Any, i: int) -> dict[str, Any]:
    return {k: v for k, v in result["items"][i]["comments"].items() if k != "count"}


async def test_projection_refused_falls_back_to_whole_posts(
    fake: FakeVK, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox.fake_vk import vkscript

    monkeypatch.setattr(vkscript, "_parse_script", lambda code: None)  # a VK without ``@.``
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    collector, clients, sink = await started(fake, clock)
    cid = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Когда уберут снег?")
    await run_for(collector, clients, sink, clock, 60)
    assert cid in sink.comments
    assert clients[0].projection is False


async def test_new_post_behind_unseen_comment_ids_found_by_probes(
    fake: FakeVK, clock: ManualClock
) -> None:
    """Ids spent by comments we never read push a new post out of the near probe window;
    the moving block further up still finds it, without the wall.get quota."""
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    collector, clients, sink = await started(
        fake, clock, wall_get_min_interval_s=86400.0, probe_max_s=60.0
    )
    for _ in range(12):
        cid = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="спам")
        fake.delete_comment(GID, cid, at=clock.now())
    new_post = fake.add_post(GID, at=clock.now(), text="Новый пост")
    before = wall_get_calls(fake)
    await run_for(collector, clients, sink, clock, 600)
    assert new_post in sink.posts
    assert wall_get_calls(fake) == before


async def test_wall_counter_growth_gets_quiet_posts_checked_within_a_hot_period(
    fake: FakeVK, clock: ManualClock
) -> None:
    """A wall numbers posts and comments from one counter.  A comment read on the busy post
    with an id above ids never read means something else was written on that wall: its quiet
    posts are checked at once (not after their cold period), and an unexplained id that is a
    new post is found at once too.  Requests are kept small here (one post per getById), so
    the 720 quiet posts of other pages ahead in the queue cannot carry ours along by chance."""
    collector = Collector(
        clock,
        CollectorConfig(
            hot_share=0.4, cold_period_s=1200.0, probe_min_s=900.0, refs_per_getbyid=1
        ),
    )
    quiet_pages(fake, collector, lambda d: T0 - timedelta(days=5, hours=d))
    fake.add_post(GID, post_id=10, at=T0 - timedelta(days=10), text="Итоги года")
    fake.add_post(GID, post_id=100, at=T0 - timedelta(hours=1), text="Отключение воды")
    for i in range(3):
        at = T0 - timedelta(minutes=30 - i)
        fake.add_comment(GID, 100, at=at, from_id=5 + i, text="Когда дадут воду?")
    collector.add_page(GID)
    clients = [client(fake, clock)]
    sink = Sink(collector)
    await run_for(collector, clients, sink, clock, 60)
    posts = collector.pages[GID].posts
    assert posts[100].period == 40.0 and posts[10].period == 1200.0  # busy hot, quiet cold

    quiet = fake.add_comment(GID, 10, at=clock.now(), from_id=8, text="А где отчёт?")
    busy = fake.add_comment(GID, 100, at=clock.now(), from_id=9, text="Воды нет")
    await run_for(collector, clients, sink, clock, 55)  # one hot period and the follow-up
    assert {busy, quiet} <= sink.comments.keys()

    new_post = fake.add_post(GID, at=clock.now(), text="График приёма")
    fake.add_comment(GID, 100, at=clock.now(), from_id=10, text="И сегодня нет")
    before = wall_get_calls(fake)
    await run_for(collector, clients, sink, clock, 55)
    assert new_post in sink.posts
    assert wall_get_calls(fake) == before


async def test_long_poll_delivers_while_the_poll_is_open(fake: FakeVK, clock: ManualClock) -> None:
    """A pushed comment reaches the sink as it is written, not when the long poll times out."""
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    collector = Collector(clock)
    collector.add_page(GID, longpoll=True)
    got: dict[int, float] = {}

    async def sink(batch: Batch) -> None:
        for e in batch.comments:
            got.setdefault(e.comment_id, time.monotonic())
        collector.confirm(batch)

    listener = LongPollListener(client(fake, clock, "grp"), GID, clock, collector, wait_s=20)
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(sink, stop))
    for _ in range(100):  # until the listener holds an open long poll
        await asyncio.sleep(0.02)
        if listener._server:
            break
    await asyncio.sleep(0.3)
    written = time.monotonic()
    cid = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Нет света")
    for _ in range(200):
        await asyncio.sleep(0.01)
        if cid in got:
            break
    stop.set()
    fake.add_comment(GID, 10, at=clock.now(), from_id=6, text="ещё")  # ends the open poll
    await asyncio.wait_for(task, 25)
    assert cid in got and got[cid] - written < 1.0  # the open poll (up to 20 s) answered at once


async def test_check_budget_bounds_requests_and_goes_to_the_busy_posts(
    fake: FakeVK, clock: ManualClock
) -> None:
    """A region bigger than the check budget: every post is checked once per cold period,
    the rest of the budget goes to the posts where comments come (here each page's fresh,
    commented post), and the requests stay at the budget (``checks_per_s`` posts a second).
    Requests are kept small (two posts per getById) so that 1,200 posts overflow them."""
    cfg = CollectorConfig(
        checks_per_s=5.0, cold_period_s=600.0, probe_refs_per_s=0.5, refs_per_getbyid=2
    )
    collector = Collector(clock, cfg)
    fresh: list[tuple[int, int]] = []
    for g in range(3000, 3040):
        fake.add_group(g, f"page {g}")
        for d in range(29):
            fake.add_post(g, at=T0 - timedelta(days=3, hours=4 * d, minutes=g % 40), text="пост")
        pid = fake.add_post(g, at=T0 - timedelta(minutes=60 + g % 40), text="Отключение воды")
        fake.add_comment(g, pid, at=T0 - timedelta(minutes=20), from_id=5, text="Когда?")
        fresh.append((g, pid))
        collector.add_page(g)
    clients = [client(fake, clock)]
    sink = Sink(collector)
    await run_for(collector, clients, sink, clock, 120)
    hot = [p for page in collector.pages.values() for p in page.posts.values() if p.period == 40]
    assert {(-p.owner_id, p.post_id) for p in hot} >= set(fresh)
    # floor 1,200 / 600 = 2/s, probes 0.5/s: 2.5/s left for hot, 1/40 - 1/600 each
    assert len(hot) <= 1.05 * 2.5 / (1 / 40 - 1 / 600)  # (posts tied at the line go too)

    n = len(fake.calls)
    await run_for(collector, clients, sink, clock, 1200)
    requests = len(fake.calls) - n
    budget = cfg.checks_per_s * 1200 / (25 * cfg.refs_per_getbyid)  # 120 full requests
    assert budget * 0.7 <= requests <= budget * 1.25


async def test_long_poll_survives_storage_failures_and_loses_nothing(
    fake: FakeVK, clock: ManualClock
) -> None:
    """The database is away for two attempts: the listener keeps running, ``ts`` does not
    move past the unstored events, and the comment is stored once storage is back."""
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    collector = Collector(clock)
    collector.add_page(GID, longpoll=True)
    saved: dict[int, str] = {}
    stored: list[int] = []
    ts_while_away: list[str | None] = []
    attempts = 0

    async def save(gid: int, ts: str) -> None:
        saved[gid] = ts

    async def sink(batch: Batch) -> None:
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            ts_while_away.append(saved.get(GID))
            raise ConnectionRefusedError("database is away")
        stored.extend(e.comment_id for e in batch.comments)
        collector.confirm(batch)

    listener = LongPollListener(
        client(fake, clock, "grp"), GID, clock, collector, wait_s=1, save_ts=save
    )
    await listener._new_server(keep_ts=False)
    cid = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Нет света")
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(sink, stop))
    for _ in range(300):
        await asyncio.sleep(0.02)
        if stored:
            break
    stop.set()
    await asyncio.wait_for(task, 5)
    assert stored == [cid] and listener.store_failures == 2 and saved[GID] == listener.ts
    assert ts_while_away == [None, None]  # ts not moved past the events while unstored
