"""Report commands: /digest, /report [week], /export FROM TO (thin: parsing and replies).

On-demand reports are answered directly rather than through the outbox: the person is
waiting for them, nothing else changes state, and a retry is simply asking again.
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.digest import build_digest, region_label
from bot.reports import build_weekly_report, export_csv, last_full_week, parse_period, parse_week
from config.clock import Clock
from handlers.common import gate
from storage.models import Person
from storage.scope import agencies_arg, scope_of


def build_router() -> Router:
    """Who may run what comes from the role menus (``bot.menus.ROLE_COMMANDS``): /digest
    and /report for leads, moderators and admins, /export for moderators and admins.  Each
    report covers the asker's scope (``storage.scope``): their agencies, their region."""
    router = Router(name="reports")

    @router.message(Command("digest"))
    async def digest(
        message: Message, person: Person | None, session: AsyncSession, clock: Clock
    ) -> None:
        if (person := await gate(message, person, "digest")) is None:
            return
        text, chart, data = await build_digest(session, person, clock.now())
        await message.answer(text, disable_web_page_preview=True)
        day = data.day.isoformat()
        await message.answer_photo(
            BufferedInputFile(chart, filename=f"digest-{day}.png"),
            caption=texts.DIGEST_CHART_CAPTION.format(day=data.day.strftime("%d.%m.%Y")),
        )

    @router.message(Command("report"))
    async def report(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        if (person := await gate(message, person, "report")) is None:
            return
        now = clock.now()
        args = (command.args or "").strip()
        today = now.astimezone(ZoneInfo(person.tz)).date()
        week = parse_week(args, today) if args else last_full_week(now, person.tz)
        if week is None:
            await message.answer(texts.REPORT_BAD_WEEK.format(arg=escape(args)))
            return
        scope = agencies_arg(await scope_of(session, person))
        report = await build_weekly_report(
            session,
            week,
            tz=person.tz,
            now=now,
            agencies=scope,
            region=await region_label(session, person),
        )
        await message.answer_document(
            BufferedInputFile(report.xlsx, filename=report.filename), caption=report.caption
        )
        await message.answer_photo(
            BufferedInputFile(report.chart, filename=report.chart_filename),
            caption=report.chart_caption,
        )

    @router.message(Command("export"))
    async def export(
        message: Message,
        command: CommandObject,
        person: Person | None,
        session: AsyncSession,
        clock: Clock,
    ) -> None:
        if (person := await gate(message, person, "export")) is None:
            return
        args = (command.args or "").strip()
        today = clock.now().astimezone(ZoneInfo(person.tz)).date()
        period = parse_period(args, today)
        if period is None:
            await message.answer(texts.EXPORT_BAD_PERIOD.format(arg=escape(args)))
            return
        first, last = period
        scope = agencies_arg(await scope_of(session, person))
        data, n = await export_csv(
            session, first, last, tz=person.tz, agencies=scope, now=clock.now()
        )
        await message.answer_document(
            BufferedInputFile(data, filename=f"otklik-{first.isoformat()}-{last.isoformat()}.csv"),
            caption=texts.EXPORT_CAPTION.format(
                start=first.strftime("%d.%m.%Y"), end=last.strftime("%d.%m.%Y"), n=n
            ),
        )

    return router
