"""Small helpers every handler shares: the role gate, argument parsing and the replies that
several commands and buttons give alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape

from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.menus import commands_for
from bot.render import local_time
from storage.actions import ActionResult, Outcome
from storage.models import Agency, Complaint, Person
from storage.people import InviteError
from storage.scope import scope_of, scoped_agencies


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


# ---- shared by the command and button handlers ----------------------------------------------


async def complaint_args(
    message: Message, command: CommandObject, person: Person | None
) -> tuple[Person, int, str | None] | None:
    """``/<command> <id> [text]``, gated: (person, id, text), or None once the person has
    been told why not (no access, or no number where the id should be)."""
    if (who := await gate(message, person, command.command)) is None:
        return None
    complaint_id, rest = parse_complaint_id(command.args)
    if complaint_id is None:
        await message.answer(texts.BAD_COMPLAINT_ID.format(example=f"/{command.command} 12"))
        return None
    return who, complaint_id, rest


async def button_person(query: CallbackQuery, person: Person | None) -> Person | None:
    """The active person pressing a button, or None once a stranger has been refused."""
    if person is None or not person.active:
        await query.answer(texts.START_UNKNOWN[:200], show_alert=True)
        return None
    return person


def button_message(query: CallbackQuery) -> Message | None:
    """The message the button is on (None when Telegram no longer has it)."""
    return query.message if isinstance(query.message, Message) else None


def not_found_text(person: Person | None, complaint_id: int) -> str:
    """A regional person hears that the number is not among their region's complaints."""
    if person is not None and person.region and person.role != "official":
        return texts.NO_SUCH_COMPLAINT_IN_REGION.format(
            id=complaint_id, region=escape(person.region)
        )
    return texts.NO_SUCH_COMPLAINT.format(id=complaint_id)


def outcome_text(
    result: ActionResult, complaint_id: int, done: str, person: Person | None = None
) -> str:
    """One phrasing of every outcome, for commands and (shortened) for buttons."""
    status = texts.STATUS_NAMES.get(result.status or "", result.status or "")
    phrases = {
        Outcome.NOT_FOUND: not_found_text(person, complaint_id),
        Outcome.FORBIDDEN: texts.CB_FORBIDDEN.format(id=complaint_id),
        Outcome.ALREADY_CLOSED: texts.ALREADY_CLOSED.format(id=complaint_id, status=status),
        Outcome.UNCHANGED: texts.CB_UNCHANGED.format(id=complaint_id, status=status),
        Outcome.NOT_CLOSED: texts.NOT_CLOSED.format(id=complaint_id, status=status),
        Outcome.ALREADY_WAITING: texts.ALREADY_WAITING.format(id=complaint_id),
        Outcome.NOT_WAITING: texts.NOT_WAITING.format(id=complaint_id),
    }
    return phrases.get(result.outcome, done)


async def deadline_reply(
    session: AsyncSession, result: ActionResult, complaint_id: int, who: Person, done: str
) -> str:
    """The outcome of an action that sets a deadline (reopen, resume): when it went ahead,
    ``done`` names the new deadline in the reader's zone."""
    if result.outcome is not Outcome.DONE:
        return outcome_text(result, complaint_id, "", who)
    complaint = await session.get(Complaint, complaint_id)
    assert complaint is not None and complaint.due_at is not None
    return done.format(id=complaint_id, due=local_time(complaint.due_at, who.tz))


async def agency_choices(
    session: AsyncSession, person: Person | None = None
) -> list[tuple[str, str]]:
    """(id, name) of the agencies, by name; only those ``person`` sees when given."""
    rows = await session.execute(select(Agency.id, Agency.name).order_by(Agency.name))
    choices = [(a, n) for a, n in rows.all()]
    if person is None:
        return choices
    return scoped_agencies(await scope_of(session, person), choices)


def agency_refusal(
    outcome: Outcome | InviteError, agency: str, known: list[tuple[str, str]]
) -> str:
    """Why an agency typed in a command cannot be used: unknown, or outside the region."""
    names = escape(", ".join(a for a, _ in known))
    if outcome in (Outcome.AGENCY_OUT_OF_SCOPE, InviteError.AGENCY_OUT_OF_SCOPE):
        return texts.AGENCY_OUT_OF_SCOPE.format(agency=escape(agency), known=names)
    return texts.UNKNOWN_AGENCY.format(agency=escape(agency), known=names)
