"""Operating MAX beside Telegram (issue 13): ``otklik check`` has MAX's lines, the app's
metrics count MAX's sends as ``otklik_max_*``, and ``/healthz`` says when MAX stops
delivering updates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.check import run_checks
from bot.metrics import Health, Metrics
from config.clock import ManualClock
from config.settings import DatabaseSettings, Settings
from sandbox.fake_max import FakeMax
from sandbox.runner import Sandbox
from tests.app_support import app_running, app_started, until
from tests.conftest import BASE_SCENARIO
from tests.max_support import START, max_settings

VERA = 803


async def test_otklik_check_names_the_max_bot_and_how_updates_arrive(
    tmp_path: Path, clean_env: Path
) -> None:
    fake = FakeMax(ManualClock(START))
    await fake.start()
    try:
        (tmp_path / "registry.yaml").write_text("agencies: []\n", encoding="utf-8")
        settings = Settings(
            _env_file=None,
            max=max_settings(fake),
            db=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'o.db'}"),
            registry_path=tmp_path / "registry.yaml",
        )
        items = {it.title: it for it in await run_checks(settings, timeout_s=5)}
        bare = Settings(_env_file=None, registry_path=tmp_path / "registry.yaml")
        off = {it.title: it for it in await run_checks(bare, timeout_s=5)}
    finally:
        await fake.stop()
    assert items["MAX bot"].ok and items["MAX bot"].detail.startswith("@otklik_test_bot")
    assert items["MAX updates"].ok and "long polling" in items["MAX updates"].detail
    assert off["MAX bot"].ok and off["MAX bot"].detail.startswith("off")


def _sample(metrics: Any, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels or None)
    return float(value or 0.0)


async def test_max_sends_are_counted_and_health_degrades_while_polls_fail(
    make_scenario: Any, tmp_path: Path
) -> None:
    vera = {"max_user_id": VERA, "name": "Вера Иванова", "role": "official", "agencies": ["city"]}
    scenario = make_scenario(
        [], people=[*BASE_SCENARIO["people"], vera], end="2026-11-23T18:00:00+03:00"
    )
    sb = Sandbox(scenario, workdir=tmp_path, speed=60.0)
    async with sb, app_running(sb, scenario.end) as runner:
        app = await app_started(sb, runner)
        health = Health(app.metrics, None)
        seq = sb.max.push_message(VERA, "/help")
        await sb.max.wait_handled(seq, timeout=60)
        await until(
            lambda: _sample(app.metrics, "otklik_max_sent_total", kind="message") >= 1,
            "the reply counted",
        )
        status, checks = await health.report()
        assert checks["max"].status == "ok" and checks["max"].detail["receiving"] == "up"

        sb.max.inject_fault("http503", method="GET /updates", count=10_000)
        await until(lambda: app.metrics.max_state == "down", "a failed poll", timeout=60)
        status, checks = await health.report()
        assert status == "degraded" and checks["max"].status == "degraded"
        assert checks["max"].detail["receiving"] == "down"
        assert _sample(app.metrics, "otklik_max_polling_up") == 0.0

        sb.max.clear_faults()
        await until(lambda: app.metrics.max_state == "up", "polls answered again", 60)
        text = app.metrics.render().decode()
    assert 'otklik_max_sent_total{kind="message"}' in text
    assert "otklik_max_failures_total" in text and "otklik_max_429_total" in text


async def test_healthz_has_no_max_check_without_a_max_token() -> None:
    metrics = Metrics(ManualClock(START))
    _, checks = await Health(metrics, None).report()
    assert "max" not in checks  # Telegram-only installations see exactly what they saw
