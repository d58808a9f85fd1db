"""The maxapi ``Bot`` as Otklik needs it, built from :class:`~config.settings.MaxSettings`.

maxapi's defaults are wrong for an outbox that owns its retries (``docs/max-design.md`` §3):
it repeats a request after 502/503/504 or a dropped connection, which sends a message MAX
already delivered a second time, so ``max_retries=0``; it asks ``GET /chats/{id}`` for every
event unless ``auto_requests=False``; it sleeps 2 s after every upload.  The API host's
certificate chains to the Минцифры root, so the connector trusts Python's default roots plus
``ca_bundle`` (maxapi's bundled root when unset).  Otklik owns that connector (maxapi does not
close one it was given): :meth:`MaxClient.close` closes both.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp.client_middlewares import ClientMiddlewareType
from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties
from maxapi.client.ssl import RUSSIAN_TRUSTED_CA_BUNDLE

from config.settings import MaxSettings

__all__ = ["MaxClient", "open_client", "ssl_context"]


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """Python's default roots plus ``ca_bundle`` (maxapi's Минцифры root when None)."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=str(ca_bundle or RUSSIAN_TRUSTED_CA_BUNDLE))
    return context


@dataclass
class MaxClient:
    """A maxapi ``Bot`` and the connector Otklik made for it; close it once, at shutdown."""

    bot: Bot
    connector: aiohttp.TCPConnector

    async def close(self) -> None:
        """Close the bot's HTTP session, then the connector maxapi does not own."""
        await self.bot.close_session()
        await self.connector.close()


def open_client(
    settings: MaxSettings,
    *,
    middlewares: Sequence[ClientMiddlewareType] = (),
    after_upload_attempts: int = 5,
    after_upload_retry_delay_s: float = 2.0,
) -> MaxClient:
    """A maxapi ``Bot`` on ``settings.api_base``, its retries off; every request passes
    ``middlewares`` (the pacer).  Call it on the running event loop (aiohttp's connector
    binds to it).  ``after_upload_*``: how maxapi repeats a send MAX refused with
    ``attachment.not.ready`` (safe: the server did not take it)."""
    if settings.token is None or not settings.token.get_secret_value():
        raise ValueError("OTKLIK__MAX__TOKEN is not set")
    connector = aiohttp.TCPConnector(ssl=ssl_context(settings.ca_bundle))
    connection = DefaultConnectionProperties(
        timeout=settings.request_timeout_s,
        sock_connect=min(30, max(1, int(settings.request_timeout_s))),
        max_retries=0,
        connector=connector,
        middlewares=tuple(middlewares),
    )
    bot = Bot(
        settings.token.get_secret_value(),
        default_connection=connection,
        auto_requests=False,
        auto_check_subscriptions=False,
        after_upload_attempts=after_upload_attempts,
        after_upload_retry_delay=after_upload_retry_delay_s,
    )
    bot.set_api_url(settings.api_base)
    # The constructor reads 0 as "unset" (``or 2.0``): set the delay after it.
    bot.after_input_media_delay = 0.0
    return MaxClient(bot=bot, connector=connector)
