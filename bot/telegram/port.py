"""The outbox's way to Telegram: :class:`TelegramPort` implements
:class:`~bot.core.types.MessengerPort` on aiogram's ``Bot``.

aiogram's exceptions become an :class:`~bot.core.types.Outcome` as the outbox has always
read them: 429 → LATER after ``retry_after``; 403 → BLOCKED; a bad request → REJECTED, except
"message is not modified" (the card already shows this), which is SENT; a 5xx, a network
fault or a timeout → RETRY (Telegram has no way to list a chat, so a lost answer is retried
as before).  Anything else is a bug and propagates.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile

from bot.core.types import Card, Channel, Delivery, Outcome
from bot.telegram.markup import inline_markup, link_preview

__all__ = ["TelegramPort", "classify"]

NOT_MODIFIED = "message is not modified"


def classify(exc: BaseException) -> Outcome | None:
    """What an aiogram exception means for the outbox; ``None``: not one it knows."""
    if isinstance(exc, TelegramRetryAfter):
        return Outcome(
            Delivery.LATER,
            retry_after_s=float(exc.retry_after),
            error=str(exc),
            reason="rate_limited",
        )
    if isinstance(exc, TelegramForbiddenError):
        return Outcome(Delivery.BLOCKED, error=str(exc), reason="blocked")
    if isinstance(exc, TelegramBadRequest):
        error = str(exc)
        delivery = Delivery.SENT if NOT_MODIFIED in error else Delivery.REJECTED
        return Outcome(delivery, error=error, reason="rejected")
    if isinstance(exc, TelegramServerError):
        return Outcome(Delivery.RETRY, error=str(exc), reason="server_error")
    if isinstance(exc, TelegramNetworkError | TimeoutError):
        return Outcome(Delivery.RETRY, error=str(exc) or type(exc).__name__, reason="network")
    return None


def _preview(card: Card) -> dict[str, Any]:
    """No argument at all unless the card turns previews off: the bot's defaults apply."""
    return {} if card.link_preview else {"link_preview_options": link_preview(card)}


class TelegramPort:
    """The Telegram side of the outbox; address = the Telegram chat id.  Sends go through
    the bot's session, so its pacer (``bot/telegram/pacing.py``) paces them."""

    channel = Channel.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, address: int, card: Card) -> Outcome:
        """A new message: text with buttons, or a photo/document with the text as caption."""
        markup = inline_markup(card.keyboard)
        media = card.media
        try:
            if media is None:
                msg = await self.bot.send_message(
                    address, card.html, reply_markup=markup, **_preview(card)
                )
            elif media.kind == "image":
                upload = BufferedInputFile(media.data, filename=media.name)
                msg = await self.bot.send_photo(
                    address, upload, caption=card.html or None, reply_markup=markup
                )
            else:
                upload = BufferedInputFile(media.data, filename=media.name)
                msg = await self.bot.send_document(
                    address, upload, caption=card.html or None, reply_markup=markup
                )
        except Exception as exc:
            if (outcome := classify(exc)) is None:
                raise
            return outcome
        return Outcome(Delivery.SENT, ref=str(msg.message_id))

    async def edit(self, address: int, ref: str, card: Card) -> Outcome:
        """Replace a card's text and buttons; an unchanged card counts as edited."""
        try:
            await self.bot.edit_message_text(
                text=card.html,
                chat_id=address,
                message_id=int(ref),
                reply_markup=inline_markup(card.keyboard),
                **_preview(card),
            )
        except Exception as exc:
            if (outcome := classify(exc)) is None:
                raise
            if outcome.delivery is Delivery.SENT:
                return Outcome(Delivery.SENT, ref=ref, error=outcome.error)
            return outcome
        return Outcome(Delivery.SENT, ref=ref)

    def gone(self, outcome: Outcome) -> bool:
        """The edited message no longer exists (the person deleted it)."""
        return outcome.delivery is Delivery.REJECTED and "message to edit not found" in (
            outcome.error
        )
