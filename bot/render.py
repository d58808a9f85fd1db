"""Render complaints into Telegram HTML (always escaping residents' text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot import texts
from matcher.sla import format_duration_ru
from matcher.topics import TOPIC_LABELS, Topic

EXCERPT = 600


def vk_comment_url(owner_id: int, post_id: int, comment_id: int, thread_id: int | None) -> str:
    url = f"https://vk.com/wall{owner_id}_{post_id}?reply={comment_id}"
    return f"{url}&thread={thread_id}" if thread_id else url


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def local_time(at: datetime, tz: str) -> str:
    return at.astimezone(ZoneInfo(tz)).strftime("%d.%m %H:%M")


@dataclass(frozen=True, slots=True)
class AlertView:
    """Everything an alert shows; built from storage by the sender."""

    complaint_id: int
    topic: str
    status: str
    page_name: str
    post_text: str
    author: str
    text: str
    url: str
    due_at: datetime | None
    tz: str
    answered_text: str | None = None
    response_seconds: int | None = None
    business_seconds: int | None = None
    otpiska: bool | None = None
    quality: int | None = None
    quality_reasons: tuple[str, ...] = ()


def render_alert(v: AlertView) -> str:
    known = v.topic in Topic.__members__.values()
    topic = TOPIC_LABELS[Topic(v.topic)] if known else v.topic
    lines = [texts.ALERT_TITLE.format(id=v.complaint_id, topic=escape(topic))]
    status = texts.STATUS_LINE.get(v.status, "")
    if status:
        lines.append(status)
    lines.append(texts.ALERT_PAGE.format(page=escape(v.page_name)))
    if v.post_text:
        lines.append(texts.ALERT_POST.format(post=escape(excerpt(v.post_text, 120))))
    lines.append(texts.ALERT_AUTHOR.format(author=escape(v.author)))
    lines.append(f"«{escape(excerpt(v.text))}»")
    lines.append(texts.ALERT_LINK.format(url=escape(v.url, quote=True)))
    if v.response_seconds is not None:
        lines.append(
            texts.ALERT_ANSWERED.format(
                calendar=format_duration_ru(v.response_seconds),
                working=format_duration_ru(v.business_seconds or 0),
            )
        )
        if v.answered_text:
            lines.append(
                texts.ALERT_ANSWER_TEXT.format(text=escape(excerpt(v.answered_text, 300)))
            )
        if v.otpiska:
            lines.append(texts.ALERT_OTPISKA.format(reasons=escape("; ".join(v.quality_reasons))))
        elif v.quality is not None:
            lines.append(texts.ALERT_QUALITY_OK.format(quality=v.quality))
    elif v.due_at is not None and v.status in ("open", "in_work"):
        lines.append(texts.ALERT_DUE.format(due=local_time(v.due_at, v.tz)))
    return "\n".join(lines)
