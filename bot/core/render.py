"""Render complaints into the HTML subset both messengers read (always escaping residents'
text).  ``private``: for a messenger in the no-personal-data mode (``bot/core/privacy.py``;
default: the current request's messenger), with no resident's name or words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.core import texts
from bot.core.privacy import hiding
from matcher.overdue import Lateness, clock_time_ru, format_working_ru
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


def percent(value: float | None) -> str:
    """A share as people read it: «67%», or «—» when nothing was measured."""
    return texts.DIGEST_DASH if value is None else f"{round(value * 100)}%"


def working_time(seconds: int | None, calendar_s: int | None = None) -> str:
    """«1 ч 30 мин рабочего времени (календарно 2 ч)»: the unit always named; «—» if none."""
    if seconds is None:
        return texts.DIGEST_DASH
    if calendar_s is None:
        return texts.WORKING_TIME.format(working=format_working_ru(seconds))
    return texts.WORKING_AND_CALENDAR.format(
        working=format_working_ru(seconds), calendar=format_duration_ru(calendar_s)
    )


def urgent_reasons_text(reasons: Sequence[str]) -> str:
    """Why a complaint is urgent, as the matcher said it («запах газа: «пахнет газом»»);
    not escaped."""
    return "; ".join(reasons) or texts.URGENT_NO_REASON


def urgent_labels(reasons: Sequence[str]) -> str:
    """The same, short for a list line: the reasons without the words quoted from the text."""
    labels = dict.fromkeys(r.split(": ", 1)[0] for r in reasons)
    return ", ".join(labels) or texts.URGENT_NO_REASON


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
    now: datetime | None = None  # when set, the deadline shows as a countdown
    repeat_of: int | None = None
    reopen_count: int = 0
    taken_by_name: str | None = None
    answered_by_name: str | None = None
    agency_name: str | None = None
    waiting_since: datetime | None = None  # waiting on the resident: the clock stands still
    waiting_reason: str | None = None
    urgent: bool = False  # issue 12: an emergency, on a short clock round the clock
    urgent_reasons: tuple[str, ...] = ()
    # The answer figures above are the running clock's: after a reopen, the reopen's answer
    # (the first answer is kept for the statistics, not shown as the state).
    answer_after_reopen: bool = False
    late: Lateness | None = None  # the running clock at ``now``, working time (issue 14)
    edited_at: datetime | None = None  # issue 11: when the author's edit was seen


def render_alert(v: AlertView, *, private: bool | None = None) -> str:
    """The card.  ``private``: the page, topic, deadline, number, state and link only; no
    resident's name, comment, post excerpt, answer text (it addresses the resident), quoted
    urgent words or what the resident was asked."""
    private = hiding() if private is None else private
    known = v.topic in Topic.__members__.values()
    topic = TOPIC_LABELS[Topic(v.topic)] if known else v.topic
    lines = [texts.ALERT_TITLE.format(id=v.complaint_id, topic=escape(topic))]
    if v.urgent:
        why = urgent_labels(v.urgent_reasons) if private else urgent_reasons_text(v.urgent_reasons)
        lines.append(texts.ALERT_URGENT.format(reasons=escape(why)))
    status = texts.STATUS_LINE.get(v.status, "")
    if v.status == "in_work" and v.taken_by_name:
        status = texts.ALERT_TAKEN.format(name=escape(v.taken_by_name))
    if status:
        lines.append(status)
    if v.repeat_of is not None:
        lines.append(texts.ALERT_REPEAT.format(id=v.repeat_of))
    if v.reopen_count:
        lines.append(texts.ALERT_REOPENED.format(times=texts.plural_times(v.reopen_count)))
    lines.append(texts.ALERT_PAGE.format(page=escape(v.page_name)))
    if v.agency_name:
        lines.append(texts.ALERT_AGENCY.format(agency=escape(v.agency_name)))
    if private:
        lines.append(texts.ALERT_HIDDEN)
    else:
        if v.post_text:
            lines.append(texts.ALERT_POST.format(post=escape(excerpt(v.post_text, 120))))
        lines.append(texts.ALERT_AUTHOR.format(author=escape(v.author)))
        lines.append(f"«{escape(excerpt(v.text))}»")
    if v.edited_at is not None:
        lines.append(texts.ALERT_EDITED.format(at=local_time(v.edited_at, v.tz)))
    lines.append(texts.ALERT_LINK.format(url=escape(v.url, quote=True)))
    # The status says whether it is answered: a reopened complaint waits again whatever
    # answer an earlier clock got.
    answered = v.status not in ("open", "in_work")
    if v.response_seconds is not None and answered and v.answered_by_name:
        lines.append(
            texts.ALERT_ANSWERED_BY_HAND.format(
                name=escape(v.answered_by_name), calendar=format_duration_ru(v.response_seconds)
            )
        )
    elif v.response_seconds is not None and answered:
        tpl = texts.ALERT_ANSWERED_AFTER_REOPEN if v.answer_after_reopen else texts.ALERT_ANSWERED
        lines.append(
            tpl.format(
                calendar=format_duration_ru(v.response_seconds),
                working=format_duration_ru(v.business_seconds or 0),
            )
        )
        if v.answered_text and not private:
            lines.append(
                texts.ALERT_ANSWER_TEXT.format(text=escape(excerpt(v.answered_text, 300)))
            )
        if v.otpiska:
            lines.append(texts.ALERT_OTPISKA.format(reasons=escape("; ".join(v.quality_reasons))))
        elif v.quality is not None:
            lines.append(texts.ALERT_QUALITY_OK.format(quality=v.quality))
    elif v.waiting_since is not None and v.status in ("open", "in_work"):
        reason = None if private else v.waiting_reason
        lines.append(waiting_line(v.waiting_since, reason, v.tz))
    elif v.due_at is not None and v.status in ("open", "in_work"):
        lines.append(due_line(v.due_at, v.tz, v.now, v.late))
    return "\n".join(lines)


def due_line(due_at: datetime, tz: str, now: datetime | None, late: Lateness | None = None) -> str:
    """The deadline in the reader's zone, with the time left (or overdue) when ``now`` is known:
    in working time, with the calendar time without an answer beside it (issue 14)."""
    due = local_time(due_at, tz)
    if now is None:
        return texts.ALERT_DUE.format(due=due)
    if late is not None:
        if not late.overdue:
            return texts.ALERT_DUE_LEFT.format(
                due=due, left=clock_time_ru(late.left_s, late.round_the_clock)
            )
        return texts.ALERT_DUE_OVERDUE_WAITED.format(
            due=due,
            late=clock_time_ru(late.late_s, late.round_the_clock),
            waited=format_duration_ru(late.waited_s),
        )
    left = int((due_at - now).total_seconds())
    if left >= 0:
        return texts.ALERT_DUE_LEFT.format(due=due, left=format_duration_ru(left))
    return texts.ALERT_DUE_OVERDUE.format(due=due, late=format_duration_ru(-left))


def waiting_line(since: datetime, reason: str | None, tz: str) -> str:
    """«Ждём ответа жителя с …» in the reader's zone, with what the resident was asked."""
    line = texts.ALERT_WAITING.format(since=local_time(since, tz))
    return line + (texts.ALERT_WAITING_REASON.format(reason=escape(reason)) if reason else "")


def due_short(
    due_at: datetime | None, now: datetime, waiting: bool = False, late: Lateness | None = None
) -> str:
    if waiting:
        return texts.DUE_SHORT_WAITING
    if due_at is None:
        return texts.DUE_SHORT_NONE
    if late is not None:  # working time (issue 14), the calendar time without an answer beside
        if not late.overdue:
            return texts.DUE_SHORT_LEFT.format(
                left=clock_time_ru(late.left_s, late.round_the_clock)
            )
        return texts.DUE_SHORT_LATE_WAITED.format(
            late=clock_time_ru(late.late_s, late.round_the_clock),
            waited=format_duration_ru(late.waited_s),
        )
    left = int((due_at - now).total_seconds())
    if left >= 0:
        return texts.DUE_SHORT_LEFT.format(left=format_duration_ru(left))
    return texts.DUE_SHORT_LATE.format(late=format_duration_ru(-left))


@dataclass(frozen=True, slots=True)
class ListItem:
    complaint_id: int
    topic: str
    page_name: str
    text: str
    due_at: datetime | None
    waiting: bool = False  # the clock stands still on the resident
    status: str = "open"
    reopened: bool = False
    urgent_reasons: tuple[str, ...] | None = None  # None: not urgent (issue 12)
    late: Lateness | None = None  # the running clock now (issue 14)
    agency_name: str | None = None  # the responsible agency (issue 14)


def item_state(it: ListItem, now: datetime) -> str:
    """What a list says about a complaint's state: its deadline while it waits for an answer,
    otherwise what became of it (a summary is edited when one of its complaints changes)."""
    if it.status not in ("open", "in_work"):
        return texts.LIST_STATUS.get(it.status, texts.LIST_STATUS_CLOSED)
    due = due_short(it.due_at, now, it.waiting, it.late)
    if it.status == "in_work":
        return texts.LIST_IN_WORK.format(due=due)
    return texts.LIST_REOPENED.format(due=due) if it.reopened else due


def topic_label(code: str) -> str:
    return TOPIC_LABELS[Topic(code)] if code in Topic.__members__.values() else code


def list_topic(it: ListItem) -> str:
    """The topic in a list line, after «🔴 Срочно (why)» for an urgent complaint (escaped)."""
    topic = escape(topic_label(it.topic))
    if it.urgent_reasons is None:
        return topic
    badge = texts.LIST_URGENT.format(reasons=escape(urgent_labels(it.urgent_reasons)))
    return f"{badge} · {topic}"


def render_list(
    title: str,
    items: list[ListItem],
    total: int,
    page: int,
    pages: int,
    now: datetime,
    *,
    counted: bool = False,
    private: bool | None = None,
) -> str:
    """One page of a complaint list (escaped; each item short enough for 10 on a page).
    ``counted``: the title already says how many (a summary), so no «: N» after it;
    ``private``: no quote of the comments."""
    private = hiding() if private is None else private
    item = texts.LIST_ITEM_HIDDEN if private else texts.LIST_ITEM
    if total == 0:
        return f"{title}\n{texts.LIST_EMPTY}"
    lines = [title if counted else texts.LIST_TOTAL.format(title=title, count=total)]
    lines.extend(
        item.format(
            id=it.complaint_id,
            topic=list_topic(it),
            page=escape(it.page_name),
            agency=escape(it.agency_name or it.page_name),
            due=item_state(it, now),
            text=escape(excerpt(it.text, 120)),
        )
        for it in items
    )
    if pages > 1:
        lines.append(texts.LIST_PAGE.format(page=page + 1, pages=pages))
    return "\n\n".join(lines)
