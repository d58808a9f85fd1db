"""From collected events to stored comments, complaints, answers and outbox alerts.

Everything a batch causes happens in the caller's transaction: a comment, the complaint it
raises and the alert that announces it are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from collectors.events import Batch, CommentChange, CommentEvent, PostEvent
from config.clock import Clock
from config.registry import Registry, Role
from matcher.answers import CommentRef, answers, responders_for
from matcher.classifier import Classification
from matcher.followup import is_persisting_problem
from matcher.followup import similarity as text_similarity
from matcher.quality import AnswerRating
from matcher.routing import route
from matcher.sla import SlaPolicy, deadlines, response_times
from matcher.workcalendar import WorkCalendar, WorkSchedule
from storage import sla_clock
from storage.actions import officials_of
from storage.models import (
    AuditEntry,
    Comment,
    Complaint,
    ComplaintStatus,
    Post,
)
from storage.outbox import enqueue, enqueue_alert_update

OPEN_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.IN_WORK)
REPEAT_WINDOW = timedelta(days=30)
NEAR_DUPLICATE = 0.8
#: New comments per INSERT statement (12 columns: well under SQLite's 32,766 parameters).
INSERT_CHUNK = 500


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


@dataclass
class IngestResult:
    new_comments: int = 0
    new_complaints: list[int] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    notifications: int = 0
    # (needs_answer, topic) of every matcher decision on a new comment (for metrics).
    decisions: list[tuple[bool, str]] = field(default_factory=list)


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def agency_calendar(registry: Registry, agency_id: str) -> WorkCalendar:
    agency = registry.agency(agency_id)
    return WorkCalendar(WorkSchedule(tz=agency.tz, always_open=agency.always_open))


def agency_policy(registry: Registry, agency_id: str) -> SlaPolicy:
    return sla_clock.agency_policy(registry, agency_id)


class Ingestor:
    """Applies batches to storage; pure decisions come from the matcher functions it is given."""

    def __init__(
        self,
        registry: Registry,
        clock: Clock,
        classify: Callable[[str], Classification],
        rate_answer: Callable[[str, str], AnswerRating],
        *,
        persists: Callable[[str], bool] = is_persisting_problem,
        similarity: Callable[[str, str], float] = text_similarity,
        on_committed: Callable[[IngestResult], None] | None = None,
    ) -> None:
        """``on_committed`` sees each batch's result once its transaction has committed
        (metrics count what was stored, not what a rolled-back attempt would have)."""
        self.registry = registry
        self.clock = clock
        self.classify = classify
        self.rate_answer = rate_answer
        self.persists = persists
        self.similarity = similarity
        self.on_committed = on_committed
        self._calendars = {a.id: agency_calendar(registry, a.id) for a in registry.agencies}
        self._policies = {a.id: agency_policy(registry, a.id) for a in registry.agencies}

    async def ingest(self, session: AsyncSession, batch: Batch) -> IngestResult:
        result = IngestResult()
        for post in batch.posts:
            await self._upsert_post(session, post)
        new: list[tuple[CommentEvent, int]] = []
        run: list[CommentEvent] = []  # consecutive new comments: one INSERT for all of them
        for ev in sorted(batch.comments, key=lambda e: (e.created_at, e.comment_id)):
            if ev.change is CommentChange.NEW:
                run.append(ev)
                continue
            new.extend(await self._insert_comments(session, run))
            run = []
            await self._apply_change(session, ev)
        new.extend(await self._insert_comments(session, run))
        result.new_comments = len(new)
        for ev, pk in new:
            await self._process_new_comment(session, ev, pk, result)
        if self.on_committed is not None:
            report = self.on_committed
            event.listen(
                session.sync_session, "after_commit", lambda _s: report(result), once=True
            )
        return result

    async def _upsert_post(self, session: AsyncSession, post: PostEvent) -> None:
        ins = _insert(session)(Post).values(
            owner_id=post.owner_id,
            post_id=post.post_id,
            created_at=post.created_at,
            text=post.text or "",
            comments_count=post.comments_count,
        )
        changes: dict[str, Any] = {"comments_count": post.comments_count}
        if post.text is not None:
            changes["text"] = post.text
        await session.execute(
            ins.on_conflict_do_update(index_elements=["owner_id", "post_id"], set_=changes)
        )

    def _comment_row(self, ev: CommentEvent, now: datetime) -> dict[str, Any]:
        return {
            "owner_id": ev.owner_id,
            "post_id": ev.post_id,
            "comment_id": ev.comment_id,
            "thread_id": ev.thread_id,
            "from_id": ev.from_id,
            "author_name": ev.author_name,
            "text": ev.text,
            "reply_to_comment": ev.reply_to_comment,
            "reply_to_user": ev.reply_to_user,
            "created_at": ev.created_at,
            "stored_at": now,
            "deleted": False,
        }

    async def _insert_comment(self, session: AsyncSession, ev: CommentEvent) -> int | None:
        stmt = (
            _insert(session)(Comment)
            .values(**self._comment_row(ev, self.clock.now()))
            .on_conflict_do_nothing(index_elements=["owner_id", "post_id", "comment_id"])
            .returning(Comment.id)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    async def _insert_comments(
        self, session: AsyncSession, events: list[CommentEvent]
    ) -> list[tuple[CommentEvent, int]]:
        """Insert new comments with one statement per chunk; returns those that were new
        (``ON CONFLICT DO NOTHING``: a comment already stored is skipped), in input order."""
        out: list[tuple[CommentEvent, int]] = []
        if not events:
            return out
        now = self.clock.now()
        unique: dict[tuple[int, int, int], CommentEvent] = {}
        for ev in events:
            unique.setdefault((ev.owner_id, ev.post_id, ev.comment_id), ev)
        evs = list(unique.values())
        for i in range(0, len(evs), INSERT_CHUNK):
            chunk = evs[i : i + INSERT_CHUNK]
            stmt = (
                _insert(session)(Comment)
                .values([self._comment_row(ev, now) for ev in chunk])
                .on_conflict_do_nothing(index_elements=["owner_id", "post_id", "comment_id"])
                .returning(Comment.id, Comment.owner_id, Comment.post_id, Comment.comment_id)
            )
            pks = {(o, p, c): pk for pk, o, p, c in (await session.execute(stmt)).all()}
            for ev in chunk:
                pk = pks.get((ev.owner_id, ev.post_id, ev.comment_id))
                if pk is not None:
                    out.append((ev, int(pk)))
        return out

    async def _apply_change(self, session: AsyncSession, ev: CommentEvent) -> None:
        row = (
            await session.execute(
                select(Comment).where(
                    Comment.owner_id == ev.owner_id,
                    Comment.post_id == ev.post_id,
                    Comment.comment_id == ev.comment_id,
                )
            )
        ).scalar_one_or_none()
        if row is None:
            if ev.change in (CommentChange.EDIT, CommentChange.RESTORE) and ev.from_id:
                await self._insert_comment(session, ev)
            return
        if ev.change is CommentChange.EDIT:
            row.text, row.edited_at = ev.text, self.clock.now()
        elif ev.change is CommentChange.DELETE:
            row.deleted = True
        elif ev.change is CommentChange.RESTORE:
            row.deleted = False

    async def _process_new_comment(
        self, session: AsyncSession, ev: CommentEvent, pk: int, result: IngestResult
    ) -> None:
        group_id = -ev.owner_id
        if self.registry.page(group_id) is None:
            return
        responders = responders_for(self.registry, group_id)
        if responders.includes(ev.from_id):
            await self._record_answer(session, ev, pk, result)
            return
        if ev.from_id <= 0:
            return  # another community talking: not a resident
        if await self._handle_followup(session, ev, result):
            return
        verdict = self.classify(ev.text)
        result.decisions.append((verdict.needs_answer, str(verdict.topic)))
        if not verdict.needs_answer:
            return
        routed = route(self.registry, group_id, verdict.topic)
        if routed is None:
            return
        now = self.clock.now()
        due = deadlines(
            ev.created_at, self._policies[routed.agency_id], self._calendars[routed.agency_id]
        )
        repeat_of = await self._find_repeat(session, ev, verdict.topic.value)
        complaint = Complaint(
            comment_pk=pk,
            owner_id=ev.owner_id,
            post_id=ev.post_id,
            comment_id=ev.comment_id,
            author_id=ev.from_id,
            agency_id=routed.agency_id,
            route_rule=routed.rule,
            topic=verdict.topic.value,
            score=verdict.score,
            reasons=list(verdict.reasons),
            status=ComplaintStatus.OPEN,
            created_at=ev.created_at,
            due_at=due.due_at,
            warn_at=due.warn_at,
            escalate_lead_at=due.escalate_lead_at,
            repeat_of=repeat_of,
        )
        session.add(complaint)
        await session.flush()
        session.add(
            AuditEntry(
                at=now,
                actor="system",
                action="complaint_created",
                complaint_id=complaint.id,
                after={
                    "topic": complaint.topic,
                    "agency": complaint.agency_id,
                    "rule": routed.rule,
                    "reasons": list(verdict.reasons),
                },
            )
        )
        # Officials come from the database: registry people plus those who joined by invite.
        for chat_id in await officials_of(session, routed.agency_id):
            enqueue(
                session,
                key=f"alert:{complaint.id}:{chat_id}",
                chat_id=chat_id,
                kind="alert",
                complaint_id=complaint.id,
                now=now,
            )
            result.notifications += 1
        result.new_complaints.append(complaint.id)

    def _officials(self, agency_id: str) -> list[int]:
        return [
            p.telegram_id
            for p in self.registry.people
            if p.role is Role.OFFICIAL and agency_id in p.agencies
        ]

    async def _handle_followup(
        self, session: AsyncSession, ev: CommentEvent, result: IngestResult
    ) -> bool:
        """The author writing again under their own complaint: reopen it if nothing changed.

        Their reply in the complaint's thread, or a new comment on the same post after an
        answer, is a follow-up, never a new complaint.
        """
        if ev.thread_id is None and ev.reply_to_user is None:
            candidates = await session.execute(
                select(Complaint).where(
                    Complaint.owner_id == ev.owner_id,
                    Complaint.post_id == ev.post_id,
                    Complaint.author_id == ev.from_id,
                    Complaint.answered_at.is_not(None),
                    Complaint.status.in_((ComplaintStatus.ANSWERED, ComplaintStatus.RESOLVED)),
                )
            )
            complaint = candidates.scalars().first()
            if complaint is None or not self.persists(ev.text):
                return False
        else:
            found = await session.execute(
                select(Complaint).where(
                    Complaint.owner_id == ev.owner_id,
                    Complaint.post_id == ev.post_id,
                    Complaint.comment_id == (ev.thread_id or ev.reply_to_comment),
                    Complaint.author_id == ev.from_id,
                )
            )
            complaint = found.scalars().first()
            if complaint is None:
                return False
        reopenable = (ComplaintStatus.ANSWERED, ComplaintStatus.RESOLVED)
        if complaint.status in reopenable and self.persists(ev.text):
            await self._reopen(session, complaint, ev)
            result.reopened.append(complaint.id)
        return True

    async def _reopen(self, session: AsyncSession, complaint: Complaint, ev: CommentEvent) -> None:
        """A new clock for the update the author is still waiting for (product.md §2.7)."""
        now = self.clock.now()
        before = {"status": complaint.status, "answered_at": _iso(complaint.answered_at)}
        due = deadlines(
            ev.created_at,
            self._policies[complaint.agency_id],
            self._calendars[complaint.agency_id],
            kind="update",
        )
        complaint.status = ComplaintStatus.OPEN
        complaint.reopened_at = ev.created_at
        complaint.reopen_count += 1
        complaint.answered_at = None
        complaint.answer_comment_pk = None
        complaint.closed_at = None
        complaint.due_at, complaint.warn_at = due.due_at, due.warn_at
        complaint.escalate_lead_at = due.escalate_lead_at
        complaint.nudged_at = complaint.escalated_at = complaint.escalated_lead_at = None
        session.add(
            AuditEntry(
                at=now,
                actor="system",
                action="reopened",
                complaint_id=complaint.id,
                before=before,
                after={
                    "status": complaint.status,
                    "by_comment": ev.comment_id,
                    "text": ev.text[:200],
                },
            )
        )
        await enqueue_alert_update(session, complaint.id, f"reopened{complaint.reopen_count}", now)

    async def _find_repeat(
        self, session: AsyncSession, ev: CommentEvent, topic: str
    ) -> int | None:
        """Same author and topic within 30 days, or a near-identical text on any page."""
        since = ev.created_at - REPEAT_WINDOW
        rows = await session.execute(
            select(Complaint.id, Complaint.author_id, Complaint.topic, Comment.text)
            .join(Comment, Comment.id == Complaint.comment_pk)
            .where(Complaint.created_at >= since, Complaint.created_at <= ev.created_at)
            .order_by(Complaint.created_at)
        )
        for complaint_id, author_id, old_topic, text in rows.all():
            if author_id == ev.from_id and old_topic == topic:
                return int(complaint_id)
            if self.similarity(text, ev.text) >= NEAR_DUPLICATE:
                return int(complaint_id)
        return None

    async def _record_answer(
        self, session: AsyncSession, ev: CommentEvent, pk: int, result: IngestResult
    ) -> None:
        rows = await session.execute(
            select(Complaint, Comment)
            .join(Comment, Comment.id == Complaint.comment_pk)
            .where(
                Complaint.owner_id == ev.owner_id,
                Complaint.post_id == ev.post_id,
                Complaint.status.in_(OPEN_STATUSES),
                Complaint.answered_at.is_(None),
            )
        )
        reply = CommentRef(
            ev.owner_id,
            ev.post_id,
            ev.comment_id,
            ev.from_id,
            ev.thread_id,
            ev.reply_to_comment,
            ev.reply_to_user,
        )
        responders = responders_for(self.registry, -ev.owner_id)
        now = self.clock.now()
        for complaint, comment in rows.all():
            target = CommentRef(
                comment.owner_id,
                comment.post_id,
                comment.comment_id,
                comment.from_id,
                comment.thread_id,
                comment.reply_to_comment,
                comment.reply_to_user,
            )
            if not answers(reply, target, responders) or ev.created_at < complaint.created_at:
                continue
            before = {"status": complaint.status}
            calendar_s, working_s = response_times(
                complaint.created_at, ev.created_at, self._calendars[complaint.agency_id]
            )
            rating = self.rate_answer(comment.text, ev.text)
            complaint.status = ComplaintStatus.ANSWERED
            complaint.answered_at = ev.created_at
            complaint.answer_comment_pk = pk
            complaint.response_seconds = calendar_s
            complaint.business_seconds = working_s
            complaint.otpiska = rating.otpiska
            complaint.quality = rating.quality
            complaint.quality_reasons = list(rating.reasons)
            session.add(
                AuditEntry(
                    at=now,
                    actor="system",
                    action="answered",
                    complaint_id=complaint.id,
                    before=before,
                    after={
                        "status": complaint.status,
                        "answer_comment": ev.comment_id,
                        "response_seconds": calendar_s,
                        "otpiska": rating.otpiska,
                    },
                )
            )
            await enqueue_alert_update(session, complaint.id, "answered", now)
            result.answered.append(complaint.id)
