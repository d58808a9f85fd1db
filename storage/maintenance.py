"""Backup, restore and personal-data retention (152-ФЗ) for an installation."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Comment, Label

ERASED = "[удалено по сроку хранения]"


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL; anything else is refused with a clear message."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        raise ValueError(
            f"backup/restore handle the SQLite file default; {parsed.get_backend_name()} "
            "databases are backed up with their own tools (pg_dump)"
        )
    return Path(parsed.database)


def backup_sqlite(url: str, target: Path) -> Path:
    """A consistent copy of a live SQLite database (the online backup API; WAL-safe)."""
    source = sqlite_path(url)
    if not source.exists():
        raise FileNotFoundError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def restore_sqlite(url: str, backup: Path) -> Path:
    """Replace the database with a backup (checked to be a SQLite file with our tables)."""
    dest = sqlite_path(url)
    try:
        with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as check:
            rows = check.execute("select name from sqlite_master where type='table'").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{backup} is not a SQLite database ({exc})") from None
    tables = {r[0] for r in rows}
    if "comments" not in tables or "complaints" not in tables:
        raise ValueError(f"{backup} is not an Otklik database backup")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    with closing(sqlite3.connect(backup)) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
    return dest


@dataclass(frozen=True, slots=True)
class RetentionResult:
    erased_comments: int
    cutoff: datetime


async def erase_personal_data(
    session: AsyncSession, *, now: datetime, retention_days: int
) -> RetentionResult:
    """Erase comment texts and author names older than the retention period.

    Ids, dates, topics and response times stay, so statistics and rankings survive.
    """
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    cutoff = now - timedelta(days=retention_days)
    result = await session.execute(
        update(Comment)
        .where(Comment.created_at < cutoff, Comment.text != ERASED)
        .values(text=ERASED, author_name=None)
    )
    return RetentionResult(int(getattr(result, "rowcount", 0) or 0), cutoff)


async def export_labels(session: AsyncSession, target: Path) -> int:
    """Write moderators' «не жалоба» / «это жалоба» marks as JSON lines for
    ``python -m matcher.train --extra FILE``; returns how many were written."""
    rows = (await session.execute(select(Label).order_by(Label.id))).scalars().all()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        for label in rows:
            record = {"text": label.text, "needs_answer": label.needs_answer, "topic": label.topic}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(rows)
