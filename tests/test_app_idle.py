"""Issue 11, defect 1: an idle app must not spin.

On the default SQLite set-up the collection service's wait loop had a renew deadline that only
moved when there were page leases, so from ``renew_s`` after start its wait was zero and it
spun (~60% of a core, idle).  The test runs the real app (role ``all``, SQLite, five pages on
the fake VK, nothing happening) and counts how often that loop wakes in a stretch of real
time: a handful when it waits, thousands when it spins, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Literal

import pytest

from bot.app import OtklikApp
from bot.collecting import PERSIST_EVERY_S
from sandbox.runner import Sandbox
from tests.app_support import until

pytestmark = pytest.mark.e2e

SPEED = 60.0
RENEW_S = 0.2  # the spin began this long (real seconds) after the loop started
WINDOW_S = 3.0


class CountingStop(asyncio.Event):
    """The app's stop event, counting ``wait()`` calls per task: every loop of the app waits
    on it between rounds, so the counts are the loops' wake-ups."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: Counter[str] = Counter()

    def wait(self) -> Coroutine[Any, Any, Literal[True]]:
        # Counted on the call, in the caller's task: ``wait_for`` runs the body in its own.
        task = asyncio.current_task()
        self.waits[task.get_name() if task is not None else "?"] += 1
        return super().wait()


async def test_an_idle_app_does_not_spin(
    make_scenario: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTKLIK__LEASE__RENEW_S", str(RENEW_S))
    pages = [
        {"group_id": 1001 + i, "name": f"Страница {i}", "screen_name": f"p{i}", "agency": "city"}
        for i in range(5)
    ]
    scenario = make_scenario([], pages=pages, end="2026-11-24T08:00:00+03:00")
    async with Sandbox(scenario, workdir=tmp_path, speed=SPEED) as sb:
        app = OtklikApp(sb.settings(), sb.registry, sb.clock)
        stop = CountingStop()
        runner = asyncio.create_task(app.run(stop))
        try:
            await until(lambda: app.started.is_set() or runner.done(), "start-up")
            sb.clock.resume()
            # The collection service's loop has begun waiting (its pages are loaded) ...
            await until(lambda: stop.waits["collector"] >= 1 or runner.done(), "the loop")
            await asyncio.sleep(2 * RENEW_S)  # ... and is past the renew instant
            assert not runner.done()
            before = Counter(stop.waits)
            cpu0, wall0 = time.process_time(), time.monotonic()
            await asyncio.sleep(WINDOW_S)
            cpu = time.process_time() - cpu0
            wall = time.monotonic() - wall0
            woke = stop.waits - before
        finally:
            stop.set()
            await asyncio.wait_for(runner, 60)
    # The loop wakes for its persist timer only (the window may stretch on a loaded machine).
    expected = wall * SPEED / PERSIST_EVERY_S + 2
    assert woke["collector"] <= 2 * expected, (
        f"the collection loop woke {woke['collector']} times in {wall:.1f} s "
        f"(process CPU {cpu / wall:.0%} of a core); all loops: {dict(woke)}"
    )
