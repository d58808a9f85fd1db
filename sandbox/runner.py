"""Run the real application against the fake VK, Telegram and MAX servers on a virtual clock.

Scenario people with a ``max_user_id`` are known to the fake MAX, and the app talks to it
with the real ``maxapi`` by long polling (issue 13); ``max`` events are fed through it like
Telegram's, each once the one before was handled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from bot.app import MatcherFns, OtklikApp
from bot.drawing import Drawing
from config.clock import VirtualClock
from config.registry import Registry
from config.settings import (
    DatabaseSettings,
    MaxSettings,
    MetricsSettings,
    Settings,
    TelegramSettings,
    VKSettings,
)
from sandbox.fake_max import FakeMax, MaxCall
from sandbox.fake_telegram import FakeTelegram, TgCall
from sandbox.fake_vk import FakeVK
from sandbox.scenario import Scenario, ScenarioMax
from storage.db import make_engine, make_session_factory
from storage.models import AlertMessage, Comment, Complaint

log = logging.getLogger(__name__)

SANDBOX_BOT_TOKEN = "123456:SANDBOX-TOKEN"
SANDBOX_VK_TOKEN = "sandbox-service-key"
SANDBOX_MAX_TOKEN = "sandbox-max-token"


def community_token(group_id: int) -> str:
    """The community token the sandbox gives a ``community: true`` page (issue 15)."""
    return f"sandbox-community-{group_id}"


USER_VISIBLE = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "sendPhoto",
        "sendDocument",
        "editMessageReplyMarkup",
        "deleteMessage",
        "answerCallbackQuery",
    }
)
#: The MAX calls a person sees (the demo prints them).
MAX_USER_VISIBLE = frozenset({"POST /messages", "PUT /messages", "DELETE /messages"})


#: Real seconds the first run waits for the collector's first look at every page.
FIRST_LOOK_CAP_S = 120.0
#: While the first look is held: virtual seconds let through per 10 ms real.
FIRST_LOOK_STEP_S = 0.05
FIRST_LOOK_STEP = timedelta(seconds=FIRST_LOOK_STEP_S)
#: Real seconds the hold stays just before the scenario's first event before creeping past it.
FIRST_LOOK_STALL_S = 30.0
#: VK requests failed in a row that end the hold (VK is away; the first look waits for it).
FIRST_LOOK_VK_FAILURES = 3
#: Real seconds a scenario's Telegram event waits at most for the message its button sits
#: on, and then for the app to handle it, before the feed moves on (a safety net: a run on
#: a loaded machine waits on these conditions, never on a fixed share of virtual time).
EVENT_CAP_S = 60.0
#: A Telegram or MAX event waits for the scenario comments posted this long before it.
SETTLE_VIRTUAL = timedelta(minutes=10)
#: Real seconds that wait lasts at most (then the feed stops waiting for comments).
SETTLE_CAP_S = 60.0


class Sandbox:
    """Fakes plus the world of one scenario; the app can be started and stopped many times."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        workdir: Path,
        speed: float = 600.0,
        poll_interval_s: float = 30.0,
        db_url: str | None = None,
        matcher: MatcherFns | None = None,
        on_call: Callable[[TgCall], None] | None = None,
        busy_timeout_s: float = 10.0,
        on_max_call: Callable[[MaxCall], None] | None = None,
    ) -> None:
        self.scenario = scenario
        self.registry: Registry = scenario.registry()
        self.clock = VirtualClock(scenario.start, speed)
        self.clock.pause()
        self.workdir = workdir
        self.db_url = db_url or f"sqlite+aiosqlite:///{workdir / 'sandbox.db'}"
        self.poll_interval_s = poll_interval_s
        self.matcher = matcher
        self.on_call = on_call
        self.on_max_call = on_max_call
        self.vk = FakeVK(self.clock)
        self.tg = FakeTelegram(self.clock)
        self.max = FakeMax(self.clock, token=SANDBOX_MAX_TOKEN)
        #: The app gets a MAX token only when the scenario has someone on MAX (a run
        #: without keeps Telegram's cost and calls exactly as before issue 13).
        self.uses_max = any(p.max_user_id is not None for p in scenario.people) or any(
            ev.max is not None for ev in scenario.events
        )
        self._feeder: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self.app_runs = 0
        self.busy_timeout_s = busy_timeout_s
        self.app: OtklikApp | None = None  # the running (or last) app, for its metrics
        #: Where the app reaches the Bot API (None: the fake itself; a test may put a proxy
        #: in between that fails like a real network does).
        self.telegram_api_base: str | None = None
        self.handled_updates: set[int] = set()
        self._update_waiters: dict[int, asyncio.Future[None]] = {}
        #: Scenario Telegram and MAX events the feed is done with (handled, or given up on).
        self.fed_events = 0
        self._telegram_events = [
            ev for ev in scenario.events if ev.telegram is not None or ev.max is not None
        ]
        #: (appears at, owner_id, post, comment id) of every scenario comment, for the feed's
        #: wait on what a person typing a command has already seen (``_comments_settled``).
        self._scenario_comments: list[tuple[datetime, int, int, int]] = []
        self._deleted_at = {
            (ev.delete.page, ev.delete.id): ev.at for ev in scenario.events if ev.delete
        }
        self._settle_given_up = False
        #: Scenario comments the app is known to have stored (never queried again).
        self._settled: set[tuple[int, int, int]] = set()

    async def __aenter__(self) -> Sandbox:
        self.workdir.mkdir(parents=True, exist_ok=True)
        await self.vk.start()
        await self.tg.start()
        await self.max.start()
        self._populate()
        if self.on_call is not None or self.on_max_call is not None:
            self._watcher = asyncio.create_task(self._watch_calls())
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in (self._feeder, self._watcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.max.stop()
        await self.tg.stop()
        await self.vk.stop()

    def settings(self) -> Settings:
        return Settings(
            telegram=TelegramSettings(
                token=SecretStr(SANDBOX_BOT_TOKEN),
                api_base=self.telegram_api_base or self.tg.base_url,
                polling_timeout_s=1,
            ),
            vk=VKSettings(
                service_tokens=[SecretStr(SANDBOX_VK_TOKEN)],
                api_base=self.vk.base_url,
                poll_interval_s=self.poll_interval_s,
                community_tokens={
                    p.group_id: SecretStr(community_token(p.group_id))
                    for p in self.scenario.pages
                    if p.community
                },
            ),
            max=MaxSettings(
                token=SecretStr(SANDBOX_MAX_TOKEN),
                api_base=self.max.base_url,
                mode="polling",
                polling_timeout_s=1,
            )
            if self.uses_max
            else MaxSettings(),
            db=DatabaseSettings(url=self.db_url, busy_timeout_s=self.busy_timeout_s),
            registry_path=self.workdir / "registry.yaml",
            metrics=MetricsSettings(port=0),  # runs side by side with tests and a real app
        )

    def _populate(self) -> None:
        sc = self.scenario
        self.vk.add_token(SANDBOX_VK_TOKEN, "service")
        for page in sc.pages:
            self.vk.add_group(page.group_id, page.name, page.screen_name)
            if page.community:
                self.vk.add_token(community_token(page.group_id), "group", page.group_id)
        for post in sc.posts:
            self.vk.add_post(
                post.page,
                post_id=post.id,
                at=post.at,
                text=post.text,
                comments_closed=post.comments_closed,
            )
        for person in sc.people:
            first, _, last = person.name.partition(" ")
            if person.telegram_id is not None:
                self.tg.add_user(person.telegram_id, first, last or None)
            if person.max_user_id is not None:
                self.max.add_user(person.max_user_id, first, last or None)
        for ev in sc.events:
            if ev.comment is not None:
                c = ev.comment
                if c.name:
                    self.vk.add_user(c.from_id, c.name)
                cid = self.vk.add_comment(
                    c.page,
                    c.post,
                    at=ev.at,
                    from_id=c.from_id,
                    text=c.text,
                    comment_id=c.id,
                    reply_to=c.reply_to,
                )
                self._scenario_comments.append((ev.at, -c.page, c.post, cid))
            elif ev.edit is not None:
                self.vk.edit_comment(ev.edit.page, ev.edit.id, at=ev.at, text=ev.edit.text)
            elif ev.delete is not None:
                self.vk.delete_comment(ev.delete.page, ev.delete.id, at=ev.at)

    def _update_handled(self, update_id: int) -> None:
        """The app's hook: one update is handled (any app run of this sandbox)."""
        self.handled_updates.add(update_id)
        waiter = self._update_waiters.pop(update_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait_handled(self, update_id: int, timeout: float = EVENT_CAP_S) -> bool:
        """Wait (real seconds) until the app has handled update ``update_id``."""
        if update_id in self.handled_updates:
            return True
        waiter = self._update_waiters.setdefault(
            update_id, asyncio.get_running_loop().create_future()
        )
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            return False
        return True

    async def _feed_telegram(self) -> None:
        """Push the scenario's Telegram events into the fake at their virtual times, each
        only once the app has handled the one before (issue 11: at 1,000× two commands a
        virtual minute apart met in one ``getUpdates`` and were answered out of order).

        A press waits for the message its button sits on: nobody presses a button on a
        message that has not reached them.  Late events go at once, in order."""
        for ev in self._telegram_events:
            while (wait := self.clock.real_seconds_until(ev.at)) > 0:
                await asyncio.sleep(min(wait, 0.05))
            await self._comments_settled(ev.at)
            t = ev.telegram
            if t is None:
                assert ev.max is not None
                await self._feed_max(ev.at, ev.max)
                self.fed_events += 1
                continue
            if t.callback is not None and t.message is not None:
                if not await self._has_message(t.from_, t.message):
                    log.warning(
                        "scenario event at %s: no message %s in chat %s to press; skipped",
                        ev.at.isoformat(),
                        t.message,
                        t.from_,
                    )
                    self.fed_events += 1
                    continue
                self.tg.push_callback(t.from_, t.message, t.callback)
            elif t.text is not None:
                self.tg.push_message(t.from_, t.text)
            update_id = self.tg.last_update_id
            if not await self.wait_handled(update_id):
                log.warning("scenario update %d not handled in %.0f s", update_id, EVENT_CAP_S)
            self.fed_events += 1

    async def _comments_settled(self, at: datetime) -> None:
        """Wait (bounded) until the app has stored every scenario comment that appeared
        ``SETTLE_VIRTUAL`` or more before ``at``.

        Whoever types a command at ``at`` has seen what was posted well before it; at 3,000× a
        starved machine could otherwise answer «/open» before the collector read a comment
        posted an hour of virtual time earlier (a run's outcome must not depend on its speed).
        A comment deleted by then may never be read and is not waited for; if the app has not
        stored the rest within ``SETTLE_CAP_S`` real seconds the feed stops waiting for good."""
        if self._settle_given_up or self.app is None:
            return
        due = {
            (owner, post, cid)
            for appears, owner, post, cid in self._scenario_comments
            if appears <= at - SETTLE_VIRTUAL
            and not (
                (deleted := self._deleted_at.get((-owner, cid))) is not None and deleted <= at
            )
        } - self._settled
        if not due:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_CAP_S
        engine = make_engine(self.db_url)
        try:
            sessions = make_session_factory(engine)
            while True:
                async with sessions() as session:
                    rows = await session.execute(
                        select(Comment.owner_id, Comment.post_id, Comment.comment_id).where(
                            Comment.owner_id.in_({owner for owner, _, _ in due})
                        )
                    )
                    stored = {(r[0], r[1], r[2]) for r in rows}
                self._settled |= due & stored
                if due <= stored:
                    return
                if loop.time() > deadline:
                    log.warning(
                        "scenario: %d comment(s) not stored %.0f s after they were due; "
                        "the feed no longer waits for comments",
                        len(due - stored),
                        SETTLE_CAP_S,
                    )
                    self._settle_given_up = True
                    return
                await asyncio.sleep(0.05)
        finally:
            await engine.dispose()

    async def _feed_max(self, at: datetime, event: ScenarioMax) -> None:
        """One scenario MAX event, pushed into the fake and waited on until handled."""
        user = event.from_
        if event.press is not None:
            payload = event.press
            mid = await self._max_card(user, payload)
            if mid is None:
                log.warning(
                    "scenario event at %s: no message with button %r for MAX user %s; skipped",
                    at.isoformat(),
                    payload,
                    user,
                )
                return
            self.max.push_callback(user, mid, payload)
        elif event.start is not None:
            self.max.push_bot_started(user, event.start)
        else:
            assert event.text is not None
            self.max.push_message(user, event.text)
        seq = self.max.last_update_seq
        try:
            await self.max.wait_handled(seq, EVENT_CAP_S)
        except TimeoutError:
            log.warning("scenario MAX update %d not handled in %.0f s", seq, EVENT_CAP_S)

    async def _max_card(self, user_id: int, payload: str) -> str | None:
        """The latest of the bot's messages to ``user_id`` carrying button ``payload``,
        waited for (bounded): nobody presses a button before the card reaches them."""

        def latest() -> str | None:
            cards = self.max.messages(user_id)
            found = [mid for mid in cards if payload in self.max.button_payloads(mid)]
            return found[-1] if found else None

        with contextlib.suppress(TimeoutError):
            await self.max.wait_until(lambda: latest() is not None, EVENT_CAP_S)
        return latest()

    async def _has_message(self, chat_id: int, message_id: int) -> bool:
        """Wait (bounded) until the bot's message ``message_id`` is in ``chat_id``."""

        def there() -> bool:
            return message_id in self.tg.messages(chat_id)

        if there():
            return True
        with contextlib.suppress(TimeoutError):
            await self.tg.wait_for(lambda _: there(), EVENT_CAP_S, start=len(self.tg.calls))
        return there()

    def _events_fed_until(self, until: datetime) -> bool:
        """Every scenario Telegram event due by ``until`` is handled (or given up on)."""
        due = sum(1 for ev in self._telegram_events if ev.at <= until)
        return self.fed_events >= due

    async def _watch_calls(self) -> None:
        seen = seen_max = 0
        while True:
            calls = self.tg.calls
            while seen < len(calls):
                call = calls[seen]
                seen += 1
                if call.method in USER_VISIBLE and call.status == 200 and self.on_call:
                    self.on_call(call)
            max_calls = self.max.calls
            while seen_max < len(max_calls):
                max_call = max_calls[seen_max]
                seen_max += 1
                visible = max_call.method in MAX_USER_VISIBLE and max_call.status == 200
                if visible and self.on_max_call is not None:
                    self.on_max_call(max_call)
            await asyncio.sleep(0.02)

    async def run_app(
        self, until: datetime, *, stop_when: Callable[[], bool] | None = None
    ) -> None:
        """Start a fresh app (same database), let virtual time run to ``until``, stop it.

        The run also lasts until every scenario Telegram event due by ``until`` is handled:
        on a loaded machine a command near the end must still be answered (issue 11).
        ``stop_when`` stops it earlier, as soon as the condition holds (tests wait on a
        condition rather than on a virtual instant that a loaded machine may overrun).
        The app is stopped as on SIGTERM: what it has in hand is finished first, while the
        clock still runs (a paused clock would hold a paced reply for ever).
        """
        self.clock.pause()
        app = OtklikApp(
            self.settings(),
            self.registry,
            self.clock,
            matcher=self.matcher,
            on_update_handled=self._update_handled,
            # At N× a drawing process's start (a second or two of CPU for its imports) is
            # minutes of virtual time in which the scheduler's other jobs wait; the memory the
            # real app saves by drawing apart is not what the sandbox is for.
            drawing=Drawing(),
        )
        self.app = app
        stop = asyncio.Event()
        runner = asyncio.create_task(app.run(stop))
        started = asyncio.create_task(app.started.wait())
        await asyncio.wait({runner, started}, return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            started.cancel()
            runner.result()  # start-up failed: surface the error
            return
        if self.app_runs == 0:
            await self._first_look(app, runner)
        self.app_runs += 1
        self.clock.resume()
        if self._feeder is None:
            self._feeder = asyncio.create_task(self._feed_telegram())
        try:
            while not runner.done():
                if stop_when is not None and stop_when():
                    break
                wait = self.clock.real_seconds_until(until)
                if wait <= 0 and self._events_fed_until(until):
                    break
                await asyncio.sleep(min(max(wait, 0.01), 0.05))
        finally:
            stop.set()
            try:
                await runner
            finally:
                self.clock.pause()

    async def _first_look(self, app: OtklikApp, runner: asyncio.Task[None]) -> None:
        """Hold virtual time until the collector has first looked at every page.

        What a page holds at the first look is its history, never alerted; at 1,000× a
        loaded machine could otherwise take that look minutes of virtual time late and
        swallow the scenario's first comments.  Paced requests need the clock to move, so
        it creeps forward, ``FIRST_LOOK_STEP_S`` per turn of this loop (a loaded machine turns
        it more slowly too), but it stops a second before the scenario's first event and
        waits there up to ``FIRST_LOOK_STALL_S`` real seconds: a starved machine gets its
        look in before the first comment arrives.  The hold ends when every page had its look,
        or when VK keeps failing (holding would not cure that), or after ``FIRST_LOOK_CAP_S``
        real seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIRST_LOOK_CAP_S
        first_event = min((e.at for e in self.scenario.events), default=None)
        creep_until = None if first_event is None else first_event - timedelta(seconds=1)
        stalled_since: float | None = None
        while loop.time() < deadline and not runner.done():
            collection = app.collection
            if collection is not None and collection.collector.all_bootstrapped():
                return
            if app.metrics.vk.failures_in_row >= FIRST_LOOK_VK_FAILURES:
                return
            await asyncio.sleep(0.01)
            if creep_until is not None and self.clock.now() + FIRST_LOOK_STEP >= creep_until:
                # at the first event: wait for a starved machine, unless the look itself
                # needs virtual time to pass (its paced requests), then creep on
                if stalled_since is None:
                    stalled_since = loop.time()
                if loop.time() - stalled_since < FIRST_LOOK_STALL_S:
                    continue
            self.clock.step(FIRST_LOOK_STEP_S)

    async def run(self, files_dir: Path | None = None) -> dict[str, Any]:
        await self.run_app(self.scenario.end)
        return await self.report(files_dir)

    @staticmethod
    def _saved(n: int, call: TgCall, files_dir: Path) -> dict[str, str]:
        """Save the files of the ``n``-th call; ``{"file": path relative to the report}``."""
        if not call.files or call.status != 200:
            return {}
        files_dir.mkdir(parents=True, exist_ok=True)
        saved: dict[str, str] = {}
        for field_name, filename, content in call.files:
            safe = re.sub(r"[^\w.-]", "_", Path(filename or field_name).name) or field_name
            path = files_dir / f"{n:05d}-{safe}"
            path.write_bytes(content)
            saved.setdefault("file", path.relative_to(files_dir.parent).as_posix())
        return saved

    async def report(self, files_dir: Path | None = None) -> dict[str, Any]:
        """The product.md §8 report, read from the app's database and the fake Telegram.

        Every file sent (a ``sendPhoto``'s PNG, a ``sendDocument``'s xlsx or CSV) is saved
        under ``files_dir`` (default: ``files`` in the work directory), and its entry
        carries ``"file"``: the path relative to the report's directory, which is
        ``files_dir``'s parent (issue 14).  ``vk_writes`` lists every write call the fake VK
        received (``wall.createComment``: method, owner_id, post_id, reply_to_comment,
        from_group, message, at, plus guid, error and comment_id; issue 15)."""
        engine = make_engine(self.db_url)
        try:
            sessions = make_session_factory(engine)
            async with sessions() as session:
                rows = (
                    await session.execute(
                        select(Complaint, Comment)
                        .join(Comment, Comment.id == Complaint.comment_pk)
                        .order_by(Complaint.id)
                    )
                ).all()
                alerted: dict[int, list[int]] = {}
                for msg in (await session.execute(select(AlertMessage))).scalars():
                    alerted.setdefault(msg.complaint_id, []).append(msg.chat_id)
        finally:
            await engine.dispose()
        complaints = [
            {
                "id": c.id,
                "page": -c.owner_id,
                "post": c.post_id,
                "comment": c.comment_id,
                "author": cm.from_id,
                "text": cm.text,
                "topic": c.topic,
                "agency": c.agency_id,
                "status": c.status,
                "created_at": c.created_at.isoformat(),
                "due_at": c.due_at.isoformat() if c.due_at else None,
                "answered_at": c.answered_at.isoformat() if c.answered_at else None,
                "response_seconds": c.response_seconds,
                "business_seconds": c.business_seconds,
                "otpiska": c.otpiska,
                "quality": c.quality,
                "reasons": c.reasons,
                "alerted": sorted(alerted.get(c.id, [])),
            }
            for c, cm in rows
        ]
        telegram = [
            {
                "chat_id": call.chat_id,
                "method": call.method,
                "at": call.at.isoformat(),
                "text": call.text,
                "status": call.status,
                **self._saved(n, call, files_dir or self.workdir / "files"),
            }
            for n, call in enumerate(self.tg.calls)
            if call.method not in ("getUpdates",)
        ]
        return {
            "complaints": complaints,
            "telegram": telegram,
            # Issue 15: every write call the fake VK received (answers published as the page).
            "vk_writes": [dict(w) for w in self.vk.writes],
            # Issue 13: every call the fake MAX received except the long polls.
            "max": self.max.report(),
            "vk": self.vk.stats(),
            "app_runs": self.app_runs,
        }
