"""Pure figures for digests, rankings and spike alerts (no I/O, no clock).

The digest, the weekly Excel ranking and the spike alert all have to agree on what "median
response", "share within the deadline" or "a spike" mean, and a lead comparing two reports
must see the same number twice.  So every figure is computed here, from plain values, and
the storage/rendering layers only collect rows and format results.

Definitions (kept deliberately simple so a moderator can recompute them in a spreadsheet):

* median: the usual one (the mean of the two middle values for an even count), rounded to
  whole seconds;
* p90: nearest rank, the ``ceil(0.9 * n)``-th smallest value, so it is always an observed
  response time;
* share within the deadline: among complaints whose outcome is known — answered, or still
  unanswered past their deadline — the part answered no later than the deadline;
* отписки share: among answers that were rated, the part rated as отписка;
* deleted: complaints closed because the resident deleted the comment, counted on their own;
  unanswered, they are neither overdue nor part of the on-time share (nobody could answer);
* spike: today's count is at least ``min_count`` and at least ``factor`` times the baseline
  (the average daily count of the previous days, at least 1).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "AgencyFigures",
    "ComplaintFacts",
    "SpikeRule",
    "agency_figures",
    "is_spike",
    "median_s",
    "p90_s",
    "rank_agencies",
    "share",
    "topic_changes",
]


@dataclass(frozen=True, slots=True)
class ComplaintFacts:
    """What the statistics need to know about one complaint."""

    agency_id: str
    topic: str
    created_at: datetime
    due_at: datetime | None
    answered_at: datetime | None
    response_s: int | None  # calendar seconds to the first answer
    working_s: int | None  # working seconds to the first answer
    otpiska: bool | None
    quality: int | None
    deleted: bool = False  # the resident deleted the comment (status ``deleted``)

    def on_time(self) -> bool | None:
        """True/False once the outcome is known at ``answered_at``; None without a deadline."""
        if self.due_at is None:
            return None
        if self.answered_at is None:
            return False
        return self.answered_at <= self.due_at

    def outcome_known(self, now: datetime) -> bool:
        """Answered, or unanswered past the deadline: both count in the on-time share.  A
        comment deleted before any answer has no outcome: nobody could answer it."""
        if self.deleted and self.answered_at is None:
            return False
        if self.due_at is None:
            return self.answered_at is not None
        return self.answered_at is not None or self.due_at <= now


def median_s(values: Sequence[int]) -> int | None:
    """Median in whole seconds (half up), None for no values."""
    if not values:
        return None
    return math.floor(statistics.median(values) + 0.5)


def p90_s(values: Sequence[int]) -> int | None:
    """90th percentile by nearest rank, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(0.9 * len(ordered))) - 1]


def share(part: int, whole: int) -> float | None:
    """part / whole, None when nothing was measured (shown as «—», never as 0 %)."""
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class AgencyFigures:
    """One row of the ranking, or the whole region when ``agency_id`` is ``"*"``."""

    agency_id: str
    complaints: int
    answered: int
    on_time: int
    measured: int  # complaints whose on-time outcome is known
    median_working_s: int | None
    p90_working_s: int | None
    median_calendar_s: int | None
    p90_calendar_s: int | None
    otpiski: int
    rated: int
    mean_quality: float | None
    overdue_open: int
    deleted: int = 0  # closed because the resident deleted the comment

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.measured)

    @property
    def otpiska_share(self) -> float | None:
        return share(self.otpiski, self.rated)


def agency_figures(
    agency_id: str, facts: Iterable[ComplaintFacts], now: datetime
) -> AgencyFigures:
    """Aggregate complaints (already filtered to one agency or to the region) at ``now``."""
    items = list(facts)
    answered = [f for f in items if f.answered_at is not None]
    measured = [f for f in items if f.outcome_known(now)]
    working = [f.working_s for f in answered if f.working_s is not None]
    calendar = [f.response_s for f in answered if f.response_s is not None]
    rated = [f for f in answered if f.otpiska is not None]
    qualities = [f.quality for f in answered if f.quality is not None]
    return AgencyFigures(
        agency_id=agency_id,
        complaints=len(items),
        answered=len(answered),
        on_time=sum(1 for f in measured if f.on_time()),
        measured=len(measured),
        median_working_s=median_s(working),
        p90_working_s=p90_s(working),
        median_calendar_s=median_s(calendar),
        p90_calendar_s=p90_s(calendar),
        otpiski=sum(1 for f in rated if f.otpiska),
        rated=len(rated),
        mean_quality=round(statistics.fmean(qualities), 1) if qualities else None,
        overdue_open=sum(
            1
            for f in items
            if f.answered_at is None and not f.deleted and f.due_at is not None and f.due_at <= now
        ),
        deleted=sum(1 for f in items if f.deleted),
    )


def rank_agencies(rows: Iterable[AgencyFigures]) -> list[AgencyFigures]:
    """Best first: faster median working-time answer, then a larger on-time share, then
    better answer quality; agencies that answered nothing go last (their median is unknown,
    which must not read as "instant").  Ties keep a stable order by agency id."""

    def key(r: AgencyFigures) -> tuple[int, float, float, float, str]:
        no_answers = 1 if r.median_working_s is None else 0
        median = float(r.median_working_s or 0)
        on_time = -(r.on_time_share if r.on_time_share is not None else -1.0)
        quality = -(r.mean_quality if r.mean_quality is not None else -1.0)
        return (no_answers, median, on_time, quality, r.agency_id)

    return sorted(rows, key=key)


@dataclass(frozen=True, slots=True)
class SpikeRule:
    """When a count is "well above" its baseline; the defaults suit a municipality."""

    factor: float = 3.0
    min_count: int = 5


def is_spike(count: int, baseline: float, rule: SpikeRule = SpikeRule()) -> bool:
    """A day's count against the average daily count of the days before it."""
    return count >= rule.min_count and count >= rule.factor * max(baseline, 1.0)


@dataclass(frozen=True, slots=True)
class TopicChange:
    topic: str
    count: int
    baseline: float  # average per day over the comparison days
    change: float | None  # relative change, None when the baseline is 0
    spike: bool


def topic_changes(
    today: dict[str, int],
    previous_days: Sequence[dict[str, int]],
    rule: SpikeRule = SpikeRule(),
) -> list[TopicChange]:
    """Per topic: the day's count against the average of ``previous_days`` (e.g. 7 days).

    Topics that appear on neither side are left out; the list is ordered by the day's count,
    largest first, then by topic code.
    """
    days = max(len(previous_days), 1)
    topics = set(today) | {t for d in previous_days for t in d}
    out = []
    for topic in topics:
        count = today.get(topic, 0)
        baseline = sum(d.get(topic, 0) for d in previous_days) / days
        change = (count - baseline) / baseline if baseline else None
        out.append(TopicChange(topic, count, baseline, change, is_spike(count, baseline, rule)))
    out.sort(key=lambda c: (-c.count, c.topic))
    return out


__all__ += ["TopicChange"]
