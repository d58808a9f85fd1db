"""Scale-out benchmark (issue 7): storage ingest alone, and 1/2/4 collector processes on
PostgreSQL sharing one synthetic region through page leases.

* ``ingest_per_s``: :meth:`storage.ingest.Ingestor.ingest` alone, batches of 100 new comments
  (a fixed share are complaints, so complaints and outbox rows are written too; the matcher is
  a constant stub so only storage is measured), on SQLite and on PostgreSQL.  The texts come
  from the matcher corpus and some complaints repeat earlier ones, so repeat detection does
  real work; ``ingest_workload`` says how many complaints and repeats a run made
  (:func:`_ingest_batches`).  ``--only-ingest`` runs this part alone.
* ``collectors``: the real ``otklik run --role collector`` processes against the fake VK (in
  this process) on one virtual clock.  The region's posts are already in the database (a
  region that has been running: built once as a template database, cloned for each process
  count), so the measured window is steady-state polling.  Each process has its own service
  tokens (``--tokens`` each).  The window starts when the processes are *ready*, a condition,
  not a fixed sleep: every page is leased, by exactly n processes, and each process has
  touched every one of its pages in a VK request.  Per process count:

  - ``comments_per_s``: window comments stored per virtual second (``arrivals_per_s``: the
    window comments the world produced per second, the most anyone could store);
  - ``delay_p50_s`` / ``delay_p95_s`` / ``delay_max_s``: virtual seconds from a comment's
    appearance to its row;
  - ``lost``: window comments not stored by the end of the run (window + grace; the
    collectors' cold-post period is set below the grace, so late ones count as lost);
  - ``duplicates``: rows minus distinct comments;
  - ``startup_s``: real seconds from spawn to a process's first VK request (the slowest);
    ``ready_s``: to the ready condition; ``pages_per_process``: the lease split;
  - CPU over the window: each collector and the fake VK (this process) in % of one core,
    and the whole machine's busy share (100% = every core busy, whoever uses it), plus the
    1-minute load average at the window's start and end.

  ``scaling_ratio`` is the share of arrivals stored (``comments_per_s / arrivals_per_s``)
  against one process's: each run's window starts when that run is ready, so raw rates differ
  with the time of day.  Throughput is bounded by the arrival rate: when one process keeps up,
  more processes cannot store more, and the ratio stays about 1; what more processes change
  is CPU per process, VK budget per page (each brings its own tokens) and hence delay.
  ``SCALE_PROFILE=DIR`` runs each collector under cProfile.

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
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


async def _new_pg_db(server: str, template: str | None = None) -> tuple[str, str]:
    """A fresh database on ``server`` (a copy of ``template`` if given): (URL, name)."""
    name = f"otklik_bench_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
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


def _ingest_batches(n: int, batch: int, pages: list[int], start: datetime) -> list[Any]:
    """The ingest workload: ``batch`` new comments per post, every fifth a complaint (texts
    starting with "!", which the stub matcher takes for a roads complaint), the rest chatter.

    Texts are the matcher corpus's comments (complaints with a street and house appended, so
    most are similar to others but name other numbers), and some complaints are repeats: about
    6% copy an earlier complaint (verbatim by someone else, or with «Повторно пишу!»), about 5%
    come again from an earlier complaint's author.  Seeded: every run ingests the same data.
    """
    import random

    from collectors.events import Batch, CommentEvent, PostEvent

    rng = random.Random(7)
    corpus = [
        json.loads(line)
        for line in (ROOT / "matcher" / "data" / "corpus.jsonl").read_text("utf-8").splitlines()
    ]
    problems = [r["text"] for r in corpus if r["needs_answer"]]
    chatter = [r["text"].lstrip("!") or "ok" for r in corpus if not r["needs_answer"]]
    streets = ("Ленина", "Мира", "Садовая", "Советская", "Школьная", "Набережная", "Гагарина")
    earlier: list[tuple[str, int]] = []  # (text, author) of complaints so far
    batches = []
    cid = 1000
    for b in range(n // batch):
        gid = pages[b % len(pages)]
        post = 10 + b
        events = []
        for k in range(batch):
            cid += 1
            author = 7000 + cid
            if k % 5:
                text = rng.choice(chatter)
            else:
                roll = rng.random()
                if earlier and roll < 0.03:
                    text = earlier[rng.randrange(len(earlier))][0]  # copied elsewhere
                elif earlier and roll < 0.06:
                    text = "! Повторно пишу! " + earlier[rng.randrange(len(earlier))][0][2:]
                else:
                    street, house = rng.choice(streets), rng.randint(1, 120)
                    text = f"! {rng.choice(problems)} Адрес: ул. {street}, {house}."
                    if earlier and roll < 0.11:
                        author = earlier[rng.randrange(len(earlier))][1]  # the same author
                earlier.append((text, author))
            events.append(
                CommentEvent(-gid, post, cid, author, text, start + timedelta(seconds=cid))
            )
        batches.append(Batch(comments=events, posts=[PostEvent(-gid, post, start, "пост", batch)]))
    return batches


async def bench_ingest(url: str, n: int, batch: int) -> dict[str, Any]:
    """Comments ingested per second, with how many complaints and repeats they made."""
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
    complaints = repeats = 0
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        async with sessions() as s, s.begin():
            await sync_registry(s, registry)
        ingestor = Ingestor(registry, clock, classify, rate)
        batches = _ingest_batches(n, batch, pages, start)
        t0 = time.perf_counter()
        for bt in batches:
            async with sessions() as s, s.begin():
                result = await ingestor.ingest(s, bt)
            complaints += len(result.new_complaints)
            repeats += result.repeats
        elapsed = time.perf_counter() - t0
    finally:
        await engine.dispose()
    return {
        "per_s": round(n / elapsed, 1),
        "comments": n,
        "complaints": complaints,
        "repeats": repeats,
    }


# ====================================================================== collectors

CODE_REF = re.compile(r'-(\d+)_\d+|"owner_id":\s*-(\d+)')


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
            "OTKLIK__VK__COLD_PERIOD_S": repr(opts["cold_period_s"]),
            # Shorter than production (45 s / 15 s) so a run settles fast, but not so short
            # that a process busy starting up on a shared 2-core machine looks dead.
            "OTKLIK__LEASE__TTL_S": "15",
            "OTKLIK__LEASE__RENEW_S": "3",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _spawn(env: dict[str, str], workdir: Path, log: Path) -> subprocess.Popen[bytes]:
    """``SCALE_PROFILE=DIR``: run each collector under cProfile (``DIR/<log stem>.prof``)."""
    prof = os.environ.get("SCALE_PROFILE")
    cmd = [sys.executable, "-m", "bot.cli", "run", "--role", "collector"]
    if prof:
        cmd[1:1] = ["-m", "cProfile", "-o", str(Path(prof) / f"{log.stem}.prof")]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, every core."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class _Pages:
    """Which pages each token's requests have touched (checks, probes, reads, wall.get)."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.seen = 0
        self.by_token: dict[str, set[int]] = {}
        self.first_at: dict[str, datetime] = {}

    def update(self) -> None:
        calls = self.fake.calls
        for call in calls[self.seen :]:
            self.first_at.setdefault(call.token, call.at)
            touched = self.by_token.setdefault(call.token, set())
            for ref, owner in CODE_REF.findall(call.params.get("code", "")):
                touched.add(int(ref or owner))
        self.seen = len(calls)


def _world(opts: dict[str, Any], clock: Any) -> tuple[Any, Any]:
    from sandbox.fake_vk import FakeVK
    from sandbox.synth import generate_region

    fake = FakeVK(clock)
    world = generate_region(
        fake,
        start=datetime.fromisoformat(opts["start"]),
        hours=opts["world_hours"],
        pages=opts["pages"],
        posts_per_page=opts["posts_per_page"],
        new_posts_per_day=opts["posts_per_day"],
        comments_per_day=opts["comments_per_day"],
        history_hours=1.0,
        seed=opts["seed"],
    )
    return fake, world


async def make_template(server: str, opts: dict[str, Any], workdir: Path) -> tuple[str, Path]:
    """A database of a region that has been running (registry, posts and their comment counts,
    each page's highest id), built once and cloned for every process count; and the registry
    file.  Returns the template's name."""
    from sqlalchemy import func, select

    from config.clock import VirtualClock
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.models import Page, Post
    from storage.registry_sync import sync_registry

    start = datetime.fromisoformat(opts["start"])
    _, world = _world(opts, VirtualClock(start, 1.0))
    reg_path = workdir / "registry.yaml"
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
    counts: dict[tuple[int, int], int] = {}
    for c in world.comments:
        if c.at < start:
            counts[(c.group_id, c.post_id)] = counts.get((c.group_id, c.post_id), 0) + 1
    url, name = await _new_pg_db(server)
    engine = make_engine(url)
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        async with sessions() as s, s.begin():
            await sync_registry(s, _registry(world.group_ids))
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
    finally:
        await engine.dispose()
    _log(f"template {name}: {len(world.group_ids)} pages, {len(rows)} posts stored")
    return name, reg_path


async def bench_collectors(
    n_procs: int, opts: dict[str, Any], server: str, template: str, reg_path: Path, workdir: Path
) -> dict[str, Any]:
    """One process count: start the collectors, wait until they are ready (leases settled,
    every process has touched each of its pages once), measure a window, then a grace."""
    from sqlalchemy import func, select

    from config.clock import VirtualClock
    from storage.db import make_engine, make_session_factory
    from storage.models import Comment, PageLease

    start = datetime.fromisoformat(opts["start"])
    speed = opts["speed"]
    clock = VirtualClock(start, speed)
    clock.pause()  # at START while the world is set up
    fake, world = _world(opts, clock)
    tokens = [[f"tok-{p}-{t}" for t in range(opts["tokens"])] for p in range(n_procs)]
    for group in tokens:
        for tok in group:
            fake.add_token(tok, "service")
    base = await fake.start()
    db_url, db_name = await _new_pg_db(server, template)
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # Virtual START is this wall instant, here and in every collector process.
        opts["epoch"] = time.time() + opts["setup_s"]
        for i in range(n_procs):
            env = _child_env(opts, db_url, reg_path, base)
            env["OTKLIK__VK__SERVICE_TOKENS"] = json.dumps(tokens[i])
            procs.append(_spawn(env, workdir, workdir / f"collector-{opts['run']}-{i}.log"))
        spawned = time.time()
        epoch: float = opts["epoch"]
        await asyncio.sleep(max(0.0, epoch - time.time()))
        clock.resume()

        def real(at: datetime) -> float:
            return epoch + (at - start).total_seconds() / speed

        def alive() -> None:
            dead = [i for i, p in enumerate(procs) if p.poll() is not None]
            if dead:
                raise RuntimeError(f"collector(s) {dead} exited; see {workdir}")

        # Ready: every page leased, by n processes, and each has touched all of its pages.
        touched = _Pages(fake)
        ready_at: float | None = None
        shares: list[int] = []
        deadline = spawned + opts["warmup_max_s"]
        while time.time() < deadline:
            await asyncio.sleep(1.0)
            alive()
            touched.update()
            async with sessions() as s:
                leases = (await s.execute(select(PageLease.group_id, PageLease.owner))).all()
            owned: dict[int, set[int]] = {}
            for gid, owner in leases:
                pid = int(owner.split(":")[1]) if owner else -1
                owned.setdefault(pid, set()).add(gid)
            if -1 in owned or len(owned) != n_procs:
                continue
            shares = sorted(len(v) for v in owned.values())
            ok = all(
                pages <= set().union(*(touched.by_token.get(t, set()) for t in tokens[i]))
                for i, p in enumerate(procs)
                if (pages := owned.get(p.pid)) is not None
            )
            if ok and set(owned) == {p.pid for p in procs}:
                ready_at = time.time()
                break
        if ready_at is None:
            _log(f"n={n_procs}: not ready within {opts['warmup_max_s']} s; measuring anyway")
        t0 = clock.now().replace(microsecond=0) + timedelta(seconds=1)
        t1 = t0 + timedelta(minutes=opts["window_min"])
        end = t1 + timedelta(seconds=opts["grace_s"])
        if (end - start).total_seconds() > opts["world_hours"] * 3600:
            raise RuntimeError("the warm-up ran past the generated world; raise --warmup-max-s")
        first_request = {
            i: min(real(touched.first_at[t]) for t in tokens[i] if t in touched.first_at) - spawned
            for i in range(n_procs)
            if any(t in touched.first_at for t in tokens[i])
        }
        await asyncio.sleep(max(0.0, clock.real_seconds_until(t0)))
        cpu0 = [_cpu_s(p.pid) for p in procs]
        own0, (busy0, total0), w0 = time.process_time(), _machine_jiffies(), time.monotonic()
        load0 = os.getloadavg()[0]
        while clock.now() < t1:
            await asyncio.sleep(1.0)
            alive()
        cpu1 = [_cpu_s(p.pid) for p in procs]
        own1, (busy1, total1), w1 = time.process_time(), _machine_jiffies(), time.monotonic()
        load1 = os.getloadavg()[0]
        while clock.now() < end:
            await asyncio.sleep(1.0)
            alive()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(60 if os.environ.get("SCALE_PROFILE") else 15)
            except subprocess.TimeoutExpired:
                p.kill()
        # Comments on posts older than the watch window (14 days) are not collected by design
        # (vk-api.md: only recent posts are watched); they are counted apart, not as lost.
        watch = timedelta(days=opts["watch_days"])
        post_at = {(p.group_id, p.post_id): p.at for p in world.posts}
        window: dict[tuple[int, int, int], float] = {}
        unwatched = 0
        for c in world.comments:
            if t0 <= c.at < t1:
                if c.at - post_at[(c.group_id, c.post_id)] > watch:
                    unwatched += 1
                    continue
                window[(-c.group_id, c.post_id, c.comment_id)] = c.at.timestamp()
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
                (o, post, c): at.timestamp()
                for o, post, c, at in (
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
        errors = []  # what the collectors logged as errors: a broken run says why
        for i in range(n_procs):
            log_path = workdir / f"collector-{opts['run']}-{i}.log"
            errors += [
                line[:300] for line in log_path.read_text(errors="replace").splitlines()
                if " ERROR " in line or " CRITICAL " in line
            ]  # fmt: skip
        delays = sorted(max(0.0, stored[k] - at) for k, at in window.items() if k in stored)
        missed = sorted(k for k in window if k not in stored)
        lost = len(missed)
        examples = [
            f"{o}_{p}_{c} at +{window[(o, p, c)] - t0.timestamp():.0f}s, post age "
            f"{(window[(o, p, c)] - post_at[(-o, p)].timestamp()) / 3600:.1f}h"
            for o, p, c in missed[:5]
        ]
        secs = (t1 - t0).total_seconds()
        wall_s = w1 - w0
        return {
            "n": n_procs,
            "comments_per_s": round(len(delays) / secs, 3),
            "arrivals_per_s": round(len(window) / secs, 3),
            "window_comments": len(window),
            "delay_p50_s": round(delays[len(delays) // 2], 1) if delays else None,
            "delay_p95_s": round(delays[int(0.95 * (len(delays) - 1))], 1) if delays else None,
            "delay_max_s": round(delays[-1], 1) if delays else None,
            "lost": lost,
            "lost_examples": examples,
            "unwatched_comments": unwatched,
            "duplicates": int(total) - int(distinct),
            "errors_logged": len(errors),
            "first_error": errors[0] if errors else None,
            "startup_s": round(max(first_request.values()), 1) if first_request else None,
            "ready_s": round(ready_at - spawned, 1) if ready_at is not None else None,
            "pages_per_process": shares,
            "cpu_pct_per_process": [
                round(100 * (b - a) / wall_s, 1) for a, b in zip(cpu0, cpu1, strict=True)
            ],
            "cpu_pct_fake_vk": round(100 * (own1 - own0) / wall_s, 1),
            "cpu_pct_machine": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
            "load_1m": [round(load0, 2), round(load1, 2)],
            "window_real_s": round(wall_s, 1),
        }
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        await engine.dispose()
        await fake.stop()
        await _drop_pg_db(server, db_name)


async def collectors_part(a: argparse.Namespace, server: str, workdir: Path) -> dict[str, Any]:
    """The collectors' figures for each process count in ``a.procs``."""
    from config.settings import VKSettings

    world_s = a.warmup_max_s * a.speed + a.window_min * 60 + a.grace_s + 60
    opts: dict[str, Any] = {
        "start": datetime.fromisoformat(a.start).astimezone(UTC).isoformat(),
        "speed": a.speed,
        "pages": a.pages,
        "posts_per_page": a.posts_per_page,
        "posts_per_day": a.posts_per_day,
        "comments_per_day": a.comments_per_day,
        "tokens": a.tokens,
        "window_min": a.window_min,
        "warmup_max_s": a.warmup_max_s,
        "grace_s": a.grace_s,
        "cold_period_s": a.cold_period_s,
        "watch_days": VKSettings().watch_days,
        "world_hours": world_s / 3600,
        "setup_s": 2.0,
        "seed": a.seed,
    }
    t_all = time.monotonic()
    template, reg_path = await make_template(server, opts, workdir)
    runs = []
    try:
        for k, n in enumerate(a.procs):
            t = time.monotonic()
            run_opts = {**opts, "run": f"{k}-n{n}"}
            runs.append(await bench_collectors(n, run_opts, server, template, reg_path, workdir))
            _log(f"n={n}: {runs[-1]} ({time.monotonic() - t:.0f}s real)")
    finally:
        await _drop_pg_db(server, template)

    # Each process count measures its own window (it starts when that run is ready), so the
    # arrivals differ a little: compare the share of arrivals stored, not raw rates.
    def share(r: dict[str, Any]) -> float:
        return float(r["comments_per_s"]) / max(float(r["arrivals_per_s"]), 1e-9)

    base = share(runs[0]) or None
    return {
        "collectors": runs,
        "scaling_ratio": {
            str(r["n"]): (round(share(r) / base, 3) if base else None) for r in runs
        },
        "lost": sum(r["lost"] for r in runs),
        "duplicates": sum(r["duplicates"] for r in runs),
        "setup": {**opts, "procs": a.procs, "real_seconds": round(time.monotonic() - t_all)},
    }


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
    out: dict[str, Any] = {"ingest_per_s": {}, "ingest_workload": {}}
    with tempfile.TemporaryDirectory(prefix="otklik-scale-") as tmp:
        workdir = Path(tmp)
        ingest_runs = {
            "sqlite": await bench_ingest(
                f"sqlite+aiosqlite:///{workdir / 'ingest.db'}", a.ingest_n, 100
            )
        }
        url, name = await _new_pg_db(server)
        try:
            ingest_runs["postgresql"] = await bench_ingest(url, a.ingest_n, 100)
        finally:
            await _drop_pg_db(server, name)
        for db, figures in ingest_runs.items():
            out["ingest_per_s"][db] = figures.pop("per_s")
            out["ingest_workload"][db] = figures
        _log(f"ingest: {out['ingest_per_s']} {out['ingest_workload']}")
        if a.only_ingest:
            return out
        out.update(await collectors_part(a, server, workdir))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=30_000)
    ap.add_argument("--posts-per-page", type=int, default=3)
    ap.add_argument("--posts-per-day", type=int, default=6000)
    ap.add_argument("--comments-per-day", type=int, default=100_000)
    ap.add_argument("--tokens", type=int, default=2, help="service tokens per process")
    ap.add_argument("--speed", type=float, default=2.0)
    ap.add_argument("--window-min", type=float, default=2.5, help="virtual minutes measured")
    ap.add_argument(
        "--warmup-max-s", type=float, default=150.0, help="real seconds allowed to get ready"
    )
    ap.add_argument("--grace-s", type=float, default=170.0, help="virtual seconds after it")
    ap.add_argument(
        "--cold-period-s",
        type=float,
        default=120.0,
        help="the collectors' cold-post period (virtual s): within the grace, so lost = lost",
    )
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--ingest-n", type=int, default=10_000)
    ap.add_argument(
        "--only-ingest", action="store_true", help="measure storage ingest alone, no collectors"
    )
    ap.add_argument("--start", default="2026-11-24T12:00:00+03:00")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    out = asyncio.run(amain(a))
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
