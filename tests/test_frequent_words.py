"""The table of frequent words' parses (matcher/data/frequent_words.npz) that spares a run
over new comments most pymorphy3 parses: it must read every word as pymorphy3 does."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.data import build_frequent_words
from matcher.text import clear_word_cache, frequent_words, parse_word, word_info
from matcher.vectors import navec_path


@pytest.mark.skipif(navec_path() is None, reason="the natasha package is not installed")
def test_the_shipped_table_is_what_the_build_writes_today() -> None:
    """A table left behind by a change to ``parse_word`` or to pymorphy3's dictionaries would
    give some words other lemmas than the rest of the matcher reads: rebuild it
    (``python -m matcher.data.build_frequent_words``)."""
    keys, lemma_ids, forms, ranks, bloom, lemmas = build_frequent_words.build()
    shipped = frequent_words()
    assert shipped is not None
    assert np.array_equal(shipped.keys, keys)
    assert shipped.lemma_text == "\n".join(lemmas)
    assert [shipped.lemma(i) for i in range(len(lemmas))] == lemmas
    assert np.array_equal(shipped.lemma_ids, lemma_ids)
    assert np.array_equal(shipped.forms, forms)
    assert np.array_equal(shipped.ranks, ranks)
    assert shipped.bloom == bloom.tobytes()


def test_frequent_words_are_read_from_the_table_as_pymorphy3_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = frequent_words()
    assert table is not None
    assert len(table) > 90_000
    for word in ("подъезде", "убрали", "уберите", "сломан", "чистить", "мусора", "прорвало"):
        assert table.get(word) == parse_word(word), word
    assert table.get("ъыъзвщ") is None  # not a word: pymorphy3 reads it
    clear_word_cache()

    def no_parse() -> None:
        raise AssertionError("a frequent word went to pymorphy3")

    monkeypatch.setattr("matcher.text._morph", no_parse)
    try:
        assert word_info("подъезде") == ("подъезд", "")
        assert word_info("уберите") == ("убрать", "impr")
    finally:
        clear_word_cache()


def test_the_word_cache_stays_bounded_and_answers_alike_after_dropping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long-running app meets new word forms for ever: the cache drops its older half when
    full, and a dropped word is read again to the same lemma."""
    import matcher.text as text

    words = [f"ямы{'а' * n}" for n in range(25)] + ["подъезде", "уберите", "сломан"]
    clear_word_cache()
    expected = [word_info(w) for w in words]
    monkeypatch.setattr(text, "WORD_CACHE_SIZE", 10)
    clear_word_cache()
    try:
        got = [word_info(w) for w in words]
        assert len(text._word_infos) <= 10
        assert got == expected
        assert [word_info(w) for w in words] == expected
    finally:
        clear_word_cache()
