"""``otklik check`` for MAX: the CA bundle, the token (``GET /me``) and the way updates arrive
(``GET /subscriptions``), as checklist items an administrator can act on.

Why each: the MAX API host's certificate chains to the Минцифры root, so a missing or wrong
bundle shows up as "certificate verify failed" on the first alert; a revoked token as a bot
that never answers; a webhook left subscribed while the bot polls as updates that silently
never arrive (MAX sends them to the webhook).  Nothing here writes; the token is never shown.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING

import aiohttp
from maxapi import Bot
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection

from bot.max.client import open_client, ssl_context
from config.settings import MaxSettings

if TYPE_CHECKING:
    from bot.check import Item

__all__ = ["check_max"]

TITLE = "MAX bot"


async def check_max(settings: MaxSettings, timeout_s: float = 10.0) -> list[Item]:
    """The MAX lines of the checklist (one line saying MAX is off when no token is set)."""
    from bot.check import Item  # here: bot.check may import this module

    if settings.token is None or not settings.token.get_secret_value():
        return [Item(True, TITLE, "off (OTKLIK__MAX__TOKEN is not set): Telegram only")]
    try:
        ssl_context(settings.ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        return [
            Item(
                False,
                "MAX CA bundle",
                f"{settings.ca_bundle} cannot be read as PEM certificates ({type(exc).__name__})",
                "point OTKLIK__MAX__CA_BUNDLE at the Russian Trusted Root CA PEM file, "
                "or leave it empty for the one maxapi ships",
            )
        ]
    client = open_client(settings)
    try:
        return await _check_api(settings, client.bot, timeout_s)
    finally:
        await client.close()


async def _check_api(settings: MaxSettings, bot: Bot, timeout_s: float) -> list[Item]:
    from bot.check import Item

    try:
        me = await asyncio.wait_for(bot.get_me(), timeout_s)
    except InvalidToken:
        return [
            Item(
                False,
                TITLE,
                "token rejected by MAX (401)",
                "the token was revoked or mistyped: copy it again from the MAX partner "
                "platform (business.max.ru, the bot's integration settings)",
            )
        ]
    except MaxConnection as exc:
        cause = exc.__cause__
        if isinstance(cause, aiohttp.ClientConnectorCertificateError):
            return [
                Item(
                    False,
                    TITLE,
                    f"{settings.api_base}: certificate not trusted",
                    "set OTKLIK__MAX__CA_BUNDLE to the Russian Trusted Root CA (or leave it "
                    "empty for maxapi's copy)",
                )
            ]
        return [_unreachable(settings, exc)]
    except (MaxApiError, TimeoutError, aiohttp.ClientError) as exc:
        return [_unreachable(settings, exc)]
    name = f"@{me.username}" if me.username else me.first_name
    items = [Item(True, TITLE, f"{name} (id {me.user_id})")]
    try:
        found = await asyncio.wait_for(bot.get_subscriptions(), timeout_s)
    except (MaxApiError, MaxConnection, TimeoutError, aiohttp.ClientError) as exc:
        items.append(_unreachable(settings, exc, "MAX updates"))
        return items
    urls = [s.url for s in found.subscriptions]
    if settings.mode == "polling":
        if urls:
            items.append(
                Item(
                    False,
                    "MAX updates",
                    f"long polling, but a webhook is subscribed ({len(urls)}): MAX sends the "
                    "updates there and polls get nothing",
                    "remove the subscription (DELETE /subscriptions) or set "
                    "OTKLIK__MAX__MODE=webhook",
                )
            )
        else:
            items.append(Item(True, "MAX updates", "long polling (development only)", warn=True))
    elif settings.webhook_url in urls:
        items.append(Item(True, "MAX updates", f"webhook subscribed: {settings.webhook_url}"))
    else:
        others = f"; other URLs subscribed: {len(urls)}" if urls else ""
        items.append(
            Item(
                True,
                "MAX updates",
                f"webhook not subscribed yet (the bot subscribes at start){others}",
                warn=True,
            )
        )
    return items


def _unreachable(settings: MaxSettings, exc: BaseException, title: str = TITLE) -> Item:
    from bot.check import Item

    return Item(
        False,
        title,
        f"{settings.api_base} did not answer: {type(exc).__name__}",
        "check the network or OTKLIK__MAX__API_BASE",
    )
