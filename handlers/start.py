"""/start (with an invite code: joining) and /help: who you are here and what you can do.

Written once for every messenger (``bot.core.handling``).
"""

from __future__ import annotations

from bot.core import texts
from bot.core.handling import Feature, Request
from bot.menus import commands_for
from storage.people import redeem_invite


async def start(req: Request) -> None:
    """Greets a known person; a stranger with a valid invite joins; others are refused."""
    person = req.person
    role_name = texts.ROLE_NAMES.get(person.role, person.role) if person else ""
    if person is not None and person.active:
        if req.args:
            await req.reply(texts.ALREADY_JOINED.format(role=role_name))
            return
        await req.reply(
            texts.START_KNOWN.format(
                name=person.name,
                role=role_name,
                help=texts.help_text(person.role, commands_for(person.role)),
            )
        )
        return
    if not req.args or person is not None:
        await req.reply(texts.START_UNKNOWN)
        return
    convo = req.convo
    joined = await redeem_invite(
        req.session,
        req.args,
        convo.sender_id,
        convo.sender_name,
        req.deps.clock.now(),
        convo.channel,
    )
    if joined is None:
        await req.reply(texts.INVITE_INVALID)
        return
    await req.session.flush()
    await convo.refresh_menu(req.session, joined)
    await req.reply(
        texts.JOINED.format(
            name=joined.name,
            role=texts.ROLE_NAMES.get(joined.role, joined.role),
            help=texts.help_text(joined.role, commands_for(joined.role)),
        )
    )


async def help_(req: Request) -> None:
    person = req.person
    if person is None or not person.active:
        await req.reply(texts.START_UNKNOWN)
        return
    await req.reply(texts.help_text(person.role, commands_for(person.role)))


FEATURE = Feature("start", {"start": start, "help": help_})
