"""MAX end to end through the neutral core: the real ``maxapi`` against the fake MAX, the
adapter (``bot.max.runtime``), the neutral dispatcher (``bot.core.dispatch``) and a real
database.  An official invited by a moderator opens the deep link in MAX and joins; a forged
button press is refused and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import texts
from bot.core.dispatch import Dispatcher
from bot.core.handling import Deps
from bot.max.runtime import start_max
from handlers import start
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Person
from storage.people import NewInvite, create_invite
from storage.registry_sync import sync_registry
from tests.bot_harness import REGISTRY
from tests.max_support import MaxRig, alert_card, max_rig, max_settings

VERA = 603  # her MAX user id
MODERATOR = 601  # Ольга Смирнова, on Telegram


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(db_url)
    await upgrade(engine)
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        await sync_registry(session, REGISTRY)
    yield factory
    await engine.dispose()


async def invite_code(sessions: async_sessionmaker[AsyncSession], rig: MaxRig) -> str:
    async with sessions() as session, session.begin():
        moderator = await session.scalar(select(Person).where(Person.telegram_id == MODERATOR))
        assert moderator is not None
        made = await create_invite(session, moderator, "official", "city", rig.clock.now())
        assert isinstance(made, NewInvite)
        return made.code


async def test_an_invite_opened_in_max_joins_and_a_forged_press_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with max_rig(tmp_path) as rig:
        code = await invite_code(sessions, rig)
        dispatcher = Dispatcher([start.FEATURE], sessions, Deps(rig.clock, REGISTRY))
        runtime = await start_max(max_settings(rig.fake), rig.clock, dispatcher.handle)
        try:
            seq = rig.fake.push_bot_started(VERA, code, first_name="Вера", last_name="Иванова")
            await rig.fake.wait_handled(seq, timeout=60)
            await rig.fake.wait_until(lambda: bool(rig.fake.messages(VERA)), 60)
            (welcome,) = rig.fake.messages(VERA).values()
            assert welcome["plain_text"].startswith("Добро пожаловать в «Отклик», Вера Иванова!")

            # A card of Vera's with a button, then a press no feature knows (forged).
            sent = await runtime.port.send(VERA, alert_card())
            assert sent.ref is not None
            rig.fake.push_callback(VERA, sent.ref, "zz:forged:1", forged=True)
            await rig.fake.wait_handled(rig.fake.last_update_seq, timeout=60)
            await rig.fake.wait_until(lambda: bool(rig.fake.notifications), 60)
        finally:
            await runtime.close()
    assert rig.fake.notifications == [(VERA, texts.CB_UNKNOWN)]
    assert rig.fake.messages(VERA)[sent.ref]["text"] == alert_card().html  # unchanged
    async with sessions() as session:
        vera = await session.scalar(select(Person).where(Person.max_user_id == VERA))
    assert vera is not None and vera.name == "Вера Иванова" and vera.role == "official"
    assert vera.telegram_id is None
