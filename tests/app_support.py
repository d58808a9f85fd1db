"""Support for the app tests (issue 11 on): the base scenario's people and the complaint the
tests start from, waiting on conditions, and a Bot API host that fails the way a proxy in
front of Telegram does (an HTML error page) until told to pass through."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import OtklikApp
from sandbox.runner import Sandbox
from tests.waiting import until

__all__ = [
    "COMPLAINT",
    "LEAD",
    "MODERATOR",
    "OFFICIAL",
    "FlakyProxy",
    "app_running",
    "app_started",
    "comment",
    "texts_to",
    "until",
]

#: The people of ``conftest.BASE_SCENARIO``, by Telegram id.
OFFICIAL, MODERATOR, LEAD = 501, 601, 701


def comment(cid: int, text: str, *, author: int = 7001, **extra: Any) -> dict[str, Any]:
    """A scenario's VK comment ``cid`` under the base scenario's post (page 1001, post 10);
    ``extra`` adds ``name``, ``reply_to``…"""
    return {"page": 1001, "post": 10, "id": cid, "from_id": author, "text": text, **extra}


#: The complaint the app tests start from: a pothole, to the official's agency.
COMPLAINT = comment(11, "Яма у дома 5 по ул. Ленина, когда заделаете?", name="Мария К.")

BROKEN_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


@contextlib.asynccontextmanager
async def app_running(sb: Sandbox, end: datetime) -> AsyncIterator[asyncio.Task[None]]:
    """The app runs (its task is yielded) while the block does; leaving the block, however it
    ends, stops the app and waits until it has shut down."""
    done = asyncio.Event()
    runner = asyncio.create_task(sb.run_app(end, stop_when=done.is_set))
    try:
        yield runner
    finally:
        done.set()
        await runner


async def app_started(sb: Sandbox, runner: asyncio.Task[None]) -> OtklikApp:
    """The running app, once it has started (it must not have exited before)."""
    await until(
        lambda: runner.done() or (sb.app is not None and sb.app.started.is_set()),
        "start-up",
        timeout=90.0,
    )
    app = sb.app
    assert app is not None and not runner.done(), "the app exited during start-up"
    return app


def texts_to(sb: Sandbox, chat_id: int, method: str = "sendMessage") -> list[str]:
    """What the bot successfully sent to ``chat_id`` by ``method``, in order."""
    return [
        c.text or ""
        for c in sb.tg.calls
        if c.chat_id == chat_id and c.method == method and c.status == 200
    ]


class FlakyProxy:
    """A Bot API host: an nginx-style ``502`` HTML page while ``broken``, else a plain
    pass-through to ``target`` (the fake Telegram)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.broken = True
        self.refused = 0  # requests answered with the HTML page
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.base_url = ""

    async def __aenter__(self) -> FlakyProxy:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if self.broken:
            self.refused += 1
            return web.Response(status=502, text=BROKEN_PAGE, content_type="text/html")
        assert self._http is not None
        headers: dict[str, Any] = {}
        if request.headers.get("Content-Type"):
            headers["Content-Type"] = request.headers["Content-Type"]
        async with self._http.request(
            request.method, self.target + request.path_qs, data=body, headers=headers
        ) as resp:
            return web.Response(
                status=resp.status,
                body=await resp.read(),
                content_type=resp.content_type,
            )
