"""The outbox sender: delivers recorded notifications within each messenger's limits.

Rows are written by the transaction that caused them; this loop renders each from the current
state of its complaint as a neutral :class:`~bot.core.types.Card`, sends it through the
:class:`~bot.core.types.MessengerPort` of the row's ``channel`` (Telegram, MAX), and marks it
sent.  The port turns its client's errors into an :class:`~bot.core.types.Outcome`; what the
outbox does with each is below, the same for every messenger.

* Limits: every send goes through the channel's shared pacer (``bot/pacing.py``; Telegram:
  1 message a second per chat, 20 a minute per group, under 30 a second overall; MAX: 2 a
  second per chat, 30 requests a second); on top of that the sender holds any chat at
  ``chat_per_min`` messages a minute.  A person's rows on one messenger are paced and
  coalesced apart from their rows on the other.
* Bursts: when more than ``coalesce_over`` alerts wait for one chat, they go out as one
  summary message with a paged list (each row becomes ``coalesced``, naming its summary, and
  the summary row keeps its ``message_id``), never as a flood.
* Changes reach everyone who was told (issue 11): an ``update`` edits the chat's card of the
  complaint; if the chat has no card (the complaint came in a summary, or its alert failed)
  the change goes as a fresh card, which later changes then edit (several such changes at
  once for one chat: one summary of changes), and every summary listing the complaint is
  edited to show its page with the complaint's new state (``summary_edit`` rows).  A row is
  ``sent`` only after its Bot API call; a redundant one (an SLA notice made moot, a change to
  a complaint whose alert is not out yet and will show the current state) is ``skipped``
  with the reason in ``last_error``.
* Failures: 429 → wait ``retry_after``; 5xx and timeouts → retry with backoff; 403 → the
  person is marked unreachable on that messenger, the moderators are told, the row fails
  (never silently).  A send whose answer was lost (``AMBIGUOUS``: the port could not tell
  whether it arrived) is failed like a crash mid-send, never resent blindly.
* Exactly once: a row is claimed (``sending``, with the claiming process and time) by one
  conditional ``UPDATE … WHERE status = 'pending'`` committed *before* the HTTP call, and
  marked ``sent`` after it; of two senders only one wins a row.  A crash in between leaves it
  ``sending``; such new messages are failed rather than resent (Telegram has no idempotency
  key, so resending could duplicate) and, for an alert, the moderators are told that it may
  not have arrived; edits, which are idempotent, are retried.
* Several processes (issue 7, PostgreSQL): with ``workers``, live senders split the chats
  (``chat_id mod n``, so one chat's pacing stays in one process) and a sender settles only the
  ``sending`` rows of senders whose heartbeat stopped, every ``recover_every_s``.
* Muted people: alerts wait until the mute ends and then arrive as a summary; card edits
  (silent in Telegram) still go.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import defer

from bot.core import texts
from bot.core.capabilities import capabilities
from bot.core.keyboards import alert_keyboard, list_keyboard, open_keyboard
from bot.core.markup import fitted
from bot.core.privacy import Privacy
from bot.core.render import AlertView, ListItem, render_alert, render_list, vk_comment_url
from bot.core.types import Card, Channel, Delivery, Keyboard, Media, MessengerPort, Outcome
from bot.faults import Backoff, db_fault
from bot.metrics import Metrics
from bot.pacing import Pacer
from bot.sender_share import SenderShare
from config.clock import Clock
from storage.actions import moderators
from storage.db import dialect_insert
from storage.leases import Workers
from storage.models import (
    Agency,
    AlertMessage,
    Comment,
    Complaint,
    Notification,
    OutboxStatus,
    Page,
    Person,
    Post,
    Worker,
)
from storage.orphans import after_unreachable
from storage.outbox import enqueue
from storage.queries import agency_clock, complaint_lateness
from storage.sla_clock import awaiting_answer, running_answer

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

SUMMARY_PAGE_SIZE = 8
#: To the moderators when a crash hit an alert mid-send (issue 7): it may not have arrived.
ALERT_INTERRUPTED = (
    "⚠️ Уведомление о жалобе #{id} для {chat} прервано сбоем во время отправки и повторно "
    "не отправлялось, чтобы не задвоить. Проверьте, дошло ли оно: /complaint {id}"
)
#: The same for a summary of several alerts: one notice, not one per complaint.
ALERTS_INTERRUPTED = (
    "⚠️ Сводка о {n} жалобах ({ids}) для {chat} прервана сбоем во время отправки и повторно "
    "не отправлялась, чтобы не задвоить. Проверьте, дошла ли она: /complaint {first}"
)
#: Issue 6: rows that are a file (digest chart, weekly Excel; payload ``content_b64``,
#: ``filename``, ``caption``), and SLA notices, which are moot once the complaint is answered.
MEDIA_KINDS = frozenset({"photo", "document"})
SLA_KINDS = frozenset({"nudge", "escalation", "escalation_lead", "solution_breach"})
CARD_KINDS = frozenset({"alert", "update"})
#: Issue 11: refresh a sent summary (payload ``summary``: its row) to the page listing the
#: row's complaint, because that complaint changed.
SUMMARY_EDIT = "summary_edit"
#: Kinds that only edit a message already in the chat: silent, so they go even to the muted.
#: (An ``update`` edits only when the chat has the card; otherwise it is a new message.)
EDIT_KINDS = frozenset({"update", SUMMARY_EDIT})
#: How long a change waits when the same complaint's alert to the chat is mid-send.
DEFER_S = 2.0
#: The card of a row that sends nothing (skipped or deferred).
NOTHING = Card("")


@runtime_checkable
class MinutePacer(Protocol):
    """A pacer that also counts each chat's last minute, so the sender holds a chat at its
    ``chat_per_min`` cap whatever the messenger (Telegram's ``ChannelPacer``, MAX's
    ``MaxPacer``), and that is seeded when chats change hands."""

    def ready_in(self, chat_id: int, per_min: int | None = None, /) -> float: ...

    def seed(self, chat_id: int, ages_s: list[float], /) -> None: ...


@dataclass
class Outgoing:
    """What one claimed row turns into: a card for one person on one messenger."""

    row_ids: list[int]
    chat_id: int  # the person (or chat) the rows are for
    card: Card
    channel: Channel = Channel.TELEGRAM
    address: int | None = None  # the person's id on ``channel`` (None: they have none there)
    edit_ref: str | None = None  # edit this message instead of sending a new one
    complaint_id: int | None = None  # a new card: remember its message ref
    summary_id: int | None = None
    skip: str = ""  # why nothing is sent (the row is redundant); empty: send
    defer: bool = False  # not decidable yet (the alert it depends on is mid-send)
    media_kind: str | None = None  # a photo/document row (issue 6): the row's kind
    event: str = "message_sent"  # for the log line: what reached the chat
    about: int | None = None  # the complaint the row is about (log line)
    complaints: tuple[int, ...] = ()  # a summary's complaints (log line)


def address_on(channel: str, chat_id: int, person: Person | None) -> int | None:
    """Where ``chat_id``'s messages go on ``channel``: the person's id there, ``None`` when
    they have none; a chat no person owns (a group) is its own Telegram address."""
    if person is None:
        return chat_id if channel == Channel.TELEGRAM else None
    return person.max_user_id if channel == Channel.MAX else person.telegram_id


def _reached_on(channel: Channel) -> Any:
    """SQL: the person has an id on ``channel`` and has not stopped the bot there."""
    if channel is Channel.MAX:
        return Person.max_user_id.is_not(None) & Person.max_unreachable.is_(False)
    return Person.telegram_id.is_not(None) & Person.unreachable.is_(False)


async def reroute(session: AsyncSession) -> int:
    """Move new messages (not edits of a card that is where it is) to the messenger the person
    is reached on: the preferred one while it reaches them, else the other (issue 13: a
    person on both gets each alert once, on the preferred one; one who blocked the bot on one
    messenger is reached on the other).  Returns how many rows moved."""
    moved = 0
    for target, other in ((Channel.MAX, Channel.TELEGRAM), (Channel.TELEGRAM, Channel.MAX)):
        wanted = select(Person.id).where(
            _reached_on(target),
            ~_reached_on(other) | (Person.preferred_channel == target.value),
        )
        result = await session.execute(
            update(Notification)
            .where(
                Notification.status == OutboxStatus.PENDING,
                Notification.channel == other.value,
                Notification.kind.not_in(EDIT_KINDS),
                Notification.chat_id.in_(wanted),
            )
            .values(channel=target.value)
            .execution_options(synchronize_session=False)
        )
        moved += int(getattr(result, "rowcount", 0) or 0)
    return moved


def reached_channel(person: Person) -> Channel | None:
    """Where :func:`reroute` sends the person's new messages: the preferred messenger while
    it reaches them, else the other; None when neither does."""
    reached = [
        c
        for c in (Channel.MAX, Channel.TELEGRAM)
        if address_on(c, person.id, person) is not None and not unreachable_on(person, c)
    ]
    if len(reached) == 2:
        return Channel(person.preferred_channel)
    return reached[0] if reached else None


def unreachable_on(person: Person, channel: str) -> bool:
    """The person stopped the bot on ``channel`` (403)."""
    return person.max_unreachable if channel == Channel.MAX else person.unreachable


def _ports(port: Any) -> dict[Channel, MessengerPort]:
    """One port, a mapping of them, or (as before issue 13) an aiogram ``Bot``."""
    if isinstance(port, Mapping):
        return {Channel(c): p for c, p in port.items()}
    if hasattr(port, "channel") and hasattr(port, "edit"):
        return {Channel(port.channel): port}
    from bot.telegram.port import TelegramPort  # an aiogram Bot: its Telegram port

    return {Channel.TELEGRAM: TelegramPort(port)}


class OutboxSender:
    def __init__(
        self,
        port: MessengerPort | Mapping[Channel, MessengerPort] | Bot,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        pacer: Pacer | Mapping[Channel, Pacer],
        *,
        coalesce_over: int = 3,
        chat_per_min: int = 20,
        max_attempts: int = 8,
        metrics: Metrics | None = None,
        settle_retries: int = 12,
        workers: Workers | None = None,
        sender_roles: tuple[str, ...] = ("all", "bot"),
        recover_every_s: float = 15.0,
        settle_s: float | None = None,
        max_backoff_s: float = 10.0,
        privacy: Privacy | None = None,
    ) -> None:
        """``port``: the messenger ports by channel (one port, or an aiogram ``Bot`` for
        Telegram alone); ``pacer``: each channel's pacer, the one its port's client sends
        through (Telegram: ``bot.telegram.pacing.install_pacer``).  Rows of a channel with no
        port here wait for a process that has one.

        ``settle_retries``: how often recording a send's outcome is retried at once when the
        database is locked or away; after that the sender keeps retrying with backoff until
        it is stopped, since the outcome is only in memory then and losing it would leave the
        row ``sending`` (after a restart: failed with a "maybe not delivered" notice).

        With ``workers``: ``recover_every_s`` is how often the sender beats, looks at the live
        senders and settles dead ones' rows; ``settle_s`` how long a changed view of them must
        hold before it sends (see ``bot/sender_share.py``; default twice the former).
        ``max_backoff_s``: the longest real-time wait between passes while the database is
        away.  ``privacy``: the messengers in the no-personal-data mode; every row to one of
        them is rendered without residents' names and words (``bot/core/privacy.py``)."""
        self.ports = _ports(port)
        self.privacy = privacy or Privacy()
        self.pacers: dict[Channel, Pacer] = (
            {Channel(c): p for c, p in pacer.items()}
            if isinstance(pacer, Mapping)
            else {next(iter(self.ports)): pacer}
        )
        if missing := set(self.ports) - set(self.pacers):
            raise ValueError(f"no pacer for {sorted(missing)}")
        # Telegram's pacer, as callers before issue 13 knew it.
        self.pacer = self.pacers.get(Channel.TELEGRAM) or next(iter(self.pacers.values()))
        self.sessions = session_factory
        self.clock = clock
        self.coalesce_over = coalesce_over
        self.chat_per_min = chat_per_min
        self.max_attempts = max_attempts
        self.metrics = metrics
        self.settle_retries = settle_retries
        self.workers = workers
        self.sender_roles = sender_roles
        self.recover_every_s = recover_every_s
        self.me = workers.id if workers is not None else "single"
        # Alone (no ``workers``) every chat and the whole budget are this sender's.
        self.view = SenderShare(
            self.me,
            settle_s=settle_s if settle_s is not None else 2 * recover_every_s,
            max_age_s=2 * recover_every_s,
        )
        self.max_backoff_s = max_backoff_s
        self._share: tuple[int, int] | None = (0, 1) if workers is None else None
        self._last_share = self._share
        self._recovered = False
        self._next_recover = 0.0  # loop time of the next look at the other senders
        self._seed_pending = False
        self._stop: asyncio.Event | None = None
        self.wake = asyncio.Event()
        self.sent = 0
        self.summaries = 0

    async def recover(self) -> None:
        """Settle rows a crash left mid-send: edits are retried, new messages are not.

        Alone (no ``workers``) every ``sending`` row is a dead incarnation's; with several
        senders only rows claimed by a sender that is no longer alive are touched, and the
        sender also beats and takes a fresh view of its colleagues (``bot/sender_share.py``).
        """
        now = self.clock.now()
        # The view counts from before our heartbeat: others judge us by the heartbeat, so
        # ours must never look younger to us than it does to them.
        viewed_at = time.monotonic()
        next_recover = asyncio.get_running_loop().time() + self.recover_every_s
        if self.workers is not None:
            # Our heartbeat first, committed: a sender starting at the same moment then sees
            # us (or we see it), never both alone (see ``bot/sender_share.py``).
            async with self.sessions() as session, session.begin():
                await self.workers.beat(session)
        async with self.sessions() as session, session.begin():
            query = select(Notification).where(Notification.status == OutboxStatus.SENDING)
            if self.workers is not None:
                live = await self.workers.live(session, self.sender_roles)
                self.view.observe(await self._sending(session), viewed_at)
                self._update_share()
                query = query.where(
                    or_(Notification.claimed_by.is_(None), Notification.claimed_by.not_in(live))
                )
            rows = list((await session.execute(query.with_for_update(skip_locked=True))).scalars())
            # Alerts claimed together went out as one summary: one notice for them.
            lost: dict[tuple[int, str | None, datetime | None], list[Notification]] = {}
            for row in rows:
                if row.kind in EDIT_KINDS:
                    # An edit is idempotent.  A change that went as a fresh card (no card in
                    # the chat) may arrive twice: better than a change that never arrives.
                    row.status = OutboxStatus.PENDING
                    continue
                row.status = OutboxStatus.FAILED
                row.last_error = "interrupted mid-send; not resent to avoid a duplicate"
                log.warning("notification %s was interrupted mid-send", row.id)
                if row.kind == "alert" and row.complaint_id is not None:
                    lost.setdefault((row.chat_id, row.claimed_by, row.claimed_at), []).append(row)
            for (chat_id, _, _), group in lost.items():
                await tell_interrupted(session, chat_id, group, now)
        self._next_recover = next_recover

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set, waking on new rows, a ready chat or every second.

        A pass that fails (the database locked or away, most likely) changes nothing: rows
        stay pending.  The sender says so in the metrics, waits with growing real-time
        backoff and tries again, for as long as it takes."""
        self._stop = stop
        loop = asyncio.get_running_loop()
        backoff = Backoff(0.2, self.max_backoff_s)
        while not stop.is_set():
            try:
                # Alone, rows left ``sending`` are a dead incarnation's: settle them before
                # claiming anything.  With colleagues: look again every ``recover_every_s``.
                if not self._recovered or self._recover_due():
                    await self.recover()
                    self._recovered = True
                if self.workers is not None:
                    self._update_share()
                    if self._share is None:  # a changed view settles, or ours lapsed
                        hold = self.view.holds_for(time.monotonic())
                        due_in = self._next_recover - loop.time()
                        wait = min(hold or self.recover_every_s, due_in)
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), timeout=max(wait, 0.01))
                        continue
                pause = await self.drain_once(stop)
            except Exception as exc:
                self._failed(exc)
                wait = backoff.next()
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=wait)
                continue
            backoff.reset()
            if self.metrics is not None:
                self.metrics.part_ok("outbox")
            if pause > 0:
                self.wake.clear()
                timeout = min(pause, 1.0) / self.clock.speed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=max(timeout, 0.002))

    def _recover_due(self) -> bool:
        """Time to beat and look at the other senders again (never with no others)."""
        return self.workers is not None and asyncio.get_running_loop().time() >= self._next_recover

    def _failed(self, exc: Exception) -> None:
        cause = db_fault(exc)
        if cause in ("locked", "unavailable"):
            log.warning("outbox pass failed, database %s; retrying", cause)
        else:
            log.exception("outbox pass failed; retrying")
        if self.metrics is not None:
            self.metrics.part_failed("outbox", exc)

    async def _sending(self, session: AsyncSession) -> list[str]:
        """Senders that may be sending now: a heartbeat younger than a view may be old.  A
        sender's view is never younger than its heartbeat, so one whose heartbeat is older
        has stopped; a crashed incarnation leaves the share after ``max_age_s``, not after
        the heartbeat TTL (its rows are settled only after that, by ``recover``)."""
        assert self.workers is not None
        since = self.workers.now() - timedelta(seconds=self.view.max_age_s)
        rows = await session.execute(
            select(Worker.id).where(
                Worker.role.in_(self.sender_roles), Worker.heartbeat_at >= since
            )
        )
        return list(rows.scalars())

    def _update_share(self) -> None:
        """Act on the current view of the live senders, or hold while it settles or lapses."""
        share = self.view.share(time.monotonic())
        if share != self._share and share is not None:
            if share != self._last_share:
                log.info("outbox sender %s: chats mod %d = %d", self.me, share[1], share[0])
                self._last_share = share
            for pacer in self.pacers.values():
                pacer.set_share(share[1])
            self._seed_pending = True  # others may have sent to our chats meanwhile
        self._share = share

    async def _seed_pacer(self) -> None:
        """Chats that just became ours keep the pace another sender set them: what it sent
        (or is sending) to them in the last minute goes into our pacer."""
        now = self.clock.now()
        since = now - timedelta(seconds=60)
        async with self.sessions() as session:
            rows = await session.execute(
                select(
                    Notification.channel,
                    Notification.chat_id,
                    Notification.sent_at,
                    Notification.claimed_at,
                ).where(
                    or_(
                        (Notification.status == OutboxStatus.SENT)
                        & (Notification.sent_at >= since),
                        Notification.status == OutboxStatus.SENDING,
                    ),
                    or_(Notification.claimed_by.is_(None), Notification.claimed_by != self.me),
                )
            )
            ages: dict[tuple[str, int], list[float]] = {}
            for channel, chat_id, sent_at, claimed_at in rows:
                if self._mine(chat_id):
                    at = sent_at or claimed_at or now
                    age = max((now - at).total_seconds(), 0.0)
                    ages.setdefault((channel, chat_id), []).append(age)
            people = await _people(session, {chat for _, chat in ages})
        for (channel, chat_id), chat_ages in ages.items():
            pacer = self.pacers.get(Channel(channel))
            address = address_on(channel, chat_id, people.get(chat_id))
            if isinstance(pacer, MinutePacer) and address is not None:
                pacer.seed(address, chat_ages)
        self._seed_pending = False

    def _ready_in(self, channel: Channel, address: int) -> float:
        """Seconds until ``address`` on ``channel`` takes one more message (its pacer, and
        ``chat_per_min`` where the pacer counts minutes)."""
        pacer = self.pacers[channel]
        if isinstance(pacer, MinutePacer):
            return pacer.ready_in(address, self.chat_per_min)
        return pacer.ready_in(address)

    def _mine(self, chat_id: int) -> bool:
        if self._share is None:
            return False
        index, n = self._share
        return n <= 1 or chat_id % n == index

    async def drain_once(self, stop: asyncio.Event | None = None) -> float:
        """One pass: at most one message per ready chat.  Returns how long to rest (0 when
        something was sent and more may be waiting)."""
        if self._seed_pending:
            await self._seed_pacer()
        now = self.clock.now()
        async with self.sessions() as session:
            rows = await self._pending(session, now)
            if rows and len(self.ports) > 1 and await reroute(session):
                await session.commit()
                # The moved rows are in the session with their old channel: read them anew
                # (else they are paced and coalesced as if for the old messenger).
                session.expire_all()
                rows = await self._pending(session, now)
            # A person's rows on each messenger are paced (and coalesced) on their own.
            by_chat: dict[tuple[Channel, int], list[Notification]] = {}
            for row in rows:
                if self._mine(row.chat_id):
                    by_chat.setdefault((Channel(row.channel), row.chat_id), []).append(row)
            people = await _people(session, {chat for _, chat in by_chat})
            fresh = await fresh_updates(session, [r for rs in by_chat.values() for r in rs])
        rest = 1.0
        for (channel, chat_id), chat_rows in by_chat.items():
            if stop is not None and stop.is_set():
                break
            if self._recover_due():
                break  # look at the other senders first, before our view of them lapses
            person = people.get(chat_id)
            if len(self.ports) > 1 and person is not None:
                # Written after this pass moved rows (``reroute``): the next pass moves them.
                moved = [r for r in chat_rows if r.kind not in EDIT_KINDS]
                target = reached_channel(person)
                if moved and target is not None and target != channel and target in self.ports:
                    chat_rows = [r for r in chat_rows if r.kind in EDIT_KINDS]
                    rest = 0.0
                    if not chat_rows:
                        continue
            address = address_on(channel, chat_id, person)
            if person is not None and (unreachable_on(person, channel) or _muted(person, now)):
                await self._hold(channel, address, chat_rows, person, now, fresh)
                continue
            if address is not None:  # without one the row fails at once, unpaced
                wait = self._ready_in(channel, address)
                if wait > 0:
                    rest = min(rest, wait)
                    continue
            # New messages about complaints: alerts, and changes of complaints the chat has
            # no card of.  Too many at once go as one summary.
            news = [r.id for r in chat_rows if r.kind == "alert" or r.id in fresh]
            if len(news) > self.coalesce_over and address is not None:
                await self._deliver_summary(channel, chat_id, news)
            else:
                await self._deliver(chat_rows[0].id)
            rest = 0.0
        if self.metrics is not None:
            await self._report_depth()
        return rest

    async def _pending(self, session: AsyncSession, now: datetime) -> list[Notification]:
        """Rows due now on the messengers this sender serves, oldest first, without their
        payloads: a pass only plans who gets what (each row is read whole when it is sent), and
        after a burst thousands of cards are waiting (``bench/app_memory.py --comments 6000``:
        the app's peak 339.9 -> 335.8 MB)."""
        found = await session.execute(
            select(Notification)
            .options(defer(Notification.payload, raiseload=True))
            .where(
                Notification.status == OutboxStatus.PENDING,
                Notification.next_attempt_at <= now,
                Notification.channel.in_([str(c) for c in self.ports]),
            )
            .order_by(Notification.id)
            .limit(5000)
        )
        return list(found.scalars().all())

    async def _report_depth(self) -> None:
        """What is still waiting after this pass, and how long the oldest due row waits."""
        assert self.metrics is not None
        now = self.clock.now()
        async with self.sessions() as session:
            depth, oldest = (
                await session.execute(
                    select(
                        func.count(),
                        func.min(
                            case((Notification.next_attempt_at <= now, Notification.created_at))
                        ),
                    ).where(Notification.status == OutboxStatus.PENDING)
                )
            ).one()
        if isinstance(oldest, str):  # SQLite returns the aggregate of a decorated type raw
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        self.metrics.outbox_state(int(depth or 0), oldest)

    async def _hold(
        self,
        channel: Channel,
        address: int | None,
        rows: list[Notification],
        person: Person,
        now: datetime,
        fresh: set[int],
    ) -> None:
        """Unreachable: fail (moderators were told); muted: new messages (alerts, and changes
        that would be a fresh card) wait for the mute's end, silent edits still go."""
        silent = [r.id for r in rows if r.kind in EDIT_KINDS and r.id not in fresh]
        blocked = unreachable_on(person, channel)
        async with self.sessions() as session, session.begin():
            for row in rows:
                stored = await session.get(Notification, row.id)
                if stored is None or stored.status != OutboxStatus.PENDING:
                    continue
                if blocked:
                    stored.status, stored.last_error = OutboxStatus.FAILED, "unreachable"
                elif stored.id not in silent and person.muted_until is not None:
                    stored.next_attempt_at = person.muted_until
        ready = address is None or self._ready_in(channel, address) == 0
        if not blocked and silent and ready:
            await self._deliver(silent[0])

    # ---- one row ---------------------------------------------------------------------------

    async def _claim(self, session: AsyncSession, ids: list[int]) -> list[int]:
        """Atomically take pending rows for this sender (another may race for them)."""
        claimed = await session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING, claimed_by=self.me, claimed_at=self.clock.now())
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(claimed.scalars())

    async def _deliver(self, notification_id: int) -> None:
        async with self.sessions() as session, session.begin():
            if not await self._claim(session, [notification_id]):
                return
            row = await session.get(Notification, notification_id, populate_existing=True)
            if row is None:
                return
            out = await self._prepare(session, row)
            if out.defer:
                row.status = OutboxStatus.PENDING
                row.next_attempt_at = self.clock.now() + timedelta(seconds=DEFER_S)
                return
            if out.skip:
                row.status, row.last_error = OutboxStatus.SKIPPED, out.skip
                row.sent_at = None
            elif out.address is None:
                row.status = OutboxStatus.FAILED
                row.last_error = f"the person has no {out.channel} account"
        if out.address is None and not out.skip:
            log.warning(
                "notification %s failed: chat %s has no %s account",
                row.id,
                row.chat_id,
                out.channel,
                extra={"event": "outbox_no_address", "row": row.id, "chat": row.chat_id},
            )
            return
        if out.skip:
            log.info(
                "notification %s skipped (complaint %s, chat %s): %s",
                row.id,
                row.complaint_id,
                row.chat_id,
                out.skip,
                extra={"event": "outbox_skipped", "row": row.id, "chat": row.chat_id},
            )
            return
        await self._send_and_settle(out)

    async def _prepare(self, session: AsyncSession, row: Notification) -> Outgoing:
        channel = Channel(row.channel)
        address = address_on(channel, row.chat_id, await session.get(Person, row.chat_id))

        def out(card: Card = NOTHING, **kw: Any) -> Outgoing:
            return Outgoing([row.id], row.chat_id, card, channel, address, **kw)

        private = self.privacy.hides(channel)
        if row.kind in MEDIA_KINDS:
            # A file (the weekly Excel) lists the comments; a chart names nobody.
            if private and row.kind == "document" and row.payload.get("personal", True):
                withheld = texts.PRIVATE_FILE_WITHHELD.format(
                    caption=escape(str(row.payload.get("caption") or ""))
                )
                return out(Card(withheld.strip()))
            return out(media_card(row), media_kind=row.kind)
        if row.kind == SUMMARY_EDIT:
            return await self._prepare_summary_edit(session, row, out)
        if row.kind in SLA_KINDS and not await still_awaiting(session, row):
            return out(skip="moot: the complaint no longer awaits it")
        text = row.payload.get("text") if isinstance(row.payload, dict) else None
        if row.complaint_id is None or (row.kind not in CARD_KINDS and text):
            keyboard = open_keyboard(row.complaint_id) if row.complaint_id is not None else None
            if private:
                return out(await private_notice(session, row, self.clock.now(), keyboard))
            return out(Card(str(text or ""), keyboard))
        cid = row.complaint_id
        existing = await alert_message(session, cid, row.chat_id, channel)
        if row.kind != "alert" and existing is None:
            # No card of the complaint in this chat.  Its alert still to go will show the
            # current state; one mid-send may not, so wait for it; otherwise (the complaint
            # came in a summary, or its alert failed) the change goes as a fresh card.
            waiting = await alert_states(session, cid, row.chat_id, channel)
            if OutboxStatus.SENDING in waiting:
                return out(defer=True)
            if OutboxStatus.PENDING in waiting:
                return out(skip="superseded: the alert still to go shows the current state")
        card = await render_card(session, cid, row.chat_id, self.clock.now(), private=private)
        if row.kind == "alert":
            return out(card, complaint_id=cid, event="alert_sent")
        if existing is None:
            if await summaries_listing(session, cid, row.chat_id, channel):
                card = replace(card, html=f"{texts.CARD_CHANGED_FROM_SUMMARY}\n{card.html}")
            return out(card, complaint_id=cid, event="card_sent", about=cid)
        return out(card, edit_ref=existing.ref, event="card_edited", about=cid)

    async def _prepare_summary_edit(
        self, session: AsyncSession, row: Notification, out: Callable[..., Outgoing]
    ) -> Outgoing:
        """The summary's page that lists the changed complaint, as it is now."""
        sid = row.payload.get("summary")
        summary = await session.get(Notification, int(sid)) if sid is not None else None
        message_id = summary.payload.get("message_id") if summary is not None else None
        if summary is None or message_id is None:
            return out(skip="the summary's message is not known")
        ids = [int(i) for i in summary.payload.get("complaints", [])]
        page = ids.index(row.complaint_id) // SUMMARY_PAGE_SIZE if row.complaint_id in ids else 0
        person = await session.get(Person, row.chat_id)
        card = await render_summary(
            session,
            summary.id,
            ids,
            page,
            self.clock.now(),
            person.tz if person else None,
            private=self.privacy.hides(row.channel),
        )
        return out(card, edit_ref=str(message_id), event="summary_edited", about=row.complaint_id)

    # ---- a summary -------------------------------------------------------------------------

    async def _deliver_summary(self, channel: Channel, chat_id: int, row_ids: list[int]) -> None:
        """One message for many alerts and changes (of complaints the chat has no card of)."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            claimed = await self._claim(session, row_ids)
            if not claimed:
                return
            rows = (
                (
                    await session.execute(
                        select(Notification)
                        .where(Notification.id.in_(claimed))
                        .order_by(Notification.id)
                        .execution_options(populate_existing=True)
                    )
                )
                .scalars()
                .all()
            )
            # A complaint once, however many of its rows it bundles.
            complaint_ids = list(dict.fromkeys(r.complaint_id for r in rows if r.complaint_id))
            changed = sorted(
                {r.complaint_id for r in rows if r.kind != "alert" and r.complaint_id}
                - {r.complaint_id for r in rows if r.kind == "alert"}
            )
            summary = Notification(
                dedupe_key=f"summary:{chat_id}:{rows[0].id}",
                chat_id=chat_id,
                channel=channel,
                kind="summary",
                payload={
                    "complaints": complaint_ids,
                    "rows": [r.id for r in rows],
                    "changed": changed,
                },
                status=OutboxStatus.SENDING,
                created_at=now,
                next_attempt_at=now,
                claimed_by=self.me,
                claimed_at=now,
            )
            session.add(summary)
            await session.flush()
            person = await session.get(Person, chat_id)
            card = await render_summary(
                session,
                summary.id,
                complaint_ids,
                0,
                now,
                person.tz if person else None,
                private=self.privacy.hides(channel),
            )
            out = Outgoing(
                [r.id for r in rows],
                chat_id,
                card,
                channel,
                address_on(channel, chat_id, person),
                summary_id=summary.id,
                event="summary_sent",
                complaints=tuple(complaint_ids),
            )
        await self._send_and_settle(out)

    # ---- the wire --------------------------------------------------------------------------

    async def _send_and_settle(self, out: Outgoing) -> None:
        assert out.address is not None
        port = self.ports[out.channel]
        # Within the messenger's text limit whatever residents wrote (``bot/core/markup.py``).
        card = fitted(out.card, capabilities(out.channel))
        started = time.perf_counter()
        if out.edit_ref is not None:
            outcome = await port.edit(out.address, out.edit_ref, card)
        else:
            outcome = await port.send(out.address, card)
        if self.metrics is not None and out.channel is Channel.TELEGRAM:
            if outcome.delivery is Delivery.SENT:
                kind = (
                    "summary"
                    if out.summary_id is not None
                    else "edit"
                    if out.edit_ref is not None
                    else out.media_kind or "message"
                )
                self.metrics.telegram_sent(kind, seconds=time.perf_counter() - started)
            else:
                self.metrics.telegram_failed(outcome.reason, outcome.error)
        await self._settle_retrying(out, outcome)
        if outcome.delivery is Delivery.SENT:
            _log_sent(out, outcome.ref)

    async def _settle_retrying(self, out: Outgoing, outcome: Outcome) -> None:
        """Record the outcome, waiting out a locked or unavailable database (real time: the
        lock is held in the real world, whatever the app clock says) for as long as the
        sender runs.  Nothing else can be claimed meanwhile anyway."""
        backoff = Backoff(0.2, self.max_backoff_s)
        attempt = 0
        while True:
            try:
                delivered = await self._settle(out, outcome)
            except Exception as exc:
                if db_fault(exc) is None:
                    raise
                attempt += 1
                if self.metrics is not None:
                    self.metrics.part_failed("outbox", exc)
                stopping = self._stop is not None and self._stop.is_set()
                if stopping and attempt > self.settle_retries:
                    log.error(
                        "outcome of notifications %s (%s) not recorded; they stay 'sending' "
                        "until the next start",
                        out.row_ids,
                        outcome.delivery,
                    )
                    raise
                log.warning(
                    "recording outcome of %s failed (database %s); retrying",
                    out.row_ids,
                    db_fault(exc),
                )
                await asyncio.sleep(backoff.next())
            else:
                if self.metrics is not None and delivered:
                    self.metrics.alerts_sent.inc(len(delivered))
                    for created_at in delivered:
                        self.metrics.alert_delivered(created_at)
                return

    async def _settle(self, out: Outgoing, outcome: Outcome) -> list[datetime]:
        """Store the outcome; returns the creation times of the alerts it delivered."""
        now = self.clock.now()
        error, ref = outcome.error, outcome.ref
        delivered: list[datetime] = []
        async with self.sessions() as session, session.begin():
            rows = [
                r for rid in out.row_ids if (r := await session.get(Notification, rid)) is not None
            ]
            summary = await session.get(Notification, out.summary_id) if out.summary_id else None
            if outcome.delivery is Delivery.SENT:
                self.sent += 1
                delivered.extend(r.created_at for r in rows if r.kind == "alert")
                for r in rows:
                    r.status = OutboxStatus.COALESCED if summary else OutboxStatus.SENT
                    r.sent_at, r.last_error = now, None
                    if summary is not None:  # so a later change finds the summary to edit
                        r.payload = {**(r.payload or {}), "summary": summary.id}
                if summary is not None:
                    summary.status, summary.sent_at = OutboxStatus.SENT, now
                    summary.payload = {**summary.payload, "message_id": ref}
                    self.summaries += 1
                if out.complaint_id is not None and ref is not None:
                    await remember_card(
                        session, out.complaint_id, out.chat_id, ref, now, out.channel
                    )
                for r in rows:
                    if r.kind == "update" and r.complaint_id is not None:
                        await refresh_summaries(session, r, summary, now)
                return delivered
            if (
                out.edit_ref is not None
                and _gone(self.ports[out.channel], outcome)
                and [r.kind for r in rows] == ["update"]
            ):
                # The person deleted the card: forget it, so the change goes as a fresh one.
                log.info(
                    "card %s of complaint %s gone from chat %s; the change goes as a new card",
                    out.edit_ref,
                    rows[0].complaint_id,
                    out.chat_id,
                )
                await forget_card(session, rows[0], out.edit_ref)
                rows[0].status, rows[0].last_error = OutboxStatus.PENDING, error
                return delivered
            if summary is not None:
                await session.delete(summary)
            later = outcome.delivery is Delivery.LATER
            for r in rows:
                if later or outcome.delivery is Delivery.RETRY:
                    if not later:
                        r.attempts += 1
                    r.status, r.last_error = OutboxStatus.PENDING, error
                    delay = outcome.retry_after_s if later else min(2.0**r.attempts, 300.0)
                    r.next_attempt_at = now + timedelta(seconds=delay)
                    if r.attempts >= self.max_attempts:
                        r.status = OutboxStatus.FAILED
                else:
                    r.status, r.last_error = OutboxStatus.FAILED, error
            if outcome.delivery is Delivery.REJECTED:
                log.error("notification %s rejected by %s: %s", out.row_ids, out.channel, error)
            if outcome.delivery is Delivery.AMBIGUOUS:
                # It may have arrived: like a crash mid-send, never resent (a duplicate).
                log.warning(
                    "notification %s to chat %s on %s may not have arrived: %s",
                    out.row_ids,
                    out.chat_id,
                    out.channel,
                    error,
                )
                for r in rows:
                    r.last_error = (
                        f"may not have arrived; not resent to avoid a duplicate: {error}"
                    )
                alerts = [r for r in rows if r.kind == "alert"]
                await tell_interrupted(session, out.chat_id, alerts, now)
            if outcome.delivery is Delivery.BLOCKED:
                await self._blocked(session, out.chat_id, out.channel, now, rows)
        return delivered

    async def _blocked(
        self,
        session: AsyncSession,
        chat_id: int,
        channel: Channel,
        now: datetime,
        rows: list[Notification],
    ) -> None:
        """Mark the person unreachable on ``channel`` once.  When their other messenger
        reaches them, the new messages go there instead (edits of a card on the blocked one
        cannot); otherwise the moderators are told, through the outbox."""
        person = await session.get(Person, chat_id)
        log.warning("chat %s blocked the bot on %s; marked unreachable there", chat_id, channel)
        if person is None:
            return
        first = not unreachable_on(person, channel)
        if channel is Channel.MAX:
            person.max_unreachable = True
        else:
            person.unreachable = True
        other = Channel.TELEGRAM if channel is Channel.MAX else Channel.MAX
        reached = address_on(other, person.id, person) is not None
        if other in self.ports and reached and not unreachable_on(person, other):
            for r in rows:
                if r.kind not in EDIT_KINDS:
                    r.channel, r.status, r.last_error = other.value, OutboxStatus.PENDING, None
            log.info("person %s is reached on %s instead", person.id, other)
            return
        if not first:
            return
        text = texts.PERSON_BLOCKED_BOT.format(
            name=escape(person.name),
            role=texts.ROLE_NAMES.get(person.role, person.role),
            agencies=f", {', '.join(person.agencies)}" if person.agencies else "",
        )
        stamp = int(now.timestamp())
        for moderator in await moderators(session):
            if moderator == chat_id:
                continue
            enqueue(
                session,
                key=f"blocked:{chat_id}:{moderator}:{stamp}",
                chat_id=moderator,
                kind="text",
                now=now,
                payload={"text": text},
            )
        # Issue 11: the complaints this leaves with no official to hear of them go to the
        # moderators (storage/orphans.py).
        await after_unreachable(session, person, now)
        self.wake.set()


async def tell_interrupted(
    session: AsyncSession, chat_id: int, group: list[Notification], now: datetime
) -> None:
    """Alerts to ``chat_id`` may or may not have arrived (a crash mid-send, or an answer the
    messenger lost): a person must know, never silence.  One notice per moderator."""
    ids = sorted(r.complaint_id for r in group if r.complaint_id is not None)
    if not ids:
        return
    if len(ids) == 1:
        text = ALERT_INTERRUPTED.format(id=ids[0], chat=chat_id)
    else:
        listed = ", ".join(f"#{i}" for i in ids)
        text = ALERTS_INTERRUPTED.format(n=len(ids), ids=listed, chat=chat_id, first=ids[0])
    first = min(group, key=lambda r: r.id)
    for moderator in await moderators(session):
        enqueue(
            session,
            key=f"interrupted:{first.id}:{moderator}",
            chat_id=moderator,
            kind="text",
            complaint_id=ids[0],
            now=now,
            payload={"text": text, "private_text": text},  # ids only
        )


def _log_sent(out: Outgoing, ref: str | None) -> None:
    """One INFO line per message that reached a chat: ids only, never texts or names."""
    if out.summary_id is not None:
        log.info(
            "summary %s sent to chat %s: complaints %s (rows %s)",
            out.summary_id,
            out.chat_id,
            ",".join(str(i) for i in out.complaints),
            ",".join(str(i) for i in out.row_ids),
            extra={
                "event": out.event,
                "row": out.summary_id,
                "chat": out.chat_id,
                "channel": str(out.channel),
            },
        )
        return
    row = out.row_ids[0]
    about = out.about if out.about is not None else out.complaint_id
    what = {
        "alert_sent": "alert",
        "card_sent": "fresh card for a change",
        "card_edited": "card edit",
        "summary_edited": "summary edit",
    }.get(out.event, "notification")
    log.info(
        "%s sent: row %s, complaint %s, chat %s, message %s",
        what,
        row,
        about,
        out.chat_id,
        ref if ref is not None else out.edit_ref,
        extra={
            "event": out.event,
            "row": row,
            "complaint": about,
            "chat": out.chat_id,
            "channel": str(out.channel),
        },
    )


async def private_notice(
    session: AsyncSession, row: Notification, now: datetime, keyboard: Keyboard | None
) -> Card:
    """A notice for a messenger in the no-personal-data mode.  Its producer may give a
    version without residents' data (``private_text``); otherwise a notice about a complaint
    (an SLA notice, an orphan notice: their texts quote the comment) says what it is about
    above the complaint's card without the resident's data, and any other notice goes as it
    is (digests, reports and staff notices name no resident)."""
    payload = row.payload if isinstance(row.payload, dict) else {}
    if "private_text" in payload:
        return Card(str(payload["private_text"]), keyboard)
    if row.complaint_id is None:
        return Card(str(payload.get("text") or ""), keyboard)
    head = texts.PRIVATE_NOTICE.get(row.kind, texts.PRIVATE_NOTICE_OTHER)
    card = await render_card(session, row.complaint_id, row.chat_id, now, private=True)
    return Card(f"{head}\n{card.html}", keyboard)


def media_card(row: Notification) -> Card:
    """A photo or document row as a card.  The bytes travel base64 in the payload, so the
    file is committed with the row that announces it and survives a restart."""
    data = base64.b64decode(str(row.payload.get("content_b64", "")))
    media = Media(
        "image" if row.kind == "photo" else "file",
        str(row.payload.get("filename") or "file"),
        data,
    )
    return Card(str(row.payload.get("caption") or ""), media=media)


def _gone(port: MessengerPort, outcome: Outcome) -> bool:
    """The port says the message to edit no longer exists (the person deleted it)."""
    gone = getattr(port, "gone", None)
    if gone is not None:
        return bool(gone(outcome))
    return outcome.delivery is Delivery.REJECTED and outcome.reason == "message_gone"


async def _people(session: AsyncSession, ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    found = await session.execute(select(Person).where(Person.id.in_(sorted(ids))))
    return {p.id: p for p in found.scalars()}


async def still_awaiting(session: AsyncSession, row: Notification) -> bool:
    complaint = await session.get(Complaint, row.complaint_id)
    if complaint is None:
        return False
    if row.kind == "solution_breach":
        return complaint.status not in ("resolved", "dismissed", "deleted")
    return awaiting_answer(complaint)


def _muted(person: Person, now: datetime) -> bool:
    return person.muted_until is not None and person.muted_until > now


async def alert_message(
    session: AsyncSession,
    complaint_id: int,
    chat_id: int,
    channel: Channel | str = Channel.TELEGRAM,
) -> AlertMessage | None:
    """The complaint's card in the person's chat on ``channel``, if it has one (as stored now:
    ``remember_card`` writes past the session's objects)."""
    return (
        await session.execute(
            select(AlertMessage)
            .where(
                AlertMessage.complaint_id == complaint_id,
                AlertMessage.chat_id == chat_id,
                AlertMessage.channel == str(channel),
            )
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def alert_states(
    session: AsyncSession, complaint_id: int, chat_id: int, channel: Channel | str
) -> set[str]:
    """The statuses of the complaint's alert rows for the chat on ``channel``."""
    rows = await session.execute(
        select(Notification.status).where(
            Notification.complaint_id == complaint_id,
            Notification.chat_id == chat_id,
            Notification.channel == str(channel),
            Notification.kind == "alert",
        )
    )
    return set(rows.scalars())


async def fresh_updates(session: AsyncSession, rows: list[Notification]) -> set[int]:
    """Of ``rows``, the changes that will be a new message: no card of the complaint in the
    chat and no alert of it still to go there (which would show the current state)."""
    updates = [r for r in rows if r.kind == "update" and r.complaint_id is not None]
    if not updates:
        return set()
    ids = sorted({r.complaint_id for r in updates if r.complaint_id is not None})
    known: set[tuple[int, int, str]] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        cards = await session.execute(
            select(AlertMessage.complaint_id, AlertMessage.chat_id, AlertMessage.channel).where(
                AlertMessage.complaint_id.in_(chunk)
            )
        )
        to_go = await session.execute(
            select(Notification.complaint_id, Notification.chat_id, Notification.channel).where(
                Notification.complaint_id.in_(chunk),
                Notification.kind == "alert",
                Notification.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            )
        )
        known.update((int(c), int(chat), str(ch)) for c, chat, ch in cards.all())
        known.update((int(c or 0), int(chat), str(ch)) for c, chat, ch in to_go.all())
    return {r.id for r in updates if (r.complaint_id, r.chat_id, r.channel) not in known}


async def summaries_listing(
    session: AsyncSession, complaint_id: int, chat_id: int, channel: Channel | str
) -> set[int]:
    """The summary rows that listed the complaint in the chat on ``channel`` (its rows name
    them)."""
    payloads = await session.execute(
        select(Notification.payload).where(
            Notification.complaint_id == complaint_id,
            Notification.chat_id == chat_id,
            Notification.channel == str(channel),
            Notification.status == OutboxStatus.COALESCED,
        )
    )
    found: set[int] = set()
    for payload in payloads.scalars():
        if isinstance(payload, dict) and payload.get("summary") is not None:
            found.add(int(payload["summary"]))
    return found


async def refresh_summaries(
    session: AsyncSession, row: Notification, sent_in: Notification | None, now: datetime
) -> None:
    """A change of ``row``'s complaint reached its chat: every earlier summary there that
    lists the complaint is edited to show it as it is now (one pending edit per summary,
    turned to the page of the latest change)."""
    assert row.complaint_id is not None
    listing = await summaries_listing(session, row.complaint_id, row.chat_id, row.channel)
    for sid in sorted(listing - {sent_in.id if sent_in is not None else -1}):
        waiting = (
            (
                await session.execute(
                    select(Notification).where(
                        Notification.kind == SUMMARY_EDIT,
                        Notification.chat_id == row.chat_id,
                        Notification.channel == row.channel,
                        Notification.status == OutboxStatus.PENDING,
                        Notification.dedupe_key.like(f"{SUMMARY_EDIT}:{sid}:%"),
                    )
                )
            )
            .scalars()
            .first()
        )
        if waiting is not None:
            waiting.complaint_id = row.complaint_id
            continue
        enqueue(
            session,
            key=f"{SUMMARY_EDIT}:{sid}:{row.id}",
            chat_id=row.chat_id,
            channel=row.channel,
            kind=SUMMARY_EDIT,
            complaint_id=row.complaint_id,
            now=now,
            payload={"summary": sid},
        )


async def forget_card(session: AsyncSession, row: Notification, ref: str) -> None:
    """The card ``ref`` of ``row``'s complaint is gone from the chat."""
    if row.complaint_id is None:
        return
    card = await alert_message(session, row.complaint_id, row.chat_id, row.channel)
    if card is not None and card.ref == ref:
        await session.delete(card)


async def remember_card(
    session: AsyncSession,
    complaint_id: int,
    chat_id: int,
    ref: str | int,
    now: datetime,
    channel: Channel | str = Channel.TELEGRAM,
) -> None:
    """The newest card of a complaint in a chat on a messenger is the one later edits go
    to; ``ref`` is the messenger's message id (Telegram's number, MAX's ``mid.…``).

    One statement, not a look-up and an insert: the outbox sending an alert and a command
    showing the same card in the same seconds would both insert, and the loser's whole
    update failed (its card sent but never edited again).  On Telegram the higher message
    id wins whichever writes last; MAX's ids are not ordered, so there the last one wins."""
    table = AlertMessage.__table__
    ins = dialect_insert(session)(table).values(
        complaint_id=complaint_id, channel=str(channel), chat_id=chat_id, ref=str(ref), sent_at=now
    )
    newer = None
    if str(channel) == Channel.TELEGRAM:
        old, new = table.c.ref, ins.excluded.ref
        newer = or_(
            func.length(old) < func.length(new),
            and_(func.length(old) == func.length(new), old < new),
        )
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["complaint_id", "channel", "chat_id"],
            set_={"ref": ins.excluded.ref, "sent_at": ins.excluded.sent_at},
            where=newer,
        )
    )


async def render_card(
    session: AsyncSession,
    complaint_id: int,
    chat_id: int,
    now: datetime,
    *,
    private: bool | None = None,
) -> Card:
    """The complaint's card as ``chat_id`` sees it: text in their zone, their role's buttons;
    ``private``: for a messenger in the no-personal-data mode (default: the request's)."""
    view = await load_alert_view(session, complaint_id, chat_id, now=now)
    person = await session.get(Person, chat_id)
    role = person.role if person else ""
    waiting = view.waiting_since is not None
    keyboard = alert_keyboard(complaint_id, view.status, role, waiting=waiting)
    return Card(render_alert(view, private=private), keyboard)


async def render_summary(
    session: AsyncSession,
    summary_id: int,
    complaint_ids: list[int],
    page: int,
    now: datetime,
    tz: str | None,
    *,
    private: bool | None = None,
) -> Card:
    pages = max(1, math.ceil(len(complaint_ids) / SUMMARY_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = complaint_ids[page * SUMMARY_PAGE_SIZE : (page + 1) * SUMMARY_PAGE_SIZE]
    items = await list_items(session, chunk, now)
    row = await session.get(Notification, summary_id)
    changed = len(row.payload.get("changed", [])) if row is not None else 0
    new = len(complaint_ids) - changed
    if not changed:
        title = texts.SUMMARY_TITLE.format(count=texts.new_complaints_n(new))
    elif not new:
        title = texts.SUMMARY_TITLE_CHANGES.format(changed=texts.changed_complaints_n(changed))
    else:
        title = texts.SUMMARY_TITLE_MIXED.format(
            count=texts.new_complaints_n(new), changed=texts.changed_complaints_n(changed)
        )
    body = render_list(
        title, items, len(complaint_ids), page, pages, now, counted=True, private=private
    )
    text = f"{body}\n\n{texts.SUMMARY_HINT}"
    return Card(text, list_keyboard("batch", str(summary_id), page, pages, chunk))


async def list_items(
    session: AsyncSession, complaint_ids: list[int], now: datetime | None = None
) -> list[ListItem]:
    """Rows for a complaint list, in the order of ``complaint_ids``; with ``now``, each
    says how late its clock is (working time, issue 14).  Each names its agency."""
    if not complaint_ids:
        return []
    rows = (
        await session.execute(
            select(Complaint, Comment, Page, Agency)
            .join(Comment, Comment.id == Complaint.comment_pk)
            .outerjoin(Page, Page.group_id == -Complaint.owner_id)
            .outerjoin(Agency, Agency.id == Complaint.agency_id)
            .where(Complaint.id.in_(complaint_ids))
        )
    ).all()
    found = {
        c.id: ListItem(
            c.id,
            c.topic,
            p.name if p else str(c.owner_id),
            cm.text,
            c.due_at,
            waiting=c.waiting_since is not None,
            status=c.status,
            reopened=bool(c.reopen_count),
            urgent_reasons=tuple(c.urgent_reasons or ()) if c.urgent else None,
            late=complaint_lateness(c, now, agency_clock(a, c.agency_id)) if now else None,
            agency_name=a.name if a else c.agency_id,
        )
        for c, cm, p, a in rows
    }
    return [found[i] for i in complaint_ids if i in found]


async def load_alert_view(
    session: AsyncSession, complaint_id: int, chat_id: int, *, now: datetime | None = None
) -> AlertView:
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        raise LookupError(f"complaint {complaint_id} vanished")
    comment = await session.get(Comment, complaint.comment_pk)
    page = await session.get(Page, -complaint.owner_id)
    post = (
        await session.execute(
            select(Post).where(
                Post.owner_id == complaint.owner_id, Post.post_id == complaint.post_id
            )
        )
    ).scalar_one_or_none()
    person = await session.get(Person, chat_id)
    # The running clock's answer: after a reopen, the reopen's (the first stays for stats).
    got = running_answer(complaint)
    answer = await session.get(Comment, got.comment_pk) if got.comment_pk else None
    names = await _names(session, complaint.taken_by, got.by)
    agency = await session.get(Agency, complaint.agency_id)
    assert comment is not None
    return AlertView(
        complaint_id=complaint.id,
        topic=complaint.topic,
        status=complaint.status,
        page_name=page.name if page else str(complaint.owner_id),
        post_text=post.text if post else "",
        author=comment.author_name or texts.AUTHOR_UNKNOWN.format(id=comment.from_id),
        text=comment.text,
        url=vk_comment_url(
            comment.owner_id, comment.post_id, comment.comment_id, comment.thread_id
        ),
        edited_at=comment.edited_at,
        due_at=complaint.due_at,
        waiting_since=complaint.waiting_since,
        waiting_reason=complaint.waiting_reason,
        tz=person.tz if person else "Europe/Moscow",
        answered_text=answer.text if answer else None,
        response_seconds=got.response_seconds,
        business_seconds=got.business_seconds,
        otpiska=got.otpiska,
        quality=got.quality,
        quality_reasons=got.quality_reasons,
        answer_after_reopen=complaint.reopened_at is not None,
        urgent=complaint.urgent,
        urgent_reasons=tuple(complaint.urgent_reasons or ()),
        now=now,
        repeat_of=complaint.repeat_of,
        reopen_count=complaint.reopen_count or 0,
        taken_by_name=names.get(complaint.taken_by) if complaint.taken_by else None,
        answered_by_name=names.get(got.by) if got.by else None,
        # The responsible agency, always (issue 14): the page says where it was written.
        agency_name=agency.name if agency else complaint.agency_id,
        late=complaint_lateness(complaint, now, agency_clock(agency, complaint.agency_id))
        if now is not None
        else None,
    )


async def _names(session: AsyncSession, *ids: int | None) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    return dict(rows.all())


async def unreachable_people(session: AsyncSession) -> list[Person]:
    return list(
        (await session.execute(select(Person).where(Person.unreachable.is_(True)))).scalars()
    )


async def clear_unreachable(session: AsyncSession, chat_id: int) -> None:
    """The person wrote to the bot again, so it can reach them."""
    await session.execute(update(Person).where(Person.id == chat_id).values(unreachable=False))


__all__ = [
    "OutboxSender",
    "list_items",
    "load_alert_view",
    "remember_card",
    "render_card",
    "render_summary",
]
