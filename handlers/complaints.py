"""Complaint cards and lists: the alert buttons, /complaint, /my, /open, /overdue, paging.

Written once for every messenger (``bot.core.handling``).  Button presses carry plain
payloads (``bot.core.callbacks``); each press reloads the complaint and checks the presser's
rights, so a forged, foreign or stale button changes nothing and says why.  State changes go
through ``storage.actions``, which queues the card edits for everyone who has the card (the
presser included) in the same transaction.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import texts
from bot.core.callbacks import ACT_ACTION, Act, AssignCb, ComplaintCb, ListCb
from bot.core.handling import Feature, Request
from bot.core.keyboards import agency_picker, alert_keyboard, list_keyboard
from bot.core.render import render_list
from bot.core.types import Card
from bot.outbox import list_items, remember_card, render_card, render_summary
from config.clock import Clock
from config.registry import Registry
from handlers.admin import admin_list_page
from handlers.common import (
    MAX_GROUP_ID,
    agency_choices,
    agency_refusal,
    allowed,
    forbidden_text,
    missing_text,
    outcome_text,
    parse_id,
    parse_topic,
    pressing_person,
    request_complaint_args,
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
) -> Card | None:
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
    return Card(text, list_keyboard(kind, key, page, pages, chunk))


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


async def _list(req: Request, person: Person, kind: str, key: str) -> None:
    card = await complaint_list_page(req.session, person, kind, key, 0, req.deps.clock)
    assert card is not None
    await req.convo.reply(card)


async def plain_list(req: Request) -> None:
    """/my and /overdue: the lists that take no filter (the command names the list)."""
    if (who := await allowed(req, req.command)) is not None:
        await _list(req, who, req.command, "")


async def open_(req: Request) -> None:
    if (who := await allowed(req, "open")) is None:
        return
    key = await open_filter(req.session, req.args)
    if key is None:
        await req.reply(
            texts.OPEN_BAD_FILTER.format(arg=req.args.replace("<", "&lt;"), topics=topic_names())
        )
        return
    await _list(req, who, "open", key)


async def complaint(req: Request) -> None:
    if (args := await request_complaint_args(req)) is not None:
        who, complaint_id, _ = args
        await _show_card(req, who, complaint_id)


async def _show_card(req: Request, who: Person, complaint_id: int) -> bool:
    """Send the complaint's card to the person and remember it, so later changes edit it."""
    session, now = req.session, req.deps.clock.now()
    found = await session.get(Complaint, complaint_id)
    if found is None or not await can_see(session, who, found):
        await req.reply(await missing_text(session, who, complaint_id))
        return False
    ref = await req.convo.reply(await render_card(session, complaint_id, who.id, now))
    if ref is not None:
        await remember_card(session, complaint_id, who.id, ref, now, req.convo.channel)
    return True


# ---- buttons ---------------------------------------------------------------------------------


async def on_complaint_button(req: Request) -> None:
    data = ComplaintCb.unpack(req.args)
    if data is None:
        await req.convo.toast(texts.CB_UNKNOWN, alert=True)
        return
    cid, act = data.id, data.act
    if (who := await pressing_person(req)) is None:
        return
    session, now = req.session, req.deps.clock.now()
    found = await session.get(Complaint, cid)
    if found is None or not await can_see(session, who, found):
        await req.convo.toast(await missing_text(session, who, cid), alert=True)
        return
    if act is Act.SHOW:
        await _show_card(req, who, cid)
        return
    if act in (Act.PICK, Act.BACK):
        if not may(who, Action.REASSIGN, found):
            await req.convo.toast(forbidden_text(cid, Action.REASSIGN), alert=True)
            return
        card = await render_card(session, cid, who.id, now)
        if act is Act.PICK:
            card = Card(card.html, agency_picker(cid, await agency_choices(session, who)))
        else:
            waiting = found.waiting_since is not None
            card = Card(card.html, alert_keyboard(cid, found.status, who.role, waiting=waiting))
        await req.convo.edit(card)
        return
    result = await BUTTON_ACTIONS[act](session, cid, who, now, req.deps.registry)
    done = result.outcome is Outcome.DONE
    reply = await outcome_text(
        session, result, cid, DONE_TEXT[act].format(id=cid), who, ACT_ACTION.get(act)
    )
    await req.convo.toast(reply, alert=not done)


async def on_assign(req: Request) -> None:
    data = AssignCb.unpack(req.args)
    if data is None:
        await req.convo.toast(texts.CB_UNKNOWN, alert=True)
        return
    cid, agency = data.id, data.agency
    if (who := await pressing_person(req)) is None:
        return
    choices = await agency_choices(req.session, who)
    result = await reassign(req.session, cid, agency, who, req.deps.clock.now())
    if result.outcome is Outcome.UNKNOWN_AGENCY:
        await req.convo.toast(texts.CB_UNKNOWN, alert=True)
        return
    if result.outcome is Outcome.AGENCY_OUT_OF_SCOPE:
        await req.convo.toast(agency_refusal(result.outcome, agency, choices), alert=True)
        return
    done = texts.CB_REASSIGNED.format(id=cid, agency=dict(choices).get(agency, agency))
    reply = await outcome_text(req.session, result, cid, done, who, Action.REASSIGN)
    await req.convo.toast(reply, alert=result.outcome is not Outcome.DONE)


async def on_list_page(req: Request) -> None:
    data = ListCb.unpack(req.args)
    if data is None:
        await req.convo.toast(texts.CB_UNKNOWN, alert=True)
        return
    if (who := await pressing_person(req)) is None:
        return
    card: Card | None
    if data.kind in ("pages", "users"):
        card = await admin_list_page(req.session, who, data.kind, data.page, req.deps.clock)
    else:
        card = await complaint_list_page(
            req.session, who, data.kind, data.key, data.page, req.deps.clock
        )
    if card is None or not await req.convo.edit(card):
        await req.convo.toast(texts.LIST_STALE, alert=True)


FEATURE = Feature(
    "complaints",
    {"my": plain_list, "overdue": plain_list, "open": open_, "complaint": complaint},
    {
        ComplaintCb.PREFIX: on_complaint_button,
        AssignCb.PREFIX: on_assign,
        ListCb.PREFIX: on_list_page,
    },
)
