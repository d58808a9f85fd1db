"""Issue 15: `otklik check` says which pages can be answered from the messenger: a page
needs a community token that VK accepts and that carries the right to write as the page
(``groups.getTokenPermissions``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.check import Item, format_items, run_checks
from config.clock import ManualClock
from config.settings import DatabaseSettings, Settings, TelegramSettings, VKSettings
from sandbox.fake_telegram import FakeTelegram
from sandbox.fake_vk import FakeVK
from tests.bot_harness import T0

BOT = "42:AAGoodTokenGoodTokenGoodTokenGood12"
SERVICE = "c0ffee" * 12
REGISTRY = """\
agencies:
  - {id: city, name: Администрация}
pages:
  - {group_id: 1001, name: Администрация, agency: city}
  - {group_id: 1002, name: Парки, agency: city}
  - {group_id: 1003, name: Школы, agency: city}
people:
  - {telegram_id: 601, name: Ольга, role: moderator}
  - {telegram_id: 501, name: Иван, role: official, agencies: [city]}
"""


@pytest.fixture
async def settings(tmp_path: Path) -> AsyncIterator[Settings]:
    clock = ManualClock(T0)
    vk, tg = FakeVK(clock), FakeTelegram(clock)
    await vk.start()
    await tg.start()
    vk.add_token(SERVICE, "service")
    vk.add_token("community-1001", "group", group_id=1001)
    vk.add_token("community-1002", "group", group_id=1002, rights=("messages", "photos"))
    for gid, name in ((1001, "Администрация"), (1002, "Парки"), (1003, "Школы")):
        vk.add_group(gid, name)
    (tmp_path / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    yield Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram=TelegramSettings(token=SecretStr(BOT), api_base=tg.base_url),
        vk=VKSettings(
            service_tokens=[SecretStr(SERVICE)],
            community_tokens={
                1001: SecretStr("community-1001"),
                1002: SecretStr("community-1002"),
            },
            api_base=vk.base_url,
        ),
        db=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'o.db'}"),
        registry_path=tmp_path / "registry.yaml",
    )
    await tg.stop()
    await vk.stop()


async def test_check_names_the_pages_answerable_from_the_messenger(settings: Settings) -> None:
    items: dict[str, Item] = {
        it.title.split(" (")[0]: it for it in await run_checks(settings, timeout_s=5)
    }
    good = items["VK community token for 1001"]
    assert good.ok and not good.warn and "answers can be published" in good.detail
    weak = items["VK community token for 1002"]
    assert weak.ok and weak.warn and "no «manage» right" in weak.detail
    summary = items["answers from the messenger"]
    assert summary.ok and not summary.warn  # a page without a token is answered on VK
    assert summary.detail == (
        "1 of 3 page(s); not: 1002 «Парки» (token refused or without the manage right), "
        "1003 «Школы» (no community token)"
    )
    assert "OTKLIK__VK__COMMUNITY_TOKENS" in summary.fix
    text = format_items(list(items.values()))
    assert "✓ answers from the messenger: 1 of 3 page(s)" in text
    assert "! VK community token for 1002" in text and "fix: issue a community key" in text
