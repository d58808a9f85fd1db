"""``otklik status`` for a person (issue 14): VK coverage in Russian, in local time, with
human durations, and every lag past the threshold marked; ``--json`` for machines.

The figures are what the collector stores (pages, its per-page rows, its summaries, the
quota book); this module only says them the way an administrator reads them: what needs
their attention first, and why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import texts
from matcher.sla import format_duration_ru
from storage.collector_status import collector_status
from storage.models import Agency, CollectorPage, KeyValue, Page, Post


@dataclass(frozen=True, slots=True)
class PageState:
    group_id: int
    name: str
    last_checked_at: str | None  # ISO, UTC
    lag_s: int | None  # since the last full check
    state: str  # ok, long_poll, lagging, never, unreachable
    reason: str | None = None  # why unreachable, as VK or the collector said it
    watched_posts: int = 0
    wall_get_calls: int = 0
    api_calls: int = 0
    unreachable_posts: int = 0
    past_window: dict[str, int] = field(default_factory=dict)  # kept, dormant, not_watched

    @property
    def needs_attention(self) -> bool:
        return self.state in ("lagging", "never", "unreachable")


@dataclass(frozen=True, slots=True)
class StatusData:
    at: str  # ISO, UTC
    tz: str
    threshold_s: int
    pages: list[PageState]
    vk: dict[str, Any]
    unreachable_posts: list[dict[str, Any]]
    quotas: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def local_zone(session: AsyncSession) -> str:
    """The zone most agencies work in (the reader is the region's admin); Moscow if none."""
    zones = Counter((await session.execute(select(Agency.tz))).scalars())
    return zones.most_common(1)[0][0] if zones else "Europe/Moscow"


async def status_data(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    threshold_s: float,
    tz: str | None = None,
) -> StatusData:
    """What ``otklik status`` shows: pages needing attention first (unreachable, never
    checked, lagging past ``threshold_s``), then the others by lag."""
    async with sessions() as session:
        pages = list((await session.execute(select(Page))).scalars())
        cov = {c.group_id: c for c in (await session.execute(select(CollectorPage))).scalars()}
        bad_posts = (
            await session.execute(
                select(Post.owner_id, Post.post_id, Post.unreachable_reason).where(
                    Post.unreachable_reason.is_not(None)
                )
            )
        ).all()
        quotas = [
            kv
            for kv in (await session.execute(select(KeyValue))).scalars()
            if kv.key.startswith("vk:quota:")
        ]
        status = await collector_status(session, now)
        zone = tz or await local_zone(session)
    states = []
    for p in pages:
        c = cov.get(p.group_id)
        lag = int((now - p.last_checked_at).total_seconds()) if p.last_checked_at else None
        if p.unreachable_reason:
            state = "unreachable"
        elif lag is None:
            state = "never"
        elif lag > threshold_s:
            state = "lagging"
        else:
            state = "long_poll" if c is not None and c.longpoll else "ok"
        kept, dormant, dropped = status.pages.get(p.group_id, (0, 0, 0))
        states.append(
            PageState(
                group_id=p.group_id,
                name=p.name,
                last_checked_at=p.last_checked_at.isoformat() if p.last_checked_at else None,
                lag_s=lag,
                state=state,
                reason=p.unreachable_reason,
                watched_posts=c.watched_posts if c else 0,
                wall_get_calls=c.wall_get_calls if c else 0,
                api_calls=c.api_calls if c else 0,
                unreachable_posts=c.unreachable_posts if c else 0,
                past_window={"kept": kept, "dormant": dormant, "not_watched": dropped}
                if kept or dormant or dropped
                else {},
            )
        )
    states.sort(key=lambda s: (not s.needs_attention, -(s.lag_s if s.lag_s is not None else 1e12)))
    vk = {
        "reported": status.reported,
        "failing": status.vk_failing(now),
        "last_ok_at": status.last_ok_at.isoformat() if status.last_ok_at else None,
        "failures_in_row": status.failures_in_row,
        "last_error": status.last_error,
        "tokens": status.tokens,
        "usable_tokens": status.usable_tokens,
        "posts_past_window": {
            "kept": status.kept_posts,
            "dormant": status.dormant_posts,
            "not_watched": status.dropped_posts,
        },
    }
    return StatusData(
        at=now.isoformat(timespec="seconds"),
        tz=zone,
        threshold_s=int(threshold_s),
        pages=states,
        vk=vk,
        unreachable_posts=[
            {"owner_id": o, "post_id": p, "reason": r} for o, p, r in bad_posts[:50]
        ],
        quotas=[
            {
                "token": kv.key.removeprefix("vk:quota:"),
                "day": kv.value.get("day"),
                "used": dict(kv.value.get("used", {})),
                "parked": list(kv.value.get("parked", [])),
            }
            for kv in quotas
        ],
    )


def _when(iso: str | None, zone: ZoneInfo, now: datetime) -> str:
    """«24.11 09:14» in the reader's zone, the year only when it is not this one."""
    if iso is None:
        return texts.NEVER
    at = datetime.fromisoformat(iso).astimezone(zone)
    return at.strftime("%d.%m %H:%M" if at.year == now.astimezone(zone).year else "%d.%m.%Y %H:%M")


def _ago(seconds: int | None) -> str:
    if seconds is None:
        return ""
    return texts.CLI_AGO.format(ago=format_duration_ru(max(seconds, 0)))


def render_status(data: StatusData) -> str:
    """The Russian report: a headline, VK's state, then one line per page, attention first."""
    zone = ZoneInfo(data.tz)
    now = datetime.fromisoformat(data.at)
    offset = now.astimezone(zone).utcoffset() or timedelta(0)
    hours = int(offset.total_seconds()) // 3600
    lagging = sum(1 for p in data.pages if p.needs_attention)
    lines = [
        texts.CLI_STATUS_TITLE.format(
            at=now.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
            tz=data.tz,
            offset=f"UTC{'+' if hours >= 0 else '−'}{abs(hours)}",
            pages=texts.pages_n(len(data.pages)),
        ),
        texts.CLI_STATUS_ATTENTION.format(n=lagging) if lagging else texts.CLI_STATUS_ALL_OK,
        texts.CLI_STATUS_THRESHOLD.format(threshold=format_duration_ru(data.threshold_s)),
    ]
    vk = data.vk
    if not vk["reported"]:
        lines.append(texts.CLI_VK_SILENT)
    elif vk["failing"]:
        lines.append(
            texts.CLI_VK_FAILING.format(
                n=vk["failures_in_row"],
                error=vk["last_error"] or "—",
                last=_when(vk["last_ok_at"], zone, now),
            )
        )
    else:
        lines.append(texts.CLI_VK_OK.format(last=_when(vk["last_ok_at"], zone, now)))
    if vk["reported"]:
        lines.append(texts.CLI_VK_TOKENS.format(usable=vk["usable_tokens"], total=vk["tokens"]))
        window = vk["posts_past_window"]
        lines.append(
            texts.CLI_WINDOW.format(
                kept=window["kept"], dormant=window["dormant"], dropped=window["not_watched"]
            )
        )
    lines.append("")
    for p in data.pages:
        mark = "⚠" if p.needs_attention else "✓"
        head = f"{mark} {p.name} (id {p.group_id}): "
        if p.state == "unreachable":
            body = texts.CLI_PAGE_UNREACHABLE.format(reason=p.reason)
        elif p.state == "never":
            body = texts.CLI_PAGE_NEVER
        elif p.state == "lagging":
            body = texts.CLI_PAGE_LAGGING.format(
                lag=format_duration_ru(p.lag_s or 0), last=_when(p.last_checked_at, zone, now)
            )
        else:
            body = texts.CLI_PAGE_OK.format(
                last=_when(p.last_checked_at, zone, now), ago=_ago(p.lag_s)
            )
            if p.state == "long_poll":
                body += texts.CLI_PAGE_LONGPOLL
        body += texts.CLI_PAGE_FIGURES.format(
            posts=p.watched_posts, wall_get=p.wall_get_calls, calls=p.api_calls
        )
        if p.unreachable_posts:
            body += texts.CLI_PAGE_BAD_POSTS.format(n=p.unreachable_posts)
        if p.past_window:
            body += texts.CLI_PAGE_WINDOW.format(
                kept=p.past_window["kept"],
                dormant=p.past_window["dormant"],
                dropped=p.past_window["not_watched"],
            )
        lines.append(head + body)
    lines.extend(texts.CLI_POST_UNREACHABLE.format(**post) for post in data.unreachable_posts)
    for q in data.quotas:
        used = ", ".join(f"{m}: {n}" for m, n in q["used"].items()) or texts.CLI_QUOTA_NONE
        line = texts.CLI_QUOTA.format(token=q["token"], day=q["day"] or "?", used=used)
        if q["parked"]:
            line += texts.CLI_QUOTA_PARKED.format(methods=", ".join(q["parked"]))
        lines.append(line)
    return "\n".join(lines)
