"""Moderator commands on complaints: /resolve, /dismiss, /assign, /reopen (parse and reply;
the state changes live in ``storage.actions``)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.keyboards import agency_picker
from bot.render import local_time
from config.clock import Clock
from handlers.common import gate, parse_complaint_id
from storage.actions import (
    ActionResult,
    Outcome,
    actor_of,
    close_complaint,
    reassign,
    reopen,
)
from storage.models import Agency, Complaint, ComplaintStatus, Person


def outcome_text(result: ActionResult, complaint_id: int, done: str) -> str:
    """One phrasing of every outcome, for commands and (shortened) for buttons."""
    status = texts.STATUS_NAMES.get(result.status or "", result.status or "")
    if result.outcome is Outcome.NOT_FOUND:
        return texts.NO_SUCH_COMPLAINT.format(id=complaint_id)
    if result.outcome is Outcome.FORBIDDEN:
        return texts.CB_FORBIDDEN.format(id=complaint_id)
    if result.outcome is Outcome.ALREADY_CLOSED:
        return texts.ALREADY_CLOSED.format(id=complaint_id, status=status)
    if result.outcome is Outcome.UNCHANGED:
        return texts.CB_UNCHANGED.format(id=complaint_id, status=status)
    if result.outcome is Outcome.NOT_CLOSED:
        return texts.NOT_CLOSED.format(id=complaint_id, status=status)
    return done


async def agency_choices(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(select(Agency.id, Agency.name).order_by(Agency.name))
    return [(a, n) for a, n in rows.all()]


def build_router() -> Router:
    router = Router(name="moderation")

    async def _close(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
        status: ComplaintStatus,
        done_text: str,
    ) -> None:
        if (who := await gate(message, person, command.command)) is None:
            return
        complaint_id, note = parse_complaint_id(command.args)
        if complaint_id is None:
            await message.answer(texts.BAD_COMPLAINT_ID.format(example=f"/{command.command} 12"))
            return
        result = await close_complaint(
            session,
            complaint_id,
            actor=actor_of(who),
            status=status,
            note=note,
            now=clock.now(),
            person=who,
        )
        await message.answer(outcome_text(result, complaint_id, done_text.format(id=complaint_id)))

    @router.message(Command("resolve"))
    async def resolve(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        await _close(
            message, command, person, session, clock, ComplaintStatus.RESOLVED, texts.RESOLVED_OK
        )

    @router.message(Command("dismiss"))
    async def dismiss(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        await _close(
            message, command, person, session, clock, ComplaintStatus.DISMISSED, texts.DISMISSED_OK
        )

    @router.message(Command("assign"))
    async def assign(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        """``/assign 12`` shows the agency picker; ``/assign 12 city`` passes it at once."""
        if (who := await gate(message, person, "assign")) is None:
            return
        complaint_id, agency = parse_complaint_id(command.args)
        if complaint_id is None:
            await message.answer(texts.BAD_COMPLAINT_ID.format(example="/assign 12"))
            return
        choices = await agency_choices(session)
        if agency is None:
            if await session.get(Complaint, complaint_id) is None:
                await message.answer(texts.NO_SUCH_COMPLAINT.format(id=complaint_id))
                return
            await message.answer(
                texts.CB_PICK_AGENCY.format(id=complaint_id),
                reply_markup=agency_picker(complaint_id, choices),
            )
            return
        names = dict(choices)
        result = await reassign(session, complaint_id, agency, who, clock.now())
        if result.outcome is Outcome.UNKNOWN_AGENCY:
            await message.answer(
                texts.UNKNOWN_AGENCY.format(agency=agency, known=", ".join(names))
            )
            return
        done = texts.ASSIGNED_OK.format(id=complaint_id, agency=names.get(agency, agency))
        await message.answer(outcome_text(result, complaint_id, done))

    @router.message(Command("reopen"))
    async def reopen_(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        if (who := await gate(message, person, "reopen")) is None:
            return
        complaint_id, _ = parse_complaint_id(command.args)
        if complaint_id is None:
            await message.answer(texts.BAD_COMPLAINT_ID.format(example="/reopen 12"))
            return
        result = await reopen(session, complaint_id, who, clock.now())
        done = ""
        if result.outcome is Outcome.DONE:
            complaint = await session.get(Complaint, complaint_id)
            assert complaint is not None and complaint.due_at is not None
            done = texts.REOPENED_OK.format(
                id=complaint_id, due=local_time(complaint.due_at, who.tz)
            )
        await message.answer(outcome_text(result, complaint_id, done))

    return router
