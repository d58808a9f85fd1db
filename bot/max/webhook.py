"""Receiving MAX updates by webhook, as MAX requires in production.

MAX posts each update on its own to the subscribed HTTPS address, with the subscription's
secret in ``X-Max-Bot-Api-Secret``; anything but 200 is retried every 30–60 s for up to 8
hours (``docs/max-design.md`` §2).  So the app:

* refuses a request without the right secret (403, compared in constant time);
* answers 200 only after the update was handed to the callback and the callback returned
  (an update that failed is delivered again rather than lost), 500 when it raised;
* hands each update over once (:class:`~bot.max.updates.Once`, per ``callback_id`` / ``mid``),
  since a slow answer makes MAX deliver the same update again;
* answers 200 to an update it does not understand or has nothing to do with, so MAX does
  not retry it for 8 hours.

TLS is terminated in front of it (a reverse proxy with a certificate from a trusted CA);
the app listens on ``OTKLIK__MAX__WEBHOOK_HOST`` / ``_PORT`` at the URL's path.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from secrets import compare_digest
from urllib.parse import urlsplit

from aiohttp import web
from maxapi import Bot
from maxapi.enums.update import UpdateType

from bot.max.updates import UPDATE_TYPES, EventHandler, Once, translate

__all__ = ["ONCE", "SECRET_HEADER", "serve_webhook", "subscribe", "webhook_app", "webhook_path"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"
#: The app's :class:`Once` (its duplicate count is a metric).
ONCE = web.AppKey("otklik_max_once", Once)


def webhook_path(url: str) -> str:
    """The path the app listens on for the public ``url`` (``/`` when it has none)."""
    return urlsplit(url).path or "/"


def webhook_app(
    on_event: EventHandler | Once, *, secret: str | None, path: str = "/max"
) -> web.Application:
    """An aiohttp app that feeds MAX's webhook posts to ``on_event`` (wrapped in
    :class:`Once` unless it already is).  ``secret`` None accepts any request: development
    only (settings require a secret in webhook mode)."""
    once = on_event if isinstance(on_event, Once) else Once(on_event)
    expected = secret.encode() if secret else None

    async def receive(request: web.Request) -> web.Response:
        if expected is not None:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not compare_digest(given, expected):
                log.warning("max webhook: a request without the right secret refused")
                return web.json_response({"ok": False}, status=403)
        try:
            update = json.loads(await request.read())
        except ValueError:
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        if not isinstance(update, dict):
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        event = translate(update)
        if event is not None:
            try:
                await once(event)
            except Exception:
                log.exception("max webhook: update %s not handled", event.event_id)
                return web.json_response({"ok": False}, status=500)
        return web.json_response({"ok": True})

    app = web.Application()
    app[ONCE] = once
    app.router.add_post(path, receive)
    return app


async def serve_webhook(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve ``app`` on ``host:port`` (port 0 picks a free one); clean up the runner."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def subscribe(
    bot: Bot, url: str, secret: str, update_types: Sequence[str] = UPDATE_TYPES
) -> None:
    """Subscribe ``url`` (MAX: HTTPS with a trusted certificate) with ``secret``; an
    existing subscription of the same URL is replaced.  Raises maxapi's errors."""
    await bot.subscribe_webhook(
        url, update_types=[UpdateType(t) for t in update_types], secret=secret
    )
