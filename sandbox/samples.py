"""The README's pictures: a digest chart, a weekly ranking chart and the workbook, drawn by
the product's own code from a fixed, made-up week of a small region.

    python -m sandbox.samples docs/

writes ``digest-chart.png``, ``ranking-chart.png``, ``ranking.xlsx`` and, when LibreOffice
(``soffice``) and ``pdftoppm`` are installed, ``workbook.png``: the ranking sheet as
LibreOffice renders it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.charts import AgencyBar, TrendDay, digest_chart
from bot.digest import ComplaintRow
from bot.reports import Week, ranking_png, ranking_xlsx
from matcher.stats import ComplaintFacts, RankRule, agency_figures, rank_agencies

TZ = "Europe/Moscow"
REGION = "Примерский край"
H = 3600
AGENCIES = {
    "city": "Администрация г. Примерска",
    "water": "МУП «Примерскводоканал»",
    "roads": "Управление дорожного хозяйства",
    "uk": "УК «Жилсервис»",
    "social": "Отдел социальной защиты",
}
#: (agency, on time, late, waiting, overdue, share in time, median first answer, h)
DAY = [
    ("uk", 1, 2, 0, 3, 1 / 6, 9.5),
    ("water", 3, 3, 1, 2, 0.5, 6.7),
    ("roads", 4, 0, 1, 1, 0.8, 2.1),
    ("city", 9, 1, 2, 0, 0.9, 1.3),
    ("social", 2, 0, 0, 0, 1.0, 0.75),
]
TREND = [(14, 2, 1, 0), (17, 3, 0, 1), (12, 1, 0, 0), (9, 0, 0, 0), (4, 1, 0, 0), (5, 0, 0, 0)]


def digest_sample() -> bytes:
    day = date(2026, 11, 23)
    bars = [
        AgencyBar(AGENCIES[a], on, late, wait, over, share, round(median * H), 8 * H)
        for a, on, late, wait, over, share, median in DAY
    ]
    days = [
        TrendDay(day - timedelta(days=6 - i), on, late, wait, over, on / (on + late + over))
        for i, (on, late, wait, over) in enumerate(TREND)
    ]
    on, late, wait, over = (
        sum(getattr(b, k) for b in bars) for k in ("on_time", "late", "waiting", "overdue")
    )
    days.append(TrendDay(day, on, late, wait, over, on / (on + late + over)))
    return digest_chart(
        title=f"Жалобы за {day:%d.%m.%Y} · {REGION}", bars=bars, backlog=[], trend=days
    )


def week_rows() -> list[ComplaintRow]:
    """A week of complaints: answered in time or late, отписки, one reopened, overdue."""
    zone = ZoneInfo(TZ)
    rows = []
    plan = [  # agency, hours to the first answer (None: none), отписка, reopened answer h
        ("city", 0.5, False, None),
        ("city", 1.5, False, None),
        ("city", 3.0, True, None),
        ("city", 2.0, False, 1.0),
        ("water", 6.0, False, None),
        ("water", 10.0, False, None),
        ("water", None, None, None),
        ("roads", 1.0, False, None),
        ("roads", 2.5, False, None),
        ("roads", 4.0, True, None),
        ("uk", 12.0, True, None),
        ("uk", None, None, None),
        ("uk", 9.0, False, None),
        ("social", 0.5, False, None),
    ]
    for n, (agency, answer_h, otpiska, update_h) in enumerate(plan, start=1):
        created = datetime(2026, 11, 23 + n % 5, 9 + n % 7, 15, tzinfo=zone)
        due = created + timedelta(hours=8)
        answered = created + timedelta(hours=answer_h) if answer_h is not None else None
        working = round(answer_h * H) if answer_h is not None else None
        facts = ComplaintFacts(
            agency_id=agency,
            topic=("roads", "housing", "improvement", "garbage", "snow")[n % 5],
            created_at=created,
            due_at=due,
            answered_at=answered,
            response_s=working,
            working_s=working,
            otpiska=otpiska,
            quality=None if otpiska is None else (25 if otpiska else 80 + n % 15),
            reopened=1 if update_h is not None else 0,
            update_working_s=round(update_h * H) if update_h is not None else None,
            awaiting_due_at=None if answered is not None else due,
        )
        rows.append(
            ComplaintRow(
                id=n,
                facts=facts,
                status="answered" if answered is not None else "open",
                area=agency,
                page_name=AGENCIES[agency],
                url=f"https://vk.com/wall-1001_10?reply={100 + n}",
                text="Яма у дома 5 по ул. Ленина, когда заделаете?",
            )
        )
    return rows


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    week = Week(2026, 48)
    now = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo(TZ))
    rows = week_rows()
    per: dict[str, list[ComplaintFacts]] = {}
    for r in rows:
        per.setdefault(r.facts.agency_id, []).append(r.facts)
    ranked = rank_agencies(
        (agency_figures(a, f, now) for a, f in per.items()), RankRule(3), AGENCIES
    )
    written = {
        "digest-chart.png": digest_sample(),
        "ranking-chart.png": ranking_png(week, ranked, AGENCIES, REGION),
        "ranking.xlsx": ranking_xlsx(week, ranked, rows, AGENCIES, TZ, region=REGION, now=now),
    }
    paths = []
    for name, content in written.items():
        (out / name).write_bytes(content)
        paths.append(out / name)
    shot = workbook_png(out / "ranking.xlsx", out / "workbook.png")
    return [*paths, *([shot] if shot else [])]


def workbook_png(xlsx: Path, png: Path) -> Path | None:
    """The ranking sheet as LibreOffice prints it (first page), trimmed; None without
    LibreOffice or poppler."""
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if soffice is None or pdftoppm is None:
        return None
    from PIL import Image, ImageOps

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(xlsx)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        pdf = Path(tmp) / (xlsx.stem + ".pdf")
        subprocess.run(
            [pdftoppm, "-r", "170", "-png", "-f", "1", "-l", "1", str(pdf), f"{tmp}/page"],
            check=True,
            timeout=120,
        )
        page = Image.open(next(Path(tmp).glob("page*.png"))).convert("RGB")
        box = ImageOps.invert(page).getbbox()
        if box is None:
            return None
        pad = 16
        page.crop((box[0] - pad, box[1] - pad, min(box[2] + pad, page.width), box[3] + pad)).save(
            png
        )
    return png


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
