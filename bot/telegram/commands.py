"""Neutral commands (``bot.core.handling``) served through aiogram routers.

Each feature keeps its own router, as before; the router only turns a Telegram message into a
:class:`~bot.core.handling.Request` and the neutral replies into Bot API calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.handling import CommandFn, Deps, Feature, Request
from bot.core.types import Card, Channel, Keyboard
from bot.menus import set_menu
from storage.models import Person


def inline_markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """A neutral keyboard as Telegram inline buttons."""
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.payload, url=b.url) for b in row]
            for row in keyboard.rows
        ]
    )


class TelegramConversation:
    """Answers a Telegram message in its chat."""

    channel = Channel.TELEGRAM

    def __init__(self, message: Message, bot: Bot) -> None:
        self.message = message
        self.bot = bot

    @property
    def sender_id(self) -> int:
        user = self.message.from_user
        return user.id if user is not None else self.message.chat.id

    @property
    def sender_name(self) -> str:
        user = self.message.from_user
        return user.full_name if user is not None else ""

    async def reply(self, card: Card) -> None:
        markup = inline_markup(card.keyboard)
        media = card.media
        if media is None:
            preview = None if card.link_preview else LinkPreviewOptions(is_disabled=True)
            await self.message.answer(card.html, reply_markup=markup, link_preview_options=preview)
        elif media.kind == "image":
            photo = BufferedInputFile(media.data, filename=media.name)
            await self.message.answer_photo(photo, caption=card.html, reply_markup=markup)
        else:
            document = BufferedInputFile(media.data, filename=media.name)
            await self.message.answer_document(document, caption=card.html, reply_markup=markup)

    async def refresh_menu(self, session: AsyncSession, person: Person) -> None:
        await set_menu(self.bot, session, person)


def _serve(fn: CommandFn) -> Callable[..., Awaitable[None]]:
    async def handle(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        deps: Deps,
        bot: Bot,
    ) -> None:
        convo = TelegramConversation(message, bot)
        await fn(
            Request(convo, session, person, deps, command.command, (command.args or "").strip())
        )

    return handle


def feature_router(feature: Feature) -> Router:
    """One aiogram router for one feature's commands."""
    router = Router(name=feature.name)
    for name, fn in feature.commands.items():
        router.message(Command(name))(_serve(fn))
    return router
