"""Give every row of the second author's sets its split: half ``train``, half ``heldout``.

    python -m matcher.data.second_author.split

The split is a hash of the row id, so it never changes when rows are added.  The officials'
answers sets (``../second_author_answers``) are split the same way into ``dev`` (read while the
отписка rules are mended) and ``heldout``.  ``heldout`` rows are
never read while the matcher is developed and never trained on (matcher/data/README.md).  A text
that is trained on elsewhere anyway («Светлая память», «🙏» are in the synthetic sets too) goes
to ``train``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYNTHETIC = (HERE.parent / "corpus.jsonl", HERE.parent / "varied.jsonl")


def split_of(row_id: str) -> str:
    digest = hashlib.blake2b(row_id.encode(), digest_size=4, person=b"otklik-sa").digest()
    return "heldout" if int.from_bytes(digest, "big") % 2 else "train"


def texts_of(path: Path, split: str | None = None) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r["text"] for r in rows if split is None or r.get("split") == split]


def main() -> int:
    """A text trained on elsewhere (the synthetic sets, the real sets' training rows, a second
    copy in these sets) goes to ``train``; one held out in a real set stays held out here too."""
    real = sorted((HERE.parent / "real").glob("*.jsonl"))
    held_real = {t for path in real for t in texts_of(path, "heldout")}
    known = {t for path in SYNTHETIC for t in texts_of(path)}
    known |= {t for path in real for t in texts_of(path, "train")}
    ours = sorted(HERE.glob("*.jsonl"))
    counts = Counter(t for path in ours for t in texts_of(path))
    for path in ours:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        for row in rows:
            text = row["text"]
            if text in held_real:
                row["split"] = "heldout"
            elif text in known or counts[text] > 1:
                row["split"] = "train"
            else:
                row["split"] = split_of(row["id"])
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        held = sum(r["split"] == "heldout" for r in rows)
        print(f"{path.name}: {len(rows) - held} train, {held} heldout")
    for path in sorted((HERE.parent / "second_author_answers").glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        # an answer written twice («Проблема решена.») is read with the development half, so the
        # held-out half holds no text the rules were mended on
        answers = Counter(row["answer"] for row in rows)
        for row in rows:
            held = split_of(row["id"]) == "heldout" and answers[row["answer"]] == 1
            row["split"] = "heldout" if held else "dev"
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        held = sum(r["split"] == "heldout" for r in rows)
        print(f"{path.name}: {len(rows) - held} dev, {held} heldout")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
