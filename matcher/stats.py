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
* response time: the *first* answer's, in working time (``matcher.sla``), and in calendar
  time beside it; a reopen does not erase it (issue 14);
* share within the deadline: among complaints whose outcome is known — answered, or still
  unanswered past their first deadline — the part first answered no later than the deadline;
* отписки share: among first answers that were rated, the part rated as отписка;
* reopened: complaints reopened at least once; a reopen runs its own clock, and its figure
  is the working time from the reopening to the answer after it (the median of those);
* overdue now: waiting for an answer on the clock that runs now (the first, or a reopen's),
  not paused on the resident, past that clock's deadline (``matcher.overdue``);
* deleted: complaints closed because the resident deleted the comment, counted on their own;
  unanswered, they are neither overdue nor part of the on-time share (nobody could answer);
* ranking: see :class:`RankRule` (the same words are in the Excel's «Как считается
  рейтинг» sheet);
* spike: today's count is at least ``min_count`` and at least ``factor`` times the baseline
  (the average daily count of the previous days, at least 1).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = [
    "AgencyFigures",
    "ComplaintFacts",
    "Outcome",
    "RankRule",
    "SpikeRule",
    "agency_figures",
    "is_spike",
    "median_s",
    "outcome",
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
    due_at: datetime | None  # the first response's deadline
    answered_at: datetime | None  # the first answer, kept across reopens
    response_s: int | None  # calendar seconds to the first answer
    working_s: int | None  # working seconds to the first answer
    otpiska: bool | None  # the first answer's rating
    quality: int | None
    deleted: bool = False  # the resident deleted the comment (status ``deleted``)
    reopened: int = 0  # how many times it was reopened
    update_working_s: int | None = None  # working seconds from the last reopen to its answer
    #: The deadline of the clock running now, when the complaint waits for an answer on it
    #: and is not paused on the resident; None otherwise (answered, closed, paused).
    awaiting_due_at: datetime | None = None

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

    def overdue_now(self, now: datetime) -> bool:
        """Waiting for an answer on the running clock, past its deadline (at the deadline
        instant the time is up, as ``matcher.sla.stage_at`` says)."""
        return self.awaiting_due_at is not None and self.awaiting_due_at <= now


Outcome = Literal["on_time", "late", "waiting", "overdue", "deleted", "no_deadline"]


def outcome(f: ComplaintFacts, now: datetime) -> Outcome:
    """What became of a complaint's first response at ``now`` (the digest chart's colours):
    answered in time or late, not answered and still in time, not answered past the
    deadline, or deleted by its author before any answer."""
    if f.answered_at is not None:
        on_time = f.on_time()
        return "no_deadline" if on_time is None else ("on_time" if on_time else "late")
    if f.deleted:
        return "deleted"
    if f.due_at is None:
        return "no_deadline"
    return "overdue" if f.due_at <= now else "waiting"


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
    good: int = 0  # first answered in time and not an отписка (the ranking's first key)
    reopened: int = 0
    median_update_s: int | None = None  # working seconds, reopen to its answer

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.measured)

    @property
    def otpiska_share(self) -> float | None:
        return share(self.otpiski, self.rated)

    @property
    def good_share(self) -> float | None:
        """In time and on substance: first answered by the deadline, not an отписка."""
        return share(self.good, self.measured)


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
    updates = [f.update_working_s for f in items if f.update_working_s is not None]
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
        overdue_open=sum(1 for f in items if f.overdue_now(now)),
        deleted=sum(1 for f in items if f.deleted),
        good=sum(1 for f in measured if f.on_time() and f.otpiska is not True),
        reopened=sum(1 for f in items if f.reopened),
        median_update_s=median_s(updates),
    )


@dataclass(frozen=True, slots=True)
class RankRule:
    """How agencies are ranked, in the words a lead reads in the Excel (issue 14).

    An agency gets a place only with at least ``min_complaints`` complaints in the period,
    at least one of them with a known outcome (answered, or past its deadline): a single
    lucky answer ranks nobody first.  Among those, in order:

    1. the larger share of complaints answered *in time and on substance*: the first answer
       came by the deadline and was not an отписка;
    2. then the smaller share of отписки among the first answers;
    3. then the shorter median working time to the first answer (none: last);
    4. then the name, so equal agencies keep a stable order.

    The first answer counts, whatever happens later: a reopen has its own figure and does
    not undo the first answer, nor does an отписка become good by being reopened.
    """

    min_complaints: int = 3

    def eligible(self, r: AgencyFigures) -> bool:
        return r.complaints >= self.min_complaints and r.measured > 0


def rank_agencies(
    rows: Iterable[AgencyFigures],
    rule: RankRule = RankRule(min_complaints=1),
    names: dict[str, str] | None = None,
) -> list[AgencyFigures]:
    """Best first by ``rule``; agencies the rule does not rank follow, by name."""
    label = names or {}

    def name(r: AgencyFigures) -> str:
        return label.get(r.agency_id, r.agency_id)

    def key(r: AgencyFigures) -> tuple[float, float, float, str, str]:
        good = r.good_share if r.good_share is not None else 0.0
        otpiski = r.otpiska_share if r.otpiska_share is not None else 0.0
        median = float(r.median_working_s) if r.median_working_s is not None else math.inf
        return (-good, otpiski, median, name(r), r.agency_id)

    items = list(rows)
    ranked = sorted((r for r in items if rule.eligible(r)), key=key)
    rest = sorted((r for r in items if not rule.eligible(r)), key=lambda r: (name(r), r.agency_id))
    return ranked + rest


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
