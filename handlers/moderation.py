"""Moderator commands on complaints: /resolve, /dismiss, /assign, /reopen (parse and reply;
the state changes live in ``storage.actions``)."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.keyboards import agency_picker
from config.clock import Clock
from handlers.common import (
    agency_choices,
    agency_refusal,
    complaint_args,
    deadline_reply,
    missing_text,
    outcome_text,
    resolve_agency,
)
from storage.actions import (
    Action,
    Outcome,
    actor_of,
    can_see,
    close_complaint,
    reassign,
    reopen,
)
from storage.models import Complaint, ComplaintStatus, Person

#: The two ways to close a complaint: the status it gets and the reply that says so.
CLOSING = {
    "resolve": (ComplaintStatus.RESOLVED, texts.RESOLVED_OK),
    "dismiss": (ComplaintStatus.DISMISSED, texts.DISMISSED_OK),
}


def build_router() -> Router:
    router = Router(name="moderation")

    @router.message(Command(*CLOSING))
    async def close(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        """``/resolve 12 [комментарий]`` and ``/dismiss 12 [причина]``."""
        if (args := await complaint_args(message, command, person)) is None:
            return
        who, complaint_id, note = args
        status, done = CLOSING[command.command]
        result = await close_complaint(
            session,
            complaint_id,
            actor=actor_of(who),
            status=status,
            note=note,
            now=clock.now(),
            person=who,
        )
        action = Action.RESOLVE if status == ComplaintStatus.RESOLVED else Action.DISMISS
        reply = await outcome_text(
            session, result, complaint_id, done.format(id=complaint_id), who, action
        )
        await message.answer(reply)

    @router.message(Command("assign"))
    async def assign(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        """``/assign 12`` shows the agency picker; ``/assign 12 Водоканал`` (a name, a part
        of it, or the code) passes it at once.  Both offer only the agencies of the
        moderator's region."""
        if (args := await complaint_args(message, command, person)) is None:
            return
        who, complaint_id, typed = args
        choices = await agency_choices(session, who)
        if typed is None:
            found = await session.get(Complaint, complaint_id)
            if found is None or not await can_see(session, who, found):
                await message.answer(await missing_text(session, who, complaint_id))
                return
            await message.answer(
                texts.CB_PICK_AGENCY.format(id=complaint_id),
                reply_markup=agency_picker(complaint_id, choices),
            )
            return
        agency, ambiguous = await resolve_agency(session, typed)
        if ambiguous is not None:
            await message.answer(ambiguous)
            return
        result = await reassign(session, complaint_id, agency, who, clock.now())
        if result.outcome in (Outcome.UNKNOWN_AGENCY, Outcome.AGENCY_OUT_OF_SCOPE):
            await message.answer(agency_refusal(result.outcome, typed, choices))
            return
        name = escape(dict(choices).get(agency, agency))
        done = texts.ASSIGNED_OK.format(id=complaint_id, agency=name)
        await message.answer(
            await outcome_text(session, result, complaint_id, done, who, Action.REASSIGN)
        )

    @router.message(Command("reopen"))
    async def reopen_(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        if (args := await complaint_args(message, command, person)) is None:
            return
        who, complaint_id, _ = args
        result = await reopen(session, complaint_id, who, clock.now())
        await message.answer(
            await deadline_reply(
                session, result, complaint_id, who, texts.REOPENED_OK, Action.REOPEN
            )
        )

    return router
