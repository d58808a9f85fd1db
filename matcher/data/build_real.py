"""Build the real (licensed, third-party) evaluation and training sets in matcher/data/real/.

    python -m matcher.data.build_real VK_TSV KZ_JSON

``VK_TSV`` is ``toxicity_corpus/russian_distorted_toxicity.tsv`` of
github.com/alla-g/toxicity-detection-thesis (commit 651159350f42, MIT, see its DATASTATEMENT.md);
``KZ_JSON`` is ``data.json`` of github.com/AdilzhanB/KZgovData (commit 0c1469e6c6d8, MIT).
Nothing is downloaded here: fetch the two files from those repositories first.  The output is
deterministic and is committed, so the script is only needed to re-derive it.

What it does (see matcher/data/README.md for the labelling guide and licences):

* VK comments under three news communities (Медуза, Дождь, Лентач): mentions ``[id…|Имя]`` are
  replaced by ``[id1|Собеседник]`` (no VK ids or names are kept), blank and duplicate texts
  are dropped.  None of these pages is an authority, so every comment is labelled "no answer";
  the comments of Медуза and Дождь form the held-out chatter set (never read while the matcher
  was tuned), Лентач's the training/development set.
* Complaints to Kazakhstan's akimats: the Russian text, duplicates dropped, the publisher's
  category mapped to a topic code (``_KZ_TOPICS``; «ЖКХ» about rubbish → garbage), "needs an
  answer" for every item, and the publisher's urgency level kept.  Items with odd ids are a
  development set (read while the rules were written, never trained on), even ids are held out.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "real"

VK_SOURCE = {
    "name": "Russian Distorted Toxicity (VK comments under news communities, 14.02.2022)",
    "url": "https://github.com/alla-g/toxicity-detection-thesis",
    "file": "toxicity_corpus/russian_distorted_toxicity.tsv",
    "commit": "651159350f42fef6187c87af732835d46b1ccf60",
    "licence": "MIT (toxicity_corpus/DATASTATEMENT.md, section L)",
}
KZ_SOURCE = {
    "name": "KZgovData (complaints to Kazakhstan's akimats, Russian texts)",
    "url": "https://github.com/AdilzhanB/KZgovData",
    "file": "data.json",
    "commit": "0c1469e6c6d8a71b2d0636e62ec42f809a714c12",
    "licence": "MIT (LICENSE)",
}

VK_HELDOUT_GROUPS = ("медуза", "дождь")
_MENTION_RE = re.compile(r"\[(?:id|club|public)\d+\|[^\]]*\]")
_SPACE_RE = re.compile(r"\s+")

_KZ_TOPICS = {
    "дороги": "roads",
    "ЖКХ": "housing",
    "медицина": "health",
    "образование": "education",
    "полиция": "safety",
    "общественный транспорт": "transport",
    "экология": "ecology",
    "соцподдержка": "social",
    "интернет": "other",
    "коррупция": "other",
}
_GARBAGE_RE = re.compile(r"мусор|контейнер|свалк|отход", re.IGNORECASE)


def anonymise(text: str) -> str:
    """No VK ids or names: a reply keeps its shape («[id1|Собеседник], …»)."""
    return _SPACE_RE.sub(" ", _MENTION_RE.sub("[id1|Собеседник]", text)).strip()


def build_vk(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh, delimiter="\t"):
            text = anonymise(rec["comments"])
            if not re.search(r"\w", text) or text in seen:
                continue
            seen.add(text)
            group = rec["source"]
            rows.append(
                {
                    "id": f"vk{int(rec['comment_id']):05d}",
                    "text": text,
                    "needs_answer": False,
                    "topic": None,
                    "group": group,
                    "split": "heldout" if group in VK_HELDOUT_GROUPS else "train",
                }
            )
    return rows


def build_kz(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for rec in json.loads(path.read_text(encoding="utf-8")):
        text = _SPACE_RE.sub(" ", str(rec["text_ru"])).strip()
        if not text or text in seen:
            continue
        seen.add(text)
        topic = _KZ_TOPICS[str(rec["category"])]
        if topic == "housing" and _GARBAGE_RE.search(text):
            topic = "garbage"
        rows.append(
            {
                "id": f"kz{int(rec['id']):05d}",
                "text": text,
                "needs_answer": True,
                "topic": topic,
                "category": rec["category"],
                "urgency": rec["urgency"],
                "split": "train" if int(rec["id"]) % 2 else "heldout",
            }
        )
    return rows


def write(name: str, source: dict[str, str], rows: list[dict[str, object]]) -> None:
    OUT_DIR.mkdir(exist_ok=True)
    with (OUT_DIR / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    (OUT_DIR / f"{name}.source.json").write_text(
        json.dumps({**source, "rows": len(rows)}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    vk = build_vk(Path(argv[0]))
    kz = build_kz(Path(argv[1]))
    write("vk_news_comments", VK_SOURCE, vk)
    write("kz_akimat_complaints", KZ_SOURCE, kz)
    print(f"vk_news_comments: {len(vk)}; kz_akimat_complaints: {len(kz)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
