"""Weekly ranking of agencies (Excel) and the complaint export (CSV).

The ranking is what a deputy governor forwards: one sheet ranks the agencies (order and
figures from :mod:`matcher.stats`), another lists every complaint of the week with a live
link, so any figure can be checked against the complaints behind it.  Weeks are ISO weeks
in the reader's time zone, Monday 00:00 to Monday 00:00.

The CSV export is for moderators who reconcile with other systems: UTF-8 with a BOM and
``;`` as the separator, which is what Excel in a Russian locale opens without a wizard.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.digest import (
    ComplaintRow,
    agency_names,
    leads_in_zone,
    load_complaints,
    local_day_bounds,
    mark_once,
    media_payload,
    topic_label,
)
from bot.scheduler import JobDeps
from matcher.stats import AgencyFigures, agency_figures, rank_agencies
from storage.outbox import enqueue
from storage.scope import Scope, agencies_arg, scope_of

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
STATUS_NAMES = {
    "open": "открыта",
    "in_work": "в работе",
    "answered": "отвечена",
    "resolved": "решена",
    "dismissed": "не жалоба",
    "deleted": "комментарий удалён",
}


@dataclass(frozen=True, slots=True)
class Week:
    year: int
    week: int

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        start, _ = local_day_bounds(self.monday, tz)
        end, _ = local_day_bounds(self.monday + timedelta(days=7), tz)
        return start, end


def parse_week(text: str) -> Week | None:
    """``2026-W47`` (or ``2026W47``); None if malformed or not a real ISO week."""
    m = _WEEK.match(text.strip())
    if m is None:
        return None
    try:
        monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
    except ValueError:
        return None
    iso = monday.isocalendar()
    return Week(iso.year, iso.week)


def last_full_week(now: datetime, tz: str) -> Week:
    """The ISO week before the one ``now`` falls in, locally."""
    iso = (now.astimezone(ZoneInfo(tz)).date() - timedelta(days=7)).isocalendar()
    return Week(iso.year, iso.week)


def hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _local(at: datetime | None, tz: str) -> datetime | None:
    """openpyxl stores naive datetimes: write the reader's local wall time."""
    return None if at is None else at.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


async def weekly_ranking(
    session: AsyncSession,
    week: Week,
    *,
    tz: str,
    now: datetime,
    agencies: Sequence[str] | None = None,
) -> tuple[list[AgencyFigures], list[ComplaintRow], dict[str, str]]:
    """The ranking of ``agencies`` (None: all) over ``week``, with the complaints behind it."""
    start, end = week.bounds(tz)
    rows = await load_complaints(session, start, end, agencies)
    per_agency: dict[str, list[ComplaintRow]] = {}
    for r in rows:
        per_agency.setdefault(r.facts.agency_id, []).append(r)
    ranked = rank_agencies(
        agency_figures(a, (r.facts for r in items), now) for a, items in per_agency.items()
    )
    return ranked, rows, await agency_names(session)


def ranking_xlsx(
    week: Week,
    ranked: Sequence[AgencyFigures],
    rows: Sequence[ComplaintRow],
    names: dict[str, str],
    tz: str,
) -> bytes:
    """The Excel workbook: «Рейтинг» (one row per agency, best first) and «Жалобы»."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = texts.XLSX_RANKING_SHEET
    ws.append(list(texts.RANKING_HEADERS))
    for place, a in enumerate(ranked, start=1):
        ws.append(
            [
                place,
                names.get(a.agency_id, a.agency_id),
                a.complaints,
                a.answered,
                a.on_time_share,
                hours(a.median_working_s),
                hours(a.p90_working_s),
                hours(a.median_calendar_s),
                a.otpiska_share,
                a.mean_quality,
                a.overdue_open,
                a.deleted,
            ]
        )
        for col in ("E", "I"):
            ws[f"{col}{place + 1}"].number_format = "0%"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.column_dimensions["B"].width = 40
    ws.freeze_panes = "A2"

    wc = wb.create_sheet(texts.XLSX_COMPLAINTS_SHEET)
    wc.append(list(texts.COMPLAINT_HEADERS))
    for r in rows:
        f = r.facts
        on_time = f.on_time()
        wc.append(
            [
                r.id,
                _local(f.created_at, tz),
                names.get(f.agency_id, f.agency_id),
                r.page_name,
                topic_label(f.topic),
                STATUS_NAMES.get(r.status, r.status),
                _local(f.due_at, tz),
                _local(f.answered_at, tz),
                hours(f.response_s),
                hours(f.working_s),
                None if on_time is None or f.answered_at is None else _yes(on_time),
                None if f.otpiska is None else _yes(f.otpiska),
                f.quality,
                r.url,
                r.text,
            ]
        )
        link = wc.cell(row=wc.max_row, column=14)
        link.hyperlink = r.url
        link.style = "Hyperlink"
        for col_no in (2, 7, 8):
            wc.cell(row=wc.max_row, column=col_no).number_format = "DD.MM.YYYY HH:MM"
    for cell in wc[1]:
        cell.font = Font(bold=True)
    wc.freeze_panes = "A2"
    wc.column_dimensions["O"].width = 60
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _yes(flag: bool) -> str:
    return texts.YES if flag else texts.NO


async def build_weekly_report(
    session: AsyncSession,
    week: Week,
    *,
    tz: str,
    now: datetime,
    agencies: Sequence[str] | None = None,
) -> tuple[bytes, str, str]:
    """(xlsx bytes, file name, caption) for ``week`` in ``tz``, ranking ``agencies`` (None:
    all; a lead's own agencies or region otherwise, like the digest)."""
    ranked, rows, names = await weekly_ranking(session, week, tz=tz, now=now, agencies=agencies)
    data = await asyncio.to_thread(ranking_xlsx, week, ranked, rows, names, tz)
    sunday = week.monday + timedelta(days=6)
    caption = texts.REPORT_CAPTION.format(
        week=week.label,
        start=week.monday.strftime("%d.%m.%Y"),
        end=sunday.strftime("%d.%m.%Y"),
    )
    return data, f"otklik-{week.label}.xlsx", caption


async def send_weekly_reports(deps: JobDeps, *, now: datetime, tz: str) -> list[int]:
    """Scheduler job (Monday 09:00 local): last week's ranking to each lead in ``tz``, once,
    each ranking only the lead's own agencies (``storage.scope``)."""
    sent: list[int] = []
    async with deps.sessions() as session, session.begin():
        cache: dict[tuple[str, Scope], tuple[bytes, str, str]] = {}
        for lead in await leads_in_zone(session, tz):
            local = now.astimezone(ZoneInfo(lead.tz))
            if local.weekday() != 0 or local.time() < time(9, 0):
                continue
            week = last_full_week(now, lead.tz)
            key = f"weekly:last:{lead.telegram_id}"
            if not await mark_once(session, key, {"week": week.label}):
                continue
            scope = await scope_of(session, lead)
            if (week.label, scope) not in cache:
                cache[week.label, scope] = await build_weekly_report(
                    session, week, tz=tz, now=now, agencies=agencies_arg(scope)
                )
            data, filename, caption = cache[week.label, scope]
            enqueue(
                session,
                key=f"weekly:{lead.telegram_id}:{week.label}",
                chat_id=lead.telegram_id,
                kind="document",
                payload=media_payload(data, filename, caption),
                now=now,
            )
            sent.append(lead.telegram_id)
    return sent


MAX_EXPORT_DAYS = 366


def parse_period(args: str) -> tuple[date, date] | None:
    """``2026-11-01 2026-11-30`` (inclusive); None if malformed, reversed or over a year."""
    parts = args.split()
    if len(parts) != 2:
        return None
    try:
        first, last = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
    except ValueError:
        return None
    if last < first or (last - first).days >= MAX_EXPORT_DAYS:
        return None
    return first, last


CSV_HEADERS = (
    "id",
    "created_at",
    "agency",
    "page",
    "topic",
    "status",
    "due_at",
    "answered_at",
    "response_seconds",
    "business_seconds",
    "on_time",
    "otpiska",
    "quality",
    "url",
    "text",
)


async def export_csv(
    session: AsyncSession,
    first: date,
    last: date,
    *,
    tz: str,
    agencies: Sequence[str] | None = None,
) -> tuple[bytes, int]:
    """Every complaint of ``agencies`` (None: all) created on local days ``first``..``last``
    (dismissed ones too, with their status), as CSV bytes, and their number."""
    start, _ = local_day_bounds(first, tz)
    _, end = local_day_bounds(last, tz)
    rows = await load_complaints(session, start, end, agencies, include_dismissed=True)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_HEADERS)
    for r in rows:
        f = r.facts
        on_time = f.on_time() if f.answered_at is not None else None
        w.writerow(
            [
                r.id,
                _iso(f.created_at, tz),
                f.agency_id,
                r.page_name,
                f.topic,
                r.status,
                _iso(f.due_at, tz),
                _iso(f.answered_at, tz),
                "" if f.response_s is None else f.response_s,
                "" if f.working_s is None else f.working_s,
                "" if on_time is None else int(on_time),
                "" if f.otpiska is None else int(f.otpiska),
                "" if f.quality is None else f.quality,
                r.url,
                " ".join(r.text.split()),
            ]
        )
    return buf.getvalue().encode("utf-8-sig"), len(rows)


def _iso(at: datetime | None, tz: str) -> str:
    return "" if at is None else at.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")
