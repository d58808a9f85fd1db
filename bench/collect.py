"""Collector benchmark: our collector vs the peers' naive poller on one synthetic region.

Three processes share one virtual clock (anchored to the same real monotonic instant, which
Linux keeps system-wide): the fake VK with the synthetic world (it alone holds the ~150 MB
world), our collector, and the naive poller.  So ``peak_rss_mb`` is the collector's own
process.  The collector is :class:`collectors.collector.Collector` and
:class:`collectors.longpoll.LongPollListener`, the same code the app runs; the sink records
the virtual time a comment was first handed to storage (storage ingest is measured elsewhere).

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

SEC_PER_H = 3600.0


class AnchoredClock:
    """Virtual time = start + (real monotonic - anchor) * speed; frozen at start until anchored."""

    def __init__(self, start: datetime, speed: float) -> None:
        self._start = start
        self._speed = speed
        self._anchor: float | None = None

    def anchor(self, real0: float) -> None:
        self._anchor = real0

    @property
    def speed(self) -> float:
        return self._speed

    def monotonic(self) -> float:
        if self._anchor is None:
            return 0.0
        return max(0.0, (time.monotonic() - self._anchor) * self._speed)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ====================================================================== fake VK process


def fake_process(opts: dict[str, Any], conn: Connection) -> None:
    asyncio.run(_fake_main(opts, conn))


async def _fake_main(opts: dict[str, Any], conn: Connection) -> None:
    from sandbox.fake_vk import FakeVK, VKLimits
    from sandbox.synth import generate_region

    start = datetime.fromisoformat(opts["start"])
    clock = AnchoredClock(start, opts["speed"])
    fake = FakeVK(clock, limits=VKLimits(rps_per_token=opts["rps"]))
    t0 = time.monotonic()
    world = generate_region(
        fake,
        start=start,
        hours=opts["hours"],
        pages=opts["pages"],
        posts_per_page=opts["posts_per_page"],
        new_posts_per_day=opts["posts_per_day"],
        comments_per_day=opts["comments_per_day"],
        seed=opts["seed"],
    )
    for side in ("ours", "naive"):
        for i in range(opts["tokens"]):
            fake.add_token(f"{side}-token-{i}", "service")
    # Long Poll pages: busy ones (rank 5 on by comment share) -- pages big enough to hold a
    # community token, and busy enough that Long Poll delivery gets measured.
    by_weight = sorted(
        range(len(world.group_ids)), key=lambda i: world.page_weights[i], reverse=True
    )
    lp_pages = [world.group_ids[i] for i in by_weight[5 : 5 + opts["longpoll_pages"]]]
    for gid in lp_pages:
        fake.add_token(f"community-{gid}", "group", group_id=gid)
    base = await fake.start()
    _log(f"world ready in {time.monotonic() - t0:.0f}s: {len(world.posts)} posts, "
         f"{len(world.comments)} comments")  # fmt: skip
    conn.send({"base_url": base, "group_ids": world.group_ids, "lp_pages": lp_pages})
    clock.anchor(conn.recv())
    while not conn.poll():
        await asyncio.sleep(0.2)
    conn.recv()
    per_side: dict[str, dict[str, Any]] = {}
    for side in ("ours", "naive"):
        recs = [c for c in fake.calls if c.token.startswith(side)]
        per_side[side] = {
            "http_requests": len(recs),
            "api_calls": sum(c.api_calls for c in recs),
            "error6": sum(1 for c in recs if c.error_code == 6),
            "errors": _count(c.error_code for c in recs if c.error_code is not None),
            "inner_errors": _count(e for c in recs for _, e in c.inner if e is not None),
            "wall_get_calls": sum(
                1 if c.method == "wall.get" else sum(1 for m, _ in c.inner if m == "wall.get")
                for c in recs
            ),
        }
    truth = {
        "comments": [
            (c.group_id, c.post_id, c.comment_id, c.at.timestamp()) for c in world.comments
        ],
        "posts": [(p.group_id, p.post_id, p.at.timestamp()) for p in world.posts],
        "sides": per_side,
        "fake_rss_mb": _rss_mb(),
    }
    conn.send(truth)
    await fake.stop()


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return out


# ====================================================================== collector processes


def side_process(side: str, opts: dict[str, Any], info: dict[str, Any], conn: Connection) -> None:
    result = asyncio.run(_side_main(side, opts, info, conn))
    result["peak_rss_mb"] = _rss_mb()
    conn.send(result)


async def _side_main(
    side: str, opts: dict[str, Any], info: dict[str, Any], conn: Connection
) -> dict[str, Any]:
    from collectors.vk_client import VkClient

    start = datetime.fromisoformat(opts["start"])
    clock = AnchoredClock(start, opts["speed"])
    real0 = conn.recv()
    clock.anchor(real0)
    while time.monotonic() < real0:
        await asyncio.sleep(0.01)
    end = start + timedelta(hours=opts["hours"], minutes=opts["grace_min"])
    clients = [
        VkClient(
            f"{side}-token-{i}",
            clock=clock,
            api_base=info["base_url"],
            rps=opts["rps"],
            rps_margin=1.25,
            timeout=60.0,
        )
        for i in range(opts["tokens"])
    ]
    detected: dict[tuple[int, int, int], float] = {}
    posts_seen: dict[tuple[int, int], float] = {}
    lp_seen: dict[tuple[int, int, int], float] = {}
    stop = asyncio.Event()

    def record(batch: Any, target: dict[tuple[int, int, int], float]) -> None:
        now = clock.now().timestamp()
        for ev in batch.comments:
            if ev.change == "new":
                target.setdefault((-ev.owner_id, ev.post_id, ev.comment_id), now)
        for p in batch.posts:
            posts_seen.setdefault((-p.owner_id, p.post_id), now)

    tasks: list[asyncio.Task[Any]] = []
    if side == "ours":
        from collectors.collector import Collector, CollectorConfig
        from collectors.longpoll import LongPollListener

        collector = Collector(
            clock,
            CollectorConfig(
                hot_period_s=opts["hot_period_s"],
                cold_period_s=opts["cold_period_s"],
                hot_share=opts["hot_share"],
            ),
        )
        lp_pages = set(info["lp_pages"])
        for gid in info["group_ids"]:
            collector.add_page(gid, longpoll=gid in lp_pages)

        async def sink(batch: Any) -> None:
            record(batch, detected)
            collector.confirm(batch)

        async def lp_sink(batch: Any) -> None:
            record(batch, lp_seen)
            record(batch, detected)
            collector.confirm(batch)

        for c in clients:
            tasks.append(asyncio.create_task(collector.run_worker(c, clients, sink, stop)))
        for gid in lp_pages:
            client = VkClient(
                f"community-{gid}", clock=clock, api_base=info["base_url"], rps=20,
                kind="group", group_id=gid, timeout=60.0,
            )  # fmt: skip
            listener = LongPollListener(client, gid, clock, collector, wait_s=3)
            tasks.append(asyncio.create_task(listener.run(lp_sink, stop)))
    else:
        from bench.naive import NaivePoller

        gids = info["group_ids"]
        for i, c in enumerate(clients):
            poller = NaivePoller(c, clock, gids[i :: len(clients)])

            async def naive_sink(batch: Any) -> None:
                record(batch, detected)

            tasks.append(asyncio.create_task(poller.run(naive_sink, stop)))
    last = 0.0
    hot: list[int] = []
    while clock.now() < end:
        await asyncio.sleep(0.5)
        if time.monotonic() - last > 30:
            last = time.monotonic()
            if side == "ours":
                hot.append(collector.hot_posts)
            _log(f"{side}: virtual {clock.now().isoformat(timespec='seconds')}, "
                 f"{len(detected)} comments seen, rss {_rss_mb():.0f} MB")  # fmt: skip
    stop.set()
    await asyncio.wait(tasks, timeout=5)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    extra: dict[str, Any] = {}
    if side == "ours":
        rtt = sorted(collector.rtt_s)
        extra = {
            "request_latency_s": _pct(rtt),
            "hot_posts": hot[-1] if hot else None,
            "watched_posts": collector.watched_posts(),
        }
    return {
        "extra": extra,
        "detected": list(detected.items()),
        "posts_seen": list(posts_seen.items()),
        "lp_seen": list(lp_seen.items()),
    }


# ====================================================================== scoring


def _pct(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    v = sorted(values)

    def q(p: float) -> float:
        return round(v[min(len(v) - 1, int(p * len(v)))], 2)

    return {"p50": q(0.5), "p95": q(0.95), "max": round(v[-1], 2)}


def score(
    side: dict[str, Any], truth: dict[str, Any], stats: dict[str, Any], opts: dict[str, Any]
) -> dict[str, Any]:
    start = datetime.fromisoformat(opts["start"]).timestamp()
    t0 = start + opts["warmup_min"] * 60
    t1 = start + opts["hours"] * SEC_PER_H
    detected = {tuple(k): v for k, v in side["detected"]}
    posts_seen = {tuple(k): v for k, v in side["posts_seen"]}
    lp_seen = {tuple(k): v for k, v in side["lp_seen"]}
    lp_pages = set(opts["lp_pages"])
    window = [c for c in truth["comments"] if t0 <= c[3] < t1]
    delays_all: list[float] = []
    delays_watched: list[float] = []
    lp_delays: list[float] = []
    late: list[tuple[Any, ...]] = []
    for gid, pid, cid, at in window:
        seen = detected.get((gid, pid, cid))
        if seen is None:
            continue
        d = max(0.0, seen - at)
        delays_all.append(d)
        p_seen = posts_seen.get((gid, pid))
        if p_seen is not None and p_seen <= at:
            delays_watched.append(d)
        if d > 60 and opts.get("debug"):
            post_at = next((pa for g, p, pa in truth["posts"] if g == gid and p == pid), 0.0)
            late.append(
                (gid, pid, cid, round(at - start), round(d), round((at - post_at) / 3600, 1))
            )
        if gid in lp_pages and (gid, pid, cid) in lp_seen:
            lp_delays.append(max(0.0, lp_seen[(gid, pid, cid)] - at))
    disc = [
        posts_seen[(g, p)] - at
        for g, p, at in truth["posts"]
        if t0 <= at < t1 and (g, p) in posts_seen
    ]
    hours = (opts["hours"] * SEC_PER_H + opts["grace_min"] * 60) / SEC_PER_H
    n = len(delays_all)
    out = {
        "comments_total": len(window),
        "comments_detected": n,
        "detected_share": round(n / len(window), 5) if window else None,
        "http_requests": stats["http_requests"],
        "api_calls": stats["api_calls"],
        "http_requests_per_hour": round(stats["http_requests"] / hours, 1),
        "api_calls_per_hour": round(stats["api_calls"] / hours, 1),
        "wall_get_quota_used": stats["wall_get_calls"],
        "requests_per_detected": round(stats["http_requests"] / n, 4) if n else None,
        "delay_s_watched": _pct(delays_watched),
        "delay_s_all": _pct(delays_all),
        "discovery_delay_s": _pct(disc),
        "new_posts_discovered": f"{len(disc)}/"
        + str(sum(1 for _, _, at in truth["posts"] if t0 <= at < t1)),
        "error6": stats["error6"],
        "errors_by_code": stats["errors"],
        "inner_errors_by_code": stats["inner_errors"],
        "peak_rss_mb": round(side["peak_rss_mb"], 1),
        **side["extra"],
    }
    if late:
        out["late_sample"] = late[:40]
    if lp_pages and side["lp_seen"]:
        out["longpoll_delivery_s"] = _pct(lp_delays)
        out["longpoll_comments"] = len(lp_delays)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=6000)
    ap.add_argument("--posts-per-page", type=int, default=30)
    ap.add_argument("--posts-per-day", type=int, default=3000)
    ap.add_argument("--comments-per-day", type=int, default=20000)
    ap.add_argument("--tokens", type=int, default=3)
    ap.add_argument("--rps", type=float, default=3.0)
    ap.add_argument("--warmup-min", type=float, default=20.0)
    ap.add_argument("--measure-hours", type=float, default=2.0)
    ap.add_argument("--full-day", action="store_true", help="measure 24 h instead")
    ap.add_argument("--grace-min", type=float, default=3.0)
    ap.add_argument("--speed", type=float, default=15.0)
    ap.add_argument("--start", default="2026-11-24T09:40:00+03:00", help="warm-up start (MSK)")
    ap.add_argument("--longpoll-pages", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-naive", action="store_true")
    ap.add_argument("--debug", action="store_true", help="list late comments")
    ap.add_argument("--hot-period", type=float, default=40.0, help="seconds between hot checks")
    ap.add_argument("--cold-period", type=float, default=1200.0, help="… between cold checks")
    ap.add_argument("--hot-share", type=float, default=0.99, help="expected comments kept hot")
    a = ap.parse_args()
    measure = 24.0 if a.full_day else a.measure_hours
    opts: dict[str, Any] = {
        "pages": a.pages,
        "posts_per_page": a.posts_per_page,
        "posts_per_day": a.posts_per_day,
        "comments_per_day": a.comments_per_day,
        "tokens": a.tokens,
        "rps": a.rps,
        "warmup_min": a.warmup_min,
        "hours": a.warmup_min / 60 + measure,
        "grace_min": a.grace_min,
        "speed": a.speed,
        "start": datetime.fromisoformat(a.start).astimezone(UTC).isoformat(),
        "longpoll_pages": a.longpoll_pages,
        "seed": a.seed,
        "debug": a.debug,
        "hot_period_s": a.hot_period,
        "cold_period_s": a.cold_period,
        "hot_share": a.hot_share,
    }
    ctx = mp.get_context("spawn")
    t_start = time.monotonic()
    fake_conn, fake_child = ctx.Pipe()
    fake = ctx.Process(target=fake_process, args=(opts, fake_child), daemon=True)
    fake.start()
    info = fake_conn.recv()
    opts["lp_pages"] = info["lp_pages"]
    sides = ["ours"] if a.no_naive else ["ours", "naive"]
    procs: dict[str, tuple[Any, Connection]] = {}
    for side in sides:
        parent, child = ctx.Pipe()
        p = ctx.Process(target=side_process, args=(side, opts, info, child), daemon=True)
        p.start()
        procs[side] = (p, parent)
    time.sleep(3.0)  # let the collector processes import
    real0 = time.monotonic() + 1.0
    fake_conn.send(real0)
    for _, conn in procs.values():
        conn.send(real0)
    results = {side: conn.recv() for side, (_, conn) in procs.items()}
    fake_conn.send("stop")
    truth = fake_conn.recv()
    for p, _ in procs.values():
        p.join(10)
    fake.join(10)
    out: dict[str, Any] = {
        "setup": {
            **{k: v for k, v in opts.items() if k != "lp_pages"},
            "measured_window_h": measure,
            "rss_note": "peak_rss_mb is each collector's own process; the fake VK and its "
            f"world run in another process (peak {truth['fake_rss_mb']:.0f} MB)",
            "real_seconds": round(time.monotonic() - t_start, 1),
        }
    }
    for side in sides:
        out[side] = score(results[side], truth, truth["sides"][side], opts)
    if "naive" in out:
        o, n = out["ours"]["requests_per_detected"], out["naive"]["requests_per_detected"]
        out["ratio_requests_per_detected"] = round(n / o, 1) if o and n else None
        out["ratio_http_requests"] = round(
            out["naive"]["http_requests"] / max(1, out["ours"]["http_requests"]), 1
        )
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
