"""Moderator commands on complaints: /resolve, /dismiss, /assign, /reopen (parse and reply;
the state changes live in ``storage.actions``).  Written once for every messenger."""

from __future__ import annotations

from html import escape

from bot.core import texts
from bot.core.handling import Feature, Request
from bot.core.keyboards import agency_picker
from handlers.common import (
    agency_choices,
    agency_refusal,
    deadline_reply,
    missing_text,
    outcome_text,
    request_complaint_args,
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
from storage.models import Complaint, ComplaintStatus

#: The two ways to close a complaint: the status it gets and the reply that says so.
CLOSING = {
    "resolve": (ComplaintStatus.RESOLVED, texts.RESOLVED_OK),
    "dismiss": (ComplaintStatus.DISMISSED, texts.DISMISSED_OK),
}


async def close(req: Request) -> None:
    """``/resolve 12 [комментарий]`` and ``/dismiss 12 [причина]``."""
    if (args := await request_complaint_args(req)) is None:
        return
    who, complaint_id, note = args
    status, done = CLOSING[req.command]
    result = await close_complaint(
        req.session,
        complaint_id,
        actor=actor_of(who),
        status=status,
        note=note,
        now=req.deps.clock.now(),
        person=who,
    )
    action = Action.RESOLVE if status == ComplaintStatus.RESOLVED else Action.DISMISS
    await req.reply(
        await outcome_text(
            req.session, result, complaint_id, done.format(id=complaint_id), who, action
        )
    )


async def assign(req: Request) -> None:
    """``/assign 12`` shows the agency picker; ``/assign 12 Водоканал`` (a name, a part of
    it, or the code) passes it at once.  Both offer only the agencies of the moderator's
    region."""
    if (args := await request_complaint_args(req)) is None:
        return
    who, complaint_id, typed = args
    session = req.session
    choices = await agency_choices(session, who)
    if typed is None:
        found = await session.get(Complaint, complaint_id)
        if found is None or not await can_see(session, who, found):
            await req.reply(await missing_text(session, who, complaint_id))
            return
        await req.reply(
            texts.CB_PICK_AGENCY.format(id=complaint_id),
            keyboard=agency_picker(complaint_id, choices),
        )
        return
    agency, ambiguous = await resolve_agency(session, typed)
    if ambiguous is not None:
        await req.reply(ambiguous)
        return
    result = await reassign(session, complaint_id, agency, who, req.deps.clock.now())
    if result.outcome in (Outcome.UNKNOWN_AGENCY, Outcome.AGENCY_OUT_OF_SCOPE):
        await req.reply(agency_refusal(result.outcome, typed, choices))
        return
    name = escape(dict(choices).get(agency, agency))
    done = texts.ASSIGNED_OK.format(id=complaint_id, agency=name)
    await req.reply(await outcome_text(session, result, complaint_id, done, who, Action.REASSIGN))


async def reopen_(req: Request) -> None:
    if (args := await request_complaint_args(req)) is None:
        return
    who, complaint_id, _ = args
    result = await reopen(req.session, complaint_id, who, req.deps.clock.now())
    await req.reply(
        await deadline_reply(
            req.session, result, complaint_id, who, texts.REOPENED_OK, Action.REOPEN
        )
    )


FEATURE = Feature(
    "moderation", {"resolve": close, "dismiss": close, "assign": assign, "reopen": reopen_}
)
