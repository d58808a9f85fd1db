"""SLA clocks in working time: deadlines, stages, response times, Russian durations."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from matcher.sla import (
    Deadlines,
    SlaPolicy,
    SlaStage,
    deadlines,
    format_duration_ru,
    next_change_at,
    paused_working_seconds,
    response_times,
    response_times_excluding_waits,
    round_the_clock,
    stage_at,
    urgent_policy,
)
from matcher.workcalendar import WorkCalendar, WorkSchedule

MSK = ZoneInfo("Europe/Moscow")
H = 3600


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)  # type: ignore[arg-type, misc, unused-ignore]


def at(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))  # type: ignore[arg-type, misc, unused-ignore]


CAL = WorkCalendar()


def test_response_times_of_the_early_morning_complaint() -> None:
    assert response_times(msk(2026, 11, 23, 8, 5), msk(2026, 11, 23, 9, 10), CAL) == (3900, 600)


@pytest.mark.parametrize(
    ("created", "answered", "paused", "expected"),
    [
        (msk(2026, 11, 27, 17), msk(2026, 11, 30, 10), 0, (65 * H, 2 * H)),  # over weekend
        (msk(2026, 11, 27, 17), msk(2026, 11, 30, 10), 1800, (65 * H, 2 * H - 1800)),
        (msk(2026, 11, 27, 17), msk(2026, 11, 30, 10), 10 * H, (65 * H, 0)),  # clamped
        (msk(2026, 11, 30, 10), msk(2026, 11, 27, 17), 0, (0, 0)),  # answered "before"
        (msk(2025, 12, 30, 17), msk(2026, 1, 12, 10), 0, (305 * H, 2 * H)),
        # Same instants written in UTC.
        (datetime(2026, 11, 23, 5, 5, tzinfo=UTC), datetime(2026, 11, 23, 6, 10, tzinfo=UTC), 0,
         (3900, 600)),
    ],
)  # fmt: skip
def test_response_times(
    created: datetime, answered: datetime, paused: int, expected: tuple[int, int]
) -> None:
    assert response_times(created, answered, CAL, paused_s=paused) == expected


@pytest.mark.parametrize(
    ("paused", "waiting_since", "until", "expected"),
    [
        (0, None, msk(2026, 11, 23, 12), 0),
        (1800, None, msk(2026, 11, 23, 12), 1800),  # finished waits only
        (0, msk(2026, 11, 23, 10), msk(2026, 11, 23, 12), 2 * H),  # a wait still running
        (600, msk(2026, 11, 23, 10), msk(2026, 11, 23, 12), 2 * H + 600),
        # Waiting over the weekend counts working time only: Fri 17:00 → Mon 10:00.
        (0, msk(2026, 11, 27, 17), msk(2026, 11, 30, 10), 2 * H),
        (0, msk(2026, 11, 23, 13), msk(2026, 11, 23, 12), 0),  # wait begun after "until"
    ],
)  # fmt: skip
def test_paused_working_seconds(
    paused: int, waiting_since: datetime | None, until: datetime, expected: int
) -> None:
    assert paused_working_seconds(paused, waiting_since, until, CAL) == expected


def test_response_times_leave_out_waits_on_the_resident() -> None:
    created, answered = msk(2026, 11, 23, 10), msk(2026, 11, 23, 15)
    assert response_times_excluding_waits(created, answered, CAL) == (5 * H, 5 * H)
    # An hour waited and resumed, then two more hours still waited when the answer came.
    got = response_times_excluding_waits(
        created, answered, CAL, paused_s=H, waiting_since=msk(2026, 11, 23, 13)
    )
    assert got == (5 * H, 2 * H)  # calendar time stays wall time
    # Never below zero, whatever the stored pauses say.
    assert response_times_excluding_waits(created, answered, CAL, paused_s=9 * H) == (5 * H, 0)
    with pytest.raises(ValueError, match="non-negative"):
        paused_working_seconds(-1, None, answered, CAL)
    with pytest.raises(ValueError, match="timezone-aware"):
        paused_working_seconds(0, datetime(2026, 11, 23, 10), answered, CAL)


def test_response_times_in_a_24_7_agency_equal_calendar_time() -> None:
    cal = WorkCalendar(WorkSchedule(always_open=True))
    assert response_times(msk(2026, 1, 1, 3), msk(2026, 1, 1, 4, 30), cal) == (5400, 5400)


def local_deadlines(d: Deadlines, tz: ZoneInfo = MSK) -> tuple[datetime, ...]:
    return tuple(x.astimezone(tz) for x in (d.start, d.warn_at, d.due_at, d.escalate_lead_at))


@pytest.mark.parametrize(
    ("cal", "started", "policy", "kwargs", "warn", "due", "escalate"),
    [
        # Friday 17:00 with 8 working hours: Monday 16:00, warning at 6 h = Monday 14:00.
        (CAL, msk(2026, 11, 27, 17), SlaPolicy(), {},
         msk(2026, 11, 30, 14), msk(2026, 11, 30, 16), msk(2026, 12, 1, 11)),
        # Before the New Year holidays: due after Jan 1-10 2027, on Monday Jan 11.
        (CAL, msk(2026, 12, 30, 17), SlaPolicy(), {},
         msk(2027, 1, 11, 14), msk(2027, 1, 11, 16), msk(2027, 1, 12, 11)),
        # Waiting on the resident for 2 working hours moves everything by 2 working hours.
        (CAL, msk(2026, 11, 27, 17), SlaPolicy(), {"paused_s": 2 * H},
         msk(2026, 11, 30, 16), msk(2026, 11, 30, 18), msk(2026, 12, 1, 13)),
        # Update clock after a reopen uses its own target.
        (CAL, msk(2026, 11, 23, 9), SlaPolicy(update_after_reopen_s=4 * H), {"kind": "update"},
         msk(2026, 11, 23, 12), msk(2026, 11, 23, 13), msk(2026, 11, 23, 17)),
        # Solution clock: 3 working days of 9 h.
        (CAL, msk(2026, 11, 23, 9), SlaPolicy(solution_s=27 * H), {"kind": "solution"},
         msk(2026, 11, 25, 11, 15), msk(2026, 11, 25, 18), msk(2026, 11, 26, 13)),
        # Working Saturday 1 Nov 2025 (short day, 09-17) counts, Nov 2-4 do not.
        (CAL, msk(2025, 10, 31, 17), SlaPolicy(), {},
         msk(2025, 11, 1, 14), msk(2025, 11, 1, 16), msk(2025, 11, 5, 12)),
        # 24/7 agency: plain hours, holidays included.
        (WorkCalendar(WorkSchedule(always_open=True)), msk(2026, 12, 31, 20), SlaPolicy(), {},
         msk(2027, 1, 1, 2), msk(2027, 1, 1, 4), msk(2027, 1, 1, 8)),
        # Lunch break 13-14 and a custom warning fraction.
        (WorkCalendar(WorkSchedule(lunch=(time(13), time(14)))), msk(2026, 11, 23, 9),
         SlaPolicy(first_response_s=6 * H, warn_fraction=0.5, escalate_lead_after_s=0), {},
         msk(2026, 11, 23, 12), msk(2026, 11, 23, 16), msk(2026, 11, 23, 16)),
    ],
)  # fmt: skip
def test_deadlines(
    cal: WorkCalendar,
    started: datetime,
    policy: SlaPolicy,
    kwargs: dict[str, object],
    warn: datetime,
    due: datetime,
    escalate: datetime,
) -> None:
    d = deadlines(started, policy, cal, **kwargs)  # type: ignore[arg-type]
    assert local_deadlines(d) == (started, warn, due, escalate)
    assert all(x.tzinfo is UTC for x in (d.start, d.warn_at, d.due_at, d.escalate_lead_at))


@pytest.mark.parametrize(
    ("tz", "started", "due"),
    [
        ("Europe/Kaliningrad", (2026, 11, 27, 17), (2026, 11, 30, 16)),
        ("Asia/Yekaterinburg", (2026, 11, 27, 17), (2026, 11, 30, 16)),
        ("Asia/Vladivostok", (2026, 5, 8, 16), (2026, 5, 12, 16)),  # short Friday, May 9-11 off
        ("Asia/Kamchatka", (2026, 12, 30, 17), (2027, 1, 11, 16)),
    ],
)
def test_deadlines_follow_the_agency_zone(
    tz: str, started: tuple[int, ...], due: tuple[int, ...]
) -> None:
    cal = WorkCalendar(WorkSchedule(tz=tz))
    started_utc = at(tz, *started).astimezone(UTC)  # the ledger stores UTC
    assert deadlines(started_utc, SlaPolicy(), cal).due_at == at(tz, *due)


def test_deadline_ordering_and_policy_errors() -> None:
    d = deadlines(msk(2026, 11, 27, 17), SlaPolicy(), CAL)
    assert d.start < d.warn_at < d.due_at < d.escalate_lead_at
    with pytest.raises(ValueError):
        deadlines(msk(2026, 11, 27, 17), SlaPolicy(), CAL, kind="solution")
    with pytest.raises(ValueError):
        deadlines(msk(2026, 11, 27, 17), SlaPolicy(), CAL, paused_s=-1)
    with pytest.raises(ValueError):
        deadlines(datetime(2026, 11, 27, 17), SlaPolicy(), CAL)  # naive
    for bad in (
        {"first_response_s": 0},
        {"solution_s": -5},
        {"warn_fraction": 0.0},
        {"warn_fraction": 1.5},
        {"escalate_lead_after_s": -1},
    ):
        with pytest.raises(ValueError):
            SlaPolicy(**bad)  # type: ignore[arg-type, unused-ignore]


D = deadlines(msk(2026, 11, 27, 17), SlaPolicy(), CAL)  # warn Mon 14:00, due 16:00, lead Tue 11:00
ONE_US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "stage"),
    [
        (msk(2026, 11, 27, 17), SlaStage.OK),
        (msk(2026, 11, 29, 23), SlaStage.OK),  # the weekend does not count
        (msk(2026, 11, 30, 14) - ONE_US, SlaStage.OK),
        (msk(2026, 11, 30, 14), SlaStage.WARNING),
        (msk(2026, 11, 30, 16) - ONE_US, SlaStage.WARNING),
        (msk(2026, 11, 30, 16), SlaStage.BREACHED),
        (msk(2026, 12, 1, 10, 59), SlaStage.BREACHED),
        (msk(2026, 12, 1, 11), SlaStage.ESCALATED_LEAD),
        (msk(2027, 6, 1), SlaStage.ESCALATED_LEAD),
        (datetime(2026, 11, 30, 11, tzinfo=UTC), SlaStage.WARNING),  # 14:00 MSK
    ],
)
def test_stage_at(now: datetime, stage: SlaStage) -> None:
    assert stage_at(D, now) is stage


def test_stage_values_and_next_change() -> None:
    assert [s.value for s in SlaStage] == ["ok", "warning", "breached", "escalated_lead"]
    assert SlaStage("breached") is SlaStage.BREACHED
    assert next_change_at(D, msk(2026, 11, 28, 12)) == D.warn_at
    assert next_change_at(D, D.warn_at) == D.due_at
    assert next_change_at(D, D.due_at) == D.escalate_lead_at
    assert next_change_at(D, D.escalate_lead_at) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 сек"),
        (45, "45 сек"),
        (59, "59 сек"),
        (60, "1 мин"),
        (12 * 60 + 59, "12 мин"),
        (3599, "59 мин"),
        (3600, "1 ч"),
        (3900, "1 ч 05 мин"),
        (3959, "1 ч 05 мин"),
        (10 * H + 30 * 60, "10 ч 30 мин"),
        (86399, "23 ч 59 мин"),
        (86400, "1 дн"),
        (2 * 86400 + 3 * H + 59 * 60, "2 дн 3 ч"),
        (-3900, "-1 ч 05 мин"),
    ],
)
def test_format_duration_ru(seconds: int, text: str) -> None:
    assert format_duration_ru(seconds) == text


def test_urgent_clock_runs_two_calendar_hours_through_the_weekend_night() -> None:
    """Issue 12: Saturday 23:30 — the urgent target is due at 01:30, nudged at 01:00, the
    leads an hour after the breach; the ordinary target waits for Monday's working hours."""
    saturday = msk(2026, 11, 28, 23, 30)
    policy = SlaPolicy()
    urgent = deadlines(saturday, urgent_policy(policy), round_the_clock(CAL))
    assert (urgent.warn_at, urgent.due_at, urgent.escalate_lead_at) == (
        msk(2026, 11, 29, 1, 0),
        msk(2026, 11, 29, 1, 30),
        msk(2026, 11, 29, 2, 30),
    )
    # A reopen of an urgent complaint is urgent too; a wait moves it by calendar time.
    update = deadlines(
        saturday, urgent_policy(policy), round_the_clock(CAL), paused_s=600, kind="update"
    )
    assert update.due_at == msk(2026, 11, 29, 1, 40)
    assert deadlines(saturday, policy, CAL).due_at == msk(2026, 11, 30, 17, 0)
    # Per agency: a one-hour urgent target, leads told at once.
    custom = urgent_policy(SlaPolicy(urgent_s=H, urgent_escalate_lead_after_s=0))
    d = deadlines(saturday, custom, round_the_clock(CAL))
    assert d.due_at == d.escalate_lead_at == msk(2026, 11, 29, 0, 30)
    # The zone stays the agency's, and a 24/7 calendar is already round the clock.
    assert round_the_clock(WorkCalendar(WorkSchedule(tz="Asia/Novosibirsk"))).tz == ZoneInfo(
        "Asia/Novosibirsk"
    )
    always = WorkCalendar(WorkSchedule(always_open=True))
    assert round_the_clock(always) is always
    with pytest.raises(ValueError):
        SlaPolicy(urgent_s=0)
