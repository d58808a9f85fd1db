"""Issue 11, defect 14 (the collector's part): a token taken out, paused or back in service,
and VKScript projections refused, each leave one INFO line naming the token's hint and the
error code, never the token or VK's message.  The real vk_api against the fake VK."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from collectors.vk_client import TokenUnusable, VkClient
from config.clock import ManualClock
from sandbox.fake_vk import FakeVK
from tests import test_collector
from tests.test_collector import GID, OWNER, T0

TOKEN = "vk1.a.secret-service-token-7f3a"


clock = test_collector.clock  # a ManualClock at T0


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeVK]:
    f = FakeVK(clock)
    await f.start()
    f.add_token(TOKEN, "service")
    f.add_group(GID, "Администрация", "adm")
    f.add_post(GID, post_id=10, at=T0 - timedelta(hours=1), text="Пост")
    yield f
    await f.stop()


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "collectors.vk_client" and r.levelno == logging.INFO
    ]


async def test_token_out_paused_back_and_projection_fallback_are_logged(
    fake: FakeVK,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="collectors.vk_client")
    vk = VkClient(TOKEN, clock=clock, api_base=fake.base_url, timeout=5, human_pause_s=600)

    from sandbox.fake_vk import vkscript

    with monkeypatch.context() as m:
        m.setattr(vkscript, "_parse_script", lambda code: None)  # a VK without ``@.``
        await vk.execute(
            [("wall.getById", {"posts": f"{OWNER}_10"})], [("owner_id", "id", "comments")]
        )
    assert lines(caplog) == [
        "VKScript projection refused on token …7f3a: error 12, whole posts from now on"
    ]

    caplog.clear()
    fake.set_captcha(TOKEN)
    with pytest.raises(TokenUnusable):
        await vk.call("wall.getById", {"posts": f"{OWNER}_10"})
    fake.set_captcha(TOKEN, False)
    assert not vk.usable()
    clock.advance(601)
    assert vk.usable() and vk.usable()  # told once
    assert lines(caplog) == [
        "VK token …7f3a paused for 600 s: error 14",
        "VK token …7f3a restored: its pause is over",
    ]

    caplog.clear()
    fake.revoke_token(TOKEN)
    with pytest.raises(TokenUnusable):
        await vk.call("wall.getById", {"posts": f"{OWNER}_10"})
    assert lines(caplog) == ["VK token …7f3a taken out: error 5"]
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
