"""``otklik check`` for MAX against the fake: what an administrator sees before the first run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.max.check import check_max
from bot.max.webhook import subscribe
from tests.max_support import max_rig, max_settings


async def test_a_good_token_names_the_bot(tmp_path: Path) -> None:
    async with max_rig(tmp_path) as rig:
        bot_line, updates = await check_max(max_settings(rig.fake))
    assert bot_line.ok and bot_line.detail == f"@{rig.fake.bot_username} (id {rig.fake.bot_id})"
    assert updates.ok and updates.warn and "development" in updates.detail


async def test_a_wrong_token_is_refused_by_name(tmp_path: Path) -> None:
    async with max_rig(tmp_path) as rig:
        (line,) = await check_max(max_settings(rig.fake, token="not-the-token"))
    assert not line.ok and "401" in line.detail and "not-the-token" not in str(line)


async def test_polling_while_a_webhook_is_subscribed_fails(tmp_path: Path) -> None:
    async with max_rig(tmp_path) as rig:
        with pytest.warns(UserWarning, match="HTTPS"):
            await subscribe(rig.client.bot, "http://127.0.0.1:9/max", "s3cret-Otklik")
        _, updates = await check_max(max_settings(rig.fake))
    assert not updates.ok and "polls get nothing" in updates.detail


async def test_webhook_mode_reports_the_subscription(tmp_path: Path) -> None:
    url = "https://otklik.example.ru/max"
    async with max_rig(tmp_path) as rig:
        settings = max_settings(
            rig.fake, mode="webhook", webhook_url=url, webhook_secret="s3cret-Otklik"
        )
        _, before = await check_max(settings)
        await subscribe(rig.client.bot, url, "s3cret-Otklik")
        _, after = await check_max(settings)
    assert before.ok and before.warn and "not subscribed" in before.detail
    assert after.ok and not after.warn and url in after.detail


async def test_an_unreadable_ca_bundle_and_an_unset_token(tmp_path: Path) -> None:
    async with max_rig(tmp_path) as rig:
        bad = tmp_path / "ca.pem"
        bad.write_text("not a certificate")
        (line,) = await check_max(max_settings(rig.fake, ca_bundle=bad))
        assert not line.ok and "OTKLIK__MAX__CA_BUNDLE" in line.fix
        (off,) = await check_max(max_settings(rig.fake, token=None))
    assert off.ok and "off" in off.detail
