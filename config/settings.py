"""Application settings from the environment and ``.env`` (``OTKLIK__SECTION__FIELD``)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

REAL_VK_API_BASE = "https://api.vk.ru/"
REAL_TELEGRAM_API_BASE = "https://api.telegram.org"
REAL_MAX_API_BASE = "https://platform-api2.max.ru"

TOKENS_SHAPE = (
    'a VK service key, or several separated by commas (key1,key2), or a JSON list ["key1", "key2"]'
)
COMMUNITY_TOKENS_SHAPE = (
    'group id and token pairs: 1001:token1,1002:token2, or JSON {"1001": "token1"}'
)
QUOTAS_SHAPE = 'method:calls per day, e.g. wall.get:5000, or JSON {"wall.get": 5000}'


def _token_list(value: Any) -> Any:
    """A bare token, a comma-separated list or a JSON list (``NoDecode`` hands us the text)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("starts with [ but is not a JSON list") from None
    return [t for t in re.split(r"[,\s]+", text) if t]


def _pairs(value: Any) -> Any:
    """``key:value,key:value`` (or ``=``) or a JSON object."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("starts with { but is not a JSON object") from None
    out: dict[str, str] = {}
    for part in re.split(r"[,\s]+", text):
        if not part:
            continue
        pair = re.fullmatch(r"([^:=]+)[:=](.+)", part)
        if pair is None:
            raise ValueError("a part is not a key:value pair")  # the part may be a secret
        out[pair[1]] = pair[2]
    return out


class TelegramSettings(BaseModel):
    """Bot token and where the Bot API lives (a proxy or local server may stand in)."""

    token: SecretStr | None = None
    api_base: str = REAL_TELEGRAM_API_BASE
    polling_timeout_s: int = Field(
        default=10, ge=0, le=600, description="seconds of a getUpdates long poll, e.g. 10"
    )
    send_retries: int = Field(default=8, ge=0, description="a whole number of retries, e.g. 8")


_MAX_SECRET_RE = re.compile(r"[a-zA-Z0-9_-]{5,256}")


class MaxSettings(BaseModel):
    """MAX bot token, where the Bot API lives and how updates arrive (issue 13): a webhook in
    production (MAX requires HTTPS with a trusted certificate), long polling for development.
    The API host's certificate chains to the Минцифры root, absent from Python's default
    bundle: ``ca_bundle`` names a PEM file of extra roots (default: the one maxapi ships)."""

    token: SecretStr | None = None
    api_base: str = REAL_MAX_API_BASE
    ca_bundle: Path | None = Field(
        default=None, description="a PEM file of trusted root certificates, or empty for maxapi's"
    )
    mode: Literal["webhook", "polling"] = "webhook"
    webhook_url: str = Field(
        default="", description="the public HTTPS address MAX posts updates to"
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="5 to 256 characters of a-z, A-Z, 0-9, _ and -"
    )
    webhook_host: str = "127.0.0.1"  # where the webhook listens (behind a TLS proxy)
    webhook_port: int = Field(
        default=8081, ge=0, le=65535, description="a port 1 to 65535 (0: any free one)"
    )
    polling_timeout_s: int = Field(
        default=30, ge=0, le=90, description="seconds of a GET /updates long poll, 0 to 90"
    )
    request_timeout_s: float = Field(default=60.0, gt=0, description="seconds, e.g. 60")

    @model_validator(mode="after")
    def _webhook(self) -> MaxSettings:
        if self.token is None or self.mode != "webhook":
            return self
        if not self.webhook_url.startswith("https://"):
            raise ValueError(
                "OTKLIK__MAX__WEBHOOK_URL must be an https:// address in webhook mode "
                "(or set OTKLIK__MAX__MODE=polling for development)"
            )
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not _MAX_SECRET_RE.fullmatch(secret):
            raise ValueError(
                "OTKLIK__MAX__WEBHOOK_SECRET must be 5 to 256 characters of a-z, A-Z, 0-9, "
                "_ and - in webhook mode"
            )
        return self


class VKSettings(BaseModel):
    """VK tokens and how hard the collector may use them."""

    service_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description=TOKENS_SHAPE
    )
    api_base: str = REAL_VK_API_BASE
    api_version: str = "5.199"
    rps_per_token: float = Field(
        default=3.0, gt=0, le=20, description="requests per second per token, e.g. 3"
    )
    request_timeout_s: float = Field(default=10.0, gt=0, description="seconds, e.g. 10")
    poll_interval_s: float = Field(default=60.0, gt=0, description="seconds, e.g. 60")
    watch_days: int = Field(default=14, ge=1, description="whole days, e.g. 14")
    posts_per_page: int = Field(
        default=30, ge=1, le=100, description="posts read per page at a time, 1 to 100"
    )
    # Community tokens by group id: those pages are followed through Bots Long Poll.
    community_tokens: Annotated[dict[int, SecretStr], NoDecode] = Field(
        default_factory=dict, description=COMMUNITY_TOKENS_SHAPE
    )
    # Daily per-method quotas per polling token (VK: wall.get 5,000/day).
    quotas: Annotated[dict[str, Annotated[int, Field(ge=1)]], NoDecode] = Field(
        default_factory=lambda: {"wall.get": 5000}, description=QUOTAS_SHAPE
    )
    rps_margin: float = Field(
        default=1.1, ge=1.0, le=10.0, description="a safety factor of at least 1, e.g. 1.1"
    )
    hot_period_s: float = Field(default=40.0, gt=0, description="seconds, e.g. 40")
    cold_period_s: float = Field(default=600.0, gt=0, description="seconds, e.g. 600")
    captcha_pause_s: float = Field(default=3600.0, ge=0, description="seconds, e.g. 3600")
    longpoll_wait_s: int = Field(
        default=25, ge=1, le=90, description="seconds VK holds a Long Poll, 1 to 90"
    )
    # Issue 11: comments written before a page's first look are its history, never alerted;
    # with N > 0 the unanswered complaints of the last N hours before it are (the page's
    # comments are then read at the first look).
    alert_history_hours: float = Field(default=0.0, ge=0.0, le=24 * 14)

    _tokens = field_validator("service_tokens", mode="before")(_token_list)
    _maps = field_validator("community_tokens", "quotas", mode="before")(_pairs)

    @model_validator(mode="after")
    def _periods(self) -> VKSettings:
        if self.hot_period_s > self.cold_period_s:
            raise ValueError(
                "OTKLIK__VK__HOT_PERIOD_S must not exceed OTKLIK__VK__COLD_PERIOD_S "
                "(busy posts are read more often than quiet ones)"
            )
        return self


class DatabaseSettings(BaseModel):
    """Any SQLAlchemy async URL; SQLite file by default."""

    url: str = "sqlite+aiosqlite:///./data/otklik.db"
    echo: bool = False  # logs SQL with its parameters (personal data): debugging only
    # SQLite: how long a write waits for another writer's lock.
    busy_timeout_s: float = Field(default=10.0, ge=0, description="seconds, e.g. 10")


PrivacyMode = Literal["full", "no_personal_data"]


class PrivacySettings(BaseModel):
    """What each messenger may carry about residents (issue 13): ``full`` cards, or
    ``no_personal_data``: the page, topic, deadline, complaint number and a link to the
    comment in VK, never a resident's name or words (a centre barred from sending personal
    data through one messenger)."""

    telegram: PrivacyMode = Field(default="full", description="full or no_personal_data")
    max: PrivacyMode = Field(default="full", description="full or no_personal_data")


class MetricsSettings(BaseModel):
    """Prometheus ``/metrics`` and ``/healthz`` (bot/metrics.py); port 0 turns them off."""

    host: str = "127.0.0.1"
    port: int = Field(default=9108, ge=0, le=65535, description="a port 1 to 65535, or 0 for off")
    # /healthz: the collector is degraded after this long; the outbox when a due message waits
    # longer than outbox_stale_s.
    collector_stale_s: float = Field(default=900.0, gt=0, description="seconds, e.g. 900")
    outbox_stale_s: float = Field(default=600.0, gt=0, description="seconds, e.g. 600")


class Settings(BaseSettings):
    """Everything the app reads from outside; loaded once in ``main``."""

    model_config = SettingsConfigDict(
        env_prefix="OTKLIK__",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    max: MaxSettings = Field(default_factory=MaxSettings)
    vk: VKSettings = Field(default_factory=VKSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    registry_path: Path = Path("registry.yaml")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL")
    log_format: Literal["json", "text"] = "text"  # json: one JSON object per line
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    # Comment texts and authors' names are erased after this many days.
    retention_days: int = Field(default=365, ge=1, description="whole days, e.g. 365")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"unknown log level {value!r}")
        return level

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Secrets may also come from files (Docker/Kubernetes secrets, systemd credentials):
        ``OTKLIK_SECRETS_DIR=/run/secrets`` with one file per setting, named like the
        variable (``otklik__telegram__token``).  The plain secrets source only knows
        top-level fields, so the nested one is used; environment variables still win."""
        secrets_dir = getattr(file_secret_settings, "secrets_dir", None) or os.environ.get(
            "OTKLIK_SECRETS_DIR"
        )
        if not secrets_dir:
            return init_settings, env_settings, dotenv_settings
        files = NestedSecretsSettingsSource(
            file_secret_settings, secrets_dir=secrets_dir, secrets_dir_missing="error"
        )
        return init_settings, env_settings, dotenv_settings, files

    def missing_for_real_mode(self) -> list[str]:
        """Names of the settings that real mode needs and that are not set."""
        missing: list[str] = []
        if self.telegram.token is None or not self.telegram.token.get_secret_value():
            missing.append("OTKLIK__TELEGRAM__TOKEN")
        if not self.vk.service_tokens:
            missing.append("OTKLIK__VK__SERVICE_TOKENS")
        if not self.registry_path.exists():
            missing.append(f"registry file {self.registry_path}")
        return missing


# ---- errors an operator can act on -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingProblem:
    """One bad setting: the variable to change, what is wrong, and what it must look like."""

    variable: str
    problem: str
    expected: str = ""

    def __str__(self) -> str:
        shape = f" (expected: {self.expected})" if self.expected else ""
        return f"{self.variable}: {self.problem}{shape}"


def _walk(loc: tuple[int | str, ...]) -> tuple[str, str]:
    """The variable a pydantic error location belongs to, and that field's description."""
    model: Any = Settings
    names: list[str] = []
    description = ""
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not isinstance(part, str) or not fields or part not in fields:
            break
        names.append(part)
        info = fields[part]
        description = info.description or ""
        model = info.annotation
    return "OTKLIK__" + "__".join(names).upper(), description


def _undecodable(field: str) -> str | None:
    """The environment variable under ``field`` whose value is not the JSON it must be."""
    prefix = f"OTKLIK__{field}".upper()
    for name, value in os.environ.items():
        upper = name.upper()
        if upper != prefix and not upper.startswith(prefix + "__"):
            continue
        text = value.strip()
        if upper == prefix or text[:1] in "[{":
            try:
                json.loads(text)
            except ValueError:
                return upper
    return None


def settings_problems(exc: Exception) -> list[SettingProblem]:
    """A settings failure as one problem per variable; never the value, which may be a secret.

    Why not pydantic's text: «error parsing value for field "vk"» names neither the variable
    nor what it should look like."""
    if isinstance(exc, ValidationError):
        out = []
        for err in exc.errors(include_input=False, include_url=False):
            variable, expected = _walk(tuple(err["loc"]))
            msg = str(err["msg"]).removeprefix("Value error, ")
            if msg.startswith("OTKLIK__"):  # a check across fields names its variables
                variable, _, msg = msg.partition(" ")
                expected = ""
            out.append(SettingProblem(variable, msg[:1].lower() + msg[1:], expected))
        return out
    text = str(exc)
    found = re.search(r'field "(\w+)" from source "(\w+)"', text)
    if isinstance(exc, SettingsError) and found:
        field, source = found.groups()
        where = ".env" if "DotEnv" in source else "a secret file" if "Secret" in source else ""
        variable = _undecodable(field) or f"OTKLIK__{field.upper()}"
        problem = "is not valid JSON" + (f" (in {where})" if where else "")
        return [
            SettingProblem(
                variable,
                problem,
                "set one value per variable, e.g. OTKLIK__VK__RPS_PER_TOKEN=3, or valid JSON",
            )
        ]
    if "OTKLIK_SECRETS_DIR" in text or "secrets_dir" in text or "directory" in text:
        return [SettingProblem("OTKLIK_SECRETS_DIR", text, "an existing directory")]
    return [SettingProblem("settings", text)]
