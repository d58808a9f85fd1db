"""Administration: /stats, /pages, /addpage, /invite, /users, /mute, /status.

Written once for every messenger (``bot.core.handling``)."""

from __future__ import annotations

import math
from html import escape
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from bot.collecting import collector_status_text
from bot.core import texts
from bot.core.handling import Feature, Request
from bot.core.keyboards import list_keyboard
from bot.core.render import local_time, percent, working_time
from bot.core.types import Card
from bot.menus import commands_for
from config.clock import Clock
from handlers import answers
from handlers.common import (
    PageResolveError,
    PageResolver,
    agency_choices,
    agency_refusal,
    allowed,
    parse_days,
    parse_role,
    resolve_agency,
    role_names,
)
from storage import queries
from storage.actions import Outcome, actor_of, audit
from storage.models import Agency, Page, Person
from storage.people import InviteError, create_invite, mute
from storage.scope import in_scope, scope_of

LINES_PER_PAGE = 15


MAX_MUTE_HOURS = 24 * 14


async def admin_list_page(
    session: AsyncSession, person: Person, kind: str, page: int, clock: Clock
) -> Card | None:
    """A page of /pages or /users, re-checked against the person's rights on every turn."""
    if kind not in commands_for(person.role):
        return None
    lines: list[str]
    if kind == "pages":
        agencies = dict(await agency_choices(session))
        scope = await scope_of(session, person)  # a regional moderator: the region's pages
        found = [p for p in await queries.pages(session) if in_scope(scope, p.agency_id)]
        title = texts.PAGES_TITLE.format(count=texts.pages_n(len(found)))
        lines = [
            texts.PAGE_LINE.format(
                name=escape(p.name),
                ref=escape(p.screen_name or f"club{p.group_id}"),
                agency=escape(agencies.get(p.agency_id, p.agency_id)),
                checked=local_time(p.last_checked_at, person.tz)
                if p.last_checked_at
                else texts.NEVER,
                problem=texts.PAGE_PROBLEM.format(reason=escape(p.unreachable_reason))
                if p.unreachable_reason
                else "",
            )
            for p in found
        ]
    else:
        now = clock.now()
        everyone = await queries.people(session)
        agency_name = dict(await agency_choices(session))
        title = texts.USERS_TITLE.format(count=len(everyone))
        lines = []
        for p in everyone:
            on_tg, on_max = p.telegram_id is not None, p.max_user_id is not None
            blocked_tg, blocked_max = on_tg and p.unreachable, on_max and p.max_unreachable
            if (blocked_tg or not on_tg) and (blocked_max or not on_max):
                flags = texts.USER_UNREACHABLE  # reached nowhere
            elif blocked_tg or blocked_max:
                flags = texts.USER_UNREACHABLE_ON.format(
                    channel="Telegram" if blocked_tg else "MAX"
                )
            else:
                flags = ""
            if p.muted_until is not None and p.muted_until > now:
                flags += texts.USER_MUTED.format(until=local_time(p.muted_until, person.tz))
            lines.append(
                texts.USER_LINE.format(
                    name=escape(p.name),
                    role=texts.ROLE_NAMES.get(p.role, p.role),
                    agencies=f" ({escape(', '.join(agency_name.get(a, a) for a in p.agencies))})"
                    if p.agencies
                    else "",
                    messengers=texts.messengers_line(
                        p.telegram_id, p.max_user_id, p.preferred_channel
                    ),
                    flags=flags,
                )
            )
    pages = max(1, math.ceil(len(lines) / LINES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    body = lines[page * LINES_PER_PAGE : (page + 1) * LINES_PER_PAGE]
    footer = [texts.LIST_PAGE.format(page=page + 1, pages=pages)] if pages > 1 else []
    text = "\n".join([title, *body, *footer])
    return Card(text, list_keyboard(kind, "", page, pages, []))


def vk_ref(link: str) -> str:
    """``https://vk.com/adm_city`` / ``vk.com/club123`` / ``@adm_city`` → ``adm_city``."""
    ref = link.strip().split("?", 1)[0].rstrip("/")
    for prefix in ("https://", "http://", "www.", "m.", "vk.com/", "vk.ru/"):
        ref = ref.removeprefix(prefix)
    return ref.lstrip("@")


async def stats(req: Request) -> None:
    if (who := await allowed(req, "stats")) is None:
        return
    days = parse_days(req.args)
    if days is None:
        await req.reply(texts.STATS_BAD_PERIOD.format(arg=escape(req.args.strip())))
        return
    s = await queries.stats(req.session, who, req.deps.clock.now(), days)
    f = s.figures
    await req.reply(
        texts.STATS.format(
            days=f"{days} {texts.plural(days, 'день', 'дня', 'дней')}",
            received=texts.complaints_n(s.received),
            answered=f.answered,
            on_time=f.on_time,
            measured=f.measured,
            share=percent(f.on_time_share),
            median=working_time(f.median_working_s, f.median_calendar_s),
            otpiska=f.otpiski,
            rated=f.rated,
            reopened=texts.STATS_REOPENED.format(
                n=f.reopened, median=working_time(f.median_update_s)
            )
            if f.reopened
            else "",
            open_now=s.open_now,
            overdue=s.overdue_now,
            deleted=texts.STATS_DELETED.format(n=s.deleted) if s.deleted else "",
        )
        + await answers.stats_line(req, who, days)  # issue 15
    )


async def admin_list(req: Request) -> None:
    """/pages and /users: the first page of the list the command names."""
    if (who := await allowed(req, req.command)) is None:
        return
    card = await admin_list_page(req.session, who, req.command, 0, req.deps.clock)
    assert card is not None
    await req.convo.reply(card)


async def addpage(req: Request) -> None:
    if (who := await allowed(req, "addpage")) is None:
        return
    session = req.session
    page_resolver = cast("PageResolver | None", req.deps.extra.get("page_resolver"))
    choices = await agency_choices(req.session, who)
    parts = req.args.split(maxsplit=1)
    if len(parts) != 2 or page_resolver is None:
        known = ", ".join(n for _, n in choices)
        await req.reply(texts.ADDPAGE_USAGE.format(known=escape(known)))
        return
    link, typed = parts
    agency_id, ambiguous = await resolve_agency(req.session, typed)
    if ambiguous is not None:
        await req.reply(ambiguous)
        return
    if agency_id not in dict(choices):
        exists = await session.get(Agency, agency_id) is not None
        refusal = Outcome.AGENCY_OUT_OF_SCOPE if exists else Outcome.UNKNOWN_AGENCY
        await req.reply(agency_refusal(refusal, typed, choices))
        return
    ref = vk_ref(link)
    try:
        found = await page_resolver(ref)
    except PageResolveError as exc:
        await req.reply(texts.ADDPAGE_VK_FAILED.format(error=escape(str(exc))))
        return
    if found is None:
        await req.reply(texts.ADDPAGE_NOT_FOUND.format(ref=escape(ref)))
        return
    if await session.get(Page, found.group_id) is not None:
        await req.reply(texts.ADDPAGE_EXISTS.format(name=escape(found.name), id=found.group_id))
        return
    session.add(
        Page(
            group_id=found.group_id,
            name=found.name,
            screen_name=found.screen_name,
            agency_id=agency_id,
            max_seen_id=0,
            # Its history (comments before now) is not alerted (issue 11).
            first_look_at=req.deps.clock.now(),
        )
    )
    audit(
        req.session,
        actor=actor_of(who),
        action="page_added",
        now=req.deps.clock.now(),
        after={"group_id": found.group_id, "name": found.name, "agency": agency_id},
    )
    await req.reply(
        texts.ADDPAGE_OK.format(
            name=escape(found.name),
            id=found.group_id,
            agency=escape(dict(choices).get(agency_id, agency_id)),
        )
    )


async def invite(req: Request) -> None:
    if (who := await allowed(req, "invite")) is None:
        return
    words = req.args.split()
    choices = await agency_choices(req.session, who)
    known = ", ".join(n for _, n in choices)
    usage = texts.INVITE_USAGE.format(roles=role_names())
    # «модератор ЦУР» is two words; the rest names the agency (a name, a part, a code).
    taken = 2 if len(words) >= 2 and parse_role(" ".join(words[:2])) else 1
    role = parse_role(" ".join(words[:taken])) if words else None
    typed = " ".join(words[taken:]) or None
    if role is None:
        await req.reply(usage)
        return
    agency = None
    if typed is not None:
        agency, ambiguous = await resolve_agency(req.session, typed)
        if ambiguous is not None:
            await req.reply(ambiguous)
            return
    made = await create_invite(req.session, who, role, agency, req.deps.clock.now())
    if made is InviteError.BAD_ROLE:
        await req.reply(usage)
    elif made is InviteError.ROLE_FORBIDDEN:
        await req.reply(texts.INVITE_ROLE_FORBIDDEN)
    elif made is InviteError.NEEDS_AGENCY:
        await req.reply(texts.INVITE_NEEDS_AGENCY.format(known=escape(known)))
    elif isinstance(made, InviteError):  # an unknown agency, or one outside the region
        await req.reply(agency_refusal(made, typed or "", choices))
    else:
        await req.reply(
            texts.INVITE_OK.format(
                role=texts.ROLE_NAMES.get(made.role, made.role),
                agency=f", {escape(dict(choices).get(made.agencies[0], made.agencies[0]))}"
                if made.agencies
                else "",
                expires=local_time(made.expires_at, who.tz),
                link=await req.convo.invite_link(made.code),
            )
        )


async def mute_(req: Request) -> None:
    if (who := await allowed(req, "mute")) is None:
        return
    arg = req.args.strip().replace(",", ".")
    try:
        hours = float(arg)
    except ValueError:
        hours = -1.0
    if not 0 <= hours <= MAX_MUTE_HOURS or math.isnan(hours):
        await req.reply(texts.MUTE_USAGE)
        return
    until = await mute(req.session, who, hours, req.deps.clock.now())
    if until is None:
        await req.reply(texts.UNMUTE_OK)
    else:
        await req.reply(texts.MUTE_OK.format(until=local_time(until, who.tz)))


async def status(req: Request) -> None:
    if (who := await allowed(req, "status")) is None:
        return
    h = await queries.health(req.session, req.deps.clock.now())
    unreachable = "".join(
        texts.STATUS_UNREACHABLE_LINE.format(name=escape(n), reason=escape(r))
        for n, r in h.unreachable[:20]
    )
    scope = await scope_of(req.session, who)  # a regional moderator: the region's agencies
    orphans = [(name, why) for a, name, why in h.unreached if in_scope(scope, a)]
    orphan_lines = "".join(
        texts.STATUS_ORPHAN_LINE.format(
            agency=escape(name), reason=texts.ORPHAN_SHORT[why.cause.value]
        )
        for name, why in orphans[:20]
    )
    await req.reply(
        texts.STATUS.format(
            pages=h.pages,
            fresh=h.fresh,
            never=h.never,
            last=local_time(h.last_checked_at, who.tz) if h.last_checked_at else texts.NEVER,
            unreachable=f"{len(h.unreachable)}{unreachable}",
            pending=h.outbox_pending,
            failed=h.outbox_failed,
            blocked=h.blocked,
            orphans=texts.STATUS_ORPHANS.format(n=len(orphans), lines=orphan_lines)
            if orphans
            else "",
        )
        + collector_status_text(h.collector, req.deps.clock.now(), who.tz)  # issue 11
    )


FEATURE = Feature(
    "admin",
    {
        "stats": stats,
        "pages": admin_list,
        "users": admin_list,
        "addpage": addpage,
        "invite": invite,
        "mute": mute_,
        "status": status,
    },
)
