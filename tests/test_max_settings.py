"""MAX settings as an operator writes them (``OTKLIK__MAX__…``), and the mistakes refused by
name before the bot starts: a webhook MAX would not accept, a secret MAX would refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config.settings import REAL_MAX_API_BASE, Settings, settings_problems

pytestmark = pytest.mark.usefixtures("clean_env")


def test_max_is_off_by_default_and_points_at_the_real_host() -> None:
    s = Settings(_env_file=None)
    assert s.max.token is None and s.max.api_base == REAL_MAX_API_BASE
    assert s.max.ca_bundle is None and s.max.mode == "webhook"


def test_a_production_webhook_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "russian_trusted_root_ca.pem"
    for name, value in {
        "TOKEN": "max-token",
        "CA_BUNDLE": str(bundle),
        "WEBHOOK_URL": "https://otklik.example.ru/max",
        "WEBHOOK_SECRET": "s3cret-Otklik",
        "WEBHOOK_PORT": "8091",
    }.items():
        monkeypatch.setenv(f"OTKLIK__MAX__{name}", value)
    s = Settings(_env_file=None).max
    assert s.token is not None and s.token.get_secret_value() == "max-token"
    assert s.ca_bundle == bundle and s.webhook_port == 8091
    assert s.webhook_secret is not None and s.webhook_secret.get_secret_value() == "s3cret-Otklik"


@pytest.mark.parametrize(
    ("url", "secret", "variable"),
    [
        ("http://otklik.example.ru/max", "s3cret-Otklik", "OTKLIK__MAX__WEBHOOK_URL"),
        ("", "s3cret-Otklik", "OTKLIK__MAX__WEBHOOK_URL"),
        ("https://otklik.example.ru/max", "", "OTKLIK__MAX__WEBHOOK_SECRET"),
        ("https://otklik.example.ru/max", "no spaces!", "OTKLIK__MAX__WEBHOOK_SECRET"),
    ],
)
def test_a_webhook_max_would_refuse_is_named(
    monkeypatch: pytest.MonkeyPatch, url: str, secret: str, variable: str
) -> None:
    monkeypatch.setenv("OTKLIK__MAX__TOKEN", "max-token")
    monkeypatch.setenv("OTKLIK__MAX__WEBHOOK_URL", url)
    monkeypatch.setenv("OTKLIK__MAX__WEBHOOK_SECRET", secret)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    (problem,) = settings_problems(info.value)
    assert problem.variable == variable
    assert not secret or secret not in str(problem)  # a secret is never echoed


def test_polling_needs_no_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTKLIK__MAX__TOKEN", "max-token")
    monkeypatch.setenv("OTKLIK__MAX__MODE", "polling")
    assert Settings(_env_file=None).max.mode == "polling"
