"""MAX wired up from settings in one call, for the app: the client with its pacer, the port
the outbox sends through, and updates arriving by webhook (production) or long polling
(development), both fed to the same handler.

The app opens the client first (:func:`open_max`: the outbox needs the port), tells the
port the dialogs stored before (``bot.max.dialogs``), sets the bot-wide command list, and
then starts receiving (:meth:`MaxRuntime.receive`).  On start in webhook mode the
subscription is (re)made with the settings' URL and secret and the app listens on
``webhook_host:webhook_port``; on close it stops listening but keeps the subscription,
so MAX holds and retries updates across a restart (for up to 8 hours) instead of dropping
them.  In polling mode a webhook left subscribed would swallow the updates, so
the poller warns about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core import texts
from bot.core.handling import Conversation
from bot.core.inbound import InboundEvent
from bot.core.types import Delivery, Outcome
from bot.max.client import MaxClient, open_client
from bot.max.conversation import serve_events
from bot.max.dialogs import DialogBook, MarkerStore
from bot.max.pacer import MaxPacer
from bot.max.polling import MaxPoller
from bot.max.port import MaxPort
from bot.max.updates import Once
from bot.max.webhook import serve_webhook, subscribe, webhook_app, webhook_path
from bot.menus import DEFAULT_COMMANDS, ROLE_COMMANDS
from config.clock import Clock
from config.settings import MaxSettings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.metrics import Metrics

__all__ = ["MaxRuntime", "bot_commands", "open_max", "start_max"]

log = logging.getLogger(__name__)

Handle = Callable[[InboundEvent, Conversation], Awaitable[None]]


def bot_commands() -> list[tuple[str, str]]:
    """MAX's one command list for the whole bot (no per-chat menus there): every role's
    commands, /start first, with the Russian descriptions Telegram's menus show."""
    names = list(DEFAULT_COMMANDS)
    for role_names in ROLE_COMMANDS.values():
        names.extend(n for n in role_names if n not in names)
    return [(n, texts.COMMAND_DESCRIPTIONS.get(n, n)) for n in names]


def metrics_report(metrics: Metrics) -> Callable[[str, Outcome], None]:
    """The port's report as ``otklik_max_*`` metrics."""

    def report(kind: str, outcome: Outcome) -> None:
        if outcome.delivery is Delivery.SENT:
            metrics.max_sent(kind)
        else:
            metrics.max_failed(outcome.reason or str(outcome.delivery), outcome.error)

    return report


@dataclass
class MaxRuntime:
    """What :func:`open_max` opened; :meth:`receive` updates, :meth:`close` it once."""

    settings: MaxSettings
    clock: Clock
    client: MaxClient
    pacer: MaxPacer
    port: MaxPort
    metrics: Metrics | None = None
    dialogs: DialogBook | None = None
    markers: MarkerStore | None = None
    once: Once | None = None
    runner: web.AppRunner | None = None
    poller: MaxPoller | None = None
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def remember_dialogs(self, sessions: async_sessionmaker[AsyncSession]) -> int:
        """Tell the port the dialogs stored before, and store the ones it learns from now;
        when polling, start from the stored marker and store it as it moves."""
        self.dialogs = DialogBook(sessions)
        if self.settings.mode == "polling":
            self.markers = MarkerStore(sessions)
            with contextlib.suppress(Exception):  # the database away: poll from MAX's own
                await self.markers.load()
        return await self.dialogs.attach(self.port)

    async def sync_commands(self) -> bool:
        """Set the bot-wide command list; False (logged) when MAX refused or was away: the
        bot works without it."""
        try:
            await self.port.set_commands(bot_commands())
        except Exception as exc:
            log.warning("max: command list not set: %s", type(exc).__name__)
            return False
        return True

    async def receive(self, handle: Handle) -> None:
        """Start receiving updates as the settings say; every event goes to ``handle`` (the
        neutral dispatcher) once, with its MAX conversation."""
        settings, metrics = self.settings, self.metrics
        if self.once is None:
            self.once = Once(serve_events(self.port, handle))
        once = self.once
        if settings.mode == "webhook":
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
            if self.runner is None:  # a second call (MAX away at the first) only subscribes
                app = webhook_app(once, secret=secret, path=webhook_path(settings.webhook_url))
                self.runner = await serve_webhook(
                    app, settings.webhook_host, settings.webhook_port
                )
            await subscribe(self.client.bot, settings.webhook_url, secret)
            if metrics is not None:
                metrics.max_receiving("webhook")
            log.info("max: webhook subscribed, listening on port %s", settings.webhook_port)
            return
        if self.markers is not None:  # where the last poller (this process or another) stopped
            with contextlib.suppress(Exception):  # the database away: the marker read at start
                await self.markers.load()
        self.poller = MaxPoller(
            self.client.bot,
            once,
            self.clock,
            timeout_s=settings.polling_timeout_s,
            on_state=metrics.max_receiving if metrics is not None else None,
            marker=self.markers.stored if self.markers is not None else None,
            on_marker=self.markers.moved if self.markers is not None else None,
        )
        self._task = asyncio.create_task(self.poller.run(), name="max-poller")
        log.info("max: long polling (development)")

    async def stop_receiving(self) -> None:
        """Take no more updates; the ones in hand are finished first (the poller's batch; a
        webhook post being handled is answered).  The webhook subscription stays."""
        if self.poller is not None:
            self.poller.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            if self.markers is not None:  # stored before another process may poll from it
                await self.markers.close()  # (the write in flight, then the latest marker)
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        if self.metrics is not None and self.metrics.max_state is not None:
            self.metrics.max_receiving("stopped")

    async def close(self, grace_s: float = 8.0) -> None:
        """Stop receiving (the update in hand gets ``grace_s`` real seconds more, then is
        abandoned: MAX gives it again), store what is pending, then close the client."""
        try:
            if self.poller is not None:
                self.poller.stop()
            if self._task is not None:
                await asyncio.wait({self._task}, timeout=grace_s)
                self._task.cancel()
            await self.stop_receiving()
            for book in (self.dialogs, self.markers):
                if book is not None:
                    with contextlib.suppress(Exception):
                        await book.close()
        finally:
            await self.client.close()


async def open_max(
    settings: MaxSettings, clock: Clock, *, metrics: Metrics | None = None
) -> MaxRuntime:
    """The client with its pacer and the port the outbox sends through (nothing received
    yet).  Call it on the running event loop."""
    pacer = MaxPacer(clock, api_base=settings.api_base)
    client = open_client(settings, middlewares=[pacer])
    report = metrics_report(metrics) if metrics is not None else None
    port = MaxPort(client.bot, clock, pacer=pacer, report=report)
    if metrics is not None:
        metrics.max_enabled = True
    return MaxRuntime(settings, clock, client, pacer, port, metrics)


async def start_max(
    settings: MaxSettings,
    clock: Clock,
    handle: Handle,
    *,
    metrics: Metrics | None = None,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> MaxRuntime:
    """:func:`open_max`, the stored dialogs (with ``sessions``), then :meth:`~MaxRuntime.
    receive`: MAX for a process that both sends and listens."""
    runtime = await open_max(settings, clock, metrics=metrics)
    try:
        if sessions is not None:
            await runtime.remember_dialogs(sessions)
        await runtime.receive(handle)
    except BaseException:
        await runtime.close()
        raise
    return runtime
