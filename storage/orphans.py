"""Complaints no official will hear of, and who hears of them instead (issue 11).

A complaint reaches a person through its agency's officials.  When the agency has no active
official, or every one of them is unreachable (blocked the bot, or never opened it: Telegram
answers 403 and the outbox marks them) or has muted the bot, nobody would know of it until
the SLA breach hours later.  Such a complaint goes at once to the moderators whose scope
(``storage.scope``) covers the agency, or with none to the admins, saying why.

Issue 12: an urgent complaint (gas, flooding, a threat to life) goes to the same moderators
at once too, beside its officials' alert (kind ``urgent``).  One that is urgent *and* reaches
no official makes one notice saying both, never two.

Callers: ingest (a new complaint), a reassignment (``storage.actions.reassign``) and the
outbox when an official turns out to be unreachable (:func:`after_unreachable`).  Everything
works in the caller's transaction; each (complaint, agency, cause, person) is told once, and
each person hears of a complaint's urgency once.
The notice's words come from ``bot.core.texts`` (a leaf module: no import cycle).
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

from bot.core import texts
from bot.core.render import excerpt, local_time, urgent_reasons_text, vk_comment_url
from storage.models import Agency, AuditEntry, Comment, Complaint, ComplaintStatus, Notification
from storage.models import Person as PersonRow
from storage.outbox import enqueue
from storage.scope import Scope, in_scope, scope_of

log = logging.getLogger(__name__)

#: Complaints someone still has to work on (what an unreachable official leaves behind).
WORKING = (ComplaintStatus.OPEN, ComplaintStatus.IN_WORK)
#: The notice's outbox kind: a text with the complaint's «№N» button (``bot/outbox.py``).
KIND = "orphan"
#: Issue 12: an urgent complaint told to the moderators (the same rendering).
URGENT_KIND = "urgent"
EXCERPT = 200


class Cause(StrEnum):
    NO_OFFICIAL = "no_official"  # the agency has no active official in the bot
    BLOCKED = "blocked"  # all of them blocked the bot or never opened it (Telegram 403)
    MUTED = "muted"  # the reachable ones all muted the bot


@dataclass(frozen=True, slots=True)
class OfficialState:
    person_id: int
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
            PersonRow.id,
            PersonRow.agencies,
            ~PersonRow.reachable,
            PersonRow.muted_until,
        )
        .where(PersonRow.role == "official", PersonRow.active.is_(True))
        .order_by(PersonRow.id)
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
    person_id: int
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
            PersonRow.reachable,
        )
        .order_by(PersonRow.id)
    )
    mods: list[Watcher] = []
    admins: list[Watcher] = []
    for p in rows.scalars():
        w = Watcher(p.id, p.tz or "Europe/Moscow", await scope_of(session, p))
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
    """A complaint told to moderators (or admins) at once: no official would hear of it
    (``cause``), or it is urgent (``urgent``; ``cause`` None when its officials were
    alerted), or both in one notice."""

    complaint_id: int
    agency_id: str
    cause: Cause | None
    chats: tuple[int, ...]
    urgent: bool = False


def log_routed(routed: Iterable[Routed]) -> None:
    """One INFO line per complaint (ids only)."""
    for r in routed:
        log.info(
            "complaint %s routed to %d moderator(s)/admin(s): agency %s, %s%s",
            r.complaint_id,
            len(r.chats),
            r.agency_id,
            r.cause.value if r.cause else "officials alerted",
            ", urgent" if r.urgent else "",
        )


def _url(c: Comment) -> str:
    return vk_comment_url(c.owner_id, c.post_id, c.comment_id, c.thread_id)


def _urgent_head(c: Complaint, tz: str) -> str:
    """«🔴 Срочно: why; answer by …, round the clock» for a moderator in zone ``tz``."""
    reasons = escape(urgent_reasons_text(c.urgent_reasons or []))
    due = local_time(c.due_at, tz) if c.due_at else texts.DUE_SHORT_NONE
    return texts.URGENT_HEAD.format(reasons=reasons, due=due)


async def route_unreached(
    session: AsyncSession,
    complaints: Sequence[Complaint],
    now: datetime,
    *,
    officials: dict[str, list[OfficialState]] | None = None,
) -> list[Routed]:
    """Tell the moderators (or admins) in charge about each of ``complaints`` whose agency
    no official hears from now, once per (complaint, agency, cause, person), and about each
    urgent one, once per (complaint, person): one notice when both; audited.
    ``officials``: already read by the caller (ingest reads them once per batch)."""
    if not complaints:
        return []
    agencies = {c.agency_id for c in complaints}
    if officials is None or not agencies <= officials.keys():
        officials = await officials_by_agency(session, agencies)
    causes = {a: unreached(officials.get(a, []), now) for a in agencies}
    orphans = [(c, u) for c in complaints if (u := causes[c.agency_id]) is not None or c.urgent]
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
    told: set[str] = set()
    told_urgent: set[tuple[int, int]] = set()  # (complaint, person) told it is urgent
    rows = await session.execute(
        select(
            Notification.dedupe_key,
            Notification.kind,
            Notification.complaint_id,
            Notification.chat_id,
            Notification.payload,
        ).where(Notification.complaint_id.in_(ids), Notification.kind.in_((KIND, URGENT_KIND)))
    )
    for key, kind, cid, chat, payload in rows.all():
        told.add(key)
        if kind == URGENT_KIND or (isinstance(payload, dict) and payload.get("urgent")):
            told_urgent.add((int(cid), int(chat)))
    routed: list[Routed] = []
    for c, u in orphans:
        comment = comments.get(c.comment_pk)
        agency = escape(names.get(c.agency_id, c.agency_id))
        text = escape(excerpt(comment.text if comment else "", EXCERPT))
        url = escape(_url(comment), quote=True) if comment else ""
        chats: list[int] = []
        urgent_told = False
        for w in watchers.for_agency(c.agency_id):
            urgent = c.urgent and (c.id, w.person_id) not in told_urgent
            key = f"{KIND}:{c.id}:{c.agency_id}:{u.cause.value}:{w.person_id}" if u else ""
            if u is not None and key not in told:
                # Nobody else hears of it: one notice, saying also why it is urgent.
                body = texts.ORPHAN_COMPLAINT.format(
                    id=c.id,
                    agency=agency,
                    reason=reason_text(u, agency, w.tz),
                    text=text,
                    url=url,
                )
                if c.urgent:
                    body = f"{_urgent_head(c, w.tz)}\n{body}"
                kind = KIND
            elif urgent:
                key = f"{URGENT_KIND}:{c.id}:{w.person_id}"
                body = texts.URGENT_COMPLAINT.format(
                    id=c.id,
                    agency=agency,
                    head=_urgent_head(c, w.tz),
                    text=text,
                    url=url,
                )
                kind = URGENT_KIND
            else:
                continue
            told.add(key)
            if urgent:
                told_urgent.add((c.id, w.person_id))
                urgent_told = True
            enqueue(
                session,
                key=key,
                chat_id=w.person_id,
                kind=kind,
                complaint_id=c.id,
                now=now,
                payload={"text": body, "urgent": c.urgent},
            )
            chats.append(w.person_id)
        if not chats:
            continue
        after: dict[str, object] = {"agency": c.agency_id, "to": chats}
        if u is not None:
            after["cause"] = u.cause.value
        if urgent_told:
            after["urgent"] = True
        session.add(
            AuditEntry(
                at=now,
                actor="system",
                action="routed_to_moderators" if u is not None else "urgent_to_moderators",
                complaint_id=c.id,
                before={},
                after=after,
            )
        )
        routed.append(Routed(c.id, c.agency_id, u.cause if u else None, tuple(chats), urgent_told))
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
