"""/start (with an invite code: joining) and /help: who you are here and what you can do."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.menus import commands_for, set_menu
from config.clock import Clock
from storage.models import Person
from storage.people import redeem_invite


def build_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
        bot: Bot,
    ) -> None:
        """Greets a known person; a stranger with a valid invite joins; others are refused."""
        role_name = texts.ROLE_NAMES.get(person.role, person.role) if person else ""
        if person is not None and person.active:
            if command.args:
                await message.answer(texts.ALREADY_JOINED.format(role=role_name))
                return
            await message.answer(
                texts.START_KNOWN.format(
                    name=person.name,
                    role=role_name,
                    help=texts.help_text(person.role, commands_for(person.role)),
                )
            )
            return
        code = (command.args or "").strip()
        user = message.from_user
        if not code or user is None or person is not None:
            await message.answer(texts.START_UNKNOWN)
            return
        joined = await redeem_invite(session, code, user.id, user.full_name, clock.now())
        if joined is None:
            await message.answer(texts.INVITE_INVALID)
            return
        await session.flush()
        await set_menu(bot, session, joined)
        await message.answer(
            texts.JOINED.format(
                name=joined.name,
                role=texts.ROLE_NAMES.get(joined.role, joined.role),
                help=texts.help_text(joined.role, commands_for(joined.role)),
            )
        )

    @router.message(Command("help"))
    async def help_(message: Message, person: Person | None) -> None:
        if person is None or not person.active:
            await message.answer(texts.START_UNKNOWN)
            return
        await message.answer(texts.help_text(person.role, commands_for(person.role)))

    return router
