"""Weekly ranking of agencies (Excel) and the complaint export (CSV).

The ranking is what a deputy governor forwards: one sheet ranks the agencies (order and
figures from :mod:`matcher.stats`), another lists every complaint of the week with a live
link, so any figure can be checked against the complaints behind it.  Weeks are ISO weeks
in the reader's time zone, Monday 00:00 to Monday 00:00.

The CSV export is for moderators who reconcile with other systems: UTF-8 with a BOM and
``;`` as the separator, which is what Excel in a Russian locale opens without a wizard.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import RankBar, ranking_chart
from bot.core import texts
from bot.digest import (
    ComplaintRow,
    agency_names,
    leads_in_zone,
    load_complaints,
    local_day_bounds,
    mark_once,
    media_payload,
    region_label,
    topic_label,
)
from bot.drawing import Drawing
from bot.scheduler import JobDeps
from matcher.stats import AgencyFigures, RankRule, agency_figures, rank_agencies
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
        """ISO (``2026-W47``): keys, logs, file names; people read :attr:`title`."""
        return f"{self.year}-W{self.week:02d}"

    @property
    def title(self) -> str:
        """«47 (16.11.2026 — 22.11.2026)»: how a person reads the week."""
        sunday = self.monday + timedelta(days=6)
        return f"{self.week} ({self.monday:%d.%m.%Y} — {sunday:%d.%m.%Y})"

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        start, _ = local_day_bounds(self.monday, tz)
        end, _ = local_day_bounds(self.monday + timedelta(days=7), tz)
        return start, end


def parse_week(text: str, today: date | None = None) -> Week | None:
    """A week as people name it: its number (``47``, ``неделя 47``: the latest week 47 up to
    ``today``, the reader's local day by the app clock), any of its days (``16.11.2026``,
    ``2026-11-16``), or ISO ``2026-W47``; None if it is none of these or no real week."""
    raw = " ".join(text.lower().replace("ё", "е").split())
    for word in ("неделя", "неделю", "нед.", "нед", "№"):
        raw = raw.removeprefix(word).strip()
    m = _WEEK.match(raw)
    if m is not None:
        year, number = int(m[1]), int(m[2])
    elif raw.isascii() and raw.isdigit() and len(raw) <= 2:
        if today is None:  # the app clock's day, passed in: no hidden "now" here
            return None
        number, year = int(raw), today.isocalendar().year
        if (year, number) > tuple(today.isocalendar())[:2]:
            year -= 1  # week 52 asked in January: last year's
    else:
        day = parse_date(raw, today)
        if day is None:
            return None
        iso = day.isocalendar()
        return Week(iso.year, iso.week)
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        return None
    iso = monday.isocalendar()
    return Week(iso.year, iso.week)


_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?$")


def parse_date(text: str, today: date | None = None) -> date | None:
    """``01.11.2026``, ``1.11.26``, ``01.11`` (this year) or ISO ``2026-11-01``; None if
    none of these or no real date."""
    text = text.strip()
    m = _DATE.match(text)
    try:
        if m is None:
            return date.fromisoformat(text) if len(text) == 10 else None
        if m[3] is None and today is None:
            return None
        year = int(m[3]) if m[3] else today.year if today else 0
        return date(year + 2000 if year < 100 else year, int(m[2]), int(m[1]))
    except ValueError:
        return None


def last_full_week(now: datetime, tz: str) -> Week:
    """The ISO week before the one ``now`` falls in, locally."""
    iso = (now.astimezone(ZoneInfo(tz)).date() - timedelta(days=7)).isocalendar()
    return Week(iso.year, iso.week)


#: A week ranks agencies with at least this many complaints (``matcher.stats.RankRule``).
WEEKLY_RULE = RankRule(min_complaints=3)
DAY_S = 86_400
#: Excel/LibreOffice show a time value as hours and minutes, past 24 h too («27:30»).
DURATION_FORMAT = "[h]:mm"
DATE_FORMAT = "DD.MM.YYYY HH:MM"
SHARE_FORMAT = "0%"
MAX_WIDTH = 48
TEXT_WIDTH = 60


def duration_value(seconds: int | None) -> float | None:
    """Seconds as an Excel time value (a fraction of a day), shown «ч:мм»."""
    return None if seconds is None else seconds / DAY_S


def hmm_text(seconds: int | None) -> str:
    """«ч:мм» as text (the CSV)."""
    if seconds is None:
        return ""
    minutes = max(0, int(seconds)) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def _local(at: datetime | None, tz: str) -> datetime | None:
    """openpyxl stores naive datetimes: write the reader's local wall time (the header names
    the zone)."""
    return None if at is None else at.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def zone_label(tz: str, at: datetime) -> str:
    """«UTC+3, Europe/Moscow»: the zone the report's times are in."""
    offset = at.astimezone(ZoneInfo(tz)).utcoffset() or timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
    sign = "+" if offset >= timedelta(0) else "−"
    shown = f"{abs(hours)}" + (f":{rest:02d}" if rest else "")
    return f"UTC{sign}{shown}, {tz}"


async def weekly_ranking(
    session: AsyncSession,
    week: Week,
    *,
    tz: str,
    now: datetime,
    agencies: Sequence[str] | None = None,
) -> tuple[list[AgencyFigures], list[ComplaintRow], dict[str, str]]:
    """The ranking of ``agencies`` (None: all) over ``week`` (``WEEKLY_RULE``: ranked ones
    first, best first, then those with too few complaints), with the complaints behind it."""
    start, end = week.bounds(tz)
    rows = await load_complaints(session, start, end, agencies, now=now)
    per_agency: dict[str, list[ComplaintRow]] = {}
    for r in rows:
        per_agency.setdefault(r.facts.agency_id, []).append(r)
    names = await agency_names(session)
    ranked = rank_agencies(
        (agency_figures(a, (r.facts for r in items), now) for a, items in per_agency.items()),
        WEEKLY_RULE,
        names,
    )
    return ranked, rows, names


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    kind: str = "text"  # text, int, share, duration, date, link, long


#: The ranking sheet's columns: ``texts.RANKING_HEADERS`` with how each is formatted.
RANKING_COLUMNS = tuple(
    Column(header, kind)
    for header, kind in zip(
        texts.RANKING_HEADERS,
        (
            "int",
            "text",
            "int",
            "int",
            "share",
            "share",
            "share",
            "duration",
            "duration",
            "duration",
            "int",
            "duration",
            "int",
            "int",
            "int",
            "text",
        ),
        strict=True,
    )
)


def complaint_columns(zone: str) -> tuple[Column, ...]:
    """The complaints sheet's (and the CSV's) columns; the date headers name the zone."""
    kinds = (
        "int",
        "date",
        "text",
        "text",
        "text",
        "text",
        "date",
        "date",
        "duration",
        "duration",
        "text",
        "text",
        "int",
        "int",
        "duration",
        "duration",
        "duration",
        "link",
        "long",
    )
    return tuple(
        Column(h.format(zone=zone), k) for h, k in zip(texts.COMPLAINT_HEADERS, kinds, strict=True)
    )


def ranking_row(place: int | None, a: AgencyFigures, name: str) -> list[object]:
    return [
        place,
        name,
        a.complaints,
        a.answered,
        a.on_time_share,
        a.good_share,
        a.otpiska_share,
        duration_value(a.median_working_s),
        duration_value(a.p90_working_s),
        duration_value(a.median_calendar_s),
        a.reopened,
        duration_value(a.median_update_s),
        a.overdue_open,
        a.deleted,
        None if a.mean_quality is None else round(a.mean_quality),
        "" if place is not None else texts.XLSX_UNRANKED.format(n=WEEKLY_RULE.min_complaints),
    ]


def complaint_row(r: ComplaintRow, names: dict[str, str], tz: str) -> list[object]:
    """One complaint as the sheet (and, formatted, the CSV) shows it; times are the first
    answer's, the reopen's on its own, "overdue" the running clock's now (working time)."""
    f = r.facts
    on_time = f.on_time()
    late = r.late
    return [
        r.id,
        _local(f.created_at, tz),
        names.get(f.agency_id, f.agency_id),
        r.page_name,
        topic_label(f.topic),
        STATUS_NAMES.get(r.status, r.status),
        _local(f.due_at, tz),
        _local(f.answered_at, tz),
        duration_value(f.response_s),
        duration_value(f.working_s),
        None if on_time is None or f.answered_at is None else _yes(on_time),
        None if f.otpiska is None else _yes(f.otpiska),
        f.quality,
        f.reopened or None,
        duration_value(f.update_working_s),
        duration_value(late.late_s) if late is not None and late.overdue else None,
        duration_value(late.waited_s) if late is not None else None,
        r.url,
        " ".join(r.text.split()),
    ]


def _display_len(value: object, kind: str) -> int:
    """How many characters a cell shows (for the column width)."""
    if value is None:
        return 0
    if kind == "date":
        return 16  # 23.11.2026 09:00
    if kind == "duration" and isinstance(value, float):
        return len(hmm_text(round(value * DAY_S))) + 1
    if kind == "share":
        return 5
    return max(len(line) for line in str(value).splitlines() or [""])


def _table(ws: Any, columns: Sequence[Column], rows: Sequence[list[object]], empty: str) -> None:
    """Header (bold, wrapped, frozen, with a filter), rows with their number formats, widths
    fitted to the content; a table without rows says why in its first row."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    header_row = ws.max_row + 1 if ws.max_row > 1 or ws["A1"].value is not None else 1
    for col, column in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=col, value=column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    first = header_row + 1
    for offset, values in enumerate(rows):
        for col, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = ws.cell(row=first + offset, column=col, value=value)
            if column.kind == "duration":
                cell.number_format = DURATION_FORMAT
            elif column.kind == "date":
                cell.number_format = DATE_FORMAT
            elif column.kind == "share":
                cell.number_format = SHARE_FORMAT
            elif column.kind == "link" and value:
                cell.hyperlink = str(value)
                cell.style = "Hyperlink"
            elif column.kind == "long":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if not rows:
        ws.cell(row=first, column=1, value=empty).font = Font(italic=True)
    last = first + max(len(rows), 1) - 1
    ws.freeze_panes = ws.cell(row=first, column=1).coordinate
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{last}"
    for col, column in enumerate(columns, start=1):
        content = max((_display_len(v[col - 1], column.kind) for v in rows), default=0)
        longest_word = max(len(w) for w in column.header.split())
        # Room for the filter's arrow beside the header.
        width = max(content, longest_word, min(len(column.header), 14)) + 3
        cap = TEXT_WIDTH if column.kind == "long" else MAX_WIDTH
        ws.column_dimensions[get_column_letter(col)].width = min(width, cap)
    if not rows:
        ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, len(empty) + 2)
    _printable(ws)
    # Wrapped headers: tall enough for their lines (Excel does not grow a row on opening).
    lines = max(
        math.ceil(len(c.header) / max(ws.column_dimensions[get_column_letter(i)].width - 2, 1))
        for i, c in enumerate(columns, start=1)
    )
    ws.row_dimensions[header_row].height = 15 * max(lines, 1) + 2


def _printable(ws: Any) -> None:
    """Printed (or saved as PDF) on landscape pages one table wide, the header repeated."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def ranking_xlsx(
    week: Week,
    ranked: Sequence[AgencyFigures],
    rows: Sequence[ComplaintRow],
    names: dict[str, str],
    tz: str,
    *,
    region: str = "",
    now: datetime | None = None,
) -> bytes:
    """The Excel workbook: «Рейтинг» (ranked agencies best first, then those with too few
    complaints), «Жалобы» (every complaint of the week with a link) and «Как считается
    рейтинг».  Opens well in Excel and LibreOffice: fitted widths, times «ч:мм», local
    dates with the zone named, a filter and a frozen header on each table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = texts.XLSX_RANKING_SHEET
    title = texts.XLSX_TITLE.format(week=week.title, region=region or texts.DIGEST_ALL_AGENCIES)
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = texts.XLSX_RULE_HINT.format(n=WEEKLY_RULE.min_complaints)
    ws["A2"].font = Font(italic=True)
    table = [
        ranking_row(place, a, names.get(a.agency_id, a.agency_id)) for place, a in _placed(ranked)
    ]
    _table(ws, RANKING_COLUMNS, table, texts.XLSX_EMPTY_WEEK)

    zone = zone_label(tz, now or datetime.combine(week.monday, time(12), ZoneInfo(tz)))
    wc = wb.create_sheet(texts.XLSX_COMPLAINTS_SHEET)
    _table(
        wc,
        complaint_columns(zone),
        [complaint_row(r, names, tz) for r in rows],
        texts.XLSX_EMPTY_WEEK,
    )

    rule = wb.create_sheet(texts.XLSX_RULE_SHEET)
    for n, line in enumerate(texts.XLSX_RULE_LINES, start=1):
        cell = rule.cell(
            row=n, column=1, value=line.format(n=WEEKLY_RULE.min_complaints, zone=zone)
        )
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if n == 1:
            cell.font = Font(bold=True, size=13)
    rule.column_dimensions["A"].width = 110
    _printable(rule)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _placed(ranked: Sequence[AgencyFigures]) -> list[tuple[int | None, AgencyFigures]]:
    """Each agency of the weekly ranking with its place: 1, 2, … for those ranked, None for
    those with too few complaints (``WEEKLY_RULE``; they come last)."""
    placed: list[tuple[int | None, AgencyFigures]] = []
    place = 0
    for a in ranked:
        eligible = WEEKLY_RULE.eligible(a)
        place += eligible
        placed.append((place if eligible else None, a))
    return placed


def _yes(flag: bool) -> str:
    return texts.YES if flag else texts.NO


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    """What a lead gets for a week: the workbook and its chart, with captions."""

    week: Week
    xlsx: bytes
    filename: str
    caption: str
    chart: bytes
    chart_filename: str
    chart_caption: str


def ranking_png(
    week: Week, ranked: Sequence[AgencyFigures], names: dict[str, str], region: str
) -> bytes:
    bars = [
        RankBar(
            place=place,
            name=names.get(a.agency_id, a.agency_id),
            good_share=a.good_share,
            otpiska_share=a.otpiska_share,
            median_s=a.median_working_s,
            complaints=a.complaints,
        )
        for place, a in _placed(ranked)
    ]
    sunday = week.monday + timedelta(days=6)
    title = texts.REPORT_CHART_TITLE.format(
        week=week.week,
        start=week.monday.strftime("%d.%m.%Y"),
        end=sunday.strftime("%d.%m.%Y"),
        region=region or texts.DIGEST_ALL_AGENCIES,
    )
    return ranking_chart(title=title, rows=bars)


def draw_week(
    week: Week,
    ranked: Sequence[AgencyFigures],
    rows: Sequence[ComplaintRow],
    names: dict[str, str],
    tz: str,
    region: str,
    now: datetime,
) -> tuple[bytes, bytes]:
    """The week's workbook and chart (``bot.drawing`` runs it, maybe in another process)."""
    book = ranking_xlsx(week, ranked, rows, names, tz, region=region, now=now)
    return book, ranking_png(week, ranked, names, region)


async def build_weekly_report(
    session: AsyncSession,
    week: Week,
    *,
    tz: str,
    now: datetime,
    agencies: Sequence[str] | None = None,
    region: str = "",
    draw: Drawing,
) -> WeeklyReport:
    """The workbook and chart for ``week`` in ``tz``, ranking ``agencies`` (None: all; a
    lead's own agencies or region otherwise, like the digest)."""
    ranked, rows, names = await weekly_ranking(session, week, tz=tz, now=now, agencies=agencies)
    # Building both is CPU work: off the event loop (and, in the app, in a process of its own:
    # bot.drawing), so alerts keep flowing.
    book, chart = await draw(draw_week, week, ranked, rows, names, tz, region, now)
    sunday = week.monday + timedelta(days=6)
    caption = texts.REPORT_CAPTION.format(
        week=week.week,
        start=week.monday.strftime("%d.%m.%Y"),
        end=sunday.strftime("%d.%m.%Y"),
    )
    return WeeklyReport(
        week=week,
        xlsx=book,
        filename=texts.REPORT_FILENAME.format(year=week.year, week=week.week),
        caption=caption,
        chart=chart,
        chart_filename=f"otklik-{week.label}.png",
        chart_caption=texts.REPORT_CHART_CAPTION.format(week=week.week),
    )


async def send_weekly_reports(deps: JobDeps, *, now: datetime, tz: str) -> list[int]:
    """Scheduler job (Monday 09:00 local): last week's ranking and its chart to each lead in
    ``tz``, once, each ranking only the lead's own agencies (``storage.scope``)."""
    sent: list[int] = []
    async with deps.sessions() as session, session.begin():
        cache: dict[tuple[str, Scope, str], WeeklyReport] = {}
        for lead in await leads_in_zone(session, tz):
            local = now.astimezone(ZoneInfo(lead.tz))
            if local.weekday() != 0 or local.time() < time(9, 0):
                continue
            week = last_full_week(now, lead.tz)
            key = f"weekly:last:{lead.id}"
            if not await mark_once(session, key, {"week": week.label}):
                continue
            scope = await scope_of(session, lead)
            region = await region_label(session, lead)
            if (week.label, scope, region) not in cache:
                cache[week.label, scope, region] = await build_weekly_report(
                    session,
                    week,
                    tz=tz,
                    now=now,
                    agencies=agencies_arg(scope),
                    region=region,
                    draw=deps.draw,
                )
            report = cache[week.label, scope, region]
            for key_prefix, kind, payload in (
                ("weekly", "document", (report.xlsx, report.filename, report.caption)),
                (
                    "weekly-chart",
                    "photo",
                    (report.chart, report.chart_filename, report.chart_caption),
                ),
            ):
                enqueue(
                    session,
                    key=f"{key_prefix}:{lead.id}:{week.label}",
                    chat_id=lead.id,
                    kind=kind,
                    payload=media_payload(*payload),
                    now=now,
                )
            sent.append(lead.id)
    return sent


MAX_EXPORT_DAYS = 366


def parse_period(args: str, today: date | None = None) -> tuple[date, date] | None:
    """Two dates, inclusive: ``01.11.2026 30.11.2026``, ``с 01.11 по 30.11``, ISO
    ``2026-11-01 2026-11-30``; None if malformed, reversed or over a year."""
    words = args.replace("—", " ").replace("–", " ").lower().split()
    parts = [w for w in words if w not in ("с", "по", "-", "до")]
    if len(parts) != 2:
        return None
    first, last = parse_date(parts[0], today), parse_date(parts[1], today)
    if first is None or last is None:
        return None
    if last < first or (last - first).days >= MAX_EXPORT_DAYS:
        return None
    return first, last


async def export_csv(
    session: AsyncSession,
    first: date,
    last: date,
    *,
    tz: str,
    agencies: Sequence[str] | None = None,
    now: datetime | None = None,
) -> tuple[bytes, int]:
    """Every complaint of ``agencies`` (None: all) created on local days ``first``..``last``
    (dismissed ones too, with their status), as CSV bytes, and their number: the columns of
    the Excel's «Жалобы», in Russian, times «ч:мм», dates local with the zone in the header."""
    start, _ = local_day_bounds(first, tz)
    _, end = local_day_bounds(last, tz)
    rows = await load_complaints(session, start, end, agencies, include_dismissed=True, now=now)
    names = await agency_names(session)
    zone = zone_label(tz, start)
    columns = complaint_columns(zone)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([c.header for c in columns])
    for r in rows:
        w.writerow(
            [
                _csv_cell(v, c.kind)
                for v, c in zip(complaint_row(r, names, tz), columns, strict=True)
            ]
        )
    return buf.getvalue().encode("utf-8-sig"), len(rows)


def _csv_cell(value: object, kind: str) -> str:
    if value is None:
        return ""
    if kind == "date" and isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if kind == "duration" and isinstance(value, float):
        return hmm_text(round(value * DAY_S))
    return str(value)
