"""The invariants of the soak, checked against the app's database and the fake Telegram's
record of Bot API calls (``bench/soak.py`` takes the snapshots and calls :meth:`Checker.check`).

1. ``known``: every complaint reaches at least one person who can act on it (an official of
   its agency, a moderator or an admin) within ``allowance`` of being stored: a Bot API call
   to their chat that names it (its card, a summary listing it, a notice).
2. ``change_reaches``: every change of a complaint (answer detected, status change, reopen,
   wait, reassignment, deletion close: an audit entry that changes it) reaches everyone who
   held its card or a summary listing it before the change: a later call to that chat names
   the complaint or edits a message that shows it.  At the end, each chat's newest card of
   each complaint must show the complaint's final state (``card_final``).
3. ``sent_without_call``: no outbox row is ``sent`` (or ``coalesced`` into a summary) unless
   the matching Bot API call was made between its claim and its ``sent_at``.
4. ``escalated_deleted``: no nudge or escalation is queued or sent for a complaint whose
   comment was deleted, once the deletion had time to be seen; by then the complaint is
   closed (``deleted_alive``: it is not still open, in work or answered).
5. ``same_final_state`` (:func:`compare_final`): the same seed at two speeds ends with the same
   complaints in the same states and each person seeing the same things.
6. ``collected``: every comment the plan posted is stored within ``detect`` of being posted
   (by the end at the latest), and not as its page's history: the plan writes only after
   the app's first look, so a comment stored as written before it was never decided.  A
   comment lost at one speed only showed as a difference between speeds, and one lost at
   every speed not at all (a restart before a page's first comment was read).

Times are virtual.  ``allowance`` is a few virtual minutes plus a slack proportional to the
speed (a loaded machine at 1,000× loses virtual minutes to a busy event loop, which is not
what these invariants are about); time while the app was down is added to every deadline.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import texts
from sandbox.fake_telegram import TgCall
from storage.models import AuditEntry, Comment, Complaint, Notification, Page, Person

CARD_RE = re.compile(r"🔔 <b>Жалоба №(\d+)</b>")
MENTION_RE = re.compile(r"(?:№|#|/complaint )(\d+)(?!\d)")
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})
VISIBLE = frozenset({*SEND_METHODS, "editMessageText", "editMessageCaption"})
SLA_KINDS = frozenset({"nudge", "escalation", "escalation_lead", "solution_breach"})


def _first_line_pattern(template: str) -> re.Pattern[str]:
    head = template.split("\n", 1)[0]
    parts = re.split(r"\{[^}]*\}", head)
    return re.compile("^" + ".*?".join(re.escape(part) for part in parts), re.MULTILINE)


#: The lines that mark the SLA notices (nudges, escalations, a missed solution deadline; an
#: urgent complaint's line may stand above) and a blocked official's hand-over to moderators: a
#: call that carries one is known by its text, not
#: by its outbox row (a notice sent in a run's last seconds may not be marked sent before the
#: last snapshot).
#: How the orphan notice's line that says why begins («Исполнителю она не придёт: »), and its
#: reasons of a block.
_ORPHAN_REASON_LEAD = next(
    line.split("{reason}")[0] for line in texts.ORPHAN_COMPLAINT.split("\n") if "{reason}" in line
)
_BLOCKED_REASONS = (texts.ORPHAN_BLOCKED, texts.ORPHAN_BLOCKED_MANY)
NOTICE_HEADS = tuple(
    _first_line_pattern(t)
    for t in (
        texts.SLA_NUDGE,
        texts.SLA_NUDGE_LATE,
        texts.SLA_URGENT_NUDGE,
        texts.SLA_ESCALATION,
        texts.SLA_ESCALATION_LEAD,
        texts.SLA_URGENT_ESCALATION_LEAD,
        texts.SLA_SOLUTION_BREACH,
        # A complaint handed to moderators because its official blocked the bot: sent when the
        # app next writes to that chat and finds the block, so which complaints are still open
        # then depends on the minute, like a nudge (seed 11: a nudge for k2 found the block at
        # 600× while at 300× k2's answer came first and no nudge went).
        *(_ORPHAN_REASON_LEAD + reason for reason in _BLOCKED_REASONS),
    )
)
#: Audit actions that change what a card shows (more are counted when they change status).
CHANGES = frozenset(
    {
        "answered",
        "answered_by_hand",
        "reopened",
        "reopen",
        "resolved",
        "dismissed",
        "take",
        "reassign",
        "wait",
        "resume",
        "deleted",
        "comment_deleted",
    }
)
SENT_STATES = frozenset({"sent", "coalesced"})
#: A complaint in these is still waiting for something; a deleted comment must close it.
ALIVE = frozenset({"open", "in_work", "answered"})


# ---------------------------------------------------------------------------- snapshots


@dataclass(frozen=True, slots=True)
class CRow:
    id: int
    key: tuple[int, int, int]  # (owner_id, post_id, comment_id)
    agency: str
    status: str
    reopen_count: int
    waiting: bool
    answered: bool
    taken_by: int | None
    repeat_of: int | None
    text: str  # the comment's text as stored (edits included)


@dataclass(frozen=True, slots=True)
class ARow:
    at: datetime
    action: str
    complaint_id: int
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ORow:
    id: int
    chat_id: int
    kind: str
    complaint_id: int | None
    payload: dict[str, Any]
    status: str
    created_at: datetime
    claimed_at: datetime | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class PRow:
    telegram_id: int
    role: str
    agencies: tuple[str, ...]
    unreachable: bool


@dataclass
class Snapshot:
    """What the database says at virtual ``now``."""

    now: datetime
    complaints: dict[int, CRow]
    audit: list[ARow]
    outbox: list[ORow]
    people: dict[int, PRow]
    # Every stored comment (owner_id, post_id, comment_id) -> its page's first look when it
    # was written before it (the page's history, never a complaint), else None.
    comments: dict[tuple[int, int, int], datetime | None] = field(default_factory=dict)

    def by_key(self) -> dict[tuple[int, int, int], CRow]:
        return {c.key: c for c in self.complaints.values()}


async def snapshot(session: AsyncSession, now: datetime) -> Snapshot:
    """Read the tables the invariants need (a few hundred rows a virtual day)."""
    complaints = {
        c.id: CRow(
            c.id,
            (c.owner_id, c.post_id, c.comment_id),
            c.agency_id,
            c.status,
            c.reopen_count or 0,
            c.waiting_since is not None,
            c.answered_at is not None,
            c.taken_by,
            c.repeat_of,
            text,
        )
        for c, text in (
            await session.execute(
                select(Complaint, Comment.text).join(Comment, Comment.id == Complaint.comment_pk)
            )
        ).all()
    }
    audit = [
        ARow(a.at, a.action, a.complaint_id, dict(a.before or {}), dict(a.after or {}))
        for a in (
            await session.execute(
                select(AuditEntry)
                .where(AuditEntry.complaint_id.is_not(None))
                .order_by(AuditEntry.id)
            )
        ).scalars()
        if a.complaint_id is not None
    ]
    outbox = [
        ORow(
            n.id,
            n.chat_id,
            n.kind,
            n.complaint_id,
            dict(n.payload or {}),
            n.status,
            n.created_at,
            n.claimed_at,
            n.sent_at,
        )
        for n in (await session.execute(select(Notification).order_by(Notification.id))).scalars()
    ]
    people = {
        p.telegram_id: PRow(p.telegram_id, p.role, tuple(p.agencies or ()), p.unreachable)
        for p in (await session.execute(select(Person))).scalars()
    }
    comments = {
        (owner, post, cid): look if look is not None and written < look else None
        for owner, post, cid, written, look in (
            await session.execute(
                select(
                    Comment.owner_id,
                    Comment.post_id,
                    Comment.comment_id,
                    Comment.created_at,
                    Page.first_look_at,
                ).outerjoin(Page, Page.group_id == -Comment.owner_id)
            )
        ).all()
    }
    return Snapshot(now, complaints, audit, outbox, people, comments)


# ---------------------------------------------------------------------------- calls


@dataclass(frozen=True, slots=True)
class Call:
    """A Bot API call to a chat, parsed once."""

    index: int
    at: datetime
    method: str
    chat: int
    ok: bool  # done (200), or an edit Telegram found unchanged ("not modified")
    message_id: int | None
    text: str
    card: int | None  # the complaint whose card this is
    mentions: frozenset[int]
    summary: bool
    notice: bool  # an SLA notice (NOTICE_HEADS)


def parse_call(index: int, call: TgCall) -> Call | None:
    if call.chat_id is None or call.method not in VISIBLE:
        return None
    text = call.text or ""
    ok = call.status == 200 or (
        call.status == 400 and "message is not modified" in (call.error or "")
    )
    card = CARD_RE.search(text)
    message_id = call.message_id
    if message_id is None and isinstance(call.params.get("message_id"), int):
        message_id = int(call.params["message_id"])
    return Call(
        index,
        call.at,
        call.method,
        call.chat_id,
        ok,
        message_id,
        text,
        int(card.group(1)) if card else None,
        frozenset(int(m) for m in MENTION_RE.findall(text)),
        texts.SUMMARY_HINT in text,
        any(head.search(text) for head in NOTICE_HEADS),
    )


class CallIndex:
    """The fake's calls by chat, in time order, grown incrementally."""

    def __init__(self) -> None:
        self.seen = 0
        self.by_chat: dict[int, list[Call]] = defaultdict(list)
        self.times: dict[int, list[datetime]] = defaultdict(list)
        # chat -> complaint -> message ids that show it (its cards, summaries listing it)
        self.shows: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        # chat -> complaint -> when it was first shown there (card or summary)
        self.first_shown: dict[int, dict[int, datetime]] = defaultdict(dict)
        # chat -> complaint -> when it was first named there at all
        self.first_named: dict[int, dict[int, datetime]] = defaultdict(dict)
        # chat -> complaints listed in the summaries it got (pages past the first included)
        self.summarized: dict[int, set[int]] = defaultdict(set)
        # calls that carried a nudge or an escalation, known by their text (sent only while
        # nobody has answered: whether one goes or is moot depends on the minute the answer is
        # seen)
        self.notices: set[int] = set()

    def update(self, calls: Sequence[TgCall]) -> None:
        while self.seen < len(calls):
            parsed = parse_call(self.seen, calls[self.seen])
            self.seen += 1
            if parsed is None:
                continue
            self.by_chat[parsed.chat].append(parsed)
            self.times[parsed.chat].append(parsed.at)
            if parsed.notice:
                self.notices.add(parsed.index)
            if not parsed.ok or parsed.method not in TEXT_METHODS:
                continue
            for cid in parsed.mentions | ({parsed.card} if parsed.card else set()):
                self.first_named[parsed.chat].setdefault(cid, parsed.at)
            if parsed.card is not None and parsed.method == "sendMessage":
                self.first_shown[parsed.chat].setdefault(parsed.card, parsed.at)
                if parsed.message_id is not None:
                    self.shows[parsed.chat][parsed.card].add(parsed.message_id)

    def add_summary(
        self, chat: int, message_id: int | None, at: datetime, ids: Iterable[int]
    ) -> None:
        for cid in ids:
            self.summarized[chat].add(cid)
            self.first_shown[chat].setdefault(cid, at)
            self.first_named[chat].setdefault(cid, at)
            if message_id is not None:
                self.shows[chat][cid].add(message_id)

    def between(self, chat: int, lo: datetime, hi: datetime) -> list[Call]:
        times = self.times.get(chat, [])
        i = bisect.bisect_left(times, lo)
        j = bisect.bisect_right(times, hi)
        return self.by_chat[chat][i:j]

    def reaches(self, chat: int, cid: int, lo: datetime, hi: datetime) -> Call | None:
        """The first call in ``[lo, hi]`` that tells ``chat`` about complaint ``cid``."""
        shows = self.shows.get(chat, {}).get(cid, set())
        for call in self.between(chat, lo, hi):
            if not call.ok or call.method not in TEXT_METHODS:
                continue
            if cid in call.mentions or call.card == cid:
                return call
            if call.method == "editMessageText" and call.message_id in shows:
                return call
        return None


# ---------------------------------------------------------------------------- the checker


class Intervals:
    """Disjoint virtual-time intervals added in time order, with their covered length in
    any window in O(log n) (thousands of short event-loop stalls over a long soak)."""

    def __init__(self) -> None:
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self._sums: list[float] = [0.0]  # prefix sums of the lengths, in seconds

    def add(self, a: datetime, b: datetime) -> None:
        if self.ends and a < self.ends[-1]:
            a = self.ends[-1]  # overlaps the last one: only the new part counts
        if b <= a:
            return
        self.starts.append(a)
        self.ends.append(b)
        self._sums.append(self._sums[-1] + (b - a).total_seconds())

    def covered(self, t0: datetime, t1: datetime) -> timedelta:
        """How much of ``[t0, t1]`` the intervals cover."""
        if t1 <= t0 or not self.starts:
            return timedelta()
        i = bisect.bisect_right(self.ends, t0)  # first interval ending after t0
        j = bisect.bisect_left(self.starts, t1)  # intervals i..j-1 start before t1
        if i >= j:
            return timedelta()
        total = self._sums[j] - self._sums[i]
        total -= max(0.0, (t0 - self.starts[i]).total_seconds())
        total -= max(0.0, (self.ends[j - 1] - t1).total_seconds())
        return timedelta(seconds=max(total, 0.0))

    def total(self) -> timedelta:
        return timedelta(seconds=self._sums[-1])

    def as_pairs(self) -> list[tuple[datetime, datetime]]:
        return list(zip(self.starts, self.ends, strict=True))


@dataclass
class Truth:
    """What the driver did, which the app's database cannot be trusted to say."""

    keys: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # label -> VK key
    posted: dict[str, datetime] = field(default_factory=dict)  # label -> when it was written
    texts: dict[str, str] = field(default_factory=dict)  # label -> its text on VK now
    deleted: dict[tuple[int, int, int], datetime] = field(default_factory=dict)
    blocked: dict[int, datetime] = field(default_factory=dict)
    # When the app was not running (stopped, starting, down), and when this process's event
    # loop stood still (a busy machine, a blocking call): no deadline runs meanwhile.
    downtimes: Intervals = field(default_factory=Intervals)
    stalls: Intervals = field(default_factory=Intervals)

    def label(self) -> dict[tuple[int, int, int], str]:
        return {v: k for k, v in self.keys.items()}


@dataclass(frozen=True, slots=True)
class Violation:
    invariant: str
    at: str  # virtual instant of what started the obligation
    complaint: int | None
    comment: str | None  # the comment's label in the plan (k17)
    chat: int | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "invariant": self.invariant,
            "at": self.at,
            "complaint": self.complaint,
            "comment": self.comment,
            "chat": self.chat,
            "detail": self.detail,
        }


class Checker:
    """Incremental: obligations are judged once their deadline has passed, each once."""

    def __init__(self, truth: Truth, *, allowance_s: float, detect_s: float) -> None:
        self.truth = truth
        self.allowance = timedelta(seconds=allowance_s)
        self.detect = timedelta(seconds=detect_s)  # VK changes: + the poller's cold period
        self.calls = CallIndex()
        self.violations: list[Violation] = []
        self._done: set[tuple[Any, ...]] = set()
        self._summary_seen: set[int] = set()
        # violation index -> (detail so far, chats, complaint, since): completed by finish()
        self._late: dict[int, tuple[str, tuple[int, ...], int, datetime]] = {}
        self.stats: dict[str, int] = defaultdict(int)

    # ---- helpers

    def deadline(self, t: datetime, allow: timedelta) -> datetime:
        """``t + allow``, moved later by the time the app was down or the event loop stood
        still meanwhile (a loaded machine at 600× loses virtual minutes in a second)."""
        d = t + allow
        for _ in range(6):
            lost = self.truth.downtimes.covered(t, d) + self.truth.stalls.covered(t, d)
            if t + allow + lost == d:
                break
            d = t + allow + lost
        return d

    def _flag(self, key: tuple[Any, ...], v: Violation) -> None:
        if key not in self._done:
            self._done.add(key)
            self.violations.append(v)

    def _label(self, snap: Snapshot, cid: int | None) -> str | None:
        c = snap.complaints.get(cid) if cid is not None else None
        return self.truth.label().get(c.key) if c else None

    def _blocked_by(self, chat: int, t: datetime) -> bool:
        at = self.truth.blocked.get(chat)
        return at is not None and at <= t

    # ---- the pass

    def check(self, snap: Snapshot, calls: Sequence[TgCall]) -> None:
        self.calls.update(calls)
        self._sent_rows(snap)
        self._known(snap)
        self._changes(snap)
        self._deleted(snap)
        self._collected(snap)

    def _summaries(self, snap: Snapshot) -> dict[int, ORow]:
        return {r.id: r for r in snap.outbox if r.kind == "summary"}

    # 3. no row sent without its call (and summaries feed "shows" for 1 and 2)
    def _sent_rows(self, snap: Snapshot) -> None:
        summaries = self._summaries(snap)
        covered: dict[int, ORow] = {}
        for summary in summaries.values():
            for rid in summary.payload.get("rows", []):
                covered[int(rid)] = summary
        for row in snap.outbox:
            if row.status not in SENT_STATES or ("row", row.id) in self._done:
                continue
            if row.sent_at is None or row.sent_at > snap.now:
                continue
            if row.status == "coalesced":
                by = covered.get(row.id)
                if by is not None and by.status == "sent" and by.sent_at is not None:
                    self._done.add(("row", row.id))
                    continue
                if by is None or by.status not in ("sending", "pending"):
                    self._flag(
                        ("row", row.id),
                        Violation(
                            "sent_without_call",
                            row.sent_at.isoformat(),
                            row.complaint_id,
                            self._label(snap, row.complaint_id),
                            row.chat_id,
                            f"outbox row {row.id} ({row.kind}) is coalesced but no sent summary "
                            "lists it",
                        ),
                    )
                continue
            call = self._match(row)
            if call is not None:
                self._done.add(("row", row.id))
                self.stats["rows_matched"] += 1
                if row.kind == "summary" and row.id not in self._summary_seen:
                    self._summary_seen.add(row.id)
                    ids = [int(i) for i in row.payload.get("complaints", [])]
                    self.calls.add_summary(row.chat_id, call.message_id, call.at, ids)
                continue
            self._flag(
                ("row", row.id),
                Violation(
                    "sent_without_call",
                    row.sent_at.isoformat(),
                    row.complaint_id,
                    self._label(snap, row.complaint_id),
                    row.chat_id,
                    f"outbox row {row.id} ({row.kind}) is sent at {row.sent_at.isoformat()} "
                    f"but no matching Bot API call reached chat {row.chat_id} between its "
                    f"claim ({row.claimed_at.isoformat() if row.claimed_at else '?'}) and then",
                ),
            )

    def _match(self, row: ORow) -> Call | None:
        assert row.sent_at is not None
        lo = (row.claimed_at or row.created_at) - timedelta(seconds=1)
        hi = row.sent_at + timedelta(seconds=1)
        text = row.payload.get("text")
        for call in self.calls.between(row.chat_id, lo, hi):
            if not call.ok:
                continue
            if row.kind in ("photo", "document"):
                if call.method in ("sendPhoto", "sendDocument"):
                    return call
            elif row.kind == "summary":
                if call.summary or (call.mentions & set(row.payload.get("complaints", []))):
                    return call
            elif row.kind in ("alert", "update") and row.complaint_id is not None:
                if call.card == row.complaint_id or row.complaint_id in call.mentions:
                    return call
                shows = self.calls.shows.get(row.chat_id, {}).get(row.complaint_id, set())
                if call.method == "editMessageText" and call.message_id in shows:
                    return call
            elif isinstance(text, str) and text:
                if call.text == text:
                    return call
            elif call.method in VISIBLE:
                return call
        return None

    # 1. every complaint reaches someone who can act on it
    def _known(self, snap: Snapshot) -> None:
        created = {a.complaint_id: a for a in snap.audit if a.action == "complaint_created"}
        for cid, c in snap.complaints.items():
            if ("known", cid) in self._done:
                continue
            entry = created.get(cid)
            if entry is None:
                continue
            deadline = self.deadline(entry.at, self.allowance)
            agencies = {c.agency, str(entry.after.get("agency") or c.agency)}
            eligible = [
                p.telegram_id
                for p in snap.people.values()
                if p.role in ("moderator", "admin")
                or (p.role == "official" and agencies & set(p.agencies))
            ]
            told = [
                (at, chat)
                for chat in eligible
                if (at := self.calls.first_named.get(chat, {}).get(cid)) is not None
            ]
            first = min(told, default=None)
            if first is not None and first[0] <= deadline:
                self._done.add(("known", cid))
                self.stats["known_ok"] += 1
                continue
            if deadline > snap.now:
                continue  # not due yet
            base = (
                f"complaint {cid} (agency {c.agency}) stored at {entry.at.isoformat()} "
                f"reached none of its officials, moderators or admins by {deadline.isoformat()}"
            )
            self._flag(
                ("known", cid),
                Violation("known", entry.at.isoformat(), cid, self._label(snap, cid), None, base),
            )
            self._late[len(self.violations) - 1] = (base, tuple(eligible), cid, entry.at)

    # 2. every change reaches everyone holding the card
    def _changes(self, snap: Snapshot) -> None:
        for n, a in enumerate(snap.audit):
            if a.action == "complaint_created":
                continue
            status_changed = a.before.get("status") != a.after.get("status") and (
                "status" in a.before or "status" in a.after
            )
            if a.action not in CHANGES and not status_changed:
                continue
            deadline = self.deadline(a.at, self.allowance)
            for chat, shown_at in self._holders(a.complaint_id, a.at):
                key = ("change", n, a.complaint_id, chat)
                if key in self._done:
                    continue
                person = snap.people.get(chat)
                if self._blocked_by(chat, deadline) or (person is not None and person.unreachable):
                    self._done.add(key)
                    continue
                call = self.calls.reaches(chat, a.complaint_id, a.at, deadline)
                if call is not None:
                    self._done.add(key)
                    self.stats["changes_ok"] += 1
                    continue
                if deadline > snap.now:
                    continue
                base = (
                    f"{a.action} of complaint {a.complaint_id} at {a.at.isoformat()} "
                    f"({a.before.get('status')} → {a.after.get('status', '…')}) did not reach "
                    f"chat {chat}, shown it at {shown_at.isoformat()}, by {deadline.isoformat()}"
                )
                label = self._label(snap, a.complaint_id)
                self._flag(
                    key,
                    Violation(
                        "change_reaches", a.at.isoformat(), a.complaint_id, label, chat, base
                    ),
                )
                self._late[len(self.violations) - 1] = (base, (chat,), a.complaint_id, a.at)

    def finish(self, end: datetime) -> None:
        """Say of each late obligation when, if ever, the person was told after all."""
        for n, (base, chats, cid, t) in self._late.items():
            told = [
                call.at
                for chat in chats
                if (call := self.calls.reaches(chat, cid, t, end)) is not None
            ]
            tail = f"told at {min(told).isoformat()}" if told else f"never told (by {end})"
            v = self.violations[n]
            self.violations[n] = Violation(
                v.invariant, v.at, v.complaint, v.comment, v.chat, f"{base}; {tail}"
            )
        self._late.clear()

    def _holders(self, cid: int, t: datetime) -> list[tuple[int, datetime]]:
        return [
            (chat, at)
            for chat, shown in self.calls.first_shown.items()
            if (at := shown.get(cid)) is not None and at < t
        ]

    # 6. every comment the plan posted is stored, and decided
    def _collected(self, snap: Snapshot, *, end: bool = False) -> None:
        """``end``: the run is over, so whatever is still missing never came (a deadline
        moved past the end by a stalled loop is not waited for)."""
        for label, at in self.truth.posted.items():
            key = self.truth.keys[label]
            if ("collected", label) in self._done or key in self.truth.deleted:
                continue  # a deleted comment may be gone before anyone could read it
            deadline = self.deadline(at, self.detect)
            if not end and deadline > snap.now:
                continue
            if key not in snap.comments:
                detail = (
                    f"comment {label} written at {at.isoformat()} on {-key[0]}/{key[1]} "
                    f"(VK id {key[2]}) was not stored by {min(deadline, snap.now).isoformat()}"
                )
            elif (look := snap.comments[key]) is not None:
                detail = (
                    f"comment {label} written at {at.isoformat()} on {-key[0]}/{key[1]} was "
                    f"stored as the page's history (its first look is {look.isoformat()}), "
                    "though the app had looked at the page before: it was never decided"
                )
            else:
                self._done.add(("collected", label))
                self.stats["collected_ok"] += 1
                continue
            self._flag(
                ("collected", label),
                Violation("collected", at.isoformat(), None, label, None, detail),
            )

    def final_comments(self, snap: Snapshot) -> None:
        """At the end: every comment the plan posted (and did not delete) is stored and
        decided, whatever deadlines a busy machine moved."""
        self._collected(snap, end=True)

    # 4. nothing escalated about a deleted comment
    def _deleted(self, snap: Snapshot) -> None:
        by_key = snap.by_key()
        reopened: dict[int, datetime] = {}
        for a in snap.audit:
            if a.action in ("reopen", "reopened"):
                reopened[a.complaint_id] = max(a.at, reopened.get(a.complaint_id, a.at))
        for vk_key, td in self.truth.deleted.items():
            c = by_key.get(vk_key)
            if c is None:
                continue
            seen_by = self.deadline(td, self.detect)
            if reopened.get(c.id, td) > td:
                continue  # a person reopened it: escalating it again is right
            if seen_by <= snap.now and c.status in ALIVE and ("alive", c.id) not in self._done:
                self._flag(
                    ("alive", c.id),
                    Violation(
                        "deleted_alive",
                        td.isoformat(),
                        c.id,
                        self.truth.label().get(vk_key),
                        None,
                        f"complaint {c.id} is still {c.status} at {snap.now.isoformat()}, "
                        f"though its comment was deleted at {td.isoformat()} (to be seen by "
                        f"{seen_by.isoformat()}): its clock runs on a comment that is gone",
                    ),
                )
            for row in snap.outbox:
                if row.complaint_id != c.id or row.kind not in SLA_KINDS:
                    continue
                sent_at = row.sent_at if row.status == "sent" else None
                sent_late = sent_at is not None and sent_at > seen_by
                if row.created_at <= seen_by and not sent_late:
                    continue
                when = sent_at if sent_late and sent_at else row.created_at
                self._flag(
                    ("deleted", row.id),
                    Violation(
                        "escalated_deleted",
                        td.isoformat(),
                        c.id,
                        self.truth.label().get(vk_key),
                        row.chat_id,
                        f"{row.kind} for complaint {c.id} "
                        + ("sent" if sent_late else "queued")
                        + f" at {when.isoformat()}, though its comment was deleted at "
                        f"{td.isoformat()} (seen by {seen_by.isoformat()} at the latest)",
                    ),
                )

    # 2b. at the end: each newest card shows the final state
    def final_cards(self, snap: Snapshot, messages: dict[int, dict[int, dict[str, Any]]]) -> None:
        for chat, shown in messages.items():
            newest: dict[int, tuple[int, str]] = {}
            for message_id, m in shown.items():
                text = m.get("text") or ""
                found = CARD_RE.search(text)
                if found:
                    cid = int(found.group(1))
                    if cid not in newest or message_id > newest[cid][0]:
                        newest[cid] = (message_id, text)
            for cid, (message_id, text) in newest.items():
                c = snap.complaints.get(cid)
                if c is None:
                    continue
                problem = card_problem(c, text)
                if problem and not self._blocked_by(chat, snap.now):
                    self._flag(
                        ("card", chat, cid),
                        Violation(
                            "card_final",
                            snap.now.isoformat(),
                            cid,
                            self._label(snap, cid),
                            chat,
                            f"chat {chat}'s newest card of complaint {cid} (message "
                            f"{message_id}) {problem}; the complaint is {c.status}",
                        ),
                    )


def _answered_markers() -> list[str]:
    """How a card says it is answered: the bold start of each «answered» line the product
    has (by hand, after a reopen...)."""
    names = ("ALERT_ANSWERED", "ALERT_ANSWERED_BY_HAND", "ALERT_ANSWERED_AFTER_REOPEN")
    found = [str(getattr(texts, n, "")).split("</b>")[0] for n in names]
    return [m for m in found if m]


def card_problem(c: CRow, text: str) -> str | None:
    """Why a card's text does not show the complaint's state, or None if it does."""
    lines = {s: line for s, line in texts.STATUS_LINE.items() if line}
    expected = lines.get(c.status)
    if expected and expected not in text:
        return f"lacks «{expected}»"
    for status, line in lines.items():
        if status != c.status and line in text:
            return f"still shows «{line}»"
    if c.status == "answered" and not any(m in text for m in _answered_markers()):
        return "does not show the answer"
    if c.status in ("open", "in_work"):
        if c.reopen_count and "Переоткрыта" not in text:
            return "does not say it was reopened"
        waiting = "Ждём ответа жителя" in text
        if c.waiting and not waiting:
            return "does not show the wait on the resident"
        if waiting and not c.waiting:
            return "still shows the wait on the resident"
    return None


# ---------------------------------------------------------------------------- two speeds


_DURATION = re.compile(r"-?\d+ (?:сек|мин|ч|дн)(?: \d+ (?:мин|ч))?")
_DATE = re.compile(r"\d{2}\.\d{2}(?:\.\d{2,4})?(?: \d{2}:\d{2})?")
_NUMBER = re.compile(r"(№|#|/\w+ )(\d+)")
_DIGITS = re.compile(r"\d+")
#: Lines that depend on the moment, not on the outcome: the countdown, «changed since the
#: summary» above a card (whether it came in a summary depends on the backlog), and the
#: resident's words (a card shows the text as it was when sent; whether an edit came first
#: depends on the poller; the stored text is compared as ``text_current``), and so whether
#: the card says the author edited it (an edit read before the comment's first read is not
#: one).
_MOMENT_LINES = ("⏰", "🔥", "🔄", "«", "✏️")


def normalize(text: str, labels: dict[int, str]) -> str:
    """A message with times, dates and ids taken out; complaint numbers become the plan's
    comment labels (the same complaint may get another number at another speed)."""
    lines = [ln for ln in text.splitlines() if not ln.startswith(_MOMENT_LINES)]
    out = _DURATION.sub("‹время›", _DATE.sub("‹дата›", "\n".join(lines)))
    pieces: list[str] = []
    pos = 0
    for m in _NUMBER.finditer(out):
        pieces.append(_DIGITS.sub("#", out[pos : m.start()]))
        fallback = "?" if m.group(1) in ("№", "#") else "#"
        pieces.append(m.group(1) + labels.get(int(m.group(2)), fallback))
        pos = m.end()
    pieces.append(_DIGITS.sub("#", out[pos:]))
    return "".join(pieces)


@dataclass
class FinalState:
    """What one run ended with, independent of speed, ids and instants."""

    complaints: dict[str, dict[str, Any]]  # comment label -> state
    cards: dict[int, dict[str, str]]  # chat -> comment label -> its newest card, normalized
    told: dict[int, list[str]]  # chat -> comment labels it was told about
    replies: dict[int, list[str]]  # chat -> replies to its compared steps, normalized


def final_state(
    snap: Snapshot,
    truth: Truth,
    index: CallIndex,
    messages: dict[int, dict[int, dict[str, Any]]],
    replies: dict[int, list[str]],
    listings: set[int] | None = None,
) -> FinalState:
    """``listings``: indexes of calls that answered a list command (/open, /my: what is
    open that minute).  They, the SLA notices and a blocked official's hand-overs do not count
    as telling here: which complaints are in them depends on the minute, not on the outcome."""
    label = truth.label()
    by_id = {cid: label.get(c.key, f"?{cid}") for cid, c in snap.complaints.items()}
    complaints = {
        by_id[c.id]: {
            "status": c.status,
            "agency": c.agency,
            "reopen_count": c.reopen_count,
            "waiting": c.waiting,
            "answered": c.answered,
            "taken_by": c.taken_by,
            "repeat_of": by_id.get(c.repeat_of) if c.repeat_of else None,
            # whether the app has the comment's last text (an edit seen)
            "text_current": c.text == truth.texts.get(by_id[c.id], c.text),
        }
        for c in snap.complaints.values()
    }
    cards: dict[int, dict[str, str]] = {}
    for chat, shown in messages.items():
        if chat in truth.blocked:
            continue  # frozen at the block, a moment that depends on the machine
        newest: dict[int, tuple[int, str]] = {}
        for message_id, m in shown.items():
            found = CARD_RE.search(m.get("text") or "")
            if found:
                cid = int(found.group(1))
                if cid not in newest or message_id > newest[cid][0]:
                    newest[cid] = (message_id, m.get("text") or "")
        cards[chat] = {
            by_id.get(cid, f"?{cid}"): normalize(text, by_id) for cid, (_, text) in newest.items()
        }
    skip = (listings or set()) | index.notices
    told: dict[int, list[str]] = {}
    for chat, calls in index.by_chat.items():
        named = set(index.summarized.get(chat, set()))
        for call in calls:
            if call.ok and call.method in TEXT_METHODS and call.index not in skip:
                named |= call.mentions | ({call.card} if call.card else set())
        if named:
            told[chat] = sorted((by_id.get(cid, f"?{cid}") for cid in named), key=_label_order)
    return FinalState(
        complaints,
        cards,
        told,
        {chat: [normalize(r, by_id) for r in rs] for chat, rs in replies.items()},
    )


def compare_final(a: FinalState, b: FinalState, speeds: tuple[float, float]) -> list[Violation]:
    """Differences between two runs of one seed, as ``same_final_state`` violations."""
    out: list[Violation] = []
    sa, sb = (f"{s:g}×" for s in speeds)

    def diff(what: str, chat: int | None, comment: str | None, x: Any, y: Any) -> None:
        out.append(
            Violation(
                "same_final_state",
                "end",
                None,
                comment,
                chat,
                f"{what}: at {sa} {x!r}, at {sb} {y!r}",
            )
        )

    for key in sorted(a.complaints.keys() | b.complaints.keys(), key=_label_order):
        x, y = a.complaints.get(key), b.complaints.get(key)
        if x != y:
            diff("complaint state", None, key, x, y)
    for chat in sorted(a.cards.keys() | b.cards.keys()):
        ca, cb = a.cards.get(chat, {}), b.cards.get(chat, {})
        for key in sorted(ca.keys() & cb.keys(), key=_label_order):
            if ca[key] != cb[key]:
                diff("newest card", chat, key, ca[key], cb[key])
    for chat in sorted(a.told.keys() | b.told.keys()):
        x2, y2 = set(a.told.get(chat, [])), set(b.told.get(chat, []))
        if x2 != y2:
            only_a, only_b = sorted(x2 - y2, key=_label_order), sorted(y2 - x2, key=_label_order)
            diff("complaints told", chat, None, only_a, only_b)
    for chat in sorted(a.replies.keys() | b.replies.keys()):
        ra, rb = a.replies.get(chat, []), b.replies.get(chat, [])
        if ra != rb:
            first = next(
                (i for i, (x3, y3) in enumerate(zip(ra, rb, strict=False)) if x3 != y3),
                min(len(ra), len(rb)),
            )
            diff(
                f"reply #{first + 1} to the person's steps",
                chat,
                None,
                ra[first] if first < len(ra) else None,
                rb[first] if first < len(rb) else None,
            )
    return out


def _label_order(label: str | None) -> tuple[int, str]:
    if label and label[1:].isdigit():
        return int(label[1:]), label
    return 1 << 30, str(label)


__all__ = [
    "CallIndex",
    "Checker",
    "FinalState",
    "Snapshot",
    "Truth",
    "Violation",
    "compare_final",
    "final_state",
    "normalize",
    "snapshot",
]
