"""Neutral messages, keyboards and delivery outcomes shared by every messenger adapter.

A card is escaped HTML in the subset both messengers read the same way (``<b>``, ``<i>``,
``<a href>``), a keyboard of typed buttons, and at most one attachment.  An adapter maps them
to its client's types; nothing here knows a wire format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol


class Channel(StrEnum):
    """A messenger Otklik reaches people through (stored on outbox rows and card refs)."""

    TELEGRAM = "telegram"
    MAX = "max"


#: How a channel is named to a person (Russian, for /users, the registry and reports).
CHANNEL_NAMES_RU: dict[Channel, str] = {Channel.TELEGRAM: "Telegram", Channel.MAX: "MAX"}


@dataclass(frozen=True)
class Button:
    """A callback button (``payload``, at most 64 bytes so one payload fits both messengers)
    or a link button (``url``); exactly one of the two is set."""

    text: str
    payload: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.payload is None) == (self.url is None):
            raise ValueError("a button has either a payload or a url")
        if self.payload is not None and len(self.payload.encode()) > 64:
            raise ValueError("a button payload is at most 64 bytes")


@dataclass(frozen=True)
class Keyboard:
    """Rows of buttons under a message."""

    rows: tuple[tuple[Button, ...], ...]

    @classmethod
    def of(cls, rows: list[list[Button]]) -> Keyboard | None:
        """A keyboard from non-empty rows, or ``None`` when there is nothing to press."""
        kept = tuple(tuple(row) for row in rows if row)
        return cls(kept) if kept else None

    @classmethod
    def grid(cls, buttons: list[Button], width: int) -> Keyboard | None:
        """Buttons laid out ``width`` to a row (aiogram's ``adjust(width)``)."""
        return cls.of([buttons[i : i + width] for i in range(0, len(buttons), width)])

    def buttons(self) -> list[Button]:
        return [b for row in self.rows for b in row]


@dataclass(frozen=True)
class Media:
    """One attachment: a chart (``image``) or a report file (``file``), with its caption in
    the card's HTML."""

    kind: Literal["image", "file"]
    name: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Card:
    """One message as a person sees it, whatever the messenger."""

    html: str
    keyboard: Keyboard | None = None
    media: Media | None = None
    link_preview: bool = True  # False: a digest full of links shows no preview of the first


class Delivery(StrEnum):
    """What became of one send or edit, as the outbox acts on it."""

    SENT = "sent"  # delivered (or the edit changed nothing: same result)
    LATER = "later"  # rate limited: try again after ``retry_after_s``
    BLOCKED = "blocked"  # the person stopped the bot on this channel
    REJECTED = "rejected"  # the request is wrong for good (bad markup, message gone)
    RETRY = "retry"  # a server or network fault: it did not arrive, try again
    AMBIGUOUS = "ambiguous"  # the request left and the answer was lost: it may have arrived


@dataclass(frozen=True)
class Outcome:
    """A send's result: the new message's ``ref`` (text: MAX ids are ``mid.…``) when sent."""

    delivery: Delivery
    ref: str | None = None
    retry_after_s: float = 0.0
    error: str = ""
    reason: str = ""  # a short metric label: rate_limited, blocked, server_error, network…


class MessengerPort(Protocol):
    """One messenger's outgoing side, as the outbox uses it; every exception of the client is
    turned into an :class:`Outcome`, never raised."""

    channel: Channel

    async def send(self, address: int, card: Card) -> Outcome:
        """Send a new message (with its attachment, if any) to a person's chat."""
        ...

    async def edit(self, address: int, ref: str, card: Card) -> Outcome:
        """Replace a sent message's text and buttons (attachments cannot be edited)."""
        ...
