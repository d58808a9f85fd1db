"""Idle cost of ``otklik run`` (issue 11): CPU seconds per minute and memory of a process
that has nothing new to handle.

For each page count in ``--pages`` the benchmark starts the fake VK and the fake Telegram in
this process, on the real clock (speed 1), with a world of that many pages, 30 posts each
by default (``--posts-per-page``: two weeks of posts, what a real install watches) and no
comments at all, then starts the real ``otklik run`` as a child process in real
mode pointed at them (``OTKLIK__VK__API_BASE``, ``OTKLIK__TELEGRAM__API_BASE``), with the
default SQLite database (``./data/otklik.db`` in a temporary directory) and default settings
otherwise: one service token per 2,000 pages (``--tokens``), the metrics server on a free port.

Start-up is left out.  The window opens when two conditions hold, never after a fixed sleep:

* the collector's first look at every page is stored: the database holds every post of the
  world (the bootstrap ``wall.get`` of each page, ingested);
* the collector has persisted its coverage once: ``/metrics`` shows
  ``otklik_collector_lag_seconds`` (the first persist runs a minute after the collector
  starts; later ones write only what changed).

Over ``--seconds`` of real time the benchmark then reads the child's ``/proc/<pid>/stat``
(user + system time of all its threads) and samples ``VmRSS`` every second; ``VmHWM`` is the
peak of the whole life, start-up included.  Nothing polls the child during the window.

Floors (issue 11): at most 2% of one core at 5 pages; at most 300 MB RSS (peak, ``VmHWM``)
at 6,000 pages.  A 6,000-page install still works when idle (its count checks come every hot
period), so its CPU is reported but only its memory has a floor.

Prints progress to stderr and one JSON object as the last line of stdout; exits 1 when a
floor that applies is not met.  ``--json`` prints only that line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a file: bench/ must not shadow the ``matcher`` package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

BOT_TOKEN = "123456:IDLE-BENCH"
GROUP_ID_BASE = 300_000
CPU_FLOOR_PAGES, CPU_FLOOR_PCT = 5, 2.0
RSS_FLOOR_PAGES, RSS_FLOOR_MB = 6000, 300.0
PAGES_PER_TOKEN = 2000
PEOPLE: list[dict[str, Any]] = [
    {"telegram_id": 501, "name": "Иван Петров", "role": "official", "agencies": ["city"]},
    {"telegram_id": 601, "name": "Ольга Смирнова", "role": "moderator"},
    {"telegram_id": 701, "name": "Андрей Руководитель", "role": "lead"},
]

_quiet = False


def _log(msg: str) -> None:
    if not _quiet:
        print(f"[idle {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ====================================================================== the child's /proc


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of every thread of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float]:
    """``VmRSS`` (now) and ``VmHWM`` (peak resident set so far) in MB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024.0
    return out


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ====================================================================== one run


def _registry(path: Path, group_ids: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "agencies": [{"id": "city", "name": "Администрация", "tz": "Europe/Moscow"}],
        "pages": [
            {"group_id": g, "name": f"Страница {g}", "screen_name": f"idle{g}", "agency": "city"}
            for g in group_ids
        ],
        "people": PEOPLE,
        "rules": [],
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _stored_posts(db: Path) -> int:
    """Posts the child has stored (0 while the database or its tables do not exist yet)."""
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as c:
            return int(c.execute("SELECT count(*) FROM posts").fetchone()[0])
    except sqlite3.Error:
        return 0


async def _get(http: aiohttp.ClientSession, url: str) -> str | None:
    try:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
            return await resp.text()
    except (aiohttp.ClientError, TimeoutError):
        return None


def _spawn(workdir: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=workdir,  # no stray .env; ./data/otklik.db lands here
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _log_errors(path: Path) -> list[str]:
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    return [ln[:300] for ln in lines if " ERROR " in ln or " CRITICAL " in ln or "Traceback" in ln]


async def run_one(
    pages: int,
    workdir: Path,
    *,
    seconds: float,
    posts_per_page: int = 3,
    tokens: int = 0,
    ready_timeout: float = 900.0,
    after_settle: Callable[[Any, Path, int], Awaitable[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Start the fakes and ``otklik run`` on ``pages`` pages, wait until start-up is over,
    measure ``seconds`` of idle, stop everything.  ``tokens`` 0: one per 2,000 pages.
    ``after_settle(fake_vk, db, pid)`` runs before the window (bench/app_memory.py adds
    comments there); what it returns joins the result."""
    from config.clock import SystemClock
    from sandbox.fake_telegram import FakeTelegram
    from sandbox.fake_vk import FakeVK

    clock = SystemClock()
    vk, tg = FakeVK(clock), FakeTelegram(clock)
    now = clock.now()
    group_ids = [GROUP_ID_BASE + i for i in range(pages)]
    for i, gid in enumerate(group_ids):
        vk.add_group(gid, f"Администрация №{i}", f"idle{gid}")
        for j in range(posts_per_page):
            # Posts of the last 13 days, none near the end of the 14-day watch window.
            age_h = 1 + (i * 7 + j * 23) % (13 * 24)
            vk.add_post(gid, at=now - timedelta(hours=age_h), text=f"Новости района №{j}")
    n_tokens = tokens or max(1, math.ceil(pages / PAGES_PER_TOKEN))
    keys = [f"idle-token-{k}" for k in range(n_tokens)]
    for key in keys:
        vk.add_token(key, "service")
    for person in PEOPLE:
        first, _, last = str(person["name"]).partition(" ")
        tg.add_user(int(person["telegram_id"]), first, last)
    await vk.start()
    await tg.start()
    registry = workdir / "registry.yaml"
    _registry(registry, group_ids)  # (creates ``workdir``)
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith("OTKLIK__") and k != "OTKLIK_SECRETS_DIR"
    }
    env.update(
        {
            "OTKLIK__TELEGRAM__TOKEN": BOT_TOKEN,
            "OTKLIK__TELEGRAM__API_BASE": tg.base_url,
            "OTKLIK__VK__API_BASE": vk.base_url,
            "OTKLIK__VK__SERVICE_TOKENS": json.dumps(keys),
            "OTKLIK__REGISTRY_PATH": str(registry),
            "OTKLIK__METRICS__PORT": str(port),
            "PYTHONPATH": str(ROOT),
        }
    )
    log_path = workdir / "otklik.log"
    db = workdir / "data" / "otklik.db"  # the default URL, relative to the working directory
    metrics_url = f"http://127.0.0.1:{port}"
    expected_posts = pages * posts_per_page
    proc: subprocess.Popen[bytes] | None = None
    try:
        spawned = time.monotonic()
        proc = _spawn(workdir, env, log_path)
        pid = proc.pid
        _log(f"{pages} pages: otklik run pid {pid}, {n_tokens} token(s), log {log_path}")
        first_look_s: float | None = None
        ready_s: float | None = None
        async with aiohttp.ClientSession() as http:
            deadline = spawned + ready_timeout
            while ready_s is None:
                if proc.poll() is not None:
                    raise RuntimeError(f"otklik run exited ({proc.returncode}); see {log_path}")
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"not settled within {ready_timeout:.0f} s (posts stored "
                        f"{_stored_posts(db)}/{expected_posts}); see {log_path}"
                    )
                await asyncio.sleep(0.5)
                if first_look_s is None:
                    if await asyncio.to_thread(_stored_posts, db) < expected_posts:
                        continue
                    first_look_s = time.monotonic() - spawned
                    _log(f"{pages} pages: first look stored after {first_look_s:.1f} s")
                body = await _get(http, f"{metrics_url}/metrics")
                if body is not None and "otklik_collector_lag_seconds{" in body:
                    ready_s = time.monotonic() - spawned
            _log(f"{pages} pages: settled after {ready_s:.1f} s; measuring {seconds:.0f} s")
            extra = await after_settle(vk, db, pid) if after_settle is not None else {}
            vk0, tg0 = len(vk.calls), len(tg.calls)
            load0 = os.getloadavg()[0]
            w0, cpu0 = time.monotonic(), cpu_seconds(pid)
            rss_max = 0.0
            while time.monotonic() - w0 < seconds:
                await asyncio.sleep(min(1.0, max(0.0, seconds - (time.monotonic() - w0))))
                if proc.poll() is not None:
                    raise RuntimeError(f"otklik run exited ({proc.returncode}); see {log_path}")
                rss_max = max(rss_max, memory_mb(pid)["VmRSS"])
            cpu1, w1 = cpu_seconds(pid), time.monotonic()
            mem = memory_mb(pid)
            threads = _threads(pid)
            load1 = os.getloadavg()[0]
            vk_calls = vk.calls[vk0:]
            tg_calls = tg.calls[tg0:]
            health_body = await _get(http, f"{metrics_url}/healthz")
        health = json.loads(health_body)["status"] if health_body else None
        window = w1 - w0
        cpu = cpu1 - cpu0
        result: dict[str, Any] = {
            "pages": pages,
            "posts": expected_posts,
            "tokens": n_tokens,
            "window_s": round(window, 1),
            "cpu_s": round(cpu, 2),
            "cpu_s_per_min": round(60 * cpu / window, 3),
            "cpu_pct_of_core": round(100 * cpu / window, 2),
            "rss_mb": round(mem["VmRSS"], 1),
            "rss_max_window_mb": round(max(rss_max, mem["VmRSS"]), 1),
            "rss_peak_mb": round(mem["VmHWM"], 1),
            "threads": threads,
            "first_look_s": round(first_look_s or 0.0, 1),
            "settled_s": round(ready_s, 1),
            "vk_requests_per_min": round(60 * len(vk_calls) / window, 1),
            "vk_errors": sum(1 for c in vk_calls if c.error_code is not None),
            "telegram_calls_per_min": round(
                60 * sum(1 for c in tg_calls if c.method != "getUpdates") / window, 1
            ),
            "telegram_polls_per_min": round(
                60 * sum(1 for c in tg_calls if c.method == "getUpdates") / window, 1
            ),
            "health": health,
            "load_1m": [round(load0, 2), round(load1, 2)],
        }
        result.update(extra)
        if pages == CPU_FLOOR_PAGES:
            result["cpu_floor_met"] = result["cpu_pct_of_core"] <= CPU_FLOOR_PCT
        if pages == RSS_FLOOR_PAGES:
            result["rss_floor_met"] = result["rss_peak_mb"] <= RSS_FLOOR_MB
        return result
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc is not None:
            errors = _log_errors(log_path)
            if errors:
                _log(f"{pages} pages: {len(errors)} error line(s) logged, first: {errors[0]}")
        await tg.stop()
        await vk.stop()


async def amain(a: argparse.Namespace) -> dict[str, Any]:
    runs = []
    with tempfile.TemporaryDirectory(prefix="otklik-idle-") as tmp:
        base = Path(a.workdir) if a.workdir else Path(tmp)
        for pages in a.pages:
            result = await run_one(
                pages,
                base / f"pages-{pages}",
                seconds=a.seconds,
                posts_per_page=a.posts_per_page,
                tokens=a.tokens,
                ready_timeout=a.ready_timeout,
            )
            runs.append(result)
            _log(f"{pages} pages: {runs[-1]}")
    checks = [r[k] for r in runs for k in ("cpu_floor_met", "rss_floor_met") if k in r]
    return {
        "runs": runs,
        "floors": {
            "cpu_pct_of_core_max": {"pages": CPU_FLOOR_PAGES, "limit": CPU_FLOOR_PCT},
            "rss_peak_mb_max": {"pages": RSS_FLOOR_PAGES, "limit": RSS_FLOOR_MB},
        },
        "floors_met": all(checks) if checks else None,
        "setup": {
            "seconds": a.seconds,
            "posts_per_page": a.posts_per_page,
            "clock": "real (speed 1)",
            "database": "SQLite (default URL)",
            "python": sys.version.split()[0],
            "cores": os.cpu_count(),
        },
    }


def main() -> int:
    global _quiet
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, nargs="+", default=[CPU_FLOOR_PAGES, RSS_FLOOR_PAGES])
    ap.add_argument("--seconds", type=float, default=90.0, help="real seconds measured per run")
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    ap.add_argument(
        "--posts-per-page", type=int, default=30, help="posts of the last 13 days, per page"
    )
    ap.add_argument(
        "--tokens",
        type=int,
        default=0,
        help=f"service tokens (0: one per {PAGES_PER_TOKEN} pages)",
    )
    ap.add_argument(
        "--ready-timeout", type=float, default=900.0, help="real seconds allowed for start-up"
    )
    ap.add_argument("--workdir", help="keep each run's database and log here")
    a = ap.parse_args()
    _quiet = a.json
    out = asyncio.run(amain(a))
    print(json.dumps(out, ensure_ascii=False))
    return 0 if out["floors_met"] is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
