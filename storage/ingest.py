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
  of the last N hours before the first look are complaints, alerted if still unanswered.  The
  first look is stamped by the first batch that stores anything of the page (its posts, at
  the collector's first look) or says it was looked at (``Batch.looked``: an empty wall), in
  that batch's transaction, so it survives a restart that comes before the page's first
  comment is read.  A page never looked at (unreachable, its token dead) gets none.
* Deletions.  A deleted comment closes its complaint as ``deleted`` (no clock runs, the cards
  say so, a moderator may reopen it); a restored comment (Long Poll ``wall_reply_restore``, or
  the comment reappearing in a re-read) brings it back as it was.
* Nobody to tell.  A new complaint whose agency no official hears from goes to the
  moderators at once (:mod:`storage.orphans`).
* Edits (product.md §2.7).  An edited comment is re-classified once per change of its text
  (the same edit seen again, by a re-read and by Long Poll, changes nothing).  A resident's
  comment with no complaint is decided as a new one would be (history, the page's words and
  follow-ups stay what they are); if it now needs an answer it becomes a complaint whose
  clock starts when the edit was seen, alerted like any new one.  A complaint's edit refreshes
  every card that shows it and the complaint follows its text: the topic (re-routed too while
  it waits for an answer, if nobody took it or routed it by hand) and urgency (the moderators
  told; while it waits, the urgent clock from its start); words that need no answer any more
  do not close it, the moderators are told and decide.  An edited answer is rated again.  An
  edit of a comment never stored is that comment, decided as new.
* One INFO line per complaint created, answered, reopened, closed by a deletion, restored,
  re-classified after an edit or routed to the moderators, once the batch has committed
  (ids only).

Issue 12: an urgent complaint (the matcher's ``urgent``, with its reasons) is stored as such,
runs its clocks round the clock on the agency's urgent target, and its moderators are told
at once beside its officials (one notice if nobody else hears of it).

Issue 14: a reopen (the author writes that nothing changed) keeps the first answer and its
figures; the reopen runs a clock of its own whose answer is stored apart
(``storage.sla_clock.reopen_clock``, ``record_answer``), as /reopen does.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from html import escape
from typing import Any, cast

from sqlalchemy import Table, bindparam, event, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import texts
from bot.core.render import excerpt, vk_comment_url
from collectors.events import Batch, CommentChange, CommentEvent, PostEvent
from config.clock import Clock
from config.registry import Page, Registry
from matcher.answers import CommentRef, Responders, answers, responders_for
from matcher.classifier import Classification
from matcher.followup import NEAR_DUPLICATE, asks_again, is_persisting_problem
from matcher.quality import AnswerRating
from matcher.routing import Route, route
from matcher.sla import SlaPolicy, deadlines, round_the_clock, urgent_policy
from matcher.topics import Topic
from matcher.workcalendar import WorkCalendar, WorkSchedule
from storage import sla_clock
from storage.db import dialect_insert
from storage.models import (
    Agency,
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
from storage.orphans import (
    EXCERPT,
    OfficialState,
    Routed,
    load_watchers,
    log_routed,
    officials_by_agency,
    route_unreached,
)
from storage.outbox import enqueue
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
# posts whose classified text the ingest keeps (a post is read with each batch of its comments)
POST_VERDICTS_KEPT = 4096


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
    # Complaints whose comment (or answer) was edited: their cards show the new text.
    edited: list[int] = field(default_factory=list)
    # (format, args) of the INFO lines logged once the batch has committed.
    log_lines: list[tuple[str, tuple[object, ...]]] = field(default_factory=list, repr=False)

    def log(self) -> None:
        for fmt, args in self.log_lines:
            log.info(fmt, *args)
        log_routed(self.routed)


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
    "urgent",
    "urgent_reasons",
    "status",
    "created_at",
    "due_at",
    "first_due_at",
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


def _pages_of(batch: Batch) -> set[int]:
    """The group ids of every page ``batch`` has something of (posts, comments, reads) or
    looked at (an empty wall stores nothing, but it was looked at)."""
    owners = {p.owner_id for p in batch.posts} | {ev.owner_id for ev in batch.comments}
    owners.update(owner for owner, _, _ in batch.baselines)
    return {-owner for owner in owners} | set(batch.looked)


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
    from_edit: bool = False  # a stored comment edited into a complaint (its clock: the edit)


@dataclass
class _Op:
    """Something the batch decided, written once the new complaints have ids (event order)."""

    # "created" | "answered" | "reopened" | "resume" | "deleted" | "restored" |
    # "comment_edited" | "answer_edited" (also the audit entry's action, but "created")
    kind: str
    complaint: Complaint
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    update_event: str = ""  # the alert refresh it causes ("answered", "reopened1", ...)
    created: _Created | None = None
    # An edit of the complaint's comment: routed to another agency, made urgent, or turned
    # into words that need no answer while it still waits for one (the moderators decide).
    rerouted: bool = False
    urgent_now: bool = False
    not_complaint: bool = False
    comment: Comment | None = None  # the edited comment (the moderators' notice quotes it)


@dataclass
class _BatchState:
    """The complaints on the batch's posts, kept current while the batch is decided."""

    by_post: dict[tuple[int, int], list[_Tracked]]
    ops: list[_Op] = field(default_factory=list)
    created: list[_Created] = field(default_factory=list)
    texts: dict[int, str] = field(default_factory=dict)  # comment pk -> text edited in batch
    deleted: dict[int, datetime] = field(default_factory=dict)  # comment pk -> when (batch)
    restored: set[int] = field(default_factory=set)  # comment pks back after a deletion
    posts: dict[tuple[int, int], str] = field(default_factory=dict)  # (owner, post) -> text


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
        # Urgent complaints' clocks: the agency's urgent targets, round the clock (issue 12).
        self._urgent_calendars = {a: round_the_clock(c) for a, c in self._calendars.items()}
        self._urgent_policies = {a: urgent_policy(p) for a, p in self._policies.items()}
        self._pages: dict[int, Page | None] = {}
        self._responders: dict[int, Responders] = {}
        self._routes: dict[tuple[int, Topic], Route | None] = {}
        self._cached_for: Registry | None = None
        self._key_stats = KeyStats()  # which repeat keys are common here (a cost heuristic)
        self.alert_history = timedelta(hours=alert_history_hours)
        self.started_at = clock.now()
        self._first_looks: dict[int, datetime] = {}  # group id -> first look (never changes)
        # (owner, post) -> the post's text and its verdict: the topic a comment under it that
        # names no subject of its own takes (``Classification.under_post``)
        self._post_verdicts: dict[tuple[int, int], tuple[str, Classification]] = {}

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

    def _clock(self, agency_id: str, urgent: bool) -> tuple[SlaPolicy, WorkCalendar]:
        """A complaint's SLA targets and calendar (``storage.sla_clock.clock_policy``)."""
        if urgent:
            return self._urgent_policies[agency_id], self._urgent_calendars[agency_id]
        return self._policies[agency_id], self._calendars[agency_id]

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
            if await self._apply_change(session, ev, edits, deleted, restored):
                # An edit (or restore) of a comment never stored: a comment missed until now,
                # decided like any new one.
                run.append(replace(ev, change=CommentChange.NEW))
        new.extend(await self._insert_comments(session, run, restored))
        await self._baselines(session, batch, new, edits, deleted, restored)
        result.new_comments = len(new)
        # Repeats compare with comments' current texts, so edited complaints are re-listed.
        await reindex_edited(session, edits)
        # Every page the batch touches, not only those with new comments: the first look's
        # batch (posts, no comments yet) must stamp it, or a restart before a page's first
        # comment was stored took the new start for the first look, and every comment
        # written meanwhile for history (the soak, seed 11: two complaints lost).
        await self._load_first_looks(session, _pages_of(batch))
        state = await self._load_state(session, new, edits)
        state.deleted, state.restored = deleted, restored
        # Edits first: they were seen now, after every new comment of the batch was written
        # (so a follow-up in the batch finds a complaint an edit made).
        await self._decide_edits(session, edits, {pk for _, pk in new}, state, result)
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
        ins = dialect_insert(session)(Post).values(
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
            dialect_insert(session)(Comment.__table__)
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
    ) -> bool:
        """Apply an edit, deletion or restore to the stored comment.  True when the comment
        was never stored and the event carries it whole (an edit or a restore): the caller
        takes it as a new comment."""
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
            return ev.change in (CommentChange.EDIT, CommentChange.RESTORE) and ev.from_id != 0
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
        return False

    async def _baselines(
        self,
        session: AsyncSession,
        batch: Batch,
        new: list[tuple[CommentEvent, int]],
        edits: dict[int, tuple[str, str]],
        deleted: dict[int, datetime],
        restored: set[int],
    ) -> None:
        """Posts read in full with nothing of them in the collector's memory (the first read
        after a start): a stored live comment missing from the read was deleted while Otklik
        was not looking, and one read with another text was edited meanwhile.  Without this
        the first read would silently become the new baseline (issue 11)."""
        if not batch.baselines:
            return
        fresh = {pk for _, pk in new}
        read = {
            (ev.owner_id, ev.post_id, ev.comment_id): ev
            for ev in batch.comments
            if ev.change is CommentChange.NEW
        }
        for owner_id, post_id, live in batch.baselines:
            rows = (
                await session.execute(
                    select(Comment.id, Comment.comment_id, Comment.text).where(
                        Comment.owner_id == owner_id,
                        Comment.post_id == post_id,
                        Comment.deleted.is_(False),
                    )
                )
            ).all()
            for pk, comment_id, stored_text in rows:
                if pk in fresh:
                    continue
                if comment_id not in live:
                    gone = CommentEvent(
                        owner_id, post_id, comment_id, 0, "", self.clock.now(),
                        change=CommentChange.DELETE,
                    )  # fmt: skip
                    await self._apply_change(session, gone, edits, deleted, restored)
                    continue
                ev = read.get((owner_id, post_id, comment_id))
                if ev is not None and ev.text != stored_text and pk not in edits:
                    edit = replace(ev, change=CommentChange.EDIT)
                    await self._apply_change(session, edit, edits, deleted, restored)

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
        await self._load_posts(session, posts, state)
        owners = sorted({o for o, _ in posts})
        post_ids = sorted({p for _, p in posts})
        for i in range(0, len(post_ids), IN_CHUNK):
            rows = await session.execute(
                select(Complaint, Comment)
                .join(Comment, Comment.id == Complaint.comment_pk)
                .where(
                    Complaint.owner_id.in_(owners),
                    Complaint.post_id.in_(post_ids[i : i + IN_CHUNK]),
                    # Open ones wait for an answer (a reopened one has its first answer).
                    or_(Complaint.author_id.in_(authors), Complaint.status.in_(OPEN_STATUSES)),
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

    @staticmethod
    async def _load_posts(
        session: AsyncSession, posts: set[tuple[int, int]], state: _BatchState
    ) -> None:
        """The texts of these posts (as stored, with this batch's), for the comments under them."""
        owners = sorted({o for o, _ in posts})
        post_ids = sorted({p for _, p in posts})
        for i in range(0, len(post_ids), IN_CHUNK):
            rows = await session.execute(
                select(Post.owner_id, Post.post_id, Post.text).where(
                    Post.owner_id.in_(owners), Post.post_id.in_(post_ids[i : i + IN_CHUNK])
                )
            )
            state.posts.update(
                ((int(o), int(p)), text) for o, p, text in rows.all() if (o, p) in posts and text
            )

    def _under_post(
        self, verdict: Classification, c: Comment | CommentEvent, state: _BatchState
    ) -> Classification:
        """The verdict on a comment read under its post: one that names no subject, or is
        unsure of it, takes the post's clear topic («Сколько по времени ремонт?» under a post
        about a bridge closed for repair goes to the roads).  A reply is read in its thread
        instead.  Only the texts decide, never when the post was read."""
        key = (c.owner_id, c.post_id)
        text = state.posts.get(key)
        if not verdict.needs_answer or not text or c.thread_id or c.reply_to_comment:
            return verdict
        known = self._post_verdicts.get(key)
        if known is None or known[0] != text:
            if len(self._post_verdicts) >= POST_VERDICTS_KEPT:
                self._post_verdicts.clear()
            known = self._post_verdicts[key] = (text, self.classify(text))
        return verdict.under_post(known[1])

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
        # The comment as it reads now: an edit in the same batch counts (Long Poll may bring
        # a comment and its edit together).
        text = state.texts.get(pk, ev.text)
        verdict = self.classify(text)
        result.decisions.append((verdict.needs_answer, str(verdict.topic)))
        if not verdict.needs_answer:
            return
        if not verdict.topic_named and (parent := self._thread_complaint(ev, state)) is not None:
            # a neighbour's «у нас то же самое» under a complaint goes where the complaint went
            verdict = verdict.in_thread_of(Topic(parent.topic))
        else:
            verdict = self._under_post(verdict, ev, state)
        routed = self._route(group_id, verdict.topic)
        if routed is None:
            return
        complaint = self._new_complaint(pk, ev, verdict, routed, ev.created_at)
        created = _Created(
            complaint, routed, verdict, text, text, history=ev.created_at < first_look
        )
        state.created.append(created)
        state.by_post[(ev.owner_id, ev.post_id)].append(_Tracked(complaint, _ref(ev), text))
        state.ops.append(_Op("created", complaint, created=created))

    @staticmethod
    def _thread_complaint(ev: CommentEvent, state: _BatchState) -> Complaint | None:
        """The complaint whose thread (or comment) this reply is under, if it is one."""
        parents = {ev.thread_id, ev.reply_to_comment} - {None}
        if not parents:
            return None
        return next(
            (
                t.complaint
                for t in state.by_post.get((ev.owner_id, ev.post_id), [])
                if t.complaint.comment_id in parents
            ),
            None,
        )

    def _new_complaint(
        self,
        pk: int,
        c: Comment | CommentEvent,
        verdict: Classification,
        routed: Route,
        at: datetime,
    ) -> Complaint:
        """A complaint about comment ``c`` whose clock starts at ``at`` (a plain object:
        ``_write`` inserts it with the batch's others)."""
        due = deadlines(at, *self._clock(routed.agency_id, verdict.urgent))
        return Complaint(
            comment_pk=pk,
            owner_id=c.owner_id,
            post_id=c.post_id,
            comment_id=c.comment_id,
            author_id=c.from_id,
            agency_id=routed.agency_id,
            route_rule=routed.rule,
            topic=verdict.topic.value,
            score=verdict.score,
            reasons=list(verdict.reasons),
            urgent=verdict.urgent,
            urgent_reasons=list(verdict.urgent_reasons),
            status=ComplaintStatus.OPEN,
            created_at=at,
            due_at=due.due_at,
            first_due_at=due.due_at,
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
                    and sla_clock.ever_answered(t.complaint)
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
        if complaint.status in REOPENABLE and self._still_asks(ev.text):
            self._reopen(complaint, ev, state)
        return True

    def _still_asks(self, text: str) -> bool:
        """The author, under the answer, says nothing changed («до сих пор не убрали») or asks
        again («А сроки какие?», «Ну и?»): the answer did not do, a new clock starts.  «Хорошо,
        жду звонка» or «Спасибо» leaves it answered."""
        return self.persists(text) or asks_again(text) or self.classify(text).needs_answer

    def _resume(self, complaint: Complaint, ev: CommentEvent, state: _BatchState) -> None:
        """The author wrote while the complaint waited on them: its clock runs again."""
        change = sla_clock.resume_for_resident(complaint, ev.created_at, self.registry)
        if change is not None:
            before, after = change
            state.ops.append(
                _Op("resume", complaint, before=before, after=after, update_event="resume")
            )

    def _reopen(self, complaint: Complaint, ev: CommentEvent, state: _BatchState) -> None:
        """A new clock for the update the author is still waiting for (product.md §2.7);
        the first answer and its figures stay, as with /reopen."""
        before = {
            "status": complaint.status,
            "answered_at": _iso(complaint.answered_at),
            "due_at": _iso(complaint.due_at),
        }
        sla_clock.reopen_clock(
            complaint, ev.created_at, *self._clock(complaint.agency_id, complaint.urgent)
        )
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
            if not sla_clock.awaiting_answer(complaint):
                continue
            started = sla_clock.running_clock(complaint)[0]
            if not answers(reply, t.target, responders) or ev.created_at < started:
                continue
            before = {"status": complaint.status}
            rating = self.rate_answer(t.text, state.texts.get(pk, ev.text))
            calendar_s, _ = sla_clock.record_answer(
                complaint,
                ev.created_at,
                self._clock(complaint.agency_id, complaint.urgent)[1],
                comment_pk=pk,
                rating=rating,
            )
            after: dict[str, Any] = {
                "status": complaint.status,
                "answer_comment": ev.comment_id,
                "response_seconds": calendar_s,
                "otpiska": rating.otpiska,
            }
            if complaint.reopened_at is not None:
                after["after_reopen"] = complaint.reopen_count
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
            sla_clock.end_wait(c, at, sla_clock.clock_calendar(self.registry, c))
        c.status = ComplaintStatus.DELETED
        c.closed_at = at
        after = {"status": c.status, "comment": c.comment_id}
        state.ops.append(_Op("deleted", c, before=before, after=after, update_event="deleted"))

    def _restore(self, c: Complaint, state: _BatchState) -> None:
        """The resident restored the comment: the complaint is as it was before the deletion
        (its deadlines never moved, so a breach meanwhile is escalated now)."""
        if sla_clock.clock_answered_at(c) is not None:
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

    # ------------------------------------------------------------------ edits

    async def _decide_edits(
        self,
        session: AsyncSession,
        edits: dict[int, tuple[str, str]],
        new_pks: set[int],
        state: _BatchState,
        result: IngestResult,
    ) -> None:
        """Re-classify the comments the batch edited (product.md §2.7).  A comment new in
        the batch is decided by its current text in :meth:`_decide` instead; an edit that
        leaves the text as stored (the same edit seen again, by a re-read and by Long Poll)
        changes nothing, so an edit is acted on once."""
        changed = {
            pk: texts
            for pk, texts in edits.items()
            if texts[0] != texts[1] and pk not in new_pks and pk not in state.deleted
        }
        if not changed:
            return
        pks = sorted(changed)
        rows: list[tuple[Comment, Complaint | None]] = []
        answered: dict[int, list[Complaint]] = defaultdict(list)  # answer's pk -> complaints
        for i in range(0, len(pks), IN_CHUNK):
            chunk = pks[i : i + IN_CHUNK]
            found = await session.execute(
                select(Comment, Complaint)
                .outerjoin(Complaint, Complaint.comment_pk == Comment.id)
                .where(Comment.id.in_(chunk))
                .order_by(Comment.id)
            )
            rows.extend((cm, c) for cm, c in found.all())
            answering = await session.execute(
                select(Complaint)
                .where(
                    or_(
                        Complaint.answer_comment_pk.in_(chunk),
                        Complaint.reopen_answer_comment_pk.in_(chunk),
                    )
                )
                .order_by(Complaint.id)
            )
            for c in answering.scalars():
                for apk in {c.answer_comment_pk, c.reopen_answer_comment_pk} & set(chunk):
                    if apk is not None:
                        answered[apk].append(c)
        await self._load_first_looks(session, {-cm.owner_id for cm, _ in rows})
        own = await self._own_threads(session, [cm for cm, c in rows if c is None])
        await self._load_posts(session, {(cm.owner_id, cm.post_id) for cm, _ in rows}, state)
        for comment, complaint in rows:
            before, after = changed[comment.id]
            if comment.id in answered:
                for c in answered[comment.id]:
                    await self._answer_edited(session, comment, c, after, state)
                continue
            group_id = -comment.owner_id
            if self._page(group_id) is None or comment.deleted:
                continue
            if comment.from_id <= 0 or self._responders_of(group_id).includes(comment.from_id):
                continue  # the page's or an official's words, or another community's
            if complaint is None:
                self._edited_into(comment, after, own, state, result)
            else:
                self._edited_complaint(comment, complaint, before, after, state)

    async def _own_threads(
        self, session: AsyncSession, comments: list[Comment]
    ) -> set[tuple[int, int, int, int]]:
        """(owner, post, comment, author) of the complaints that ``comments`` reply under,
        when their own author wrote them: such a reply is a follow-up, never a complaint."""
        parents = {
            (c.owner_id, c.post_id, parent)
            for c in comments
            if (parent := c.thread_id or c.reply_to_comment) is not None
        }
        if not parents:
            return set()
        owners = sorted({o for o, _, _ in parents})
        posts = sorted({p for _, p, _ in parents})
        ids = sorted({c for _, _, c in parents})
        found: set[tuple[int, int, int, int]] = set()
        for i in range(0, len(ids), IN_CHUNK):
            rows = await session.execute(
                select(
                    Complaint.owner_id,
                    Complaint.post_id,
                    Complaint.comment_id,
                    Complaint.author_id,
                ).where(
                    Complaint.owner_id.in_(owners),
                    Complaint.post_id.in_(posts),
                    Complaint.comment_id.in_(ids[i : i + IN_CHUNK]),
                )
            )
            found.update(
                (int(o), int(p), int(c), int(a))
                for o, p, c, a in rows.all()
                if (o, p, c) in parents
            )
        return found

    def _edited_into(
        self,
        comment: Comment,
        text: str,
        own: set[tuple[int, int, int, int]],
        state: _BatchState,
        result: IngestResult,
    ) -> None:
        """A resident's comment with no complaint was edited: decided as a new comment would
        be (history stays history, a follow-up stays one).  If it now needs an answer it
        becomes a complaint whose clock starts now, when the edit was seen: that is when it
        became one (a reply the page wrote before may have answered the old words)."""
        group_id = -comment.owner_id
        if comment.created_at < self.first_look(group_id) - self.alert_history:
            return  # the page's history: never a complaint, however it changes
        parent = comment.thread_id or comment.reply_to_comment
        key = (comment.owner_id, comment.post_id, parent or 0, comment.from_id)
        if parent is not None and key in own:
            return  # the author adding to their own complaint: its card shows the thread
        verdict = self.classify(text)
        verdict = self._under_post(verdict, comment, state)
        routed = self._route(group_id, verdict.topic) if verdict.needs_answer else None
        if routed is None:
            result.log_lines.append(
                (
                    "comment %s (page %s post %s) edited: re-classified, still no complaint",
                    (comment.comment_id, group_id, comment.post_id),
                )
            )
            return
        complaint = self._new_complaint(comment.id, comment, verdict, routed, self.clock.now())
        created = _Created(complaint, routed, verdict, text, text, from_edit=True)
        state.created.append(created)
        tracked = state.by_post.get((comment.owner_id, comment.post_id))
        if tracked is not None:  # a follow-up later in the batch finds it
            tracked.append(_Tracked(complaint, _ref(comment), text))
        state.ops.append(_Op("created", complaint, created=created))

    def _edited_complaint(
        self,
        comment: Comment,
        c: Complaint,
        old_text: str,
        text: str,
        state: _BatchState,
    ) -> None:
        """A complaint's comment was edited: every card shows the new text, and the
        complaint follows it: its topic (and, if it still waits for an answer, nobody took it
        and no person routed it, its agency), and its urgency (the moderators are told; while
        it waits, the urgent clock runs from the complaint's start).  Words that need no
        answer any more (a question withdrawn) do not close a complaint that waits for one:
        the moderators are told and decide.

        Only what the text says decides the topic and the urgency, never when the edit was
        seen, so the outcome does not depend on how fast the collector is."""
        if c.status == ComplaintStatus.DELETED:
            return
        verdict = self.classify(text)
        verdict = self._under_post(verdict, comment, state)
        op = _Op("comment_edited", c, update_event="edited", comment=comment)
        op.after = {"comment": c.comment_id, "needs_answer": verdict.needs_answer}
        waits = sla_clock.awaiting_answer(c)
        if verdict.needs_answer:
            self._retopic(c, verdict, op, may_reroute=waits)
            if verdict.urgent and not c.urgent:
                c.urgent = True
                c.urgent_reasons = list(verdict.urgent_reasons)
                op.before["urgent"], op.after["urgent"] = False, list(c.urgent_reasons)
                op.urgent_now = True
            if waits and (op.rerouted or op.urgent_now):
                # The clock the complaint runs now (agency, urgency), from its own start.
                op.before["due_at"] = _iso(c.due_at)
                policy = sla_clock.clock_policy(self.registry, c)
                calendar = sla_clock.clock_calendar(self.registry, c)
                sla_clock.store_deadlines(c, sla_clock.current_deadlines(c, policy, calendar))
                op.after["due_at"] = _iso(c.due_at)
        elif waits and self.classify(old_text).needs_answer:
            op.not_complaint = True
        state.ops.append(op)

    def _retopic(
        self, c: Complaint, verdict: Classification, op: _Op, *, may_reroute: bool
    ) -> None:
        """The complaint's topic is its text's.  The route follows the new topic only for a
        complaint still open (``may_reroute``) that nobody took or passed on by hand."""
        topic = verdict.topic.value
        if topic == c.topic:
            return
        op.before["topic"], op.after["topic"] = c.topic, topic
        c.topic, c.score, c.reasons = topic, verdict.score, list(verdict.reasons)
        if not may_reroute or c.status != ComplaintStatus.OPEN or c.taken_by is not None:
            return
        if c.route_rule.startswith("manual:"):
            return  # a person passed it on (/assign): theirs to change
        routed = self._route(-c.owner_id, verdict.topic)
        if routed is None:
            return
        if routed.agency_id != c.agency_id:
            op.before["agency"], op.after["agency"] = c.agency_id, routed.agency_id
            c.agency_id = routed.agency_id
            op.rerouted = True
        c.route_rule = op.after["rule"] = routed.rule

    async def _answer_edited(
        self, session: AsyncSession, answer: Comment, c: Complaint, text: str, state: _BatchState
    ) -> None:
        """The page or an official edited its answer: rated again, the cards refreshed."""
        target = await session.get(Comment, c.comment_pk)
        rating = self.rate_answer(target.text if target is not None else "", text)
        op = _Op("answer_edited", c, update_event="answer_edited")
        if c.reopen_answer_comment_pk == answer.id:
            op.before = {"otpiska": c.reopen_otpiska, "quality": c.reopen_quality}
            c.reopen_otpiska, c.reopen_quality = rating.otpiska, rating.quality
            c.reopen_quality_reasons = list(rating.reasons)
        if c.answer_comment_pk == answer.id:
            op.before = {"otpiska": c.otpiska, "quality": c.quality}
            c.otpiska, c.quality = rating.otpiska, rating.quality
            c.quality_reasons = list(rating.reasons)
        op.after = {"answer_comment": answer.comment_id, "otpiska": rating.otpiska}
        op.after["quality"] = rating.quality
        state.ops.append(op)

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
        agencies = {c.route.agency_id for c in created}
        agencies |= {op.complaint.agency_id for op in state.ops if op.rerouted}
        officials = await self._officials_by_agency(session, agencies)
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

        def notify(
            key: str, chat_id: int, kind: str, complaint_id: int, channel: str = "telegram"
        ) -> None:
            # The row ``storage.outbox.enqueue`` adds (status and attempts: column defaults).
            outbox.append(
                {
                    "dedupe_key": key,
                    "chat_id": chat_id,
                    "channel": channel,
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
                if complaint.urgent:
                    after["urgent"] = list(complaint.urgent_reasons)
                if op.created.history:
                    after["history"] = True
                if op.created.from_edit:
                    after["from_edit"] = complaint.comment_id
                audit.append(_audit_row(now, "complaint_created", complaint.id, {}, after))
                result.new_complaints.append(complaint.id)
                result.log_lines.append(
                    (
                        "complaint %s created: page %s post %s comment %s, agency %s, "
                        "topic %s%s%s%s",
                        (
                            complaint.id,
                            -complaint.owner_id,
                            complaint.post_id,
                            complaint.comment_id,
                            complaint.agency_id,
                            complaint.topic,
                            ", urgent" if complaint.urgent else "",
                            " (history, answered: not alerted)"
                            if silent
                            else " (history)"
                            if op.created.history
                            else "",
                            " (its comment was edited into one)" if op.created.from_edit else "",
                        ),
                    )
                )
                if silent:
                    continue
                # Officials come from the database: registry people and those who joined by
                # invite (as ``storage.actions.officials_of``, read once per batch).
                for official in officials.get(complaint.agency_id, []):
                    chat_id = official.person_id
                    notify(f"alert:{complaint.id}:{chat_id}", chat_id, "alert", complaint.id)
                    result.notifications += 1
                unreached.append(complaint)
                continue
            audit.append(_audit_row(now, op.kind, complaint.id, op.before, op.after))
            # The refresh of every card that shows the complaint (``enqueue_alert_update``).
            # On the messenger the card is on (issue 13; Telegram's key as before).
            for chat_id, channel in recipients.get(complaint.id, []):
                where = "" if channel == "telegram" else f":{channel}"
                key = f"update:{op.update_event}:{complaint.id}:{chat_id}{where}:{stamp}"
                if key not in queued:  # the same refresh twice in one batch: once is enough
                    queued.add(key)
                    notify(key, chat_id, "update", complaint.id, channel)
            self._note(op, result)
            if op.rerouted:
                # Its new agency's officials get the alert (those shown it already: the edit).
                shown = {chat_id for chat_id, _ in recipients.get(complaint.id, [])}
                for official in officials.get(complaint.agency_id, []):
                    chat_id = official.person_id
                    key = f"alert:{complaint.id}:{chat_id}"
                    if chat_id not in shown and key not in queued:
                        queued.add(key)
                        notify(key, chat_id, "alert", complaint.id)
                        result.notifications += 1
            if op.kind == "restored" or op.rerouted or op.urgent_now:
                unreached.append(complaint)
        await session.flush()  # answered and reopened complaints read from the database
        if audit:
            await session.execute(insert(_AUDIT), audit)
        if outbox:
            await session.execute(insert(_OUTBOX), outbox)
        # Nobody would hear of these, or they are urgent: the moderators in charge hear of
        # them at once (issues 11, 12).
        result.routed = await route_unreached(session, unreached, now, officials=officials)
        result.notifications += sum(len(r.chats) for r in result.routed)
        withdrawn = [op for op in state.ops if op.not_complaint]
        if withdrawn:
            result.notifications += await self._tell_withdrawn(session, withdrawn, now, stamp)

    @staticmethod
    async def _tell_withdrawn(
        session: AsyncSession, ops: list[_Op], now: datetime, stamp: int
    ) -> int:
        """The author edited a complaint that still waits for an answer into words that need
        none («вопрос снят»): it stays open (nothing closes by itself), and the moderators in
        charge, who may dismiss it, are told.  Returns how many notices were queued."""
        watchers = await load_watchers(session)
        names = dict((await session.execute(select(Agency.id, Agency.name))).all())
        queued = 0
        for op in ops:
            c, comment = op.complaint, op.comment
            assert comment is not None
            agency = escape(names.get(c.agency_id, c.agency_id))
            body = texts.EDITED_NOT_COMPLAINT.format(
                id=c.id,
                agency=agency,
                text=escape(excerpt(comment.text, EXCERPT)),
                url=escape(
                    vk_comment_url(
                        comment.owner_id, comment.post_id, comment.comment_id, comment.thread_id
                    ),
                    quote=True,
                ),
            )
            for w in watchers.for_agency(c.agency_id):
                enqueue(
                    session,
                    key=f"edited:{c.id}:{w.person_id}:{stamp}",
                    chat_id=w.person_id,
                    kind="text",
                    complaint_id=c.id,
                    now=now,
                    payload={"text": body},
                )
                queued += 1
        return queued

    @staticmethod
    def _note(op: _Op, result: IngestResult) -> None:
        """A change of a stored complaint, in the result and its log lines."""
        c = op.complaint
        if op.kind == "answered":
            result.answered.append(c.id)
            result.log_lines.append(
                (
                    "complaint %s answered by comment %s after %s s (otpiska: %s)",
                    (
                        c.id,
                        op.after.get("answer_comment"),
                        op.after.get("response_seconds"),
                        op.after.get("otpiska"),
                    ),
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
        elif op.kind == "comment_edited":
            result.edited.append(c.id)
            changes = [
                f"{k} {op.before.get(k)} -> {op.after[k]}"
                for k in ("topic", "agency")
                if k in op.after
            ]
            if op.urgent_now:
                changes.append("now urgent")
            if op.not_complaint:
                changes.append("no longer reads as a complaint: moderators told")
            result.log_lines.append(
                (
                    "complaint %s: comment %s edited, re-classified: %s",
                    (c.id, c.comment_id, ", ".join(changes) or "text updated"),
                )
            )
        elif op.kind == "answer_edited":
            result.edited.append(c.id)
            result.log_lines.append(
                (
                    "complaint %s: answer %s edited, rated again (otpiska: %s)",
                    (c.id, op.after.get("answer_comment"), op.after.get("otpiska")),
                )
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
    ) -> dict[int, list[tuple[int, str]]]:
        """Everyone shown the card of a complaint changed in this batch, with the messenger
        it is on (as ``storage.outbox.alert_recipients``): its alerts and opened cards, for
        all in one query each.  A complaint created in this batch is shown to its alerted officials
        (none for one ``withheld``: answered history, never alerted)."""
        touched = {op.complaint.id for op in state.ops if op.kind != "created"}
        if not touched:
            return {}
        new_ids = {c.complaint.id: c.route.agency_id for c in state.created}
        found: dict[int, set[tuple[int, str]]] = defaultdict(set)
        for cid, agency in new_ids.items():
            if cid in touched and cid not in withheld:  # alerts queued now, on Telegram
                found[cid].update((o.person_id, "telegram") for o in officials.get(agency, []))
        stored = sorted(touched - new_ids.keys())
        for i in range(0, len(stored), IN_CHUNK):
            chunk = stored[i : i + IN_CHUNK]
            alerts = await session.execute(
                select(
                    Notification.complaint_id, Notification.chat_id, Notification.channel
                ).where(Notification.complaint_id.in_(chunk), Notification.kind == "alert")
            )
            shown = await session.execute(
                select(
                    AlertMessage.complaint_id, AlertMessage.chat_id, AlertMessage.channel
                ).where(AlertMessage.complaint_id.in_(chunk))
            )
            for alert_cid, chat_id, channel in alerts.all():
                if alert_cid is not None:
                    found[int(alert_cid)].add((int(chat_id), str(channel)))
            for shown_cid, chat_id, channel in shown.all():
                found[int(shown_cid)].add((int(chat_id), str(channel)))
        return {cid: sorted(chats) for cid, chats in found.items()}
