"""The lead's daily digest: yesterday in figures, a chart, and what is overdue right now.

Queries and rendering live here; every figure comes from :mod:`matcher.stats`, so the digest,
the weekly Excel and the spike alert agree.  "Yesterday" is the lead's local calendar day, so
a lead in Novosibirsk and one in Moscow each get their own 00:00–24:00.

Sent at 09:00 in each lead's time zone by the scheduler (``send_daily_digests``), or on
demand with ``/digest``.  The scheduled path records the day it sent in the ``kv`` table in
the same transaction as the outbox rows, so a restart at 09:05 does not send it again.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.render import vk_comment_url
from bot.scheduler import JobDeps
from matcher.sla import format_duration_ru
from matcher.stats import (
    AgencyFigures,
    ComplaintFacts,
    TopicChange,
    agency_figures,
    rank_agencies,
    topic_changes,
)
from matcher.topics import TOPIC_LABELS, Topic
from storage.models import Agency, Comment, Complaint, ComplaintStatus, KeyValue, Page, Person
from storage.outbox import enqueue
from storage.scope import agencies_arg, scope_of
from storage.sla_clock import OPEN_STATUSES

OVERDUE_SHOWN = 10
BASELINE_DAYS = 7
DIGEST_ROLES = frozenset({"lead", "moderator", "admin"})


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
) -> list[ComplaintRow]:
    """Complaints created in [start, end) of ``agencies`` (None: all), oldest first; «не
    жалоба» left out by default because it is not a complaint the agency had to answer."""
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
    out = []
    for c, cm, page in (await session.execute(q)).all():
        if wanted is not None and c.agency_id not in wanted:
            continue
        out.append(_row(c, cm, page))
    return out


def _row(c: Complaint, cm: Comment, page: Page | None) -> ComplaintRow:
    return ComplaintRow(
        id=c.id,
        facts=ComplaintFacts(
            agency_id=c.agency_id,
            topic=c.topic,
            created_at=c.created_at,
            due_at=c.due_at,
            answered_at=c.answered_at,
            response_s=c.response_seconds,
            working_s=c.business_seconds,
            otpiska=c.otpiska,
            quality=c.quality,
            deleted=c.status == ComplaintStatus.DELETED,
        ),
        status=c.status,
        area=page.agency_id if page is not None else c.agency_id,
        page_name=page.name if page is not None else str(-c.owner_id),
        url=vk_comment_url(cm.owner_id, cm.post_id, cm.comment_id, cm.thread_id),
        text=cm.text,
    )


@dataclass(frozen=True, slots=True)
class OverdueItem:
    id: int
    agency: str
    url: str
    overdue_s: int  # calendar seconds past the deadline


@dataclass(frozen=True, slots=True)
class DigestData:
    day: date
    region: AgencyFigures
    agencies: list[AgencyFigures]  # ranked, best first
    topics: list[TopicChange]
    overdue: list[OverdueItem]  # most overdue first, all of them
    names: dict[str, str]


async def load_overdue(
    session: AsyncSession, now: datetime, agencies: Iterable[str] | None
) -> list[OverdueItem]:
    """Complaints still waiting for an answer past their deadline (paused ones excluded)."""
    q = (
        select(Complaint, Comment)
        .join(Comment, Comment.id == Complaint.comment_pk)
        .where(
            Complaint.status.in_(OPEN_STATUSES),
            Complaint.answered_at.is_(None),
            Complaint.waiting_since.is_(None),
            Complaint.due_at <= now,
        )
        .order_by(Complaint.due_at, Complaint.id)
    )
    wanted = set(agencies) if agencies is not None else None
    names = await agency_names(session)
    return [
        OverdueItem(
            id=c.id,
            agency=names.get(c.agency_id, c.agency_id),
            url=vk_comment_url(cm.owner_id, cm.post_id, cm.comment_id, cm.thread_id),
            overdue_s=int((now - c.due_at).total_seconds()) if c.due_at else 0,
        )
        for c, cm in (await session.execute(q)).all()
        if wanted is None or c.agency_id in wanted
    ]


async def collect_digest(
    session: AsyncSession, *, now: datetime, tz: str, agencies: Sequence[str] | None = None
) -> DigestData:
    """Figures for the local day before ``now`` in ``tz``, for ``agencies`` (None = all)."""
    day = now.astimezone(ZoneInfo(tz)).date() - timedelta(days=1)
    start, end = local_day_bounds(day, tz)
    base_start, _ = local_day_bounds(day - timedelta(days=BASELINE_DAYS), tz)
    rows = await load_complaints(session, base_start, end, agencies)
    yesterday = [r for r in rows if r.facts.created_at >= start]
    by_day: list[Counter[str]] = [Counter() for _ in range(BASELINE_DAYS)]
    for r in rows:
        if r.facts.created_at < start:
            local = r.facts.created_at.astimezone(ZoneInfo(tz)).date()
            by_day[(day - local).days - 1][r.facts.topic] += 1
    today = Counter(r.facts.topic for r in yesterday)
    per_agency: dict[str, list[ComplaintFacts]] = {}
    for r in yesterday:
        per_agency.setdefault(r.facts.agency_id, []).append(r.facts)
    return DigestData(
        day=day,
        region=agency_figures("*", (r.facts for r in yesterday), now),
        agencies=rank_agencies(agency_figures(a, f, now) for a, f in per_agency.items()),
        topics=topic_changes(dict(today), [dict(c) for c in by_day]),
        overdue=await load_overdue(session, now, agencies),
        names=await agency_names(session),
    )


def pct(value: float | None) -> str:
    return texts.DIGEST_DASH if value is None else f"{round(value * 100)}%"


def dur(seconds: int | None) -> str:
    return texts.DIGEST_DASH if seconds is None else format_duration_ru(seconds)


def render_digest(d: DigestData) -> str:
    """The digest text (Telegram HTML)."""
    lines = [texts.DIGEST_TITLE.format(day=d.day.strftime("%d.%m.%Y"))]
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
                share=pct(r.on_time_share), on_time=r.on_time, measured=r.measured
            )
        )
        lines.append(
            texts.DIGEST_TIMES.format(median=dur(r.median_working_s), p90=dur(r.p90_working_s))
        )
        lines.append(
            texts.DIGEST_TIMES_CAL.format(
                median=dur(r.median_calendar_s), p90=dur(r.p90_calendar_s)
            )
        )
        lines.append(
            texts.DIGEST_OTPISKI.format(share=pct(r.otpiska_share), n=r.otpiski, rated=r.rated)
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
        answered = [a for a in d.agencies if a.median_working_s is not None]
        if len(d.agencies) >= 2 and answered:
            best, worst = d.agencies[0], d.agencies[-1]
            lines.append("")
            for tpl, a in ((texts.DIGEST_BEST, best), (texts.DIGEST_WORST, worst)):
                lines.append(
                    tpl.format(
                        agency=escape(d.names.get(a.agency_id, a.agency_id)),
                        median=dur(a.median_working_s),
                        share=pct(a.on_time_share),
                    )
                )
    lines.append("")
    lines.append(texts.DIGEST_OVERDUE.format(n=len(d.overdue)))
    lines.extend(
        texts.DIGEST_OVERDUE_LINE.format(
            url=escape(item.url, quote=True),
            id=item.id,
            agency=escape(item.agency),
            overdue=format_duration_ru(item.overdue_s),
        )
        for item in d.overdue[:OVERDUE_SHOWN]
    )
    if len(d.overdue) > OVERDUE_SHOWN:
        lines.append(texts.DIGEST_OVERDUE_MORE.format(n=len(d.overdue) - OVERDUE_SHOWN))
    return "\n".join(lines)


def render_chart(d: DigestData) -> bytes | None:
    """PNG: complaints and answers per agency, and median / p90 working-time response."""
    if not d.agencies:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display in a server; must precede pyplot
    from matplotlib.figure import Figure

    rows = sorted(d.agencies, key=lambda a: (-a.complaints, a.agency_id))
    names = [_short(d.names.get(a.agency_id, a.agency_id)) for a in rows]
    xs = list(range(len(rows)))
    fig = Figure(figsize=(10, 4.5), dpi=100)
    left, right = fig.subplots(1, 2)
    w = 0.4
    lo, hi = [x - w / 2 for x in xs], [x + w / 2 for x in xs]
    left.bar(lo, [a.complaints for a in rows], w, label=texts.CHART_COMPLAINTS)
    left.bar(hi, [a.answered for a in rows], w, label=texts.CHART_ANSWERED)
    left.set_xticks(xs, names, rotation=20, ha="right", fontsize=8)
    left.set_title(texts.CHART_COMPLAINTS)
    left.legend(fontsize=8)
    hours = [(a.median_working_s or 0) / 3600 for a in rows]
    p90 = [(a.p90_working_s or 0) / 3600 for a in rows]
    right.bar(lo, hours, w, label=texts.CHART_MEDIAN)
    right.bar(hi, p90, w, label=texts.CHART_P90)
    right.set_xticks(xs, names, rotation=20, ha="right", fontsize=8)
    right.set_title(texts.CHART_MEDIAN)
    right.legend(fontsize=8)
    fig.suptitle(texts.DIGEST_CHART_CAPTION.format(day=d.day.strftime("%d.%m.%Y")))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def warm_up() -> None:
    """Import the plotting and spreadsheet libraries (about a second of CPU) at start-up,
    before the clock runs, rather than inside the first 09:00 job."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.figure
    import openpyxl  # noqa: F401


def _short(name: str, limit: int = 22) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


async def build_digest(
    session: AsyncSession, person: Person, now: datetime
) -> tuple[str, bytes | None, DigestData]:
    """Digest text and chart for one person, in their zone and scope (``storage.scope``: the
    agencies listed for them, narrowed to their region; else everything)."""
    scope = agencies_arg(await scope_of(session, person))
    data = await collect_digest(session, now=now, tz=person.tz, agencies=scope)
    # Drawing is CPU work of a few hundred ms: off the event loop, so alerts keep flowing.
    return render_digest(data), await asyncio.to_thread(render_chart, data), data


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
            if not await mark_once(session, digest_kv_key(lead.telegram_id), {"day": today}):
                continue
            text, chart, data = await build_digest(session, lead, now)
            day = data.day.isoformat()
            enqueue(
                session,
                key=f"digest:{lead.telegram_id}:{day}",
                chat_id=lead.telegram_id,
                kind="digest",
                payload={"text": text},
                now=now,
            )
            if chart is not None:
                enqueue(
                    session,
                    key=f"digest-chart:{lead.telegram_id}:{day}",
                    chat_id=lead.telegram_id,
                    kind="photo",
                    payload=media_payload(
                        chart,
                        f"digest-{day}.png",
                        texts.DIGEST_CHART_CAPTION.format(day=data.day.strftime("%d.%m.%Y")),
                    ),
                    now=now,
                )
            sent.append(lead.telegram_id)
    return sent


async def leads_in_zone(session: AsyncSession, tz: str) -> list[Person]:
    """Active leads whose 09:00 comes with ``tz`` (the scheduled reports' recipients)."""
    rows = await session.execute(
        select(Person)
        .where(Person.role == "lead", Person.active.is_not(False), Person.tz == tz)
        .order_by(Person.telegram_id)
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
