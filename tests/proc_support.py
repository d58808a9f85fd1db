"""Multi-process runs of the real app (issue 7): fakes here, ``otklik run`` in child processes.

The fakes live in the test process and outlive the app processes (which are killed with
SIGKILL); every process runs a :meth:`VirtualClock.anchored` clock built from the same start,
speed and wall-clock epoch, so virtual times agree across them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from config.clock import VirtualClock

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "123456:SANDBOX-TOKEN"


@dataclass
class World:
    """Virtual time shared by the test and its children."""

    start: datetime
    speed: float
    epoch: float = field(default_factory=time.time)

    def clock(self) -> VirtualClock:
        return VirtualClock.anchored(self.start, self.speed, self.epoch)

    def env(self) -> dict[str, str]:
        return {
            "OTKLIK__CLOCK__START": self.start.isoformat(),
            "OTKLIK__CLOCK__SPEED": repr(self.speed),
            "OTKLIK__CLOCK__EPOCH": repr(self.epoch),
        }


def write_registry(path: Path, group_ids: list[int], people: list[dict[str, Any]]) -> Path:
    data = {
        "agencies": [{"id": "city", "name": "Администрация", "tz": "Europe/Moscow"}],
        "pages": [
            {"group_id": g, "name": f"Страница {g}", "screen_name": f"page{g}", "agency": "city"}
            for g in group_ids
        ],
        "people": people,
        "rules": [],
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def pg_url(db_url: str) -> str | None:
    return db_url if db_url.startswith("postgresql") else None


class AppProcess:
    """One ``otklik run --role ROLE`` child; logs go to ``workdir/<name>.log``."""

    def __init__(
        self,
        name: str,
        role: str,
        *,
        workdir: Path,
        world: World,
        db_url: str,
        registry: Path,
        vk_base: str | None = None,
        vk_tokens: list[str] | None = None,
        tg_base: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.upper().startswith("OTKLIK__") and k != "OTKLIK_SECRETS_DIR"
        }
        env.update(world.env())
        env.update(
            {
                "OTKLIK__DB__URL": db_url,
                "OTKLIK__REGISTRY_PATH": str(registry),
                "OTKLIK__METRICS__PORT": "0",
                "OTKLIK__LOG_LEVEL": "INFO",
                "OTKLIK__TELEGRAM__TOKEN": BOT_TOKEN,
                "OTKLIK__TELEGRAM__POLLING_TIMEOUT_S": "1",
                "OTKLIK__VK__SERVICE_TOKENS": json.dumps(vk_tokens or []),
                "OTKLIK__LEASE__TTL_S": "3",
                "OTKLIK__LEASE__RENEW_S": "1",
                "PYTHONPATH": str(ROOT),
            }
        )
        if vk_base is not None:
            env["OTKLIK__VK__API_BASE"] = vk_base
        if tg_base is not None:
            env["OTKLIK__TELEGRAM__API_BASE"] = tg_base
        env.update(extra_env or {})
        self.env = env
        self.role = role
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        log.write(f"\n===== start {self.starts} =====\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--role", self.role],
            cwd=self.workdir,  # no stray .env from the repository
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """``kill -9``: no clean-up of any kind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait (the app shuts down cleanly on it)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])
