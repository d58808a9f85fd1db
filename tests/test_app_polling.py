"""Issue 11, defect 8: the bot must not go deaf when Telegram is unreachable at start.

Polling used to stop 2 ms after it started when ``getMe`` failed (a network late after boot,
a proxy down) and never came back, while alerts still went out and ``/healthz`` said "ok";
an HTML error page from a proxy in front of the Bot API crashed start-up.  The real app,
the real aiogram, the fake Telegram (and a proxy answering ``502 text/html``) show that
polling retries with backoff for as long as the process lives, that ``/healthz`` says
polling is down meanwhile, and that the bot answers once Telegram is back.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot import polling
from bot.app import OtklikApp
from bot.metrics import Health
from sandbox.runner import Sandbox
from tests.app_support import COMPLAINT, FlakyProxy, app_running, app_started, texts_to, until
from tests.ops_support import get, sample, serving

pytestmark = pytest.mark.e2e

SPEED = 10.0
MODERATOR = 601
OFFICIAL = 501


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same doubling backoff, from 50 ms to 0.4 s instead of 1 s to 60 s."""
    monkeypatch.setattr(polling, "POLL_BACKOFF_INITIAL_S", 0.05)
    monkeypatch.setattr(polling, "POLL_BACKOFF_MAX_S", 0.4)


async def healthz(app: OtklikApp) -> dict[str, Any]:
    """``/healthz`` over HTTP for the app's own metrics (the database check is not at
    issue here)."""
    async with serving(app.metrics, Health(app.metrics, None)) as base:
        status, _, body = await get(base + "/healthz")
    assert status == 200
    assert isinstance(body, dict)
    return body


async def polling_down(app: OtklikApp, what: str) -> dict[str, Any]:
    """Wait until ``/healthz`` says polling is down; that answer."""
    down: dict[str, Any] = {}

    async def seen() -> bool:
        nonlocal down
        body = await healthz(app)
        down = body if body["checks"]["telegram"].get("polling") == "down" else {}
        return bool(down)

    await until(seen, what)
    return down


async def test_polling_comes_back_after_telegram_was_away_at_start_and_later(
    make_scenario: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    scenario = make_scenario([], end="2026-11-24T08:00:00+03:00")
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED) as sb:
        # Telegram is away when the app starts: getMe fails until it is back.
        sb.tg.inject_fault("http502", method="getMe", count=10**6)
        async with app_running(sb, scenario.end) as runner:
            app = await app_started(sb, runner)
            down = await polling_down(app, "/healthz saying polling is down")
            assert down["status"] == "degraded"
            assert down["checks"]["telegram"]["status"] == "degraded"
            assert "Bad Gateway" in down["checks"]["telegram"]["polling_error"]
            assert sample(app.metrics.render().decode(), "otklik_telegram_polling_up") == 0
            await until(lambda: getme_failures(sb) >= 3, "several tries")
            assert not runner.done()

            sb.tg.clear_faults()  # Telegram is back
            sb.tg.push_message(MODERATOR, "/help")
            await until(lambda: len(texts_to(sb, MODERATOR)) == 1, "the answer to /help")
            assert "/resolve" in texts_to(sb, MODERATOR)[0]
            body = await healthz(app)
            assert body["checks"]["telegram"] == {"status": "ok", "polling": "up"}
            assert sb.tg.menu_for(MODERATOR), "the menus are set once Telegram answers"

            # Later it goes away again, mid-run: getUpdates fails, and polling carries on.
            sb.tg.inject_fault("http500", method="getUpdates", count=10**6)
            await polling_down(app, "/healthz saying polling is down again")
            sb.tg.clear_faults()
            sb.tg.push_message(MODERATOR, "/help")
            await until(lambda: len(texts_to(sb, MODERATOR)) == 2, "the second answer")
            assert (await healthz(app))["checks"]["telegram"]["polling"] == "up"
    logged = caplog.text
    assert "Telegram polling failed (TelegramServerError: Bad Gateway); attempt 1" in logged
    assert "Telegram polling started for bot id 123456" in logged
    assert "Telegram polling is back after" in logged


async def test_an_html_error_page_from_a_proxy_is_an_outage_not_a_crash(
    make_scenario: Any, tmp_path: Path
) -> None:
    """A proxy in front of the Bot API answers ``502`` with an nginx HTML page: start-up goes
    on, polling is down and retried, an alert waits, and all works once the proxy passes
    requests through again."""
    scenario = make_scenario(
        [{"at": "2026-11-23T08:00:20+03:00", "comment": COMPLAINT}],
        end="2026-11-24T08:00:00+03:00",
    )
    async with (
        Sandbox(scenario, workdir=tmp_path, speed=SPEED) as sb,
        FlakyProxy(sb.tg.base_url) as proxy,
    ):
        sb.telegram_api_base = proxy.base_url
        async with app_running(sb, scenario.end) as runner:
            app = await app_started(sb, runner)
            down = await polling_down(app, "/healthz saying polling is down")
            assert "not Bot API JSON" in down["checks"]["telegram"]["polling_error"]
            # The alert's send met the HTML page too: kept for a retry, not lost.
            await until(lambda: app.metrics.telegram.failing, "a failed alert send")
            assert "network" in app.metrics.telegram_last_error
            assert not runner.done()

            proxy.broken = False
            await until(lambda: len(sb.tg.sent(OFFICIAL)) == 1, "the alert, once through")
            assert "Яма у дома 5" in (sb.tg.sent(OFFICIAL)[0].text or "")
            sb.tg.push_message(MODERATOR, "/help")
            await until(lambda: len(texts_to(sb, MODERATOR)) == 1, "the answer to /help")
            assert (await healthz(app))["checks"]["telegram"]["polling"] == "up"
    assert proxy.refused >= 3


def getme_failures(sb: Sandbox) -> int:
    return sum(1 for c in sb.tg.calls if c.method == "getMe" and c.status == 502)
