"""Weekly Excel ranking read back cell by cell, the CSV export, and spike alerts."""

from __future__ import annotations

import base64
import csv
import io
from datetime import date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from bot.reports import (
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
        week = last_full_week(NOW, "Europe/Moscow")
        assert week.label == "2026-W48"
        async with deps.sessions() as session:
            data, filename, caption = await build_weekly_report(
                session, week, tz="Europe/Moscow", now=NOW
            )
            c1 = await session.get(Complaint, ids["fast"])
            assert c1 is not None
    assert filename == "otklik-2026-W48.xlsx"
    assert caption == "📈 Рейтинг ведомств за 2026-W48 (23.11.2026 — 29.11.2026)"
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Рейтинг", "Жалобы"]
    ws = wb["Рейтинг"]
    got = [[c.value for c in row] for row in ws.iter_rows()]
    assert got == [
        [
            "Место",
            "Ведомство",
            "Жалоб",
            "Отвечено",
            "В срок",
            "Медиана ответа, раб. ч",
            "90% ответов, раб. ч",
            "Медиана ответа, ч",
            "Отписки",
            "Качество ответа",
            "Просрочено без ответа",
            "Закрыто: комментарий удалён",
        ],
        [1, CITY, 2, 2, 1, 1.5, 2, 1.5, 0.5, 50, 0, 0],
        [2, WATER, 2, 1, 0, 8.5, 8.5, 10, 0, 60, 1, 0],
        [3, NSK, 1, 0, 0, None, None, None, None, None, 1, 0],
    ]
    assert ws["E2"].number_format == "0%" and ws["I2"].number_format == "0%"

    wc = wb["Жалобы"]
    rows = [[c.value for c in row] for row in wc.iter_rows(min_row=2)]
    order = ["overdue", "fast", "late", "otpiska", "nsk"]  # by creation time
    assert [r[0] for r in rows] == [ids[k] for k in order]
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
        1,
        1,
        "да",
        "нет",
        80,
        url,
        "Яма у дома 5",
    ]
    assert wc.cell(row=3, column=14).hyperlink.target == url
    # Unanswered and overdue: no answer cells, no on-time verdict.
    assert rows[0][5:12] == [
        "открыта",
        datetime(2026, 11, 23, 17, 0),
        None,
        None,
        None,
        None,
        None,
    ]


async def test_weekly_report_goes_to_leads_on_monday_once(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, NOW) as deps:
        await _week(deps)
        tuesday = NOW + timedelta(days=1)
        assert await send_weekly_reports(deps, now=tuesday, tz="Europe/Moscow") == []
        assert await send_weekly_reports(deps, now=NOW, tz="Europe/Moscow") == [701]
        assert await send_weekly_reports(deps, now=NOW, tz="Europe/Moscow") == []
        rows = await outbox(deps.sessions)
    assert [(r.chat_id, r.kind, r.payload["filename"]) for r in rows] == [
        (701, "document", "otklik-2026-W48.xlsx")
    ]


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
        rows = {r.chat_id: r for r in await outbox(deps.sessions)}
    ranked: dict[int, list[str]] = {}
    listed: dict[int, list[int]] = {}
    for chat_id, row in rows.items():
        wb = load_workbook(io.BytesIO(base64.b64decode(row.payload["content_b64"])))
        ranked[chat_id] = [r[1] for r in wb["Рейтинг"].iter_rows(min_row=2, values_only=True)]
        listed[chat_id] = [r[0] for r in wb["Жалобы"].iter_rows(min_row=2, values_only=True)]
    assert ranked == {701: [CITY], 703: [CITY, WATER, NSK]}
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
    assert rows[0][:3] == ["id", "created_at", "agency"]
    assert [r[0] for r in rows[1:]] == [str(ids["overdue"]), str(ids["fast"]), str(ids["late"])]
    assert rows[2] == [
        str(ids["fast"]),
        "2026-11-23T09:00:00+03:00",
        "city",
        CITY,
        "roads",
        "answered",
        "2026-11-23T17:00:00+03:00",
        "2026-11-23T10:00:00+03:00",
        "3600",
        "3600",
        "1",
        "0",
        "80",
        f"https://vk.com/wall-1001_10?reply={c1.comment_id}",
        "Яма у дома 5",
    ]


def test_week_and_period_parsing() -> None:
    assert parse_week("2026-W47") is not None
    week = parse_week("2026-w47")
    assert week is not None and week.monday == date(2026, 11, 16)
    assert parse_week("2026-W54") is None and parse_week("неделя") is None
    assert last_full_week(msk("2027-01-04T10:00:00"), "Europe/Moscow").label == "2026-W53"
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
