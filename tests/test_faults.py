"""Fault injection (issue 7): Telegram 429/5xx/timeouts/blocked users against the real
OutboxSender and aiogram, and a SQLite database locked by another writer — shorter than the
busy timeout (everyone waits and succeeds) and longer (the pass fails, says so in metrics
and /healthz, and the next pass succeeds).  Nothing is lost and nothing is sent twice."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.core import texts
from collectors.events import Batch, CommentEvent
from matcher.classifier import classify
from matcher.quality import rate_answer
from sandbox.fake_telegram import TelegramLimits
from storage.ingest import Ingestor
from storage.models import Complaint, Person
from tests.ops_support import (
    ObservedHarness,
    get,
    release_after,
    sample,
    serving,
    sqlite_path,
    write_lock,
)
from tests.waiting import until

# ---- Telegram ------------------------------------------------------------------------------


async def test_telegram_5xx_and_timeouts_degrade_then_recover_without_loss(db_url: str) -> None:
    async with ObservedHarness(db_url) as h:
        h.fake.inject_fault("http500", method="sendMessage", count=2)
        h.fake.inject_fault("http502", method="sendMessage")
        h.fake.inject_fault("timeout", method="sendMessage", delay_s=5)
        await h.complaint()
        health = h.health()
        await h.sender.drain_once()
        status, checks = await health.report()
        assert status == "degraded" and checks["telegram"].status == "degraded"
        assert "server_error" in checks["telegram"].detail["error"]
        await h.flush()
        status, checks = await health.report()
        text = h.metrics.render().decode()
    assert status == "ok"
    assert len([c for c in h.fake.sent(501) if c.method == "sendMessage"]) == 1
    assert await h.row_statuses() == ["sent"]
    assert sample(text, "otklik_telegram_failures_total", reason="server_error") == 3
    assert sample(text, "otklik_telegram_failures_total", reason="network") == 1
    assert sample(text, "otklik_alerts_sent_total") == 1


async def test_429_is_counted_and_honoured(db_url: str) -> None:
    async with ObservedHarness(db_url, limits=TelegramLimits(per_chat_per_s=1 / 3)) as h:
        for _ in range(2):
            await h.complaint()
        await h.flush()
        text = h.metrics.render().decode()
    refused = h.fake.http_429_count()
    assert refused >= 1
    assert sample(text, "otklik_telegram_429_total") == refused
    assert sample(text, "otklik_telegram_failures_total", reason="rate_limited") == refused
    assert len([c for c in h.fake.sent(501) if c.method == "sendMessage"]) == 2
    assert await h.row_statuses() == ["sent", "sent"]


async def test_a_blocked_user_is_counted_but_telegram_stays_healthy(db_url: str) -> None:
    async with ObservedHarness(db_url) as h:
        h.fake.block(501)
        await h.complaint()
        await h.flush()
        status, _ = await h.health().report()
        text = h.metrics.render().decode()
        async with h.sessions() as s:
            person = await s.get(Person, 501)
    assert person is not None and person.unreachable
    assert status == "ok"  # the person blocked us; Telegram itself is fine
    assert sample(text, "otklik_telegram_failures_total", reason="blocked") == 1
    assert "заблокировал бота" in h.cards(601)[0]["text"]  # moderators were told


# ---- SQLite locked by another writer -------------------------------------------------------


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'locked.db'}"


def new_comment(h: ObservedHarness, cid: int) -> Batch:
    text = "Опять не вывезли мусор с контейнерной площадки, когда уберут?"
    return Batch(comments=[CommentEvent(-1001, 10, cid, 7100 + cid, text, h.clock.now())])


async def complaints(h: ObservedHarness) -> int:
    async with h.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Complaint)) or 0)


async def test_a_short_lock_is_waited_out_by_sender_handler_and_ingest(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    async with ObservedHarness(url, busy_timeout_s=5.0) as h:
        cid = await h.complaint()
        ingestor = Ingestor(
            h.registry, h.clock, classify, rate_answer, on_committed=h.metrics.ingested
        )
        with write_lock(sqlite_path(url)) as release:
            release_after(release, 0.4)
            started = time.perf_counter()
            await h.flush()
            assert time.perf_counter() - started >= 0.3  # it really waited for the lock
        assert len(h.cards(501)) == 1
        with write_lock(sqlite_path(url)) as release:
            release_after(release, 0.4)
            assert "закрыта" in await h.reply(601, f"/resolve {cid}")
        assert (await h.get(cid)).status == "resolved"
        with write_lock(sqlite_path(url)) as release:
            release_after(release, 0.4)
            async with h.sessions() as s, s.begin():
                await ingestor.ingest(s, new_comment(h, 900))
        assert await complaints(h) == 2
        assert sample(h.metrics.render().decode(), "otklik_part_errors_total", part="outbox") == 0


async def test_sender_past_the_busy_timeout_fails_says_so_and_recovers(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    async with ObservedHarness(url, busy_timeout_s=0.1) as h:
        await h.complaint()
        health = h.health()
        stop = asyncio.Event()
        async with serving(h.metrics, health) as base:
            with write_lock(sqlite_path(url)) as release:
                sender = asyncio.create_task(h.sender.run(stop))

                def failed() -> bool:
                    errors = sample(h.metrics.render().decode(), "otklik_part_errors_total")
                    return errors >= 1

                await until(failed)
                code, _, body = await get(base + "/healthz")
                assert code == 200 and body["status"] == "degraded"
                assert body["checks"]["db"]["status"] == "degraded"
                assert "database is locked" in body["checks"]["db"]["errors"]["outbox"]
                assert body["checks"]["outbox"]["status"] == "degraded"
                assert h.fake.sent(501) == []
                release.set()
            await h.fake.wait_for(lambda c: c.method == "sendMessage" and c.status == 200)
            await until(lambda: h.metrics.parts["outbox"].failing is False)
            _, _, body = await get(base + "/healthz")
            stop.set()
            h.sender.wake.set()
            await sender
    assert body["status"] == "ok"
    assert len([c for c in h.fake.sent(501) if c.method == "sendMessage"]) == 1
    assert await h.row_statuses() == ["sent"]


async def test_ingest_past_the_busy_timeout_fails_and_the_retry_stores_once(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path)
    async with ObservedHarness(url, busy_timeout_s=0.1) as h:
        await h.complaint(alert=False)
        ingestor = Ingestor(
            h.registry, h.clock, classify, rate_answer, on_committed=h.metrics.ingested
        )
        batch = new_comment(h, 901)
        with write_lock(sqlite_path(url)), pytest.raises(OperationalError, match="locked"):
            async with h.sessions() as s, s.begin():
                await ingestor.ingest(s, batch)
        # The collector keeps the batch unconfirmed and offers it again on its next pass.
        async with h.sessions() as s, s.begin():
            await ingestor.ingest(s, batch)
        async with h.sessions() as s, s.begin():
            await ingestor.ingest(s, batch)  # a duplicate delivery changes nothing
        assert await complaints(h) == 2
        assert sample(h.metrics.render().decode(), "otklik_complaints_created_total") == 1


async def test_a_command_past_the_busy_timeout_is_refused_politely_then_works(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path)
    async with ObservedHarness(url, busy_timeout_s=0.1) as h:
        cid = await h.complaint(alert=False)
        with write_lock(sqlite_path(url)):
            calls = await h.say(601, f"/resolve {cid}")
        replies = [c.text or "" for c in calls if c.method == "sendMessage"]
        assert replies == [texts.DB_BUSY]
        assert (await h.get(cid)).status == "open"
        assert sample(h.metrics.render().decode(), "otklik_part_errors_total", part="bot") == 1
        assert "закрыта" in await h.reply(601, f"/resolve {cid}")
        assert (await h.get(cid)).status == "resolved"


async def test_a_lock_between_send_and_bookkeeping_does_not_lose_the_outcome(
    tmp_path: Path,
) -> None:
    """The message is out, then another writer holds the database past the busy timeout:
    the outcome is kept in memory and recorded once the lock goes (else the row would stay
    'sending' and, after a restart, be failed although the person got it)."""
    url = sqlite_url(tmp_path)
    async with ObservedHarness(url, busy_timeout_s=0.1) as h:
        await h.complaint()
        settle = h.sender._settle
        with contextlib.ExitStack() as stack:
            locked: list[bool] = []

            async def lock_then_settle(*args: Any) -> Any:
                if not locked:  # the first outcome only
                    locked.append(True)
                    release_after(stack.enter_context(write_lock(sqlite_path(url))), 0.5)
                return await settle(*args)

            h.sender._settle = lock_then_settle  # type: ignore[method-assign,assignment]
            await h.flush()
        assert await h.row_statuses() == ["sent"]
        assert len([c for c in h.fake.sent(501) if c.method == "sendMessage"]) == 1
        assert sample(h.metrics.render().decode(), "otklik_part_errors_total", part="outbox") >= 1
        assert h.metrics.alerts_sent._value.get() == 1
