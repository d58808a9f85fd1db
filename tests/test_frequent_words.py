"""The table of frequent words' parses (matcher/data/frequent_words.npz) that spares a run
over new comments most pymorphy3 parses: it must read every word as pymorphy3 does."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.data import build_frequent_words
from matcher.text import frequent_words, parse_word, word_info
from matcher.vectors import navec_path


@pytest.mark.skipif(navec_path() is None, reason="the natasha package is not installed")
def test_the_shipped_table_is_what_the_build_writes_today() -> None:
    """A table left behind by a change to ``parse_word`` or to pymorphy3's dictionaries would
    give some words other lemmas than the rest of the matcher reads: rebuild it
    (``python -m matcher.data.build_frequent_words``)."""
    keys, lemma_ids, forms, lemmas = build_frequent_words.build()
    shipped = frequent_words()
    assert shipped is not None
    assert np.array_equal(shipped.keys, keys)
    assert shipped.lemmas == lemmas
    assert np.array_equal(shipped.lemma_ids, lemma_ids)
    assert np.array_equal(shipped.forms, forms)


def test_frequent_words_are_read_from_the_table_as_pymorphy3_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = frequent_words()
    assert table is not None
    assert len(table) > 90_000
    for word in ("подъезде", "убрали", "уберите", "сломан", "чистить", "мусора", "прорвало"):
        assert table.get(word) == parse_word(word), word
    assert table.get("ъыъзвщ") is None  # not a word: pymorphy3 reads it
    word_info.cache_clear()

    def no_parse() -> None:
        raise AssertionError("a frequent word went to pymorphy3")

    monkeypatch.setattr("matcher.text._morph", no_parse)
    try:
        assert word_info("подъезде") == ("подъезд", "")
        assert word_info("уберите") == ("убрать", "impr")
    finally:
        word_info.cache_clear()
