"""Issue 13: a person may be on Telegram, MAX or both.

People stored before keep their ids (every reference to them stays valid); a registry entry
or an invite may name either messenger; /users says where each person is reached.
"""

from __future__ import annotations

from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select

from bot.core import texts
from bot.core.types import Channel
from config.registry import RegistryError, parse_registry
from storage.db import make_engine, make_session_factory
from storage.migrate import alembic_config, upgrade
from storage.models import AuditEntry, Invite, Person
from storage.people import create_invite, redeem_invite
from storage.registry_sync import sync_registry
from tests.bot_harness import REGISTRY, T0, Harness


def registry_with(*people: dict[str, Any]) -> Any:
    return parse_registry(
        {
            "agencies": [{"id": "city", "name": "Администрация"}],
            "pages": [{"group_id": 1001, "name": "Адм", "agency": "city"}],
            "people": list(people),
        }
    )


async def test_people_stored_before_keep_their_ids_and_gain_a_telegram_id(db_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    before = script.get_revision("i0013_people_ids").down_revision
    engine = make_engine(db_url)
    try:
        await upgrade(engine, str(before))
        old = MetaData()
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: old.reflect(sync, only=["people"]))
            await conn.execute(
                old.tables["people"]
                .insert()
                .values(
                    telegram_id=5551234,
                    name="Иван",
                    role="official",
                    tz="Europe/Moscow",
                    agencies=["city"],
                    unreachable=True,
                    active=True,
                )
            )
        await upgrade(engine)
        async with make_session_factory(engine)() as session:
            person = await session.get(Person, 5551234)
            assert person is not None
            assert person.telegram_id == 5551234 and person.max_user_id is None
            assert person.preferred_channel == "telegram"
            assert person.unreachable and not person.max_unreachable
    finally:
        await engine.dispose()


def test_a_registry_person_needs_a_messenger_and_ids_are_not_shared() -> None:
    ok = registry_with(
        {"max_user_id": 77, "name": "Мария", "role": "official", "agencies": ["city"]}
    )
    assert ok.people[0].telegram_id is None and ok.people[0].max_user_id == 77
    with pytest.raises(RegistryError) as nowhere:
        registry_with({"name": "Никто", "role": "moderator"})
    assert "telegram_id" in str(nowhere.value) and "max_user_id" in str(nowhere.value)
    with pytest.raises(RegistryError) as twice:
        registry_with(
            {"max_user_id": 77, "name": "Мария", "role": "moderator"},
            {"max_user_id": 77, "name": "Мария Иванова", "role": "lead"},
        )
    assert "max_user_id 77 is already used by people[0]" in str(twice.value)


async def test_registry_people_on_max_are_stored_and_linked_not_doubled(db_url: str) -> None:
    engine = make_engine(db_url)
    await upgrade(engine)
    sessions = make_session_factory(engine)
    try:
        first = registry_with(
            {"telegram_id": 501, "name": "Иван", "role": "official", "agencies": ["city"]},
            {"max_user_id": 77, "name": "Мария", "role": "official", "agencies": ["city"]},
            {"max_user_id": 78, "name": "Ольга", "role": "moderator"},
        )
        async with sessions() as session, session.begin():
            await sync_registry(session, first)
        # Later Мария adds Telegram and prefers it; Иван adds MAX.
        second = registry_with(
            {
                "telegram_id": 501,
                "max_user_id": 90,
                "name": "Иван",
                "role": "official",
                "agencies": ["city"],
            },
            {
                "telegram_id": 502,
                "max_user_id": 77,
                "preferred": "telegram",
                "name": "Мария",
                "role": "official",
                "agencies": ["city"],
            },
            {"max_user_id": 78, "name": "Ольга", "role": "moderator"},
        )
        async with sessions() as session, session.begin():
            await sync_registry(session, second)
        async with sessions() as session:
            people = {p.name: p for p in (await session.scalars(select(Person))).all()}
        assert len(people) == 3
        ivan, maria, olga = people["Иван"], people["Мария"], people["Ольга"]
        assert (ivan.id, ivan.telegram_id, ivan.max_user_id) == (501, 501, 90)
        assert ivan.preferred_channel == "telegram"
        # Those who came without Telegram got ids that no Telegram user id can take.
        assert maria.id < 0 and olga.id < 0 and maria.id != olga.id
        assert (maria.telegram_id, maria.max_user_id) == (502, 77)
        assert maria.preferred_channel == "telegram"
        assert olga.preferred_channel == "max" and olga.telegram_id is None
    finally:
        await engine.dispose()


async def test_an_invite_opened_in_max_makes_a_max_person(db_url: str) -> None:
    engine = make_engine(db_url)
    await upgrade(engine)
    sessions = make_session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            await sync_registry(session, REGISTRY)
            admin = await session.get(Person, 801)
            assert admin is not None
            made = await create_invite(session, admin, "official", "city", T0)
            assert not isinstance(made, str)
            code = made.code
        async with sessions() as session, session.begin():
            joined = await redeem_invite(session, code, 4242, "Мария Кузнецова", T0, Channel.MAX)
            assert joined is not None
        async with sessions() as session:
            person = await session.scalar(select(Person).where(Person.max_user_id == 4242))
            assert person is not None and person.telegram_id is None and person.id < 0
            assert person.preferred_channel == "max" and person.agencies == ["city"]
            invite = await session.get(Invite, code)
            assert invite is not None and invite.used_by == person.id
            actors = (await session.scalars(select(AuditEntry.actor))).all()
            assert "max:4242" in actors
        # The code is spent: Telegram cannot redeem it again.
        async with sessions() as session, session.begin():
            assert await redeem_invite(session, code, 999, "Кто-то", T0) is None
    finally:
        await engine.dispose()


def test_users_line_names_each_messenger_and_the_preferred_one() -> None:
    assert texts.messengers_line(501, None, "telegram") == "Telegram 501"
    assert texts.messengers_line(None, 77, "max") == "MAX 77"
    assert texts.messengers_line(501, 77, "max") == "Telegram 501, MAX 77 (основной)"


async def test_users_shows_where_people_are_reached(db_url: str) -> None:
    registry = parse_registry(
        {
            **{k: v for k, v in REGISTRY.model_dump(mode="json").items() if k != "people"},
            "people": [
                *[p.model_dump(mode="json", exclude_none=True) for p in REGISTRY.people],
                {
                    "max_user_id": 77,
                    "name": "Мария Кузнецова",
                    "role": "official",
                    "agencies": ["city"],
                },
                {
                    "telegram_id": 503,
                    "max_user_id": 78,
                    "preferred": "max",
                    "name": "Сергей Двойной",
                    "role": "official",
                    "agencies": ["roads"],
                },
            ],
        }
    )
    async with Harness(db_url, registry=registry) as h:
        listing = await h.reply(801, "/users")
    assert "Мария Кузнецова · исполнитель (Администрация) · MAX 77" in listing
    assert "Telegram 503, MAX 78 (основной)" in listing
    assert "Иван Петров · исполнитель (Администрация) · Telegram 501" in listing
