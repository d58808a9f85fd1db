"""Small helpers every command handler shares: the role gate and argument parsing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram.types import Message

from bot import texts
from bot.menus import commands_for
from storage.models import Person


@dataclass(frozen=True, slots=True)
class ResolvedPage:
    """A VK community found by a link or a screen name."""

    group_id: int
    name: str
    screen_name: str | None


class PageResolveError(Exception):
    """VK could not be asked (network, token, quota): a retry later may work."""


#: ``/addpage`` gets this through workflow data (``page_resolver``), so tests use the fake VK.
PageResolver = Callable[[str], Awaitable[ResolvedPage | None]]


async def gate(message: Message, person: Person | None, command: str) -> Person | None:
    """The person if their role has ``command`` in its menu; otherwise say why and ``None``.

    The menu and the rights are one list (``bot.menus.ROLE_COMMANDS``), so what a person sees
    is exactly what they may run."""
    if person is None or not person.active:
        await message.answer(texts.START_UNKNOWN)
        return None
    if command not in commands_for(person.role):
        await message.answer(texts.NOT_ALLOWED)
        return None
    return person


#: Ids are 32-bit columns (PostgreSQL ``integer``); group ids are 64-bit.
MAX_ID = 2**31 - 1
MAX_GROUP_ID = 2**63 - 1


def parse_id(text: str, limit: int = MAX_ID) -> int | None:
    """A non-negative id typed or forged by a user, or None.

    ``str.isdigit`` alone is not enough: it accepts «²» and other Unicode digits that
    ``int()`` rejects, and an id past the column's range makes the database raise."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if value <= limit else None


def parse_complaint_id(args: str | None) -> tuple[int | None, str | None]:
    """``"12 note"`` → (12, "note"); ``"№12"`` works too; anything else → (None, None)."""
    parts = (args or "").split(maxsplit=1)
    if not parts:
        return None, None
    head = parse_id(parts[0].lstrip("№#"))
    if head is None:
        return None, None
    return head, (parts[1].strip() if len(parts) > 1 else None) or None
