"""Writes ``common_shingles.json``: the 5-shingles of normalised text that are common in
comments under government pages (document frequency >= 10 in ``corpus.jsonl``), by class
``df.bit_length()``.

The near-duplicate index (``matcher.followup.repeat_keys``) orders shingles rare-first by this
table, and the keys stored in ``complaint_keys`` follow that order.  The table is frozen: a new
one needs a migration that rebuilds ``complaint_keys`` (as ``0008_complaint_keys`` built it).

    python -m matcher.data.build_common_shingles
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from matcher.followup import SHINGLE, _normal

HERE = Path(__file__).parent
MIN_DF = 10


def main() -> None:
    df: Counter[str] = Counter()
    with (HERE / "corpus.jsonl").open(encoding="utf-8") as f:
        for line in f:
            joined = _normal(json.loads(line)["text"])
            if len(joined) > SHINGLE:
                df.update({joined[i : i + SHINGLE] for i in range(len(joined) - SHINGLE + 1)})
    classes: dict[str, list[str]] = {}
    for shingle, n in sorted(df.items()):
        if n >= MIN_DF:
            classes.setdefault(str(n.bit_length()), []).append(shingle)
    out = {
        "about": "5-shingles with document frequency >= 10 in corpus.jsonl, by df.bit_length();"
        " frozen: see build_common_shingles.py",
        "classes": dict(sorted(classes.items(), key=lambda kv: int(kv[0]))),
    }
    (HERE / "common_shingles.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
