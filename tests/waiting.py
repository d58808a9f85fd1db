"""Waiting on conditions, never on sleeps: one helper for every test that runs the app."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def until(
    cond: Callable[[], bool | Awaitable[bool]], what: str = "a condition", timeout: float = 60.0
) -> None:
    """Wait (real seconds, generous: a loaded machine is slow, never wrong) until ``cond``
    holds; ``cond`` may be a plain or an async function."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
