"""What the collector processes last reported about themselves (issue 11), for /status and
``otklik status``.

The bot may run in another process than the collectors, so each collector writes a small
summary to ``kv`` (``bot/collecting.py`` ``CollectionService.persist``, about once a minute):
whether VK serves its requests (the last success and the failures in a row since), its tokens,
and the posts past the watch window: kept because comments keep coming, dormant (checked
rarely) and not watched at all.  This module reads them back and adds them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import KeyValue

#: ``kv`` key of a collector's summary: this alone (one process) or ``<this>:<worker id>``.
SUMMARY_KEY = "vk:collector"
#: ... and of its per-page counts past the window (same suffix), written only when they
#: change: at 6,000 pages they are most of the bytes, and the summary changes every minute.
WINDOW_KEY = "vk:window"
#: A summary older than this is from a process that is gone: ignored (and removed).
SUMMARY_STALE_S = 24 * 3600.0
#: VK is reported failing when its latest requests failed and none succeeded for this long.
VK_FAILING_AFTER_S = 300.0


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    reported: bool = False
    last_ok_at: datetime | None = None
    failures_in_row: int = 0
    last_error: str = ""
    last_code: int = 0  # VK error code of the latest failure (-1 transport, -2 bad body)
    tokens: int = 0
    usable_tokens: int = 0
    kept_posts: int = 0
    dormant_posts: int = 0
    dropped_posts: int = 0
    # group id -> (kept, dormant, not watched)
    pages: dict[int, tuple[int, int, int]] = field(default_factory=dict)

    def vk_failing(self, now: datetime, after_s: float = VK_FAILING_AFTER_S) -> bool:
        """The latest VK requests failed and none succeeded for ``after_s`` (or ever)."""
        if self.failures_in_row == 0:
            return False
        return self.last_ok_at is None or (now - self.last_ok_at).total_seconds() > after_s


def summary_age(value: Any, now: datetime) -> float:
    """Seconds since a summary was written (infinite if unreadable)."""
    try:
        return (now - datetime.fromisoformat(str(value["at"]))).total_seconds()
    except (KeyError, TypeError, ValueError):
        return float("inf")


def window_key(summary_key: str) -> str:
    """The per-page key that goes with a summary key."""
    return WINDOW_KEY + summary_key.removeprefix(SUMMARY_KEY)


async def collector_status(session: AsyncSession, now: datetime) -> CollectorStatus:
    """The collectors' summaries added up: the newest VK success, the longest failing run."""
    rows = (
        await session.execute(
            select(KeyValue.key, KeyValue.value).where(
                KeyValue.key.like(f"{SUMMARY_KEY}%") | KeyValue.key.like(f"{WINDOW_KEY}%")
            )
        )
    ).all()
    values: dict[str, Any] = {str(k): v for k, v in rows}
    summaries = {
        key: value
        for key, value in values.items()
        if key.startswith(SUMMARY_KEY) and summary_age(value, now) <= SUMMARY_STALE_S
    }
    fresh = list(summaries.values())
    if not fresh:
        return CollectorStatus()
    oks = [datetime.fromisoformat(v["last_ok_at"]) for v in fresh if v.get("last_ok_at")]
    worst = max(fresh, key=lambda v: int(v.get("failures_in_row", 0)))
    pages: dict[int, tuple[int, int, int]] = {}
    for key in summaries:
        window = values.get(window_key(key)) or {}
        for gid, counts in dict(window.get("pages", {})).items():
            kept, dormant, dropped = (int(n) for n in counts)
            pages[int(gid)] = (kept, dormant, dropped)
    return CollectorStatus(
        reported=True,
        last_ok_at=max(oks) if oks else None,
        failures_in_row=int(worst.get("failures_in_row", 0)),
        last_error=str(worst.get("last_error", "")),
        last_code=int(worst.get("last_code", 0)),
        tokens=sum(int(v.get("tokens", 0)) for v in fresh),
        usable_tokens=sum(int(v.get("usable_tokens", 0)) for v in fresh),
        kept_posts=sum(p[0] for p in pages.values()),
        dormant_posts=sum(p[1] for p in pages.values()),
        dropped_posts=sum(p[2] for p in pages.values()),
        pages=pages,
    )


__all__ = [
    "SUMMARY_KEY",
    "SUMMARY_STALE_S",
    "VK_FAILING_AFTER_S",
    "WINDOW_KEY",
    "CollectorStatus",
    "collector_status",
    "summary_age",
    "window_key",
]
