"""Last router: whatever nobody else handled gets a short, safe answer."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.core import texts
from storage.models import Person


def build_router() -> Router:
    router = Router(name="fallback")

    @router.callback_query(F.data)
    async def unknown_button(query: CallbackQuery, **_: Any) -> None:
        """Forged or outdated data that no typed filter accepts: say so, change nothing."""
        await query.answer(texts.CB_UNKNOWN, show_alert=True)

    @router.message()
    async def anything_else(message: Message, person: Person | None) -> None:
        """Strangers get the polite refusal; known people a pointer to /help."""
        if person is None or not person.active:
            await message.answer(texts.START_UNKNOWN)
        else:
            await message.answer(texts.UNKNOWN_COMMAND)

    return router
