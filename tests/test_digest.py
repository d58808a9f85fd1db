"""The daily digest from a known set of complaints, with exact figures, and its sending."""

from __future__ import annotations

import base64
from datetime import timedelta

from bot.digest import build_digest, collect_digest, render_digest, send_daily_digests
from bot.drawing import Drawing
from bot.scheduler import JobDeps
from matcher.stats import SpikeRule, is_spike, median_s, p90_s, rank_agencies, topic_changes
from storage.models import Complaint, ComplaintStatus, KeyValue, Person
from tests.issue6_support import (
    add_complaint,
    add_otpiska,
    monday_complaints,
    msk,
    outbox,
    region,
    region_db,
)

NOW = msk("2026-11-24T09:00:00")  # Tuesday: the digest covers Monday 23 November


async def _fill(deps: JobDeps) -> dict[str, int]:
    reg, s = deps.registry, deps.sessions
    ids = await monday_complaints(deps)
    ids["otpiska"] = await add_otpiska(deps, msk("2026-11-23T10:00:00"))
    ids["open"] = await add_complaint(
        s, reg, created_at=msk("2026-11-23T11:00:00"), topic="snow", text="Не чистят снег"
    )
    await add_complaint(
        s, reg, created_at=msk("2026-11-23T12:00:00"), status=ComplaintStatus.DISMISSED
    )
    # The week before: roads once a day, housing twice a day, all answered at once.
    for day in range(1, 8):
        at = msk("2026-11-22T12:00:00") - timedelta(days=day - 1)
        await add_complaint(s, reg, created_at=at, answered_after_s=60, working_s=60)
        for _ in range(2):
            await add_complaint(
                s,
                reg,
                created_at=at,
                agency="water",
                topic="housing",
                answered_after_s=60,
                working_s=60,
            )
    return ids


async def test_digest_text_has_exact_figures(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, NOW) as deps:
        ids = await _fill(deps)
        async with deps.sessions() as session:
            data = await collect_digest(session, now=NOW, tz="Europe/Moscow")
            overdue = await session.get(Complaint, ids["overdue"])
            assert overdue is not None
        text = render_digest(data)
    assert text.splitlines() == [
        "📊 <b>Сводка за 23.11.2026</b> · все ведомства",
        "Жалоб: <b>5</b>, с первым ответом: <b>3</b>",
        # The 11:00 complaint is not due until Tuesday 10:00, so it is not yet measured.
        "Первый ответ в срок: <b>50%</b> (2 из 4)",
        "Первый ответ, рабочее время: медиана <b>2 ч</b>, 90% — до <b>8 ч 30 мин</b>",
        "Первый ответ, календарное время: медиана 2 ч, 90% — до 10 ч",
        "Отписки среди первых ответов: <b>33%</b> (1 из 3)",
        "",
        "<b>Темы</b> (к среднему за прошлую неделю):",
        "• ЖКХ: 2 (+0%)",
        "• Дороги: 2 (+100%)",
        "• Снег и наледь: 1 (новая)",
        "",
        # The city: one answer in time on substance, one отписка (in time): 1 of 2.
        "👍 Лучше всех: Администрация г. Примерска — в срок и по существу 50%, "
        "медиана 1 ч 30 мин рабочего времени",
        "👎 Хуже всех: Примерскводоканал — в срок и по существу 0%, "
        "медиана 8 ч 30 мин рабочего времени",
        "",
        "<b>Просрочено без ответа: 1</b>",
        # Due Monday 17:00 (written at 08:00, before the working day): one working hour
        # past the deadline by Tuesday 09:00, 25 calendar hours since it was written.
        f'• <a href="https://vk.com/wall-1002_10?reply={overdue.comment_id}">'
        f"№{ids['overdue']}</a> Примерскводоканал: просрочка 1 ч рабочего времени, "
        "без ответа 1 дн 1 ч",
    ]


async def test_scheduled_digest_goes_once_per_lead_with_chart(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, NOW) as deps:
        await _fill(deps)
        assert (
            await send_daily_digests(deps, now=NOW - timedelta(minutes=1), tz="Europe/Moscow")
            == []
        )
        assert await send_daily_digests(deps, now=NOW, tz="Europe/Moscow") == [701]
        # A restart re-running the job the same morning sends nothing more.
        assert (
            await send_daily_digests(deps, now=NOW + timedelta(hours=1), tz="Europe/Moscow") == []
        )
        rows = await outbox(deps.sessions)
        assert [(r.chat_id, r.kind, r.dedupe_key) for r in rows] == [
            (701, "digest", "digest:701:2026-11-23"),
            (701, "photo", "digest-chart:701:2026-11-23"),
        ]
        assert rows[0].payload["text"].startswith("📊 <b>Сводка за 23.11.2026</b>")
        png = base64.b64decode(rows[1].payload["content_b64"])
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
        assert rows[1].payload["filename"] == "digest-2026-11-23.png"
        async with deps.sessions() as session:
            kv = await session.get(KeyValue, "digest:last:701")
            assert kv is not None and kv.value == {"day": "2026-11-24"}
        # The next morning is a new day.
        assert await send_daily_digests(deps, now=NOW + timedelta(days=1), tz="Europe/Moscow") == [
            701
        ]


async def test_lead_scoped_to_agency_sees_only_it(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, NOW) as deps:
        await _fill(deps)
        async with deps.sessions() as session:
            lead = await session.get(Person, 701)
            assert lead is not None
            lead.agencies = ["city"]
            text, chart, _ = await build_digest(session, lead, NOW, draw=Drawing())
    assert "Жалоб: <b>3</b>, с первым ответом: <b>2</b>" in text
    assert "Сводка за 23.11.2026</b> · Администрация г. Примерска" in text
    assert "Просрочено без ответа: 0" in text
    assert "Лучше всех" not in text  # one agency: nothing to compare
    assert chart is not None


async def test_empty_day_says_so(db_url: str) -> None:
    reg = region()
    async with region_db(db_url, reg, NOW) as deps, deps.sessions() as session:
        data = await collect_digest(session, now=NOW, tz="Asia/Novosibirsk")
    assert render_digest(data).splitlines() == [
        "📊 <b>Сводка за 23.11.2026</b> · все ведомства",
        "Вчера жалоб не было.",
        "",
        "<b>Просрочено без ответа: 0</b>",
    ]


def test_pure_figures() -> None:
    assert median_s([]) is None and p90_s([]) is None
    assert median_s([10, 20, 30, 41]) == 25  # (20 + 30) / 2
    assert median_s([1, 2]) == 2  # 1.5 rounds half up
    assert p90_s(list(range(1, 11))) == 9  # nearest rank: the 9th of 10
    assert p90_s(list(range(1, 12))) == 10  # ceil(9.9) = 10th of 11
    assert is_spike(5, 0.0) and not is_spike(4, 0.0)  # minimum count
    assert is_spike(9, 3.0) and not is_spike(8, 3.0)  # three times the baseline
    assert not is_spike(6, 2.5, SpikeRule(factor=3.0, min_count=5))
    changes = topic_changes({"snow": 12, "roads": 1}, [{"snow": 1}] * 6 + [{"roads": 7}])
    assert [(c.topic, c.count, c.baseline, c.spike) for c in changes] == [
        ("snow", 12, 6 / 7, True),
        ("roads", 1, 1.0, False),
    ]
    assert rank_agencies([]) == []
