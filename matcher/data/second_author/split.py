"""Give every row of the second author's sets its split: half ``train``, half ``heldout``.

    python -m matcher.data.second_author.split

The split is a hash of the row id, so it never changes when rows are added.  ``heldout`` rows are
never read while the matcher is developed and never trained on (matcher/data/README.md).  A text
that the synthetic sets already hold («Светлая память», «🙏») is trained on there anyway, so its
row goes to ``train``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYNTHETIC = (HERE.parent / "corpus.jsonl", HERE.parent / "varied.jsonl")


def split_of(row_id: str) -> str:
    digest = hashlib.blake2b(row_id.encode(), digest_size=4, person=b"otklik-sa").digest()
    return "heldout" if int.from_bytes(digest, "big") % 2 else "train"


def synthetic_texts() -> set[str]:
    out: set[str] = set()
    for path in SYNTHETIC:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                out.add(json.loads(line)["text"])
    return out


def main() -> int:
    known = synthetic_texts()
    for path in sorted(HERE.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        for row in rows:
            row["split"] = "train" if row["text"] in known else split_of(row["id"])
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        held = sum(r["split"] == "heldout" for r in rows)
        print(f"{path.name}: {len(rows) - held} train, {held} heldout")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
