"""Mirror the registry file into the database (agencies, pages, people) at start-up."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from config.registry import Registry
from storage.models import Agency, Page, Person


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
            )
        )
    await session.flush()
    for p in registry.pages:
        existing = await session.get(Page, p.group_id)
        if existing is None:
            session.add(
                Page(
                    group_id=p.group_id,
                    name=p.name,
                    screen_name=p.screen_name,
                    agency_id=p.agency,
                    max_seen_id=0,
                )
            )
        else:
            existing.name, existing.screen_name, existing.agency_id = (
                p.name,
                p.screen_name,
                p.agency,
            )
    tz_of = {a.id: a.tz for a in registry.agencies}
    for person in registry.people:
        tz = person.tz or (tz_of[person.agencies[0]] if person.agencies else "Europe/Moscow")
        existing_person = await session.get(Person, person.telegram_id)
        if existing_person is None:
            session.add(
                Person(
                    telegram_id=person.telegram_id,
                    name=person.name,
                    role=person.role.value,
                    vk_id=person.vk_id,
                    tz=tz,
                    agencies=list(person.agencies),
                    unreachable=False,
                )
            )
        else:
            existing_person.name, existing_person.role = person.name, person.role.value
            existing_person.vk_id, existing_person.tz = person.vk_id, tz
            existing_person.agencies = list(person.agencies)
