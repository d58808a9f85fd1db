"""Writes ``frequent_words.npz``: the lemma and verb form of each Cyrillic word of the navec
vocabulary (the file the ``natasha`` wheel ships, matcher.vectors; 227,000 words once lower
case and ё as е), each parsed by ``matcher.text.parse_word`` as a token of a comment reads.

``matcher.text.word_info`` reads a word from this table before it asks pymorphy3: a run over
new comments meets a new word in most of them.  Rebuild the table when ``parse_word`` or the
pymorphy3 dictionaries change (tests/test_frequent_words.py fails until then).

    python -m matcher.data.build_frequent_words
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from matcher.text import FREQUENT_WORDS, VERB_FORMS, parse_word, word_key
from matcher.vectors import navec_path, navec_vocabulary

WORDS = 250_000  # all of navec's Cyrillic words (236,469)
_TOKEN = re.compile(r"[а-я]{2,}")  # what matcher.text.tokens makes of a Cyrillic word


def build() -> tuple[Any, Any, Any, list[str]]:
    """(sorted word keys, lemma index per key, verb form index per key, lemmas)."""
    path = navec_path()
    if path is None:
        raise SystemExit("the natasha package (its navec file) is not installed")
    tokens: dict[str, None] = {}
    for word in navec_vocabulary(path, WORDS):
        token = word.lower().replace("ё", "е")
        if _TOKEN.fullmatch(token):
            tokens.setdefault(token, None)
    parsed = sorted((word_key(token), *parse_word(token)) for token in tokens)
    lemmas = sorted({lem for _, lem, _ in parsed})
    lemma_index = {lem: i for i, lem in enumerate(lemmas)}
    keys = np.array([key for key, _, _ in parsed], dtype=np.uint64)
    if len(np.unique(keys)) != len(keys):
        raise SystemExit("two words share a key")
    lemma_ids = np.array([lemma_index[lem] for _, lem, _ in parsed], dtype=np.uint32)
    forms = np.array([VERB_FORMS.index(form) for _, _, form in parsed], dtype=np.uint8)
    return keys, lemma_ids, forms, lemmas


def main(out: Path = FREQUENT_WORDS) -> None:
    keys, lemma_ids, forms, lemmas = build()
    text = np.frombuffer("\n".join(lemmas).encode("utf-8"), dtype=np.uint8)
    np.savez_compressed(out, keys=keys, lemma_ids=lemma_ids, forms=forms, lemmas=text)
    print(f"{len(keys)} words, {len(lemmas)} lemmas -> {out}")


if __name__ == "__main__":
    main()
