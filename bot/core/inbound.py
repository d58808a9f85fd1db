"""What a person did, whatever the messenger: the neutral events adapters translate updates
into (issue 13).  Plain dataclasses, no framework; the neutral handlers consume them.

Every event carries its channel, the sender's id on it, the chat it came from (a MAX dialog
has its own chat id, not the user id), the sender's display name (for the registry and
greetings; never logged) and ``event_id``, the key a redelivered update repeats (MAX
redelivers a webhook update that was not answered 200 in time), so a consumer can act once.

A button's ``payload`` is passed through exactly as the messenger reported it: a forged press
can carry anything, and only the core decides what it may do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.types import Channel

__all__ = [
    "BotStarted",
    "BotStopped",
    "ButtonPress",
    "CommandMessage",
    "Inbound",
    "InboundEvent",
    "TextMessage",
    "parse_command",
]


@dataclass(frozen=True, kw_only=True)
class Inbound:
    """Who did something, where."""

    channel: Channel
    event_id: str
    user_id: int
    chat_id: int
    name: str


@dataclass(frozen=True, kw_only=True)
class CommandMessage(Inbound):
    """``/complaint 12``: ``command="complaint"``, ``args="12"`` (lower-cased command,
    any ``@botname`` suffix dropped, arguments stripped)."""

    command: str
    args: str = ""
    message_ref: str | None = None


@dataclass(frozen=True, kw_only=True)
class TextMessage(Inbound):
    """Plain text (an answer to a question the bot asked, or chatter)."""

    text: str
    message_ref: str | None = None


@dataclass(frozen=True, kw_only=True)
class ButtonPress(Inbound):
    """A callback button pressed on one of the bot's messages (``message_ref``, None when
    that message is gone); answer it through the port with ``callback_id``."""

    payload: str
    callback_id: str
    message_ref: str | None = None


@dataclass(frozen=True, kw_only=True)
class BotStarted(Inbound):
    """The person started (or restarted) the bot; ``payload`` is the deep link's
    ``start`` value (an invite code), None without one."""

    payload: str | None = None


@dataclass(frozen=True, kw_only=True)
class BotStopped(Inbound):
    """The person stopped the bot: unreachable on this channel until they start it again."""


InboundEvent = CommandMessage | TextMessage | ButtonPress | BotStarted | BotStopped


_COMMAND = re.compile(r"/([^\s@/]+)(?:@\S*)?(?:\s+(.*))?", re.S)


def parse_command(text: str) -> tuple[str, str] | None:
    """``("complaint", "12")`` for ``"/complaint 12"``; None when ``text`` is no command."""
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return None
    return match[1].lower(), (match[2] or "").strip()
