"""/wait and /resume: the official asked the resident something, so the deadline clock
stands still until the resident writes back (ingest resumes it) or someone resumes it by hand.

The alert's «Ждём ответа жителя» / «Возобновить срок» buttons do the same through
``handlers.complaints``; both end in ``storage.actions``.  Written once for every messenger.
"""

from __future__ import annotations

from bot.core import texts
from bot.core.handling import Feature, Request
from handlers.common import deadline_reply, outcome_text, request_complaint_args
from storage.actions import Action, resume, wait_for_resident

#: The reason shows on every card of the complaint: a sentence, not a letter.
MAX_REASON = 300


async def wait(req: Request) -> None:
    """``/wait 12 уточняем адрес``: the reason is optional and shows on the cards."""
    if (args := await request_complaint_args(req)) is None:
        return
    who, complaint_id, reason = args
    if reason is not None and len(reason) > MAX_REASON:
        await req.reply(texts.WAIT_REASON_TOO_LONG.format(limit=MAX_REASON))
        return
    result = await wait_for_resident(req.session, complaint_id, who, req.deps.clock.now(), reason)
    done = texts.WAIT_OK.format(id=complaint_id)
    await req.reply(await outcome_text(req.session, result, complaint_id, done, who, Action.WAIT))


async def resume_(req: Request) -> None:
    if (args := await request_complaint_args(req)) is None:
        return
    who, complaint_id, _ = args
    now = req.deps.clock.now()
    result = await resume(req.session, complaint_id, who, now, req.deps.registry)
    await req.reply(
        await deadline_reply(
            req.session, result, complaint_id, who, texts.RESUME_OK, Action.RESUME
        )
    )


FEATURE = Feature("waiting", {"wait": wait, "resume": resume_})
