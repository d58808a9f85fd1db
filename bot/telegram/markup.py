"""Neutral keyboards and cards in aiogram's terms.

A core :class:`~bot.core.types.Keyboard` is already within Telegram's limits (the core lays
out at most 4 buttons a row, 64-byte payloads), so the mapping is one to one.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.core.types import Card, Keyboard

__all__ = ["inline_markup", "link_preview"]


def inline_markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """A neutral keyboard as Telegram inline buttons (``None``: no buttons)."""
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.text, url=b.url)
                if b.url is not None
                else InlineKeyboardButton(text=b.text, callback_data=b.payload)
                for b in row
            ]
            for row in keyboard.rows
        ]
    )


def link_preview(card: Card) -> LinkPreviewOptions | None:
    """``None`` keeps the bot's default (a preview of the first link)."""
    return None if card.link_preview else LinkPreviewOptions(is_disabled=True)
