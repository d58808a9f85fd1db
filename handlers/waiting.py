"""/wait and /resume: the official asked the resident something, so the deadline clock
stands still until the resident writes back (ingest resumes it) or someone resumes it by hand.

The alert's «Ждём ответа жителя» / «Возобновить срок» buttons do the same through
``handlers.complaints``; both end in ``storage.actions``.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from config.clock import Clock
from config.registry import Registry
from handlers.common import complaint_args, deadline_reply, outcome_text
from storage.actions import Action, resume, wait_for_resident
from storage.models import Person

#: The reason shows on every card of the complaint: a sentence, not a letter.
MAX_REASON = 300


def build_router() -> Router:
    router = Router(name="waiting")

    @router.message(Command("wait"))
    async def wait(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        """``/wait 12 уточняем адрес``: the reason is optional and shows on the cards."""
        if (args := await complaint_args(message, command, person)) is None:
            return
        who, complaint_id, reason = args
        if reason is not None and len(reason) > MAX_REASON:
            await message.answer(texts.WAIT_REASON_TOO_LONG.format(limit=MAX_REASON))
            return
        result = await wait_for_resident(session, complaint_id, who, clock.now(), reason)
        done = texts.WAIT_OK.format(id=complaint_id)
        await message.answer(
            await outcome_text(session, result, complaint_id, done, who, Action.WAIT)
        )

    @router.message(Command("resume"))
    async def resume_(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
        registry: Registry,
    ) -> None:
        if (args := await complaint_args(message, command, person)) is None:
            return
        who, complaint_id, _ = args
        result = await resume(session, complaint_id, who, clock.now(), registry)
        await message.answer(
            await deadline_reply(
                session, result, complaint_id, who, texts.RESUME_OK, Action.RESUME
            )
        )

    return router
