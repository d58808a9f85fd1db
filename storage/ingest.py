"""From collected events to stored comments, complaints, answers and outbox alerts.

Everything a batch causes happens in the caller's transaction: a comment, the complaint it
raises and the alert that announces it are committed together or not at all.

A batch costs a fixed number of statements, not a few per comment: comments are inserted in
one statement per run, the complaints of the batch's posts that it may answer or follow up on
are read once and the events are decided in order against them in memory (so an answer or a
follow-up later in the batch sees a complaint created earlier in it), repeats are looked up
once for all new complaints (:mod:`storage.repeats`), the officials to alert are read once,
and the new complaints, their index keys, audit entries and alerts are written with one
statement each.

Issue 11:

* History.  A comment written before its page's first look (``pages.first_look_at``) is the
  page's history: stored, never a complaint, however it arrives (the first read, or a re-read
  of its post because someone commented later).  With ``alert_history_hours`` N, the comments
  of the last N hours before the first look are complaints, alerted if still unanswered.
* Deletions.  A deleted comment closes its complaint as ``deleted`` (no clock runs, the cards
  say so, a moderator may reopen it); a restored comment (Long Poll ``wall_reply_restore``, or
  the comment reappearing in a re-read) brings it back as it was.
* Nobody to tell.  A new complaint whose agency no official hears from goes to the
  moderators at once (:mod:`storage.orphans`).
* One INFO line per complaint created, answered, reopened, closed by a deletion, restored or
  routed to the moderators, once the batch has committed (ids only).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, event, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from collectors.events import Batch, CommentChange, CommentEvent, PostEvent
from config.clock import Clock
from config.registry import Page, Registry
from matcher.answers import CommentRef, Responders, answers, responders_for
from matcher.classifier import Classification
from matcher.followup import NEAR_DUPLICATE, is_persisting_problem
from matcher.quality import AnswerRating
from matcher.routing import Route, route
from matcher.sla import SlaPolicy, deadlines
from matcher.topics import Topic
from matcher.workcalendar import WorkCalendar, WorkSchedule
from storage import sla_clock
from storage.models import (
    AlertMessage,
    AuditEntry,
    Comment,
    Complaint,
    ComplaintStatus,
    Notification,
    Post,
)
from storage.models import (
    Page as PageRow,
)
from storage.orphans import OfficialState, Routed, log_routed, officials_by_agency, route_unreached
from storage.repeats import (
    REPEAT_WINDOW,
    KeyStats,
    NewComplaint,
    add_keys,
    find_repeats,
    key_rows,
    reindex_edited,
)

__all__ = [
    "NEAR_DUPLICATE",
    "OPEN_STATUSES",
    "REPEAT_WINDOW",
    "IngestResult",
    "Ingestor",
    "agency_calendar",
    "agency_policy",
]

log = logging.getLogger(__name__)

OPEN_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.IN_WORK)
REOPENABLE = (ComplaintStatus.ANSWERED, ComplaintStatus.RESOLVED)
#: What a deleted comment closes: every complaint not closed by a person already.
CLOSED_BY_DELETION = (*OPEN_STATUSES, ComplaintStatus.ANSWERED)
#: New comments per INSERT statement (12 columns: well under SQLite's 32,766 parameters).
INSERT_CHUNK = 500
#: Values per ``IN (...)`` list of the per-batch look-ups.
IN_CHUNK = 2000


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
    # New complaints linked to an earlier one (same author and topic, or a near-duplicate).
    repeats: int = 0
    # Issue 11: complaints closed because their comment was deleted, and brought back.
    deleted: list[int] = field(default_factory=list)
    restored: list[int] = field(default_factory=list)
    # New complaints no official hears of, told to the moderators instead.
    routed: list[Routed] = field(default_factory=list)
    # (format, args) of the INFO lines logged once the batch has committed.
    log_lines: list[tuple[str, tuple[object, ...]]] = field(default_factory=list, repr=False)

    def log(self) -> None:
        for fmt, args in self.log_lines:
            log.info(fmt, *args)
        log_routed(self.routed)


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def agency_calendar(registry: Registry, agency_id: str) -> WorkCalendar:
    agency = registry.agency(agency_id)
    return WorkCalendar(WorkSchedule(tz=agency.tz, always_open=agency.always_open))


def agency_policy(registry: Registry, agency_id: str) -> SlaPolicy:
    return sla_clock.agency_policy(registry, agency_id)


_COMPLAINTS = cast(Table, Complaint.__table__)
_AUDIT = cast(Table, AuditEntry.__table__)
_OUTBOX = cast(Table, Notification.__table__)
#: What a new complaint's row is written from (the rest take their column defaults).
_NEW_COLUMNS = (
    "comment_pk",
    "owner_id",
    "post_id",
    "comment_id",
    "author_id",
    "agency_id",
    "route_rule",
    "topic",
    "score",
    "reasons",
    "status",
    "created_at",
    "due_at",
    "warn_at",
    "escalate_lead_at",
    "answered_at",
    "answer_comment_pk",
    "response_seconds",
    "business_seconds",
    "otpiska",
    "quality",
    "quality_reasons",
    "closed_at",
    "reopened_at",
    "reopen_count",
    "nudged_at",
    "escalated_at",
    "escalated_lead_at",
    "repeat_of",
)


def _audit_row(
    at: datetime, action: str, complaint_id: int, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": "system",
        "action": action,
        "complaint_id": complaint_id,
        "before": before,
        "after": after,
    }


def _ref(row: Comment | CommentEvent) -> CommentRef:
    return CommentRef(
        row.owner_id,
        row.post_id,
        row.comment_id,
        row.from_id,
        row.thread_id,
        row.reply_to_comment,
        row.reply_to_user,
    )


@dataclass
class _Tracked:
    """A complaint on one of the batch's posts, as answers and follow-ups need it."""

    complaint: Complaint
    target: CommentRef  # its comment
    text: str  # its comment's current text (rated against an answer)


@dataclass
class _Created:
    complaint: Complaint
    route: Route
    verdict: Classification
    query_text: str  # the new comment's text
    stored_text: str  # its stored comment's current text (an edit in the batch shows here)
    history: bool = False  # written before its page's first look (``alert_history_hours``)


@dataclass
class _Op:
    """Something the batch decided, written once the new complaints have ids (event order)."""

    kind: str  # "created" | "answered" | "reopened" | "resume" | "deleted" | "restored"
    complaint: Complaint
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    update_event: str = ""  # the alert refresh it causes ("answered", "reopened1", ...)
    created: _Created | None = None


@dataclass
class _BatchState:
    """The complaints on the batch's posts, kept current while the batch is decided."""

    by_post: dict[tuple[int, int], list[_Tracked]]
    ops: list[_Op] = field(default_factory=list)
    created: list[_Created] = field(default_factory=list)
    texts: dict[int, str] = field(default_factory=dict)  # comment pk -> text edited in batch
    deleted: dict[int, datetime] = field(default_factory=dict)  # comment pk -> when (batch)
    restored: set[int] = field(default_factory=set)  # comment pks back after a deletion


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
        on_committed: Callable[[IngestResult], None] | None = None,
        alert_history_hours: float = 0.0,
    ) -> None:
        """``on_committed`` sees each batch's result once its transaction has committed
        (metrics count what was stored, not what a rolled-back attempt would have).

        ``alert_history_hours``: comments written up to so many hours before their page's
        first look are complaints (alerted if unanswered); older ones are history.  A page
        with no first look stored yet gets this ingestor's start: Otklik began watching then.

        Repeats use :func:`matcher.followup.similarity` (its index in ``complaint_keys`` is
        exact for that definition only)."""
        self.registry = registry
        self.clock = clock
        self.classify = classify
        self.rate_answer = rate_answer
        self.persists = persists
        self.on_committed = on_committed
        self._calendars = {a.id: agency_calendar(registry, a.id) for a in registry.agencies}
        self._policies = {a.id: agency_policy(registry, a.id) for a in registry.agencies}
        self._pages: dict[int, Page | None] = {}
        self._responders: dict[int, Responders] = {}
        self._routes: dict[tuple[int, Topic], Route | None] = {}
        self._cached_for: Registry | None = None
        self._key_stats = KeyStats()  # which repeat keys are common here (a cost heuristic)
        self.alert_history = timedelta(hours=alert_history_hours)
        self.started_at = clock.now()
        self._first_looks: dict[int, datetime] = {}  # group id -> first look (never changes)

    # ------------------------------------------------------------------ registry look-ups

    def _check_cache(self) -> None:
        if self._cached_for is not self.registry:
            self._pages, self._responders, self._routes = {}, {}, {}
            self._cached_for = self.registry

    def _page(self, group_id: int) -> Page | None:
        if group_id not in self._pages:
            self._pages[group_id] = self.registry.page(group_id)
        return self._pages[group_id]

    def _responders_of(self, group_id: int) -> Responders:
        found = self._responders.get(group_id)
        if found is None:
            found = self._responders[group_id] = responders_for(self.registry, group_id)
        return found

    def _route(self, group_id: int, topic: Topic) -> Route | None:
        if (group_id, topic) not in self._routes:
            self._routes[(group_id, topic)] = route(self.registry, group_id, topic)
        return self._routes[(group_id, topic)]

    # ------------------------------------------------------------------ the batch

    async def ingest(self, session: AsyncSession, batch: Batch) -> IngestResult:
        self._check_cache()
        result = IngestResult()
        for post in batch.posts:
            await self._upsert_post(session, post)
        new: list[tuple[CommentEvent, int]] = []
        run: list[CommentEvent] = []  # consecutive new comments: one INSERT for all of them
        edits: dict[int, tuple[str, str]] = {}  # comment pk -> (text before, text after)
        deleted: dict[int, datetime] = {}
        restored: set[int] = set()
        for ev in sorted(batch.comments, key=lambda e: (e.created_at, e.comment_id)):
            if ev.change is CommentChange.NEW:
                run.append(ev)
                continue
            new.extend(await self._insert_comments(session, run, restored))
            run = []
            await self._apply_change(session, ev, edits, deleted, restored)
        new.extend(await self._insert_comments(session, run, restored))
        result.new_comments = len(new)
        # Repeats compare with comments' current texts, so edited complaints are re-listed.
        await reindex_edited(session, edits)
        await self._load_first_looks(session, {-ev.owner_id for ev, _ in new})
        state = await self._load_state(session, new, edits)
        state.deleted, state.restored = deleted, restored
        for ev, pk in new:
            self._decide(ev, pk, state, result)
        await self._deletions(session, state)
        await self._write(session, state, result)
        report = self.on_committed

        def committed(_s: object) -> None:
            result.log()
            if report is not None:
                report(result)

        event.listen(session.sync_session, "after_commit", committed, once=True)
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
        self, session: AsyncSession, events: list[CommentEvent], restored: set[int]
    ) -> list[tuple[CommentEvent, int]]:
        """Insert new comments with one statement per chunk; returns those that were new
        (``ON CONFLICT DO NOTHING``: a comment already stored is skipped), in input order.

        A stored comment marked deleted that is read again was restored (polling sees a
        restore only so): it is marked back and its pk added to ``restored``."""
        out: list[tuple[CommentEvent, int]] = []
        if not events:
            return out
        now = self.clock.now()
        unique: dict[tuple[int, int, int], CommentEvent] = {}
        for ev in events:
            unique.setdefault((ev.owner_id, ev.post_id, ev.comment_id), ev)
        evs = list(unique.values())
        # One cached statement run over all rows ("insertmanyvalues": a multi-row INSERT per
        # chunk), rather than a new multi-VALUES statement compiled for every batch.
        stmt = (
            _insert(session)(Comment.__table__)
            .on_conflict_do_nothing(index_elements=["owner_id", "post_id", "comment_id"])
            .returning(Comment.id, Comment.owner_id, Comment.post_id, Comment.comment_id)
        )
        for i in range(0, len(evs), INSERT_CHUNK):
            chunk = evs[i : i + INSERT_CHUNK]
            rows = [self._comment_row(ev, now) for ev in chunk]
            pks = {(o, p, c): pk for pk, o, p, c in (await session.execute(stmt, rows)).all()}
            known: set[tuple[int, int, int]] = set()
            for ev in chunk:
                pk = pks.get((ev.owner_id, ev.post_id, ev.comment_id))
                if pk is not None:
                    out.append((ev, int(pk)))
                else:
                    known.add((ev.owner_id, ev.post_id, ev.comment_id))
            if known:
                await self._restore_known(session, known, restored)
        return out

    async def _restore_known(
        self, session: AsyncSession, known: set[tuple[int, int, int]], restored: set[int]
    ) -> None:
        """Of comments read again, those stored as deleted are back (one query: deleted
        comments on these posts are few)."""
        owners = sorted({o for o, _, _ in known})
        posts = sorted({p for _, p, _ in known})
        back: list[int] = []
        for i in range(0, len(posts), IN_CHUNK):
            rows = await session.execute(
                select(Comment.id, Comment.owner_id, Comment.post_id, Comment.comment_id).where(
                    Comment.deleted.is_(True),
                    Comment.owner_id.in_(owners),
                    Comment.post_id.in_(posts[i : i + IN_CHUNK]),
                )
            )
            back.extend(int(pk) for pk, o, p, c in rows.all() if (o, p, c) in known)
        if back:
            await session.execute(
                update(Comment).where(Comment.id.in_(back)).values(deleted=False)
            )
            restored.update(back)

    async def _apply_change(
        self,
        session: AsyncSession,
        ev: CommentEvent,
        edits: dict[int, tuple[str, str]],
        deleted: dict[int, datetime],
        restored: set[int],
    ) -> None:
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
            before = edits[row.id][0] if row.id in edits else row.text
            row.text, row.edited_at = ev.text, self.clock.now()
            edits[row.id] = (before, ev.text)
        elif ev.change is CommentChange.DELETE:
            # Its complaint is closed once the batch is decided (``_deletions``).
            row.deleted = True
            deleted[row.id] = ev.created_at  # when the deletion was seen
            restored.discard(row.id)
        elif ev.change is CommentChange.RESTORE:
            row.deleted = False
            restored.add(row.id)
            deleted.pop(row.id, None)

    async def _load_first_looks(self, session: AsyncSession, groups: set[int]) -> None:
        """When Otklik first looked at each of ``groups`` (cached: it never changes).  A page
        with none stored gets this ingestor's start; it is read back, not cached, next time
        (another process may have stamped it first)."""
        missing = sorted(g for g in groups if g not in self._first_looks)
        if not missing:
            return
        unset: list[int] = []
        for i in range(0, len(missing), IN_CHUNK):
            rows = await session.execute(
                select(PageRow.group_id, PageRow.first_look_at).where(
                    PageRow.group_id.in_(missing[i : i + IN_CHUNK])
                )
            )
            for gid, at in rows.all():
                if at is None:
                    unset.append(int(gid))
                else:
                    self._first_looks[int(gid)] = at
        for i in range(0, len(unset), IN_CHUNK):
            await session.execute(
                update(PageRow)
                .where(
                    PageRow.group_id.in_(unset[i : i + IN_CHUNK]),
                    PageRow.first_look_at.is_(None),
                )
                .values(first_look_at=self.started_at)
                .execution_options(synchronize_session=False)
            )

    def first_look(self, group_id: int) -> datetime:
        """The page's first look (this ingestor's start when none is stored)."""
        return self._first_looks.get(group_id, self.started_at)

    async def _load_state(
        self,
        session: AsyncSession,
        new: list[tuple[CommentEvent, int]],
        edits: dict[int, tuple[str, str]],
    ) -> _BatchState:
        """Read, in one query, the complaints of the batch's posts that its new comments may
        answer (open, unanswered) or follow up on (by their authors), with their comments."""
        posts = {(ev.owner_id, ev.post_id) for ev, _ in new if self._page(-ev.owner_id)}
        authors = sorted({ev.from_id for ev, _ in new if ev.from_id > 0})
        state = _BatchState(by_post={p: [] for p in posts})
        state.texts = {pk: after for pk, (_, after) in edits.items()}
        if not posts:
            return state
        owners = sorted({o for o, _ in posts})
        post_ids = sorted({p for _, p in posts})
        for i in range(0, len(post_ids), IN_CHUNK):
            rows = await session.execute(
                select(Complaint, Comment)
                .join(Comment, Comment.id == Complaint.comment_pk)
                .where(
                    Complaint.owner_id.in_(owners),
                    Complaint.post_id.in_(post_ids[i : i + IN_CHUNK]),
                    or_(
                        Complaint.author_id.in_(authors),
                        and_(
                            Complaint.status.in_(OPEN_STATUSES),
                            Complaint.answered_at.is_(None),
                        ),
                    ),
                )
                .order_by(Complaint.id)
            )
            for complaint, comment in rows.all():
                tracked = state.by_post.get((complaint.owner_id, complaint.post_id))
                if tracked is not None:
                    tracked.append(_Tracked(complaint, _ref(comment), comment.text))
        for tracked in state.by_post.values():
            tracked.sort(key=lambda t: t.complaint.id)
        return state

    # ------------------------------------------------------------------ decisions

    def _decide(self, ev: CommentEvent, pk: int, state: _BatchState, result: IngestResult) -> None:
        """One new comment, in event order, against the batch's current complaints."""
        group_id = -ev.owner_id
        if self._page(group_id) is None or pk in state.deleted:
            return  # not ours, or written and deleted before we read it: stored only
        responders = self._responders_of(group_id)
        if responders.includes(ev.from_id):
            self._record_answer(ev, pk, responders, state)
            return
        if ev.from_id <= 0:
            return  # another community talking: not a resident
        first_look = self.first_look(group_id)
        if ev.created_at < first_look - self.alert_history:
            return  # the page's history: never a complaint, however it was read
        if self._handle_followup(ev, state):
            return
        verdict = self.classify(ev.text)
        result.decisions.append((verdict.needs_answer, str(verdict.topic)))
        if not verdict.needs_answer:
            return
        routed = self._route(group_id, verdict.topic)
        if routed is None:
            return
        due = deadlines(
            ev.created_at, self._policies[routed.agency_id], self._calendars[routed.agency_id]
        )
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
            answered_at=None,
            answer_comment_pk=None,
            response_seconds=None,
            business_seconds=None,
            otpiska=None,
            quality=None,
            quality_reasons=[],
            closed_at=None,
            reopened_at=None,
            reopen_count=0,
            nudged_at=None,
            escalated_at=None,
            escalated_lead_at=None,
            repeat_of=None,
        )
        text = state.texts.get(pk, ev.text)
        created = _Created(
            complaint, routed, verdict, ev.text, text, history=ev.created_at < first_look
        )
        state.created.append(created)
        state.by_post[(ev.owner_id, ev.post_id)].append(_Tracked(complaint, _ref(ev), text))
        state.ops.append(_Op("created", complaint, created=created))

    def _handle_followup(self, ev: CommentEvent, state: _BatchState) -> bool:
        """The author writing again under their own complaint: reopen it if nothing changed.

        Their reply in the complaint's thread, or a new comment on the same post after an
        answer, is a follow-up, never a new complaint.
        """
        tracked = state.by_post.get((ev.owner_id, ev.post_id), [])
        if ev.thread_id is None and ev.reply_to_user is None:
            waiting = next(
                (
                    t.complaint
                    for t in tracked
                    if t.complaint.author_id == ev.from_id
                    and t.complaint.waiting_since is not None
                    and t.complaint.status in OPEN_STATUSES
                ),
                None,
            )
            if waiting is not None:  # the resident's reply to what the official asked
                self._resume(waiting, ev, state)
                return True
            complaint = next(
                (
                    t.complaint
                    for t in tracked
                    if t.complaint.author_id == ev.from_id
                    and t.complaint.answered_at is not None
                    and t.complaint.status in REOPENABLE
                ),
                None,
            )
            if complaint is None or not self.persists(ev.text):
                return False
        else:
            parent = ev.thread_id or ev.reply_to_comment
            complaint = next(
                (
                    t.complaint
                    for t in tracked
                    if t.complaint.comment_id == parent and t.complaint.author_id == ev.from_id
                ),
                None,
            )
            if complaint is None:
                return False
        self._resume(complaint, ev, state)
        if complaint.status in REOPENABLE and self.persists(ev.text):
            self._reopen(complaint, ev, state)
        return True

    def _resume(self, complaint: Complaint, ev: CommentEvent, state: _BatchState) -> None:
        """The author wrote while the complaint waited on them: its clock runs again."""
        change = sla_clock.resume_for_resident(complaint, ev.created_at, self.registry)
        if change is not None:
            before, after = change
            state.ops.append(
                _Op("resume", complaint, before=before, after=after, update_event="resume")
            )

    def _reopen(self, complaint: Complaint, ev: CommentEvent, state: _BatchState) -> None:
        """A new clock for the update the author is still waiting for (product.md §2.7)."""
        before = {"status": complaint.status, "answered_at": _iso(complaint.answered_at)}
        due = deadlines(
            ev.created_at,
            self._policies[complaint.agency_id],
            self._calendars[complaint.agency_id],
            kind="update",
        )
        complaint.status = ComplaintStatus.OPEN
        complaint.reopened_at = ev.created_at
        complaint.reopen_count = (complaint.reopen_count or 0) + 1
        complaint.answered_at = None
        complaint.answer_comment_pk = None
        complaint.closed_at = None
        complaint.due_at, complaint.warn_at = due.due_at, due.warn_at
        complaint.escalate_lead_at = due.escalate_lead_at
        complaint.nudged_at = complaint.escalated_at = complaint.escalated_lead_at = None
        sla_clock.start_new_clock(complaint)
        after = {"status": complaint.status, "by_comment": ev.comment_id, "text": ev.text[:200]}
        state.ops.append(
            _Op(
                "reopened",
                complaint,
                before=before,
                after=after,
                update_event=f"reopened{complaint.reopen_count}",
            )
        )

    def _record_answer(
        self, ev: CommentEvent, pk: int, responders: Responders, state: _BatchState
    ) -> None:
        reply = _ref(ev)
        for t in state.by_post.get((ev.owner_id, ev.post_id), []):
            complaint = t.complaint
            if complaint.status not in OPEN_STATUSES or complaint.answered_at is not None:
                continue
            if not answers(reply, t.target, responders) or ev.created_at < complaint.created_at:
                continue
            before = {"status": complaint.status}
            calendar_s, working_s = sla_clock.answer_times(
                complaint, ev.created_at, self._calendars[complaint.agency_id]
            )
            rating = self.rate_answer(t.text, ev.text)
            complaint.status = ComplaintStatus.ANSWERED
            complaint.answered_at = ev.created_at
            complaint.answer_comment_pk = pk
            complaint.response_seconds = calendar_s
            complaint.business_seconds = working_s
            complaint.otpiska = rating.otpiska
            complaint.quality = rating.quality
            complaint.quality_reasons = list(rating.reasons)
            after = {
                "status": complaint.status,
                "answer_comment": ev.comment_id,
                "response_seconds": calendar_s,
                "otpiska": rating.otpiska,
            }
            state.ops.append(
                _Op("answered", complaint, before=before, after=after, update_event="answered")
            )

    async def _deletions(self, session: AsyncSession, state: _BatchState) -> None:
        """Close the complaints of comments deleted in the batch (``deleted``: the comment no
        longer exists, so nobody is to answer it) and bring back those of restored ones."""
        for pks, statuses, kind in (
            (sorted(state.deleted), CLOSED_BY_DELETION, "deleted"),
            (sorted(state.restored), (ComplaintStatus.DELETED,), "restored"),
        ):
            for i in range(0, len(pks), IN_CHUNK):
                rows = await session.execute(
                    select(Complaint)
                    .where(
                        Complaint.comment_pk.in_(pks[i : i + IN_CHUNK]),
                        Complaint.status.in_(statuses),
                    )
                    .order_by(Complaint.id)
                )
                for complaint in rows.scalars():
                    if kind == "deleted":
                        self._close_deleted(complaint, state.deleted[complaint.comment_pk], state)
                    else:
                        self._restore(complaint, state)

    def _close_deleted(self, c: Complaint, at: datetime, state: _BatchState) -> None:
        """«Комментарий удалён»: closed, its clocks stop (a wait on the resident ends here)."""
        before = {"status": c.status}
        if c.waiting_since is not None:
            sla_clock.end_wait(c, at, sla_clock.agency_calendar(self.registry, c.agency_id))
        c.status = ComplaintStatus.DELETED
        c.closed_at = at
        after = {"status": c.status, "comment": c.comment_id}
        state.ops.append(_Op("deleted", c, before=before, after=after, update_event="deleted"))

    def _restore(self, c: Complaint, state: _BatchState) -> None:
        """The resident restored the comment: the complaint is as it was before the deletion
        (its deadlines never moved, so a breach meanwhile is escalated now)."""
        if c.answered_at is not None:
            c.status = ComplaintStatus.ANSWERED
        else:
            c.status = ComplaintStatus.IN_WORK if c.taken_by else ComplaintStatus.OPEN
        c.closed_at = None
        after = {"status": c.status, "comment": c.comment_id}
        state.ops.append(
            _Op(
                "restored",
                c,
                before={"status": ComplaintStatus.DELETED.value},
                after=after,
                update_event="restored",
            )
        )

    # ------------------------------------------------------------------ writing

    async def _write(
        self, session: AsyncSession, state: _BatchState, result: IngestResult
    ) -> None:
        """Repeats, then one INSERT for all new complaints, then their index keys, the audit
        entries and the outbox rows (each one executemany), in event order."""
        created = state.created
        items = [
            NewComplaint(
                author_id=c.complaint.author_id,
                topic=c.complaint.topic,
                created_at=c.complaint.created_at,
                query_text=c.query_text,
                stored_text=c.stored_text,
            )
            for c in created
        ]
        await find_repeats(session, items, self._key_stats)
        for c, it in zip(created, items, strict=True):
            c.complaint.repeat_of = it.repeat_of
        if created:
            # The new complaints are plain objects while the batch is decided (answers and
            # follow-ups in the batch change them); stored here as they ended up, in one
            # INSERT ... RETURNING whose ids come back in the rows' order.
            # (Matched by comment_pk, which is unique: RETURNING needs no row order then, and
            # SQLite gets one multi-row INSERT instead of one per row.)
            stmt = insert(_COMPLAINTS).returning(_COMPLAINTS.c.id, _COMPLAINTS.c.comment_pk)
            rows = [{k: getattr(c.complaint, k) for k in _NEW_COLUMNS} for c in created]
            ids = {int(pk): int(cid) for cid, pk in (await session.execute(stmt, rows)).all()}
            for c in created:
                c.complaint.id = ids[c.complaint.comment_pk]
            later = [
                {"cid": c.complaint.id, "target": created[it.repeat_of_new].complaint.id}
                for c, it in zip(created, items, strict=True)
                if it.repeat_of_new is not None
            ]
            if later:  # repeats of a complaint created earlier in this very batch
                await session.execute(
                    _COMPLAINTS.update()
                    .where(_COMPLAINTS.c.id == bindparam("cid"))
                    .values(repeat_of=bindparam("target")),
                    later,
                )
            for c, it in zip(created, items, strict=True):
                if it.repeat_of_new is not None:
                    c.complaint.repeat_of = created[it.repeat_of_new].complaint.id
                if c.complaint.repeat_of is not None:
                    result.repeats += 1
            await add_keys(
                session, [row for c in created for row in key_rows(c.complaint.id, c.stored_text)]
            )
        officials = await self._officials_by_agency(session, {c.route.agency_id for c in created})
        # History within ``alert_history_hours``: alerted only if still unanswered.
        withheld = {
            c.complaint.id
            for c in created
            if c.history and not sla_clock.awaiting_answer(c.complaint)
        }
        recipients = await self._alert_recipients(session, state, officials, withheld)
        unreached: list[Complaint] = []  # new (or restored) complaints to check for officials
        now = self.clock.now()
        stamp = int(now.timestamp() * 1000)
        audit: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        queued: set[str] = set()

        def notify(key: str, chat_id: int, kind: str, complaint_id: int) -> None:
            # The row ``storage.outbox.enqueue`` adds (status and attempts: column defaults).
            outbox.append(
                {
                    "dedupe_key": key,
                    "chat_id": chat_id,
                    "kind": kind,
                    "complaint_id": complaint_id,
                    "payload": {},
                    "created_at": now,
                    "next_attempt_at": now,
                }
            )

        for op in state.ops:
            complaint = op.complaint
            if op.kind == "created":
                assert op.created is not None
                silent = complaint.id in withheld
                after: dict[str, Any] = {
                    "topic": complaint.topic,
                    "agency": complaint.agency_id,
                    "rule": op.created.route.rule,
                    "reasons": list(op.created.verdict.reasons),
                }
                if op.created.history:
                    after["history"] = True
                audit.append(_audit_row(now, "complaint_created", complaint.id, {}, after))
                result.new_complaints.append(complaint.id)
                result.log_lines.append(
                    (
                        "complaint %s created: page %s post %s comment %s, agency %s, topic %s%s",
                        (
                            complaint.id,
                            -complaint.owner_id,
                            complaint.post_id,
                            complaint.comment_id,
                            complaint.agency_id,
                            complaint.topic,
                            " (history, answered: not alerted)"
                            if silent
                            else " (history)"
                            if op.created.history
                            else "",
                        ),
                    )
                )
                if silent:
                    continue
                # Officials come from the database: registry people and those who joined by
                # invite (as ``storage.actions.officials_of``, read once per batch).
                for official in officials.get(complaint.agency_id, []):
                    chat_id = official.telegram_id
                    notify(f"alert:{complaint.id}:{chat_id}", chat_id, "alert", complaint.id)
                    result.notifications += 1
                unreached.append(complaint)
                continue
            audit.append(_audit_row(now, op.kind, complaint.id, op.before, op.after))
            # The refresh of every card that shows the complaint (``enqueue_alert_update``).
            for chat_id in recipients.get(complaint.id, []):
                key = f"update:{op.update_event}:{complaint.id}:{chat_id}:{stamp}"
                if key not in queued:  # the same refresh twice in one batch: once is enough
                    queued.add(key)
                    notify(key, chat_id, "update", complaint.id)
            self._note(op, result)
            if op.kind == "restored":
                unreached.append(complaint)
        await session.flush()  # answered and reopened complaints read from the database
        if audit:
            await session.execute(insert(_AUDIT), audit)
        if outbox:
            await session.execute(insert(_OUTBOX), outbox)
        # Nobody would hear of these: the moderators in charge do, at once (issue 11).
        result.routed = await route_unreached(session, unreached, now, officials=officials)
        result.notifications += sum(len(r.chats) for r in result.routed)

    @staticmethod
    def _note(op: _Op, result: IngestResult) -> None:
        """A change of a stored complaint, in the result and its log lines."""
        c = op.complaint
        if op.kind == "answered":
            result.answered.append(c.id)
            result.log_lines.append(
                (
                    "complaint %s answered by comment %s after %s s (otpiska: %s)",
                    (c.id, op.after.get("answer_comment"), c.response_seconds, c.otpiska),
                )
            )
        elif op.kind == "reopened":
            result.reopened.append(c.id)
            result.log_lines.append(
                ("complaint %s reopened by comment %s", (c.id, op.after.get("by_comment")))
            )
        elif op.kind == "deleted":
            result.deleted.append(c.id)
            result.log_lines.append(
                ("complaint %s closed: its comment %s was deleted", (c.id, c.comment_id))
            )
        elif op.kind == "restored":
            result.restored.append(c.id)
            result.log_lines.append(
                ("complaint %s back as %s: comment %s restored", (c.id, c.status, c.comment_id))
            )

    async def _officials_by_agency(
        self, session: AsyncSession, agencies: set[str]
    ) -> dict[str, list[OfficialState]]:
        """Active officials of each agency, by telegram id, with whether they can be reached
        now (one query for the batch)."""
        if not agencies:
            return {}
        return await officials_by_agency(session, agencies)

    async def _alert_recipients(
        self,
        session: AsyncSession,
        state: _BatchState,
        officials: dict[str, list[OfficialState]],
        withheld: set[int],
    ) -> dict[int, list[int]]:
        """Everyone shown the card of a complaint answered or reopened in this batch (as
        ``storage.outbox.alert_recipients``): its alerts and opened cards, for all in one
        query each.  A complaint created in this batch is shown to its alerted officials
        (none for one ``withheld``: answered history, never alerted)."""
        touched = {op.complaint.id for op in state.ops if op.kind != "created"}
        if not touched:
            return {}
        new_ids = {c.complaint.id: c.route.agency_id for c in state.created}
        found: dict[int, set[int]] = defaultdict(set)
        for cid, agency in new_ids.items():
            if cid in touched and cid not in withheld:
                found[cid].update(o.telegram_id for o in officials.get(agency, []))
        stored = sorted(touched - new_ids.keys())
        for i in range(0, len(stored), IN_CHUNK):
            chunk = stored[i : i + IN_CHUNK]
            alerts = await session.execute(
                select(Notification.complaint_id, Notification.chat_id).where(
                    Notification.complaint_id.in_(chunk), Notification.kind == "alert"
                )
            )
            shown = await session.execute(
                select(AlertMessage.complaint_id, AlertMessage.chat_id).where(
                    AlertMessage.complaint_id.in_(chunk)
                )
            )
            for alert_cid, chat_id in alerts.all():
                if alert_cid is not None:
                    found[int(alert_cid)].add(int(chat_id))
            for shown_cid, chat_id in shown.all():
                found[int(shown_cid)].add(int(chat_id))
        return {cid: sorted(chats) for cid, chats in found.items()}
