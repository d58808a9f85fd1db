"""Follow-ups: does the author say the problem persists, and is a text a repeat of another?"""

from __future__ import annotations

import re

from matcher.rules import analyse
from matcher.text import normalize, tokens

SHINGLE = 5
# A copy with a few words added ("Повторно пишу! ...") still counts; a short text inside a long
# one does not: containment is discounted by (shorter / longer) ** LENGTH_POWER.
LENGTH_POWER = 0.4
# Texts naming different numbers (house 5 vs house 7) are about different places.
NUMBER_MISMATCH = 0.8
_NUMBER_RE = re.compile(r"\d+")


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


def _normal(text: str) -> str:
    return " ".join(tokens(normalize(text)))


def _shingles(joined: str) -> set[str]:
    if len(joined) <= SHINGLE:
        return {joined} if joined else set()
    return {joined[i : i + SHINGLE] for i in range(len(joined) - SHINGLE + 1)}


def similarity(a: str, b: str) -> float:
    """Near-duplicate score 0..1 of two comments, on character 5-shingles of normalised text.

    Case, punctuation, emoji, look-alike letters, phone and link spellings do not matter.  The
    score is the larger of the Jaccard similarity and the containment of the shorter text in the
    longer one discounted by their length ratio; it is lowered when the texts name different
    numbers (house numbers, routes).
    """
    na, nb = _normal(a), _normal(b)
    sa, sb = _shingles(na), _shingles(nb)
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    small, large = sorted((len(sa), len(sb)))
    jaccard = inter / (len(sa) + len(sb) - inter)
    containment = inter / small * float((small / large) ** LENGTH_POWER)
    score = max(jaccard, containment)
    if set(_NUMBER_RE.findall(na)) != set(_NUMBER_RE.findall(nb)):
        score *= NUMBER_MISMATCH
    return round(min(1.0, score), 4)
