"""Working time in the Russian production calendar, per region.

Deadlines for answering residents are set in *working* hours (product.md §5): a complaint
written on Friday evening before the May holidays is not overdue on Saturday.  This module
answers the only questions the SLA code needs — "is this instant working time?", "what
instant is N working seconds after T?", "how many working seconds lie between A and B?" —
for one agency's :class:`WorkSchedule` (time zone, hours, lunch, 24/7) on top of the federal
:class:`ProductionCalendar` (holidays, transferred days off, working Saturdays,
pre-holiday short days).

Everything is pure: "now" is always a parameter, nothing reads the clock, and the only I/O
is reading the shipped calendar JSON once, lazily (:func:`default_production_calendar`).

Speed matters because a complaint ledger evaluates thousands of deadlines per pass, so the
calendar keeps, per year, a prefix sum of working microseconds per local day: a span costs
O(years crossed) and finding a deadline is a binary search, never a minute-by-minute walk.
Internally all arithmetic is in integer microseconds so that adding N working seconds and
measuring them back round-trips exactly.

Time zones: working hours are wall-clock hours in the schedule's zone, and instants may be
given in any zone.  Russia has had no DST since 2011 and its zones' later offset changes
(2014, 2016, 2020) all happened at night, so working hours are never cut by a jump; for a
zone with DST the wall clock is still honoured, and only a transition *inside* working
hours would be mis-measured by the size of the jump.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_SCHEDULE",
    "FALLBACK_HOLIDAYS",
    "ProductionCalendar",
    "ProductionYear",
    "WorkCalendar",
    "WorkSchedule",
    "default_production_calendar",
]

_US_PER_S: Final = 1_000_000
_US_PER_DAY: Final = 86_400 * _US_PER_S
_SHORT_DAY_CUT_US: Final = 3600 * _US_PER_S  # art. 95 of the Labour Code: one hour shorter
_MAX_YEARS_SCANNED: Final = 200  # guards against a schedule that never works

# Day kinds stored per local day in a year table.
_OFF: Final = 0
_FULL: Final = 1
_SHORT: Final = 2

#: Statutory non-working holidays (art. 112 of the Labour Code) as (month, day).  Used for
#: years without an official calendar; transfers of weekend holidays are deliberately not
#: guessed there, because the government decides them by decree each year.
FALLBACK_HOLIDAYS: Final[tuple[tuple[int, int], ...]] = (
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
)

_DATA_FILE = re.compile(r"^ru_production_calendar_(\d{4})\.json$")


# --------------------------------------------------------------------------------------
# Production calendar (federal, no time zone, no hours)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductionYear:
    """The official production calendar of one year.

    ``holidays`` are all non-working dates other than ordinary Saturdays and Sundays
    (statutory holidays, also when they fall on a weekend, plus transferred days off);
    ``workdays`` are weekend dates the government made working days; ``short_days`` are
    working days shortened by one hour before a holiday (art. 95 of the Labour Code).
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date] = frozenset()
    short_days: frozenset[date] = frozenset()
    source: str = ""

    def __post_init__(self) -> None:
        # Fail at load time, not in the middle of a deadline computation.
        for name, days in (
            ("holidays", self.holidays),
            ("workdays", self.workdays),
            ("short_days", self.short_days),
        ):
            stray = sorted(d for d in days if d.year != self.year)
            if stray:
                raise ValueError(f"{self.year}: {name} has dates of another year: {stray}")
        if self.holidays & self.workdays:
            raise ValueError(f"{self.year}: dates both holiday and workday")
        weekday_workdays = sorted(d for d in self.workdays if d.weekday() < 5)
        if weekday_workdays:
            raise ValueError(f"{self.year}: workdays must be weekend dates: {weekday_workdays}")
        off_short = sorted(
            d
            for d in self.short_days
            if d in self.holidays or (d.weekday() >= 5 and d not in self.workdays)
        )
        if off_short:
            raise ValueError(f"{self.year}: short_days must be working days: {off_short}")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProductionYear:
        """Build from the shipped JSON layout (ISO dates; see ``matcher/data``)."""

        def dates(key: str) -> frozenset[date]:
            raw = data.get(key, [])
            if not isinstance(raw, list):
                raise ValueError(f"{key} must be a list of ISO dates")
            return frozenset(date.fromisoformat(str(item)) for item in raw)

        year = data.get("year")
        if not isinstance(year, int):
            raise ValueError("year must be an integer")
        return cls(
            year=year,
            holidays=dates("holidays"),
            workdays=dates("workdays"),
            short_days=dates("short_days"),
            source=str(data.get("source", "")),
        )

    @classmethod
    def fallback(cls, year: int) -> ProductionYear:
        """Statutory holidays only: what we can say about a year without its decree."""
        return cls(
            year=year,
            holidays=frozenset(date(year, m, d) for m, d in FALLBACK_HOLIDAYS),
            source="fallback: statutory holidays only (art. 112), no transfers",
        )


class ProductionCalendar:
    """Russian federal working days: official data where we have it, a fallback elsewhere.

    Years without official data use :data:`FALLBACK_HOLIDAYS` on top of Saturdays and
    Sundays; :meth:`has_official_data` lets the application warn about such years instead
    of silently computing deadlines on a guessed calendar.
    """

    __slots__ = ("_kinds", "_official")

    def __init__(self, years: Iterable[ProductionYear] = ()) -> None:
        official: dict[int, ProductionYear] = {}
        for y in years:
            if y.year in official:
                raise ValueError(f"two calendars for {y.year}")
            official[y.year] = y
        self._official = official
        self._kinds: dict[int, bytes] = {}

    @property
    def official_years(self) -> frozenset[int]:
        """Years covered by an official (decree-based) calendar."""
        return frozenset(self._official)

    def has_official_data(self, year: int) -> bool:
        """Whether ``year`` is computed from the official calendar rather than the fallback."""
        return year in self._official

    def year(self, year: int) -> ProductionYear:
        """The calendar of ``year``: official if known, else the statutory fallback."""
        found = self._official.get(year)
        return found if found is not None else ProductionYear.fallback(year)

    def source(self, year: int) -> str:
        """Where the calendar of ``year`` comes from (for logs and the admin UI)."""
        return self.year(year).source

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day in a five-day week."""
        return self.day_kinds(d.year)[d.timetuple().tm_yday - 1] != _OFF

    def is_short_day(self, d: date) -> bool:
        """Whether ``d`` is a pre-holiday working day shortened by one hour."""
        return self.day_kinds(d.year)[d.timetuple().tm_yday - 1] == _SHORT

    def day_kinds(self, year: int) -> bytes:
        """One byte per day of ``year``: 0 day off, 1 full working day, 2 short day.

        Cached: this is the table every working-time computation indexes into.
        """
        kinds = self._kinds.get(year)
        if kinds is None:
            kinds = self._build_kinds(self.year(year))
            self._kinds[year] = kinds
        return kinds

    @staticmethod
    def _build_kinds(py: ProductionYear) -> bytes:
        first = date(py.year, 1, 1)
        n = (date(py.year + 1, 1, 1) - first).days if py.year < 9999 else 365
        out = bytearray(n)
        for i in range(n):
            d = first + timedelta(days=i)
            if d in py.workdays or (d.weekday() < 5 and d not in py.holidays):
                out[i] = _SHORT if d in py.short_days else _FULL
        return bytes(out)

    def __repr__(self) -> str:
        return f"ProductionCalendar(official_years={sorted(self._official)})"


def _load_shipped_years() -> list[ProductionYear]:
    folder = resources.files(__package__ or "matcher").joinpath("data")
    years: list[ProductionYear] = []
    if not folder.is_dir():
        return years
    for entry in folder.iterdir():
        m = _DATA_FILE.match(entry.name)
        if m is None:
            continue
        data = json.loads(entry.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{entry.name}: expected a JSON object")
        py = ProductionYear.from_json(data)
        if py.year != int(m.group(1)):
            raise ValueError(f"{entry.name}: file name and year {py.year} disagree")
        years.append(py)
    return years


@lru_cache(maxsize=1)
def default_production_calendar() -> ProductionCalendar:
    """The calendar shipped in ``matcher/data/ru_production_calendar_<year>.json``.

    Loaded once, on first use, so importing this module costs no I/O.
    """
    return ProductionCalendar(_load_shipped_years())


# --------------------------------------------------------------------------------------
# Agency schedule
# --------------------------------------------------------------------------------------


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_S + t.microsecond


@dataclass(frozen=True, slots=True)
class WorkSchedule:
    """When one agency works: wall-clock hours in its region's time zone.

    ``end == time(0)`` means midnight at the end of the day.  ``lunch`` is a break inside
    the working hours.  ``always_open`` makes every instant working time (24/7 duty
    services), ignoring hours and holidays.  ``shorten_pre_holiday`` applies the one-hour
    pre-holiday reduction of art. 95 of the Labour Code on the calendar's short days.
    """

    tz: str = "Europe/Moscow"
    start: time = time(9, 0)
    end: time = time(18, 0)
    lunch: tuple[time, time] | None = None
    always_open: bool = False
    shorten_pre_holiday: bool = True

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            # ValueError like the other checks, so config validation reports it uniformly.
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        times = [self.start, self.end, *(self.lunch or ())]
        if any(t.tzinfo is not None for t in times):
            raise ValueError("working hours are wall-clock times: pass naive time objects")
        if self.always_open:
            return
        s, e = _time_us(self.start), self._end_us()
        if s >= e:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        if self.lunch is not None:
            l0, l1 = (_time_us(t) for t in self.lunch)
            if not s <= l0 < l1 <= e:
                raise ValueError(f"lunch {self.lunch} must lie within the working hours")

    def _end_us(self) -> int:
        return _US_PER_DAY if self.end == time(0) else _time_us(self.end)

    def intervals_us(self, *, short: bool = False) -> tuple[tuple[int, int], ...]:
        """Working intervals of one working day as microseconds since local midnight."""
        s, e = _time_us(self.start), self._end_us()
        if short and self.shorten_pre_holiday:
            e = max(s, e - _SHORT_DAY_CUT_US)
        parts = [(s, e)]
        if self.lunch is not None:
            l0, l1 = (_time_us(t) for t in self.lunch)
            parts = [(s, min(l0, e)), (min(l1, e), e)]
        return tuple((lo, hi) for lo, hi in parts if hi > lo)


DEFAULT_SCHEDULE: Final = WorkSchedule()


# --------------------------------------------------------------------------------------
# Working-time arithmetic
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _YearTable:
    first_ordinal: int
    kinds: bytes
    cum: list[int]  # cum[i] = working µs in local days [first, first + i)


def _before_in_day(intervals: tuple[tuple[int, int], ...], t: int) -> int:
    """Working µs of a day that lie before µs-of-day ``t``."""
    total = 0
    for lo, hi in intervals:
        if t <= lo:
            break
        total += min(t, hi) - lo
    return total


def _instant_in_day(intervals: tuple[tuple[int, int], ...], amount: int) -> int:
    """Earliest µs-of-day by which ``amount`` (> 0) working µs of the day have elapsed."""
    for lo, hi in intervals:
        length = hi - lo
        if amount <= length:
            return lo + amount
        amount -= length
    raise AssertionError("amount exceeds the working time of the day")  # pragma: no cover


class WorkCalendar:
    """Working-time arithmetic for one :class:`WorkSchedule` on a :class:`ProductionCalendar`.

    All methods take timezone-aware instants in any zone and return instants in UTC.
    Instances are cheap; per-year tables are built lazily and cached on the instance.
    """

    __slots__ = ("_intervals", "_production", "_schedule", "_tables", "_totals", "_tz")

    def __init__(
        self,
        schedule: WorkSchedule = DEFAULT_SCHEDULE,
        *,
        production: ProductionCalendar | None = None,
    ) -> None:
        self._schedule = schedule
        self._production = production if production is not None else default_production_calendar()
        self._tz = ZoneInfo(schedule.tz)
        full = schedule.intervals_us()
        short = schedule.intervals_us(short=True)
        self._intervals: tuple[tuple[tuple[int, int], ...], ...] = ((), full, short)
        self._totals = tuple(sum(hi - lo for lo, hi in iv) for iv in self._intervals)
        self._tables: dict[int, _YearTable] = {}

    @property
    def schedule(self) -> WorkSchedule:
        return self._schedule

    @property
    def production(self) -> ProductionCalendar:
        return self._production

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def has_official_data(self, year: int) -> bool:
        """Whether ``year`` is on the official calendar (else the app should warn)."""
        return self._production.has_official_data(year)

    # -- days ---------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Whether the agency works on local date ``d`` (always true for 24/7 agencies)."""
        if self._schedule.always_open:
            return True
        return self._production.is_working_day(d)

    # -- instants -----------------------------------------------------------------------

    def is_working_instant(self, at: datetime) -> bool:
        """Whether ``at`` falls in working time (intervals are half-open: 18:00 is not)."""
        if self._schedule.always_open:
            _require_aware(at)
            return True
        ordinal, t = self._local(at)
        return any(lo <= t < hi for lo, hi in self._intervals[self._kind(ordinal)])

    def next_working_start(self, at: datetime) -> datetime:
        """The first instant >= ``at`` that is working time, in UTC.

        That is ``at`` itself during working time, else the start of the next working
        period (after lunch, the next morning, or after the holidays).
        """
        if self._schedule.always_open:
            return _require_aware(at).astimezone(UTC)
        ordinal, t = self._local(at)
        for lo, hi in self._intervals[self._kind(ordinal)]:
            if t < hi:
                return at.astimezone(UTC) if t >= lo else self._instant(ordinal, lo)
        day = self._next_day_with_work(ordinal + 1)
        return self._instant(day, self._intervals[self._kind(day)][0][0])

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant by which ``seconds`` of working time have passed since ``start``.

        Lands on the end of a working period rather than the start of the next one (Friday
        17:00 + 1 h is Friday 18:00), so a deadline is "by end of day".  Zero seconds
        returns ``start`` unchanged (in UTC).  Aware in, aware (UTC) out.
        """
        if seconds < 0:
            raise ValueError("seconds must be non-negative")
        _require_aware(start)
        amount = round(seconds * _US_PER_S)
        if amount == 0:
            return start.astimezone(UTC)
        if self._schedule.always_open:
            return start.astimezone(UTC) + timedelta(microseconds=amount)
        ordinal, t = self._local(start)
        kind = self._kind(ordinal)
        intervals = self._intervals[kind]
        done = _before_in_day(intervals, t)
        left_today = self._totals[kind] - done
        if amount <= left_today:
            return self._instant(ordinal, _instant_in_day(intervals, done + amount))
        amount -= left_today
        day, within = self._find_day(ordinal + 1, amount)
        return self._instant(day, _instant_in_day(self._intervals[self._kind(day)], within))

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Whole working seconds in ``[a, b)``; 0 if ``b <= a``."""
        return self.working_us_between(a, b) // _US_PER_S

    def working_us_between(self, a: datetime, b: datetime) -> int:
        """Working microseconds in ``[a, b)``; 0 if ``b <= a`` (exact, for additive sums)."""
        _require_aware(a)
        _require_aware(b)
        if b <= a:
            return 0
        if self._schedule.always_open:
            return (b - a) // timedelta(microseconds=1)
        oa, ta = self._local(a)
        ob, tb = self._local(b)
        inside_a = _before_in_day(self._intervals[self._kind(oa)], ta)
        inside_b = _before_in_day(self._intervals[self._kind(ob)], tb)
        return self._work_in_days(oa, ob) + inside_b - inside_a

    # -- internals ----------------------------------------------------------------------

    def _local(self, at: datetime) -> tuple[int, int]:
        """(local date ordinal, µs since local midnight) of an aware instant."""
        loc = _require_aware(at).astimezone(self._tz)
        t = ((loc.hour * 60 + loc.minute) * 60 + loc.second) * _US_PER_S + loc.microsecond
        return loc.toordinal(), t

    def _instant(self, ordinal: int, t: int) -> datetime:
        d = date.fromordinal(ordinal)
        midnight = datetime(d.year, d.month, d.day, tzinfo=self._tz)
        # Wall-clock addition on an aware datetime: 09:00 local is 09:00 whatever the offset.
        return (midnight + timedelta(microseconds=t)).astimezone(UTC)

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            kinds = self._production.day_kinds(year)
            totals = self._totals
            cum = [0] * (len(kinds) + 1)
            acc = 0
            for i, k in enumerate(kinds):
                acc += totals[k]
                cum[i + 1] = acc
            table = _YearTable(date(year, 1, 1).toordinal(), kinds, cum)
            self._tables[year] = table
        return table

    def _kind(self, ordinal: int) -> int:
        year = date.fromordinal(ordinal).year
        table = self._table(year)
        return table.kinds[ordinal - table.first_ordinal]

    def _work_in_days(self, first: int, stop: int) -> int:
        """Working µs in the whole local days ``[first, stop)``."""
        total = 0
        while first < stop:
            table = self._table(date.fromordinal(first).year)
            end = min(stop, table.first_ordinal + len(table.kinds))
            total += table.cum[end - table.first_ordinal] - table.cum[first - table.first_ordinal]
            first = end
        return total

    def _find_day(self, first: int, amount: int) -> tuple[int, int]:
        """Day (from ``first`` on) in which ``amount`` > 0 working µs run out, and how
        many of them fall inside that day."""
        for _ in range(_MAX_YEARS_SCANNED):
            table = self._table(date.fromordinal(first).year)
            i0 = first - table.first_ordinal
            target = table.cum[i0] + amount
            j = bisect_left(table.cum, target, lo=i0 + 1)
            if j < len(table.cum):
                return table.first_ordinal + j - 1, target - table.cum[j - 1]
            amount = target - table.cum[-1]
            first = table.first_ordinal + len(table.kinds)
        raise OverflowError("working time never accumulates under this schedule")

    def _next_day_with_work(self, first: int) -> int:
        for _ in range(_MAX_YEARS_SCANNED):
            table = self._table(date.fromordinal(first).year)
            i0 = first - table.first_ordinal
            j = bisect_right(table.cum, table.cum[i0], lo=i0)
            if j < len(table.cum):
                return table.first_ordinal + j - 1
            first = table.first_ordinal + len(table.kinds)
        raise OverflowError("no working time under this schedule")

    def __repr__(self) -> str:
        return f"WorkCalendar({self._schedule!r})"


def _require_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("timezone-aware datetime required")
    return at
