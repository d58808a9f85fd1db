"""Per-role command menus: each person's chat scope shows only the commands they may use.

Telegram resolves a private chat's menu as chat scope, then all private chats, then default.
Strangers see the default scope, which holds only /start; every known person gets a chat
scope with their role's list.  The menu last set for a chat is remembered in ``kv`` so a
restart does not re-send hundreds of unchanged menus.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import texts
from storage.models import KeyValue, Person

log = logging.getLogger(__name__)

_LISTS = ["my", "open", "overdue", "complaint"]
_WAIT = ["wait", "resume"]  # waiting on the resident: the official's and the centre's
_MODERATION = ["resolve", "dismiss", "assign", "reopen", "stats", "pages"]
_REPORTS = ["digest", "report", "export"]  # issue 6: handlers/reports.py
_ANSWER = ["answer", "publish", "templates"]  # issue 15: handlers/answers.py
ROLE_COMMANDS: dict[str, list[str]] = {
    "official": [*_LISTS, *_WAIT, *_ANSWER, "stats", "mute", "help"],
    "moderator": [
        *_LISTS,
        *_WAIT,
        *_ANSWER,
        *_MODERATION,
        *_REPORTS,
        "users",
        "invite",
        "status",
        "mute",
        "help",
    ],
    "lead": ["open", "overdue", "complaint", "stats", "digest", "report", "pages", "mute", "help"],
    "admin": [
        *_LISTS,
        *_WAIT,
        *_ANSWER,
        *_MODERATION,
        *_REPORTS,
        "addpage",
        "users",
        "invite",
        "status",
        "mute",
        "help",
    ],
}
DEFAULT_COMMANDS = ["start"]


def commands_for(role: str) -> list[str]:
    return ROLE_COMMANDS.get(role, ["help"])


def roles_with(command: str) -> list[str]:
    """The roles whose menu has ``command`` (the refusal says who can do it, issue 14)."""
    return [role for role, names in ROLE_COMMANDS.items() if command in names]


def _bot_commands(names: list[str]) -> list[BotCommand]:
    return [BotCommand(command=n, description=texts.COMMAND_DESCRIPTIONS.get(n, n)) for n in names]


async def set_default_menu(bot: Bot) -> None:
    await bot.set_my_commands(_bot_commands(DEFAULT_COMMANDS), scope=BotCommandScopeDefault())


async def set_menu(bot: Bot, session: AsyncSession, person: Person) -> None:
    """Show ``person`` their role's menu (skipped when the same menu is already set)."""
    if person.telegram_id is None:
        return  # not on Telegram: nothing to show there
    names = commands_for(person.role) if person.active else []
    key = f"menu:{person.telegram_id}"
    stored = await session.get(KeyValue, key)
    if stored is not None and stored.value.get("commands") == names:
        return
    try:
        if names:
            await bot.set_my_commands(
                _bot_commands(names), scope=BotCommandScopeChat(chat_id=person.telegram_id)
            )
        else:
            await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=person.telegram_id))
    except TelegramAPIError as exc:
        log.warning("menu for %s not set: %s", person.telegram_id, exc)
        return
    if stored is None:
        session.add(KeyValue(key=key, value={"commands": names}))
    else:
        stored.value = {"commands": names}


async def sync_menus(bot: Bot, session: AsyncSession) -> None:
    """At start: the default menu for strangers and each person's own."""
    await set_default_menu(bot)
    for person in (await session.execute(select(Person))).scalars():
        await set_menu(bot, session, person)
