"""Small helpers every handler shares: the role gate, argument parsing and the replies that
several commands and buttons give alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import texts
from bot.core.handling import Request
from bot.core.render import local_time
from bot.menus import commands_for, roles_with
from matcher.topics import TOPIC_LABELS, Topic
from storage.actions import OFFICIAL_ACTIONS, ActionResult, Outcome
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


async def allowed(req: Request, command: str) -> Person | None:
    """The person if their role has ``command`` in its menu; otherwise say why and ``None``.

    The menu and the rights are one list (``bot.menus.ROLE_COMMANDS``), so what a person sees
    is exactly what they may run."""
    person = req.person
    if person is None or not person.active:
        await req.reply(texts.START_UNKNOWN)
        return None
    if command not in commands_for(person.role):
        await req.reply(not_allowed_text(command))
        return None
    return person


def ru_join(items: list[str]) -> str:
    """«a», «a и b», «a, b и c»."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} и {items[-1]}"


def not_allowed_text(command: str) -> str:
    """What was refused and who can do it: «Команда /export (выгрузка жалоб …) вам
    недоступна: её выполняют модераторы ЦУР и администраторы.»"""
    roles = [texts.ROLE_NAMES_PLURAL.get(r, r) for r in roles_with(command)]
    if not roles:
        return texts.NOT_ALLOWED_NOBODY.format(command=command)
    return texts.NOT_ALLOWED_WHO.format(
        command=command,
        what=texts.COMMAND_DESCRIPTIONS.get(command, command).split(":")[0],
        roles=ru_join(roles),
    )


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


#: Words a person may type for a period (``/stats``), lower case; numbers mean days.
PERIOD_WORDS = {
    "неделя": 7,
    "неделю": 7,
    "нед": 7,
    "week": 7,
    "месяц": 30,
    "мес": 30,
    "month": 30,
    "день": 1,
    "сутки": 1,
    "вчера": 1,
}
_DAY_UNITS = ("d", "д", "дн", "дня", "дней", "день", "days", "day")
MAX_PERIOD_DAYS = 366


def parse_days(text: str | None, default: int = 7) -> int | None:
    """A period as people type it: ``7``, ``7d``, ``7 дней``, ``30д``, ``неделя``, ``месяц``,
    ``2 недели``; None if it is none of these or out of 1–366 days."""
    raw = " ".join((text or "").lower().replace("ё", "е").split())
    if not raw:
        return default
    if raw in PERIOD_WORDS:
        return PERIOD_WORDS[raw]
    number = raw.rstrip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяabcdefghijklmnopqrstuvwxyz. ")
    unit = raw[len(number) :].strip(" .")
    value = parse_id(number.strip())
    if value is None:
        return None
    if unit.startswith("нед") or unit.startswith("week"):
        value *= 7
    elif unit.startswith("мес") or unit.startswith("month"):
        value *= 30
    elif unit and unit not in _DAY_UNITS:
        return None
    return value if 1 <= value <= MAX_PERIOD_DAYS else None


# ---- shared by the command and button handlers ----------------------------------------------


async def request_complaint_args(req: Request) -> tuple[Person, int, str | None] | None:
    """``/<command> <id> [text]``, gated: (person, id, text), or None once the person has
    been told why not (no access, or no number where the id should be)."""
    if (who := await allowed(req, req.command)) is None:
        return None
    complaint_id, rest = parse_complaint_id(req.args)
    if complaint_id is None:
        await req.reply(texts.BAD_COMPLAINT_ID.format(example=f"/{req.command} 12"))
        return None
    return who, complaint_id, rest


async def pressing_person(req: Request) -> Person | None:
    """The active person pressing a button, or None once a stranger has been refused."""
    person = req.person
    if person is None or not person.active:
        await req.convo.toast(texts.START_UNKNOWN, alert=True)
        return None
    return person


def not_found_text(person: Person | None, complaint_id: int) -> str:
    """There is no complaint with this number (whoever asks)."""
    return texts.NO_SUCH_COMPLAINT.format(id=complaint_id)


async def out_of_scope_text(session: AsyncSession, person: Person, complaint_id: int) -> str:
    """The complaint exists, but not among those the person sees (``storage.scope``): a
    regional person hears it is not of their region, anyone else which agencies are theirs.
    Distinct from «не найдена» (issue 14), and naming nothing of the complaint itself."""
    if person.region and person.role != "official":
        return texts.NO_SUCH_COMPLAINT_IN_REGION.format(
            id=complaint_id, region=escape(person.region)
        )
    mine = [name for _, name in await agency_choices(session, person)]
    return texts.OUT_OF_SCOPE_AGENCIES.format(
        id=complaint_id, agencies=escape(", ".join(mine) or texts.DIGEST_NONE)
    )


async def missing_text(session: AsyncSession, person: Person, complaint_id: int) -> str:
    """Why a complaint cannot be shown: it does not exist, or it is not in the scope."""
    if await session.get(Complaint, complaint_id) is None:
        return not_found_text(person, complaint_id)
    return await out_of_scope_text(session, person, complaint_id)


def forbidden_text(complaint_id: int, action: str | None) -> str:
    """Who may do what was refused: «Жалоба №3: Закрывать жалобу как решённую могут
    модераторы ЦУР и администраторы.»"""
    if action is None or action not in texts.ACTION_NAMES:
        return texts.CB_FORBIDDEN.format(id=complaint_id)
    roles = []
    if action in OFFICIAL_ACTIONS:
        roles.append(texts.FORBIDDEN_OFFICIALS)
    roles += [texts.ROLE_NAMES_PLURAL[r] for r in ("moderator", "admin")]
    return texts.FORBIDDEN_WHO.format(
        id=complaint_id, action=texts.ACTION_NAMES[action], roles=ru_join(roles)
    )


async def outcome_text(
    session: AsyncSession,
    result: ActionResult,
    complaint_id: int,
    done: str,
    person: Person | None = None,
    action: str | None = None,
) -> str:
    """One phrasing of every outcome, for commands and (shortened) for buttons; ``action``
    (``storage.actions.Action``) names who could have done it when it was refused."""
    if result.outcome is Outcome.NOT_FOUND and person is not None:
        return await missing_text(session, person, complaint_id)
    status = texts.STATUS_NAMES.get(result.status or "", result.status or "")
    phrases = {
        Outcome.NOT_FOUND: not_found_text(person, complaint_id),
        Outcome.FORBIDDEN: forbidden_text(complaint_id, action),
        Outcome.ALREADY_CLOSED: texts.ALREADY_CLOSED.format(id=complaint_id, status=status),
        Outcome.UNCHANGED: texts.CB_UNCHANGED.format(id=complaint_id, status=status),
        Outcome.NOT_CLOSED: texts.NOT_CLOSED.format(id=complaint_id, status=status),
        Outcome.ALREADY_WAITING: texts.ALREADY_WAITING.format(id=complaint_id),
        Outcome.NOT_WAITING: texts.NOT_WAITING.format(id=complaint_id),
    }
    return phrases.get(result.outcome, done)


async def deadline_reply(
    session: AsyncSession,
    result: ActionResult,
    complaint_id: int,
    who: Person,
    done: str,
    action: str | None = None,
) -> str:
    """The outcome of an action that sets a deadline (reopen, resume): when it went ahead,
    ``done`` names the new deadline in the reader's zone."""
    if result.outcome is not Outcome.DONE:
        return await outcome_text(session, result, complaint_id, "", who, action)
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
    """Why an agency typed in a command cannot be used: unknown, or outside the region; the
    agencies that can be named, by name."""
    names = escape(", ".join(n for _, n in known))
    if outcome in (Outcome.AGENCY_OUT_OF_SCOPE, InviteError.AGENCY_OUT_OF_SCOPE):
        return texts.AGENCY_OUT_OF_SCOPE.format(agency=escape(agency), known=names)
    return texts.UNKNOWN_AGENCY.format(agency=escape(agency), known=names)


# ---- Russian input: topics, roles, agencies (issue 14) --------------------------------------


def _norm(text: str) -> str:
    """Lower case, «ё» as «е», quotes and extra spaces gone: how typed names are compared."""
    for quote in "«»\"'„“”":
        text = text.replace(quote, "")
    return " ".join(text.lower().replace("ё", "е").split())


def _stem(word: str) -> str:
    return word[:5] if len(word) >= 5 else word


def parse_topic(text: str) -> Topic | None:
    """A topic as people type it: its Russian name in any case or form («дороги», «дорога»,
    «жкх», «снег»), or the code (``roads``)."""
    typed = _norm(text)
    if typed in Topic.__members__.values():
        return Topic(typed)
    for topic, label in TOPIC_LABELS.items():
        words = [w for w in _norm(label).split() if w != "и"]
        if typed == _norm(label) or any(
            typed == w or (len(typed) >= 4 and _stem(typed) == _stem(w)) for w in words
        ):
            return topic
    return None


def topic_names() -> str:
    """The topics as a person types them, for refusals: «дороги, жкх, …»."""
    return ", ".join(label.lower() for label in TOPIC_LABELS.values())


#: Role words a person may type (Russian and the codes), lower case.
ROLE_WORDS = {
    "исполнитель": "official",
    "исполнителя": "official",
    "official": "official",
    "модератор": "moderator",
    "модератора": "moderator",
    "модератор цур": "moderator",
    "moderator": "moderator",
    "руководитель": "lead",
    "руководителя": "lead",
    "lead": "lead",
    "администратор": "admin",
    "администратора": "admin",
    "админ": "admin",
    "admin": "admin",
}


def parse_role(text: str) -> str | None:
    """``модератор`` / ``moderator`` → ``moderator``; None when it is no role."""
    return ROLE_WORDS.get(_norm(text))


def role_names() -> str:
    """The roles as a person types them: «исполнитель, модератор, …»."""
    return ", ".join(("исполнитель", "модератор", "руководитель", "администратор"))


@dataclass(frozen=True, slots=True)
class AgencyMatch:
    """An agency typed by a person: found (``agency_id``), several fit, or none."""

    agency_id: str | None
    matches: tuple[str, ...] = ()  # names, when several fit


def match_agency(typed: str, agencies: list[tuple[str, str]]) -> AgencyMatch:
    """An agency by its code, its name in any case, or a unique part of its name
    («водоканал» → «МУП «Примерскводоканал»»)."""
    want = _norm(typed)
    if not want:
        return AgencyMatch(None)
    for agency_id, name in agencies:
        if want == agency_id.lower() or want == _norm(name):
            return AgencyMatch(agency_id)
    found = [(a, n) for a, n in agencies if want in _norm(n)]
    if len(found) == 1:
        return AgencyMatch(found[0][0])
    return AgencyMatch(None, tuple(n for _, n in found))


async def resolve_agency(session: AsyncSession, typed: str) -> tuple[str, str | None]:
    """(what to pass on, a refusal or None): the agency's code when it is found among all
    agencies (scope is the action's own check, which says «не из вашего региона»); the typed
    text and a refusal when several fit."""
    match = match_agency(typed, await agency_choices(session))
    if match.agency_id is not None:
        return match.agency_id, None
    if match.matches:
        refusal = texts.AMBIGUOUS_AGENCY.format(
            agency=escape(typed), matches=escape(", ".join(match.matches))
        )
        return typed, refusal
    return typed, None
