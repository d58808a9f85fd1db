"""One database session per update (committed after the handler) and the caller's identity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Person


class DbSessionMiddleware(BaseMiddleware):
    """Unit of work per update: commit when the handler returns, roll back if it raises."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        after_commit: Callable[[], object] | None = None,
    ) -> None:
        """``after_commit`` runs once the update's changes are stored (it wakes the outbox
        sender, so a button's card edit goes out at once rather than on its next tick)."""
        self.session_factory = session_factory
        self.after_commit = after_commit

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.session_factory() as session:
            data["session"] = session
            user: User | None = data.get("event_from_user")
            person = await session.get(Person, user.id) if user else None
            if person is not None and person.unreachable:
                person.unreachable = False  # they wrote to us, so the bot reaches them again
            data["person"] = person
            try:
                result = await handler(event, data)
            except Exception:
                await session.rollback()
                raise
            await session.commit()
            if self.after_commit is not None:
                self.after_commit()
            return result
