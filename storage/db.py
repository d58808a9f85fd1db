"""Engine and session factory: one per process, built from settings, never at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def apply(dbapi_conn: Any, _record: Any) -> None:
        # WAL lets the bot read while the collector writes; busy_timeout rides out short
        # locks (a backup, another writer) by waiting instead of failing at once.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()

    return apply


def make_engine(url: str, *, echo: bool = False, busy_timeout_s: float = 10.0) -> AsyncEngine:
    """Create the async engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    SQL parameters are hidden in error messages unless ``echo`` is on: they hold comment texts
    and authors' names, which must not end up in logs through a traceback."""
    engine = create_async_engine(url, echo=echo, hide_parameters=not echo)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(int(busy_timeout_s * 1000)))
    return engine


def dialect_insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, with ON CONFLICT DO NOTHING / DO UPDATE on SQLite and PostgreSQL
    alike (a select-then-insert races another writer into an IntegrityError)."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def ensure_sqlite_dir(url: str) -> None:
    """Create the directory of a SQLite file URL so a fresh clone just works."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
