"""Alert storm benchmark: 2,000 complaints in 10 virtual minutes for 300 officials.

The load is skewed like a real region: complaints pick an agency with Zipf-like weights, so a
few officials get hundreds while most get a handful.  Everything on the delivery path is real:
SQLite with the migrations, the outbox rows as ingest writes them, the ``OutboxSender`` with
its pacer, aiogram over HTTP to the fake Bot API, which enforces Telegram's limits (429) on a
virtual clock.  Measured:

* ``lost``: (complaint, official) pairs never told (no card, no summary listing it);
* ``duplicates``: pairs told more than once (two cards, a card and a summary, two summaries);
* ``http_429``: refusals by the fake; ``max_msgs_per_chat_minute``: the most user-visible
  messages any chat got in a sliding minute;
* ``all_informed_s``: from the storm's start until the last pair was told;
  ``max_latency_s``: the longest any single complaint waited to be told.

``--channel`` (issue 13) picks the messengers: ``telegram`` (as before), ``max`` (every
official on MAX only: the real ``maxapi`` with Otklik's MAX client, pacer and port against the
fake MAX, which enforces 2 messages a second per chat and 30 requests a second overall with
429), or ``mixed`` (a third on Telegram only, a third on MAX only, a third on both, preferring
one or the other in turn: each must be told once, on the preferred messenger).  ``http_429``
then counts both fakes' refusals, and ``fake_sends_match`` says the fakes received exactly the
messages the outbox recorded as sent (no client retry duplicated one behind its back).

Prints progress to stderr and one JSON object as the last line of stdout::

    .venv/bin/python -m bench.storm [--complaints 2000] [--officials 300] [--speed 20]
        [--channel telegram|max|mixed]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.core.types import Channel, MessengerPort
from bot.max.client import open_client
from bot.max.pacer import MaxPacer
from bot.max.port import MaxPort
from bot.outbox import OutboxSender
from bot.pacing import Pacer
from bot.telegram.pacing import install_pacer
from bot.telegram.port import TelegramPort
from config.clock import VirtualClock
from config.settings import MaxSettings
from sandbox.fake_max import FakeMax
from sandbox.fake_telegram import FakeTelegram
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import (
    Agency,
    AlertMessage,
    Comment,
    Complaint,
    Notification,
    OutboxStatus,
    Page,
    Person,
    Post,
)
from storage.outbox import enqueue

START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 10:00 Moscow, Monday
CHANNELS = ("telegram", "max", "mixed")
MAX_USER_BASE = 500_000  # official i's MAX user id is MAX_USER_BASE + i


def messengers_of(i: int, channel: str) -> tuple[bool, bool, str]:
    """Official ``i``: on Telegram, on MAX, and the preferred messenger."""
    if channel == "telegram":
        return True, False, "telegram"
    if channel == "max":
        return False, True, "max"
    kind = i % 3  # mixed: Telegram only, MAX only, both (preferring each in turn)
    if kind == 0:
        return True, False, "telegram"
    if kind == 1:
        return False, True, "max"
    return True, True, "max" if (i // 3) % 2 == 0 else "telegram"


def skewed_agencies(n_complaints: int, n_agencies: int, rng: random.Random) -> list[int]:
    weights = [1.0 / (rank**1.1) for rank in range(1, n_agencies + 1)]
    return rng.choices(range(n_agencies), weights=weights, k=n_complaints)


async def run(
    n_complaints: int,
    n_officials: int,
    window_s: float,
    speed: float,
    channel: str = "telegram",
) -> dict[str, Any]:
    rng = random.Random(5)
    workdir = Path(tempfile.mkdtemp(prefix="otklik-storm-"))
    clock = VirtualClock(START, speed)
    clock.pause()
    fake = FakeTelegram(clock)
    await fake.start()
    fake_max = FakeMax(clock)
    await fake_max.start()
    engine = make_engine(f"sqlite+aiosqlite:///{workdir / 'storm.db'}")
    await upgrade(engine)
    sessions = make_session_factory(engine)
    # One agency and one official per agency; the page of agency i is group 10_000 + i.
    async with sessions() as s, s.begin():
        for i in range(n_officials):
            s.add(Agency(id=f"a{i}", name=f"Ведомство {i}", tz="Europe/Moscow"))
        await s.flush()
        for i in range(n_officials):
            s.add(Page(group_id=10_000 + i, name=f"Страница {i}", agency_id=f"a{i}"))
            on_tg, on_max, preferred = messengers_of(i, channel)
            # The person's id is 100_000 + i whichever messengers they are on.
            s.add(
                Person(
                    id=100_000 + i,
                    telegram_id=100_000 + i if on_tg else None,
                    max_user_id=MAX_USER_BASE + i if on_max else None,
                    preferred_channel=preferred,
                    name=f"Исполнитель {i}",
                    role="official",
                    agencies=[f"a{i}"],
                )
            )
            if on_tg:
                fake.add_user(100_000 + i, f"Исполнитель{i}")
            if on_max:
                fake_max.add_user(MAX_USER_BASE + i, f"Исполнитель{i}")
            s.add(Post(owner_id=-(10_000 + i), post_id=1, created_at=START, text="Новости"))
    targets = skewed_agencies(n_complaints, n_officials, rng)
    arrivals = sorted(rng.uniform(0, window_s) for _ in range(n_complaints))
    per_official: dict[int, int] = defaultdict(int)
    for t in targets:
        per_official[t] += 1

    bot = fake.make_bot(default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    # Telegram always, as in the app (ingest writes rows for Telegram; the outbox moves
    # them to the messenger that reaches the person).
    ports: dict[Channel, MessengerPort] = {Channel.TELEGRAM: TelegramPort(bot)}
    pacers: dict[Channel, Pacer] = {Channel.TELEGRAM: install_pacer(bot, clock)}
    max_client = None
    if channel != "telegram":
        max_pacer = MaxPacer(clock, api_base=fake_max.base_url)
        max_client = open_client(
            MaxSettings(
                token=SecretStr(fake_max.token), api_base=fake_max.base_url, mode="polling"
            ),
            middlewares=[max_pacer],
        )
        pacers[Channel.MAX] = max_pacer
        ports[Channel.MAX] = MaxPort(max_client.bot, clock, pacer=max_pacer, tmp_dir=workdir)
    sender = OutboxSender(ports, sessions, clock, pacers)
    stop = asyncio.Event()
    created_at: dict[int, datetime] = {}

    async def feed() -> None:
        """Store each complaint and its alert row at its virtual arrival time, as ingest does."""
        for n, (at, agency) in enumerate(zip(arrivals, targets, strict=True)):
            wait = clock.real_seconds_until(START + timedelta(seconds=at))
            if wait > 0:
                await asyncio.sleep(wait)
            now = clock.now()
            async with sessions() as s, s.begin():
                comment = Comment(
                    owner_id=-(10_000 + agency),
                    post_id=1,
                    comment_id=n + 1,
                    from_id=1_000_000 + n,
                    author_name=f"Житель {n}",
                    text=f"Жалоба {n}: не убирают снег во дворе дома {n % 97}, когда уберёте?",
                    created_at=now,
                    stored_at=now,
                )
                s.add(comment)
                await s.flush()
                c = Complaint(
                    comment_pk=comment.id,
                    owner_id=comment.owner_id,
                    post_id=1,
                    comment_id=n + 1,
                    author_id=comment.from_id,
                    agency_id=f"a{agency}",
                    route_rule="page",
                    topic="snow",
                    score=0.9,
                    created_at=now,
                    due_at=now + timedelta(hours=8),
                )
                s.add(c)
                await s.flush()
                enqueue(
                    s,
                    key=f"alert:{c.id}:{100_000 + agency}",
                    chat_id=100_000 + agency,
                    # As ingest writes it: Telegram; the outbox moves it to the messenger
                    # that reaches the person (issue 13).
                    kind="alert",
                    complaint_id=c.id,
                    now=now,
                )
                created_at[c.id] = now
            sender.wake.set()

    async def done() -> bool:
        async with sessions() as s:
            left = await s.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
            )
        return left == 0

    real0 = time.monotonic()
    clock.resume()
    sending = asyncio.create_task(sender.run(stop))
    await feed()
    print(f"storm fed at virtual +{clock.monotonic():.0f} s", file=sys.stderr)
    limit = window_s + 1800
    while not await done() and clock.monotonic() < limit:
        await asyncio.sleep(0.2)
    stop.set()
    await sending
    clock.pause()
    real_s = time.monotonic() - real0

    # ---- measure -------------------------------------------------------------------------
    told: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    async with sessions() as s:
        rows = (await s.execute(select(Notification))).scalars().all()
        cards = (await s.execute(select(AlertMessage))).scalars().all()
    for r in rows:
        if r.kind == "alert" and r.status == OutboxStatus.SENT and r.sent_at is not None:
            told[(r.complaint_id or 0, r.chat_id)].append(r.sent_at)
        if r.kind == "summary" and r.status == OutboxStatus.SENT and r.sent_at is not None:
            for cid in r.payload.get("complaints", []):
                told[(int(cid), r.chat_id)].append(r.sent_at)
    expected = {(r.complaint_id or 0, r.chat_id) for r in rows if r.kind == "alert"}
    lost = sum(1 for pair in expected if not told.get(pair))
    duplicates = sum(len(v) - 1 for v in told.values() if len(v) > 1)
    latencies = [
        (min(told[pair]) - created_at[pair[0]]).total_seconds()
        for pair in expected
        if told.get(pair)
    ]
    last_told = max((min(v) for v in told.values()), default=START)
    # What reached each chat, from the fakes: (messenger, chat, virtual time, is a new message).
    visible = [
        ("telegram", c.chat_id or 0, c.at, c.method == "sendMessage")
        for c in fake.calls
        if c.status == 200 and c.method in ("sendMessage", "editMessageText")
    ] + [
        ("max", c.user_id or 0, c.at, c.method == "POST /messages")
        for c in fake_max.calls
        if c.status == 200 and c.method in ("POST /messages", "PUT /messages")
    ]
    visible.sort(key=lambda v: v[2])
    per_chat: dict[tuple[str, int], deque[float]] = defaultdict(deque)
    max_per_minute = 0
    for messenger, chat, at, _ in visible:
        at_s = (at - START).total_seconds()
        q = per_chat[messenger, chat]
        q.append(at_s)
        while q and q[0] <= at_s - 60:
            q.popleft()
        max_per_minute = max(max_per_minute, len(q))
    sends = sum(1 for v in visible if v[3])
    summaries = sum(1 for r in rows if r.kind == "summary" and r.status == OutboxStatus.SENT)
    recorded = sum(
        1
        for r in rows
        if r.status == OutboxStatus.SENT and r.kind in ("alert", "summary", "update", "text")
    )
    by_channel: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.status == OutboxStatus.SENT and r.kind in ("alert", "summary"):
            by_channel[r.channel] += 1
    http_429 = fake.http_429_count() + sum(1 for c in fake_max.calls if c.status == 429)
    # People on both messengers hear only on the one they prefer (both reach them here).
    off_preferred = 0
    for i in range(n_officials):
        on_tg, on_max, preferred = messengers_of(i, channel)
        if on_tg and on_max:
            other = ("telegram", 100_000 + i) if preferred == "max" else ("max", MAX_USER_BASE + i)
            off_preferred += sum(1 for v in visible if (v[0], v[1]) == other)
    latencies.sort()
    await bot.session.close()
    if max_client is not None:
        await max_client.close()
    await engine.dispose()
    await fake.stop()
    await fake_max.stop()
    return {
        "channel": channel,
        "complaints": n_complaints,
        "officials": n_officials,
        "window_s": window_s,
        "busiest_official_complaints": max(per_official.values()),
        "officials_with_100_plus": sum(1 for v in per_official.values() if v >= 100),
        "messages_sent": sends,
        "summaries": summaries,
        "single_alerts": sum(1 for r in rows if r.kind == "alert" and r.status == "sent"),
        "cards_recorded": len(cards),
        "messages_by_channel": dict(sorted(by_channel.items())),
        "fake_sends_match": sends == recorded,
        "lost": lost,
        "duplicates": duplicates,
        "off_preferred_messages": off_preferred,
        "http_429": http_429,
        "max_msgs_per_chat_minute": max_per_minute,
        "all_informed_s": round((last_told - START).total_seconds(), 1),
        "all_informed_after_storm_s": round((last_told - START).total_seconds() - window_s, 1),
        "max_latency_s": round(latencies[-1], 1) if latencies else None,
        "p50_latency_s": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "speed": speed,
        "real_s": round(real_s, 1),
        "floors_met": bool(
            http_429 == 0
            and sends == recorded
            and off_preferred == 0
            and lost == 0
            and duplicates == 0
            and max_per_minute <= 20
            and latencies
            and latencies[-1] <= 300
        ),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--complaints", type=int, default=2000)
    ap.add_argument("--officials", type=int, default=300)
    ap.add_argument("--window-s", type=float, default=600.0)
    ap.add_argument("--speed", type=float, default=20.0)
    ap.add_argument("--channel", choices=CHANNELS, default="telegram")
    args = ap.parse_args()
    result = asyncio.run(
        run(args.complaints, args.officials, args.window_s, args.speed, args.channel)
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["floors_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
