"""Cross-validated figures on the development side of the real and second-author sets.

    .venv/bin/python -m bench.matcher_cv [--folds 4] [--leave-set-out]

Why: the rows the shipped model trains on cannot measure it, and the held-out rows must not be
used to choose a change.  This splits every development pool (the ``train`` rows of
``matcher/data/real/*.jsonl`` and of ``matcher/data/second_author/*.jsonl``) into folds by a hash
of the id; for each fold it trains on the synthetic sets plus every pool row outside the fold and
classifies the fold.  So each development row is judged by a model that never saw it, and a change
to features, rules or data can be compared on real language without touching a held-out row.
``--leave-set-out`` judges each set by a model that never read its writer at all (trained on the
synthetic sets and every other set): the closer picture of residents nobody has read.

Prints one JSON object: per pool, needs_answer recall (pools of complaints) or the share flagged
(pools of chatter), topic accuracy exact and with border topics, all also for texts of at most
60 characters, and the misses when ``--show-misses`` is given.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.matcher import DATA, SHORT, figures, read_jsonl
from matcher.augment import surface_variants
from matcher.classifier import (
    TOPIC_ONLY_PATHS,
    VARIED_PATH,
    Matcher,
    labelled_example,
    load_synthetic,
    training_weight,
)
from matcher.model import CORPUS_PATH, LabelledExample, train

POOL_DIRS = (DATA / "real", DATA / "second_author")


def fold_of(row_id: str, folds: int) -> int:
    digest = hashlib.blake2b(row_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % folds


Row = dict[str, Any]


def pools() -> dict[str, list[tuple[Row, LabelledExample]]]:
    """Every development pool: the rows of each real or other author's set marked ``train``,
    each with its training example."""
    out: dict[str, list[tuple[Row, LabelledExample]]] = {}
    for folder in POOL_DIRS:
        for path in sorted(folder.glob("*.jsonl")):
            topic_only = path in TOPIC_ONLY_PATHS
            rows = [
                (r, labelled_example(r, topic_only=topic_only, weight=training_weight(path)))
                for r in read_jsonl(path)
                if r.get("split") == "train"
            ]
            if rows:
                out[f"{folder.name}/{path.stem}"] = rows
    return out


def trained(base: list[LabelledExample], inside: list[LabelledExample]) -> Matcher:
    """A matcher trained as the shipped one is: the synthetic rows, the pools' rows and the
    surface variants of the pools' rows (``matcher.classifier.load_training``)."""
    return Matcher(train(base + inside + surface_variants(inside)))


def synthetic_guards(pool_rows: dict[str, list[tuple[Row, LabelledExample]]]) -> dict[str, Any]:
    """The synthetic test splits, judged by a model trained on everything the shipped one is:
    a change that helps real language must not break what the synthetic sets cover."""
    inside = [e for rows in pool_rows.values() for _, e in rows]
    matcher = trained(load_synthetic(), inside)
    out: dict[str, Any] = {}
    for path in (CORPUS_PATH, VARIED_PATH):
        rows = [r for r in read_jsonl(path) if r["split"] == "test"]
        out[f"synthetic/{path.stem}"] = figures(
            rows, matcher.classify_many([r["text"] for r in rows])
        )
    return out


def cross_validate(
    pool_rows: dict[str, list[tuple[Row, LabelledExample]]], folds: int
) -> dict[str, list[tuple[Row, Any]]]:
    base = load_synthetic()
    judged: dict[str, list[tuple[Row, Any]]] = {name: [] for name in pool_rows}
    for k in range(folds):
        inside = [
            e for rows in pool_rows.values() for r, e in rows if fold_of(r["id"], folds) != k
        ]
        matcher = trained(base, inside)
        for name, rows in pool_rows.items():
            fold = [r for r, _ in rows if fold_of(r["id"], folds) == k]
            preds = matcher.classify_many([r["text"] for r in fold])
            judged[name].extend(zip(fold, preds, strict=True))
        print(f"fold {k + 1}/{folds} done", file=sys.stderr)
    return judged


def leave_set_out(
    pool_rows: dict[str, list[tuple[Row, LabelledExample]]],
) -> dict[str, list[tuple[Row, Any]]]:
    """Each pool judged by a model trained on the synthetic sets and every *other* pool.

    Folds by id keep a writer's other rows in training, so they flatter what was learnt from
    that writer's habits; a writer the model never read is what real residents are.
    """
    base = load_synthetic()
    judged: dict[str, list[tuple[Row, Any]]] = {}
    for name, rows in pool_rows.items():
        inside = [e for other, more in pool_rows.items() if other != name for _, e in more]
        matcher = trained(base, inside)
        preds = matcher.classify_many([r["text"] for r, _ in rows])
        judged[name] = [(r, c) for (r, _), c in zip(rows, preds, strict=True)]
        print(f"{name} left out: done", file=sys.stderr)
    return judged


def summary(pairs: Sequence[tuple[dict[str, Any], Any]], show_misses: bool) -> dict[str, Any]:
    rows = [r for r, _ in pairs]
    preds = [c for _, c in pairs]
    out = figures(rows, preds)
    short = [(r, c) for r, c in pairs if len(r["text"]) <= SHORT]
    out[f"short_le_{SHORT}"] = figures([r for r, _ in short], [c for _, c in short])
    if show_misses:
        out["misses"] = [
            {"text": r["text"], "gold": r["needs_answer"], "score": round(c.score, 3)}
            for r, c in pairs
            if bool(r["needs_answer"]) != c.needs_answer
        ]
        out["topic_misses"] = [
            {"text": r["text"], "gold": r["topic"], "got": c.topic.value}
            for r, c in pairs
            if r.get("topic") and r["needs_answer"] and r["topic"] != c.topic.value
        ]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matcher_cv", description=__doc__)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument(
        "--leave-set-out",
        action="store_true",
        help="judge each set by a model trained on all the others (a writer never read)",
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    pool_rows = pools()
    if args.leave_set_out:
        judged = leave_set_out(pool_rows)
    else:
        judged = cross_validate(pool_rows, args.folds)
    result: dict[str, Any] = {
        name: summary(pairs, args.show_misses) for name, pairs in judged.items()
    }
    result.update(synthetic_guards(pool_rows))
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
