"""Whose complaints a person sees: the one rule every list, action, figure and report uses.

* An official sees the complaints of their agencies.
* Anyone else sees every agency, narrowed to the agencies listed for them (a lead of one
  department) and to the agencies of their region (a regional centre's moderator).  A person
  with neither sees the whole installation.

A scope is a set of agency ids, or ``None`` for "every agency": an agency added later is then
seen without anyone touching the person.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agency, Complaint, Person

Scope = frozenset[str] | None


async def scope_of(session: AsyncSession, person: Person) -> Scope:
    """The agencies ``person`` sees (``None``: all of them)."""
    listed = frozenset(person.agencies or [])
    if person.role == "official":
        return listed
    scope: Scope = listed or None
    if person.region:
        rows = await session.execute(select(Agency.id).where(Agency.region == person.region))
        in_region = frozenset(rows.scalars())
        scope = in_region if scope is None else scope & in_region
    return scope


def in_scope(scope: Scope, agency_id: str) -> bool:
    return scope is None or agency_id in scope


def complaint_filter(scope: Scope) -> list[ColumnElement[bool]]:
    """``WHERE`` terms limiting complaints to ``scope`` (none when it is everything)."""
    return [] if scope is None else [Complaint.agency_id.in_(sorted(scope))]


def scoped_agencies(scope: Scope, agencies: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(id, name) pairs of the agencies in ``scope``, in the given order."""
    return [(a, n) for a, n in agencies if in_scope(scope, a)]


def agencies_arg(scope: Scope) -> list[str] | None:
    """The scope as the reports' ``agencies`` argument (``None``: all)."""
    return None if scope is None else sorted(scope)
