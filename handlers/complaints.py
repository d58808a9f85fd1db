"""Complaint cards and lists: the alert buttons, /complaint, /my, /open, /overdue, paging.

Button presses carry typed callback data; each press reloads the complaint and checks the
presser's rights, so a forged, foreign or stale button changes nothing and says why.  State
changes go through ``storage.actions``, which queues the card edits for everyone who has the
card (the presser included) in the same transaction.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import datetime

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
from config.registry import Registry
from handlers.admin import admin_list_page
from handlers.common import (
    MAX_GROUP_ID,
    agency_choices,
    agency_refusal,
    button_message,
    button_person,
    complaint_args,
    forbidden_text,
    gate,
    missing_text,
    outcome_text,
    parse_id,
    parse_topic,
    topic_names,
)
from storage import queries
from storage.actions import (
    Action,
    ActionResult,
    Outcome,
    actor_of,
    can_see,
    close_complaint,
    mark_answered,
    may,
    reassign,
    reopen,
    resume,
    take,
    wait_for_resident,
)
from storage.models import Complaint, ComplaintStatus, Notification, Page, Person

PAGE_SIZE = 8
DONE_TEXT = {
    Act.TAKE: texts.CB_TAKEN,
    Act.ANSWERED: texts.CB_ANSWERED,
    Act.RESOLVE: texts.RESOLVED_OK,
    Act.DISMISS: texts.DISMISSED_OK,
    Act.REOPEN: texts.CB_REOPENED,
    Act.WAIT: texts.CB_WAITING,
    Act.RESUME: texts.CB_RESUMED,
}
#: What a button press does: (session, complaint id, presser, now, registry) → outcome.
ButtonAction = Callable[[AsyncSession, int, Person, datetime, Registry], Awaitable[ActionResult]]


def _close(status: ComplaintStatus) -> ButtonAction:
    async def run(
        session: AsyncSession, cid: int, person: Person, now: datetime, _: Registry
    ) -> ActionResult:
        return await close_complaint(
            session, cid, actor=actor_of(person), status=status, note=None, now=now, person=person
        )

    return run


BUTTON_ACTIONS: dict[Act, ButtonAction] = {
    Act.TAKE: lambda s, cid, p, now, _: take(s, cid, p, now),
    Act.ANSWERED: lambda s, cid, p, now, _: mark_answered(s, cid, p, now),
    Act.REOPEN: lambda s, cid, p, now, _: reopen(s, cid, p, now),
    Act.WAIT: lambda s, cid, p, now, _: wait_for_resident(s, cid, p, now, None),
    Act.RESUME: resume,
    Act.RESOLVE: _close(ComplaintStatus.RESOLVED),
    Act.DISMISS: _close(ComplaintStatus.DISMISSED),
}


async def complaint_list_page(
    session: AsyncSession, person: Person, kind: str, key: str, page: int, clock: Clock
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """A page of one of the complaint lists; ``None`` when the list cannot be rebuilt."""
    now = clock.now()
    if kind == "batch":
        summary_id = parse_id(key)
        summary = await session.get(Notification, summary_id) if summary_id is not None else None
        if summary is None or summary.chat_id != person.id:
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
    items = await list_items(session, chunk, now)
    text = render_list(texts.LIST_TITLE[kind], items, len(ids), page, pages, now)
    return text, list_keyboard(kind, key, page, pages, chunk)


async def open_filter(session: AsyncSession, arg: str | None) -> str | None:
    """``/open`` argument → list key: ``""``, ``t:<topic>`` (a topic's Russian name or its
    code) or ``p:<group id>`` (a page's number, link or short name)."""
    if not arg:
        return ""
    arg = arg.strip().lower()
    if (topic := parse_topic(arg)) is not None:
        return f"t:{topic.value}"
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

    @router.message(Command("my", "overdue"))
    async def plain_list(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        """/my and /overdue: the lists that take no filter (the command names the list)."""
        if (who := await gate(message, person, command.command)) is not None:
            await _list(message, who, command.command, "", session, clock)

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
                    topics=topic_names(),
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
        if (args := await complaint_args(message, command, person)) is not None:
            who, complaint_id, _ = args
            await _show_card(message, who, complaint_id, session, clock)

    async def _show_card(
        message: Message, who: Person, complaint_id: int, session: AsyncSession, clock: Clock
    ) -> bool:
        found = await session.get(Complaint, complaint_id)
        if found is None or not await can_see(session, who, found):
            await message.answer(await missing_text(session, who, complaint_id))
            return False
        text, markup = await render_card(session, complaint_id, who.id, clock.now())
        sent = await message.answer(text, reply_markup=markup)
        await remember_card(session, complaint_id, who.id, sent.message_id, clock.now())
        return True

    # ---- buttons ---------------------------------------------------------------------------

    @router.callback_query(ComplaintCb.filter())
    async def on_complaint_button(
        query: CallbackQuery,
        callback_data: ComplaintCb,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
        registry: Registry,
    ) -> None:
        cid, act = callback_data.id, callback_data.act
        if (who := await button_person(query, person)) is None:
            return
        complaint = await session.get(Complaint, cid)
        if complaint is None or not await can_see(session, who, complaint):
            await query.answer((await missing_text(session, who, cid))[:200], show_alert=True)
            return
        message = button_message(query)
        if act is Act.SHOW:
            await query.answer()
            if message is not None:
                await _show_card(message, who, cid, session, clock)
            return
        if act in (Act.PICK, Act.BACK):
            if not may(who, Action.REASSIGN, complaint):
                await query.answer(forbidden_text(cid, Action.REASSIGN), show_alert=True)
                return
            await query.answer()
            if message is not None:
                waiting = complaint.waiting_since is not None
                markup = (
                    agency_picker(cid, await agency_choices(session, who))
                    if act is Act.PICK
                    else alert_keyboard(cid, complaint.status, who.role, waiting=waiting)
                )
                await message.edit_reply_markup(reply_markup=markup)
            return
        result = await BUTTON_ACTIONS[act](session, cid, who, clock.now(), registry)
        done = result.outcome is Outcome.DONE
        reply = await outcome_text(
            session, result, cid, DONE_TEXT[act].format(id=cid), who, ACT_ACTION.get(act)
        )
        await query.answer(reply[:200], show_alert=not done)

    @router.callback_query(AssignCb.filter())
    async def on_assign(
        query: CallbackQuery,
        callback_data: AssignCb,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        cid, agency = callback_data.id, callback_data.agency
        if (who := await button_person(query, person)) is None:
            return
        choices = await agency_choices(session, who)
        result = await reassign(session, cid, agency, who, clock.now())
        if result.outcome is Outcome.UNKNOWN_AGENCY:
            await query.answer(texts.CB_UNKNOWN, show_alert=True)
            return
        if result.outcome is Outcome.AGENCY_OUT_OF_SCOPE:
            await query.answer(
                agency_refusal(result.outcome, agency, choices)[:200], show_alert=True
            )
            return
        done = texts.CB_REASSIGNED.format(id=cid, agency=dict(choices).get(agency, agency))
        reply = await outcome_text(session, result, cid, done, who, Action.REASSIGN)
        await query.answer(reply[:200], show_alert=result.outcome is not Outcome.DONE)

    @router.callback_query(ListCb.filter())
    async def on_list_page(
        query: CallbackQuery,
        callback_data: ListCb,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        if (who := await button_person(query, person)) is None:
            return
        shown: tuple[str, InlineKeyboardMarkup | None] | None
        if callback_data.kind in ("pages", "users"):
            shown = await admin_list_page(
                session, who, callback_data.kind, callback_data.page, clock
            )
        else:
            shown = await complaint_list_page(
                session, who, callback_data.kind, callback_data.key, callback_data.page, clock
            )
        message = button_message(query)
        if shown is None or message is None:
            await query.answer(texts.LIST_STALE, show_alert=True)
            return
        await query.answer()
        text, markup = shown
        await message.edit_text(text, reply_markup=markup)

    return router
