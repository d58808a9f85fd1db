"""Follow-ups: does the author say the problem persists, and is a text a repeat of another?"""

from __future__ import annotations

from matcher.rules import analyse
from matcher.text import normalize, tokens

SHINGLE = 5


def is_persisting_problem(text: str) -> bool:
    """True when a resident writes (after an answer) that the problem is still there.

    «ничего не сделали», «опять нет воды», «до сих пор не убрали», «яма на месте» reopen the
    complaint; «спасибо, всё сделали» does not.
    """
    a = analyse(text)
    if not a.has_words:
        return False
    if a.has("persist"):
        return True
    # "still broken" without a persist cue word: a fresh problem report by the same author
    problem = a.has("problem") or a.has("urgency") or a.has("complaint") or a.has("sarcasm")
    return problem and not (a.has("thanks") and not a.has("sarcasm"))


def _shingles(text: str) -> set[str]:
    joined = " ".join(tokens(normalize(text)))
    if len(joined) <= SHINGLE:
        return {joined} if joined else set()
    return {joined[i : i + SHINGLE] for i in range(len(joined) - SHINGLE + 1)}


def similarity(a: str, b: str) -> float:
    """Near-duplicate score 0..1: Jaccard similarity of character 5-shingles of normalised text.

    Case, punctuation, emoji, look-alike letters, phone and link spellings do not matter.
    """
    sa = _shingles(a)
    sb = _shingles(b)
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    return inter / (len(sa) + len(sb) - inter)
