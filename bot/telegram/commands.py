"""Neutral features (``bot.core.handling``) served through aiogram routers.

Each feature keeps its own router, as before; the router only turns a Telegram message or
button press into a :class:`~bot.core.handling.Request` and the neutral replies into Bot API
calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.handling import CommandFn, Deps, Feature, Request, TextFn
from bot.core.types import Card, Channel
from bot.menus import set_menu
from bot.telegram.markup import inline_markup, link_preview
from storage.models import Person

#: Telegram shows at most this much of a callback answer.
TOAST_LIMIT = 200


class TelegramConversation:
    """Answers a Telegram message, or a button press, in its chat."""

    channel = Channel.TELEGRAM

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        user: User | None,
        query: CallbackQuery | None = None,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.user = user
        self.query = query
        self.answered = query is None  # a press must be answered once, or it spins

    @property
    def sender_id(self) -> int:
        return self.user.id if self.user is not None else self.chat_id

    @property
    def sender_name(self) -> str:
        return self.user.full_name if self.user is not None else ""

    async def reply(self, card: Card) -> str | None:
        markup = inline_markup(card.keyboard)
        media = card.media
        if media is None:
            sent = await self.bot.send_message(
                self.chat_id,
                card.html,
                reply_markup=markup,
                link_preview_options=link_preview(card),
            )
        elif media.kind == "image":
            photo = BufferedInputFile(media.data, filename=media.name)
            sent = await self.bot.send_photo(
                self.chat_id, photo, caption=card.html, reply_markup=markup
            )
        else:
            document = BufferedInputFile(media.data, filename=media.name)
            sent = await self.bot.send_document(
                self.chat_id, document, caption=card.html, reply_markup=markup
            )
        return str(sent.message_id)

    async def toast(self, text: str, *, alert: bool = False) -> None:
        if self.query is None:
            await self.reply(Card(text))
            return
        await self.query.answer(text[:TOAST_LIMIT], show_alert=alert)
        self.answered = True

    async def edit(self, card: Card) -> bool:
        message = self.query.message if self.query is not None else None
        if not isinstance(message, Message):
            return False
        try:
            await message.edit_text(card.html, reply_markup=inline_markup(card.keyboard))
        except TelegramBadRequest as exc:
            if "message is not modified" not in str(exc):
                return False
        return True

    async def invite_link(self, code: str) -> str:
        me = await self.bot.me()
        return f"https://t.me/{me.username}?start={code}"

    async def refresh_menu(self, session: AsyncSession, person: Person) -> None:
        await set_menu(self.bot, session, person)

    async def finish(self) -> None:
        """Stop the button's spinner if the handler said nothing."""
        if not self.answered and self.query is not None:
            with contextlib.suppress(TelegramBadRequest):
                await self.query.answer()


def _serve(fn: CommandFn) -> Callable[..., Awaitable[None]]:
    async def handle(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        deps: Deps,
        bot: Bot,
    ) -> None:
        convo = TelegramConversation(bot, message.chat.id, message.from_user)
        args = (command.args or "").strip()
        await fn(Request(convo, session, person, deps, command.command, args))

    return handle


def _serve_press(fn: CommandFn) -> Callable[..., Awaitable[None]]:
    async def handle(
        query: CallbackQuery,
        person: Person | None,
        session: AsyncSession,
        deps: Deps,
        bot: Bot,
    ) -> None:
        chat = query.message.chat.id if query.message is not None else query.from_user.id
        convo = TelegramConversation(bot, chat, query.from_user, query)
        try:
            await fn(Request(convo, session, person, deps, "", query.data or ""))
        finally:
            await convo.finish()

    return handle


def _serve_text(fn: TextFn) -> Callable[..., Awaitable[None]]:
    async def handle(
        message: Message,
        person: Person | None,
        session: AsyncSession,
        deps: Deps,
        bot: Bot,
    ) -> None:
        convo = TelegramConversation(bot, message.chat.id, message.from_user)
        if not await fn(Request(convo, session, person, deps, "", message.text or "")):
            raise SkipHandler  # not for this feature: the next router looks at it

    return handle


def feature_router(feature: Feature) -> Router:
    """One aiogram router for one feature's commands and buttons."""
    router = Router(name=feature.name)
    for name, fn in feature.commands.items():
        router.message(Command(name))(_serve(fn))
    for prefix, fn in feature.buttons.items():
        router.callback_query(F.data.startswith(f"{prefix}:"))(_serve_press(fn))
    for take in feature.texts:
        router.message(F.text, ~F.text.startswith("/"))(_serve_text(take))
    return router
