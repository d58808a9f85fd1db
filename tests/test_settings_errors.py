"""Issue 11, defect 11: settings an operator writes by hand.

A VK key pasted as it is (no JSON brackets) works; a value that cannot work (a negative rate, a
zero period, a quota below one) is refused naming the variable and what it must look like."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings, settings_problems

pytestmark = pytest.mark.usefixtures("clean_env")  # a fresh directory, no OTKLIK settings


def tokens(s: Settings) -> list[str]:
    return [t.get_secret_value() for t in s.vk.service_tokens]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc123", ["abc123"]),
        ("abc123,def456", ["abc123", "def456"]),
        (" abc123 , def456 ", ["abc123", "def456"]),
        ('["abc123", "def456"]', ["abc123", "def456"]),
        ("", []),
    ],
)
def test_service_tokens_as_written(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("OTKLIK__VK__SERVICE_TOKENS", value)
    assert tokens(Settings(_env_file=None)) == expected


def test_a_bare_token_in_dotenv_and_pairs_for_maps(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "OTKLIK__VK__SERVICE_TOKENS=abc123\n"
        "OTKLIK__VK__COMMUNITY_TOKENS=1001:vk1.a.one,1002:vk1.a.two\n"
        "OTKLIK__VK__QUOTAS=wall.get:4000,execute=9000\n",
        encoding="utf-8",
    )
    s = Settings()
    assert tokens(s) == ["abc123"]
    assert {k: v.get_secret_value() for k, v in s.vk.community_tokens.items()} == {
        1001: "vk1.a.one",
        1002: "vk1.a.two",
    }
    assert s.vk.quotas == {"wall.get": 4000, "execute": 9000}


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "OTKLIK__VK__RPS_PER_TOKEN",
            "-1",
            "OTKLIK__VK__RPS_PER_TOKEN: input should be greater than 0 "
            "(expected: requests per second per token, e.g. 3)",
        ),
        (
            "OTKLIK__VK__HOT_PERIOD_S",
            "0",
            "OTKLIK__VK__HOT_PERIOD_S: input should be greater than 0 "
            "(expected: seconds, e.g. 40)",
        ),
        (
            "OTKLIK__VK__COLD_PERIOD_S",
            "10",
            "OTKLIK__VK__HOT_PERIOD_S: must not exceed OTKLIK__VK__COLD_PERIOD_S (busy posts are "
            "read more often than quiet ones)",
        ),
        (
            "OTKLIK__VK__WATCH_DAYS",
            "0",
            "OTKLIK__VK__WATCH_DAYS: input should be greater than or equal to 1 "
            "(expected: whole days, e.g. 14)",
        ),
        (
            "OTKLIK__VK__QUOTAS",
            "wall.get:0",
            "OTKLIK__VK__QUOTAS: input should be greater than or equal to 1 (expected: "
            'method:calls per day, e.g. wall.get:5000, or JSON {"wall.get": 5000})',
        ),
        (
            "OTKLIK__VK__COMMUNITY_TOKENS",
            "vk1.a.secret-without-a-group",
            "OTKLIK__VK__COMMUNITY_TOKENS: a part is not a key:value pair (expected: group id "
            'and token pairs: 1001:token1,1002:token2, or JSON {"1001": "token1"})',
        ),
        (
            "OTKLIK__VK__LONGPOLL_WAIT_S",
            "600",
            "OTKLIK__VK__LONGPOLL_WAIT_S: input should be less than or equal to 90 "
            "(expected: seconds VK holds a Long Poll, 1 to 90)",
        ),
        (
            "OTKLIK__TELEGRAM__POLLING_TIMEOUT_S",
            "-5",
            "OTKLIK__TELEGRAM__POLLING_TIMEOUT_S: input should be greater than or equal to 0 "
            "(expected: seconds of a getUpdates long poll, e.g. 10)",
        ),
        (
            "OTKLIK__METRICS__COLLECTOR_STALE_S",
            "-1",
            "OTKLIK__METRICS__COLLECTOR_STALE_S: input should be greater than 0 "
            "(expected: seconds, e.g. 900)",
        ),
        (
            "OTKLIK__LOG_LEVEL",
            "loud",
            "OTKLIK__LOG_LEVEL: unknown log level 'loud' "
            "(expected: DEBUG, INFO, WARNING, ERROR or CRITICAL)",
        ),
    ],
)
def test_nonsense_numbers_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as err:
        Settings(_env_file=None)
    messages = [str(p) for p in settings_problems(err.value)]
    assert messages == [expected]
    if "secret" in value:
        assert value not in messages[0]  # a token is never repeated


def test_a_whole_section_that_is_not_json_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic_settings import SettingsError

    monkeypatch.setenv("OTKLIK__TELEGRAM", "123456:ABC")  # meant OTKLIK__TELEGRAM__TOKEN
    with pytest.raises(SettingsError) as err:
        Settings(_env_file=None)
    [problem] = settings_problems(err.value)
    assert problem.variable == "OTKLIK__TELEGRAM" and "not valid JSON" in problem.problem
