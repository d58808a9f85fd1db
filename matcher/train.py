"""Train the matcher's weights and write them to matcher/data/model.json.

    python -m matcher.train                      # train splits -> matcher/data/model.json
    python -m matcher.train --extra marks.jsonl  # plus moderators' marks
    python -m matcher.train --splits train test  # train on everything (not for benchmarking)

The default training data is ``matcher.classifier.load_training``: the corpus, the varied synthetic
set and the training part of the real sets (never their held-out part).  ``--extra`` takes JSON
lines {"text": ..., "needs_answer": true|false, "topic": "<code>"|null}
(for example the "это жалоба"/"не жалоба" marks exported from the database); they are weighted
``--extra-weight`` times a corpus item.  Training is deterministic: the same inputs give the same
weights.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from matcher.classifier import load_corpus, load_training
from matcher.model import CORPUS_PATH, MODEL_PATH, LabelledExample, train
from matcher.topics import Topic

EXTRA_WEIGHT = 3.0


def read_extra(path: Path, weight: float = EXTRA_WEIGHT) -> list[LabelledExample]:
    out: list[LabelledExample] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("text"), str) or not isinstance(
                row.get("needs_answer"), bool
            ):
                raise ValueError(f"{path}:{n}: need 'text' (string) and 'needs_answer' (bool)")
            topic = row.get("topic")
            out.append(
                LabelledExample(
                    text=row["text"],
                    needs_answer=row["needs_answer"],
                    topic=Topic(topic) if topic else None,
                    weight=weight,
                )
            )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matcher.train", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS_PATH)
    parser.add_argument("--splits", nargs="+", default=["train"])
    parser.add_argument("--extra", type=Path, action="append", default=[])
    parser.add_argument("--extra-weight", type=float, default=EXTRA_WEIGHT)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)

    if args.corpus == CORPUS_PATH:
        examples = load_training(splits=args.splits)
    else:
        examples = load_corpus(args.corpus, splits=args.splits)
    for path in args.extra:
        examples.extend(read_extra(path, args.extra_weight))
    model = train(examples)
    args.out.write_text(model.to_json() + "\n", encoding="utf-8")
    size_kb = args.out.stat().st_size / 1024
    print(
        f"trained on {len(examples)} examples, {len(model.index)} features -> {args.out} "
        f"({size_kb:.0f} KiB)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
