"""Backup/restore of the SQLite default and erasure of personal data after retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from storage.db import make_engine, make_session_factory
from storage.maintenance import ERASED, backup_sqlite, erase_personal_data, restore_sqlite
from storage.migrate import upgrade
from storage.models import Agency, Comment, Complaint

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def _seed(url: str) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    async with make_session_factory(engine)() as s, s.begin():
        s.add(Agency(id="city", name="Администрация"))
        for i, age_days in enumerate((400, 10), start=1):
            at = NOW - timedelta(days=age_days)
            s.add(
                Comment(
                    id=i,
                    owner_id=-1,
                    post_id=1,
                    comment_id=i,
                    from_id=7000 + i,
                    author_name=f"Житель {i}",
                    text=f"Жалоба номер {i}",
                    created_at=at,
                    stored_at=at,
                )
            )
            await s.flush()
            s.add(
                Complaint(
                    comment_pk=i,
                    owner_id=-1,
                    post_id=1,
                    comment_id=i,
                    author_id=7000 + i,
                    agency_id="city",
                    route_rule="default",
                    topic="roads",
                    score=0.9,
                    created_at=at,
                    response_seconds=600,
                )
            )
    await engine.dispose()


async def test_retention_erases_old_texts_and_names_but_keeps_statistics(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    await _seed(url)
    engine = make_engine(url)
    async with make_session_factory(engine)() as s, s.begin():
        result = await erase_personal_data(s, now=NOW, retention_days=365)
    async with make_session_factory(engine)() as s:
        comments = {c.id: c for c in (await s.execute(select(Comment))).scalars()}
        complaints = (await s.execute(select(Complaint))).scalars().all()
    await engine.dispose()
    assert result.erased_comments == 1
    assert (comments[1].text, comments[1].author_name) == (ERASED, None)
    assert (comments[2].text, comments[2].author_name) == ("Жалоба номер 2", "Житель 2")
    assert [c.response_seconds for c in complaints] == [600, 600]  # figures survive
    with pytest.raises(ValueError, match="at least 1"):
        async with make_session_factory(make_engine(url))() as s:
            await erase_personal_data(s, now=NOW, retention_days=0)


async def test_backup_then_restore_brings_back_the_data(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    await _seed(url)
    copy = backup_sqlite(url, tmp_path / "backups" / "otklik.bak")
    engine = make_engine(url)
    async with make_session_factory(engine)() as s, s.begin():
        await s.execute(Complaint.__table__.delete())
    await engine.dispose()
    restore_sqlite(url, copy)
    engine = make_engine(url)
    async with make_session_factory(engine)() as s:
        assert len((await s.execute(select(Complaint))).scalars().all()) == 2
    await engine.dispose()


async def test_moderator_labels_export_feeds_matcher_training(tmp_path: Path) -> None:
    from matcher.train import read_extra
    from storage.maintenance import export_labels
    from storage.models import Label

    url = f"sqlite+aiosqlite:///{tmp_path / 'labels.db'}"
    await _seed(url)
    engine = make_engine(url)
    async with make_session_factory(engine)() as s, s.begin():
        s.add(
            Label(
                text="С праздником всех!",
                needs_answer=False,
                topic=None,
                complaint_id=1,
                by=601,
                at=NOW,
            )
        )
        s.add(
            Label(
                text="Фонарь не горит у дома 3",
                needs_answer=True,
                topic="roads",
                complaint_id=2,
                by=601,
                at=NOW,
            )
        )
    async with make_session_factory(engine)() as s:
        written = await export_labels(s, tmp_path / "marks.jsonl")
    await engine.dispose()
    examples = read_extra(tmp_path / "marks.jsonl")
    assert written == 2
    assert [(e.text, e.needs_answer, e.topic) for e in examples] == [
        ("С праздником всех!", False, None),
        ("Фонарь не горит у дома 3", True, "roads"),
    ]


def test_backup_commands_refuse_bad_input_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK__DB__URL", "postgresql+asyncpg://u@h/db")
    assert cli_main(["backup", "x.bak"]) == 2
    assert "pg_dump" in capsys.readouterr().err
    monkeypatch.setenv("OTKLIK__DB__URL", f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    assert cli_main(["backup", "x.bak"]) == 2
    assert "no database" in capsys.readouterr().err
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello", encoding="utf-8")
    assert cli_main(["restore", str(not_a_db)]) == 2
    assert "restore failed" in capsys.readouterr().err
