"""One incoming event from any messenger, handled once (issue 13).

The neutral counterpart of the Telegram middleware and routers: a database session per event
(committed after the handler, rolled back if it raises), the person found by the id they have
on that messenger, a stopped bot marking them unreachable there only, and the command looked up
in the features' tables.  A database that is away fails the event as a whole and the person is
told to try again, as on Telegram.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import texts
from bot.core.handling import CommandFn, Conversation, Deps, Feature, Request, TextFn
from bot.core.inbound import (
    BotStarted,
    BotStopped,
    ButtonPress,
    CommandMessage,
    InboundEvent,
    TextMessage,
)
from bot.core.types import Card, Channel
from bot.faults import db_fault
from storage.models import Person

log = logging.getLogger(__name__)


async def person_on(session: AsyncSession, channel: Channel, user_id: int) -> Person | None:
    """The person with this id on this messenger."""
    column = Person.telegram_id if channel == Channel.TELEGRAM else Person.max_user_id
    return await session.scalar(select(Person).where(column == user_id))


def mark_reachable(person: Person, channel: Channel, reachable: bool) -> None:
    """They wrote to us (reachable again) or stopped the bot, on this messenger only."""
    if channel == Channel.TELEGRAM:
        person.unreachable = not reachable
    else:
        person.max_unreachable = not reachable


class Dispatcher:
    """Routes neutral events to the features' commands."""

    def __init__(
        self,
        features: Sequence[Feature],
        sessions: async_sessionmaker[AsyncSession],
        deps: Deps,
        *,
        after_commit: Callable[[], object] | None = None,
    ) -> None:
        self.commands: dict[str, CommandFn] = {}
        self.buttons: dict[str, CommandFn] = {}
        self.texts: list[TextFn] = [fn for feature in features for fn in feature.texts]
        for feature in features:
            for table, kind in (
                (feature.commands, self.commands),
                (feature.buttons, self.buttons),
            ):
                for name, fn in table.items():
                    if name in kind:
                        raise ValueError(f"{name!r} is handled twice")
                    kind[name] = fn
        self.sessions = sessions
        self.deps = deps
        self.after_commit = after_commit

    async def handle(self, event: InboundEvent, convo: Conversation) -> None:
        try:
            await self._in_session(event, convo)
        except Exception as exc:
            cause = db_fault(exc)
            if cause is None:
                raise
            log.warning(
                "%s event %s not handled, database %s", event.channel, event.event_id, cause
            )
            if self.deps.metrics is not None:
                self.deps.metrics.part_failed("bot", exc)
            with contextlib.suppress(Exception):
                await convo.reply(Card(texts.DB_BUSY))

    async def _in_session(self, event: InboundEvent, convo: Conversation) -> None:
        async with self.sessions() as session:
            person = await person_on(session, event.channel, event.user_id)
            if isinstance(event, BotStopped):
                if person is not None:
                    mark_reachable(person, event.channel, False)
                    log.info("person %s stopped the bot on %s", person.id, event.channel)
            else:
                if person is not None:
                    mark_reachable(person, event.channel, True)
                try:
                    await self._route(event, convo, session, person)
                except Exception:
                    with contextlib.suppress(DBAPIError, OSError):
                        await session.rollback()
                    raise
            await session.commit()
        if self.after_commit is not None:
            self.after_commit()

    async def _route(
        self,
        event: InboundEvent,
        convo: Conversation,
        session: AsyncSession,
        person: Person | None,
    ) -> None:
        if isinstance(event, BotStarted):
            name, args = "start", event.payload or ""
        elif isinstance(event, CommandMessage):
            name, args = event.command, event.args
        elif isinstance(event, ButtonPress):
            press = self.buttons.get(event.payload.partition(":")[0])
            if press is None:  # forged or outdated: say so, change nothing
                await convo.toast(texts.CB_UNKNOWN, alert=True)
                return
            await press(Request(convo, session, person, self.deps, "", event.payload))
            return
        elif isinstance(event, TextMessage):
            for take in self.texts:
                if await take(Request(convo, session, person, self.deps, "", event.text)):
                    return
            unknown = person is None or not person.active
            await convo.reply(Card(texts.START_UNKNOWN if unknown else texts.UNKNOWN_COMMAND))
            return
        else:  # pragma: no cover - every event type is handled above
            return
        fn = self.commands.get(name)
        if fn is None:
            unknown = person is None or not person.active
            await convo.reply(Card(texts.START_UNKNOWN if unknown else texts.UNKNOWN_COMMAND))
            return
        await fn(Request(convo, session, person, self.deps, name, args))
