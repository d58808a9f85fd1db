"""MAX updates → neutral inbound events (:mod:`bot.core.inbound`).

An update is parsed by maxapi's own pydantic models (the shapes the webhook and the long poll
deliver are one and the same), then reduced to what the core needs: a command with its
arguments, plain text, a button press, ``bot_started`` with its deep-link payload (an invite
code) or ``bot_stopped``.  Anything else (edits, group events, an update type maxapi does not
know) translates to None and is confirmed without action.  A button's payload is passed
through untouched, forged or not: the core checks it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from maxapi.types import (
    BotStarted as MaxBotStarted,
)
from maxapi.types import (
    BotStopped as MaxBotStopped,
)
from maxapi.types import (
    MessageCallback,
    MessageCreated,
)
from maxapi.types.updates import UpdateUnionAdapter
from maxapi.types.users import User
from pydantic import ValidationError

from bot.core.inbound import (
    BotStarted,
    BotStopped,
    ButtonPress,
    CommandMessage,
    InboundEvent,
    TextMessage,
    parse_command,
)
from bot.core.types import Channel

__all__ = ["UPDATE_TYPES", "EventHandler", "Once", "display_name", "translate"]

log = logging.getLogger(__name__)


def display_name(user: User) -> str:
    """How the person calls themselves on MAX (never logged)."""
    full = " ".join(p for p in (user.first_name, user.last_name) if p).strip()
    return full or (user.username or "") or str(user.user_id)


def translate(update: dict[str, Any]) -> InboundEvent | None:
    """The neutral event for one raw MAX update, or None when Otklik has nothing to do
    with it (logged by type only)."""
    kind = update.get("update_type")
    try:
        parsed = UpdateUnionAdapter.validate_python(update)
    except (ValidationError, ValueError):
        log.warning("max update of type %r not understood; skipped", kind)
        return None
    if isinstance(parsed, MessageCreated):
        return _message(parsed)
    if isinstance(parsed, MessageCallback):
        return _press(parsed)
    if isinstance(parsed, MaxBotStarted):
        return BotStarted(
            channel=Channel.MAX,
            event_id=f"bot_started:{parsed.chat_id}:{parsed.timestamp}",
            user_id=parsed.user.user_id,
            chat_id=parsed.chat_id,
            name=display_name(parsed.user),
            payload=parsed.payload,
        )
    if isinstance(parsed, MaxBotStopped):
        return BotStopped(
            channel=Channel.MAX,
            event_id=f"bot_stopped:{parsed.chat_id}:{parsed.timestamp}",
            user_id=parsed.user.user_id,
            chat_id=parsed.chat_id,
            name=display_name(parsed.user),
        )
    log.debug("max update of type %r: nothing to do", kind)
    return None


def _message(update: MessageCreated) -> CommandMessage | TextMessage | None:
    message = update.message
    sender, body = message.sender, message.body
    chat_id = message.recipient.chat_id
    if sender is None or sender.is_bot or body is None or chat_id is None or not body.text:
        return None  # a channel post, the bot's own message, or an attachment without text
    common: dict[str, Any] = {
        "channel": Channel.MAX,
        "event_id": body.mid,
        "user_id": sender.user_id,
        "chat_id": chat_id,
        "name": display_name(sender),
        "message_ref": body.mid,
    }
    command = parse_command(body.text)
    if command is not None:
        return CommandMessage(command=command[0], args=command[1], **common)
    return TextMessage(text=body.text, **common)


def _press(update: MessageCallback) -> ButtonPress | None:
    callback = update.callback
    message = update.message
    chat_id = message.recipient.chat_id if message is not None else None
    if chat_id is None:
        # The pressed message is gone; a dialog's chat is still needed to answer in.
        log.info("max callback %s without its message; skipped", callback.callback_id)
        return None
    return ButtonPress(
        channel=Channel.MAX,
        event_id=callback.callback_id,
        user_id=callback.user.user_id,
        chat_id=chat_id,
        name=display_name(callback.user),
        payload=callback.payload or "",
        callback_id=callback.callback_id,
        message_ref=message.body.mid if message is not None and message.body else None,
    )


#: The update types Otklik subscribes to (webhook) and polls for.
UPDATE_TYPES: tuple[str, ...] = (
    "message_created",
    "message_callback",
    "bot_started",
    "bot_stopped",
)

EventHandler = Callable[[InboundEvent], Awaitable[None]]


class Once:
    """Hands each event to ``on_event`` once among the last ``size`` event ids: MAX
    redelivers a webhook update that was not answered 200 in time (30–60 s later), and a
    long-poll batch comes again until its marker is confirmed.  A duplicate arriving while
    the first is being handled waits for it, and fails if it failed (so MAX tries again)."""

    def __init__(self, on_event: EventHandler, size: int = 10_000) -> None:
        self.on_event = on_event
        self.size = size
        self.duplicates = 0
        self._done: OrderedDict[str, None] = OrderedDict()
        self._running: dict[str, asyncio.Event] = {}

    def seen(self, event_id: str) -> bool:
        return event_id in self._done

    async def __call__(self, event: InboundEvent) -> bool:
        """Handle ``event`` unless it was handled; True when this call handled it."""
        key = event.event_id
        if key in self._done:
            self.duplicates += 1
            return False
        running = self._running.get(key)
        if running is not None:
            self.duplicates += 1
            await running.wait()
            if key in self._done:
                return False
            raise RuntimeError(f"the first delivery of event {key} failed")
        done = asyncio.Event()
        self._running[key] = done
        try:
            await self.on_event(event)
            self._done[key] = None
            while len(self._done) > self.size:
                self._done.popitem(last=False)
        finally:
            del self._running[key]
            done.set()
        return True
