"""Mirror the registry file into the database (agencies, pages, people) at start-up."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config.registry import Registry
from storage.models import Agency, Page, Person
from storage.people import new_person_id


async def _stored_person(
    session: AsyncSession, telegram_id: int | None, max_user_id: int | None
) -> Person | None:
    """The stored person with either messenger id (a registry entry names one or both)."""
    for column, value in ((Person.telegram_id, telegram_id), (Person.max_user_id, max_user_id)):
        if value is not None:
            found = await session.scalar(select(Person).where(column == value))
            if found is not None:
                return found
    return None


async def sync_registry(session: AsyncSession, registry: Registry) -> None:
    """Insert or update every registry entry; rows not in the file are left alone."""
    for a in registry.agencies:
        await session.merge(
            Agency(
                id=a.id,
                name=a.name,
                tz=a.tz,
                always_open=a.always_open,
                first_response_s=int(a.first_response_hours * 3600),
                urgent_s=int(a.urgent_hours * 3600),
                region=a.region,
            )
        )
    await session.flush()
    # In bulk: one query, not one per page (30,000 pages took ~20 s one by one; issue 7).
    have = {
        gid: (name, screen_name, agency_id)
        for gid, name, screen_name, agency_id in await session.execute(
            select(Page.group_id, Page.name, Page.screen_name, Page.agency_id)
        )
    }
    new_rows: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for p in registry.pages:
        row: dict[str, object] = {
            "group_id": p.group_id,
            "name": p.name,
            "screen_name": p.screen_name,
            "agency_id": p.agency,
        }
        old = have.get(p.group_id)
        if old is None:
            new_rows.append({**row, "max_seen_id": 0})
        elif old != (p.name, p.screen_name, p.agency):
            changed.append(row)
    for i in range(0, len(new_rows), 2000):
        await session.execute(insert(Page), new_rows[i : i + 2000])
    for i in range(0, len(changed), 2000):
        await session.execute(update(Page), changed[i : i + 2000])
    tz_of = {a.id: a.tz for a in registry.agencies}
    for person in registry.people:
        tz = person.tz or (tz_of[person.agencies[0]] if person.agencies else "Europe/Moscow")
        existing_person = await _stored_person(session, person.telegram_id, person.max_user_id)
        if existing_person is None:
            session.add(
                Person(
                    id=person.telegram_id or await new_person_id(session),
                    telegram_id=person.telegram_id,
                    max_user_id=person.max_user_id,
                    preferred_channel=person.preferred
                    or ("telegram" if person.telegram_id else "max"),
                    name=person.name,
                    role=person.role.value,
                    vk_id=person.vk_id,
                    tz=tz,
                    agencies=list(person.agencies),
                    unreachable=False,
                    region=person.region,
                )
            )
        else:
            existing_person.name, existing_person.role = person.name, person.role.value
            existing_person.vk_id, existing_person.tz = person.vk_id, tz
            existing_person.agencies = list(person.agencies)
            existing_person.region = person.region
            # The registry may add the person's other messenger (or correct an id).
            existing_person.telegram_id = person.telegram_id or existing_person.telegram_id
            existing_person.max_user_id = person.max_user_id or existing_person.max_user_id
            if person.preferred is not None:
                existing_person.preferred_channel = person.preferred
