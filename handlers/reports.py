"""Report commands: /digest, /report [week], /export FROM TO (thin: parsing and replies).

On-demand reports are answered directly rather than through the outbox: the person is
waiting for them, nothing else changes state, and a retry is simply asking again.  Written
once for every messenger (``bot.core.handling``).
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from bot.core import texts
from bot.core.handling import Feature, Request
from bot.core.privacy import hiding
from bot.core.types import Media
from bot.digest import build_digest, region_label
from bot.reports import build_weekly_report, export_csv, last_full_week, parse_period, parse_week
from handlers.common import allowed
from storage.scope import agencies_arg, scope_of


async def digest(req: Request) -> None:
    if (person := await allowed(req, "digest")) is None:
        return
    text, chart, data = await build_digest(
        req.session, person, req.deps.clock.now(), draw=req.deps.draw
    )
    await req.reply(text, link_preview=False)
    day = data.day.isoformat()
    await req.reply(
        texts.DIGEST_CHART_CAPTION.format(day=data.day.strftime("%d.%m.%Y")),
        media=Media("image", f"digest-{day}.png", chart),
    )


async def report(req: Request) -> None:
    if (person := await allowed(req, "report")) is None:
        return
    now = req.deps.clock.now()
    today = now.astimezone(ZoneInfo(person.tz)).date()
    week = parse_week(req.args, today) if req.args else last_full_week(now, person.tz)
    if week is None:
        await req.reply(texts.REPORT_BAD_WEEK.format(arg=escape(req.args)))
        return
    scope = agencies_arg(await scope_of(req.session, person))
    built = await build_weekly_report(
        req.session,
        week,
        tz=person.tz,
        now=now,
        agencies=scope,
        region=await region_label(req.session, person),
        draw=req.deps.draw,
    )
    await _send_texts_file(req, built.caption, Media("file", built.filename, built.xlsx))
    await req.reply(built.chart_caption, media=Media("image", built.chart_filename, built.chart))


async def export(req: Request) -> None:
    if (person := await allowed(req, "export")) is None:
        return
    now = req.deps.clock.now()
    period = parse_period(req.args, now.astimezone(ZoneInfo(person.tz)).date())
    if period is None:
        await req.reply(texts.EXPORT_BAD_PERIOD.format(arg=escape(req.args)))
        return
    first, last = period
    scope = agencies_arg(await scope_of(req.session, person))
    data, n = await export_csv(req.session, first, last, tz=person.tz, agencies=scope, now=now)
    caption = texts.EXPORT_CAPTION.format(
        start=first.strftime("%d.%m.%Y"), end=last.strftime("%d.%m.%Y"), n=n
    )
    name = f"otklik-{first.isoformat()}-{last.isoformat()}.csv"
    await _send_texts_file(req, caption, Media("file", name, data))


async def _send_texts_file(req: Request, caption: str, media: Media) -> None:
    """A file that lists residents' comments: not sent to a messenger in the no-personal-data
    mode (``bot/core/privacy.py``), as the outbox withholds the weekly Excel there."""
    if hiding():
        await req.reply(texts.PRIVATE_FILE_WITHHELD.format(caption=caption))
        return
    await req.reply(caption, media=media)


#: Who may run what comes from the role menus (``bot.menus.ROLE_COMMANDS``): /digest and
#: /report for leads, moderators and admins, /export for moderators and admins.  Each report
#: covers the asker's scope (``storage.scope``): their agencies, their region.
FEATURE = Feature("reports", {"digest": digest, "report": report, "export": export})
