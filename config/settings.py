"""Application settings from the environment and ``.env`` (``OTKLIK__SECTION__FIELD``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

REAL_VK_API_BASE = "https://api.vk.ru/"
REAL_TELEGRAM_API_BASE = "https://api.telegram.org"


class TelegramSettings(BaseModel):
    """Bot token and where the Bot API lives (a proxy or local server may stand in)."""

    token: SecretStr | None = None
    api_base: str = REAL_TELEGRAM_API_BASE
    polling_timeout_s: int = 10
    send_retries: int = 8


class VKSettings(BaseModel):
    """VK tokens and how hard the collector may use them."""

    service_tokens: list[SecretStr] = Field(default_factory=list)
    api_base: str = REAL_VK_API_BASE
    api_version: str = "5.199"
    rps_per_token: float = 3.0
    request_timeout_s: float = 10.0
    poll_interval_s: float = 60.0
    watch_days: int = 14
    posts_per_page: int = 30
    # Community tokens by group id: those pages are followed through Bots Long Poll.
    community_tokens: dict[int, SecretStr] = Field(default_factory=dict)
    # Daily per-method quotas per polling token (VK: wall.get 5,000/day).
    quotas: dict[str, int] = Field(default_factory=lambda: {"wall.get": 5000})
    rps_margin: float = 1.1
    hot_period_s: float = 40.0
    cold_period_s: float = 600.0
    captcha_pause_s: float = 3600.0
    longpoll_wait_s: int = 25


class DatabaseSettings(BaseModel):
    """Any SQLAlchemy async URL; SQLite file by default."""

    url: str = "sqlite+aiosqlite:///./data/otklik.db"
    echo: bool = False  # logs SQL with its parameters (personal data): debugging only
    busy_timeout_s: float = 10.0  # SQLite: how long a write waits for another writer's lock


class MetricsSettings(BaseModel):
    """Prometheus ``/metrics`` and ``/healthz`` (bot/metrics.py); port 0 turns them off."""

    host: str = "127.0.0.1"
    port: int = Field(default=9108, ge=0, le=65535)
    collector_stale_s: float = 900.0  # /healthz: collector degraded after this long
    outbox_stale_s: float = 600.0  # /healthz: outbox degraded when a due message waits longer


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
    vk: VKSettings = Field(default_factory=VKSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    registry_path: Path = Path("registry.yaml")
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "text"  # json: one JSON object per line
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    retention_days: int = Field(default=365, ge=1)  # comment texts and names are erased after

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
