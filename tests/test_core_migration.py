"""Migration ``i0012_channels`` (issue 13): cards and outbox rows stored before it stay
Telegram's and keep working; a card's message id becomes a text ref, so a MAX card
(``mid.…``) can sit beside the Telegram one of the same complaint and person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.migrate import alembic_config, upgrade

AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC).replace(tzinfo=None)


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


@asynccontextmanager
async def _writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction without foreign keys: the rows below name complaint 1, which this test
    does not build (SQLite takes the pragma only outside a transaction)."""
    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        async with conn.begin():
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn


async def test_cards_and_rows_from_before_stay_telegrams(db_url: str) -> None:
    engine = create_async_engine(db_url)
    try:
        await upgrade(engine, "i0011_answers")
        async with _writing(engine) as conn:
            await conn.execute(
                text(
                    "INSERT INTO alert_messages (complaint_id, chat_id, message_id, sent_at) "
                    "VALUES (1, 501, 4711, :at)"
                ),
                {"at": AT},
            )
            await conn.execute(
                text(
                    "INSERT INTO outbox (dedupe_key, chat_id, kind, payload, status, attempts, "
                    "created_at, next_attempt_at) "
                    "VALUES ('k', 501, 'text', '{}', 'pending', 0, :at, :at)"
                ),
                {"at": AT},
            )
        await upgrade(engine)
        async with _writing(engine) as conn:
            card = (
                await conn.execute(text("SELECT channel, chat_id, ref FROM alert_messages"))
            ).one()
            assert tuple(card) == ("telegram", 501, "4711")
            row = (await conn.execute(text("SELECT channel FROM outbox"))).one()
            assert tuple(row) == ("telegram",)
            # The same complaint and person may hold a card on MAX too, but one per messenger.
            insert = text(
                "INSERT INTO alert_messages (complaint_id, channel, chat_id, ref, sent_at) "
                "VALUES (1, :channel, 501, :ref, :at)"
            )
            await conn.execute(insert, {"channel": "max", "ref": "mid.0000000001", "at": AT})
        async with _writing(engine) as conn:
            try:
                await conn.execute(insert, {"channel": "max", "ref": "mid.2", "at": AT})
            except IntegrityError:
                pass
            else:
                raise AssertionError("two MAX cards of one complaint for one person")
        async with engine.connect() as conn:
            await conn.run_sync(_downgrade, "i0011_answers")
            await conn.commit()
        async with engine.connect() as conn:
            cards = (
                await conn.execute(text("SELECT chat_id, message_id FROM alert_messages"))
            ).all()
            assert [tuple(c) for c in cards] == [(501, 4711)]  # the MAX card cannot stay
        await upgrade(engine)  # and up again
    finally:
        await engine.dispose()
