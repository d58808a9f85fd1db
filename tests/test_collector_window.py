"""Issue 11, defects 4 and 7: what a comment count cannot show.

An edit leaves a post's comment count as it was, so a collector that reads only posts whose
count moved never sees a resident add the address to a complaint.  And a post older than the
watch window went unwatched, so a resident writing under a 20-day-old post reached nobody.
The real vk_api talks to the fake VK over HTTP; time is a ManualClock.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from collectors.collector import Collector, CollectorConfig
from collectors.events import CommentChange
from config.clock import ManualClock
from sandbox.fake_vk import FakeVK
from tests import test_collector
from tests.test_collector import GID, T0, Sink, client, quiet_pages, run_for, started

# The collector tests' world: a ManualClock at T0, the fake VK with the page and its tokens.
clock = test_collector.clock
fake = test_collector.fake


def edits(sink: Sink) -> list[int]:
    return [cid for change, cid in sink.changes if change is CommentChange.EDIT]


async def test_a_resident_adding_the_address_is_seen_without_any_new_comment(
    fake: FakeVK, clock: ManualClock
) -> None:
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Ремонт дорог")
    collector, clients, sink = await started(fake, clock)
    cid = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Яма на дороге, когда?")
    await run_for(collector, clients, sink, clock, 60)
    assert cid in sink.comments

    address = "Яма на дороге у дома 5 по ул. Ленина, когда заделаете?"
    fake.edit_comment(GID, cid, at=clock.now() + timedelta(minutes=2), text=address)
    await run_for(collector, clients, sink, clock, 6 * 60)
    assert edits(sink) == [cid]
    assert sink.texts[cid] == address


async def test_chatter_edited_in_a_deep_thread_is_seen(fake: FakeVK, clock: ManualClock) -> None:
    """A reply beyond the first ten of its thread (only a thread call returns it)."""
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Ремонт дорог")
    top = fake.add_comment(GID, 10, at=T0 - timedelta(minutes=50), from_id=5, text="Когда?")
    for i in range(12):
        at = T0 - timedelta(minutes=40 - i)
        fake.add_comment(GID, 10, at=at, from_id=6 + i, text=f"+{i}", reply_to=top)
    collector, clients, sink = await started(fake, clock)
    reply = fake.add_comment(GID, 10, at=clock.now(), from_id=30, text="+1", reply_to=top)
    await run_for(collector, clients, sink, clock, 60)
    assert reply in sink.comments

    complaint = "+1, и во дворе дома 7 по Садовой третий день нет воды"
    fake.edit_comment(GID, reply, at=clock.now() + timedelta(minutes=1), text=complaint)
    await run_for(collector, clients, sink, clock, 4 * 60)
    assert edits(sink) == [reply] and sink.texts[reply] == complaint


async def test_re_reads_thin_out_and_stop(fake: FakeVK, clock: ManualClock) -> None:
    """The re-reads follow the schedule after the latest comment and then cost nothing."""
    fake.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    collector, clients, sink = await started(fake, clock)
    fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Нет воды")
    await run_for(collector, clients, sink, clock, 3 * 3600)
    assert collector.reread_calls == len(CollectorConfig().reread_after_s)
    before = collector.reread_calls
    await run_for(collector, clients, sink, clock, 3 * 3600)
    assert collector.reread_calls == before


async def test_a_comment_under_a_20_day_old_post_is_seen(fake: FakeVK, clock: ManualClock) -> None:
    """A page that posts rarely: its newest posts are older than the 14-day window."""
    fake.add_post(GID, post_id=10, at=T0 - timedelta(days=20), text="Приём граждан")
    fake.add_post(GID, post_id=11, at=T0 - timedelta(days=16), text="Итоги года")
    collector, clients, sink = await started(fake, clock)
    cid = fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Когда приём?")
    await run_for(collector, clients, sink, clock, 11 * 60)  # the cold period is 10 min
    assert cid in sink.comments
    (cov,) = collector.coverage()
    assert cov.dormant_posts == 1 and cov.watched_posts == 1  # 10 is watched again


async def test_a_post_stays_watched_while_comments_keep_coming(
    fake: FakeVK, clock: ManualClock
) -> None:
    """A one-hour window here: the busy post outlives it, the silent one goes dormant and
    wakes up on its next comment."""
    cfg: dict[str, Any] = {"watch_days": 1 / 24, "retier_every_s": 60.0}
    fake.add_post(GID, post_id=10, at=T0 - timedelta(minutes=50), text="Отключение воды")
    fake.add_post(GID, post_id=11, at=T0 - timedelta(minutes=40), text="Поздравление")
    collector, clients, sink = await started(fake, clock, **cfg)
    busy = []
    for _ in range(6):  # a comment every 20 minutes for two hours
        busy.append(fake.add_comment(GID, 10, at=clock.now(), from_id=5, text="Воды нет"))
        await run_for(collector, clients, sink, clock, 20 * 60)
    assert set(busy) <= sink.comments.keys()
    (cov,) = collector.coverage()
    assert (cov.kept_posts, cov.dormant_posts) == (1, 1)  # 10 kept, 11 silent

    late = fake.add_comment(GID, 11, at=clock.now(), from_id=6, text="А почему не сказали?")
    await run_for(collector, clients, sink, clock, 11 * 60)
    assert late in sink.comments and collector.revived == 1
    (cov,) = collector.coverage()
    assert (cov.kept_posts, cov.dormant_posts) == (2, 0)

    # Both fall silent for longer than the window; then 11 is commented on once more.
    await run_for(collector, clients, sink, clock, 2 * 3600)
    (cov,) = collector.coverage()
    assert (cov.watched_posts, cov.dormant_posts) == (0, 2)
    again = fake.add_comment(GID, 11, at=clock.now(), from_id=8, text="Ответьте, пожалуйста")
    await run_for(collector, clients, sink, clock, 11 * 60)
    assert again in sink.comments and collector.revived == 2


async def test_unexplained_ids_wake_a_dormant_post_at_once(
    fake: FakeVK, clock: ManualClock
) -> None:
    """A big region (requests full, one post per getById here) checks a dormant post every
    6 h.  The wall's id counter shows that something was written that no watched post
    explains, so the page's dormant posts are checked within a minute or two."""
    cfg = CollectorConfig(
        watch_days=1 / 24, dormant_share=1e-6, cold_period_s=1200.0, retier_every_s=60.0,
        probe_min_s=900.0, orphan_wait_s=30.0, refs_per_getbyid=1,
    )  # fmt: skip
    collector = Collector(clock, cfg)
    quiet_pages(fake, collector, lambda d: T0 - timedelta(minutes=30, seconds=d))
    fake.add_post(GID, post_id=11, at=T0 - timedelta(hours=3), text="Поздравление")
    fake.add_post(GID, post_id=20, at=T0 - timedelta(minutes=10), text="Отключение воды")
    collector.add_page(GID)
    clients = [client(fake, clock)]
    sink = Sink(collector)
    await run_for(collector, clients, sink, clock, 1300)  # past the first dormant check
    assert collector.pages[GID].dormant.keys() == {11}

    late = fake.add_comment(GID, 11, at=clock.now(), from_id=6, text="А почему не сказали?")
    fake.add_comment(GID, 20, at=clock.now(), from_id=7, text="Когда дадут воду?")
    await run_for(collector, clients, sink, clock, 150)
    assert late in sink.comments
    assert collector.orphan_sweeps == 1


async def test_posts_past_every_window_are_counted_as_not_watched(
    fake: FakeVK, clock: ManualClock
) -> None:
    for i in range(4):
        fake.add_post(GID, post_id=10 + i, at=T0 - timedelta(days=100 + i), text="Старый пост")
    fake.add_post(GID, post_id=20, at=T0 - timedelta(days=30), text="Пост")
    collector, _, _ = await started(fake, clock)
    (cov,) = collector.coverage()
    assert (cov.watched_posts, cov.dormant_posts, cov.dropped_posts) == (0, 1, 4)
