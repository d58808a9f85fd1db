"""Collector benchmark: our collector vs the peers' naive poller on one synthetic region.

Each side gets its own fake VK process holding its own copy of the same world (same seed, so
the same posts, comments and ids), and all processes share one virtual clock (anchored to the
same real monotonic instant, which Linux keeps system-wide).  Separate fakes keep the naive
poller's stream of small requests from queueing in front of ours in one event loop, and the
naive pair runs at a lower CPU priority (``--naive-nice``) so that on a small machine it does
not take CPU from ours; its requests per detected comment hardly depend on its request rate
(each request reads one post, so detections grow with requests).  ``peak_rss_mb`` is each
collector's own process.  The collector is :class:`collectors.collector.Collector` and
:class:`collectors.longpoll.LongPollListener`, the same code the app runs; the sink records
the virtual time a comment was first handed to storage (storage ingest is measured elsewhere).

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

SEC_PER_H = 3600.0
TextLog = dict[tuple[int, int, int], list[tuple[float, int]]]
# Pacing margin over the per-token rps limit, both sides (evenly spaced requests).
RPS_MARGIN = 1.25


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


def fake_process(side: str, opts: dict[str, Any], conn: Connection) -> None:
    _nice(side, opts)
    _profiled(f"fake-{side}", opts, lambda: asyncio.run(_fake_main(side, opts, conn)))


def _nice(side: str, opts: dict[str, Any]) -> None:
    if side == "naive" and opts.get("naive_nice"):
        os.nice(int(opts["naive_nice"]))


def _profiled(name: str, opts: dict[str, Any], fn: Any) -> Any:
    """Run ``fn``; with ``--profile DIR`` under cProfile, stats to ``DIR/<name>.prof``."""
    if not opts.get("profile"):
        return fn()
    import cProfile

    prof = cProfile.Profile()
    try:
        return prof.runcall(fn)
    finally:
        prof.dump_stats(os.path.join(opts["profile"], f"{name}.prof"))


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return round(ru.ru_utime + ru.ru_stime, 1)


async def _fake_main(side: str, opts: dict[str, Any], conn: Connection) -> None:
    from sandbox.fake_vk import FakeVK, VKLimits

    start = datetime.fromisoformat(opts["start"])
    clock = AnchoredClock(start, opts["speed"])
    fake = FakeVK(clock, limits=VKLimits(rps_per_token=opts["rps"]))
    t0 = time.monotonic()
    world = _world(fake, opts)
    for i in range(opts["tokens"]):
        fake.add_token(f"{side}-token-{i}", "service")
    # Long Poll pages: busy ones (rank 5 on by comment share) -- pages big enough to hold a
    # community token, and busy enough that Long Poll delivery gets measured.
    by_weight = sorted(
        range(len(world.group_ids)), key=lambda i: world.page_weights[i], reverse=True
    )
    lp_pages = [world.group_ids[i] for i in by_weight[5 : 5 + opts["longpoll_pages"]]]
    if side == "ours":
        for gid in lp_pages:
            fake.add_token(f"community-{gid}", "group", group_id=gid)
    base = await fake.start()
    _log(f"{side}'s world ready in {time.monotonic() - t0:.0f}s: {len(world.posts)} posts, "
         f"{len(world.comments)} comments")  # fmt: skip
    conn.send({"base_url": base, "group_ids": world.group_ids, "lp_pages": lp_pages})
    clock.anchor(conn.recv())
    while not conn.poll():
        await asyncio.sleep(0.2)
    conn.recv()
    truth = {
        **_truth(world),
        "stats": _stats(fake.calls),
        "fake_rss_mb": _rss_mb(),
        "fake_cpu_s": _cpu_s(),
    }
    conn.send(truth)
    await fake.stop()


def _truth(world: Any) -> dict[str, Any]:
    return {
        "comments": [
            (c.group_id, c.post_id, c.comment_id, c.at.timestamp()) for c in world.comments
        ],
        "posts": [(p.group_id, p.post_id, p.at.timestamp()) for p in world.posts],
        "edits": [
            (e.group_id, e.post_id, e.comment_id, e.at.timestamp(), _crc(e.text))
            for e in world.edits
        ],
    }


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def _log_text(texts: TextLog, ev: Any, now: float) -> None:
    """When each distinct text of a comment was first handed to storage (edits seen)."""
    seen = texts.setdefault((-ev.owner_id, ev.post_id, ev.comment_id), [])
    crc = _crc(ev.text)
    if not seen or seen[-1][1] != crc:
        seen.append((now, crc))


def _stats(recs: list[Any]) -> dict[str, Any]:
    """What the fake saw of one side: requests, calls, errors, wall.get quota."""
    return {
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


def _world(fake: Any, opts: dict[str, Any]) -> Any:
    from sandbox.synth import generate_region

    return generate_region(
        fake,
        start=datetime.fromisoformat(opts["start"]),
        hours=opts["hours"],
        pages=opts["pages"],
        posts_per_page=opts["posts_per_page"],
        new_posts_per_day=opts["posts_per_day"],
        comments_per_day=opts["comments_per_day"],
        seed=opts["seed"],
        edit_share=opts["edit_share"],
    )


# ====================================================================== the paced naive poller


def naive_paced_process(opts: dict[str, Any], conn: Connection) -> None:
    """The peers' poller at its rate limit on a discrete-event clock (see bench/naive.py),
    once per phase of its cycle, each on a fresh copy of the world."""
    _nice("naive", opts)
    result = _profiled("naive", opts, lambda: _naive_paced(opts))
    result["peak_rss_mb"] = _rss_mb()
    result["cpu_s"] = _cpu_s()
    conn.send(result)


def _recorder(
    detected: dict[tuple[int, int, int], float],
    posts_seen: dict[tuple[int, int], float],
    texts: TextLog,
) -> Any:
    def record(batch: Any, at: datetime) -> None:
        now = at.timestamp()
        for ev in batch.comments:
            detected.setdefault((-ev.owner_id, ev.post_id, ev.comment_id), now)
            _log_text(texts, ev, now)
        for p in batch.posts:
            posts_seen.setdefault((-p.owner_id, p.post_id), now)

    return record


def _naive_paced(opts: dict[str, Any]) -> dict[str, Any]:
    from bench.naive import EventClock, run_paced
    from sandbox.fake_vk import FakeVK, VKLimits

    start = datetime.fromisoformat(opts["start"])
    end = start + timedelta(hours=opts["hours"], minutes=opts["grace_min"])
    tokens = [f"naive-token-{i}" for i in range(opts["tokens"])]
    phases: list[dict[str, Any]] = []
    truth: dict[str, Any] = {}
    for k in range(opts["naive_phases"]):
        clock = EventClock(start, len(tokens))
        fake = FakeVK(clock, limits=VKLimits(rps_per_token=opts["rps"]))
        world = _world(fake, opts)
        for t in tokens:
            fake.add_token(t, "service")
        detected: dict[tuple[int, int, int], float] = {}
        posts_seen: dict[tuple[int, int], float] = {}
        texts: TextLog = {}
        record = _recorder(detected, posts_seen, texts)
        asyncio.run(
            run_paced(
                fake, clock, world.group_ids, tokens,
                interval_s=RPS_MARGIN / opts["rps"], end=end,
                phase=k / opts["naive_phases"], record=record,
            )
        )  # fmt: skip
        if not truth:
            truth = _truth(world)
        phases.append(
            {
                "detected": list(detected.items()),
                "posts_seen": list(posts_seen.items()),
                "lp_seen": [],
                "texts": _edited_only(texts, truth),
                "stats": _stats(fake.calls),
            }
        )
        del fake, world
        _log(f"naive (paced) phase {k + 1}/{opts['naive_phases']} done")
    return {"phases": phases, "truth": truth}


def _edited_only(texts: TextLog, truth: dict[str, Any]) -> list[Any]:
    """The text logs of the comments the world edits (all that scoring needs)."""
    keys = {(g, p, c) for g, p, c, _, _ in truth["edits"]}
    return [(k, v) for k, v in texts.items() if k in keys]


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return out


# ====================================================================== collector processes


def side_process(side: str, opts: dict[str, Any], info: dict[str, Any], conn: Connection) -> None:
    _nice(side, opts)
    result = _profiled(side, opts, lambda: asyncio.run(_side_main(side, opts, info, conn)))
    result["cpu_s"] = _cpu_s()
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
            rps_margin=RPS_MARGIN,
            timeout=60.0,
        )
        for i in range(opts["tokens"])
    ]
    detected: dict[tuple[int, int, int], float] = {}
    posts_seen: dict[tuple[int, int], float] = {}
    lp_seen: dict[tuple[int, int, int], float] = {}
    texts: TextLog = {}
    stop = asyncio.Event()

    def record(batch: Any, target: dict[tuple[int, int, int], float]) -> None:
        now = clock.now().timestamp()
        for ev in batch.comments:
            if ev.change == "new":
                target.setdefault((-ev.owner_id, ev.post_id, ev.comment_id), now)
            if ev.change in ("new", "edit") and target is detected:
                _log_text(texts, ev, now)
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
                checks_per_s=opts["checks_per_s"],
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
    peak_rss_mb = _rss_mb()  # before the --debug extras below
    extra: dict[str, Any] = {}
    if side == "ours":
        rtt = sorted(collector.rtt_s)
        extra = {
            "request_latency_s": _pct(rtt),
            "hot_posts": hot[-1] if hot else None,
            "watched_posts": collector.watched_posts(),
            "requests_by_trigger": collector.triggers,
            "calls_by_kind": collector.calls_by_kind,
            "counter_gap_triggers": collector.gap_triggers,
            "reread_calls": collector.reread_calls,
            "edits_found_by_rereads": collector.edits_seen,
            "dormant_posts_woken": collector.revived,
        }
        if opts.get("debug"):
            extra["post_states"] = {
                (page.group_id, p.post_id): (p.period, round(p.h, 3), round(p.n, 2))
                for page in collector.pages.values()
                for p in page.posts.values()
            }
            extra["page_states"] = {
                page.group_id: (
                    page.max_seen_id, page.probe_floor, round(page.probe_period),
                    round(page.page_n, 2), round(page.post_rate * 86400, 2),
                )
                for page in collector.pages.values()
            }  # fmt: skip
    return {
        "peak_rss_mb": peak_rss_mb,
        "extra": extra,
        "detected": list(detected.items()),
        "posts_seen": list(posts_seen.items()),
        "lp_seen": list(lp_seen.items()),
        "texts": list(texts.items()),
    }


NAIVE_NOTE = {
    "paced": "naive runs at its rate limit on a discrete-event clock (requests exactly "
    "rps/margin apart per token, against its own in-process copy of the world), once per "
    "phase of its cycle; figures are means over the phases, requests_per_detected from the "
    "totals, delays over all phases",
    "real": "naive runs in real time against its own fake VK process, at a lower CPU "
    "priority; its rate (and so which pages its cycle reaches in the window) follows the CPU",
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
    side: dict[str, Any],
    truth: dict[str, Any],
    stats: dict[str, Any],
    opts: dict[str, Any],
    *,
    raw: bool = False,
) -> dict[str, Any]:
    start = datetime.fromisoformat(opts["start"]).timestamp()
    t0 = start + opts["warmup_min"] * 60
    t1 = start + opts["hours"] * SEC_PER_H
    detected = {tuple(k): v for k, v in side["detected"]}
    posts_seen = {tuple(k): v for k, v in side["posts_seen"]}
    lp_seen = {tuple(k): v for k, v in side["lp_seen"]}
    lp_pages = set(opts["lp_pages"])
    states: dict[tuple[int, int], Any] = side["extra"].pop("post_states", {})
    page_states: dict[int, Any] = side["extra"].pop("page_states", {})
    window = [c for c in truth["comments"] if t0 <= c[3] < t1]
    delays_all: list[float] = []
    delays_watched: list[float] = []
    lp_delays: list[float] = []
    late: list[tuple[Any, ...]] = []
    missed: list[tuple[Any, ...]] = []
    for gid, pid, cid, at in window:
        seen = detected.get((gid, pid, cid))
        if seen is None:
            if opts.get("debug"):
                post_at = next((pa for g, p, pa in truth["posts"] if g == gid and p == pid), 0.0)
                missed.append(
                    (gid, pid, cid, round(at - start), round((at - post_at) / 3600, 1),
                     states.get((gid, pid)))
                )  # fmt: skip
            continue
        d = max(0.0, seen - at)
        delays_all.append(d)
        p_seen = posts_seen.get((gid, pid))
        if p_seen is not None and p_seen <= at:
            delays_watched.append(d)
        if d > 60 and opts.get("debug"):
            post_at = next((pa for g, p, pa in truth["posts"] if g == gid and p == pid), 0.0)
            late.append(
                (gid, pid, cid, round(at - start), round(d), round((at - post_at) / 3600, 1),
                 states.get((gid, pid)))
            )  # fmt: skip
        if gid in lp_pages and (gid, pid, cid) in lp_seen:
            lp_delays.append(max(0.0, lp_seen[(gid, pid, cid)] - at))
    disc = [
        posts_seen[(g, p)] - at
        for g, p, at in truth["posts"]
        if t0 <= at < t1 and (g, p) in posts_seen
    ]
    undiscovered = [
        (g, p, round(at - start), page_states.get(g))
        for g, p, at in truth["posts"]
        if t0 <= at < t1 and (g, p) not in posts_seen
    ]
    edits = _score_edits(side, truth, t0, t1, lp_pages)
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
        **{k: v for k, v in edits.items() if k != "_delays"},
        "error6": stats["error6"],
        "errors_by_code": stats["errors"],
        "inner_errors_by_code": stats["inner_errors"],
        "peak_rss_mb": round(side["peak_rss_mb"], 1),
        **side["extra"],
    }
    if late:
        out["late_sample"] = late[:: max(1, len(late) // 40)]
        out["late_count"] = len(late)
    if missed:
        out["missed_sample"] = missed[:40]
    if undiscovered and opts.get("debug"):
        out["undiscovered_sample"] = undiscovered[:40]
    if lp_pages and side["lp_seen"]:
        out["longpoll_delivery_s"] = _pct(lp_delays)
        out["longpoll_comments"] = len(lp_delays)
    if raw:
        out["_raw"] = {
            "watched": delays_watched,
            "all": delays_all,
            "discovery": disc,
            "edits": edits["_delays"],
        }
    return out


def _score_edits(
    side: dict[str, Any], truth: dict[str, Any], t0: float, t1: float, lp_pages: set[int]
) -> dict[str, Any]:
    """Edits made in the window: seen when the edited text reached storage (by a re-read, a
    full read of the post, Long Poll, or the comment's first read after the edit)."""
    texts = {tuple(k): v for k, v in side.get("texts", [])}
    window = [e for e in truth.get("edits", []) if t0 <= e[3] < t1]
    delays: list[float] = []
    polled: list[float] = []
    for gid, pid, cid, at, crc in window:
        seen = next((t for t, c in texts.get((gid, pid, cid), []) if c == crc), None)
        if seen is None:
            continue
        delays.append(max(0.0, seen - at))
        if gid not in lp_pages:
            polled.append(delays[-1])
    polled_total = sum(1 for e in window if e[0] not in lp_pages)
    return {
        "edits_total": len(window),
        "edits_seen": len(delays),
        "edits_seen_share": round(len(delays) / len(window), 4) if window else None,
        "edit_delay_s": _pct(delays),
        "edits_seen_share_polled": round(len(polled) / polled_total, 4) if polled_total else None,
        "edit_delay_s_polled": _pct(polled),
        "_delays": delays,
    }


def _pool(per_phase: list[dict[str, Any]]) -> dict[str, Any]:
    """One side's figures over several runs: means of counts, requests per detected comment
    from the totals, delays over all runs' comments, and each run's ratio."""
    n = len(per_phase)
    out = {k: v for k, v in per_phase[0].items() if k not in ("_raw", "late_sample")}
    requests = sum(p["http_requests"] for p in per_phase)
    detected = sum(p["comments_detected"] for p in per_phase)
    for key in ("comments_detected", "http_requests", "api_calls", "wall_get_quota_used",
                "http_requests_per_hour", "api_calls_per_hour", "error6"):  # fmt: skip
        out[key] = round(sum(p[key] for p in per_phase) / n, 1)
    out["detected_share"] = round(sum(p["detected_share"] for p in per_phase) / n, 5)
    seen = [p["edits_seen_share"] for p in per_phase if p["edits_seen_share"] is not None]
    out["edits_seen_share"] = round(sum(seen) / len(seen), 4) if seen else None
    out["edit_delay_s"] = _pct([d for p in per_phase for d in p["_raw"]["edits"]])
    out["requests_per_detected"] = round(requests / detected, 2) if detected else None
    for key, name in (("watched", "delay_s_watched"), ("all", "delay_s_all"),
                      ("discovery", "discovery_delay_s")):  # fmt: skip
        out[name] = _pct([d for p in per_phase for d in p["_raw"][key]])
    out["phases"] = [
        {k: p[k] for k in ("comments_detected", "requests_per_detected")} for p in per_phase
    ]
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
    ap.add_argument(
        "--edit-share", type=float, default=0.05, help="residents' comments edited once"
    )
    ap.add_argument("--no-naive", action="store_true")
    ap.add_argument(
        "--naive-clock",
        choices=("paced", "real"),
        default="paced",
        help="naive at its rate limit on a discrete-event clock, or in real time",
    )
    ap.add_argument("--naive-phases", type=int, default=8, help="cycle phases (paced naive)")
    ap.add_argument(
        "--naive-nice", type=int, default=10, help="CPU niceness of the naive side (0: none)"
    )
    ap.add_argument("--profile", metavar="DIR", help="cProfile each process into DIR")
    ap.add_argument("--debug", action="store_true", help="list late comments")
    ap.add_argument("--hot-period", type=float, default=40.0, help="seconds between hot checks")
    ap.add_argument("--cold-period", type=float, default=900.0, help="… between cold checks")
    ap.add_argument("--hot-share", type=float, default=0.999, help="most comments kept hot")
    ap.add_argument(
        "--checks-per-s", type=float, default=950.0, help="posts checked per second (budget)"
    )
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
        "edit_share": a.edit_share,
        "debug": a.debug,
        "hot_period_s": a.hot_period,
        "cold_period_s": a.cold_period,
        "hot_share": a.hot_share,
        "checks_per_s": a.checks_per_s,
        "naive_nice": 0 if a.no_naive else a.naive_nice,
        "naive_phases": a.naive_phases,
        "profile": a.profile,
    }
    if a.profile:
        os.makedirs(a.profile, exist_ok=True)
    ctx = mp.get_context("spawn")
    t_start = time.monotonic()
    paced = not a.no_naive and a.naive_clock == "paced"
    sides = ["ours"] if a.no_naive or paced else ["ours", "naive"]
    naive_conn: Connection | None = None
    naive_proc: Any = None
    if paced:
        naive_conn, child = ctx.Pipe()
        naive_proc = ctx.Process(target=naive_paced_process, args=(opts, child), daemon=True)
        naive_proc.start()
    fakes: dict[str, tuple[Any, Connection, dict[str, Any]]] = {}
    for side in sides:
        conn, child = ctx.Pipe()
        proc = ctx.Process(target=fake_process, args=(side, opts, child), daemon=True)
        proc.start()
        fakes[side] = (proc, conn, {})
    for side, (proc, conn, _) in fakes.items():
        fakes[side] = (proc, conn, conn.recv())
    opts["lp_pages"] = fakes["ours"][2]["lp_pages"]
    procs: dict[str, tuple[Any, Connection]] = {}
    for side in sides:
        parent, child = ctx.Pipe()
        info = fakes[side][2]
        p = ctx.Process(target=side_process, args=(side, opts, info, child), daemon=True)
        p.start()
        procs[side] = (p, parent)
    time.sleep(3.0)  # let the collector processes import
    real0 = time.monotonic() + 1.0
    for _, conn, _ in fakes.values():
        conn.send(real0)
    for _, conn in procs.values():
        conn.send(real0)
    results = {side: conn.recv() for side, (_, conn) in procs.items()}
    truths: dict[str, dict[str, Any]] = {}
    for side, (_, conn, _) in fakes.items():
        conn.send("stop")
        truths[side] = conn.recv()
    for p, _ in procs.values():
        p.join(10)
    for proc, _, _ in fakes.values():
        proc.join(10)
    naive_paced: dict[str, Any] | None = None
    if naive_conn is not None:
        naive_paced = naive_conn.recv()
        naive_proc.join(10)
    worlds = [t["comments"] for t in truths.values()]
    if naive_paced is not None:
        worlds.append(naive_paced["truth"]["comments"])
    same_world = all(len(w) == len(worlds[0]) and w[-1:] == worlds[0][-1:] for w in worlds)
    cpu = {side: results[side]["cpu_s"] for side in sides}
    cpu.update({f"fake_{side}": truths[side]["fake_cpu_s"] for side in sides})
    if naive_paced is not None:
        cpu["naive_paced"] = naive_paced["cpu_s"]
    out: dict[str, Any] = {
        "setup": {
            **{k: v for k, v in opts.items() if k != "lp_pages"},
            "measured_window_h": measure,
            "rss_note": "peak_rss_mb is each collector's own process; each side's fake VK and "
            f"its world run in another process (peak {truths['ours']['fake_rss_mb']:.0f} MB)",
            "naive_note": NAIVE_NOTE[a.naive_clock] if not a.no_naive else None,
            "same_world": same_world,
            "cpu_s": cpu,
            "real_seconds": round(time.monotonic() - t_start, 1),
        }
    }
    for side in sides:
        out[side] = score(results[side], truths[side], truths[side]["stats"], opts)
    if naive_paced is not None:
        per_phase = [
            score(
                {**ph, "peak_rss_mb": naive_paced["peak_rss_mb"], "extra": {}},
                naive_paced["truth"], ph["stats"], opts, raw=True,
            )
            for ph in naive_paced["phases"]
        ]  # fmt: skip
        out["naive"] = _pool(per_phase)
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
