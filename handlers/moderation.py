"""Moderator commands on complaints: /resolve and /dismiss (thin: parsing and replies only)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from config.clock import Clock
from storage.actions import Outcome, close_complaint
from storage.models import ComplaintStatus, Person

MODERATING_ROLES = frozenset({"moderator", "admin"})


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
        if person is None:
            await message.answer(texts.START_UNKNOWN)
            return
        if person.role not in MODERATING_ROLES:
            await message.answer(texts.NOT_ALLOWED)
            return
        parts = (command.args or "").split(maxsplit=1)
        if not parts or not parts[0].lstrip("№#").isdigit():
            await message.answer(texts.BAD_COMPLAINT_ID.format(example=f"/{command.command} 12"))
            return
        complaint_id = int(parts[0].lstrip("№#"))
        note = parts[1] if len(parts) > 1 else None
        result = await close_complaint(
            session,
            complaint_id,
            actor=f"tg:{person.telegram_id}",
            status=status,
            note=note,
            now=clock.now(),
        )
        if result.outcome is Outcome.NOT_FOUND:
            await message.answer(texts.NO_SUCH_COMPLAINT.format(id=complaint_id))
        elif result.outcome is Outcome.ALREADY_CLOSED:
            await message.answer(
                texts.ALREADY_CLOSED.format(id=complaint_id, status=result.status)
            )
        else:
            await message.answer(done_text.format(id=complaint_id))

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

    return router
