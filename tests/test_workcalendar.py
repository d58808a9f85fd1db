"""Working calendar: official Russian production calendars, zones, hours, properties.

Expected values below are written out by hand from the government decrees on transferred
days off (2024: 10.08.2023 № 1335; 2025: 04.10.2024 № 1335; 2026: 24.09.2025; 2027:
consultant.ru cons_doc_LAW_544706) and the published production calendars, not computed
from the code under test.
"""

from __future__ import annotations

import random
import time as perf
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from matcher.workcalendar import (
    DEFAULT_SCHEDULE,
    ProductionCalendar,
    ProductionYear,
    WorkCalendar,
    WorkSchedule,
    default_production_calendar,
)

try:  # hypothesis is optional: the seeded random checks below run without it
    from hypothesis import given, settings  # type: ignore[import-not-found, unused-ignore]
    from hypothesis import strategies as st  # type: ignore[import-not-found, unused-ignore]

    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False

MSK = ZoneInfo("Europe/Moscow")
LUNCH = (time(13, 0), time(14, 0))


def span(first: str, last: str) -> list[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def year_days(year: int) -> list[date]:
    return span(f"{year}-01-01", f"{year}-12-31")


def local(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))  # type: ignore[arg-type, misc, unused-ignore]


# ---------------------------------------------------------------------------------------
# Official calendars
# ---------------------------------------------------------------------------------------

# Every non-working period of the year as announced (weekends inside the periods included).
OFFICIAL_DAYS_OFF = {
    2024: [
        *span("2024-01-01", "2024-01-08"),
        *span("2024-02-23", "2024-02-25"),
        *span("2024-03-08", "2024-03-10"),
        *span("2024-04-28", "2024-05-01"),
        *span("2024-05-09", "2024-05-12"),
        *span("2024-06-12", "2024-06-12"),
        *span("2024-11-03", "2024-11-04"),
        *span("2024-12-29", "2024-12-31"),
    ],
    2025: [
        *span("2025-01-01", "2025-01-08"),
        *span("2025-02-22", "2025-02-23"),
        *span("2025-03-08", "2025-03-09"),
        *span("2025-05-01", "2025-05-04"),
        *span("2025-05-08", "2025-05-11"),
        *span("2025-06-12", "2025-06-15"),
        *span("2025-11-02", "2025-11-04"),
        date(2025, 12, 31),
    ],
    2026: [
        *span("2026-01-01", "2026-01-11"),
        *span("2026-02-21", "2026-02-23"),
        *span("2026-03-07", "2026-03-09"),
        *span("2026-05-01", "2026-05-03"),
        *span("2026-05-09", "2026-05-11"),
        *span("2026-06-12", "2026-06-14"),
        date(2026, 11, 4),
        date(2026, 12, 31),
    ],
    2027: [
        *span("2027-01-01", "2027-01-10"),
        *span("2027-02-21", "2027-02-23"),
        *span("2027-03-06", "2027-03-08"),
        *span("2027-05-01", "2027-05-03"),
        *span("2027-05-08", "2027-05-10"),
        *span("2027-06-12", "2027-06-14"),
        *span("2027-11-04", "2027-11-07"),
        date(2027, 12, 31),
    ],
}
# Saturdays made working days by decree.
OFFICIAL_WORKING_WEEKENDS = {
    2024: [date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28)],
    2025: [date(2025, 11, 1)],
    2026: [],
    2027: [date(2027, 2, 20)],
}
# Pre-holiday days shortened by one hour (art. 95 of the Labour Code).
OFFICIAL_SHORT_DAYS = {
    2024: [date(2024, 2, 22), date(2024, 3, 7), date(2024, 5, 8), date(2024, 6, 11),
           date(2024, 11, 2)],
    2025: [date(2025, 3, 7), date(2025, 4, 30), date(2025, 6, 11), date(2025, 11, 1)],
    2026: [date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)],
    2027: [date(2027, 2, 20), date(2027, 4, 30), date(2027, 6, 11), date(2027, 11, 3)],
}  # fmt: skip
# Working days per month in a five-day week, January..December.
OFFICIAL_MONTHS = {
    2024: [17, 20, 20, 21, 20, 19, 23, 22, 21, 23, 21, 21],
    2025: [17, 20, 21, 22, 18, 19, 23, 21, 22, 23, 19, 22],
    2026: [15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22],
    2027: [15, 19, 22, 22, 19, 21, 22, 22, 22, 21, 20, 22],
}
OFFICIAL_TOTALS = {2024: 248, 2025: 247, 2026: 247, 2027: 247}
# Norm of working hours for a 40-hour week (8 h days, minus one hour per short day).
OFFICIAL_HOURS = {2024: 1979, 2025: 1972, 2026: 1972, 2027: 1972}


@pytest.mark.parametrize("year", sorted(OFFICIAL_DAYS_OFF))
def test_non_working_and_working_weekend_days_match_the_decree(year: int) -> None:
    cal = WorkCalendar()
    expected_off = {d for d in OFFICIAL_DAYS_OFF[year] if d.year == year}
    expected_off |= {
        d for d in year_days(year) if d.weekday() >= 5 and d not in OFFICIAL_WORKING_WEEKENDS[year]
    }
    actual_off = {d for d in year_days(year) if not cal.is_working_day(d)}
    assert sorted(actual_off - expected_off) == []
    assert sorted(expected_off - actual_off) == []
    for d in OFFICIAL_WORKING_WEEKENDS[year]:
        assert d.weekday() == 5
        assert cal.is_working_day(d)


@pytest.mark.parametrize("year", sorted(OFFICIAL_MONTHS))
def test_working_days_per_month_and_year(year: int) -> None:
    cal = WorkCalendar()
    per_month = [0] * 12
    for d in year_days(year):
        per_month[d.month - 1] += cal.is_working_day(d)
    assert per_month == OFFICIAL_MONTHS[year]
    assert sum(per_month) == OFFICIAL_TOTALS[year]


@pytest.mark.parametrize("year", sorted(OFFICIAL_HOURS))
def test_yearly_hour_norm_with_short_days(year: int) -> None:
    cal = WorkCalendar(WorkSchedule(lunch=LUNCH))  # 8 working hours a day
    seconds = cal.working_seconds_between(local("Europe/Moscow", year, 1, 1),
                                          local("Europe/Moscow", year + 1, 1, 1))  # fmt: skip
    assert seconds == OFFICIAL_HOURS[year] * 3600
    production = default_production_calendar()
    short = sorted(d for d in year_days(year) if production.is_short_day(d))
    assert short == OFFICIAL_SHORT_DAYS[year]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2025
        (date(2025, 1, 8), False),
        (date(2025, 1, 9), True),
        (date(2025, 5, 2), False),  # Friday, moved from Sat 4 Jan
        (date(2025, 5, 5), True),
        (date(2025, 5, 7), True),
        (date(2025, 5, 8), False),  # Thursday, moved from Sun 23 Feb
        (date(2025, 5, 12), True),
        (date(2025, 6, 13), False),  # Friday, moved from Sat 8 Mar
        (date(2025, 10, 31), True),
        (date(2025, 11, 1), True),  # working Saturday
        (date(2025, 11, 3), False),  # Monday off in exchange
        (date(2025, 11, 5), True),
        (date(2025, 12, 30), True),
        (date(2025, 12, 31), False),
        # 2026
        (date(2026, 1, 9), False),  # Friday, moved from Sat 3 Jan
        (date(2026, 1, 12), True),
        (date(2026, 2, 20), True),
        (date(2026, 2, 23), False),
        (date(2026, 3, 9), False),  # Mar 8 is Sunday
        (date(2026, 3, 10), True),
        (date(2026, 5, 4), True),
        (date(2026, 5, 8), True),
        (date(2026, 5, 11), False),  # May 9 is Saturday
        (date(2026, 6, 15), True),
        (date(2026, 11, 3), True),
        (date(2026, 11, 4), False),
        (date(2026, 11, 5), True),
        (date(2026, 12, 30), True),
        (date(2026, 12, 31), False),  # moved from Sun 4 Jan
        # 2027
        (date(2027, 1, 11), True),
        (date(2027, 2, 20), True),  # working Saturday
        (date(2027, 2, 22), False),
        (date(2027, 11, 5), False),
    ],
)
def test_specific_days(day: date, working: bool) -> None:
    assert WorkCalendar().is_working_day(day) is working


def test_shipped_data_is_official_for_2024_to_2027_only() -> None:
    production = default_production_calendar()
    assert default_production_calendar() is production  # loaded once
    assert production.official_years >= {2024, 2025, 2026, 2027}
    for year in (2024, 2025, 2026, 2027):
        assert production.has_official_data(year)
        assert "Постановление" in production.source(year)
    assert not production.has_official_data(2023)
    assert not production.has_official_data(2028)
    assert WorkCalendar().has_official_data(2026)
    assert not WorkCalendar().has_official_data(2030)


def test_fallback_years_use_statutory_holidays_without_transfers() -> None:
    cal = WorkCalendar()
    # 2028: Jan 1 is Saturday.
    assert not cal.is_working_day(date(2028, 1, 3))  # Monday, statutory New Year holiday
    assert not cal.is_working_day(date(2028, 1, 7))
    assert cal.is_working_day(date(2028, 1, 10))
    assert not cal.is_working_day(date(2028, 3, 8))  # Wednesday
    assert not cal.is_working_day(date(2028, 6, 12))  # Monday
    assert not cal.is_working_day(date(2028, 11, 4))  # Saturday anyway
    # The statutory Monday-after transfer for Nov 4 is deliberately not guessed.
    assert cal.is_working_day(date(2028, 11, 6))
    assert not default_production_calendar().is_short_day(date(2028, 3, 7))
    # 250 = 260 weekdays of 2028 minus Jan 3-7, Feb 23, Mar 8, May 1, May 9, Jun 12.
    assert sum(cal.is_working_day(d) for d in year_days(2028)) == 250


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_shipped_data_agrees_with_the_holidays_library(year: int) -> None:
    lib = holidays.country_holidays("RU", years=year, language="en_US")
    if not any("substituted" in name for name in lib.values()):
        pytest.skip(
            f"installed holidays {getattr(holidays, '__version__', '?')} has no decree for {year}"
        )
    cal = WorkCalendar()
    assert [d for d in year_days(year) if cal.is_working_day(d) != lib.is_working_day(d)] == []


def test_custom_production_calendar() -> None:
    production = ProductionCalendar(
        [ProductionYear(2030, holidays=frozenset({date(2030, 1, 1)}),
                        workdays=frozenset({date(2030, 1, 5)}), source="test")]
    )  # fmt: skip
    cal = WorkCalendar(production=production)
    assert cal.has_official_data(2030)
    assert not cal.is_working_day(date(2030, 1, 1))
    assert cal.is_working_day(date(2030, 1, 5))  # Saturday
    assert cal.is_working_day(date(2030, 1, 2))
    assert not cal.is_working_day(date(2031, 1, 1))  # fallback
    assert not cal.is_working_day(date(2031, 1, 8))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"year": 2030, "holidays": frozenset({date(2029, 12, 31)})},  # wrong year
        {"year": 2030, "holidays": frozenset(), "workdays": frozenset({date(2030, 1, 2)})},
        {
            "year": 2030,
            "holidays": frozenset({date(2030, 1, 5)}),
            "workdays": frozenset({date(2030, 1, 5)}),
        },
        {"year": 2030, "holidays": frozenset(), "short_days": frozenset({date(2030, 1, 6)})},
    ],
)
def test_production_year_rejects_inconsistent_data(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ProductionYear(**kwargs)  # type: ignore[arg-type]


def test_production_year_from_json_and_duplicates() -> None:
    py = ProductionYear.from_json(
        {"year": 2031, "holidays": ["2031-01-01"], "workdays": [], "source": "x"}
    )
    assert py.holidays == {date(2031, 1, 1)}
    assert py.short_days == frozenset()
    with pytest.raises(ValueError):
        ProductionYear.from_json({"year": "2031", "holidays": []})
    with pytest.raises(ValueError):
        ProductionCalendar([py, py])


# ---------------------------------------------------------------------------------------
# Schedules and zones
# ---------------------------------------------------------------------------------------

ZONE_OFFSETS = {
    "Europe/Kaliningrad": 2,
    "Europe/Moscow": 3,
    "Europe/Samara": 4,
    "Asia/Yekaterinburg": 5,
    "Asia/Omsk": 6,
    "Asia/Krasnoyarsk": 7,
    "Asia/Irkutsk": 8,
    "Asia/Yakutsk": 9,
    "Asia/Vladivostok": 10,
    "Asia/Magadan": 11,
    "Asia/Kamchatka": 12,
}


@pytest.mark.parametrize(("tz", "offset"), sorted(ZONE_OFFSETS.items()))
def test_every_russian_zone_opens_at_local_nine(tz: str, offset: int) -> None:
    cal = WorkCalendar(WorkSchedule(tz=tz))
    opening_utc = datetime(2026, 11, 23, 9, tzinfo=UTC) - timedelta(hours=offset)
    assert cal.next_working_start(local(tz, 2026, 11, 23, 8, 59)) == opening_utc
    assert cal.next_working_start(opening_utc) == opening_utc
    assert not cal.is_working_instant(opening_utc - timedelta(microseconds=1))
    assert cal.is_working_instant(opening_utc)
    # Nine working hours that Monday, whatever zone the instants are written in.
    monday = cal.working_seconds_between(local(tz, 2026, 11, 23), local(tz, 2026, 11, 24))
    assert monday == 9 * 3600


@pytest.mark.parametrize(
    ("tz", "hours"),
    [
        ("Europe/Kaliningrad", 5),  # 02:00-14:00 local
        ("Europe/Moscow", 6),  # 03:00-15:00
        ("Asia/Yekaterinburg", 8),  # 05:00-17:00
        ("Asia/Vladivostok", 8),  # 10:00-22:00
        ("Asia/Kamchatka", 6),  # 12:00-24:00
    ],
)
def test_same_utc_interval_differs_by_zone(tz: str, hours: int) -> None:
    cal = WorkCalendar(WorkSchedule(tz=tz))
    a = datetime(2026, 11, 23, 0, tzinfo=UTC)
    assert cal.working_seconds_between(a, a + timedelta(hours=12)) == hours * 3600


ADD_CASES = [
    # (schedule, start, seconds, expected), start/expected written in local time.
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 27, 17), 8 * 3600,
     local("Europe/Moscow", 2026, 11, 30, 16)),
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 27, 17), 3600,
     local("Europe/Moscow", 2026, 11, 27, 18)),  # earliest instant: end of Friday
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 8, 5), 600,
     local("Europe/Moscow", 2026, 11, 23, 9, 10)),
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 28, 12), 0,
     local("Europe/Moscow", 2026, 11, 28, 12)),  # zero stays put, even on Saturday
    (WorkSchedule(), local("Europe/Moscow", 2026, 1, 5, 12), 3600,
     local("Europe/Moscow", 2026, 1, 12, 10)),  # from inside the New Year holidays
    (WorkSchedule(), local("Europe/Moscow", 2026, 12, 30, 17), 8 * 3600,
     local("Europe/Moscow", 2027, 1, 11, 16)),  # over New Year 2027
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 10), 5 * 9 * 3600,
     local("Europe/Moscow", 2026, 11, 30, 10)),  # whole week
    # Kaliningrad: Sat 1 Nov 2025 is a short working day (09-17), then Nov 2-4 off.
    (WorkSchedule(tz="Europe/Kaliningrad"), local("Europe/Kaliningrad", 2025, 10, 31, 17),
     2 * 3600, local("Europe/Kaliningrad", 2025, 11, 1, 10)),
    (WorkSchedule(tz="Europe/Kaliningrad"), local("Europe/Kaliningrad", 2025, 10, 31, 17),
     9 * 3600, local("Europe/Kaliningrad", 2025, 11, 1, 17)),
    (WorkSchedule(tz="Europe/Kaliningrad"), local("Europe/Kaliningrad", 2025, 10, 31, 17),
     10 * 3600, local("Europe/Kaliningrad", 2025, 11, 5, 10)),
    # Yekaterinburg, start given in UTC (17:00 local).
    (WorkSchedule(tz="Asia/Yekaterinburg"), datetime(2026, 11, 27, 12, tzinfo=UTC), 8 * 3600,
     local("Asia/Yekaterinburg", 2026, 11, 30, 16)),
    # Vladivostok: Fri 8 May 2026 is short (09-17), May 9-11 off.
    (WorkSchedule(tz="Asia/Vladivostok"), local("Asia/Vladivostok", 2026, 5, 8, 16), 2 * 3600,
     local("Asia/Vladivostok", 2026, 5, 12, 10)),
    # Kamchatka, start given in Moscow time (08:30 MSK = 17:30 local), over New Year 2026.
    (WorkSchedule(tz="Asia/Kamchatka"), local("Europe/Moscow", 2025, 12, 30, 8, 30), 3600,
     local("Asia/Kamchatka", 2026, 1, 12, 9, 30)),
    # Lunch break 13-14.
    (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 12, 30), 3600,
     local("Europe/Moscow", 2026, 11, 23, 14, 30)),
    (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 13, 20), 60,
     local("Europe/Moscow", 2026, 11, 23, 14, 1)),
    (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 12), 3600,
     local("Europe/Moscow", 2026, 11, 23, 13)),  # ends at lunch, not after it
    (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 9), 8 * 3600 + 1,
     local("Europe/Moscow", 2026, 11, 24, 9, 0, 1)),
    # Short day with lunch: 30 Apr 2026 is 09-13, 14-17.
    (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 4, 30, 16), 2 * 3600,
     local("Europe/Moscow", 2026, 5, 4, 10)),
    # 24/7: holidays and nights count.
    (WorkSchedule(always_open=True), local("Europe/Moscow", 2026, 1, 1, 0), 8 * 3600,
     local("Europe/Moscow", 2026, 1, 1, 8)),
    (WorkSchedule(always_open=True), local("Europe/Moscow", 2026, 12, 31, 20), 6 * 3600,
     local("Europe/Moscow", 2027, 1, 1, 2)),
    # Fractions of a second.
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 17, 59, 59), 1.5,
     local("Europe/Moscow", 2026, 11, 24, 9, 0, 0, 500000)),
    # Round-the-clock on working days only (end=midnight).
    (WorkSchedule(start=time(0), end=time(0)), local("Europe/Moscow", 2026, 11, 27, 20),
     6 * 3600, local("Europe/Moscow", 2026, 11, 30, 2)),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "start", "seconds", "expected"), ADD_CASES)
def test_add_working_seconds(
    schedule: WorkSchedule, start: datetime, seconds: float, expected: datetime
) -> None:
    cal = WorkCalendar(schedule)
    got = cal.add_working_seconds(start, seconds)
    assert got == expected
    assert got.tzinfo is UTC
    assert cal.working_us_between(start, got) == round(seconds * 1_000_000)


BETWEEN_CASES = [
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 8, 5),
     local("Europe/Moscow", 2026, 11, 23, 9, 10), 600),
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 9, 10),
     local("Europe/Moscow", 2026, 11, 23, 8, 5), 0),
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 10),
     local("Europe/Moscow", 2026, 11, 23, 10), 0),
    (WorkSchedule(), local("Europe/Moscow", 2026, 11, 28, 10),
     local("Europe/Moscow", 2026, 11, 29, 23), 0),  # weekend
    (WorkSchedule(), local("Europe/Moscow", 2025, 12, 30),
     local("Europe/Moscow", 2026, 1, 13), 18 * 3600),  # Dec 30 + Jan 12
    (WorkSchedule(tz="Europe/Kaliningrad"), local("Europe/Kaliningrad", 2025, 10, 31, 9),
     local("Europe/Kaliningrad", 2025, 11, 5, 9), 17 * 3600),  # Fri 9 h + short Sat 8 h
    (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 12),
     local("Europe/Moscow", 2026, 11, 23, 15), 2 * 3600),
    (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 13, 10),
     local("Europe/Moscow", 2026, 11, 23, 13, 50), 0),
    (WorkSchedule(always_open=True), local("Europe/Moscow", 2025, 12, 31),
     local("Europe/Moscow", 2026, 1, 3), 3 * 86400),
    (WorkSchedule(tz="Asia/Kamchatka"), local("Europe/Moscow", 2026, 11, 23, 0),
     local("Europe/Moscow", 2026, 11, 24, 0), 9 * 3600),  # Mon 09:00 - Tue 09:00 local
    (WorkSchedule(), local("Europe/Moscow", 2024, 1, 1),
     local("Europe/Moscow", 2028, 1, 1), (248 + 247 + 247 + 247) * 9 * 3600
     - 17 * 3600),  # four years; 17 short days of 2024-2027
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "a", "b", "expected"), BETWEEN_CASES)
def test_working_seconds_between(
    schedule: WorkSchedule, a: datetime, b: datetime, expected: int
) -> None:
    assert WorkCalendar(schedule).working_seconds_between(a, b) == expected


@pytest.mark.parametrize(
    ("schedule", "at", "working"),
    [
        (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 9), True),
        (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 8, 59, 59), False),
        (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 17, 59, 59, 999999), True),
        (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 18), False),
        (WorkSchedule(), datetime(2026, 11, 23, 6, tzinfo=UTC), True),  # 09:00 MSK
        (WorkSchedule(), datetime(2026, 11, 23, 5, 59, tzinfo=UTC), False),
        (WorkSchedule(), local("Europe/Moscow", 2026, 11, 28, 12), False),  # Saturday
        (WorkSchedule(), local("Europe/Moscow", 2026, 11, 4, 12), False),  # holiday
        (WorkSchedule(), local("Europe/Moscow", 2025, 11, 1, 10), True),  # working Saturday
        (WorkSchedule(), local("Europe/Moscow", 2025, 11, 1, 16, 59), True),
        (WorkSchedule(), local("Europe/Moscow", 2025, 11, 1, 17), False),  # short day
        (WorkSchedule(shorten_pre_holiday=False), local("Europe/Moscow", 2025, 11, 1, 17), True),
        (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 12, 59), True),
        (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 13), False),
        (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 14), True),
        (WorkSchedule(always_open=True), local("Europe/Moscow", 2026, 1, 1, 3), True),
        (WorkSchedule(tz="Asia/Vladivostok"), datetime(2026, 11, 22, 23, tzinfo=UTC), True),
        (WorkSchedule(tz="Europe/Kaliningrad"), datetime(2026, 11, 22, 23, tzinfo=UTC), False),
    ],
)
def test_is_working_instant(schedule: WorkSchedule, at: datetime, working: bool) -> None:
    assert WorkCalendar(schedule).is_working_instant(at) is working


@pytest.mark.parametrize(
    ("schedule", "at", "expected"),
    [
        (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 10, 30),
         local("Europe/Moscow", 2026, 11, 23, 10, 30)),
        (WorkSchedule(), local("Europe/Moscow", 2026, 11, 23, 7),
         local("Europe/Moscow", 2026, 11, 23, 9)),
        (WorkSchedule(), local("Europe/Moscow", 2026, 11, 27, 18),
         local("Europe/Moscow", 2026, 11, 30, 9)),
        (WorkSchedule(), local("Europe/Moscow", 2025, 12, 30, 18),
         local("Europe/Moscow", 2026, 1, 12, 9)),
        (WorkSchedule(), local("Europe/Moscow", 2025, 10, 31, 19),
         local("Europe/Moscow", 2025, 11, 1, 9)),  # working Saturday
        (WorkSchedule(lunch=LUNCH), local("Europe/Moscow", 2026, 11, 23, 13, 30),
         local("Europe/Moscow", 2026, 11, 23, 14)),
        (WorkSchedule(always_open=True), local("Europe/Moscow", 2026, 1, 1, 3),
         local("Europe/Moscow", 2026, 1, 1, 3)),
        (WorkSchedule(tz="Asia/Kamchatka"), local("Europe/Moscow", 2026, 11, 27, 12),
         local("Asia/Kamchatka", 2026, 11, 30, 9)),  # 21:00 Friday in Kamchatka
    ],
)  # fmt: skip
def test_next_working_start(schedule: WorkSchedule, at: datetime, expected: datetime) -> None:
    got = WorkCalendar(schedule).next_working_start(at)
    assert got == expected
    assert got.tzinfo is UTC


def test_rejects_naive_and_negative_inputs() -> None:
    cal = WorkCalendar()
    naive = datetime(2026, 11, 23, 10)
    aware = local("Europe/Moscow", 2026, 11, 23, 10)
    with pytest.raises(ValueError):
        cal.add_working_seconds(naive, 10)
    with pytest.raises(ValueError):
        cal.working_seconds_between(naive, aware)
    with pytest.raises(ValueError):
        cal.is_working_instant(naive)
    with pytest.raises(ValueError):
        cal.next_working_start(naive)
    with pytest.raises(ValueError):
        cal.add_working_seconds(aware, -1)
    with pytest.raises(ValueError):
        WorkCalendar(WorkSchedule(always_open=True)).is_working_instant(naive)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": time(18), "end": time(9)},
        {"start": time(9), "end": time(9)},
        {"lunch": (time(8), time(9))},
        {"lunch": (time(14), time(13))},
        {"lunch": (time(17), time(19))},
        {"start": time(9, tzinfo=UTC)},
    ],
)
def test_schedule_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        WorkSchedule(**kwargs)  # type: ignore[arg-type]


def test_unknown_zone_is_rejected() -> None:
    with pytest.raises(ValueError, match="Mars"):
        WorkSchedule(tz="Mars/Olympus")
    with pytest.raises(ValueError):
        WorkSchedule(tz="../etc/passwd")


def test_24_7_counts_every_day_as_working() -> None:
    cal = WorkCalendar(WorkSchedule(always_open=True))
    assert cal.is_working_day(date(2026, 1, 1))
    assert cal.is_working_day(date(2026, 11, 28))
    assert WorkSchedule() == DEFAULT_SCHEDULE


# ---------------------------------------------------------------------------------------
# Properties: each check runs on seeded random cases (always) and, when hypothesis is
# installed, on hypothesis-generated ones too.
# ---------------------------------------------------------------------------------------

PROPERTY_ZONES = ["Europe/Kaliningrad", "Europe/Moscow", "Asia/Yekaterinburg",
                  "Asia/Vladivostok", "Asia/Kamchatka", "UTC"]  # fmt: skip
LUNCHES = [None, LUNCH, (time(12, 30), time(13, 15))]
RANGE_START = datetime(2023, 12, 1, tzinfo=UTC)
RANGE_US = int((datetime(2028, 2, 1, tzinfo=UTC) - RANGE_START) / timedelta(microseconds=1))

_CALS: dict[WorkSchedule, WorkCalendar] = {}


def cal_for(schedule: WorkSchedule) -> WorkCalendar:
    if schedule not in _CALS:
        _CALS[schedule] = WorkCalendar(schedule)
    return _CALS[schedule]


def random_schedule(rnd: random.Random) -> WorkSchedule:
    return WorkSchedule(
        tz=rnd.choice(PROPERTY_ZONES[:-1]),
        lunch=rnd.choice(LUNCHES),
        always_open=rnd.random() < 0.2,
        shorten_pre_holiday=rnd.random() < 0.8,
    )


def random_instant(rnd: random.Random, *, whole_seconds: bool = False) -> datetime:
    at = RANGE_START + timedelta(microseconds=rnd.randrange(RANGE_US))
    if whole_seconds:
        at = at.replace(microsecond=0)
    # Often land exactly on a schedule boundary, where off-by-one bugs live.
    if rnd.random() < 0.3:
        at = at.replace(hour=rnd.choice([0, 6, 9, 10, 13, 14, 15]), minute=0, second=0,
                        microsecond=0)  # fmt: skip
    return at.astimezone(ZoneInfo(rnd.choice(PROPERTY_ZONES)))


def random_seconds(rnd: random.Random, top: int = 400 * 3600) -> int:
    return rnd.choice([0, 1, 3600, 8 * 3600, 9 * 3600, rnd.randrange(top)])


def oracle_seconds(schedule: WorkSchedule, a: datetime, b: datetime) -> float:
    """Independent, slow reference: overlap of [a, b) with each local working interval."""
    if b <= a:
        return 0.0
    if schedule.always_open:
        return (b - a).total_seconds()
    tz = ZoneInfo(schedule.tz)
    production = default_production_calendar()
    total = timedelta()
    day = a.astimezone(tz).date()
    while day <= b.astimezone(tz).date():
        if production.is_working_day(day):
            open_ = datetime.combine(day, schedule.start, tzinfo=tz)
            close = datetime.combine(day, schedule.end, tzinfo=tz)
            if schedule.shorten_pre_holiday and production.is_short_day(day):
                close -= timedelta(hours=1)
            pieces = [(open_, close)]
            if schedule.lunch:
                l0, l1 = (datetime.combine(day, t, tzinfo=tz) for t in schedule.lunch)
                pieces = [(open_, min(l0, close)), (min(l1, close), close)]
            for lo, hi in pieces:
                lo, hi = max(lo, a), min(hi, b)
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds()


def check_round_trip(schedule: WorkSchedule, start: datetime, seconds: int) -> None:
    cal = cal_for(schedule)
    end = cal.add_working_seconds(start, seconds)
    assert end >= start
    assert cal.working_seconds_between(start, end) == seconds
    if seconds:
        # One microsecond earlier the target has not been reached yet: earliest instant.
        before = end - timedelta(microseconds=1)
        assert cal.working_us_between(start, before) == seconds * 1_000_000 - 1
        assert cal.is_working_instant(before)


def check_monotonic(schedule: WorkSchedule, a: datetime, b: datetime, s1: int, s2: int) -> None:
    cal = cal_for(schedule)
    a, b = sorted((a, b))
    lo, hi = sorted((s1, s2))
    assert cal.add_working_seconds(a, lo) <= cal.add_working_seconds(a, hi)
    assert cal.add_working_seconds(a, lo) <= cal.add_working_seconds(b, lo)


def check_additive(schedule: WorkSchedule, x: datetime, y: datetime, z: datetime) -> None:
    cal = cal_for(schedule)
    a, b, c = sorted((x, y, z))
    ab, bc, ac = (cal.working_seconds_between(p, q) for p, q in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert 0 <= ac <= (c - a).total_seconds()


def check_against_oracle(schedule: WorkSchedule, a: datetime, length_s: int) -> None:
    b = a + timedelta(seconds=length_s, microseconds=123)
    us = cal_for(schedule).working_us_between(a, b)
    assert us == pytest.approx(oracle_seconds(schedule, a, b) * 1_000_000, abs=1)


def check_next_start(schedule: WorkSchedule, at: datetime) -> None:
    cal = cal_for(schedule)
    nxt = cal.next_working_start(at)
    assert nxt >= at
    assert cal.is_working_instant(nxt)
    assert cal.working_seconds_between(at, nxt) == 0
    assert cal.is_working_instant(at) == (nxt == at)


@pytest.mark.parametrize("seed", range(4))
def test_properties_on_seeded_random_cases(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(150):
        schedule = random_schedule(rnd)
        a, b, c = (random_instant(rnd) for _ in range(3))
        check_round_trip(schedule, a, random_seconds(rnd))
        check_monotonic(schedule, a, b, random_seconds(rnd), random_seconds(rnd))
        check_additive(schedule, *(random_instant(rnd, whole_seconds=True) for _ in range(3)))
        check_against_oracle(schedule, c, random_seconds(rnd, 40 * 86400))
        check_next_start(schedule, b)


if HAVE_HYPOTHESIS:
    schedules = st.builds(
        WorkSchedule,
        tz=st.sampled_from(PROPERTY_ZONES[:-1]),
        lunch=st.sampled_from(LUNCHES),
        always_open=st.sampled_from([False, False, False, True]),
        shorten_pre_holiday=st.booleans(),
    )
    instants = st.datetimes(
        min_value=datetime(2023, 12, 1), max_value=datetime(2028, 2, 1),
        timezones=st.sampled_from([ZoneInfo(z) for z in PROPERTY_ZONES]),
    )  # fmt: skip
    whole = instants.map(lambda d: d.replace(microsecond=0))
    amounts = st.integers(min_value=0, max_value=400 * 3600)

    @settings(max_examples=100, deadline=None)
    @given(schedules, instants, amounts)
    def test_hypothesis_round_trip(schedule: WorkSchedule, start: datetime, s: int) -> None:
        check_round_trip(schedule, start, s)

    @settings(max_examples=100, deadline=None)
    @given(schedules, instants, instants, amounts, amounts)
    def test_hypothesis_monotonic(
        schedule: WorkSchedule, a: datetime, b: datetime, s1: int, s2: int
    ) -> None:
        check_monotonic(schedule, a, b, s1, s2)

    @settings(max_examples=100, deadline=None)
    @given(schedules, whole, whole, whole)
    def test_hypothesis_additive(
        schedule: WorkSchedule, x: datetime, y: datetime, z: datetime
    ) -> None:
        check_additive(schedule, x, y, z)

    @settings(max_examples=50, deadline=None)
    @given(schedules, instants, st.integers(min_value=0, max_value=40 * 86400))
    def test_hypothesis_oracle(schedule: WorkSchedule, a: datetime, length_s: int) -> None:
        check_against_oracle(schedule, a, length_s)

    @settings(max_examples=100, deadline=None)
    @given(schedules, instants)
    def test_hypothesis_next_start(schedule: WorkSchedule, at: datetime) -> None:
        check_next_start(schedule, at)


def test_thousands_of_computations_are_fast() -> None:
    cal = WorkCalendar(WorkSchedule(tz="Asia/Vladivostok", lunch=LUNCH))
    base = datetime(2025, 1, 1, tzinfo=UTC)
    t0 = perf.perf_counter()
    for i in range(5000):
        start = base + timedelta(minutes=137 * i)
        due = cal.add_working_seconds(start, 8 * 3600 + i)
        cal.working_seconds_between(start, due + timedelta(days=30))
    assert perf.perf_counter() - t0 < 1.0
