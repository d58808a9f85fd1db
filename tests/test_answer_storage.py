"""Issue 15 storage: the migration of answer drafts and templates (SQLite and PostgreSQL),
and the templates moderators keep per topic and agency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from bot.answering import AnswerOutcome, publish_answer, start_from_template, write_answer
from storage.db import make_engine
from storage.migrate import alembic_config, upgrade
from storage.models import AuditEntry, Base
from storage.templates import (
    TemplateOutcome,
    add_template,
    edit_template,
    fill,
    placeholders,
    remove_template,
    templates_for,
)
from tests.answer_support import CITY, MODERATOR, OFFICIAL, PARKS_OFFICIAL, AnswerWorld

MINE = {"answer_drafts", "answer_templates"}


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _diff(connection: Connection) -> list[object]:
    """What the models say about the answer tables that the migrated schema lacks."""
    ctx = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(ctx, Base.metadata) if any(t in repr(d) for t in MINE)]


async def test_migration_creates_and_drops_the_answer_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await upgrade(engine, "i0011_answers")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) >= MINE
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, "i0010_urgent")
        async with engine.connect() as conn:
            assert not MINE & await conn.run_sync(_tables)
        await upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) >= MINE
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[AnswerWorld]:
    async with AnswerWorld(db_url) as w:
        yield w


def test_placeholders_are_found_and_filled() -> None:
    text = "Бригада приедет по адресу {адрес} {дата}; {адрес} осмотрят."
    assert placeholders(text) == ["{адрес}", "{дата}"]
    filled = fill(text, {"адрес": "ул. Ленина, 5", "{дата}": "25 ноября"})
    assert filled == "Бригада приедет по адресу ул. Ленина, 5 25 ноября; ул. Ленина, 5 осмотрят."
    assert placeholders(filled) == []


async def test_moderators_keep_templates_and_officials_start_from_them(
    world: AnswerWorld,
) -> None:
    moderator = await world.person(MODERATOR)
    official = await world.person(OFFICIAL)
    now = world.clock.now()
    text = "Яму по адресу {адрес} заделают {дата}, бригада выйдет утром."
    async with world.db() as session, session.begin():
        refused = await add_template(
            session, official, title="Ямы", text=text, topic="roads", agency_id="city", now=now
        )
        assert refused.outcome is TemplateOutcome.FORBIDDEN
        added = await add_template(
            session, moderator, title="Ямы", text=text, topic="roads", agency_id="city", now=now
        )
        assert added.outcome is TemplateOutcome.DONE and added.template is not None
        other = await add_template(
            session,
            moderator,
            title="Парки",
            text="Скамейку починят {дата}.",
            topic=None,
            agency_id="parks",
            now=now,
        )
        assert other.outcome is TemplateOutcome.DONE
        unknown = await add_template(
            session, moderator, title="x", text="y", topic=None, agency_id="nope", now=now
        )
        assert unknown.outcome is TemplateOutcome.UNKNOWN_AGENCY
        empty = await add_template(
            session, moderator, title=" ", text="y", topic=None, agency_id="city", now=now
        )
        assert empty.outcome is TemplateOutcome.INVALID
        template_id = added.template.id
    complaint_id, resident = await world.complaint()
    async with world.db() as session:
        complaint = await world.get(complaint_id)
        mine = [t.title for t in await templates_for(session, official, complaint=complaint)]
        parks = await templates_for(session, await world.person(PARKS_OFFICIAL))
    assert mine == ["Ямы"]  # the city's roads template, not the parks' one
    assert [t.title for t in parks] == ["Парки"]

    started = await start_from_template(world.deps(), complaint_id, official, template_id)
    assert started.outcome is AnswerOutcome.HELD
    assert started.reasons[0] == "не заполнено: «{адрес}», «{дата}»"
    filled = fill(text, {"адрес": "ул. Ленина, 5", "дата": "до 27 ноября"})
    ready = await write_answer(world.deps(), complaint_id, official, filled)
    assert ready.outcome is AnswerOutcome.READY and ready.draft_id == started.draft_id
    assert ready.draft_id is not None
    done = await publish_answer(world.deps(), ready.draft_id, official)
    assert done.outcome is AnswerOutcome.PUBLISHED
    assert len(world.page_answers(CITY, resident)) == 1
    assert (await world.draft(ready.draft_id)).template_id == template_id

    later = now + timedelta(minutes=5)
    async with world.db() as session, session.begin():
        edited = await edit_template(
            session, moderator, template_id, now=later, text="Яму заделают {дата}."
        )
        assert edited.outcome is TemplateOutcome.DONE
        assert (await remove_template(session, official, template_id, now=later)).outcome is (
            TemplateOutcome.FORBIDDEN
        )
        removed = await remove_template(session, moderator, template_id, now=later)
        assert removed.outcome is TemplateOutcome.DONE
        missing = await edit_template(session, moderator, template_id, now=later, title="z")
        assert missing.outcome is TemplateOutcome.NOT_FOUND
    async with world.db() as session:
        actions = [
            a.action
            for a in (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
            if a.action.startswith("template_")
        ]
    assert actions == ["template_add", "template_add", "template_edit", "template_remove"]
