"""The Otklik application: collector, matcher, storage, outbox sender and bot.

One process runs every part (role ``all``) or some of them (``bot/roles.py``); on PostgreSQL
several processes share the work through leases and leadership locks (``storage/leases.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import AiogramError, ClientDecodeError, TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.answering import AnswerDeps, VkCommentWriter, resume_publishing
from bot.collecting import CollectionService, make_clients
from bot.core.dispatch import Dispatcher as NeutralDispatcher
from bot.core.handling import Deps
from bot.core.privacy import Privacy
from bot.core.types import Channel, MessengerPort
from bot.drawing import Drawing
from bot.faults import Backoff, db_fault, is_outage
from bot.jobs import build_scheduler
from bot.menus import sync_menus
from bot.metrics import Health, HealthThresholds, Metrics, page_agencies, start_metrics_server
from bot.outbox import OutboxSender
from bot.pacing import Pacer
from bot.polling import TelegramPoller
from bot.roles import SENDER_ROLES, Role, parts_of
from bot.scheduler import JobDeps, Leader
from bot.telegram.pacing import install_pacer
from bot.vk_pages import make_page_resolver
from collectors.vk_client import VkClient
from config.clock import Clock
from config.registry import Registry
from config.settings import Settings
from handlers import build_routers, neutral_features
from handlers.common import PageResolver
from handlers.middlewares import DbSessionMiddleware
from matcher.classifier import Classification
from matcher.quality import AnswerRating
from storage.db import ensure_sqlite_dir, make_engine, make_session_factory
from storage.ingest import Ingestor
from storage.leases import (
    Leadership,
    PageLeases,
    Workers,
    lease_timing_from_env,
    lock_key,
    new_worker_id,
)
from storage.migrate import upgrade
from storage.registry_sync import sync_registry

if TYPE_CHECKING:
    from bot.max.runtime import MaxRuntime

log = logging.getLogger(__name__)

#: Real seconds between checks of the Telegram polling lock (leader and stand-by alike).
LEADER_CHECK_S = 5.0
#: Real seconds a shutdown waits at most for the updates being handled and the outbox's
#: sends, before the bot session closes under them (issue 11).  Within Docker's default
#: 10 s between SIGTERM and SIGKILL.
DRAIN_S = 8.0

#: ``Response[T]`` models by result type, held strongly (``BotApiSession.check_response``).
_RESPONSE_MODELS: dict[object, object] = {}


class BotApiSession(AiohttpSession):
    """aiogram's session, reading a non-JSON answer as the network failure it is.

    A proxy or a load balancer in front of the Bot API answers an outage with an HTML page
    (``502 Bad Gateway``, ``text/html``); aiogram raises ``ClientDecodeError`` for it, which
    no caller expects from a network and which crashed start-up (issue 11).  As a
    ``TelegramNetworkError`` it is retried like any other outage: polling backs off, the
    outbox keeps the row pending."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _RESPONSE_MODELS:
            # aiogram looks up ``Response[T]`` on every call and pydantic holds parametrized
            # models weakly: each garbage collection freed ``Response[list[Update]]`` and the
            # next poll compiled the whole Update validator again (~6 ms, issue 11).
            _RESPONSE_MODELS[returning] = Response[returning]  # type: ignore[valid-type]
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError as exc:
            if isinstance(exc.original, ValidationError) and 200 <= status_code < 300:
                raise  # JSON of the wrong shape from a 200: not an outage, a real mismatch
            raise TelegramNetworkError(
                method=method,
                message=f"HTTP {status_code}: the answer is not Bot API JSON (a proxy's page?)",
            ) from exc


@dataclass
class MatcherFns:
    classify: Callable[[str], Classification]
    rate_answer: Callable[[str, str], AnswerRating]
    #: What the ingest calls: ``classify`` without the reasons of comments that need no
    #: answer (matcher.classifier.decide); ``classify`` when not given.
    decide: Callable[[str], Classification] | None = None

    def for_ingest(self) -> Callable[[str], Classification]:
        return self.decide or self.classify


def default_matcher() -> MatcherFns:
    from matcher.classifier import classify, decide
    from matcher.quality import rate_answer

    return MatcherFns(classify, rate_answer, decide)


def build_dispatcher(
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    registry: Registry,
    settings: Settings,
    *,
    after_commit: Callable[[], object] | None = None,
    page_resolver: PageResolver | None = None,
    metrics: Metrics | None = None,
    answers: AnswerDeps | None = None,
    drawing: Drawing | None = None,
) -> Dispatcher:
    """The dispatcher with every router; dependencies travel as workflow data (``answers``:
    publishing answers on VK, issue 15; without it «Ответить» says it is not set up;
    ``drawing``: where charts and workbooks are drawn, in a thread here without it)."""
    dp = Dispatcher(
        clock=clock,
        registry=registry,
        settings=settings,
        page_resolver=page_resolver,
        metrics=metrics,
        deps=Deps(
            clock,
            registry,
            settings,
            metrics,
            {"page_resolver": page_resolver, "answers": answers},
            draw=drawing or Drawing(),
        ),
    )
    dp.update.outer_middleware(DbSessionMiddleware(session_factory, after_commit, metrics))
    dp.include_routers(*build_routers())
    return dp


class OtklikApp:
    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        clock: Clock,
        *,
        matcher: MatcherFns | None = None,
        metrics: Metrics | None = None,
        role: Role | str = Role.ALL,
        worker_id: str | None = None,
        on_update_handled: Callable[[int], None] | None = None,
        drawing: Drawing | None = None,
    ) -> None:
        """``on_update_handled`` gets each Telegram update's id once it is handled (the
        sandbox delivers a scenario's next event only then); ``drawing``: where charts and
        workbooks are drawn (by default in a process of their own, ``bot.drawing``)."""
        self.role = Role(role)
        self.parts = parts_of(self.role)
        self.worker_id = worker_id or new_worker_id(self.role.value)
        self.settings = settings
        self.registry = registry
        self.clock = clock
        self.matcher = matcher or default_matcher()
        self.drawing = drawing or Drawing(apart=True)
        self.metrics = metrics or Metrics(clock, page_agencies=page_agencies(registry.pages))
        self.metrics.collector_enabled = "collector" in self.parts and bool(
            settings.vk.service_tokens or settings.vk.community_tokens
        )
        self.started = asyncio.Event()
        self.collection: CollectionService | None = None
        self.collector_passes = 0
        self.on_update_handled = on_update_handled
        self.poller: TelegramPoller | None = None
        #: Set when shutdown begins: no new updates, the ones in hand finish (bounded).
        self.draining = asyncio.Event()
        self.drained_handlers = 0
        self.drained_sends = 0
        #: MAX (issue 13), when a MAX token is set: its client, port and receiving side.
        self.max: MaxRuntime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set, then shut everything down cleanly."""
        s = self.settings
        ensure_sqlite_dir(s.db.url)
        engine = make_engine(s.db.url, echo=s.db.echo, busy_timeout_s=s.db.busy_timeout_s)
        thresholds = HealthThresholds(
            collector_stale_s=s.metrics.collector_stale_s, outbox_stale_s=s.metrics.outbox_stale_s
        )
        server = await start_metrics_server(
            self.metrics, Health(self.metrics, engine, thresholds), s.metrics.host, s.metrics.port
        )
        try:
            sessions = make_session_factory(engine)
            if not await _wait_for_db(engine, sessions, self.registry, stop):
                return
            # Load the matcher's model before work starts (it is pure CPU; keep it off the loop).
            await asyncio.to_thread(self.matcher.classify, "прогрев")
            await self._run_parts(sessions, stop, engine)
        finally:
            await self.drawing.close()
            if server is not None:
                await server.stop()
            await engine.dispose()

    async def _run_parts(
        self,
        sessions: async_sessionmaker[AsyncSession],
        stop: asyncio.Event,
        engine: AsyncEngine,
    ) -> None:
        s = self.settings
        parts = self.parts
        shared = engine.dialect.name == "postgresql"  # several processes may share the work
        ttl_s, renew_s = lease_timing_from_env()
        workers = Workers(sessions, self.worker_id, self.role.value, ttl_s=ttl_s)
        try:
            await workers.heartbeat()
        except Exception as exc:  # the database went away again: the beat loop retries
            self.metrics.part_failed("heartbeat", exc)
        bot: Bot | None = None
        sender: OutboxSender | None = None
        dp: Dispatcher | None = None
        writer: VkCommentWriter | None = None
        answers: AnswerDeps | None = None
        neutral: NeutralDispatcher | None = None
        clients = make_clients(s.vk, self.clock) if "collector" in parts else []
        if parts & {"outbox", "polling"}:
            assert s.telegram.token is not None
            bot = Bot(
                s.telegram.token.get_secret_value(),
                session=BotApiSession(api=TelegramAPIServer.from_base(s.telegram.api_base)),
                default=DefaultBotProperties(parse_mode=ParseMode.HTML),
            )
            pacer = install_pacer(bot, self.clock)
            ports: Bot | dict[Channel, MessengerPort] = bot
            pacers: Pacer | dict[Channel, Pacer] = pacer
            if s.max.token is not None:  # each row goes through its channel's port and pacer
                self.max = await self._open_max(sessions)
                ports = self._ports(bot, self.max)
                pacers = {Channel.TELEGRAM: pacer, Channel.MAX: self.max.pacer}
            sender = OutboxSender(
                ports,
                sessions,
                self.clock,
                pacers,
                metrics=self.metrics,
                workers=workers if shared else None,
                sender_roles=SENDER_ROLES,
                recover_every_s=renew_s,
                privacy=Privacy.from_settings(s.privacy),
            )
            wake: Callable[[], None] = sender.wake.set
            if "polling" in parts:
                # Answers from the messenger go out with the pages' community tokens (issue 15).
                writer = VkCommentWriter(s.vk, self.clock)
                answers = AnswerDeps(sessions, self.clock, writer)
                dp = build_dispatcher(
                    sessions,
                    self.clock,
                    self.registry,
                    s,
                    after_commit=wake,
                    page_resolver=make_page_resolver(clients[0]) if clients else None,
                    metrics=self.metrics,
                    answers=answers,
                    drawing=self.drawing,
                )
                menu_bot = bot

                async def set_menus() -> None:
                    await self._set_menus(menu_bot, sessions)

                # The menus are set once Telegram first answers: at start-up it may be away.
                self.poller = TelegramPoller(
                    dp,
                    bot,
                    polling_timeout_s=s.telegram.polling_timeout_s,
                    metrics=self.metrics,
                    on_connected=set_menus,
                    on_handled=self.on_update_handled,
                )
                self.metrics.telegram_polling("starting")
                if self.max is not None:  # MAX is served by the features written once
                    neutral = NeutralDispatcher(
                        neutral_features(), sessions, dp["deps"], after_commit=wake
                    )
        else:
            wake = _nothing
        tasks: list[asyncio.Task[None]] = []
        # Tell the sandbox first that start-up is over, so its clock runs before work begins.
        self.started.set()
        await asyncio.sleep(0)
        if answers is not None:  # publications a crash interrupted: finished, never doubled
            tasks.append(asyncio.create_task(self._resume_answers(answers), name="answers"))
        tasks.append(asyncio.create_task(self._beat(workers, renew_s, stop), name="heartbeat"))
        # The sender stops after the updates in hand are handled: their card edits go out.
        sender_stop = asyncio.Event()
        sending: asyncio.Task[None] | None = None
        if sender is not None:
            sending = asyncio.create_task(sender.run(sender_stop), name="outbox")
        if "scheduler" in parts:
            jobs = JobDeps(
                sessions,
                self.clock,
                self.registry,
                wake_sender=wake,
                metrics=self.metrics,
                draw=self.drawing,
            )
            scheduler = build_scheduler(jobs, now=self.clock.now())
            leader = Leadership(engine, "scheduler")
            tasks.append(asyncio.create_task(scheduler.run(stop, leader=leader), name="scheduler"))
        if "collector" in parts:
            leases = PageLeases(workers, ttl_s=ttl_s) if shared else None
            tasks.append(
                asyncio.create_task(
                    self._collect(sessions, clients, wake, stop, leases, renew_s),
                    name="collector",
                )
            )
        if self.max is not None and neutral is not None:
            tasks.append(
                asyncio.create_task(
                    self._receive_max(self.max, neutral, stop, Leadership(engine, "max-polling")),
                    name="max-receiving",
                )
            )
        polling: asyncio.Task[None] | None = None
        if dp is not None and bot is not None:
            polling = asyncio.create_task(
                self._poll_telegram(dp, bot, Leadership(engine, "telegram-polling"), stop),
                name="telegram-polling",
            )
        try:
            await stop.wait()
        finally:
            await self._shutdown(polling, sending, sender, sender_stop)
            await asyncio.wait(tasks, timeout=s.telegram.polling_timeout_s + 5)
            for task in (*tasks, *(t for t in (polling, sending) if t is not None)):
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if polling is not None:
                await asyncio.gather(polling, return_exceptions=True)
            if sending is not None:
                await asyncio.gather(sending, return_exceptions=True)
            if bot is not None:
                await bot.session.close()
            if self.max is not None:
                with contextlib.suppress(Exception):
                    await self.max.close()
            for client in clients:
                client.close()
            if writer is not None:
                writer.close()
            with contextlib.suppress(Exception):
                await workers.stop()

    @staticmethod
    async def _resume_answers(answers: AnswerDeps) -> None:
        """At start: answers left ``publishing`` by a crash are sent again with their guid."""
        try:
            done = await resume_publishing(answers)
        except Exception as exc:  # the database or VK is away: the next start tries again
            log.warning("answers not resumed: %s", type(exc).__name__)
            return
        if done:
            log.info("answers resumed: %d", len(done))

    async def _shutdown(
        self,
        polling: asyncio.Task[None] | None,
        sending: asyncio.Task[None] | None,
        sender: OutboxSender | None,
        sender_stop: asyncio.Event,
    ) -> None:
        """Stop taking updates, let the ones in hand finish, then the outbox's sends: a
        person who wrote just before SIGTERM gets the reply, a send under way is recorded,
        and a card edit a finishing handler queued goes out.  Bounded by :data:`DRAIN_S`."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        deadline = began + DRAIN_S
        self.draining.set()
        if polling is not None:  # ``_poll_telegram`` drains the handlers itself on ``stop``
            await asyncio.wait({polling}, timeout=DRAIN_S + 2.0)
        if self.max is not None:  # the MAX updates in hand finish too
            receiving = asyncio.ensure_future(self.max.stop_receiving())
            await asyncio.wait({receiving}, timeout=max(deadline - loop.time(), 0.1))
        if sender is not None and sending is not None:
            sent_before = sender.sent
            sender_stop.set()
            await asyncio.wait({sending}, timeout=max(deadline - loop.time(), 0.1))
            if sending.done():
                await self._flush_outbox(sender, deadline)
            self.drained_sends = sender.sent - sent_before
        log.info(
            "shutdown: drained %d handler(s) and %d send(s) in %.1f s",
            self.drained_handlers,
            self.drained_sends,
            loop.time() - began,
        )

    @staticmethod
    async def _flush_outbox(sender: OutboxSender, deadline: float) -> None:
        """Send what is due and ready now, once: the sender's loop may have seen its stop
        before the wake of a card edit that a finishing handler queued."""
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            try:
                rest = await asyncio.wait_for(sender.drain_once(), deadline - loop.time())
            except Exception as exc:
                log.warning("shutdown: outbox not flushed: %s", type(exc).__name__)
                return
            if rest > 0:
                return

    async def _open_max(self, sessions: async_sessionmaker[AsyncSession]) -> MaxRuntime:
        """MAX's client and port (issue 13), told the dialogs stored before."""
        from bot.max.runtime import open_max  # maxapi only when MAX is configured

        runtime = await open_max(self.settings.max, self.clock, metrics=self.metrics)
        try:
            await runtime.remember_dialogs(sessions)
        except Exception as exc:  # the database went away again: learnt anew from updates
            log.warning("max dialogs not loaded: %s", type(exc).__name__)
        return runtime

    @staticmethod
    def _ports(bot: Bot, runtime: MaxRuntime) -> dict[Channel, MessengerPort]:
        """The outbox's ports by channel (``bot/outbox.py``: a row goes through its own)."""
        from bot.telegram.port import TelegramPort

        return {Channel.TELEGRAM: TelegramPort(bot), Channel.MAX: runtime.port}

    async def _receive_max(
        self,
        runtime: MaxRuntime,
        neutral: NeutralDispatcher,
        stop: asyncio.Event,
        leader: Leader | None = None,
    ) -> None:
        """Receive MAX's updates through the neutral dispatcher, then set its command list.

        A webhook serves any number of processes.  Long polling has one consumer at a time, as
        Telegram's ``getUpdates``: with ``leader`` a process polls only while it holds the lock
        (PostgreSQL; SQLite is one process), stands by otherwise, and stops polling as soon as
        another process leads — two pollers would each handle every update."""
        if leader is None or runtime.settings.mode != "polling":
            await self._start_receiving_max(runtime, neutral, stop)
            return
        while not stop.is_set():
            if await self._leads(leader, "MAX"):
                await self._start_receiving_max(runtime, neutral, stop)
                await self._keep_leading(leader, stop)  # back on stop or when another leads
                await runtime.stop_receiving()  # the batch in hand is finished first
                with contextlib.suppress(Exception):
                    await leader.release()
                if stop.is_set():
                    return
                log.warning("another process polls MAX now; this one stands by")
            self.metrics.max_receiving("standby")
            await self._stand_by(stop)

    async def _start_receiving_max(
        self, runtime: MaxRuntime, neutral: NeutralDispatcher, stop: asyncio.Event
    ) -> None:
        """Start receiving, then set the command list; MAX being away at start (a webhook not
        subscribed) is retried with a backoff."""
        backoff = Backoff(1.0, 60.0)
        while not stop.is_set():
            try:
                await runtime.receive(neutral.handle)
                await runtime.sync_commands()
                return
            except Exception as exc:
                wait = backoff.next()
                log.warning("max: not receiving (%s); again in %.0f s", type(exc).__name__, wait)
                self.metrics.max_receiving("down", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)

    async def _beat(self, workers: Workers, renew_s: float, stop: asyncio.Event) -> None:
        """Keep this process's heartbeat fresh (real seconds: it is about processes dying)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), renew_s)
            if stop.is_set():
                return
            try:
                await workers.heartbeat()
            except Exception as exc:
                # The database is away (or locked): say so; the next beat tries again.
                log.warning("heartbeat failed: %s", type(exc).__name__)
                self.metrics.part_failed("heartbeat", exc)
            else:
                self.metrics.part_ok("heartbeat")

    async def _poll_telegram(
        self, dp: Dispatcher, bot: Bot, leader: Leader, stop: asyncio.Event
    ) -> None:
        """Telegram allows one ``getUpdates`` consumer per bot: poll only while leading.

        The lock lives on a database connection, so a database restart drops it and a
        stand-by may take it: polling stops when another process leads now, and this one
        stands by in turn (while the database is away nobody can take it: keep polling).
        Telegram being away never ends polling (``bot/polling.py`` retries); on ``stop`` the
        updates in hand are handled (bounded) and confirmed before the lock is let go."""
        poller = self.poller
        if poller is None:
            poller = self.poller = TelegramPoller(
                dp,
                bot,
                polling_timeout_s=self.settings.telegram.polling_timeout_s,
                metrics=self.metrics,
                on_handled=self.on_update_handled,
            )
        while not stop.is_set():
            if await self._leads(leader, "Telegram"):
                polling = asyncio.create_task(poller.run(), name="telegram-getupdates")
                watch = asyncio.create_task(self._keep_leading(leader, stop))
                stopping = asyncio.create_task(stop.wait())
                try:
                    await asyncio.wait(
                        {polling, watch, stopping}, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    for task in (polling, watch, stopping):
                        task.cancel()
                    await asyncio.gather(polling, watch, stopping, return_exceptions=True)
                    if watch.done() and not watch.cancelled() and not stop.is_set():
                        log.warning("another process polls Telegram now; this one stands by")
                    if not polling.cancelled() and polling.exception() is not None:
                        log.error(
                            "Telegram polling ended: %r; starting it again", polling.exception()
                        )
                    if stop.is_set():
                        await self._drain_updates(poller)
                    with contextlib.suppress(Exception):
                        await leader.release()
                if stop.is_set():
                    return
            self.metrics.telegram_polling("standby")
            await self._stand_by(stop)
        self.metrics.telegram_polling("stopped")

    async def _drain_updates(self, poller: TelegramPoller) -> None:
        """Let the updates in hand finish (bounded), then confirm them to Telegram."""
        done, abandoned = await poller.drain(DRAIN_S)
        self.drained_handlers = done
        if abandoned:
            log.warning(
                "shutdown: %d update(s) not handled within %.0f s (ids %s); Telegram gives "
                "them again at the next start",
                len(abandoned),
                DRAIN_S,
                abandoned,
            )
        await poller.confirm(abandoned)
        self.metrics.telegram_polling("stopped")

    async def _leads(self, leader: Leader, what: str) -> bool:
        """Whether this process holds the polling lock now (taking it when free); a database
        fault is logged and counts as not leading."""
        try:
            return await leader.ensure()
        except Exception:
            log.exception("could not take the %s polling lock", what)
            return False

    async def _stand_by(self, stop: asyncio.Event) -> None:
        """Wait before looking at the lock again (or until stopped)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), LEADER_CHECK_S)

    async def _keep_leading(self, leader: Leader, stop: asyncio.Event) -> None:
        """While polling (Telegram or MAX): return (and so stop it) as soon as another process
        holds the polling lock."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), LEADER_CHECK_S)
            if stop.is_set():
                return
            try:
                leads = await leader.ensure()
            except Exception as exc:
                log.warning("polling lock not checked, database %s", db_fault(exc) or exc)
                continue
            if not leads:
                return

    async def _set_menus(self, bot: Bot, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Per-role menus; a failure here must not keep the bot from working."""
        try:
            async with sessions() as session, session.begin():
                await sync_menus(bot, session)
        except (AiogramError, TimeoutError) as exc:
            log.warning("command menus not set: %s", type(exc).__name__)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("command menus not set: database %s", db_fault(exc))

    async def _collect(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clients: list[VkClient],
        wake: Callable[[], None],
        stop: asyncio.Event,
        leases: PageLeases | None = None,
        renew_s: float = 15.0,
    ) -> None:
        """Budget-aware polling and Long Poll into storage (see bot/collecting.py).

        A collection that dies (the database away while it loads its pages or takes over
        another collector's, say) is started afresh from the database after a backoff:
        what it knew lives there, so it resumes rather than skips."""
        ingestor = Ingestor(
            self.registry, self.clock, self.matcher.for_ingest(), self.matcher.rate_answer,
            on_committed=self.metrics.ingested,
            alert_history_hours=self.settings.vk.alert_history_hours,
        )  # fmt: skip
        backoff = Backoff(1.0, 30.0)
        while not stop.is_set():
            self.collection = CollectionService(
                self.settings.vk, self.registry, self.clock, sessions, ingestor, clients,
                on_stored=wake, leases=leases, renew_s=renew_s,
                join_wait_s=renew_s if self.role is Role.COLLECTOR else 0.0,
                metrics=self.metrics,
            )  # fmt: skip
            try:
                await self.collection.run(stop)
                return
            except Exception as exc:
                wait = backoff.next()
                log.exception("the collector stopped; starting it again in %.1f s", wait)
                self.metrics.part_failed("collector", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)


def _nothing() -> None:
    return None


async def _wait_for_db(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    registry: Registry,
    stop: asyncio.Event,
) -> bool:
    """Prepare the database, waiting (with backoff) while it is locked or away: a process
    started during a database restart comes up with it rather than crash-looping.  False
    when stopped first."""
    backoff = Backoff(0.5, 10.0)
    while True:
        try:
            await _prepare_db(engine, sessions, registry)
            return True
        except Exception as exc:
            if not is_outage(exc):
                raise
            wait = backoff.next()
            log.warning("database not available (%s); retrying in %.1f s", db_fault(exc), wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        if stop.is_set():
            return False


async def _prepare_db(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], registry: Registry
) -> None:
    """Migrate and sync the registry; on PostgreSQL under an advisory lock, as several
    processes may start at once."""

    async def prepare() -> None:
        await upgrade(engine)
        async with sessions() as session, session.begin():
            await sync_registry(session, registry)

    if engine.dialect.name != "postgresql":
        await prepare()
        return
    async with engine.connect() as conn:
        key = {"k": lock_key("migrate")}
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), key)
        await conn.commit()
        try:
            await prepare()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), key)
            await conn.commit()
