"""The lead's daily digest: yesterday in figures, a chart, and what is overdue right now.

Queries and rendering live here; every figure comes from :mod:`matcher.stats`, so the digest,
the weekly Excel and the spike alert agree.  "Yesterday" is the lead's local calendar day, so
a lead in Novosibirsk and one in Moscow each get their own 00:00–24:00.

Sent at 09:00 in each lead's time zone by the scheduler (``send_daily_digests``), or on
demand with ``/digest``.  The scheduled path records the day it sent in the ``kv`` table in
the same transaction as the outbox rows, so a restart at 09:05 does not send it again.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import AgencyBar, TrendDay, digest_chart
from bot.core import texts
from bot.core.render import percent, vk_comment_url, working_time
from bot.drawing import Drawing
from bot.scheduler import JobDeps
from matcher.overdue import Lateness, clock_time_ru, format_working_ru
from matcher.sla import format_duration_ru
from matcher.stats import (
    AgencyFigures,
    ComplaintFacts,
    RankRule,
    TopicChange,
    agency_figures,
    outcome,
    rank_agencies,
    topic_changes,
)
from matcher.topics import TOPIC_LABELS, Topic
from storage.actions import WORKING
from storage.models import Agency, Comment, Complaint, ComplaintStatus, KeyValue, Page, Person
from storage.outbox import enqueue
from storage.queries import (
    AgencyClock,
    agency_clocks,
    clock_of,
    complaint_facts,
    complaint_lateness,
    overdue_filter,
)
from storage.scope import agencies_arg, complaint_filter, scope_of

OVERDUE_SHOWN = 10
BASELINE_DAYS = 7
TREND_DAYS = 7
DIGEST_ROLES = frozenset({"lead", "moderator", "admin"})
#: The digest names a best and a worst agency among those with a known outcome yesterday.
DAILY_RULE = RankRule(min_complaints=1)


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    """A complaint with what reports show beside the figures."""

    id: int
    facts: ComplaintFacts
    status: str
    area: str  # the page's agency: "where" the complaint comes from (spikes)
    page_name: str
    url: str
    text: str
    late: Lateness | None = None  # the running clock at the time of loading, if one runs
    target_s: int | None = None  # the agency's first-response target, working seconds


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, as aware datetimes."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start, end


def topic_label(code: str) -> str:
    return TOPIC_LABELS[Topic(code)] if code in Topic.__members__.values() else code


async def agency_names(session: AsyncSession) -> dict[str, str]:
    return {a.id: a.name for a in (await session.execute(select(Agency))).scalars()}


async def load_complaints(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    agencies: Iterable[str] | None = None,
    *,
    include_dismissed: bool = False,
    now: datetime | None = None,
) -> list[ComplaintRow]:
    """Complaints created in [start, end) of ``agencies`` (None: all), oldest first; «не
    жалоба» left out by default because it is not a complaint the agency had to answer.
    With ``now``, each row says how late its running clock is then."""
    q = (
        select(Complaint, Comment, Page)
        .join(Comment, Comment.id == Complaint.comment_pk)
        .outerjoin(Page, Page.group_id == -Complaint.owner_id)
        .where(Complaint.created_at >= start, Complaint.created_at < end)
        .order_by(Complaint.created_at, Complaint.id)
    )
    if not include_dismissed:
        q = q.where(Complaint.status != ComplaintStatus.DISMISSED)
    wanted = set(agencies) if agencies is not None else None
    clocks = await agency_clocks(session)
    out = []
    for c, cm, page in (await session.execute(q)).all():
        if wanted is not None and c.agency_id not in wanted:
            continue
        out.append(_row(c, cm, page, clock_of(clocks, c.agency_id), now))
    return out


def _row(
    c: Complaint, cm: Comment, page: Page | None, clock: AgencyClock, now: datetime | None
) -> ComplaintRow:
    return ComplaintRow(
        id=c.id,
        facts=complaint_facts(c, clock),
        status=c.status,
        area=page.agency_id if page is not None else c.agency_id,
        page_name=page.name if page is not None else str(-c.owner_id),
        url=vk_comment_url(cm.owner_id, cm.post_id, cm.comment_id, cm.thread_id),
        text=cm.text,
        late=complaint_lateness(c, now, clock) if now is not None else None,
        target_s=clock.first_response_s,
    )


@dataclass(frozen=True, slots=True)
class OverdueItem:
    id: int
    agency: str
    url: str
    late_s: int  # working seconds past the deadline (``matcher.overdue``)
    waited_s: int  # calendar seconds since the running clock started
    round_the_clock: bool = False  # urgent: the clock runs round the clock

    @property
    def overdue_s(self) -> int:
        return self.late_s


@dataclass(frozen=True, slots=True)
class DigestData:
    day: date
    region: AgencyFigures
    agencies: list[AgencyFigures]  # ranked, best first (``DAILY_RULE``), then the unranked
    topics: list[TopicChange]
    overdue: list[OverdueItem]  # most overdue first, all of them
    names: dict[str, str]
    region_label: str = ""
    bars: list[AgencyBar] = field(default_factory=list)  # the day by agency, worst first
    backlog: list[AgencyBar] = field(default_factory=list)  # open now by agency
    trend: list[TrendDay] = field(default_factory=list)  # the last seven days, oldest first


async def load_overdue(
    session: AsyncSession, now: datetime, agencies: Iterable[str] | None
) -> list[OverdueItem]:
    """Complaints overdue now (``storage.queries.overdue_filter``), the latest first by
    working time past the deadline."""
    q = (
        select(Complaint, Comment)
        .join(Comment, Comment.id == Complaint.comment_pk)
        .where(*overdue_filter(now))
        .order_by(Complaint.due_at, Complaint.id)
    )
    wanted = set(agencies) if agencies is not None else None
    clocks = await agency_clocks(session)
    items = []
    for c, cm in (await session.execute(q)).all():
        if wanted is not None and c.agency_id not in wanted:
            continue
        clock = clock_of(clocks, c.agency_id)
        late = complaint_lateness(c, now, clock)
        if late is None:
            continue
        items.append(
            OverdueItem(
                id=c.id,
                agency=clock.name,
                url=vk_comment_url(cm.owner_id, cm.post_id, cm.comment_id, cm.thread_id),
                late_s=late.late_s,
                waited_s=late.waited_s,
                round_the_clock=late.round_the_clock,
            )
        )
    items.sort(key=lambda o: (-o.late_s, -o.waited_s, o.id))
    return items


async def load_backlog(
    session: AsyncSession, now: datetime, agencies: Sequence[str] | None
) -> dict[str, tuple[int, int]]:
    """Open complaints now per agency: (within the deadline or paused, overdue)."""
    scope = None if agencies is None else frozenset(agencies)
    overdue = set(
        (
            await session.execute(
                select(Complaint.id).where(*overdue_filter(now), *complaint_filter(scope))
            )
        ).scalars()
    )
    rows = await session.execute(
        select(Complaint.id, Complaint.agency_id).where(
            Complaint.status.in_(WORKING), *complaint_filter(scope)
        )
    )
    out: dict[str, tuple[int, int]] = {}
    for cid, agency in rows.all():
        in_time, late = out.get(agency, (0, 0))
        out[agency] = (in_time, late + 1) if cid in overdue else (in_time + 1, late)
    return out


def _bar(
    name: str,
    facts: Sequence[ComplaintFacts],
    figures: AgencyFigures,
    target: int | None,
    now: datetime,
) -> AgencyBar:
    counts = Counter(outcome(f, now) for f in facts)
    return AgencyBar(
        name=name,
        on_time=counts["on_time"],
        late=counts["late"],
        waiting=counts["waiting"] + counts["no_deadline"],
        overdue=counts["overdue"],
        on_time_share=figures.on_time_share,
        median_s=figures.median_working_s,
        target_s=target,
    )


async def collect_digest(
    session: AsyncSession,
    *,
    now: datetime,
    tz: str,
    agencies: Sequence[str] | None = None,
    region_label: str = "",
) -> DigestData:
    """Figures for the local day before ``now`` in ``tz``, for ``agencies`` (None = all)."""
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date() - timedelta(days=1)
    start, end = local_day_bounds(day, tz)
    base_start, _ = local_day_bounds(day - timedelta(days=BASELINE_DAYS), tz)
    rows = await load_complaints(session, base_start, end, agencies)
    yesterday = [r for r in rows if r.facts.created_at >= start]
    by_day: list[Counter[str]] = [Counter() for _ in range(BASELINE_DAYS)]
    for r in rows:
        if r.facts.created_at < start:
            local = r.facts.created_at.astimezone(zone).date()
            by_day[(day - local).days - 1][r.facts.topic] += 1
    today = Counter(r.facts.topic for r in yesterday)
    per_agency: dict[str, list[ComplaintRow]] = {}
    for r in yesterday:
        per_agency.setdefault(r.facts.agency_id, []).append(r)
    names = await agency_names(session)
    figures = {
        a: agency_figures(a, (r.facts for r in items), now) for a, items in per_agency.items()
    }
    ranked = rank_agencies(figures.values(), DAILY_RULE, names)
    eligible = [a for a in ranked if DAILY_RULE.eligible(a)]
    worst_first = [*reversed(eligible), *(a for a in ranked if not DAILY_RULE.eligible(a))]
    bars = [
        _bar(
            names.get(a.agency_id, a.agency_id),
            [r.facts for r in per_agency[a.agency_id]],
            a,
            per_agency[a.agency_id][0].target_s,
            now,
        )
        for a in worst_first
    ]
    backlog = [
        AgencyBar(name=names.get(a, a), waiting=in_time, overdue=late)
        for a, (in_time, late) in sorted(
            (await load_backlog(session, now, agencies)).items(),
            key=lambda kv: (-kv[1][1], -kv[1][0], names.get(kv[0], kv[0])),
        )
    ]
    trend = []
    for back in range(TREND_DAYS - 1, -1, -1):
        d = day - timedelta(days=back)
        facts = [r.facts for r in rows if r.facts.created_at.astimezone(zone).date() == d]
        counts = Counter(outcome(f, now) for f in facts)
        trend.append(
            TrendDay(
                day=d,
                on_time=counts["on_time"],
                late=counts["late"],
                waiting=counts["waiting"] + counts["no_deadline"],
                overdue=counts["overdue"],
                on_time_share=agency_figures("*", facts, now).on_time_share,
            )
        )
    return DigestData(
        day=day,
        region=agency_figures("*", (r.facts for r in yesterday), now),
        agencies=ranked,
        topics=topic_changes(dict(today), [dict(c) for c in by_day]),
        overdue=await load_overdue(session, now, agencies),
        names=names,
        region_label=region_label or texts.DIGEST_ALL_AGENCIES,
        bars=bars,
        backlog=backlog,
        trend=trend,
    )


def dur(seconds: int | None) -> str:
    return texts.DIGEST_DASH if seconds is None else format_duration_ru(seconds)


def wdur(seconds: int | None) -> str:
    """Working time without the unit (the line names it once)."""
    return texts.DIGEST_DASH if seconds is None else format_working_ru(seconds)


def render_digest(d: DigestData) -> str:
    """The digest text (Telegram HTML)."""
    lines = [
        texts.DIGEST_TITLE.format(
            day=d.day.strftime("%d.%m.%Y"),
            region=escape(d.region_label or texts.DIGEST_ALL_AGENCIES),
        )
    ]
    r = d.region
    if r.complaints == 0:
        lines.append(texts.DIGEST_EMPTY)
    else:
        counts = texts.DIGEST_COUNTS.format(complaints=r.complaints, answered=r.answered)
        if r.deleted:  # closed by the resident's deletion: neither answered nor overdue
            counts += texts.DIGEST_DELETED.format(n=r.deleted)
        lines.append(counts)
        lines.append(
            texts.DIGEST_ON_TIME.format(
                share=percent(r.on_time_share), on_time=r.on_time, measured=r.measured
            )
        )
        lines.append(
            texts.DIGEST_TIMES.format(median=wdur(r.median_working_s), p90=wdur(r.p90_working_s))
        )
        lines.append(
            texts.DIGEST_TIMES_CAL.format(
                median=dur(r.median_calendar_s), p90=dur(r.p90_calendar_s)
            )
        )
        lines.append(
            texts.DIGEST_OTPISKI.format(share=percent(r.otpiska_share), n=r.otpiski, rated=r.rated)
        )
        if r.reopened:
            lines.append(
                texts.DIGEST_REOPENED.format(n=r.reopened, median=wdur(r.median_update_s))
            )
        if d.topics:
            lines.append("")
            lines.append(texts.DIGEST_TOPICS)
            for t in d.topics:
                if t.count == 0:
                    continue
                change = (
                    texts.DIGEST_NEW_TOPIC
                    if t.change is None
                    else f"{'+' if t.change >= 0 else '−'}{round(abs(t.change) * 100)}%"
                )
                lines.append(
                    texts.DIGEST_TOPIC_LINE.format(
                        topic=escape(topic_label(t.topic)),
                        count=t.count,
                        change=change,
                        spike=texts.DIGEST_SPIKE if t.spike else "",
                    )
                )
        eligible = [a for a in d.agencies if DAILY_RULE.eligible(a)]
        if len(eligible) >= 2:
            best, worst = eligible[0], eligible[-1]
            lines.append("")
            for tpl, a in ((texts.DIGEST_BEST, best), (texts.DIGEST_WORST, worst)):
                lines.append(
                    tpl.format(
                        agency=escape(d.names.get(a.agency_id, a.agency_id)),
                        good=percent(a.good_share),
                        median=working_time(a.median_working_s),
                    )
                )
    lines.append("")
    lines.append(texts.DIGEST_OVERDUE.format(n=len(d.overdue)))
    lines.extend(
        texts.DIGEST_OVERDUE_LINE.format(
            url=escape(item.url, quote=True),
            id=item.id,
            agency=escape(item.agency),
            late=clock_time_ru(item.late_s, item.round_the_clock),
            waited=format_duration_ru(item.waited_s),
        )
        for item in d.overdue[:OVERDUE_SHOWN]
    )
    if len(d.overdue) > OVERDUE_SHOWN:
        lines.append(texts.DIGEST_OVERDUE_MORE.format(n=len(d.overdue) - OVERDUE_SHOWN))
    return "\n".join(lines)


def render_chart(d: DigestData) -> bytes:
    """PNG (``bot.charts``), every day: the day by agency, or the open backlog on a quiet
    day, and the last seven days."""
    return digest_chart(
        title=texts.DIGEST_CHART_TITLE.format(
            day=d.day.strftime("%d.%m.%Y"), region=d.region_label or texts.DIGEST_ALL_AGENCIES
        ),
        bars=d.bars,
        backlog=d.backlog,
        trend=d.trend,
    )


async def region_label(session: AsyncSession, person: Person) -> str:
    """What the person's reports cover, for titles: their region; else the one region all
    their agencies share; else their agencies' names (up to three); else all agencies."""
    if person.region:
        return person.region
    scope = await scope_of(session, person)
    rows = (await session.execute(select(Agency))).scalars()
    seen = [a for a in rows if scope is None or a.id in scope]
    regions = {a.region for a in seen}
    if len(regions) == 1 and None not in regions and seen:
        return str(seen[0].region)
    if scope is not None and 0 < len(seen) <= 3:
        return ", ".join(sorted(a.name for a in seen))
    return texts.DIGEST_ALL_AGENCIES


async def build_digest(
    session: AsyncSession, person: Person, now: datetime, *, draw: Drawing
) -> tuple[str, bytes, DigestData]:
    """Digest text and chart for one person, in their zone and scope (``storage.scope``: the
    agencies listed for them, narrowed to their region; else everything)."""
    scope = agencies_arg(await scope_of(session, person))
    data = await collect_digest(
        session,
        now=now,
        tz=person.tz,
        agencies=scope,
        region_label=await region_label(session, person),
    )
    # Drawing is CPU work of a few hundred ms: off the event loop (and, in the app, in a
    # process of its own: bot.drawing), so alerts keep flowing.
    return render_digest(data), await draw(render_chart, data), data


def digest_kv_key(chat_id: int) -> str:
    return f"digest:last:{chat_id}"


async def send_daily_digests(deps: JobDeps, *, now: datetime, tz: str) -> list[int]:
    """Scheduler job: queue the digest for every lead in ``tz`` who has not had today's.

    Returns the chats queued.  Runs at 09:00 local (and again on a restart within the misfire
    grace); the ``kv`` record makes it once a day per lead.
    """
    sent: list[int] = []
    async with deps.sessions() as session, session.begin():
        for lead in await leads_in_zone(session, tz):
            local = now.astimezone(ZoneInfo(lead.tz))
            if local.time() < time(9, 0):
                continue
            today = local.date().isoformat()
            if not await mark_once(session, digest_kv_key(lead.id), {"day": today}):
                continue
            text, chart, data = await build_digest(session, lead, now, draw=deps.draw)
            day = data.day.isoformat()
            enqueue(
                session,
                key=f"digest:{lead.id}:{day}",
                chat_id=lead.id,
                kind="digest",
                payload={"text": text},
                now=now,
            )
            enqueue(
                session,
                key=f"digest-chart:{lead.id}:{day}",
                chat_id=lead.id,
                kind="photo",
                payload=media_payload(
                    chart,
                    f"digest-{day}.png",
                    texts.DIGEST_CHART_CAPTION.format(day=data.day.strftime("%d.%m.%Y")),
                ),
                now=now,
            )
            sent.append(lead.id)
    return sent


async def leads_in_zone(session: AsyncSession, tz: str) -> list[Person]:
    """Active leads whose 09:00 comes with ``tz`` (the scheduled reports' recipients)."""
    rows = await session.execute(
        select(Person)
        .where(Person.role == "lead", Person.active.is_not(False), Person.tz == tz)
        .order_by(Person.id)
    )
    return list(rows.scalars())


async def mark_once(session: AsyncSession, key: str, value: dict[str, Any]) -> bool:
    """Record ``value`` under ``key`` in ``kv``: True the first time, False when it is
    already there.  In the job's transaction, so "sent" and the rows it sent commit together
    and a restart neither repeats nor skips."""
    record = await session.get(KeyValue, key)
    if record is not None and record.value == value:
        return False
    if record is None:
        session.add(KeyValue(key=key, value=value))
    else:
        record.value = value
    return True


def media_payload(content: bytes, filename: str, caption: str) -> dict[str, str]:
    """Outbox payload of a ``photo``/``document`` row (see ``bot/outbox.py``)."""
    return {
        "content_b64": base64.b64encode(content).decode("ascii"),
        "filename": filename,
        "caption": caption,
    }
