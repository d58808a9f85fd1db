"""Issue 14: the sandbox keeps what it sends, and a lead gets a chart every digest day.

Each ``sendPhoto`` / ``sendDocument`` in the report carries ``"file"``, a path relative to the
report's directory where the bytes were saved; the test opens the PNGs and the xlsx the lead
received over three mornings: one with a fresh complaint, one quiet with an overdue backlog.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sandbox.runner import Sandbox
from tests.app_support import COMPLAINT, LEAD

pytestmark = pytest.mark.e2e


def _photos(sandbox: Sandbox) -> list[str]:
    return [c.text or "" for c in sandbox.tg.sent(LEAD) if c.method == "sendPhoto"]


def _digest_charts(sandbox: Sandbox) -> int:
    return sum(1 for caption in _photos(sandbox) if caption.startswith("График: жалобы"))


async def test_a_chart_every_digest_day_and_the_files_are_kept(
    make_scenario: Any, tmp_path: Path
) -> None:
    scenario = make_scenario(
        [
            {"at": "2026-11-23T08:05:00+03:00", "comment": COMPLAINT},
            {"at": "2026-11-23T10:00:00+03:00", "telegram": {"from": LEAD, "text": "/report"}},
        ],
        end="2026-11-25T12:00:00+03:00",  # a cap: the run stops once the third chart is in
    )
    async with Sandbox(scenario, workdir=tmp_path / "run", speed=3000) as sandbox:
        await sandbox.run_app(scenario.end, stop_when=lambda: _digest_charts(sandbox) >= 3)
        report = await sandbox.report(tmp_path / "out" / "report-files")
    base = tmp_path / "out"

    media = [t for t in report["telegram"] if t["method"] in ("sendPhoto", "sendDocument")]
    assert media and all("file" in t for t in media if t["status"] == 200)
    charts = [t for t in media if t["method"] == "sendPhoto" and t["chat_id"] == LEAD]
    digests = [t for t in charts if t["text"].startswith("График: жалобы")]
    # Monday (Sunday was quiet, Monday's complaint already open), Tuesday (Monday's
    # complaint), Wednesday (quiet, the complaint overdue): a chart each morning.
    days = [t["text"].split(" за ")[1].split(" ")[0] for t in digests[:3]]
    assert days == ["22.11.2026", "23.11.2026", "24.11.2026"]
    for t in charts:
        png = (base / t["file"]).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        width = int.from_bytes(png[16:20], "big")
        assert width == 1100  # 11 inches at 100 dpi
    # Monday 09:00's weekly ranking, and the same again on /report.
    books = [t for t in media if t["method"] == "sendDocument"]
    assert len(books) == 2
    book = books[-1]
    assert book["file"].endswith(".xlsx")
    wb = load_workbook(io.BytesIO((base / book["file"]).read_bytes()))
    ws = wb["Рейтинг"]
    assert ws["A4"].value == "За эту неделю жалоб не было."  # the week before: none
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref
    assert ws.column_dimensions["B"].width >= len("Ведомство") + 2
    assert wb.sheetnames[-1] == "Как считается рейтинг"


def test_sandbox_run_writes_the_files_beside_the_report(tmp_path: Path) -> None:
    """``otklik sandbox run`` keeps the files under ``<report>-files`` next to the report."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "start: 2026-11-23T08:50:00+03:00\n"
        "end: 2026-11-23T09:20:00+03:00\n"
        "agencies: [{id: city, name: Администрация, tz: Europe/Moscow}]\n"
        "pages: [{group_id: 1001, name: Администрация, agency: city}]\n"
        "people: [{telegram_id: 701, name: Андрей Руководитель, role: lead}]\n"
        "events:\n"
        "  - at: 2026-11-23T09:05:00+03:00\n"
        "    telegram: {from: 701, text: /digest}\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports" / "r.json"
    out.parent.mkdir()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bot.cli", "sandbox", "run", str(scenario)),
            *("--speed", "600", "--report", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    photos = [t for t in report["telegram"] if t["method"] == "sendPhoto"]
    assert photos  # the 09:00 digest's chart and the one /digest asked for
    for photo in photos:
        assert photo["file"].startswith("r-files/")
        assert (out.parent / photo["file"]).read_bytes().startswith(b"\x89PNG")
