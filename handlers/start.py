"""/start and /help: who you are here and what you can do."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot import texts
from storage.models import Person


def build_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(message: Message, person: Person | None) -> None:
        """Greets a registered person with their role's help; refuses strangers politely."""
        if person is None:
            await message.answer(texts.START_UNKNOWN)
            return
        await message.answer(
            texts.START_KNOWN.format(
                name=person.name,
                role=texts.ROLE_NAMES.get(person.role, person.role),
                help=texts.HELP.get(person.role, ""),
            )
        )

    @router.message(Command("help"))
    async def help_(message: Message, person: Person | None) -> None:
        if person is None:
            await message.answer(texts.START_UNKNOWN)
            return
        await message.answer(texts.HELP.get(person.role, ""))

    return router
