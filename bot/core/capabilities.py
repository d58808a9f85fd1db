"""What each messenger allows: text sizes, keyboard sizes and sending rates, in one table.

Renderers and the pacer read it instead of hard-coding one messenger's numbers (as Bot
Framework's channel capabilities do).  The figures are the documented limits with a margin
where the server counts them in its own way (``docs/max-design.md`` §2, Telegram's Bot API
and its FAQ on broadcasting):

* Telegram counts a text's length *after* parsing its HTML (the characters the person
  sees); MAX counts the ``format: html`` text as sent, tags included, and maxapi refuses
  4000 characters and more.
* Telegram: 1 message a second per chat, 20 a minute per group, about 30 a second overall.
  MAX: 2 messages a second per chat (sends, edits and callback answers count), 30 requests a
  second overall.  The pacing figures stay a little under each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.types import Channel

__all__ = ["CAPABILITIES", "MAX", "TELEGRAM", "Capabilities", "capabilities"]


@dataclass(frozen=True)
class Capabilities:
    """One messenger's limits and the pace Otklik keeps on it."""

    channel: Channel
    #: A message's text, counted as ``text_counted`` says.
    text_limit: int
    #: A text sent with a photo or a document.
    caption_limit: int
    #: ``plain``: the characters left after parsing the HTML (UTF-16 units, as Telegram
    #: counts); ``html``: the HTML string as sent.
    text_counted: Literal["plain", "html"]
    buttons_per_row: int
    buttons_total: int
    rows_max: int
    links_per_row: int
    payload_bytes: int
    button_text_max: int
    #: Pacing: one message per chat every so many seconds (the server's limit plus a margin).
    per_chat_interval_s: float
    #: Pacing: messages a minute to one group chat (``None``: the messenger sets none).
    group_per_min: int | None
    #: Pacing: requests a second for the whole bot.
    global_rate: float


TELEGRAM = Capabilities(
    channel=Channel.TELEGRAM,
    text_limit=4096,
    caption_limit=1024,
    text_counted="plain",
    buttons_per_row=8,
    buttons_total=100,
    rows_max=100,
    links_per_row=8,
    payload_bytes=64,
    button_text_max=64,
    per_chat_interval_s=1.05,
    group_per_min=19,
    global_rate=28.0,
)

MAX = Capabilities(
    channel=Channel.MAX,
    text_limit=3999,
    caption_limit=3999,
    text_counted="html",
    buttons_per_row=7,
    buttons_total=210,
    rows_max=30,
    links_per_row=3,
    # MAX allows 1024, but one payload must be valid on both messengers.
    payload_bytes=64,
    button_text_max=128,
    per_chat_interval_s=0.55,
    group_per_min=None,
    global_rate=28.0,
)

CAPABILITIES: dict[Channel, Capabilities] = {Channel.TELEGRAM: TELEGRAM, Channel.MAX: MAX}


def capabilities(channel: Channel | str) -> Capabilities:
    """The limits of ``channel`` (a stored row's channel is a plain string)."""
    return CAPABILITIES[Channel(channel)]
