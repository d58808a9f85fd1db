"""Spike alerts: one topic in one area suddenly far above its usual level.

A snowfall or a water outage shows up as many complaints of one topic from one municipality
within hours; the lead should hear of it before the morning digest.  The "area" is the
watched page's agency (a municipality's administration page is its area), so complaints
routed elsewhere still count where they come from.  Each (area, topic, local day) alerts
once: the ``spike_alerts`` row (unique on those three) is written in the same transaction as
the outbox rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core import texts
from bot.core.render import excerpt
from bot.digest import ComplaintRow, agency_names, load_complaints, topic_label
from bot.scheduler import JobDeps
from matcher.stats import SpikeRule, is_spike
from storage.models import Person, SpikeAlert
from storage.outbox import enqueue
from storage.scope import in_scope, scope_of
from storage.sla_clock import agency_calendar

BASELINE_DAYS = 14
EXAMPLES = 3


async def check_spikes(
    deps: JobDeps, *, now: datetime, rule: SpikeRule | None = None
) -> list[tuple[str, str, int]]:
    """Scheduler job: alert leads about new spikes today; returns (area, topic, count)."""
    rule = rule or SpikeRule()
    found: list[tuple[str, str, int]] = []
    async with deps.sessions() as session, session.begin():
        rows = await load_complaints(
            session, now - timedelta(days=BASELINE_DAYS + 2), now + timedelta(seconds=1)
        )
        groups: dict[tuple[str, str], list[ComplaintRow]] = defaultdict(list)
        for r in rows:
            groups[(r.area, r.facts.topic)].append(r)
        names = await agency_names(session)
        leads = list(
            (
                await session.execute(
                    select(Person).where(Person.role == "lead", Person.active.is_not(False))
                )
            ).scalars()
        )
        scopes = [await scope_of(session, lead) for lead in leads]
        for (area, topic), items in sorted(groups.items()):
            tz = agency_calendar(deps.registry, area).tz
            today = now.astimezone(tz).date()
            first_base = today - timedelta(days=BASELINE_DAYS)
            todays = [r for r in items if _day(r, tz) == today]
            base = sum(1 for r in items if first_base <= _day(r, tz) < today)
            baseline = base / BASELINE_DAYS
            if not is_spike(len(todays), baseline, rule):
                continue
            day = today.isoformat()
            seen = await session.execute(
                select(SpikeAlert.id).where(
                    SpikeAlert.area == area, SpikeAlert.topic == topic, SpikeAlert.day == day
                )
            )
            if seen.first() is not None:
                continue
            session.add(
                SpikeAlert(
                    area=area, topic=topic, day=day, count=len(todays), baseline=baseline, at=now
                )
            )
            examples = "\n".join(
                texts.SPIKE_EXAMPLE.format(
                    url=escape(r.url, quote=True), text=escape(excerpt(r.text, 120))
                )
                for r in todays[-EXAMPLES:]
            )
            body, private = (
                texts.SPIKE_ALERT.format(
                    topic=escape(topic_label(topic)),
                    area=escape(names.get(area, area)),
                    count_text=texts.complaints_n(len(todays)),
                    baseline=f"{baseline:.1f}".replace(".", ","),
                    examples=shown,
                )
                for shown in (
                    examples,  # the messenger in the no-personal-data mode: links only
                    "\n".join(
                        texts.SPIKE_EXAMPLE_HIDDEN.format(url=escape(r.url, quote=True))
                        for r in todays[-EXAMPLES:]
                    ),
                )
            )
            for lead, scope in zip(leads, scopes, strict=True):
                if not in_scope(scope, area):
                    continue
                enqueue(
                    session,
                    key=f"spike:{area}:{topic}:{day}:{lead.id}",
                    chat_id=lead.id,
                    kind="spike",
                    payload={"text": body, "private_text": private},
                    now=now,
                )
            found.append((area, topic, len(todays)))
    return found


def _day(r: ComplaintRow, tz: ZoneInfo) -> date:
    return r.facts.created_at.astimezone(tz).date()
