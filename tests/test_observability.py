"""Observability (issue 7): /metrics and /healthz over real HTTP, metrics from the real outbox,
ingest and SLA watch, collector hooks, and logs that never carry tokens or personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from bot.logging_setup import redact, setup_logging
from bot.metrics import Health, HealthThresholds, Metrics
from bot.scheduler import JobDeps
from bot.sla_watch import check_sla
from collectors.events import Batch, CommentEvent
from matcher.classifier import classify
from matcher.quality import rate_answer
from storage.db import make_engine, make_session_factory
from storage.ingest import Ingestor
from storage.models import Comment
from tests.ops_support import ObservedHarness, get, sample, serving

BOT_TOKEN = "7312345678:AAHk3xQ9vLmN0pQrStUvWxYz_1234567890ab"
VK_TOKEN = "vk1.a.Zx9Yy8Ww7Vv6Uu5Tt4Ss3Rr2Qq1Pp0Oo-_abcdefghijkl"
HEX_TOKEN = "a" * 10 + "0123456789abcdef" * 4 + "b" * 11


async def test_metrics_endpoint_shows_what_the_outbox_delivered(db_url: str) -> None:
    async with ObservedHarness(db_url) as h:
        for _ in range(2):
            await h.complaint()
        async with serving(h.metrics, h.health()) as base:
            await h.sender.drain_once()  # one chat: the first alert goes, the second waits
            _, during, _ = await get(base + "/metrics")
            await h.flush()
            status, after, _ = await get(base + "/metrics")
    assert status == 200
    assert sample(during, "otklik_outbox_depth") == 1  # one alert still waits for the chat
    assert sample(after, "otklik_outbox_depth") == 0
    assert sample(after, "otklik_alerts_sent_total") == 2
    assert sample(after, "otklik_telegram_sent_total", kind="message") == 2
    assert sample(after, "otklik_alert_delivery_seconds_count") == 2
    assert sample(after, "otklik_health_status", check="db") == 0
    assert "# TYPE otklik_telegram_failures_total counter" in after


async def test_healthz_reports_each_check_and_a_stale_collector(db_url: str) -> None:
    async with ObservedHarness(db_url) as h:
        h.metrics.collector_enabled = True
        async with serving(h.metrics, h.health(collector_stale_s=600)) as base:
            status, _, body = await get(base + "/healthz")
            assert status == 200 and body["status"] == "ok"
            assert set(body["checks"]) == {"db", "telegram", "collector", "outbox"}
            h.metrics.collector_pass()
            h.clock.advance(601)
            status, _, body = await get(base + "/healthz")
            assert status == 200 and body["status"] == "degraded"
            assert body["checks"]["collector"] == {"status": "degraded", "last_pass_age_s": 601.0}
            h.metrics.collector_pass()
            _, _, body = await get(base + "/healthz")
            assert body["status"] == "ok"
            assert body["checks"]["collector"]["last_pass_age_s"] == 0.0


async def test_healthz_is_degraded_while_the_database_is_away_then_503() -> None:
    from config.clock import ManualClock
    from tests.bot_harness import T0

    # A PostgreSQL server that is down (nothing listens on port 1).  Not a SQLite file in a
    # missing directory: aiosqlite's worker thread of the failed connection would outlive
    # the test's event loop.
    engine = make_engine("postgresql+asyncpg://otklik@127.0.0.1:1/otklik")
    clock = ManualClock(T0)
    metrics = Metrics(clock)
    try:
        health = Health(metrics, engine, HealthThresholds(db_unhealthy_s=120))
        async with serving(metrics, health) as base:
            brief, _, first = await get(base + "/healthz")
            _, exposition, _ = await get(base + "/metrics")
            clock.advance(121)
            long, _, later = await get(base + "/healthz")
    finally:
        await engine.dispose()
    # A brief outage: every loop waits it out, so the app is degraded, not down.
    assert brief == 200
    assert first["status"] == "degraded" and first["checks"]["db"]["status"] == "degraded"
    assert first["checks"]["db"]["error"]  # names the error class, never the URL's password
    assert sample(exposition, "otklik_db_up") == 0
    # Away for longer than the threshold: a person must look.
    assert long == 503
    assert later["status"] == "unhealthy" and later["checks"]["db"]["down_s"] == 121.0


async def test_ingest_metrics_count_only_committed_batches(db_url: str) -> None:
    async with ObservedHarness(db_url) as h:
        ingestor = Ingestor(
            h.registry, h.clock, classify, rate_answer, on_committed=h.metrics.ingested
        )

        def batch() -> Batch:
            at = h.clock.now()
            pothole = "Яма на дороге у дома 5, когда заделаете?"
            thanks = "Спасибо большое за работу!"
            return Batch(
                comments=[
                    CommentEvent(-1001, 10, 501, 7001, pothole, at),
                    CommentEvent(-1001, 10, 502, 7002, thanks, at),
                ]
            )

        await h.complaint(alert=False)  # the post exists
        with pytest.raises(RuntimeError):
            async with h.sessions() as s, s.begin():
                await ingestor.ingest(s, batch())
                raise RuntimeError("crash before commit")
        assert h.metrics.complaints._value.get() == 0
        async with h.sessions() as s, s.begin():
            await ingestor.ingest(s, batch())
        async with serving(h.metrics, h.health()) as base:
            _, text, _ = await get(base + "/metrics")
    assert sample(text, "otklik_complaints_created_total") == 1
    assert sample(text, "otklik_comments_stored_total") == 2
    assert sample(text, "otklik_matcher_decisions_total", needs_answer="yes", topic="roads") == 1
    assert (
        sum(
            sample(text, "otklik_matcher_decisions_total", needs_answer="no", topic=t)
            for t in ("other", "roads", "improvement")
        )
        == 1
    )


async def test_sla_watch_counts_nudges_and_breaches_once(db_url: str) -> None:
    async with ObservedHarness(db_url) as h:
        await h.complaint(due_in_h=8)
        deps = JobDeps(h.sessions, h.clock, h.registry, metrics=h.metrics)
        h.clock.advance(timedelta(hours=9).total_seconds())  # past the deadline, same day
        first = await check_sla(deps, now=h.clock.now())
        again = await check_sla(deps, now=h.clock.now())
        async with serving(h.metrics, h.health()) as base:
            _, text, _ = await get(base + "/metrics")
    assert first.escalated and not again.escalated
    assert sample(text, "otklik_sla_breaches_total", clock="first_response") == 1
    assert sample(text, "otklik_sla_nudges_total") == len(first.nudged)


async def test_collector_hooks_show_per_agency_lag_calls_and_quota(db_url: str) -> None:
    async with ObservedHarness(db_url) as h:
        m = h.metrics
        m.vk_call("wall.getById")
        m.vk_call("wall.getById")
        m.vk_call("wall.get", 29)
        m.quota_left("3f2a9c1b0e7d", "wall.get", 4990)
        m.page_checked(1001, 30.0)
        m.page_checked(1002, 120.0)
        m.page_checked(1002, 45.0)  # the page was checked again: its lag dropped
        m.page_checked(4242, 10.0)  # not in the registry
        m.collector_enabled = True
        m.collector_pass()
        async with serving(m, h.health()) as base:
            _, text, _ = await get(base + "/metrics")
            _, _, health = await get(base + "/healthz")
    assert sample(text, "otklik_vk_api_calls_total", method="wall.getById", code="0") == 2
    assert sample(text, "otklik_vk_api_errors_total", method="wall.get", code="29") == 1
    assert sample(text, "otklik_vk_quota_left", token="3f2a9c1b0e7d", method="wall.get") == 4990
    assert sample(text, "otklik_collector_lag_seconds", agency="city") == 30
    assert sample(text, "otklik_collector_lag_seconds", agency="roads") == 45
    assert sample(text, "otklik_collector_lag_seconds", agency="unknown") == 10
    assert sample(text, "otklik_collector_passes_total", result="ok") == 1
    assert health["checks"]["collector"]["status"] == "ok"


def test_two_metrics_objects_do_not_share_counts() -> None:
    from config.clock import ManualClock
    from tests.bot_harness import T0

    a, b = Metrics(ManualClock(T0)), Metrics(ManualClock(T0))
    a.vk_call("wall.get")
    assert sample(a.render().decode(), "otklik_vk_api_calls_total", method="wall.get") == 1
    assert sample(b.render().decode(), "otklik_vk_api_calls_total", method="wall.get") == 0


# ---- logs ----------------------------------------------------------------------------------


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    for hnd in list(root.handlers):
        root.removeHandler(hnd)
    for hnd in saved:
        root.addHandler(hnd)
    root.setLevel(level)


def test_json_logs_mask_tokens_everywhere(log_stream: io.StringIO) -> None:
    setup_logging("INFO", "json", log_stream)
    log = logging.getLogger("otklik.test")
    log.info("bot https://api.telegram.org/bot%s/sendMessage", BOT_TOKEN)
    log.warning(
        "vk GET https://api.vk.ru/method/wall.get?owner_id=-1&access_token=%s&v=5.199",
        "s3cr3tServiceKey0123",
    )
    log.info("legacy %s and %s", HEX_TOKEN, VK_TOKEN, extra={"group_id": 1001})
    try:
        raise RuntimeError(f"request failed: token={VK_TOKEN}")
    except RuntimeError:
        log.exception("pass failed")
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert len(lines) == 4
    out = log_stream.getvalue()
    for secret in (BOT_TOKEN, VK_TOKEN, HEX_TOKEN, "s3cr3tServiceKey0123"):
        assert secret not in out
    assert lines[0]["msg"] == "bot https://api.telegram.org/bot[bot-token]/sendMessage"
    assert "access_token=[redacted]&v=5.199" in lines[1]["msg"]
    assert lines[2]["group_id"] == 1001 and lines[2]["level"] == "INFO"
    assert "RuntimeError" in lines[3]["exc"] and "[vk-token]" in lines[3]["exc"]


def test_text_logs_mask_tokens(log_stream: io.StringIO) -> None:
    setup_logging("DEBUG", "text", log_stream)
    logging.getLogger("otklik.test").debug("token %s", BOT_TOKEN)
    assert BOT_TOKEN not in log_stream.getvalue() and "[bot-token]" in log_stream.getvalue()
    assert redact("chat 501 blocked the bot") == "chat 501 blocked the bot"  # ids stay


async def test_database_errors_do_not_carry_comment_texts_or_names(tmp_path: Path) -> None:
    from storage.migrate import upgrade
    from tests.bot_harness import T0

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pd.db'}")
    await upgrade(engine)
    sessions = make_session_factory(engine)

    def row() -> Comment:
        return Comment(
            owner_id=-1, post_id=1, comment_id=1, from_id=5, author_name="Мария Иванова",
            text="Секретная жалоба про соседа", created_at=T0, stored_at=T0,
        )  # fmt: skip

    try:
        async with sessions() as s, s.begin():
            s.add(row())
        with pytest.raises(IntegrityError) as caught:
            async with sessions() as s, s.begin():
                s.add(row())
    finally:
        await engine.dispose()
    message = str(caught.value)
    assert "UNIQUE constraint failed" in message
    assert "Секретная" not in message and "Мария" not in message
