"""One database session per update (committed after the handler) and the caller's identity."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update, User
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import texts
from bot.faults import db_fault
from bot.metrics import Metrics
from storage.models import Person

log = logging.getLogger(__name__)


class DbSessionMiddleware(BaseMiddleware):
    """Unit of work per update: commit when the handler returns, roll back if it raises."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        after_commit: Callable[[], object] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """``after_commit`` runs once the update's changes are stored (it wakes the outbox
        sender, so a button's card edit goes out at once rather than on its next tick)."""
        self.session_factory = session_factory
        self.after_commit = after_commit
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        """A database that stays locked or away past its timeout fails the update as a whole
        (nothing half-done is committed), and the person is told to try again rather than
        left waiting for an answer that will never come.  A PostgreSQL that refuses
        connections raises a bare ``OSError`` from asyncpg, not a ``DBAPIError``: same case."""
        try:
            result = await self._in_session(handler, event, data)
        except Exception as exc:
            cause = db_fault(exc)
            if cause is None:
                raise
            log.warning("update not handled, database %s: %s", cause, _name(exc))
            if self.metrics is not None:
                self.metrics.part_failed("bot", exc)
            await _tell_busy(event, data.get("bot"))
            return None
        if self.metrics is not None:
            self.metrics.part_ok("bot")
        return result

    async def _in_session(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.session_factory() as session:
            data["session"] = session
            user: User | None = data.get("event_from_user")
            person = (
                await session.scalar(select(Person).where(Person.telegram_id == user.id))
                if user
                else None
            )
            if person is not None and person.unreachable:
                person.unreachable = False  # they wrote to us, so the bot reaches them again
            data["person"] = person
            try:
                result = await handler(event, data)
            except Exception:
                with contextlib.suppress(DBAPIError, OSError):
                    await session.rollback()
                raise
            await session.commit()
            if self.after_commit is not None:
                self.after_commit()
            return result


def _name(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    return type(orig if orig is not None else exc).__name__


async def _tell_busy(event: TelegramObject, bot: Bot | None) -> None:
    if bot is None or not isinstance(event, Update):
        return
    with contextlib.suppress(TelegramAPIError, TimeoutError):
        if event.callback_query is not None:
            await bot.answer_callback_query(
                event.callback_query.id, texts.DB_BUSY, show_alert=True
            )
        elif event.message is not None:
            await bot.send_message(event.message.chat.id, texts.DB_BUSY)
