"""Telegram's pacer as an aiogram request middleware on the bot's session.

Every send and edit the bot makes (a handler's reply or an outbox row) passes through the
channel pacer (``bot/pacing.py``) with Telegram's limits, and a 429 holds the chat for the
``retry_after`` Telegram gave.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.core.capabilities import capabilities
from bot.core.types import Channel
from bot.pacing import ChannelPacer
from config.clock import Clock

__all__ = ["PACED", "PacingMiddleware", "install_pacer"]

#: Methods Telegram counts toward flood limits.
PACED = frozenset(
    {
        "SendMessage",
        "EditMessageText",
        "EditMessageReplyMarkup",
        "EditMessageCaption",
        "SendPhoto",
        "SendDocument",
    }
)


class PacingMiddleware(BaseRequestMiddleware):
    """Routes every paced Bot API call through the Telegram :class:`ChannelPacer`."""

    def __init__(self, pacer: ChannelPacer) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        if type(method).__name__ not in PACED or not isinstance(chat_id, int):
            return await make_request(bot, method)

        async def send() -> Response[TelegramType]:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                self.pacer.penalize(chat_id, float(exc.retry_after))
                raise

        return await self.pacer.paced(chat_id, send)


def install_pacer(bot: Bot, clock: Clock, **limits: Any) -> ChannelPacer:
    """Put a pacer with Telegram's limits on ``bot``'s session (``limits`` override them,
    e.g. ``global_rate``); hand the same pacer to the outbox sender."""
    caps = capabilities(Channel.TELEGRAM)
    settings: dict[str, Any] = {
        "per_chat_interval_s": caps.per_chat_interval_s,
        "group_per_min": caps.group_per_min,
        "global_rate": caps.global_rate,
        **limits,
    }
    pacer = ChannelPacer(clock, channel=Channel.TELEGRAM, **settings)
    bot.session.middleware(PacingMiddleware(pacer))
    return pacer
