"""Weekly Excel ranking read back cell by cell, the CSV export, and spike alerts."""

from __future__ import annotations

import base64
import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from bot.drawing import Drawing
from bot.reports import (
    Week,
    build_weekly_report,
    export_csv,
    last_full_week,
    parse_period,
    parse_week,
    send_weekly_reports,
)
from bot.scheduler import JobDeps
from bot.spikes import check_spikes
from config.registry import parse_registry
from storage.models import Complaint, Person, SpikeAlert
from tests.issue6_support import (
    REGION,
    add_complaint,
    add_otpiska,
    monday_complaints,
    msk,
    outbox,
    region,
    region_db,
)

NOW = msk("2026-11-30T09:00:00")  # Monday: last full week is 2026-W48 (23–29 November)
CITY, WATER, NSK = "Администрация г. Примерска", "Примерскводоканал", "Мэрия Новосибирска"


async def _week(deps: JobDeps) -> dict[str, int]:
    reg, s = deps.registry, deps.sessions
    ids = await monday_complaints(deps)
    ids["otpiska"] = await add_otpiska(deps, msk("2026-11-24T10:00:00"))
    ids["nsk"] = await add_complaint(
        s, reg, created_at=msk("2026-11-25T09:00:00"), agency="nsk", topic="snow"
    )
    # Just outside the week on both sides.
    await add_complaint(s, reg, created_at=msk("2026-11-22T23:59:00"))
    await add_complaint(s, reg, created_at=msk("2026-11-30T00:00:00"))
    return ids


async def test_weekly_excel_ranking_cell_by_cell(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, NOW) as deps:
        ids = await _week(deps)
        # A third complaint each for the city and the water utility: enough to be ranked.
        for agency in ("city", "water"):
            await add_complaint(
                deps.sessions,
                reg,
                created_at=msk("2026-11-26T10:00:00"),
                agency=agency,
                answered_after_s=1800,
                working_s=1800,
                otpiska=False,
                quality=90,
            )
        week = last_full_week(NOW, "Europe/Moscow")
        assert week.label == "2026-W48"
        async with deps.sessions() as session:
            report = await build_weekly_report(
                session, week, tz="Europe/Moscow", now=NOW, draw=Drawing()
            )
            c1 = await session.get(Complaint, ids["fast"])
            assert c1 is not None
    assert report.filename == "otklik-reyting-2026-nedelya-48.xlsx"
    assert report.caption == "📈 Рейтинг ведомств за неделю 48 (23.11.2026 — 29.11.2026)"
    wb = load_workbook(io.BytesIO(report.xlsx))
    assert wb.sheetnames == ["Рейтинг", "Жалобы", "Как считается рейтинг"]
    ws = wb["Рейтинг"]
    got = [list(row) for row in ws.iter_rows(min_row=3, values_only=True)]
    assert got[0][:7] == [
        "Место",
        "Ведомство",
        "Жалоб",
        "С первым ответом",
        "Первый ответ в срок",
        "В срок и по существу",
        "Отписки среди первых ответов",
    ]
    h = timedelta(hours=1)
    # The city: three in time, one of them an отписка; the water utility: one in time of
    # three (one late, one overdue); Novosibirsk: one complaint, too few for a place.
    assert got[1] == [1, CITY, 3, 3, 1, 2 / 3, 1 / 3, h, 2 * h, h, 0, None, 0, 0, 63, None]
    assert got[2][:10] == [2, WATER, 3, 2, 1 / 3, 1 / 3, 0, 4.5 * h, 8.5 * h, 5.25 * h]
    assert got[2][12] == 1  # overdue now
    assert got[3][:3] == [None, NSK, 1] and got[3][-1] == "без места: меньше 3 жалоб за неделю"
    # Formats: shares as percentages, durations as time values shown «ч:мм».
    assert ws["E4"].number_format == "0%" and ws["G4"].number_format == "0%"
    assert ws["H4"].number_format == "[h]:mm" and ws["H4"].value == h
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:P6"

    wc = wb["Жалобы"]
    headers = [c.value for c in wc[1]]
    assert headers[1] == "Создана (UTC+3, Europe/Moscow)"  # local time, the zone named
    rows = [list(r) for r in wc.iter_rows(min_row=2, values_only=True)]
    order = ["overdue", "fast", "late", "otpiska", "nsk"]  # by creation time
    assert [r[0] for r in rows][:5] == [ids[k] for k in order]
    url = f"https://vk.com/wall-1001_10?reply={c1.comment_id}"
    assert rows[1] == [
        ids["fast"],
        datetime(2026, 11, 23, 9, 0),
        CITY,
        CITY,
        "Дороги",
        "отвечена",
        datetime(2026, 11, 23, 17, 0),
        datetime(2026, 11, 23, 10, 0),
        h,
        h,
        "да",
        "нет",
        80,
        None,
        None,
        None,
        None,
        url,
        "Яма у дома 5",
    ]
    assert wc.cell(row=3, column=18).hyperlink.target == url
    assert wc["B3"].number_format == "DD.MM.YYYY HH:MM" and wc["I3"].number_format == "[h]:mm"
    # Unanswered and overdue: no answer cells, no verdict; how late now, in working time
    # (Monday 17:00 to the next Monday 09:00: 37 working hours), and since when.
    assert rows[0][5:8] == ["открыта", datetime(2026, 11, 23, 17, 0), None]
    assert rows[0][8:13] == [None, None, None, None, None]
    assert rows[0][15:17] == [37 * h, 7 * 24 * h + h]
    assert wc.freeze_panes == "A2" and wc.auto_filter.ref == "A1:S8"
    rule = [c.value for c in wb["Как считается рейтинг"]["A"] if c.value]
    assert any("не меньше 3 жалоб" in line for line in rule)
    assert any("первый ответ дан в срок и по существу" in line for line in rule)


def _width(ws: Any, column: str) -> float:
    return float(ws.column_dimensions[column].width)


async def test_workbook_opens_well_widths_fit_and_an_empty_week_says_so(db_url: str) -> None:
    """Dates never show as ######## (16 characters need a column of 16+), headers are not
    cut (a column is as wide as its longest header word), long texts wrap; a week without
    complaints says so instead of a bare header row."""
    reg = region()
    async with region_db(db_url, reg, NOW) as deps:
        await _week(deps)
        # as the app draws them: in a process of its own, both reports in the one process
        apart = Drawing(apart=True)
        async with deps.sessions() as session:
            full = await build_weekly_report(
                session,
                last_full_week(NOW, "Europe/Moscow"),
                tz="Europe/Moscow",
                now=NOW,
                draw=apart,
            )
            empty = await build_weekly_report(
                session, Week(2026, 40), tz="Europe/Moscow", now=NOW, draw=apart
            )
        assert apart.started == 1 and apart.running
        await apart.close()
        assert not apart.running
    wb = load_workbook(io.BytesIO(full.xlsx))
    for ws in (wb["Рейтинг"], wb["Жалобы"]):
        header_row = 3 if ws.title == "Рейтинг" else 1
        for cell in ws[header_row]:
            letter = cell.column_letter
            longest_word = max(len(w) for w in str(cell.value).split())
            assert _width(ws, letter) >= longest_word + 2, (ws.title, cell.value)
            for below in ws[letter][header_row:]:
                if isinstance(below.value, datetime):
                    assert _width(ws, letter) >= 17, (ws.title, cell.value)
                elif isinstance(below.value, str) and letter != "S":
                    assert _width(ws, letter) >= len(below.value) + 1, (ws.title, below.value)
        assert ws.row_dimensions[header_row].height >= 30  # wrapped headers fit
    assert wb["Жалобы"]["S2"].alignment.wrap_text  # the comment's text wraps

    book = load_workbook(io.BytesIO(empty.xlsx))
    assert book["Рейтинг"]["A4"].value == "За эту неделю жалоб не было."
    assert book["Жалобы"]["A2"].value == "За эту неделю жалоб не было."
    assert book["Рейтинг"].auto_filter.ref == "A3:P4"
    assert empty.chart.startswith(b"\x89PNG")


async def test_weekly_ranking_covers_each_leads_own_agencies(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, NOW) as deps:
        ids = await _week(deps)
        async with deps.sessions() as session, session.begin():
            lead = await session.get(Person, 701)
            assert lead is not None
            lead.agencies = ["city"]  # the head of the city administration
            session.add(Person(telegram_id=703, name="Вера Общая", role="lead", tz=lead.tz))
        assert await send_weekly_reports(deps, now=NOW, tz="Europe/Moscow") == [701, 703]
        rows = {r.chat_id: r for r in await outbox(deps.sessions) if r.kind == "document"}
    ranked: dict[int, list[str]] = {}
    listed: dict[int, list[int]] = {}
    for chat_id, row in rows.items():
        wb = load_workbook(io.BytesIO(base64.b64decode(row.payload["content_b64"])))
        ranked[chat_id] = [r[1] for r in wb["Рейтинг"].iter_rows(min_row=4, values_only=True)]
        listed[chat_id] = [r[0] for r in wb["Жалобы"].iter_rows(min_row=2, values_only=True)]
    # Two complaints at most each: too few for a place, so all by name (``WEEKLY_RULE``).
    assert ranked == {701: [CITY], 703: [CITY, NSK, WATER]}
    assert listed[701] == [ids["fast"], ids["otpiska"]]
    assert len(listed[703]) == 5


async def test_csv_export_by_local_days(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, NOW) as deps:
        ids = await _week(deps)
        async with deps.sessions() as session:
            data, n = await export_csv(
                session, date(2026, 11, 23), date(2026, 11, 23), tz="Europe/Moscow"
            )
            c1 = await session.get(Complaint, ids["fast"])
            assert c1 is not None
    assert n == 3
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    # The Excel's columns, in Russian: no codes, no agency ids, no English.
    assert rows[0][:3] == ["№", "Создана (UTC+3, Europe/Moscow)", "Ведомство"]
    assert [r[0] for r in rows[1:]] == [str(ids["overdue"]), str(ids["fast"]), str(ids["late"])]
    assert rows[2] == [
        str(ids["fast"]),
        "23.11.2026 09:00",
        CITY,
        CITY,
        "Дороги",
        "отвечена",
        "23.11.2026 17:00",
        "23.11.2026 10:00",
        "1:00",
        "1:00",
        "да",
        "нет",
        "80",
        "",
        "",
        "",
        "",
        f"https://vk.com/wall-1001_10?reply={c1.comment_id}",
        "Яма у дома 5",
    ]
    assert rows[3][8:10] == ["10:00", "8:30"]


def test_week_and_period_parsing() -> None:
    assert parse_week("2026-W47") is not None
    week = parse_week("2026-w47")
    assert week is not None and week.monday == date(2026, 11, 16)
    assert parse_week("2026-W54") is None and parse_week("неделя") is None
    assert last_full_week(msk("2027-01-04T10:00:00"), "Europe/Moscow").label == "2026-W53"
    # As people say it (issue 14): a number, «неделя 47», or any day of the week.
    today = date(2026, 11, 30)
    for typed in ("47", "неделя 47", "16.11.2026", "22.11.2026", "2026-11-18", "18.11"):
        found = parse_week(typed, today)
        assert found is not None and found.label == "2026-W47", typed
    assert parse_week("52", date(2027, 1, 10)) == Week(2026, 52)  # the latest week 52
    assert parse_week("47") is None  # a bare number needs the reader's today
    assert parse_week("99", today) is None and parse_week("31.02.2026", today) is None
    assert parse_period("01.11.2026 30.11.2026") == (date(2026, 11, 1), date(2026, 11, 30))
    assert parse_period("с 1.11.26 по 30.11.26") == (date(2026, 11, 1), date(2026, 11, 30))
    assert parse_period("01.11 30.11", today) == (date(2026, 11, 1), date(2026, 11, 30))
    assert parse_period("2026-11-01 2026-11-30") == (date(2026, 11, 1), date(2026, 11, 30))
    assert parse_period("2026-11-30 2026-11-01") is None
    assert parse_period("2026-01-01 2027-01-01") is not None  # 366 days is the limit
    assert parse_period("2026-01-01 2027-01-02") is None
    assert parse_period("ноябрь") is None


async def test_snowfall_spike_alerts_leads_once_with_examples(db_url: str) -> None:
    reg = region()
    now = msk("2026-11-23T12:00:00")
    async with region_db(db_url, reg, now) as deps:
        # Usual level: two snow complaints a day for two weeks.
        for day in [d for d in range(1, 15) for _ in range(2)]:
            await add_complaint(
                deps.sessions,
                reg,
                created_at=now - timedelta(days=day),
                topic="snow",
                answered_after_s=60,
                working_s=60,
            )
        for i in range(5):
            await add_complaint(
                deps.sessions,
                reg,
                created_at=msk("2026-11-23T08:00:00") + timedelta(minutes=10 * i),
                topic="snow",
                text=f"Двор {i} завален снегом",
            )
        assert await check_spikes(deps, now=now) == []  # 5 is under 3× a baseline of 2
        await add_complaint(
            deps.sessions,
            reg,
            created_at=msk("2026-11-23T11:00:00"),
            topic="snow",
            text="Улицу не чистят",
        )
        assert await check_spikes(deps, now=now) == [("city", "snow", 6)]
        assert await check_spikes(deps, now=now + timedelta(hours=1)) == []
        rows = await outbox(deps.sessions)
        async with deps.sessions() as session:
            stored = (await session.execute(select(SpikeAlert))).scalars().all()
    assert [(a.area, a.topic, a.day, a.count, a.baseline) for a in stored] == [
        ("city", "snow", "2026-11-23", 6, 2.0)
    ]
    assert sorted(r.chat_id for r in rows) == [701, 702]
    text = rows[0].payload["text"]
    assert "Всплеск: Снег и наледь" in text and CITY in text
    assert "Сегодня 6 жалоб (обычно 2,0 в день)" in text
    assert "Улицу не чистят" in text and text.count("• ") == 3


async def test_spike_alert_reaches_only_leads_whose_region_has_the_agency(db_url: str) -> None:
    """A Siberian lead is not woken by a snowfall in Primersk; the central lead is."""
    data = {
        **REGION,
        "agencies": [
            {**a, "region": "Сибирь" if a["id"] == "nsk" else "Центр"} for a in REGION["agencies"]
        ],
        "people": [
            {**p, "region": "Сибирь"} if p["telegram_id"] == 702 else p for p in REGION["people"]
        ],
    }
    reg = parse_registry(data)
    now = msk("2026-11-23T12:00:00")
    async with region_db(db_url, reg, now) as deps:
        for i in range(6):
            await add_complaint(
                deps.sessions,
                reg,
                created_at=msk("2026-11-23T08:00:00") + timedelta(minutes=10 * i),
                topic="snow",
                text=f"Двор {i} завален снегом",
            )
        assert await check_spikes(deps, now=now) == [("city", "snow", 6)]
        rows = await outbox(deps.sessions)
    assert [r.chat_id for r in rows] == [701]


_APART_SCRIPT = """
import asyncio, functools, sys
from bot.app import OtklikApp  # everything the app imports, and nothing more
from bot.charts import TrendDay, digest_chart
from bot.drawing import Drawing
from bot.reports import Week, draw_week
from datetime import date, datetime, timezone

async def main():
    drawing = Drawing(apart=True)
    chart = await drawing(functools.partial(
        digest_chart, title="Сводка", bars=[], backlog=[], trend=[TrendDay(date(2026, 12, 1))]
    ))
    book, ranking = await drawing(
        draw_week, Week(2026, 48), [], [], {}, "Europe/Moscow", "", datetime.now(timezone.utc)
    )
    await drawing.close()
    assert chart.startswith(b"\\x89PNG") and ranking.startswith(b"\\x89PNG"), "not a PNG"
    assert book.startswith(b"PK"), "not a workbook"
    loaded = sorted(m for m in ("matplotlib", "openpyxl", "PIL") if m in sys.modules)
    print("drawn; loaded here:", loaded, "processes:", drawing.started)

asyncio.run(main())
"""


def test_the_app_draws_charts_and_workbooks_without_importing_their_libraries() -> None:
    """matplotlib and openpyxl stay resident once imported (~35 MB of the app's 300): the app
    draws in a child process, so after drawing a digest chart, a ranking chart and a workbook
    the app's own process still has none of them (a fresh interpreter: pytest's has)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _APART_SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "drawn; loaded here: [] processes: 1" in done.stdout, done.stdout
