"""Application settings from the environment and ``.env`` (``OTKLIK__SECTION__FIELD``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class DatabaseSettings(BaseModel):
    """Any SQLAlchemy async URL; SQLite file by default."""

    url: str = "sqlite+aiosqlite:///./data/otklik.db"
    echo: bool = False


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
    retention_days: int = Field(default=365, ge=1)  # comment texts and names are erased after

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
