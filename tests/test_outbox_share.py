"""Two outbox senders on one database (issue 7: several ``bot`` processes on PostgreSQL).

Telegram's ~30 messages a second is a limit per bot, not per process.  Each sender keeps its
share of 28/s and the chats are split between them, also while the second one joins: the
combined rate stays within the limit, each chat is served by one sender at its own pace, and
no message is sent twice.  Plus the pure rules of :class:`bot.sender_share.SenderShare`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.outbox import OutboxSender
from bot.sender_share import SenderShare
from bot.telegram.pacing import install_pacer
from config.clock import VirtualClock
from sandbox.fake_telegram import FakeTelegram, TelegramLimits, TgCall
from storage.db import make_engine, make_session_factory
from storage.leases import Workers
from storage.migrate import upgrade
from storage.models import Notification, OutboxStatus
from storage.outbox import enqueue
from tests.bot_harness import Harness

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
#: Virtual seconds per real second: below 1, so the pacing and not a loaded machine's CPU
#: sets the rate (and the test stays short: 40 messages).
SPEED = 0.5
#: Telegram's overall limit scaled down (30/s → 10/s, the pacer's 28/s → 8/s), so that two
#: Python senders on a loaded machine can offer far more than their share: the pacing, not
#: the CPU, sets the rate, and a sender that kept the whole budget would be refused.
LIMIT = 10
RATE = 8.0
CHATS = range(10_001, 10_021)  # 20 people, two messages each
RECOVER_S = 1.0  # real seconds between looks at the live senders (the app: 15)


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[tuple[AsyncEngine, FakeTelegram, VirtualClock]]:
    clock = VirtualClock(T0, SPEED)
    fake = FakeTelegram(clock, limits=TelegramLimits(global_per_s=LIMIT))
    await fake.start()
    for chat in CHATS:
        fake.add_user(chat, f"Житель {chat}")
    engine = make_engine(db_url)
    await upgrade(engine)
    try:
        yield engine, fake, clock
    finally:
        await engine.dispose()
        await fake.stop()


def sender(
    name: str,
    fake: FakeTelegram,
    sessions: async_sessionmaker[AsyncSession],
    clock: VirtualClock,
) -> tuple[OutboxSender, Bot]:
    """One sender "process": its own bot, pacer and heartbeat, the shared database."""
    bot = fake.make_bot(default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    workers = Workers(sessions, name, "bot", ttl_s=3.0)
    out = OutboxSender(
        bot,
        sessions,
        clock,
        install_pacer(bot, clock, global_rate=RATE),
        workers=workers,
        recover_every_s=RECOVER_S,
    )
    return out, bot


async def beating(out: OutboxSender, stop: asyncio.Event) -> None:
    """The app's heartbeat task, which beats for the whole process (``bot/app.py``)."""
    assert out.workers is not None
    while not stop.is_set():
        await out.workers.heartbeat()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RECOVER_S / 2)


def max_per_second(calls: list[TgCall]) -> int:
    """The most sends in any one-second window (half-open, as Telegram and the fake count)."""
    times = sorted(c.at.timestamp() for c in calls)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def test_two_senders_share_the_global_limit_and_split_the_chats(
    world: tuple[AsyncEngine, FakeTelegram, VirtualClock],
) -> None:
    engine, fake, clock = world
    sessions = make_session_factory(engine)
    async with sessions() as s, s.begin():
        for chat, n in itertools.product(CHATS, (1, 2)):
            enqueue(
                s,
                key=f"t:{chat}:{n}",
                chat_id=chat,
                kind="text",
                now=clock.now(),
                payload={"text": f"Сообщение {n} для {chat}"},
            )
    a, bot_a = sender("sender-a", fake, sessions, clock)
    b, bot_b = sender("sender-b", fake, sessions, clock)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(a.run(stop)), asyncio.create_task(beating(a, stop))]
    try:
        # The first sender works alone at the full rate for a while, then the second joins.
        deadline = time.monotonic() + 60
        while len(fake.sent()) < 10:
            assert time.monotonic() < deadline, "the first sender did not start"
            await asyncio.sleep(0.02)
        tasks += [asyncio.create_task(b.run(stop)), asyncio.create_task(beating(b, stop))]
        # A hang detector, not a speed target: fail only when nothing is sent for a whole minute
        # (a busy machine slows the senders down, it must not fail the test).
        last_left, stalled_since = -1, time.monotonic()
        while True:
            async with sessions() as s:
                left = await s.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.status != OutboxStatus.SENT)
                )
            if left == 0:
                break
            if left != last_left:
                last_left, stalled_since = left or 0, time.monotonic()
            assert time.monotonic() - stalled_since < 60, f"{left} messages not sent"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        a.wake.set()
        b.wake.set()
        await asyncio.gather(*tasks)
        await bot_a.session.close()
        await bot_b.session.close()
    sends = [c for c in fake.sent() if c.method == "sendMessage"]
    # Nothing twice, nothing missing.
    assert sorted(c.text or "" for c in sends) == sorted(
        f"Сообщение {n} для {chat}" for chat, n in itertools.product(CHATS, (1, 2))
    )
    # Together within Telegram's overall limit, and never refused.
    assert max_per_second(sends) <= LIMIT
    assert fake.http_429_count() == 0
    # Once both send, together they keep the one budget (not one each).
    async with sessions() as s:
        rows = (await s.execute(select(Notification.claimed_by, Notification.payload))).all()
    by_b = {str(payload["text"]) for claimed_by, payload in rows if claimed_by == "sender-b"}
    joined = min(c.at for c in sends if c.text in by_b)
    both = sorted(c.at for c in sends if c.at >= joined)
    rate = (len(both) - 1) / (both[-1] - both[0]).total_seconds()
    assert rate <= RATE * 1.1, rate
    # Both worked, each chat at its own pace (a chat's two messages a second apart or more).
    assert a.sent >= 10 and b.sent >= 10
    for chat in CHATS:
        first, second = sorted(c.at for c in sends if c.chat_id == chat)
        assert (second - first).total_seconds() >= 1.0
    # After the join, each kept half of the budget.
    assert a.pacer.senders == b.pacer.senders == 2


def test_a_view_is_acted_on_only_once_it_has_settled() -> None:
    share = SenderShare("b", settle_s=2.0, max_age_s=2.0)
    assert share.share(0.0) is None  # no view yet
    share.observe(["a", "b"], 10.0)
    assert share.share(10.0) is None and share.holds_for(10.0) == 2.0
    share.observe(["b", "a"], 11.0)  # the same view again: still settling
    assert share.share(11.5) is None
    assert share.share(12.0) == (1, 2)  # settled: held unchanged for 2 s
    # A third sender appears: hold again, whatever the index was.
    share.observe(["a", "b", "c"], 13.0)
    assert share.share(13.0) is None
    share.observe(["a", "b", "c"], 14.5)
    assert share.share(15.0) == (1, 3)
    # Cut off from the database: stop before the others declare us dead.
    assert share.share(16.6) is None
    # Back after a gap: the others may have taken our chats meanwhile, so settle again.
    share.observe(["a", "b", "c"], 30.0)
    assert share.share(30.0) is None and share.share(31.0) is None
    share.observe(["a", "b", "c"], 31.5)
    assert share.share(32.0) == (1, 3)


def test_alone_a_sender_need_not_wait_and_without_its_heartbeat_it_never_sends() -> None:
    share = SenderShare("a", settle_s=30.0, max_age_s=30.0)
    share.observe(["a"], 0.0)
    assert share.share(0.0) == (0, 1)
    lone = SenderShare("x", settle_s=1.0, max_age_s=1.0)
    lone.observe(["a", "b"], 0.0)
    assert lone.share(5.0) is None and lone.holds_for(5.0) == 0.0


async def test_a_chat_taken_over_from_another_sender_keeps_its_pace(db_url: str) -> None:
    """Sender A wrote to a person half a second ago and died; B, taking the chat over,
    waits out the rest of the second rather than earn a 429."""
    async with Harness(db_url) as h:
        now = h.clock.now()
        async with h.sessions() as s, s.begin():
            for n in (1, 2):
                enqueue(s, key=f"t{n}", chat_id=501, kind="text", now=now,
                        payload={"text": f"Сообщение {n}"})  # fmt: skip
            await s.flush()
            first = (
                await s.execute(select(Notification).where(Notification.dedupe_key == "t1"))
            ).scalar_one()
            first.status, first.claimed_by = OutboxStatus.SENT, "sender-a"
            first.sent_at = first.claimed_at = now - timedelta(seconds=0.5)
        b = OutboxSender(
            h.bot,
            h.sessions,
            h.clock,
            h.sender.pacer,
            workers=Workers(h.sessions, "sender-b", "bot", ttl_s=3.0),
        )
        await b.recover()  # alone now: every chat is B's at once
        await b.drain_once()
        assert h.fake.sent(501) == []  # A's message was 0.5 s ago
        h.clock.advance(0.6)
        await b.drain_once()
        (call,) = h.fake.sent(501)
    assert call.text == "Сообщение 2" and call.at >= now + timedelta(seconds=0.55)
