"""``otklik check`` against the fake VK and Telegram servers: good and bad tokens, missing and
closed pages, a community token filed under the wrong group, registry and settings errors,
and the CLI's exit code (issue 7)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import update

from bot.check import Item, format_items, run_checks
from bot.cli import main
from config.clock import ManualClock
from config.registry import load_registry
from config.settings import DatabaseSettings, Settings, TelegramSettings, VKSettings
from sandbox.fake_telegram import FakeTelegram
from sandbox.fake_vk import FakeVK
from storage.db import ensure_sqlite_dir, make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Person
from storage.registry_sync import sync_registry
from tests.bot_harness import T0

GOOD_BOT = "42:AAGoodTokenGoodTokenGoodTokenGood12"
SERVICE = "c0ffee" * 12
COMMUNITY = "vk1.a.community-token-of-1001"
REGISTRY_YAML = """\
agencies:
  - {id: city, name: Администрация}
pages:
  - {group_id: 1001, name: Администрация, agency: city}
  - {group_id: 1002, name: Закрытая, agency: city}
  - {group_id: 1003, name: Опечатка, agency: city}
people:
  - {telegram_id: 601, name: Ольга, role: moderator}
  - {telegram_id: 501, name: Иван, role: official, agencies: [city]}
"""


@dataclass
class Fakes:
    vk: FakeVK
    tg: FakeTelegram
    tmp: Path

    def settings(self, **over: object) -> Settings:
        values: dict[str, object] = {
            "telegram": TelegramSettings(token=SecretStr(GOOD_BOT), api_base=self.tg.base_url),
            "vk": VKSettings(
                service_tokens=[SecretStr(SERVICE)],
                community_tokens={1001: SecretStr(COMMUNITY)},
                api_base=self.vk.base_url,
            ),
            "db": DatabaseSettings(url=f"sqlite+aiosqlite:///{self.tmp / 'data' / 'o.db'}"),
            "registry_path": self.tmp / "registry.yaml",
        }
        values.update(over)
        return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
async def fakes(tmp_path: Path) -> AsyncIterator[Fakes]:
    clock = ManualClock(T0)
    vk, tg = FakeVK(clock), FakeTelegram(clock)
    await vk.start()
    await tg.start()
    vk.add_token(SERVICE, "service")
    vk.add_token(COMMUNITY, "group", group_id=1001)
    vk.add_group(1001, "Администрация", "adm")
    vk.add_group(1002, "Закрытая", "closed", is_closed=1)
    (tmp_path / "registry.yaml").write_text(REGISTRY_YAML, encoding="utf-8")
    yield Fakes(vk, tg, tmp_path)
    await tg.stop()
    await vk.stop()


def by_title(items: list[Item]) -> dict[str, Item]:
    return {it.title.split(" (")[0]: it for it in items}


async def test_good_tokens_pass_and_bad_pages_are_named(fakes: Fakes) -> None:
    items = by_title(await run_checks(fakes.settings(), timeout_s=5))
    assert items["settings"].ok and items["registry"].ok
    assert "3 pages" in items["registry"].detail
    assert items["database"].ok and "creates it" in items["database"].detail
    assert (
        items["Telegram bot token"].ok and "@otklik_test_bot" in items["Telegram bot token"].detail
    )
    assert items["VK service token #1"].ok
    pages = items["registry pages on VK"]
    assert not pages.ok
    assert "not found: 1003" in pages.detail and "closed or deleted: 1002" in pages.detail
    assert "registry.yaml" in pages.fix
    assert items["VK community token for 1001"].ok
    assert not (fakes.tmp / "data").exists()  # the check writes nothing


OFFICIALS_YAML = """\
agencies:
  - {id: city, name: Администрация, region: Север}
  - {id: parks, name: Парки, region: Север}
  - {id: far, name: Дальний район, region: Юг}
pages:
  - {group_id: 1001, name: Администрация, agency: city}
people:
  - {telegram_id: 501, name: Иван, role: official, agencies: [city]}
  - {telegram_id: 503, name: Пётр, role: official, agencies: [far]}
  - {telegram_id: 601, name: Ольга, role: moderator, region: Север}
"""


async def test_agencies_whose_complaints_reach_no_official_are_listed(fakes: Fakes) -> None:
    """Issue 11: an agency with no official in the bot (or only one who blocked it) is
    named: a warning while a moderator or admin hears of its complaints, a failure when
    nobody would."""
    (fakes.tmp / "registry.yaml").write_text(OFFICIALS_YAML, encoding="utf-8")
    settings = fakes.settings()
    registry = load_registry(settings.registry_path)
    ensure_sqlite_dir(settings.db.url)
    engine = make_engine(settings.db.url)
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        async with sessions() as s, s.begin():
            await sync_registry(s, registry)
            await s.execute(
                update(Person).where(Person.telegram_id == 503).values(unreachable=True)
            )
            # Invited later, in Telegram: «Парки» has an official the registry does not list.
            s.add(Person(telegram_id=504, name="Пётр", role="official", agencies=["parks"]))
    finally:
        await engine.dispose()
    items = await run_checks(settings, timeout_s=5)
    officials = by_title(items)["officials for every agency"]
    # «Дальний район»: its official blocked the bot, and no moderator covers the south.
    assert not officials.ok
    assert "Дальний район (every official blocked the bot or never opened it)" in officials.detail
    assert "would reach nobody" in officials.detail and "/invite official" in officials.fix
    assert "Парки" not in officials.detail and "Администрация" not in officials.detail

    (fakes.tmp / "registry.yaml").write_text(
        OFFICIALS_YAML + "  - {telegram_id: 801, name: Анна, role: admin}\n", encoding="utf-8"
    )
    items = await run_checks(fakes.settings(), timeout_s=5)
    officials = by_title(items)["officials for every agency"]
    assert officials.ok and officials.warn  # the admin hears of them: a warning
    assert "go to the moderators (or admins) at once" in officials.detail
    out = format_items(items)
    assert "! officials for every agency: Дальний район" in out and "warning(s))" in out


async def test_bad_tokens_fail_with_a_fix_and_no_secret_is_printed(fakes: Fakes) -> None:
    fakes.vk.revoke_token(SERVICE)
    fakes.vk.add_token("wrong-community", "group", group_id=1002)
    settings = fakes.settings(
        # The fake answers 401 Unauthorized to a token it cannot route (the dot).
        telegram=TelegramSettings(
            token=SecretStr("42:AAWrong.WrongWrongWrongWrong99"), api_base=fakes.tg.base_url
        ),
        vk=VKSettings(
            service_tokens=[SecretStr(SERVICE), SecretStr(COMMUNITY)],
            community_tokens={1001: SecretStr("wrong-community")},
            api_base=fakes.vk.base_url,
        ),
    )
    items = await run_checks(settings, timeout_s=5)
    out = format_items(items)
    got = by_title(items)
    tg = got["Telegram bot token"]
    assert not tg.ok and "401" in tg.detail and "@BotFather" in tg.fix
    first, second = got["VK service token #1"], got["VK service token #2"]
    assert not first.ok and "[5]" in first.detail and "dev.vk.com" in first.fix
    assert not second.ok and "[27]" in second.detail and "COMMUNITY_TOKENS" in second.fix
    community = got["VK community token for 1001"]
    assert not community.ok and "belongs to community 1002" in community.detail
    for secret in (SERVICE, COMMUNITY, "wrong-community", "AAWrong."):
        assert secret not in out
    assert out.endswith("4 check(s) failed")


async def test_registry_error_names_file_and_line(fakes: Fakes) -> None:
    (fakes.tmp / "registry.yaml").write_text(
        REGISTRY_YAML.replace("group_id: 1003", "group_id: -5"), encoding="utf-8"
    )
    items = by_title(await run_checks(fakes.settings(), timeout_s=5))
    reg = items["registry"]
    assert not reg.ok and "registry.yaml:6:" in reg.detail and reg.fix


async def test_cli_exit_codes_and_settings_errors(
    fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(fakes.tmp)
    (fakes.tmp / "registry.yaml").write_text(
        REGISTRY_YAML.split("  - {group_id: 1002")[0]
        + "people:\n  - {telegram_id: 501, name: Иван, role: official, agencies: [city]}\n",
        encoding="utf-8",
    )
    env = {
        "OTKLIK__TELEGRAM__API_BASE": fakes.tg.base_url,
        "OTKLIK__VK__API_BASE": fakes.vk.base_url,
        "OTKLIK__VK__COMMUNITY_TOKENS": f'{{"1001": "{COMMUNITY}"}}',
        "OTKLIK__DB__URL": f"sqlite+aiosqlite:///{fakes.tmp / 'o.db'}",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # Tokens from secret files (OTKLIK_SECRETS_DIR), as in Docker or systemd credentials.
    secrets = fakes.tmp / "secrets"
    secrets.mkdir()
    (secrets / "otklik__telegram__token").write_text(GOOD_BOT + "\n")
    (secrets / "otklik__vk__service_tokens").write_text(f'["{SERVICE}"]')
    monkeypatch.setenv("OTKLIK_SECRETS_DIR", str(secrets))

    def run(*argv: str) -> tuple[int, str]:
        buf = io.StringIO()
        with redirect_stdout(buf):
            code = main(list(argv))
        return code, buf.getvalue()

    code, out = await asyncio.to_thread(run, "check", "--timeout", "5")
    assert code == 0, out
    assert "✓ Telegram bot token: @otklik_test_bot" in out and "all checks passed" in out

    monkeypatch.setenv("OTKLIK__METRICS__PORT", "not-a-port")
    code, out = await asyncio.to_thread(run, "check")
    assert code == 1
    assert out.startswith("✗ settings: OTKLIK__METRICS__PORT:") and "fix:" in out


def test_secret_files_fill_nested_settings_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "otklik__telegram__token").write_text("1:from-file\n")
    (tmp_path / "otklik__vk__community_tokens").write_text('{"7": "vk1.a.x"}')
    monkeypatch.setenv("OTKLIK_SECRETS_DIR", str(tmp_path))
    s = Settings(_env_file=None)
    assert s.telegram.token is not None and s.telegram.token.get_secret_value() == "1:from-file"
    assert s.vk.community_tokens[7].get_secret_value() == "vk1.a.x"
    monkeypatch.setenv("OTKLIK__TELEGRAM__TOKEN", "2:from-env")
    s = Settings(_env_file=None)
    assert s.telegram.token is not None and s.telegram.token.get_secret_value() == "2:from-env"
    monkeypatch.setenv("OTKLIK_SECRETS_DIR", str(tmp_path / "missing"))
    from pydantic_settings import SettingsError

    with pytest.raises(SettingsError, match="missing"):
        Settings(_env_file=None)
