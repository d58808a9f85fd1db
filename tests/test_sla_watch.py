"""The SLA watch on an injected clock: nudge at 75 %, moderators at breach, then leads — once."""

from __future__ import annotations

from datetime import datetime

from bot.sla_watch import check_sla
from config.registry import parse_registry
from storage.models import Complaint
from storage.sla_clock import pause_clock, resume_clock
from tests.issue6_support import REGION, add_complaint, msk, outbox, region, region_db


def _sent(rows: list, kind: str) -> list[tuple[int, int]]:
    return [(r.complaint_id, r.chat_id) for r in rows if r.kind == kind]


async def test_friday_evening_complaint_nudged_monday_escalated_then_lead_once(
    db_url: str,
) -> None:
    reg = region()
    async with region_db(db_url, reg, msk("2026-11-20T17:00:00")) as deps:
        cid = await add_complaint(deps.sessions, reg, created_at=msk("2026-11-20T17:00:00"))
        # The weekend is not working time: 1 h on Friday, then Monday from 09:00.
        for at in ("2026-11-21T12:00:00", "2026-11-22T23:00:00", "2026-11-23T13:59:00"):
            passed = await check_sla(deps, now=msk(at))
            assert (passed.nudged, passed.escalated) == ([], []), at
        assert await outbox(deps.sessions) == []

        passed = await check_sla(deps, now=msk("2026-11-23T14:00:00"))  # 6 of 8 working hours
        assert passed.nudged == [cid] and passed.escalated == []
        rows = await outbox(deps.sessions)
        assert _sent(rows, "nudge") == [(cid, 501)]  # the city's official only
        nudge = rows[0].payload["text"]
        assert f"Жалоба №{cid}" in nudge
        assert "осталось 2 ч рабочего времени" in nudge and "23.11 16:00" in nudge
        assert "vk.com/wall-1001_10?reply=" in nudge

        await check_sla(deps, now=msk("2026-11-23T15:59:00"))
        assert len(await outbox(deps.sessions)) == 1  # no second nudge

        passed = await check_sla(deps, now=msk("2026-11-23T16:00:00"))
        assert passed.escalated == [cid] and passed.nudged == []
        rows = await outbox(deps.sessions)
        assert _sent(rows, "escalation") == [(cid, 601)]
        assert "Исполнители: Иван Петров" in rows[-1].payload["text"]

        # Lead escalation 4 working hours after the breach: Mon 16–18, Tue 09–11.
        await check_sla(deps, now=msk("2026-11-24T10:59:00"))
        assert _sent(await outbox(deps.sessions), "escalation_lead") == []
        passed = await check_sla(deps, now=msk("2026-11-24T11:00:00"))
        assert passed.escalated_lead == [cid]
        for at in ("2026-11-24T11:01:00", "2026-11-30T11:00:00"):
            again = await check_sla(deps, now=msk(at))
            assert (again.nudged, again.escalated, again.escalated_lead) == ([], [], [])
        rows = await outbox(deps.sessions)
        assert sorted(_sent(rows, "escalation_lead")) == [(cid, 701), (cid, 702)]
        assert len(rows) == 4
        assert len({r.dedupe_key for r in rows}) == 4
        lead_text = next(r for r in rows if r.chat_id == 701).payload["text"]
        assert "Просрочка: 4 ч рабочего времени" in lead_text


async def test_holiday_and_pre_holiday_short_day_move_the_deadline(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, msk("2026-11-03T16:00:00")) as deps:
        # 3 November 2026 is a short day (ends 17:00), 4 November a public holiday.
        cid = await add_complaint(deps.sessions, reg, created_at=msk("2026-11-03T16:00:00"))
        assert (await check_sla(deps, now=msk("2026-11-04T23:00:00"))).nudged == []
        assert (await check_sla(deps, now=msk("2026-11-05T13:59:00"))).nudged == []
        assert (await check_sla(deps, now=msk("2026-11-05T14:00:00"))).nudged == [cid]
        assert (await check_sla(deps, now=msk("2026-11-05T16:00:00"))).escalated == [cid]


async def test_agency_zone_decides_working_hours_and_each_lead_reads_own_time(
    db_url: str,
) -> None:
    reg = region()
    async with region_db(db_url, reg, msk("2026-11-23T09:00:00")) as deps:
        # 09:00 in Moscow is 13:00 in Novosibirsk: 5 working hours left there on Monday.
        cid = await add_complaint(
            deps.sessions, reg, created_at=msk("2026-11-23T09:00:00"), agency="nsk"
        )
        assert (await check_sla(deps, now=msk("2026-11-24T05:59:00"))).nudged == []
        assert (await check_sla(deps, now=msk("2026-11-24T06:00:00"))).nudged == [cid]
        assert (await check_sla(deps, now=msk("2026-11-24T08:00:00"))).escalated == [cid]
        # This agency escalates to leads 2 working hours after the breach (registry override).
        assert (await check_sla(deps, now=msk("2026-11-24T09:59:00"))).escalated_lead == []
        assert (await check_sla(deps, now=msk("2026-11-24T10:00:00"))).escalated_lead == [cid]
        rows = await outbox(deps.sessions)
        assert _sent(rows, "nudge") == [(cid, 502)]
        leads = {r.chat_id: r.payload["text"] for r in rows if r.kind == "escalation_lead"}
        assert "срок был 24.11 08:00" in leads[701]  # Moscow lead, Moscow time
        assert "срок был 24.11 12:00" in leads[702]  # Novosibirsk lead, local time


async def test_answered_complaint_is_never_chased(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, msk("2026-11-23T09:00:00")) as deps:
        await add_complaint(
            deps.sessions,
            reg,
            created_at=msk("2026-11-23T09:00:00"),
            answered_after_s=3600,
            working_s=3600,
        )
        passed = await check_sla(deps, now=msk("2026-11-25T12:00:00"))
        assert (passed.nudged, passed.escalated, passed.escalated_lead) == ([], [], [])
        assert await outbox(deps.sessions) == []


async def test_waiting_on_resident_pauses_the_clock(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, msk("2026-11-23T09:00:00")) as deps:
        cid = await add_complaint(deps.sessions, reg, created_at=msk("2026-11-23T09:00:00"))
        async with deps.sessions() as session, session.begin():
            c = await session.get(Complaint, cid)
            assert c is not None
            pause_clock(c, msk("2026-11-23T10:00:00"))
        assert (await check_sla(deps, now=msk("2026-11-23T17:00:00"))).escalated == []
        async with deps.sessions() as session, session.begin():
            c = await session.get(Complaint, cid)
            assert c is not None
            resume_clock(c, msk("2026-11-23T15:00:00"), reg)  # 5 working hours paused
            assert c.paused_s == 5 * 3600
            # 8 h from Monday 09:00 would be 17:00; 5 h later in working time is Tue 13:00.
            assert c.due_at == msk("2026-11-24T13:00:00")
        assert (await check_sla(deps, now=msk("2026-11-24T10:59:00"))).nudged == []
        passed = await check_sla(deps, now=msk("2026-11-24T12:59:00"))
        assert passed.nudged == [cid] and passed.escalated == []
        assert (await check_sla(deps, now=msk("2026-11-24T13:00:00"))).escalated == [cid]


async def test_reopened_complaint_runs_a_new_clock_with_new_notices(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, msk("2026-11-23T10:00:00")) as deps:
        old = msk("2026-11-20T15:00:00")
        cid = await add_complaint(
            deps.sessions,
            reg,
            created_at=msk("2026-11-19T09:00:00"),
            nudged_at=old,
            escalated_at=old,
            reopened_at=msk("2026-11-23T10:00:00"),
            reopen_count=1,
        )
        passed = await check_sla(deps, now=msk("2026-11-23T15:59:00"))
        assert passed.nudged == [] and passed.escalated == []
        assert (await check_sla(deps, now=msk("2026-11-23T16:00:00"))).nudged == [cid]
        rows = await outbox(deps.sessions)
        assert [r.dedupe_key for r in rows] == [f"nudge:{cid}:1:501"]


async def test_waits_of_an_earlier_clock_do_not_move_the_reopened_one(db_url: str) -> None:
    """Five working hours waited on the resident before the first answer; after the reopen
    the update clock runs its own eight hours from Monday 10:00."""
    reg = region(city={"solution_hours": 40})
    async with region_db(db_url, reg, msk("2026-11-23T10:00:00")) as deps:
        cid = await add_complaint(
            deps.sessions,
            reg,
            created_at=msk("2026-11-19T09:00:00"),
            paused_s=5 * 3600,
            paused_before_clock_s=5 * 3600,  # as a reopen leaves it
            reopened_at=msk("2026-11-23T10:00:00"),
            reopen_count=1,
        )
        # Monday 10:00 plus 8 working hours is 18:00 (with the old waits it would be Tue 14:00).
        assert (await check_sla(deps, now=msk("2026-11-23T17:59:00"))).escalated == []
        assert (await check_sla(deps, now=msk("2026-11-23T18:00:00"))).escalated == [cid]
        # The solution clock runs across clocks, so it still leaves all five hours out:
        # 40 + 5 working hours from Thursday 09:00 is Wednesday 18:00.
        assert (await check_sla(deps, now=msk("2026-11-25T17:59:00"))).solution_breached == []
        late = await check_sla(deps, now=msk("2026-11-25T18:00:00"))
        assert late.solution_breached == [cid]


async def test_optional_solution_clock_tells_moderators_once(db_url: str) -> None:
    reg = region(city={"solution_hours": 18})  # two full working days
    async with region_db(db_url, reg, msk("2026-11-23T09:00:00")) as deps:
        cid = await add_complaint(
            deps.sessions,
            reg,
            created_at=msk("2026-11-23T09:00:00"),
            answered_after_s=600,
            working_s=600,
        )
        assert (await check_sla(deps, now=msk("2026-11-24T17:59:00"))).solution_breached == []
        assert (await check_sla(deps, now=msk("2026-11-24T18:00:00"))).solution_breached == [cid]
        assert (await check_sla(deps, now=msk("2026-11-25T18:00:00"))).solution_breached == []
        rows = await outbox(deps.sessions)
        assert _sent(rows, "solution_breach") == [(cid, 601)]


def test_msk_helper_is_aware() -> None:
    assert msk("2026-11-23T09:00:00").utcoffset() is not None
    assert isinstance(msk("2026-11-23T09:00:00"), datetime)


async def test_breach_goes_only_to_moderators_and_leads_whose_region_covers_it(
    db_url: str,
) -> None:
    """A Primersk breach reaches the central moderator and lead, not the Siberian ones."""
    data = {
        **REGION,
        "agencies": [
            {**a, "region": "Сибирь" if a["id"] == "nsk" else "Центр"} for a in REGION["agencies"]
        ],
        "people": [
            *REGION["people"],
            {"telegram_id": 602, "name": "Инна", "role": "moderator", "region": "Сибирь"},
        ],
    }
    data["people"] = [
        {**p, "region": "Сибирь"} if p["telegram_id"] == 702 else p for p in data["people"]
    ]
    reg = parse_registry(data)
    async with region_db(db_url, reg, msk("2026-11-23T09:00:00")) as deps:
        cid = await add_complaint(deps.sessions, reg, created_at=msk("2026-11-23T09:00:00"))
        await check_sla(deps, now=msk("2026-11-23T17:00:00"))  # breach after 8 working hours
        await check_sla(deps, now=msk("2026-11-24T13:00:00"))  # and 4 more: the leads
        rows = await outbox(deps.sessions)
    assert _sent(rows, "escalation") == [(cid, 601)]
    assert _sent(rows, "escalation_lead") == [(cid, 701)]
