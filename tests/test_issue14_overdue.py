"""Issue 14: one meaning of "overdue", and statistics that survive a reopen.

"Overdue" is working time past the deadline, said with its unit, with the calendar time
without an answer beside it: the digest, the lead's escalation, the /overdue list and the
card give the same figure for one complaint.  The statistics count the *first* answer: a
complaint answered in ten working minutes, resolved and reopened, stays answered in ten
minutes; the reopen has its own figure; an agency whose only answer was an отписка is not
«лучше всех».
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.render import render_alert, render_list
from bot.digest import build_digest, collect_digest, render_digest
from bot.drawing import Drawing
from bot.outbox import list_items, load_alert_view
from bot.sla_watch import check_sla
from matcher.overdue import clock_time_ru, format_working_ru, lateness
from matcher.stats import AgencyFigures, RankRule, rank_agencies
from matcher.workcalendar import WorkCalendar, WorkSchedule
from storage.models import Person
from tests.bot_harness import Harness
from tests.issue6_support import add_complaint, msk, outbox, region, region_db

LEAD_AT = msk("2026-11-24T12:00:00")  # Tuesday noon


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


async def test_one_overdue_figure_in_escalation_digest_list_and_card(db_url: str) -> None:
    """Written Monday 08:00 (before the working day), due Monday 17:00; the leads hear four
    working hours after the breach, Tuesday 12:00.  At that moment every place says
    «4 ч рабочего времени» late and «1 дн 4 ч» without an answer — the digest used to say
    «просрочка 19 ч» (calendar) for the same complaint."""
    reg = region()
    async with region_db(db_url, reg, LEAD_AT) as deps:
        cid = await add_complaint(
            deps.sessions, reg, created_at=msk("2026-11-23T08:00:00"), agency="water"
        )
        passed = await check_sla(deps, now=LEAD_AT)
        assert passed.escalated_lead == [cid]
        lead = next(r for r in await outbox(deps.sessions) if r.kind == "escalation_lead")
        escalation = _plain(lead.payload["text"])
        async with deps.sessions() as session:
            data = await collect_digest(session, now=LEAD_AT, tz="Europe/Moscow")
            (item,) = await list_items(session, [cid], LEAD_AT)
            card = render_alert(await load_alert_view(session, cid, 701, now=LEAD_AT))
        digest = _plain(render_digest(data))
        listing = _plain(render_list("Просроченные", [item], 1, 0, 1, LEAD_AT))

    assert "Просрочка: 4 ч рабочего времени" in escalation
    assert "без ответа 1 дн 4 ч" in escalation
    assert f"№{cid} Примерскводоканал: просрочка 4 ч рабочего времени, без ответа 1 дн 4 ч" in (
        digest
    )
    assert "просрочено на 4 ч рабочего времени · без ответа 1 дн 4 ч" in listing
    assert "просрочено на 4 ч рабочего времени, без ответа 1 дн 4 ч" in _plain(card)
    # The calendar figure the digest used to give is nowhere.
    for text in (escalation, digest, listing, card):
        assert "19 ч" not in text


def test_overdue_is_working_time_with_the_unit_named() -> None:
    cal = WorkCalendar(WorkSchedule(tz="Europe/Moscow"))
    due = msk("2026-11-20T17:00:00")  # Friday 17:00
    late = lateness(due, msk("2026-11-23T10:30:00"), cal, msk("2026-11-20T09:00:00"))
    # Friday 17–18 and Monday 09–10:30: two and a half working hours, not 65 calendar ones.
    assert (late.late_s, late.left_s, late.overdue) == (9000, 0, True)
    assert clock_time_ru(late.late_s) == "2 ч 30 мин рабочего времени"
    # Working time is never counted in "days" (a day of 24 hours or of 9?).
    assert format_working_ru(27 * 3600 + 60) == "27 ч 01 мин"
    assert clock_time_ru(5400, round_the_clock=True) == "1 ч 30 мин (круглосуточно)"
    early = lateness(due, msk("2026-11-20T16:00:00"), cal, msk("2026-11-20T09:00:00"))
    assert (early.left_s, early.late_s, early.overdue) == (3600, 0, False)


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


async def test_first_answer_survives_resolve_and_reopen(h: Harness) -> None:
    """Answered in 10 working minutes, resolved, reopened by a moderator: /stats and the
    digest still count it answered in 10 minutes, in time; the reopen has its own figure
    once it is answered again an hour later."""
    cid = await h.complaint()
    await h.flush()
    mid, _ = h.last(501)
    h.move_to(10 / 60)  # sending moves the clock by pacing seconds: name the instants
    await h.press(501, mid, f"c:a:{cid}")  # «Ответ дан»
    assert "закрыта как решённая" in await h.reply(601, f"/resolve {cid}")
    h.move_to(0.5)
    assert "переоткрыта" in await h.reply(601, f"/reopen {cid}")

    stats = await h.reply(601, "/stats")
    assert "С первым ответом: 1, в срок: 1 из 1 (100%)" in stats
    assert "Первый ответ, медиана: 10 мин рабочего времени (календарно 10 мин)" in stats
    assert "Переоткрыто: 1, ответ после переоткрытия — медиана —" in stats
    assert "Открыто сейчас: 1" in stats

    h.move_to(1.5)
    await h.press(501, mid, f"c:a:{cid}")  # the reopen's answer, an hour later
    stats = await h.reply(601, "/stats")
    assert "Первый ответ, медиана: 10 мин рабочего времени" in stats
    assert "ответ после переоткрытия — медиана 1 ч рабочего времени" in stats

    async with h.sessions() as s:
        lead = await s.get(Person, 701)
        assert lead is not None
        text, _, data = await build_digest(
            s, lead, h.clock.now() + timedelta(days=1), draw=Drawing()
        )
    assert (data.region.answered, data.region.on_time, data.region.measured) == (1, 1, 1)
    assert data.region.median_working_s == 600 and data.region.median_update_s == 3600
    assert "Первый ответ в срок: <b>100%</b> (1 из 1)" in text
    assert "Переоткрыто: 1; ответ после переоткрытия — медиана 1 ч рабочего времени" in text


def _figures(agency: str, **kw: int | float | None) -> AgencyFigures:
    base: dict[str, object] = {
        "agency_id": agency,
        "complaints": 0,
        "answered": 0,
        "on_time": 0,
        "measured": 0,
        "median_working_s": None,
        "p90_working_s": None,
        "median_calendar_s": None,
        "p90_calendar_s": None,
        "otpiski": 0,
        "rated": 0,
        "mean_quality": None,
        "overdue_open": 0,
    }
    base.update(kw)
    return AgencyFigures(**base)  # type: ignore[arg-type]


def _all_answered(
    agency: str, n: int, *, median_s: int, good: int, otpiski: int = 0
) -> AgencyFigures:
    """``n`` complaints, every one answered in time and rated, ``good`` of them on substance."""
    return _figures(
        agency,
        complaints=n,
        answered=n,
        on_time=n,
        measured=n,
        rated=n,
        median_working_s=median_s,
        good=good,
        otpiski=otpiski,
    )


def test_ranking_counts_otpiski_and_needs_enough_complaints() -> None:
    """The fastest agency whose only answer was an отписка used to be «лучше всех»."""
    fast_otpiska = _all_answered("fast", 3, median_s=300, good=0, otpiski=3)
    slower_real = _all_answered("real", 3, median_s=7200, good=3)
    lucky_one = _all_answered("one", 1, median_s=60, good=1)
    weekly = RankRule(min_complaints=3)
    ranked = rank_agencies([fast_otpiska, lucky_one, slower_real], weekly)
    assert [r.agency_id for r in ranked] == ["real", "fast", "one"]
    assert [weekly.eligible(r) for r in ranked] == [True, True, False]
    # Equal in time and on substance: fewer отписки first, then the faster median.
    a = _figures("a", complaints=4, measured=4, good=2, otpiski=1, rated=4, median_working_s=60)
    b = _figures("b", complaints=4, measured=4, good=2, otpiski=0, rated=4, median_working_s=900)
    c = _figures("c", complaints=4, measured=4, good=2, otpiski=0, rated=4, median_working_s=300)
    assert [r.agency_id for r in rank_agencies([a, b, c], weekly)] == ["c", "b", "a"]
