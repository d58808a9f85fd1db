"""Writes ``frequent_words.npz``: the lemma and verb form of each Cyrillic word of the navec
vocabulary (the file the ``natasha`` wheel ships, matcher.vectors; 227,000 words once lower
case and ё as е), each parsed by ``matcher.text.parse_word`` as a token of a comment reads, and
its place in navec's frequency order (``matcher.spelling`` prefers the commoner of two words a
misspelling may stand for), and a bit field that rules most non-words out at the cost of a CRC
(``matcher.spelling`` asks about hundreds of them for each unknown word).

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

from matcher.text import BLOOM_BYTES, FREQUENT_WORDS, VERB_FORMS, bloom_bit, parse_word, word_key
from matcher.vectors import navec_path, navec_vocabulary

WORDS = 250_000  # all of navec's Cyrillic words (236,469)
_TOKEN = re.compile(r"[а-я]{2,}")  # what matcher.text.tokens makes of a Cyrillic word


def build() -> tuple[Any, Any, Any, Any, Any, list[str]]:
    """(sorted word keys, lemma index per key, verb form index per key, frequency rank per key,
    the words' bit field, lemmas)."""
    path = navec_path()
    if path is None:
        raise SystemExit("the natasha package (its navec file) is not installed")
    ranks: dict[str, int] = {}  # most frequent first: a word's first place is its rank
    for word in navec_vocabulary(path, WORDS):
        token = word.lower().replace("ё", "е")
        if _TOKEN.fullmatch(token):
            ranks.setdefault(token, len(ranks))
    parsed = sorted((word_key(token), *parse_word(token), rank) for token, rank in ranks.items())
    lemmas = sorted({lem for _, lem, _, _ in parsed})
    lemma_index = {lem: i for i, lem in enumerate(lemmas)}
    keys = np.array([key for key, _, _, _ in parsed], dtype=np.uint64)
    if len(np.unique(keys)) != len(keys):
        raise SystemExit("two words share a key")
    lemma_ids = np.array([lemma_index[lem] for _, lem, _, _ in parsed], dtype=np.uint32)
    forms = np.array([VERB_FORMS.index(form) for _, _, form, _ in parsed], dtype=np.uint8)
    word_ranks = np.array([rank for _, _, _, rank in parsed], dtype=np.uint32)
    bits = np.array([bloom_bit(token) for token in ranks], dtype=np.int64)
    bloom = np.zeros(BLOOM_BYTES, dtype=np.uint8)
    np.bitwise_or.at(bloom, bits >> 3, (1 << (bits & 7)).astype(np.uint8))
    return keys, lemma_ids, forms, word_ranks, bloom, lemmas


def main(out: Path = FREQUENT_WORDS) -> None:
    keys, lemma_ids, forms, ranks, bloom, lemmas = build()
    text = np.frombuffer("\n".join(lemmas).encode("utf-8"), dtype=np.uint8)
    np.savez_compressed(
        out, keys=keys, lemma_ids=lemma_ids, forms=forms, ranks=ranks, bloom=bloom, lemmas=text
    )
    print(f"{len(keys)} words, {len(lemmas)} lemmas -> {out}")


if __name__ == "__main__":
    main()
