"""Invariant soak: a randomized region on the sandbox over days of virtual time.

The real app (``bot.app.OtklikApp``, in this process) runs against the fake VK and the fake
Telegram on a virtual clock, as ``sandbox/runner.py`` runs it.  A seeded plan
(``bench/soak_plan.py``) of comments, thread replies, edits, deletions, answers by the page
and by officials' VK accounts, follow-ups, moderator commands, button presses, Telegram
429/5xx/timeouts, a blocked bot and restarts (some with the app down a while) is played
against it, and every ``--check-every`` virtual seconds the invariants of
``bench/soak_check.py`` are checked against the database and the fake's recorded calls:

* ``known``: every complaint reaches one of its officials, a moderator or an admin;
* ``change_reaches`` / ``card_final``: every change reaches everyone holding its card, and
  every card ends up showing the final state;
* ``sent_without_call``: no outbox row is sent without its Bot API call;
* ``escalated_deleted`` / ``deleted_alive``: nothing is nudged or escalated about a deleted
  comment, whose complaint is closed once the deletion had time to be seen;
* ``same_final_state``: the same seed at two speeds ends the same (``--speeds A,B``);
* ``collected``: every comment posted is stored, and not as the page's history (never
  decided);
* ``answered``: every command and button press of a person gets its reply.

Deadlines are virtual: a few minutes plus ``REAL_SLACK_S`` real seconds of slack, and the
time the app was down or this process's event loop stood still (a busy machine) does not
count.  At the end the app delivers what is due on a slow clock before the final state is
taken.

A person's update is pushed only once the previous one was answered, and injected faults
are dropped before it, so they hit deliveries, not replies.  Prints progress on stderr and
one JSON object as the last line of stdout; exits 1 when there are violations::

    .venv/bin/python -m bench.soak [--seed 1] [--days 3] [--speed 600] [--pages 6]
                                   [--speeds 600,300] [--idle-s 20] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import SecretStr
from sqlalchemy import func, select

from bench.soak_check import (
    CARD_RE,
    Checker,
    FinalState,
    Intervals,
    Truth,
    Violation,
    compare_final,
    final_state,
    parse_call,
    snapshot,
)
from bench.soak_plan import Plan, Step, make_plan
from bot.core import texts
from bot.core.callbacks import Act, AssignCb, ComplaintCb
from config.clock import VirtualClock
from config.settings import Settings, VKSettings
from sandbox.fake_telegram import FakeTelegram, FaultKind, TgCall
from sandbox.fake_vk import FakeVK
from sandbox.runner import Sandbox
from storage.db import make_engine, make_session_factory
from storage.models import Comment, Complaint, Notification

T = TypeVar("T")

#: Virtual seconds a person may wait to hear of a complaint or a change: a few minutes...
ALLOWANCE_S = 300.0
#: ... plus this many real seconds of a busy machine, in virtual time (× speed).
REAL_SLACK_S = 2.0
#: How long a deletion or an edit on a polled page may take to be seen: the cold period.
DETECT_S = 600.0
#: At the end: the clock's speed while the app delivers what is due, and for how long at
#: most (real seconds).
SETTLE_SPEED = 10.0
SETTLE_CAP_S = 30.0
#: The event-loop stall probe: its tick and the lateness that counts as a stall (real s).
STALL_TICK_S = 0.02
STALL_MIN_S = 0.01
#: Virtual seconds per real second while the app shuts down (it drains on a running clock).
SHUTDOWN_SPEED = 10.0
#: Real seconds to wait for a person's update to be answered, or a comment to be stored.
REPLY_WAIT_S = 30.0
STORE_WAIT_S = 20.0
#: Virtual seconds a comment may take to be stored before a person acts on it anyway.
STORE_WAIT_VIRTUAL_S = 1800.0


def allowance_s(speed: float, real_slack_s: float = REAL_SLACK_S) -> float:
    """How late (virtual seconds) a person may hear of something at ``speed``."""
    return ALLOWANCE_S + real_slack_s * speed


class SoakClock(VirtualClock):
    """The sandbox's clock, whose speed can change (the idle measurement runs at 1×)."""

    @property
    def running(self) -> bool:
        return self._real0 is not None

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        running = self._real0 is not None
        self.pause()
        self._speed = float(speed)
        if running:
            self.resume()


class SoakSandbox(Sandbox):
    """The sandbox with a speed-settable clock and some pages on Bots Long Poll."""

    clock: SoakClock

    def __init__(self, plan: Plan, *, workdir: Path, speed: float) -> None:
        super().__init__(plan.scenario, workdir=workdir, speed=speed, poll_interval_s=30.0)
        self.clock = SoakClock(plan.scenario.start, speed)
        self.clock.pause()
        self.vk = FakeVK(self.clock)
        self.tg = FakeTelegram(self.clock)
        self.lp_pages = plan.lp_pages
        #: Real seconds the fake holds a long poll (it honours ``wait`` in real time) and a
        #: stopping app waits for the poll in hand: 1 s keeps restarts short during the soak
        #: (events still come at once); the idle measurement uses the product's default.
        self.longpoll_wait_s = 1

    async def __aenter__(self) -> SoakSandbox:
        await super().__aenter__()
        return self

    def settings(self) -> Settings:
        s = super().settings()
        tokens = {gid: SecretStr(f"soak-group-{gid}") for gid in self.lp_pages}
        update = {"community_tokens": tokens, "longpoll_wait_s": self.longpoll_wait_s}
        vk = s.vk.model_copy(update=update)
        return s.model_copy(update={"vk": vk})

    def _populate(self) -> None:
        super()._populate()
        for gid in self.lp_pages:
            self.vk.add_token(f"soak-group-{gid}", "group", gid)


@dataclass
class RunResult:
    seed: int
    speed: float
    events: int
    steps: dict[str, int]
    violations: list[Violation]
    final: FinalState
    complaints: int
    real_s: float
    virtual_days: float
    checks: int
    skipped: dict[str, int]
    anomalies: list[str]
    faults_dropped: int
    stats: dict[str, int]
    idle_cpu_share: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)


class AppStopped(RuntimeError):
    """The app ended on its own (a crash): the soak cannot go on."""


class Driver:
    """Plays a plan's steps at their virtual instants and checks the invariants meanwhile."""

    def __init__(
        self, sb: SoakSandbox, plan: Plan, checker: Checker, truth: Truth, check_every_s: float
    ) -> None:
        self.sb = sb
        self.plan = plan
        self.checker = checker
        self.truth = truth
        self.engine = make_engine(sb.db_url)
        self.sessions = make_session_factory(self.engine)
        self.check_every = timedelta(seconds=check_every_s)
        self.next_check = plan.scenario.start + self.check_every
        self.replies: dict[int, list[str]] = defaultdict(list)
        self.events = 0
        self.checks = 0
        self.skipped: Counter[str] = Counter()
        self.anomalies: list[str] = []
        self.faults_dropped = 0
        self.max_lag_s = 0.0
        self.listings: set[int] = set()  # calls that replied with a list of the moment
        self.app_task: asyncio.Task[None] | None = None

    async def close(self) -> None:
        await self.engine.dispose()

    # ------------------------------------------------------------------ time

    async def check(self) -> None:
        async with self.sessions() as session:
            snap = await snapshot(session, self.sb.clock.now())
        self.checker.check(snap, self.sb.tg.calls)
        self.checks += 1

    def _alive(self) -> None:
        task = self.app_task
        if task is not None and task.done():
            exc = task.exception()
            raise AppStopped(f"the app stopped on its own: {exc!r}") from exc

    async def wait_until(self, t: datetime) -> None:
        clock = self.sb.clock
        while True:
            self._alive()
            now = clock.now()
            if now >= self.next_check and self.app_task is not None:
                await self.check()
                while self.next_check <= now:
                    self.next_check += self.check_every
                continue
            if now >= t:
                return
            wait = min(clock.real_seconds_until(t), clock.real_seconds_until(self.next_check))
            await asyncio.sleep(min(max(wait, 0.001), 0.05))

    async def play(self, steps: list[Step], until: datetime) -> None:
        for step in steps:
            await self.wait_until(step.at)
            lag = (self.sb.clock.now() - step.at).total_seconds()
            self.max_lag_s = max(self.max_lag_s, lag)
            real0 = time.monotonic()
            await self.do(step)
            took = time.monotonic() - real0
            if took > 1.0:
                self.anomalies.append(f"{step.describe()}: took {took:.1f} s (real)")
        await self.wait_until(until)

    async def settle(self, speed: float) -> None:
        """At the end, let the app deliver what is due, on a slow clock (so that little new
        comes due meanwhile): the final state is then the outcome, not a backlog."""
        clock = self.sb.clock
        clock.set_speed(min(speed, SETTLE_SPEED))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_CAP_S
        quiet = 0
        while quiet < 3 and loop.time() < deadline:
            self._alive()
            async with self.sessions() as session:
                due = await session.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(
                        Notification.status.in_(("pending", "sending")),
                        Notification.next_attempt_at <= clock.now(),
                    )
                )
            quiet = quiet + 1 if not due else 0
            await asyncio.sleep(0.1)
        clock.set_speed(speed)

    # ------------------------------------------------------------------ steps

    async def do(self, step: Step) -> None:
        self.events += 1
        sb, truth = self.sb, self.truth
        if step.kind == "comment":
            assert step.page and step.post and step.from_id and step.key and step.text
            if step.name:
                sb.vk.add_user(step.from_id, step.name)
            parent = truth.keys.get(step.reply_to) if step.reply_to else None
            cid = sb.vk.add_comment(
                step.page,
                step.post,
                at=step.at,
                from_id=step.from_id,
                text=step.text,
                reply_to=parent[2] if parent else None,
            )
            truth.keys[step.key] = (-step.page, step.post, cid)
            truth.posted[step.key] = step.at
            truth.texts[step.key] = step.text
        elif step.kind in ("edit", "delete"):
            assert step.key
            owner, _, cid = truth.keys[step.key]
            if step.kind == "edit":
                assert step.text
                sb.vk.edit_comment(-owner, cid, at=step.at, text=step.text)
                truth.texts[step.key] = step.text
            else:
                sb.vk.delete_comment(-owner, cid, at=step.at)
                truth.deleted[truth.keys[step.key]] = step.at
        elif step.kind == "block":
            assert step.person
            sb.tg.block(step.person)
            truth.blocked[step.person] = sb.clock.now()
        elif step.kind == "fault":
            assert step.fault
            sb.tg.inject_fault(
                cast(FaultKind, step.fault),
                count=step.count,
                delay_s=step.delay_s,
                retry_after=step.retry_after,
            )
        elif step.kind == "command":
            await self.command_step(step)
        elif step.kind == "press":
            await self.press_step(step)

    async def complaint_id(self, key: str) -> int | None:
        """The complaint raised by comment ``key``, once the comment is stored; None when the
        comment raised none (chatter, a follow-up) or was not stored in time."""
        vk_key = self.truth.keys.get(key)
        if vk_key is None:
            return None
        owner, post, comment_id = vk_key
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STORE_WAIT_S
        virtual_deadline = self.sb.clock.now() + timedelta(seconds=STORE_WAIT_VIRTUAL_S)
        while True:
            async with self.sessions() as session:
                row = (
                    await session.execute(
                        select(Comment.id, Complaint.id)
                        .outerjoin(Complaint, Complaint.comment_pk == Comment.id)
                        .where(
                            Comment.owner_id == owner,
                            Comment.post_id == post,
                            Comment.comment_id == comment_id,
                        )
                    )
                ).first()
            if row is not None:
                return int(row[1]) if row[1] is not None else None
            if loop.time() > deadline or self.sb.clock.now() > virtual_deadline:
                self.anomalies.append(
                    f"{self.sb.clock.now().isoformat()}: comment {key} still not stored when "
                    "a person was to act on it"
                )
                return None
            self._alive()
            await asyncio.sleep(0.05)

    def newest_card(self, chat: int, cid: int) -> int | None:
        best = None
        for message_id, m in self.sb.tg.messages(chat).items():
            found = CARD_RE.search(m.get("text") or "")
            if found and int(found.group(1)) == cid and (best is None or message_id > best):
                best = message_id
        return best

    def _before_update(self) -> None:
        """Faults still pending would hit the reply to this update: drop them."""
        tg = self.sb.tg
        pending = list(getattr(tg, "_faults", []))
        self.faults_dropped += sum(int(getattr(f, "remaining", 0)) for f in pending)
        tg.clear_faults()

    async def command_step(self, step: Step) -> None:
        assert step.person and step.text
        text = step.text
        if "{id}" in text:
            assert step.key
            cid = await self.complaint_id(step.key)
            if cid is None:
                self.skipped[f"{text.split()[0]}: no complaint"] += 1
                return
            text = text.format(id=cid)
        reply = await self.send_text(step.person, text, listing=not step.compare)
        if step.compare:
            self.replies[step.person].append(reply)

    async def send_text(self, person: int, text: str, *, listing: bool = False) -> str:
        """Send ``text`` as ``person``; the reply.  ``listing``: the reply lists what is open
        at this minute, so it does not count as telling the person (see ``final_state``)."""
        self._before_update()
        start = len(self.sb.tg.calls)
        self.sb.tg.push_message(person, text)
        what = f"{text.split()[0]} from {person}"
        if hasattr(self.sb, "wait_handled"):
            await self.handled(self.sb.tg.last_update_id, what)
            found = await self.reply_in(person, start)
        else:  # a sandbox without the handled hook: wait for the reply itself
            found = await self.poll(lambda: self.reply_in(person, start), what)
        if found is None:
            seen = await self.explained_calls(person, start)
            self.unanswered(person, f"{text.split()[0]} ({text!r}); calls to the chat: {seen}")
            return "(нет ответа)"
        index, call = found
        if listing:
            self.listings.add(index)
        return call.text or "" if call.status == 200 else f"(ошибка {call.status})"

    async def press_step(self, step: Step) -> None:
        assert step.person and step.key and step.act
        cid = await self.complaint_id(step.key)
        if cid is None:
            self.skipped[f"press {step.act}: no complaint"] += 1
            return
        message = self.newest_card(step.person, cid)
        if message is None:
            # No card of it in this chat (it came in a summary, or never): open it first.
            reply = await self.send_text(step.person, f"/complaint {cid}")
            message = self.newest_card(step.person, cid)
            if message is None:
                if step.compare:
                    self.replies[step.person].append(reply)
                self.skipped[f"press {step.act}: no card"] += 1
                return
        if step.act.startswith("assign:"):
            data = AssignCb(id=cid, agency=step.act.split(":", 1)[1]).pack()
        else:
            data = ComplaintCb(act=Act(step.act), id=cid).pack()
        self._before_update()
        start = len(self.sb.tg.calls)
        tg = self.sb.tg
        queries = [tg.push_callback(step.person, message, data)]
        updates = [getattr(tg, "last_update_id", 0)]
        if step.double:  # the same button twice before the first press is handled
            queries.append(tg.push_callback(step.person, message, data))
            updates.append(getattr(tg, "last_update_id", 0))

        async def answered() -> dict[str, TgCall] | None:
            found = {
                str(call.params.get("callback_query_id")): call
                for call in tg.calls[start:]
                if call.method == "answerCallbackQuery"
            }
            return found if all(q in found for q in queries) else None

        what = f"{step.person}'s press {step.act}"
        if hasattr(self.sb, "wait_handled"):
            for update_id in updates:
                await self.handled(update_id, what)
        else:
            await self.poll(answered, what)
        answers = {
            str(call.params.get("callback_query_id")): call
            for call in tg.calls[start:]
            if call.method == "answerCallbackQuery"
        }
        for query in queries:
            answer = answers.get(query)
            if answer is None:
                self.unanswered(step.person, f"the press {data!r} on message {message}")
            if step.compare:
                self.replies[step.person].append(
                    "(нет ответа)" if answer is None else str(answer.params.get("text") or "")
                )

    def unanswered(self, person: int, what: str) -> None:
        """A person's update got no reply: silence, whatever the cause (a handler error)."""
        now = self.sb.clock.now().isoformat()
        detail = f"{what} from chat {person} got no reply"
        self.checker.violations.append(Violation("answered", now, None, None, person, detail))

    async def handled(self, update_id: int, what: str) -> bool:
        """Wait until the app has handled the update (the sandbox's hook, called once the
        handler and its transaction are done)."""
        if await self.sb.wait_handled(update_id, timeout=REPLY_WAIT_S):
            return True
        self._alive()
        self.anomalies.append(
            f"{self.sb.clock.now().isoformat()}: {what} not handled in {REPLY_WAIT_S:.0f} s (real)"
        )
        return False

    async def poll(self, found: Callable[[], Awaitable[T | None]], what: str) -> T | None:
        """Until ``found()`` gives something (real seconds, bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPLY_WAIT_S
        while (result := await found()) is None and loop.time() < deadline:
            self._alive()
            await asyncio.sleep(0.01)
        if result is None:
            self.anomalies.append(
                f"{self.sb.clock.now().isoformat()}: {what} got nothing in {REPLY_WAIT_S:.0f} s"
            )
        return result

    async def reply_in(self, chat: int, start: int) -> tuple[int, TgCall] | None:
        """The handler's reply (its index in the fake's calls): the first message to the
        chat since ``start`` that the outbox did not send (see ``outbox_calls``)."""
        mine, taken = await self._attributed(chat, start)
        for index, call in mine:
            if call.method in REPLY_METHODS and index not in taken:
                return index, call
        return None

    async def _attributed(
        self, chat: int, start: int
    ) -> tuple[list[tuple[int, TgCall]], dict[int, Notification]]:
        """The chat's calls since ``start`` (index, call) and the outbox row of each the
        outbox made (``outbox_calls``)."""
        calls = self.sb.tg.calls
        mine = [(i, c) for i in range(start, len(calls)) if (c := calls[i]).chat_id == chat]
        if not mine:
            return mine, {}
        taken = outbox_calls(
            await self._chat_calls(chat, mine), await self._claims(chat, mine), start
        )
        return mine, taken

    async def explained_calls(self, chat: int, start: int) -> list[str]:
        """What the chat received since ``start`` and which outbox row each was taken for
        (the detail of a «no reply» violation)."""
        mine, taken = await self._attributed(chat, start)
        seen = []
        for index, call in mine:
            row = taken.get(index)
            why = (
                "no row"
                if row is None
                else f"row {row.id} {row.kind} №{row.complaint_id} {row.status} "
                f"claimed {row.claimed_at:%H:%M:%S} attempts {row.attempts}"
            )
            seen.append(f"{call.at:%H:%M:%S} {call.method} {call.status}: {why}")
        return seen

    async def _claims(self, chat: int, mine: list[tuple[int, TgCall]]) -> list[Notification]:
        """Outbox rows to ``chat`` claimed in the hours before these calls, oldest claim
        first."""
        first, last = mine[0][1].at, mine[-1][1].at
        async with self.sessions() as session:
            rows = await session.execute(
                select(Notification)
                .where(
                    Notification.chat_id == chat,
                    Notification.claimed_at.is_not(None),
                    Notification.claimed_at >= first - CLAIM_LOOKBACK,
                    Notification.claimed_at <= last + CLAIM_SLACK,
                )
                .order_by(Notification.claimed_at, Notification.id)
            )
            return list(rows.scalars())

    async def _chat_calls(
        self, chat: int, mine: list[tuple[int, TgCall]]
    ) -> list[tuple[int, TgCall]]:
        """Every call to ``chat`` a claim of the look-back could have made: the earlier
        ones too, so that a row already spent on its own call explains nothing later."""
        since = mine[0][1].at - CLAIM_LOOKBACK - CLAIM_SLACK
        head = [
            (i, c)
            for i, c in enumerate(self.sb.tg.calls[: mine[0][0]])
            if c.chat_id == chat and c.at >= since
        ]
        return head + mine


#: What a command's reply is sent with.
REPLY_METHODS = ("sendMessage", "sendPhoto")
#: How far before a call an outbox claim may lie (a card composed, then retried).
CLAIM_LOOKBACK = timedelta(hours=2)
#: The fake stamps a call a moment after the sender's clock read for the claim; at 600× a
#: real millisecond is most of a virtual second.
CLAIM_SLACK = timedelta(seconds=1)


def outbox_calls(
    calls: list[tuple[int, TgCall]], rows: list[Notification], start: int = 0
) -> dict[int, Notification]:
    """Which of a chat's calls (index, call; in order) the outbox made, and for which row.

    A claim makes one Bot API call (a row's text or card, or one summary for all the rows
    claimed together) after it is committed and before its rows settle, so a claim accounts
    for at most one call.  Without that limit a command's reply showing the same complaint
    as a card the outbox was sending (or had just failed to send) was taken for the
    outbox's too, and the soak reported the command unanswered; so was one showing a
    complaint of a summary that had just failed (its rows wait, their summary row is gone).
    Calls that cannot be a command's reply (before ``start``, edits, errors) are matched
    first, so a claim spends itself on its own edit rather than on a reply that came a
    moment earlier."""
    claims: dict[tuple[str | None, datetime | None], list[Notification]] = {}
    for claimed in rows:
        claims.setdefault((claimed.claimed_by, claimed.claimed_at), []).append(claimed)
    free = list(claims.values())
    taken: dict[int, Notification] = {}

    def may_reply(index: int, call: TgCall) -> bool:
        return index >= start and call.method in REPLY_METHODS and call.status == 200

    for replies in (False, True):
        for index, call in calls:
            if may_reply(index, call) != replies:
                continue
            for claim in free:
                row = next((r for r in claim if _could_send(r, call, len(claim) > 1)), None)
                if row is not None:
                    taken[index] = row
                    free.remove(claim)
                    break
    return taken


def _could_send(row: Notification, call: TgCall, bundled: bool = False) -> bool:
    """Whether this claim of ``row`` could have made ``call``: it was in flight then (claimed
    before it, not settled well before it) and the call carries the row's text, card or
    summary (``bundled``: claimed with other rows, as a summary's are)."""
    claimed = row.claimed_at
    if claimed is None or not claimed - CLAIM_SLACK <= call.at <= claimed + CLAIM_LOOKBACK:
        return False
    in_flight = (
        row.status == "sending"
        or (row.sent_at is not None and row.sent_at >= call.at - CLAIM_SLACK)
        or (row.status in ("pending", "failed") and claimed >= call.at - timedelta(minutes=5))
    )
    if not in_flight:
        return False
    parsed = parse_call(0, call)
    text = (row.payload or {}).get("text")
    if isinstance(text, str) and text == call.text:
        return True
    card = parsed.card if parsed is not None else None
    if row.kind in ("alert", "update") and card is not None and card == row.complaint_id:
        return True
    summary = texts.SUMMARY_HINT in (call.text or "")
    if summary and (row.kind in ("summary", "update") or (bundled and row.kind == "alert")):
        return True
    return row.kind in ("photo", "document") and call.method not in (
        "sendMessage",
        "editMessageText",
    )


def _segments(plan: Plan, end: datetime) -> list[tuple[list[Step], datetime, Step | None]]:
    """The plan cut at its restarts: (steps, until, the restart ending it)."""
    out: list[tuple[list[Step], datetime, Step | None]] = []
    current: list[Step] = []
    for step in plan.steps:
        if step.kind == "restart":
            out.append((current, step.at, step))
            current = []
        else:
            current.append(step)
    out.append((current, end, None))
    return out


async def run_plan(
    plan: Plan,
    *,
    speed: float,
    workdir: Path,
    end: datetime,
    check_every_s: float = 900.0,
    idle_s: float = 0.0,
    real_slack_s: float = REAL_SLACK_S,
    log: Callable[[str], None] = lambda _m: None,
) -> RunResult:
    """Play ``plan`` at ``speed`` until ``end`` and check the invariants."""
    real0 = time.monotonic()
    truth = Truth()
    allow = allowance_s(speed, real_slack_s)
    checker = Checker(truth, allowance_s=allow, detect_s=DETECT_S + allow)
    idle_share: float | None = None
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before the run
    async with SoakSandbox(plan, workdir=workdir, speed=speed) as sb:
        driver = Driver(sb, plan, checker, truth, check_every_s)
        watch = asyncio.create_task(_watch_stalls(sb.clock, truth.stalls))
        try:
            down_from: datetime | None = None
            pending = list(_segments(plan, end))
            while pending:
                steps, until, restart = pending.pop(0)
                stopping = asyncio.Event()
                sb.tg.clear_faults()  # start-up calls (getMe, menus) are not what is tested
                app = asyncio.create_task(
                    sb.run_app(end + timedelta(days=30), stop_when=stopping.is_set)
                )
                driver.app_task = app
                try:
                    if down_from is not None:  # down from the stop until it runs again
                        await _running(sb, app)
                        truth.downtimes.add(down_from, sb.clock.now())
                    await driver.play(steps, until)
                    if restart is None:
                        await driver.settle(speed)
                finally:
                    down_from = sb.clock.now()
                    real_stop = time.monotonic()
                    # The app drains on a running clock; slowly, so that a stop costs the
                    # same few virtual minutes at every speed (it takes seconds of real time).
                    sb.clock.set_speed(min(speed, SHUTDOWN_SPEED))
                    stopping.set()
                    with contextlib.suppress(Exception):
                        await app
                    sb.clock.set_speed(speed)
                    driver.app_task = None
                app.result()
                log(
                    f"  {sb.clock.now().isoformat()} app stopped after {driver.events} events "
                    f"(stopping took {time.monotonic() - real_stop:.1f} s real), "
                    f"{len(checker.violations)} violations so far"
                )
                if restart is None:
                    break
                driver.events += 1
                if restart.downtime_s > 0 and pending:
                    # The app stays down a while; residents keep writing meanwhile.
                    back_at = max(restart.at, sb.clock.now()) + timedelta(
                        seconds=restart.downtime_s
                    )
                    nxt, nxt_until, nxt_restart = pending[0]
                    during = [s for s in nxt if s.at < back_at and not s.telegram]
                    pending[0] = ([s for s in nxt if s not in during], nxt_until, nxt_restart)
                    sb.clock.resume()
                    await driver.play(during, back_at)
                    sb.clock.pause()
            await driver.check()
            async with driver.sessions() as session:
                snap = await snapshot(session, sb.clock.now())
            messages = {chat: sb.tg.messages(chat) for chat in _chats(sb.tg.calls)}
            checker.final_cards(snap, messages)
            checker.final_comments(snap)
            checker.finish(snap.now)
            final = final_state(
                snap, truth, checker.calls, messages, driver.replies, driver.listings
            )
            vk_stats = sb.vk.stats()
            tg_calls = len(sb.tg.calls)
            # Every Bot API call, for reading a violation against (no residents' data: the
            # sandbox's texts are generated).
            await asyncio.to_thread(_dump_calls, workdir / "telegram_calls.jsonl", sb.tg.calls)
            if idle_s > 0:
                watch.cancel()  # the probe's own ticks are not the app's cost
                sb.longpoll_wait_s = VKSettings().longpoll_wait_s
                idle_share = await _idle(sb, idle_s, log)
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            await driver.close()
    return RunResult(
        seed=plan.seed,
        speed=speed,
        events=driver.events,
        steps=plan.counts(),
        violations=list(checker.violations),
        final=final,
        complaints=len(snap.complaints),
        real_s=round(time.monotonic() - real0, 1),
        virtual_days=round((end - plan.scenario.start).total_seconds() / 86_400, 3),
        checks=driver.checks,
        skipped=dict(driver.skipped),
        anomalies=driver.anomalies,
        faults_dropped=driver.faults_dropped,
        stats=dict(checker.stats),
        idle_cpu_share=idle_share,
        notes={
            "downtimes": [(a.isoformat(), b.isoformat()) for a, b in truth.downtimes.as_pairs()],
            "loop_stalls_virtual_s": round(truth.stalls.total().total_seconds()),
            "loop_stalls_real_s": round(truth.stalls.total().total_seconds() / speed, 1),
            "vk_requests": vk_stats.get("http_requests"),
            "vk_long_polls": vk_stats.get("lp_requests"),
            "telegram_calls": tg_calls,
            "max_step_lag_s": round(driver.max_lag_s, 1),
        },
    )


def _cpu_wait_s() -> float | None:
    """Seconds the calling thread has spent runnable but waiting for a CPU (Linux keeps it in
    ``schedstat``); None where the kernel does not say."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def cpu_wait_known() -> bool:
    """Whether this kernel tells how long a thread waited for a CPU (``schedstat``)."""
    return _cpu_wait_s() is not None


async def _watch_stalls(clock: SoakClock, stalls: Intervals) -> None:
    """Record, in virtual time, when this process's event loop stood still (the app, the
    fakes and the soak share it): a blocked loop, or one that had work but no CPU because
    the machine was busy with other processes, is not the app being late.  The second is
    counted from the kernel's own figure, so the outcome does not depend on the machine's
    load (a loop starved in many short slices is never late by a whole tick)."""
    loop = asyncio.get_running_loop()
    waited0 = _cpu_wait_s()
    while True:
        t0 = loop.time()
        await asyncio.sleep(STALL_TICK_S)
        late = loop.time() - t0 - STALL_TICK_S
        waited = _cpu_wait_s()
        starved = waited - waited0 if waited is not None and waited0 is not None else 0.0
        waited0 = waited
        lost = max(late if late > STALL_MIN_S else 0.0, starved)
        if lost > 0 and clock.running:
            now = clock.now()
            stalls.add(now - timedelta(seconds=lost * clock.speed), now)


async def _running(sb: SoakSandbox, app: asyncio.Task[None]) -> None:
    """Until the restarted app has started and the sandbox runs the clock again."""
    while not (sb.app is not None and sb.app.started.is_set() and sb.clock.running):
        if app.done():
            app.result()
            raise AppStopped("the app ended during start-up")
        await asyncio.sleep(0.01)


def _dump_calls(path: Path, calls: list[TgCall]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for c in calls:
            if c.method == "getUpdates":
                continue
            row = {
                "at": c.at.isoformat(),
                "method": c.method,
                "chat": c.chat_id,
                "status": c.status,
                "message_id": c.message_id,
                "text": c.text,
                "error": c.error,
                "callback_query_id": c.params.get("callback_query_id"),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _chats(calls: list[TgCall]) -> list[int]:
    return sorted({c.chat_id for c in calls if c.chat_id is not None})


async def _idle(sb: SoakSandbox, idle_s: float, log: Callable[[str], None]) -> float:
    """CPU share of this process (the app plus the idle fakes) with the app running at 1×
    and nothing happening, after a 15 s start-up (the idle spin of issue 11 began there)."""
    sb.clock.set_speed(1.0)
    stopping = asyncio.Event()
    app = asyncio.create_task(
        sb.run_app(sb.clock.now() + timedelta(days=1), stop_when=stopping.is_set)
    )
    try:
        while sb.app is None or not sb.app.started.is_set():
            await asyncio.sleep(0.05)
        await asyncio.sleep(15.0)
        cpu0, real0 = time.process_time(), time.monotonic()
        await asyncio.sleep(idle_s)
        share = (time.process_time() - cpu0) / (time.monotonic() - real0)
    finally:
        stopping.set()
        await app
    log(f"  idle at 1×: {share:.1%} of a core over {idle_s:.0f} s")
    return share


def end_of(plan: Plan, speeds: list[float], real_slack_s: float = REAL_SLACK_S) -> datetime:
    """One end for every speed of a seed: the drain after the last step lets the slowest
    allowance pass, so every obligation is judged and the final states are comparable."""
    last = max((s.at for s in plan.steps), default=plan.scenario.start)
    drain = timedelta(seconds=max(allowance_s(s, real_slack_s) for s in speeds) + 600)
    return max(plan.end, last + drain)


async def soak(
    seed: int,
    *,
    days: float,
    pages: int,
    speeds: list[float],
    workdir: Path,
    complaints_per_page_day: float = 12.0,
    check_every_s: float = 900.0,
    idle_s: float = 0.0,
    real_slack_s: float = REAL_SLACK_S,
    log: Callable[[str], None] = lambda _m: None,
) -> tuple[Plan, list[RunResult], list[Violation]]:
    """Run one seed at each speed; the second and later speeds are compared with the
    first.  Returns the plan, each run's result and the comparison's violations."""
    plan = make_plan(seed, days=days, pages=pages, complaints_per_page_day=complaints_per_page_day)
    end = end_of(plan, speeds, real_slack_s)
    log(f"seed {seed}: {len(plan.steps)} steps {plan.counts()}, until {end.isoformat()}")
    results = []
    for n, speed in enumerate(speeds):
        log(f" run at {speed:g}×")
        results.append(
            await run_plan(
                plan,
                speed=speed,
                workdir=workdir / f"seed{seed}-{n}-{speed:g}x",
                end=end,
                check_every_s=check_every_s,
                idle_s=idle_s if n == len(speeds) - 1 else 0.0,
                real_slack_s=real_slack_s,
                log=log,
            )
        )
        log(
            f"  {speed:g}×: {results[-1].events} events, {results[-1].complaints} complaints, "
            f"{len(results[-1].violations)} violations, {results[-1].real_s} s real"
        )
    compared: list[Violation] = []
    for other in results[1:]:
        compared += compare_final(results[0].final, other.final, (results[0].speed, other.speed))
    return plan, results, compared


def report(
    plan: Plan, results: list[RunResult], compared: list[Violation], *, max_listed: int = 100
) -> dict[str, Any]:
    """The one-line JSON summary."""
    listed: list[dict[str, Any]] = []
    by_invariant: Counter[str] = Counter()
    for r in results:
        for v in r.violations:
            by_invariant[v.invariant] += 1
            listed.append({**v.as_dict(), "speed": r.speed})
    for v in compared:
        by_invariant[v.invariant] += 1
        listed.append({**v.as_dict(), "speed": "both"})
    first = results[0]
    idle = next((r.idle_cpu_share for r in results if r.idle_cpu_share is not None), None)
    return {
        "seed": plan.seed,
        "events": first.events,
        "violation_count": len(listed),
        "by_invariant": dict(by_invariant),
        "violations": listed[:max_listed],
        "violations_listed": min(len(listed), max_listed),
        "idle_cpu_share": round(idle, 4) if idle is not None else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "virtual_days": first.virtual_days,
        "real_s": round(sum(r.real_s for r in results), 1),
        "pages": len(plan.scenario.pages),
        "runs": [
            {
                "speed": r.speed,
                "events": r.events,
                "complaints": r.complaints,
                "violations": len(r.violations),
                "checks": r.checks,
                "real_s": r.real_s,
                "skipped": r.skipped,
                "anomalies": r.anomalies[:20],
                "faults_dropped_before_updates": r.faults_dropped,
                "obligations_met": r.stats,
                **r.notes,
            }
            for r in results
        ],
        "steps": plan.counts(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=float, default=3.0, help="virtual days of activity")
    ap.add_argument("--speed", type=float, default=600.0, help="virtual seconds per real second")
    ap.add_argument(
        "--speeds",
        default="",
        help="speeds to compare, e.g. 600,300 (default: --speed and half of it)",
    )
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--rate", type=float, default=12.0, help="complaints per page per day")
    ap.add_argument("--check-every", type=float, default=900.0, help="virtual seconds")
    ap.add_argument("--idle-s", type=float, default=20.0, help="idle CPU window (0: skip)")
    ap.add_argument(
        "--real-slack",
        type=float,
        default=REAL_SLACK_S,
        help="real seconds added to the 5 virtual minutes a person may wait (× speed)",
    )
    ap.add_argument("--max-listed", type=int, default=100)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    speeds = (
        [float(s) for s in args.speeds.split(",") if s.strip()]
        if args.speeds
        else [args.speed, args.speed / 2]
    )
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="otklik-soak-"))

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    plan, results, compared = asyncio.run(
        soak(
            args.seed,
            days=args.days,
            pages=args.pages,
            speeds=speeds,
            workdir=workdir,
            complaints_per_page_day=args.rate,
            check_every_s=args.check_every,
            idle_s=args.idle_s,
            real_slack_s=args.real_slack,
            log=log,
        )
    )
    out = report(plan, results, compared, max_listed=args.max_listed)
    out["workdir"] = str(workdir)
    print(json.dumps(out, ensure_ascii=False))
    return 1 if out["violation_count"] else 0


__all__ = [
    "RunResult",
    "SoakSandbox",
    "allowance_s",
    "cpu_wait_known",
    "end_of",
    "report",
    "run_plan",
    "soak",
]


if __name__ == "__main__":
    sys.exit(main())
