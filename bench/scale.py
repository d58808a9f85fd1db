"""Scale-out benchmark (issue 7): storage ingest alone, and 1/2/4 collector processes on
PostgreSQL sharing one synthetic region through page leases.

* ``ingest_per_s``: :meth:`storage.ingest.Ingestor.ingest` alone, batches of 100 new comments
  (a fixed share are complaints, so complaints and outbox rows are written too; the matcher is
  a constant stub so only storage is measured), on SQLite and on PostgreSQL.
* ``collectors``: the real ``otklik run --role collector`` processes against the fake VK (in
  this process) on one virtual clock.  The region's posts are already in the database (a
  region that has been running), so the measured window is steady-state polling.  Each process
  has its own service tokens (``--tokens`` each).  ``comments_per_s`` is window comments stored
  per virtual second, ``delay_p95_s`` the virtual seconds from a comment's appearance to its
  row, ``lost`` window comments not stored by the end of the run (window + grace: late ones
  count too), ``duplicates`` rows minus distinct comments.

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import yaml

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a file: bench/ must not shadow the ``matcher`` package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))


def _log(msg: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


async def _new_pg_db(server: str) -> tuple[str, str]:
    name = f"otklik_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}", name


async def _drop_pg_db(server: str, name: str) -> None:
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


# ====================================================================== ingest alone


def _registry(group_ids: list[int]) -> Any:
    from config.registry import parse_registry

    return parse_registry(
        {
            "agencies": [{"id": "city", "name": "Администрация", "tz": "Europe/Moscow"}],
            "pages": [
                {"group_id": g, "name": f"P{g}", "screen_name": f"p{g}", "agency": "city"}
                for g in group_ids
            ],
            "people": [
                {"telegram_id": 501, "name": "Иван", "role": "official", "agencies": ["city"]}
            ],
            "rules": [],
        },
        source="bench",
    )


async def bench_ingest(url: str, n: int, batch: int) -> float:
    from collectors.events import Batch, CommentEvent, PostEvent
    from config.clock import ManualClock
    from matcher.classifier import Classification
    from matcher.quality import AnswerRating
    from matcher.topics import Topic
    from storage.db import make_engine, make_session_factory
    from storage.ingest import Ingestor
    from storage.migrate import upgrade
    from storage.registry_sync import sync_registry

    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    clock = ManualClock(start)
    pages = [5001 + i for i in range(50)]
    registry = _registry(pages)
    complaint = Classification(True, 0.9, Topic.ROADS, 0.9, ("bench",))
    chatter = Classification(False, 0.1, Topic.OTHER, 0.5, ("bench",))

    def classify(text: str) -> Classification:
        return complaint if text.startswith("!") else chatter

    def rate(_q: str, _a: str) -> AnswerRating:
        return AnswerRating(False, 80, ())

    engine = make_engine(url)
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        async with sessions() as s, s.begin():
            await sync_registry(s, registry)
        ingestor = Ingestor(registry, clock, classify, rate)
        batches = []
        cid = 1000
        for b in range(n // batch):
            gid = pages[b % len(pages)]
            post = 10 + b
            events = []
            for k in range(batch):
                cid += 1
                text = ("! Яма на дороге у дома " if k % 5 == 0 else "Поддерживаю ") + str(cid)
                events.append(
                    CommentEvent(-gid, post, cid, 7000 + cid, text, start + timedelta(seconds=cid))
                )
            batches.append(
                Batch(comments=events, posts=[PostEvent(-gid, post, start, "пост", batch)])
            )
        t0 = time.perf_counter()
        for bt in batches:
            async with sessions() as s, s.begin():
                await ingestor.ingest(s, bt)
        elapsed = time.perf_counter() - t0
    finally:
        await engine.dispose()
    return round(n / elapsed, 1)


# ====================================================================== collectors


def _child_env(opts: dict[str, Any], db_url: str, registry: Path, base: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("OTKLIK__")}
    env.update(
        {
            "OTKLIK__CLOCK__START": opts["start"],
            "OTKLIK__CLOCK__SPEED": repr(opts["speed"]),
            "OTKLIK__CLOCK__EPOCH": repr(opts["epoch"]),
            "OTKLIK__DB__URL": db_url,
            "OTKLIK__REGISTRY_PATH": str(registry),
            "OTKLIK__METRICS__PORT": "0",
            "OTKLIK__LOG_LEVEL": os.environ.get("SCALE_LOG_LEVEL", "WARNING"),
            "OTKLIK__VK__API_BASE": base,
            "OTKLIK__LEASE__TTL_S": "6",
            "OTKLIK__LEASE__RENEW_S": "2",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _spawn(env: dict[str, str], workdir: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--role", "collector"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def bench_collectors(
    n_procs: int, opts: dict[str, Any], server: str, workdir: Path
) -> dict[str, Any]:
    from sqlalchemy import func, select

    from config.clock import VirtualClock
    from sandbox.fake_vk import FakeVK
    from sandbox.synth import generate_region
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.models import Comment, Page, Post
    from storage.registry_sync import sync_registry

    start = datetime.fromisoformat(opts["start"])
    warm = timedelta(seconds=opts["warmup_s"] * opts["speed"])
    clock = VirtualClock(start, opts["speed"])
    clock.pause()  # at START while the world and the database are set up
    fake = FakeVK(clock)
    t_gen = time.monotonic()
    world = generate_region(
        fake,
        start=start,
        hours=opts["window_min"] / 60 + opts["warmup_s"] * opts["speed"] / 3600,
        pages=opts["pages"],
        posts_per_page=opts["posts_per_page"],
        new_posts_per_day=opts["posts_per_day"],
        comments_per_day=opts["comments_per_day"],
        history_hours=1.0,
        seed=opts["seed"],
    )
    _log(f"n={n_procs}: world {len(world.posts)} posts, {len(world.comments)} comments "
         f"in {time.monotonic() - t_gen:.0f}s")  # fmt: skip
    tokens = [[f"tok-{p}-{t}" for t in range(opts["tokens"])] for p in range(n_procs)]
    for group in tokens:
        for tok in group:
            fake.add_token(tok, "service")
    base = await fake.start()
    db_url, db_name = await _new_pg_db(server)
    engine = make_engine(db_url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        registry = _registry(world.group_ids)
        reg_path = workdir / f"registry-{n_procs}.yaml"
        reg_path.write_text(
            yaml.safe_dump(
                {
                    "agencies": [{"id": "city", "name": "Администрация", "tz": "Europe/Moscow"}],
                    "pages": [
                        {"group_id": g, "name": f"P{g}", "screen_name": f"p{g}", "agency": "city"}
                        for g in world.group_ids
                    ],
                    "people": [],
                    "rules": [],
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        # A region that has been running: its posts and their comment counts are stored.
        counts: dict[tuple[int, int], int] = {}
        for c in world.comments:
            if c.at < start:
                counts[(c.group_id, c.post_id)] = counts.get((c.group_id, c.post_id), 0) + 1
        async with sessions() as s, s.begin():
            await sync_registry(s, registry)
            rows = [
                {
                    "owner_id": -p.group_id,
                    "post_id": p.post_id,
                    "created_at": p.at,
                    "text": "",
                    "comments_count": counts.get((p.group_id, p.post_id), 0),
                }
                for p in world.posts
                if p.at < start
            ]
            for i in range(0, len(rows), 5000):
                await s.execute(Post.__table__.insert(), rows[i : i + 5000])
            await s.execute(
                Page.__table__.update().values(
                    max_seen_id=func.coalesce(
                        select(func.max(Post.post_id))
                        .where(Post.owner_id == -Page.group_id)
                        .scalar_subquery(),
                        0,
                    )
                )
            )
        _log(f"n={n_procs}: {len(rows)} posts stored; starting {n_procs} collector(s)")
        # Virtual START is this wall instant, here and in every collector process.
        opts["epoch"] = time.time() + opts["setup_s"]
        for p in range(n_procs):
            env = _child_env(opts, db_url, reg_path, base)
            env["OTKLIK__VK__SERVICE_TOKENS"] = json.dumps(tokens[p])
            procs.append(_spawn(env, workdir, workdir / f"collector-{n_procs}-{p}.log"))
        await asyncio.sleep(max(0.0, opts["epoch"] - time.time()))
        clock.resume()
        t0 = start + warm  # measure after the warm-up (start-up, first checks)
        t1 = start + warm + timedelta(minutes=opts["window_min"])
        end = t1 + timedelta(seconds=opts["grace_s"])
        while clock.now() < end:
            await asyncio.sleep(2)
            dead = [i for i, p in enumerate(procs) if p.poll() is not None]
            if dead:
                raise RuntimeError(f"collector(s) {dead} exited; see {workdir}")
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()  # a clean stop of 30,000 pages' coverage takes long; not measured
        window = {
            (-c.group_id, c.post_id, c.comment_id): c.at.timestamp()
            for c in world.comments
            if t0 <= c.at < t1
        }
        async with sessions() as s:
            total, distinct = (
                await s.execute(
                    select(
                        func.count(),
                        func.count(
                            func.distinct(
                                func.concat(
                                    Comment.owner_id, "_", Comment.post_id, "_", Comment.comment_id
                                )
                            )
                        ),
                    )
                )
            ).one()
            stored = {
                (o, p, c): at.timestamp()
                for o, p, c, at in (
                    await s.execute(
                        select(
                            Comment.owner_id,
                            Comment.post_id,
                            Comment.comment_id,
                            Comment.stored_at,
                        ).where(Comment.created_at >= t0, Comment.created_at < t1)
                    )
                ).all()
            }
        delays = sorted(max(0.0, stored[k] - at) for k, at in window.items() if k in stored)
        lost = sum(1 for k in window if k not in stored)
        secs = (t1 - t0).total_seconds()
        return {
            "n": n_procs,
            "tokens_per_process": opts["tokens"],
            "window_comments": len(window),
            "comments_per_s": round(len(delays) / secs, 2),
            "delay_p50_s": round(delays[len(delays) // 2], 1) if delays else None,
            "delay_p95_s": round(delays[int(0.95 * (len(delays) - 1))], 1) if delays else None,
            "lost": lost,
            "duplicates": int(total) - int(distinct),
        }
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        await engine.dispose()
        await fake.stop()
        await _drop_pg_db(server, db_name)


def _pg_server() -> str:
    env = os.environ.get("OTKLIK_TEST_PG")
    if env:
        return env
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres.sh")], capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


async def amain(a: argparse.Namespace) -> dict[str, Any]:
    server = _pg_server()
    out: dict[str, Any] = {"ingest_per_s": {}}
    with tempfile.TemporaryDirectory(prefix="otklik-scale-") as tmp:
        workdir = Path(tmp)
        out["ingest_per_s"]["sqlite"] = await bench_ingest(
            f"sqlite+aiosqlite:///{workdir / 'ingest.db'}", a.ingest_n, 100
        )
        url, name = await _new_pg_db(server)
        try:
            out["ingest_per_s"]["postgresql"] = await bench_ingest(url, a.ingest_n, 100)
        finally:
            await _drop_pg_db(server, name)
        _log(f"ingest: {out['ingest_per_s']}")
        opts: dict[str, Any] = {
            "start": datetime.fromisoformat(a.start).astimezone(UTC).isoformat(),
            "speed": a.speed,
            "pages": a.pages,
            "posts_per_page": a.posts_per_page,
            "posts_per_day": a.posts_per_day,
            "comments_per_day": a.comments_per_day,
            "tokens": a.tokens,
            "window_min": a.window_min,
            "warmup_s": a.warmup_s,
            "grace_s": a.grace_s,
            "setup_s": 2.0,
            "seed": a.seed,
        }
        runs = []
        t_all = time.monotonic()
        for n in a.procs:
            t = time.monotonic()
            runs.append(await bench_collectors(n, dict(opts), server, workdir))
            _log(f"n={n}: {runs[-1]} ({time.monotonic() - t:.0f}s real)")
        out["collectors"] = runs
        base = runs[0]["comments_per_s"] or None
        out["scaling_ratio"] = {
            str(r["n"]): (round(r["comments_per_s"] / base, 2) if base else None) for r in runs
        }
        out["lost"] = sum(r["lost"] for r in runs)
        out["duplicates"] = sum(r["duplicates"] for r in runs)
        out["setup"] = {**opts, "procs": a.procs, "real_seconds": round(time.monotonic() - t_all)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=30_000)
    ap.add_argument("--posts-per-page", type=int, default=3)
    ap.add_argument("--posts-per-day", type=int, default=6000)
    ap.add_argument("--comments-per-day", type=int, default=20_000)
    ap.add_argument("--tokens", type=int, default=2, help="service tokens per process")
    ap.add_argument("--speed", type=float, default=5.0)
    ap.add_argument("--window-min", type=float, default=4.0, help="virtual minutes measured")
    ap.add_argument("--warmup-s", type=float, default=55.0, help="real seconds before it")
    ap.add_argument("--grace-s", type=float, default=150.0, help="virtual seconds after it")
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--ingest-n", type=int, default=10_000)
    ap.add_argument("--start", default="2026-11-24T12:00:00+03:00")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    out = asyncio.run(amain(a))
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
