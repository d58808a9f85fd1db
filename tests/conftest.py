"""Shared fixtures: scenario builders for end-to-end runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from sandbox.scenario import Scenario

BASE_SCENARIO: dict[str, Any] = {
    "start": "2026-11-23T08:00:00+03:00",
    "end": "2026-11-23T10:00:00+03:00",
    "agencies": [{"id": "city", "name": "Администрация г. Примерска", "tz": "Europe/Moscow"}],
    "pages": [
        {
            "group_id": 1001,
            "name": "Администрация г. Примерска",
            "screen_name": "adm_primersk",
            "agency": "city",
        }
    ],
    "people": [
        {
            "telegram_id": 501,
            "name": "Иван Петров",
            "role": "official",
            "agencies": ["city"],
            "vk_id": 9001,
        },
        {"telegram_id": 601, "name": "Ольга Смирнова", "role": "moderator"},
        {"telegram_id": 701, "name": "Андрей Руководитель", "role": "lead"},
    ],
    "posts": [
        {"page": 1001, "id": 10, "at": "2026-11-23T08:00:00+03:00", "text": "Итоги ремонта дорог"}
    ],
    "events": [],
}


@pytest.fixture
def make_scenario() -> Any:
    def make(events: list[dict[str, Any]], **overrides: Any) -> Scenario:
        data = {**BASE_SCENARIO, **overrides, "events": events}
        return Scenario.model_validate(data)

    return make


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory (no .env, no data/) and no OTKLIK settings from the outside:
    what the settings and command-line tests start from (``usefixtures("clean_env")``)."""
    for name in list(os.environ):
        if name.upper().startswith("OTKLIK"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


#: Groups of modules for ``pytest -n N --dist loadgroup`` (``scripts/test.sh``): a group's
#: tests run on one worker, one at a time, beside lighter tests on the others; groups start
#: first.  "heavy": the real app for long at a high virtual speed, or the collector under
#: tracemalloc: CPU-bound, so two of them at once would starve each other.  "idle": the idle
#: measurements (they wait on the real clock, so they overlap well with the rest).
XDIST_GROUPS = {
    "test_soak.py": "heavy",
    "test_crash.py": "heavy",
    "test_collector_memory.py": "heavy",
    "test_idle_cost.py": "idle",
    "test_app_idle.py": "idle",
    "test_native.py": "native",  # one build of the compiled matcher at a time, if it is stale
}


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` by module, from ``XDIST_GROUPS``: xdist's own ``xdist_group``
    marks are lost under pytest 9.2 (xdist renames ``item._nodeid``, which pytest no longer
    reads), so the controller groups the node ids itself."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroups(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            group = XDIST_GROUPS.get(nodeid.split("::", 1)[0].rsplit("/", 1)[-1])
            return f"group:{group}" if group else nodeid

    return ModuleGroups(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that take ``db_url`` run on SQLite, and again on PostgreSQL in the second pass."""
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture
async def db_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database when
    ``OTKLIK_TEST_PG`` names a server (``scripts/postgres.sh`` starts one)."""
    server = os.environ.get("OTKLIK_TEST_PG")
    if not server:
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    name = f"otklik_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    yield f"{base}/{name}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
