"""Memory of ``otklik run`` with the matcher loaded (issue 12 floor: RSS <= 300 MB).

    .venv/bin/python bench/app_memory.py [--pages 6000] [--comments 600] [--seconds 30]

The same set-up as bench/idle.py (the fake VK and the fake Telegram in this process on the real
clock, the real ``otklik run`` as a child process in real mode against them, SQLite, default
settings, 6,000 pages x 30 posts by default), and once the collector has settled, residents
comment: ``--comments`` comments, one under the newest post of as many pages, their texts taken
in turn from the matcher's held-out sets (matcher/data: the synthetic test split, the real
akimat complaints and the real VK chatter, so that complaints and chatter, short and long,
Russian words the lexicon never saw, all go through the model and its word vectors).  The
benchmark waits until every comment is stored (the ingest classifies each one in the same
transaction), checks that complaints were opened (the model really ran), then samples ``VmRSS``
for ``--seconds``.  ``rss_peak_mb`` is ``VmHWM``: the peak of the whole life, start-up, the
first look at every page and the loading of the matcher included.

Prints progress to stderr and one JSON object as the last line of stdout; exits 1 when the
peak is over 300 MB or no complaint was opened.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a file: bench/ must not shadow the ``matcher`` package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from bench import idle  # noqa: E402

RSS_FLOOR_MB = 300.0
DATA = ROOT / "matcher" / "data"
SOURCES = (
    DATA / "corpus.jsonl",  # test split only
    DATA / "real" / "kz_akimat_complaints.jsonl",
    DATA / "real" / "vk_news_comments.jsonl",
)
RESIDENT_BASE = 10_000_000


def comment_texts(n: int) -> list[str]:
    """``n`` texts, drawn in turn from each source (held-out items only)."""
    pools: list[list[str]] = []
    for path in SOURCES:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        pools.append([r["text"] for r in rows if r.get("split") in ("test", "heldout")])
    out: list[str] = []
    i = 0
    while len(out) < n:
        pool = pools[i % len(pools)]
        out.append(pool[(i // len(pools)) % len(pool)])
        i += 1
    return out


def _count(db: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as c:
        return int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def commenting(n: int, timeout: float) -> Any:
    """The ``after_settle`` step: add ``n`` comments and wait until all of them are stored."""

    async def step(vk: Any, db: Path, pid: int) -> dict[str, Any]:
        before = idle.memory_mb(pid)
        texts = comment_texts(n)
        walls = list(vk.world.walls.values())[:n]
        now = vk._clock.now()
        for k, (wall, text) in enumerate(zip(walls, texts, strict=False)):
            newest = max(wall.posts.values(), key=lambda p: p.at)
            vk.add_comment(
                wall.group.id,
                newest.id,
                at=now + timedelta(seconds=1),
                from_id=RESIDENT_BASE + k,
                text=text,
            )
        added = min(n, len(walls))
        t0 = time.monotonic()
        stored = 0
        while stored < added:
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"only {stored}/{added} comments stored in {timeout:.0f} s")
            await asyncio.sleep(1.0)
            stored = await asyncio.to_thread(_count, db, "comments")
        complaints = await asyncio.to_thread(_count, db, "complaints")
        idle._log(f"{stored} comments stored after {time.monotonic() - t0:.1f} s")
        return {
            "comments": stored,
            "complaints_opened": complaints,
            "comments_stored_s": round(time.monotonic() - t0, 1),
            "rss_before_comments_mb": round(before["VmRSS"], 1),
            "rss_peak_before_comments_mb": round(before["VmHWM"], 1),
        }

    return step


async def amain(a: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="otklik-appmem-") as tmp:
        base = Path(a.workdir) if a.workdir else Path(tmp)
        run = await idle.run_one(
            a.pages,
            base / f"pages-{a.pages}",
            seconds=a.seconds,
            posts_per_page=a.posts_per_page,
            ready_timeout=a.ready_timeout,
            after_settle=commenting(a.comments, a.comments_timeout),
        )
    run.pop("rss_floor_met", None)
    run.pop("cpu_floor_met", None)
    ok = run["rss_peak_mb"] <= RSS_FLOOR_MB and run["complaints_opened"] > 0
    return {
        "run": run,
        "floor": {"rss_peak_mb_max": RSS_FLOOR_MB},
        "floor_met": ok,
        "setup": {
            "seconds": a.seconds,
            "posts_per_page": a.posts_per_page,
            "comments_from": [str(p.relative_to(ROOT)) for p in SOURCES],
            "python": sys.version.split()[0],
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=6000)
    ap.add_argument("--posts-per-page", type=int, default=30)
    ap.add_argument("--comments", type=int, default=600, help="one per page, newest post")
    ap.add_argument("--seconds", type=float, default=30.0, help="real seconds sampled after")
    ap.add_argument("--ready-timeout", type=float, default=900.0)
    ap.add_argument("--comments-timeout", type=float, default=900.0)
    ap.add_argument("--workdir", help="keep the database and the log here")
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    a = ap.parse_args()
    idle._quiet = a.json
    out = asyncio.run(amain(a))
    print(json.dumps(out, ensure_ascii=False))
    return 0 if out["floor_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
