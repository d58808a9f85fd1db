"""Follow-ups: does the author say the problem persists, and is a text a repeat of another?

Near-duplicates are found without comparing a new complaint with every stored one: each text
has a :class:`Fingerprint` (its character 5-shingles as integers), and :func:`repeat_keys`
gives the shingles under which a complaint is indexed.  Any two texts with
``similarity >= NEAR_DUPLICATE`` share at least :func:`shared_keys_needed` of their keys
(prefix filtering, proved there), so the index only narrows the search and the exact
:func:`similarity` decides.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from matcher.rules import analyse
from matcher.text import lemma, normalize, tokens

SHINGLE = 5
# A copy with a few words added ("Повторно пишу! ...") still counts; a short text inside a long
# one does not: containment is discounted by (shorter / longer) ** LENGTH_POWER.
LENGTH_POWER = 0.4
# Texts naming different numbers (house 5 vs house 7) are about different places.
NUMBER_MISMATCH = 0.8
#: A complaint whose text scores at least this against an earlier one is a repeat of it.
NEAR_DUPLICATE = 0.8
_NUMBER_RE = re.compile(r"\d+")
# The index filter's own threshold sits below NEAR_DUPLICATE: ``similarity`` rounds to four
# places, so a raw score of 0.79995 already counts as 0.8.
_FILTER_THRESHOLD = NEAR_DUPLICATE - 1e-4
_EPS = 1e-9
#: Texts whose fingerprints are kept: a batch's complaints and their candidates.  About 13 kB
#: each (a frozenset of 40-bit keys): 4,096 of them held 53 MB and took the app past 300 MB when
#: 6,000 comments came in a minute (bench/app_memory.py --comments 6000); 1,024 hold 13 MB.
FINGERPRINT_CACHE = 1024

# Normalised text has only а-я, a-z, digits and spaces (see ``matcher.text.tokens``).  With the
# 32 Cyrillic letters moved to one byte each, a shingle's bytes read as a big-endian integer are
# a unique key of under 40 bits (no byte is zero, so shorter shingles never collide with longer).
_ONE_BYTE = str.maketrans({chr(0x430 + i): chr(0xC0 + i) for i in range(32)})
_MIX = 0x9E3779B97F4A7C15  # odd: multiplying by it permutes 64-bit integers
_MASK64 = (1 << 64) - 1
COMMON_SHINGLES = Path(__file__).with_name("data") / "common_shingles.json"


_WAITING = frozenset({"ждать", "подождать"})


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
    # "still broken" without a persist cue word: a fresh problem report by the same author;
    # «Хорошо, жду звонка» agrees to wait (waiting is a problem only with a duration: «ждём месяц»)
    waits_only = all(lemma(w.split()[0]) in _WAITING for w in a.cues.get("problem", ()))
    ironic = a.has("sarcasm") or a.has("mock_thanks")
    problem = (a.has("problem") and not waits_only) or a.has("urgency") or a.has("complaint")
    return (problem or ironic) and not (a.has("thanks") and not ironic)


PROD_TOKENS = 3  # «ну и что?»: a prod is a question of at most this many words


def asks_again(text: str) -> bool:
    """«Ну и?», «И?», «Ну что?», «Когда?» under the page's answer: the author asks again.

    A bare question like these is a shrug under a news post, and the matcher reads it alone; as
    the author's reply to an answer it says the answer did not do."""
    a = analyse(text)
    return a.question_marks > 0 and 0 < len(a.tokens) <= PROD_TOKENS and not a.has("thanks")


def _normal(text: str) -> str:
    return " ".join(tokens(normalize(text)))


def shingle_key(shingle: str) -> int:
    """The integer that stands for a shingle of normalised text (one-to-one)."""
    return int.from_bytes(shingle.translate(_ONE_BYTE).encode("latin-1"), "big")


class Fingerprint(NamedTuple):
    """What :func:`similarity` compares: the shingle keys and the numbers of a text."""

    shingles: frozenset[int]
    numbers: frozenset[str]


@lru_cache(maxsize=FINGERPRINT_CACHE)
def fingerprint(text: str) -> Fingerprint:
    """The text's character 5-shingles of normalised text (as keys) and its numbers; cached,
    as the same stored complaint is compared with many new ones."""
    joined = _normal(text)
    raw = joined.translate(_ONE_BYTE).encode("latin-1")
    if len(raw) <= SHINGLE:
        keys = frozenset((int.from_bytes(raw, "big"),)) if raw else frozenset()
    else:
        keys = frozenset(
            int.from_bytes(raw[i : i + SHINGLE], "big") for i in range(len(raw) - SHINGLE + 1)
        )
    return Fingerprint(keys, frozenset(_NUMBER_RE.findall(joined)))


def fingerprint_similarity(fa: Fingerprint, fb: Fingerprint) -> float:
    """:func:`similarity` of two fingerprints."""
    sa, sb = fa.shingles, fb.shingles
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    small, large = sorted((len(sa), len(sb)))
    jaccard = inter / (len(sa) + len(sb) - inter)
    containment = inter / small * float((small / large) ** LENGTH_POWER)
    score = max(jaccard, containment)
    if fa.numbers != fb.numbers:
        score *= NUMBER_MISMATCH
    return round(min(1.0, score), 4)


def similarity(a: str, b: str) -> float:
    """Near-duplicate score 0..1 of two comments, on character 5-shingles of normalised text.

    Case, punctuation, emoji, look-alike letters, phone and link spellings do not matter.  The
    score is the larger of the Jaccard similarity and the containment of the shorter text in the
    longer one discounted by their length ratio; it is lowered when the texts name different
    numbers (house numbers, routes).
    """
    return fingerprint_similarity(fingerprint(a), fingerprint(b))


# ---------------------------------------------------------------- the near-duplicate index


@lru_cache(maxsize=65536)
def min_overlap(a: int, b: int | None = None) -> int:
    """Fewest shingles two texts of ``a`` and ``b`` shingles share if they are near-duplicates
    (``b`` unknown: the fewest over every possible partner); 0 when their sizes rule it out.

    ``similarity >= NEAR_DUPLICATE`` needs containment ``(i/s) * (s/l) ** P >= T`` (Jaccard
    never exceeds it, the number penalty only lowers it), with ``i`` shared shingles, sizes
    ``s <= l``, ``P = LENGTH_POWER`` and ``T`` the filter threshold.  As ``i <= s``, that asks
    ``s >= T ** (1/P) * l`` and ``i >= T * s ** (1-P) * l ** P``, which over all partners of a
    text of ``a`` shingles is never below ``T ** (1/P) * a``.
    """
    if a <= 0 or (b is not None and b <= 0):
        return 0
    ratio: float = _FILTER_THRESHOLD ** (1 / LENGTH_POWER)
    if b is None:
        return max(1, math.ceil(ratio * a - _EPS))
    small, large = min(a, b), max(a, b)
    if small < ratio * large - _EPS:
        return 0
    need: float = _FILTER_THRESHOLD * small ** (1 - LENGTH_POWER) * large**LENGTH_POWER
    return max(1, math.ceil(need - _EPS))


@lru_cache(maxsize=65536)
def shared_keys_needed(a: int, b: int) -> int:
    """Fewest keys (:func:`repeat_keys`) two near-duplicate texts of ``a`` and ``b`` shingles
    have in common; 0 when their sizes rule them out.

    Prefix filtering: with all shingles in one fixed order (:func:`_order`), a text's keys
    are its first ``n - min_overlap(n) + 1`` shingles.  If two texts share ``i`` shingles, the
    k-th shared one (in that order) has at most ``k - 1 + (a - i)`` shingles of A before it, so
    it is among A's keys when ``k <= i - min_overlap(a) + 1``; likewise for B.  So the first
    ``i - max(min_overlap(a), min_overlap(b)) + 1`` shared shingles are keys of both, and
    ``i >= min_overlap(a, b)`` for near-duplicates.  That is at least 1, and about a quarter
    of the keys for texts of similar length.
    """
    need = min_overlap(a, b)
    if not need:
        return 0
    return need - max(min_overlap(a), min_overlap(b)) + 1


@lru_cache(maxsize=8192)
def partner_sizes(a: int) -> tuple[int, int]:
    """The shingle counts a near-duplicate of a text of ``a`` shingles can have (inclusive)."""
    if a <= 0:
        return (1, 0)
    ratio: float = _FILTER_THRESHOLD ** (1 / LENGTH_POWER)
    return (max(1, math.ceil(ratio * a - _EPS)), math.floor(a / ratio + _EPS))


@cache
def _common() -> dict[int, int]:
    """Shingle key -> commonness class (higher = more common), from a frozen table."""
    data = json.loads(COMMON_SHINGLES.read_text(encoding="utf-8"))
    return {
        shingle_key(s): int(cls) for cls, shingles in data["classes"].items() for s in shingles
    }


def _order(key: int) -> int:
    """The fixed global order of shingles: rare ones first (by the frozen commonness table),
    then a scrambled but fixed order of keys.  Changing it changes the stored repeat keys."""
    common: int = _common().get(key, 0)
    return (common << 64) | ((key * _MIX) & _MASK64)


@lru_cache(maxsize=FINGERPRINT_CACHE)
def repeat_keys(fp: Fingerprint) -> tuple[int, ...]:
    """The shingle keys a text is indexed and searched under: its first
    ``size - min_overlap(size) + 1`` shingles in the global order (:func:`_order`: about 43%,
    rare first)."""
    size = len(fp.shingles)
    if not size:
        return ()
    common = _common().get
    ranked = sorted(((common(k, 0) << 64) | ((k * _MIX) & _MASK64), k) for k in fp.shingles)
    return tuple(k for _, k in ranked[: size - min_overlap(size) + 1])


def _stable_hash(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big") >> 2


def _long_text() -> int:
    """Shingle count from which texts naming different numbers can be near-duplicates
    without having the very same shingles (see :func:`stored_part`)."""
    # Different numbers multiply the score by NUMBER_MISMATCH, so containment must reach
    # T / NUMBER_MISMATCH = c.  With sizes s <= l that needs s / l >= c ** (1/P), which for
    # s < l means l >= 1 / (1 - c ** (1/P)); and i >= c * l, so i = l while l < 1 / (1 - c).
    c = _FILTER_THRESHOLD / NUMBER_MISMATCH
    ratio: float = c ** (1 / LENGTH_POWER)
    unequal_from = math.floor(1 / (1 - ratio))
    if unequal_from >= 1 / (1 - c):
        raise ValueError("NUMBER_MISMATCH too weak for the number parts of the index")
    # Both texts of such a pair have at least ratio * unequal_from shingles.
    return math.floor(ratio * unequal_from) - 1


LONG_TEXT = _long_text()


def numbers_part(fp: Fingerprint) -> int:
    """The part of the near-duplicate index for the set of numbers a text names (never 0
    or 1)."""
    return _stable_hash("\x00".join(sorted(fp.numbers)).encode()) | (1 << 61)


def stored_part(fp: Fingerprint) -> int:
    """Which part of the index a text's keys go to: its :func:`numbers_part`, or 0 for texts
    of at least ``LONG_TEXT`` shingles.

    Texts naming different numbers score at most NUMBER_MISMATCH of their overlap, so if
    either has fewer than ``LONG_TEXT`` shingles they are near-duplicates only with the very
    same shingles (:func:`set_key` finds those).  So a text is searched for under its
    :func:`numbers_part` and part 0.
    """
    return 0 if len(fp.shingles) >= LONG_TEXT else numbers_part(fp)


@lru_cache(maxsize=FINGERPRINT_CACHE)
def set_key(fp: Fingerprint) -> int:
    """A key of the whole shingle set: texts with the same shingles share it (a sum of
    scrambled keys: fixed arithmetic, so the same in every process and Python version)."""
    return sum(((k * _MIX) & _MASK64) ^ (k >> 3) for k in fp.shingles) & _MASK64
