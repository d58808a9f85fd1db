"""Complaints no official will hear of, and who hears of them instead (issue 11).

A complaint reaches a person through its agency's officials.  When the agency has no active
official, or every one of them is unreachable (blocked the bot, or never opened it: Telegram
answers 403 and the outbox marks them) or has muted the bot, nobody would know of it until
the SLA breach hours later.  Such a complaint goes at once to the moderators whose scope
(``storage.scope``) covers the agency, or with none to the admins, saying why.

Callers: ingest (a new complaint), a reassignment (``storage.actions.reassign``) and the
outbox when an official turns out to be unreachable (:func:`after_unreachable`).  Everything
works in the caller's transaction; each (complaint, agency, cause, person) is told once.
The notice's words come from ``bot.texts`` (a leaf module: no import cycle).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.render import excerpt, vk_comment_url
from storage.models import Agency, AuditEntry, Comment, Complaint, ComplaintStatus, Notification
from storage.models import Person as PersonRow
from storage.outbox import enqueue
from storage.scope import Scope, in_scope, scope_of

log = logging.getLogger(__name__)

#: Complaints someone still has to work on (what an unreachable official leaves behind).
WORKING = (ComplaintStatus.OPEN, ComplaintStatus.IN_WORK)
#: The notice's outbox kind: a text with the complaint's «№N» button (``bot/outbox.py``).
KIND = "orphan"
EXCERPT = 200


class Cause(StrEnum):
    NO_OFFICIAL = "no_official"  # the agency has no active official in the bot
    BLOCKED = "blocked"  # all of them blocked the bot or never opened it (Telegram 403)
    MUTED = "muted"  # the reachable ones all muted the bot


@dataclass(frozen=True, slots=True)
class OfficialState:
    telegram_id: int
    unreachable: bool
    muted_until: datetime | None


@dataclass(frozen=True, slots=True)
class Unreached:
    """Why an agency's complaints reach no official now."""

    cause: Cause
    count: int  # officials concerned (the reason's plural)
    until: datetime | None = None  # MUTED: the earliest end of a mute


def unreached(officials: Sequence[OfficialState], now: datetime) -> Unreached | None:
    """None when at least one official gets the agency's alerts now."""
    if not officials:
        return Unreached(Cause.NO_OFFICIAL, 0)
    reachable = [o for o in officials if not o.unreachable]
    if not reachable:
        return Unreached(Cause.BLOCKED, len(officials))
    mutes = [o.muted_until for o in reachable if o.muted_until is not None]
    if len(mutes) < len(reachable) or min(mutes) <= now:
        return None
    return Unreached(Cause.MUTED, len(reachable), min(mutes))


async def officials_by_agency(
    session: AsyncSession, agencies: Iterable[str] | None = None
) -> dict[str, list[OfficialState]]:
    """Active officials of each agency (all agencies with ``None``), one query."""
    wanted = None if agencies is None else set(agencies)
    rows = await session.execute(
        select(
            PersonRow.telegram_id,
            PersonRow.agencies,
            PersonRow.unreachable,
            PersonRow.muted_until,
        )
        .where(PersonRow.role == "official", PersonRow.active.is_(True))
        .order_by(PersonRow.telegram_id)
    )
    out: dict[str, list[OfficialState]] = {a: [] for a in wanted or ()}
    for tid, theirs, blocked, muted in rows.all():
        for agency in theirs or []:
            if wanted is None or agency in wanted:
                out.setdefault(agency, []).append(OfficialState(int(tid), bool(blocked), muted))
    return out


async def unreached_agencies(session: AsyncSession, now: datetime) -> dict[str, Unreached]:
    """Every agency whose complaints reach no official now (``/status``, ``otklik check``)."""
    agencies = list((await session.execute(select(Agency.id).order_by(Agency.id))).scalars())
    officials = await officials_by_agency(session, agencies)
    found = {a: unreached(officials.get(a, []), now) for a in agencies}
    return {a: u for a, u in found.items() if u is not None}


@dataclass(frozen=True, slots=True)
class Watcher:
    telegram_id: int
    tz: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class Watchers:
    """Reachable moderators and admins with their scopes, read once per call."""

    moderators: list[Watcher]
    admins: list[Watcher]

    def for_agency(self, agency_id: str) -> list[Watcher]:
        """The moderators in charge of the agency; with none, the admins in charge; with
        none either, every admin (better someone than no one)."""
        for people in (self.moderators, self.admins):
            found = [w for w in people if in_scope(w.scope, agency_id)]
            if found:
                return found
        return list(self.admins)


async def load_watchers(session: AsyncSession) -> Watchers:
    rows = await session.execute(
        select(PersonRow)
        .where(
            PersonRow.role.in_(("moderator", "admin")),
            PersonRow.active.is_(True),
            PersonRow.unreachable.is_(False),
        )
        .order_by(PersonRow.telegram_id)
    )
    mods: list[Watcher] = []
    admins: list[Watcher] = []
    for p in rows.scalars():
        w = Watcher(p.telegram_id, p.tz or "Europe/Moscow", await scope_of(session, p))
        (mods if p.role == "moderator" else admins).append(w)
    return Watchers(mods, admins)


def reason_text(u: Unreached, agency: str, tz: str) -> str:
    """Why nobody hears of it, in Russian (``agency`` already escaped)."""
    many = u.count > 1
    if u.cause is Cause.NO_OFFICIAL:
        return texts.ORPHAN_NO_OFFICIAL.format(agency=agency)
    if u.cause is Cause.BLOCKED:
        tpl = texts.ORPHAN_BLOCKED_MANY if many else texts.ORPHAN_BLOCKED
        return tpl.format(agency=agency)
    assert u.until is not None
    until = u.until.astimezone(ZoneInfo(tz)).strftime("%d.%m %H:%M")
    tpl = texts.ORPHAN_MUTED_MANY if many else texts.ORPHAN_MUTED
    return tpl.format(agency=agency, until=until)


@dataclass(frozen=True, slots=True)
class Routed:
    """A complaint told to moderators (or admins) because no official would hear of it."""

    complaint_id: int
    agency_id: str
    cause: Cause
    chats: tuple[int, ...]


def log_routed(routed: Iterable[Routed]) -> None:
    """One INFO line per complaint (ids only)."""
    for r in routed:
        log.info(
            "complaint %s routed to %d moderator(s)/admin(s): agency %s, %s",
            r.complaint_id,
            len(r.chats),
            r.agency_id,
            r.cause.value,
        )


def _url(c: Comment) -> str:
    return vk_comment_url(c.owner_id, c.post_id, c.comment_id, c.thread_id)


async def route_unreached(
    session: AsyncSession,
    complaints: Sequence[Complaint],
    now: datetime,
    *,
    officials: dict[str, list[OfficialState]] | None = None,
) -> list[Routed]:
    """Tell the moderators (or admins) in charge about each of ``complaints`` whose agency
    no official hears from now, once per (complaint, agency, cause, person); audited.
    ``officials``: already read by the caller (ingest reads them once per batch)."""
    if not complaints:
        return []
    agencies = {c.agency_id for c in complaints}
    if officials is None or not agencies <= officials.keys():
        officials = await officials_by_agency(session, agencies)
    causes = {a: unreached(officials.get(a, []), now) for a in agencies}
    orphans = [(c, u) for c in complaints if (u := causes[c.agency_id]) is not None]
    if not orphans:
        return []
    watchers = await load_watchers(session)
    ids = [c.id for c, _ in orphans]
    comments = {
        cm.id: cm
        for cm in (
            await session.execute(
                select(Comment).where(Comment.id.in_([c.comment_pk for c, _ in orphans]))
            )
        ).scalars()
    }
    names = dict((await session.execute(select(Agency.id, Agency.name))).all())
    told = set(
        (
            await session.execute(
                select(Notification.dedupe_key).where(
                    Notification.complaint_id.in_(ids), Notification.kind == KIND
                )
            )
        ).scalars()
    )
    routed: list[Routed] = []
    for c, u in orphans:
        comment = comments.get(c.comment_pk)
        agency = escape(names.get(c.agency_id, c.agency_id))
        chats: list[int] = []
        for w in watchers.for_agency(c.agency_id):
            key = f"{KIND}:{c.id}:{c.agency_id}:{u.cause.value}:{w.telegram_id}"
            if key in told:
                continue
            told.add(key)
            body = texts.ORPHAN_COMPLAINT.format(
                id=c.id,
                agency=agency,
                reason=reason_text(u, agency, w.tz),
                text=escape(excerpt(comment.text if comment else "", EXCERPT)),
                url=escape(_url(comment), quote=True) if comment else "",
            )
            enqueue(
                session,
                key=key,
                chat_id=w.telegram_id,
                kind=KIND,
                complaint_id=c.id,
                now=now,
                payload={"text": body},
            )
            chats.append(w.telegram_id)
        if not chats:
            continue
        session.add(
            AuditEntry(
                at=now,
                actor="system",
                action="routed_to_moderators",
                complaint_id=c.id,
                before={},
                after={"agency": c.agency_id, "cause": u.cause.value, "to": chats},
            )
        )
        routed.append(Routed(c.id, c.agency_id, u.cause, tuple(chats)))
    return routed


async def after_unreachable(session: AsyncSession, person: PersonRow, now: datetime) -> int:
    """An official just turned out to be unreachable (the outbox got 403, before this
    commits): the open complaints of their agencies that no official hears from now go to
    the moderators.  Returns how many were routed."""
    if person.role != "official" or not person.agencies:
        return 0
    await session.flush()  # the caller's ``unreachable`` mark counts in the look-up
    officials = await officials_by_agency(session, person.agencies)
    orphaned = [a for a, states in officials.items() if unreached(states, now) is not None]
    if not orphaned:
        return 0
    complaints = list(
        (
            await session.execute(
                select(Complaint)
                .where(Complaint.agency_id.in_(orphaned), Complaint.status.in_(WORKING))
                .order_by(Complaint.id)
            )
        ).scalars()
    )
    routed = await route_unreached(session, complaints, now, officials=officials)
    log_routed(routed)
    return len(routed)
