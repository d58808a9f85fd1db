"""People and invites: one-time deep links, joining, muting (all audited)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.types import Channel
from storage.actions import actor_of, audit
from storage.models import Agency, Invite, Person
from storage.scope import in_scope, scope_of

INVITE_TTL = timedelta(hours=72)
ROLES = ("official", "moderator", "lead", "admin")


class InviteError(StrEnum):
    BAD_ROLE = "bad_role"
    ROLE_FORBIDDEN = "role_forbidden"
    NEEDS_AGENCY = "needs_agency"
    UNKNOWN_AGENCY = "unknown_agency"
    AGENCY_OUT_OF_SCOPE = "agency_out_of_scope"


@dataclass(frozen=True, slots=True)
class NewInvite:
    code: str
    role: str
    agencies: list[str]
    expires_at: datetime


def may_invite(inviter: Person, role: str) -> bool:
    """Admins invite anyone; moderators bring in officials of their region only."""
    return inviter.role == "admin" or (inviter.role == "moderator" and role == "official")


async def create_invite(
    session: AsyncSession, inviter: Person, role: str, agency: str | None, now: datetime
) -> NewInvite | InviteError:
    if role not in ROLES:
        return InviteError.BAD_ROLE
    if not may_invite(inviter, role):
        return InviteError.ROLE_FORBIDDEN
    if role == "official" and agency is None:
        return InviteError.NEEDS_AGENCY
    if agency is not None and await session.get(Agency, agency) is None:
        return InviteError.UNKNOWN_AGENCY
    if agency is not None and not in_scope(await scope_of(session, inviter), agency):
        return InviteError.AGENCY_OUT_OF_SCOPE  # a regional moderator invites for their region
    code = secrets.token_urlsafe(12)
    agencies = [agency] if agency else []
    expires = now + INVITE_TTL
    session.add(
        Invite(
            code=code,
            role=role,
            agencies=agencies,
            created_by=inviter.id,
            created_at=now,
            expires_at=expires,
            region=inviter.region,
        )
    )
    audit(
        session,
        actor=actor_of(inviter),
        action="invite_created",
        now=now,
        after={"role": role, "agencies": agencies, "expires_at": expires.isoformat()},
    )
    return NewInvite(code, role, agencies, expires)


async def new_person_id(session: AsyncSession) -> int:
    """An id for a person who joins without Telegram: negative, below every id in use, so it
    never meets a Telegram user id (which people on Telegram keep as their id)."""
    lowest = await session.scalar(select(func.min(Person.id)))
    return min(int(lowest or 0), 0) - 1


async def redeem_invite(
    session: AsyncSession,
    code: str,
    user_id: int,
    name: str,
    now: datetime,
    channel: Channel = Channel.TELEGRAM,
) -> Person | None:
    """Turn a valid, unused, unexpired code into a person reachable on ``channel`` (the
    messenger the invite was opened in, ``user_id`` being the id there); anything else gives
    ``None``."""
    invite = await session.get(Invite, code[:64], with_for_update=True)
    if invite is None or invite.used_by is not None or invite.expires_at <= now:
        return None
    tz = "Europe/Moscow"
    if invite.agencies:
        agency = await session.get(Agency, invite.agencies[0])
        tz = agency.tz if agency else tz
    on_telegram = channel == Channel.TELEGRAM
    person = Person(
        id=user_id if on_telegram else await new_person_id(session),
        telegram_id=user_id if on_telegram else None,
        max_user_id=None if on_telegram else user_id,
        preferred_channel=channel.value,
        name=name,
        role=invite.role,
        tz=tz,
        agencies=list(invite.agencies),
        unreachable=False,
        region=invite.region,
        joined_at=now,
        invited_by=invite.created_by,
        active=True,
    )
    session.add(person)
    invite.used_by, invite.used_at = person.id, now
    audit(
        session,
        actor=actor_of(person),
        action="joined",
        now=now,
        after={
            "role": invite.role,
            "agencies": list(invite.agencies),
            "invited_by": invite.created_by,
        },
    )
    return person


async def mute(
    session: AsyncSession, person: Person, hours: float, now: datetime
) -> datetime | None:
    before = person.muted_until.isoformat() if person.muted_until else None
    person.muted_until = now + timedelta(hours=hours) if hours > 0 else None
    audit(
        session,
        actor=actor_of(person),
        action="mute",
        now=now,
        before={"muted_until": before},
        after={"muted_until": person.muted_until.isoformat() if person.muted_until else None},
    )
    return person.muted_until
