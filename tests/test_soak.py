"""Issue 11: the invariant soak, short.  A randomized region (``bench/soak_plan.py``) is played
against the real app on the sandbox for a couple of virtual hours (comments, thread replies,
edits, deletions, answers by the page and by officials' VK accounts, follow-ups, commands,
button presses, Telegram 429/5xx/timeouts, a blocked bot, a restart with the app down), and
the invariants of ``bench/soak_check.py`` must hold throughout:

* every complaint reaches one of its officials, a moderator or an admin within minutes;
* every change of a complaint reaches everyone who holds its card, and each card ends up
  showing the complaint's final state;
* no outbox row is ``sent`` without its Bot API call;
* nothing is nudged or escalated about a deleted comment;
* the same seed at two speeds ends the same.

Run alone with ``.venv/bin/pytest tests/test_soak.py``; ``python -m bench.soak`` is the long
version (three virtual days).  A failure lists each violation: which invariant, which
complaint (and the plan's comment label, ``k17``), which chat and when.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.soak import soak
from bench.soak_check import Violation

pytestmark = pytest.mark.e2e

HOURS = 1.5  # of activity; the drain after it lets every obligation come due
PAGES = 6
RATE = 40.0  # complaints per page per day: a busy afternoon
#: Speeds a busy 2-core machine keeps up with (the app's own work scales with the speed).
SLOW, FAST = 240.0, 480.0
#: Real seconds of a stalled event loop forgiven, in virtual time (× speed).
REAL_SLACK_S = 5.0


def explain(violations: list[tuple[str, Violation]]) -> str:
    counts = Counter(v.invariant for _, v in violations)
    lines = [f"{len(violations)} violations: {dict(counts)}"]
    for where, v in violations[:40]:
        who = f" chat {v.chat}" if v.chat is not None else ""
        what = f"complaint {v.complaint} ({v.comment})" if v.complaint else (v.comment or "")
        lines.append(f"[{where}] {v.invariant} at {v.at}: {what}{who}: {v.detail}")
    return "\n".join(lines)


async def _soak(seed: int, speeds: list[float], workdir: Path) -> list[tuple[str, Violation]]:
    _, results, compared = await soak(
        seed,
        days=HOURS / 24,
        pages=PAGES,
        speeds=speeds,
        workdir=workdir,
        complaints_per_page_day=RATE,
        check_every_s=300.0,
        real_slack_s=REAL_SLACK_S,
    )
    for r in results:
        assert r.events >= 40, f"{r.speed:g}×: only {r.events} events played"
        assert r.complaints >= 10, f"{r.speed:g}×: only {r.complaints} complaints"
    found = [(f"{r.speed:g}×", v) for r in results for v in r.violations]
    return found + [("both speeds", v) for v in compared]


@pytest.mark.timeout(240)
async def test_soak_holds_the_invariants_and_ends_the_same_at_two_speeds(tmp_path: Path) -> None:
    violations = await _soak(11, [SLOW, FAST], tmp_path)
    assert not violations, explain(violations)


@pytest.mark.timeout(180)
async def test_soak_holds_the_invariants_on_another_region(tmp_path: Path) -> None:
    violations = await _soak(12, [FAST], tmp_path)
    assert not violations, explain(violations)
