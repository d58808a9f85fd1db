"""Complaint cards and lists: the alert buttons, /complaint, /my, /open, /overdue, paging.

Button presses carry typed callback data; each press reloads the complaint and checks the
presser's rights, so a forged, foreign or stale button changes nothing and says why.  State
changes go through ``storage.actions``, which queues the card edits for everyone who has the
card (the presser included) in the same transaction.
"""

from __future__ import annotations

import math

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.keyboards import (
    ACT_ACTION,
    Act,
    AssignCb,
    ComplaintCb,
    ListCb,
    agency_picker,
    alert_keyboard,
    list_keyboard,
)
from bot.outbox import list_items, remember_card, render_card, render_summary
from bot.render import render_list
from config.clock import Clock
from handlers.admin import admin_list_page
from handlers.common import MAX_GROUP_ID, gate, parse_complaint_id, parse_id
from handlers.moderation import agency_choices, outcome_text
from matcher.topics import Topic
from storage import queries
from storage.actions import (
    Action,
    Outcome,
    actor_of,
    can_see,
    close_complaint,
    mark_answered,
    may,
    reassign,
    reopen,
    take,
)
from storage.models import Complaint, ComplaintStatus, Notification, Page, Person

PAGE_SIZE = 8
DONE_TEXT = {
    Act.TAKE: texts.CB_TAKEN,
    Act.ANSWERED: texts.CB_ANSWERED,
    Act.RESOLVE: texts.RESOLVED_OK,
    Act.DISMISS: texts.DISMISSED_OK,
    Act.REOPEN: texts.CB_REOPENED,
}


async def complaint_list_page(
    session: AsyncSession, person: Person, kind: str, key: str, page: int, clock: Clock
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """A page of one of the complaint lists; ``None`` when the list cannot be rebuilt."""
    now = clock.now()
    if kind == "batch":
        summary_id = parse_id(key)
        summary = await session.get(Notification, summary_id) if summary_id is not None else None
        if summary is None or summary.chat_id != person.telegram_id:
            return None
        ids = [int(i) for i in summary.payload.get("complaints", [])]
        return await render_summary(session, summary.id, ids, page, now, person.tz)
    if kind == "my":
        ids = await queries.my_ids(session, person)
    elif kind == "overdue":
        ids = await queries.overdue_ids(session, person, now)
    elif kind == "open":
        topic = key[2:] if key.startswith("t:") else None
        page_id = parse_id(key[2:], MAX_GROUP_ID) if key.startswith("p:") else None
        ids = await queries.open_ids(session, person, topic=topic, page=page_id)
    else:
        return None
    pages = max(1, math.ceil(len(ids) / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    items = await list_items(session, chunk)
    text = render_list(texts.LIST_TITLE[kind], items, len(ids), page, pages, now)
    return text, list_keyboard(kind, key, page, pages, chunk)


async def open_filter(session: AsyncSession, arg: str | None) -> str | None:
    """``/open`` argument → list key: ``""``, ``t:<topic>`` or ``p:<group id>``."""
    if not arg:
        return ""
    arg = arg.strip().lower()
    if arg in Topic.__members__.values():
        return f"t:{arg}"
    ref = arg.removeprefix("https://").removeprefix("m.").removeprefix("vk.com/").lstrip("@")
    if ref.lstrip("-").isdigit():  # digits of any script: parse_id says if it is a number
        group_id = parse_id(ref.lstrip("-"), MAX_GROUP_ID)
        return f"p:{group_id}" if group_id is not None else None
    page = (
        await session.execute(select(Page).where(Page.screen_name == ref))
    ).scalar_one_or_none()
    return f"p:{page.group_id}" if page else None


def build_router() -> Router:
    router = Router(name="complaints")

    async def _list(
        message: Message, person: Person, kind: str, key: str, session: AsyncSession, clock: Clock
    ) -> None:
        shown = await complaint_list_page(session, person, kind, key, 0, clock)
        assert shown is not None
        text, markup = shown
        await message.answer(text, reply_markup=markup)

    @router.message(Command("my"))
    async def my(
        message: Message, person: Person | None, session: AsyncSession, clock: Clock
    ) -> None:
        if (who := await gate(message, person, "my")) is not None:
            await _list(message, who, "my", "", session, clock)

    @router.message(Command("overdue"))
    async def overdue(
        message: Message, person: Person | None, session: AsyncSession, clock: Clock
    ) -> None:
        if (who := await gate(message, person, "overdue")) is not None:
            await _list(message, who, "overdue", "", session, clock)

    @router.message(Command("open"))
    async def open_(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        if (who := await gate(message, person, "open")) is None:
            return
        key = await open_filter(session, command.args)
        if key is None:
            await message.answer(
                texts.OPEN_BAD_FILTER.format(
                    arg=(command.args or "").replace("<", "&lt;"),
                    topics=", ".join(t.value for t in Topic),
                )
            )
            return
        await _list(message, who, "open", key, session, clock)

    @router.message(Command("complaint"))
    async def complaint(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        if (who := await gate(message, person, "complaint")) is None:
            return
        complaint_id, _ = parse_complaint_id(command.args)
        if complaint_id is None:
            await message.answer(texts.BAD_COMPLAINT_ID.format(example="/complaint 12"))
            return
        await _show_card(message, who, complaint_id, session, clock)

    async def _show_card(
        message: Message, who: Person, complaint_id: int, session: AsyncSession, clock: Clock
    ) -> bool:
        found = await session.get(Complaint, complaint_id)
        if found is None or not can_see(who, found):
            await message.answer(texts.NO_SUCH_COMPLAINT.format(id=complaint_id))
            return False
        text, markup = await render_card(session, complaint_id, who.telegram_id, clock.now())
        sent = await message.answer(text, reply_markup=markup)
        await remember_card(session, complaint_id, who.telegram_id, sent.message_id, clock.now())
        return True

    # ---- buttons ---------------------------------------------------------------------------

    @router.callback_query(ComplaintCb.filter())
    async def on_complaint_button(
        query: CallbackQuery,
        callback_data: ComplaintCb,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        cid, act = callback_data.id, callback_data.act
        if person is None or not person.active:
            await query.answer(texts.START_UNKNOWN[:200], show_alert=True)
            return
        complaint = await session.get(Complaint, cid)
        if complaint is None or not can_see(person, complaint):
            await query.answer(texts.NO_SUCH_COMPLAINT.format(id=cid), show_alert=True)
            return
        message = query.message if isinstance(query.message, Message) else None
        if act is Act.SHOW:
            await query.answer()
            if message is not None:
                await _show_card(message, person, cid, session, clock)
            return
        if act in (Act.PICK, Act.BACK):
            if not may(person, Action.REASSIGN, complaint):
                await query.answer(texts.CB_FORBIDDEN.format(id=cid), show_alert=True)
                return
            await query.answer()
            if message is not None:
                markup = (
                    agency_picker(cid, await agency_choices(session))
                    if act is Act.PICK
                    else alert_keyboard(cid, complaint.status, person.role)
                )
                await message.edit_reply_markup(reply_markup=markup)
            return
        now = clock.now()
        if act is Act.TAKE:
            result = await take(session, cid, person, now)
        elif act is Act.ANSWERED:
            result = await mark_answered(session, cid, person, now)
        elif act is Act.REOPEN:
            result = await reopen(session, cid, person, now)
        else:
            status = ComplaintStatus.RESOLVED if act is Act.RESOLVE else ComplaintStatus.DISMISSED
            if not may(person, ACT_ACTION[act], complaint):
                await query.answer(texts.CB_FORBIDDEN.format(id=cid), show_alert=True)
                return
            result = await close_complaint(
                session,
                cid,
                actor=actor_of(person),
                status=status,
                note=None,
                now=now,
                person=person,
            )
        done = result.outcome is Outcome.DONE
        reply = outcome_text(result, cid, DONE_TEXT[act].format(id=cid))
        await query.answer(reply[:200], show_alert=not done)

    @router.callback_query(AssignCb.filter())
    async def on_assign(
        query: CallbackQuery,
        callback_data: AssignCb,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        cid = callback_data.id
        if person is None or not person.active:
            await query.answer(texts.START_UNKNOWN[:200], show_alert=True)
            return
        names = dict(await agency_choices(session))
        result = await reassign(session, cid, callback_data.agency, person, clock.now())
        if result.outcome is Outcome.UNKNOWN_AGENCY:
            await query.answer(texts.CB_UNKNOWN, show_alert=True)
            return
        done = texts.CB_REASSIGNED.format(
            id=cid, agency=names.get(callback_data.agency, callback_data.agency)
        )
        reply = outcome_text(result, cid, done)
        await query.answer(reply[:200], show_alert=result.outcome is not Outcome.DONE)

    @router.callback_query(ListCb.filter())
    async def on_list_page(
        query: CallbackQuery,
        callback_data: ListCb,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        if person is None or not person.active:
            await query.answer(texts.START_UNKNOWN[:200], show_alert=True)
            return
        shown: tuple[str, InlineKeyboardMarkup | None] | None
        if callback_data.kind in ("pages", "users"):
            shown = await admin_list_page(
                session, person, callback_data.kind, callback_data.page, clock
            )
        else:
            shown = await complaint_list_page(
                session, person, callback_data.kind, callback_data.key, callback_data.page, clock
            )
        message = query.message if isinstance(query.message, Message) else None
        if shown is None or message is None:
            await query.answer(texts.LIST_STALE, show_alert=True)
            return
        await query.answer()
        text, markup = shown
        await message.edit_text(text, reply_markup=markup)

    return router
