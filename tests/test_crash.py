"""Crash safety (issue 7): the real app process is killed with SIGKILL at random moments of a
scenario (mid-collection, mid-send, mid-start-up), restarted each time, and at the end

* every comment is stored exactly once;
* every complaint was alerted to its official exactly once (its own card or a summary), or,
  when the kill hit the send itself (the one moment nobody can know whether Telegram got it),
  at most once *and* the moderators were told to check it;
* nothing is left ``sending``, nothing due is left ``pending``: no state that nothing moves.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.outbox import ALERT_INTERRUPTED
from bot.texts import SUMMARY_HINT
from sandbox.fake_telegram import FakeTelegram
from sandbox.fake_vk import FakeVK
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Comment, Complaint, Notification
from tests.proc_support import AppProcess, World, write_registry

pytestmark = pytest.mark.e2e

START = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 10:00 Moscow, a Tuesday
SPEED = 60.0
PAGES = [4001, 4002, 4003]
KILLS = 6
SEED = 7
COMPLAINTS = (
    "Когда уберут мусор во дворе дома 5 на ул. Мира?",
    "Третий день нет горячей воды, куда звонить?",
    "Когда отремонтируют дорогу на ул. Ленина? Ямы по колено.",
    "Почему не горят фонари на Садовой? Темно и опасно.",
)
PEOPLE = [
    {"telegram_id": 501, "name": "Иван Петров", "role": "official", "agencies": ["city"]},
    {"telegram_id": 601, "name": "Ольга Смирнова", "role": "moderator"},
]


async def test_kill_9_at_random_moments_loses_and_repeats_nothing(
    db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    world = World(START, SPEED)
    clock = world.clock()
    vk, tg = FakeVK(clock), FakeTelegram(clock)
    await vk.start()
    await tg.start()
    for person in PEOPLE:
        first, _, last = str(person["name"]).partition(" ")
        tg.add_user(int(person["telegram_id"]), first, last)  # type: ignore[call-overload]
    vk.add_token("tok", "service")
    engine = make_engine(db_url)
    await upgrade(engine)
    sessions = make_session_factory(engine)
    posts: dict[int, int] = {}
    for gid in PAGES:
        vk.add_group(gid, f"Страница {gid}", f"page{gid}")
        posts[gid] = vk.add_post(gid, at=START - timedelta(hours=2), text="Новости района")
    # Comments over ~24 real seconds, from 3 s after the start (the first look at the pages).
    expected: dict[tuple[int, int, int], str] = {}
    n = 60
    for k in range(n):
        gid = PAGES[k % len(PAGES)]
        marker = f"Z{k:03d}"
        body = "Спасибо за информацию!" if k % 5 == 4 else COMPLAINTS[k % len(COMPLAINTS)]
        at = START + timedelta(seconds=(4 + 24 * k / n) * SPEED)
        cid = vk.add_comment(gid, posts[gid], at=at, from_id=7000 + k, text=f"{marker}: {body}")
        expected[(-gid, posts[gid], cid)] = marker
    app = AppProcess(
        "app",
        "all",
        workdir=tmp_path,
        world=world,
        db_url=db_url,
        registry=write_registry(tmp_path / "registry.yaml", PAGES, PEOPLE),
        vk_base=vk.base_url,
        vk_tokens=["tok"],
        tg_base=tg.base_url,
    )
    try:
        for _ in range(KILLS):
            app.start()
            await asyncio.sleep(rng.uniform(1.5, 5.0))
            assert app.alive, app.tail()
            app.kill()
        app.start()

        async def settled() -> bool:
            assert app.alive, app.tail()
            async with sessions() as s:
                stored = (await s.execute(select(func.count()).select_from(Comment))).scalar_one()
                busy = (
                    await s.execute(
                        select(func.count())
                        .select_from(Notification)
                        .where(
                            (Notification.status == "sending")
                            | (
                                (Notification.status == "pending")
                                & (Notification.next_attempt_at <= clock.now())
                            )
                        )
                    )
                ).scalar_one()
            return (
                stored >= len(expected)
                and busy == 0
                and clock.now() > START + timedelta(seconds=30 * SPEED)
            )

        deadline = time.monotonic() + 40
        while not await settled():
            assert time.monotonic() < deadline, "the final run did not settle\n" + app.tail()
            await asyncio.sleep(0.3)
        assert await app.stop() == 0, app.tail()

        async with sessions() as s:
            keys = [
                tuple(r)
                for r in (
                    await s.execute(select(Comment.owner_id, Comment.post_id, Comment.comment_id))
                ).all()
            ]
            complaints = list(
                (
                    await s.execute(
                        select(Complaint.id, Comment.text).join(
                            Comment, Comment.id == Complaint.comment_pk
                        )
                    )
                ).all()
            )
            rows = list((await s.execute(select(Notification))).scalars())
        # Every comment once.
        assert len(keys) == len(set(keys)) and set(keys) == set(expected)
        assert len(complaints) >= 40
        alerts = {r.complaint_id: r for r in rows if r.kind == "alert" and r.chat_id == 501}
        summaries = [r for r in rows if r.kind == "summary" and r.status == "sent"]
        notices = {r.complaint_id for r in rows if r.dedupe_key.startswith("interrupted:")}
        cards = [
            c.text or ""
            for c in tg.sent(501)
            if c.method == "sendMessage" and c.status == 200 and SUMMARY_HINT not in (c.text or "")
        ]
        summary_calls = [
            c
            for c in tg.sent(501)
            if c.method == "sendMessage" and c.status == 200 and SUMMARY_HINT in (c.text or "")
        ]
        interrupted = 0
        for cid, text in complaints:
            marker = text.split(":", 1)[0]
            row = alerts.get(cid)
            assert row is not None, f"complaint {cid} has no alert"
            sent_cards = sum(1 for t in cards if marker in t)
            in_summary = sum(1 for sm in summaries if row.id in sm.payload.get("rows", []))
            assert sent_cards <= 1, f"{marker} sent {sent_cards} times"
            if row.status == "failed":
                # Killed mid-send: at most once, and the moderators know.
                assert "interrupted" in (row.last_error or ""), row.last_error
                assert cid in notices
                assert sent_cards + in_summary <= 1
                interrupted += 1
            else:
                assert row.status in ("sent", "coalesced"), (marker, row.status)
                assert sent_cards + in_summary == 1, (marker, sent_cards, in_summary)
        assert len(summary_calls) <= len(summaries) + interrupted
        # Nothing stuck: no row is mid-send, nothing due waits.
        assert not [r for r in rows if r.status == "sending"]
        assert not [r for r in rows if r.status == "pending" and r.next_attempt_at <= clock.now()]
        moderator_texts = [c.text or "" for c in tg.sent(601) if c.method == "sendMessage"]
        assert sum(1 for t in moderator_texts if "прервано сбоем" in t) == len(notices)
        assert ALERT_INTERRUPTED.split("{", 1)[0] and app.starts == KILLS + 1
    finally:
        app.kill()
        await engine.dispose()
        await tg.stop()
        await vk.stop()
