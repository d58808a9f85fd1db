"""Typed SQLAlchemy models: what Otklik remembers between restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class ComplaintStatus(StrEnum):
    OPEN = "open"
    IN_WORK = "in_work"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"
    # Issue 11: the resident deleted the comment; closed, no clock runs, a moderator may reopen.
    DELETED = "deleted"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by the sender; a crash leaves it here, never resent blindly
    SENT = "sent"
    COALESCED = "coalesced"  # told as part of a summary message instead of on its own
    FAILED = "failed"
    # Issue 11: nothing to send, the row is redundant (why: ``last_error``); never "sent"
    # without a Bot API call.
    SKIPPED = "skipped"


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    tz: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_s: Mapped[int] = mapped_column(Integer, default=8 * 3600)
    region: Mapped[str | None] = mapped_column(String(64))  # moderators with a region see it
    # Issue 12: an urgent complaint's target, calendar seconds round the clock.
    urgent_s: Mapped[int] = mapped_column(Integer, default=2 * 3600)


class Page(Base):
    __tablename__ = "pages"

    group_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))
    screen_name: Mapped[str | None] = mapped_column(String(255))
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    last_checked_at: Mapped[datetime | None]
    max_seen_id: Mapped[int] = mapped_column(BigInteger, default=0)
    unreachable_reason: Mapped[str | None] = mapped_column(String(255))
    # Issue 11: when Otklik started watching the page.  Comments written before it are the
    # page's history: stored, never alerted (but see ``VKSettings.alert_history_hours``).
    first_look_at: Mapped[datetime | None]


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("owner_id", "post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    post_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text, default="")
    comments_count: Mapped[int] = mapped_column(Integer, default=0)
    unreachable_reason: Mapped[str | None] = mapped_column(String(255))


class Comment(Base):
    """One VK comment, stored once whatever retries or restarts happen."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("owner_id", "post_id", "comment_id"),
        Index("ix_comments_thread", "owner_id", "post_id", "thread_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    post_id: Mapped[int] = mapped_column(BigInteger)
    comment_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)  # top-level comment of the thread
    from_id: Mapped[int] = mapped_column(BigInteger)
    author_name: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    reply_to_comment: Mapped[int | None] = mapped_column(BigInteger)
    reply_to_user: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    stored_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


def _person_id(context: Any) -> int:
    """A person known by Telegram keeps their Telegram id as their own id (every person stored
    before issue 13 has it so); one who joined without Telegram gets an id allocated by
    ``storage.people.new_person_id`` (negative, so it never meets a Telegram id)."""
    telegram_id = context.get_current_parameters().get("telegram_id")
    if telegram_id is None:
        raise ValueError("a person without a Telegram id needs an allocated id")
    return int(telegram_id)


class Person(Base):
    """Someone who works in Otklik, reachable on Telegram, MAX or both (issue 13)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, default=_person_id
    )
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    max_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    #: ``telegram`` or ``max``: where alerts go when the person has both.
    preferred_channel: Mapped[str] = mapped_column(String(16), default="telegram")
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    vk_id: Mapped[int | None] = mapped_column(BigInteger)
    tz: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    agencies: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The person stopped the bot on Telegram (403); ``max_unreachable`` the same on MAX.
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    max_unreachable: Mapped[bool] = mapped_column(Boolean, default=False)

    @hybrid_property
    def reachable(self) -> bool:
        """On some messenger where they have not stopped the bot (in SQL too)."""
        return (self.telegram_id is not None and not self.unreachable) or (
            self.max_user_id is not None and not self.max_unreachable
        )

    @reachable.inplace.expression
    @classmethod
    def _reachable_sql(cls) -> ColumnElement[bool]:
        return or_(
            and_(cls.telegram_id.is_not(None), cls.unreachable.is_(False)),
            and_(cls.max_user_id.is_not(None), cls.max_unreachable.is_(False)),
        )

    region: Mapped[str | None] = mapped_column(String(64))
    muted_until: Mapped[datetime | None]
    joined_at: Mapped[datetime | None]
    invited_by: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_status", "status"),
        # Issue 7: ingest looks complaints up by post (follow-ups, answers) and by author
        # (repeats within 30 days) once per batch.
        Index("ix_complaints_post", "owner_id", "post_id"),
        Index("ix_complaints_author", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_pk: Mapped[int] = mapped_column(ForeignKey("comments.id"), unique=True)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    post_id: Mapped[int] = mapped_column(BigInteger)
    comment_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigInteger)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    route_rule: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=ComplaintStatus.OPEN)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    # Urgent (issue 12): an emergency, with the matcher's reasons in Russian; its clocks run
    # round the clock on a short target (``storage.sla_clock.clock_policy``).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The first clock's answer, kept across reopens: statistics count the first response
    # (issue 14).  A reopen's answer has columns of its own (``reopen_*``).
    answered_at: Mapped[datetime | None]
    answer_comment_pk: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    response_seconds: Mapped[int | None] = mapped_column(Integer)
    business_seconds: Mapped[int | None] = mapped_column(Integer)
    otpiska: Mapped[bool | None] = mapped_column(Boolean)
    quality: Mapped[int | None] = mapped_column(Integer)
    quality_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    closed_at: Mapped[datetime | None]
    close_note: Mapped[str | None] = mapped_column(Text)
    # SLA clocks (issue 6): deadlines of the running clock and what was already sent, once each.
    warn_at: Mapped[datetime | None]
    escalate_lead_at: Mapped[datetime | None]
    nudged_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    escalated_lead_at: Mapped[datetime | None]
    solution_breached_at: Mapped[datetime | None]  # optional solution clock told (issue 6)
    paused_s: Mapped[int] = mapped_column(Integer, default=0)
    waiting_since: Mapped[datetime | None]  # waiting on the resident: the clock is paused
    waiting_reason: Mapped[str | None] = mapped_column(Text)  # what the resident was asked
    # ``paused_s`` counts every clock (the solution clock needs it all); the running clock
    # subtracts only what was paused since it started: ``paused_s - paused_before_clock_s``.
    paused_before_clock_s: Mapped[int] = mapped_column(Integer, default=0)
    # Lifecycle (issues 4, 5)
    reopened_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    repeat_of: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    taken_by: Mapped[int | None] = mapped_column(BigInteger)  # telegram id of «В работу»
    answered_by: Mapped[int | None] = mapped_column(BigInteger)  # «Ответ дан» pressed by hand
    # The first-response deadline, kept when a reopen starts a clock of its own (``due_at``
    # and the other deadlines above are the running clock's).
    first_due_at: Mapped[datetime | None]
    # The answer to the latest reopen, measured from ``reopened_at`` without that clock's
    # waits; cleared when the complaint is reopened again.
    reopen_answered_at: Mapped[datetime | None]
    reopen_answer_comment_pk: Mapped[int | None] = mapped_column(Integer)
    reopen_answered_by: Mapped[int | None] = mapped_column(BigInteger)
    reopen_response_seconds: Mapped[int | None] = mapped_column(Integer)
    reopen_business_seconds: Mapped[int | None] = mapped_column(Integer)
    reopen_otpiska: Mapped[bool | None] = mapped_column(Boolean)
    reopen_quality: Mapped[int | None] = mapped_column(Integer)
    reopen_quality_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ComplaintKey(Base):
    """Issue 7: the near-duplicate index of complaint texts.  A complaint is listed under the
    first shingles of its text in a fixed order (``matcher.followup.repeat_keys``) with the
    text's shingle count, so ingest finds repeat candidates by key (see storage/repeats.py)."""

    __tablename__ = "complaint_keys"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # No foreign key: a per-row check would cost more than the rows; ingest writes them right
    # after their complaint, in its transaction, and look-ups join complaints.
    complaint_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class Notification(Base):
    """Outbox: a message recorded with the change that causes it, sent later on ``channel``
    (``telegram`` or ``max``, issue 13) to the person (or chat) ``chat_id``.

    ``dedupe_key`` makes "tell this person about this event" idempotent across retries.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    kind: Mapped[str] = mapped_column(String(32))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Issue 7: which sender process claimed the row (``sending``) and when, so a live sender
    # only settles the rows of a dead one (see bot/outbox.py ``recover``).
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None]


class AlertMessage(Base):
    """Which message shows which complaint to whom on which messenger, so it can be edited
    later.  ``ref`` is the messenger's message id as text (Telegram ``4711``, MAX
    ``mid.…``); a person on both messengers may hold a card on each."""

    __tablename__ = "alert_messages"
    __table_args__ = (UniqueConstraint("complaint_id", "channel", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    chat_id: Mapped[int] = mapped_column(BigInteger)
    ref: Mapped[str] = mapped_column(String(128))
    sent_at: Mapped[datetime]

    @property
    def message_id(self) -> int | None:
        """The Telegram message id (``None`` for a MAX ref)."""
        return int(self.ref) if self.ref.isdigit() else None


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class KeyValue(Base):
    """Small persistent state: Long Poll ts, quota counters, last digest sent."""

    __tablename__ = "kv"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CollectorPage(Base):
    """Per-page coverage of the VK collector (issue 3): what ``otklik status`` and /status show.

    ``pages.last_checked_at`` and ``unreachable_reason`` stay on :class:`Page`; this keeps the
    rest, written by the collector about once a minute.
    """

    __tablename__ = "collector_pages"

    group_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lag_s: Mapped[float | None] = mapped_column(Float)
    watched_posts: Mapped[int] = mapped_column(Integer, default=0)
    unreachable_posts: Mapped[int] = mapped_column(Integer, default=0)
    wall_get_calls: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    longpoll: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class Invite(Base):
    """A one-time deep-link code (``/start <code>``) that makes its user a person with a role."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    agencies: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None]
    region: Mapped[str | None] = mapped_column(String(64))  # the inviter's region, inherited


class Label(Base):
    """A moderator's «не жалоба» / «это жалоба» mark: a labelled example for the matcher."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    needs_answer: Mapped[bool] = mapped_column(Boolean)
    topic: Mapped[str | None] = mapped_column(String(32))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    by: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]


class SpikeAlert(Base):
    """A topic spike already announced, so each one alerts the lead once."""

    __tablename__ = "spike_alerts"
    __table_args__ = (UniqueConstraint("area", "topic", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(32))
    day: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime]


class PageLease(Base):
    """Issue 7: which collector process polls a page, until when (see storage/leases.py)."""

    __tablename__ = "page_leases"
    __table_args__ = (Index("ix_page_leases_owner", "owner"),)

    group_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    owner: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None]


class Worker(Base):
    """Issue 7: a running process and its role; ``heartbeat_at`` says it is alive."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class AnswerState(StrEnum):
    """Where an answer written in the messenger is on its way to VK (issue 15)."""

    DRAFT = "draft"  # written, not checked or not sent yet
    HELD = "held"  # the check found an «отписка»: nothing published, reasons shown
    PUBLISHING = "publishing"  # committed with its guid before the VK call: retried, never
    # doubled (VK publishes a guid once)
    PUBLISHED = "published"  # on VK, with its comment id
    FAILED = "failed"  # VK refused or was away; the text is kept for a retry or by hand


class AnswerDraft(Base):
    """Issue 15: an official's answer to a complaint, written in the messenger and published
    on VK as the page.  ``guid`` is fixed when the draft is made and sent with every attempt,
    so a retry after a crash between VK's answer and our commit publishes nothing twice."""

    __tablename__ = "answer_drafts"
    __table_args__ = (
        Index("ix_answer_drafts_complaint", "complaint_id"),
        Index("ix_answer_drafts_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    author_id: Mapped[int] = mapped_column(BigInteger)  # the person (``people.id``) writing it
    text: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=AnswerState.DRAFT)
    # The отписка check's reasons (Russian) and quality when it last ran on ``text``.
    check_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    quality: Mapped[int | None] = mapped_column(Integer)
    # Published «как есть» although the check held it (audited, counted in the statistics).
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    guid: Mapped[str] = mapped_column(String(64), unique=True)
    template_id: Mapped[int | None] = mapped_column(Integer)  # the template it started from
    vk_comment_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)  # Russian, for the official
    last_error_code: Mapped[int | None] = mapped_column(Integer)  # VK's code; -1 transport
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class AnswerTemplate(Base):
    """Issue 15: a moderator's answer template for a topic and agency (either may be empty:
    any), with placeholders such as «{адрес}» and «{дата}» the official must fill."""

    __tablename__ = "answer_templates"
    __table_args__ = (Index("ix_answer_templates_scope", "agency_id", "topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str | None] = mapped_column(String(32))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    title: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(BigInteger)  # ``people.id``
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
