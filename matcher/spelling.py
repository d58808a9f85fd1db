"""Misspelt words read as the word meant: «бтареи» as «батареи», «падъезд» as «подъезд».

Residents type fast, on phones, and spell as they hear; a misspelt word is one the lexicon, the
rules and the word vectors do not know, so a complaint could lose its object, its topic or its
request over one letter.  A word neither in the table of frequent words nor in pymorphy3's
dictionary is compared with the frequent words one edit away that a person plausibly makes: a
vowel or consonant spelt as heard (о/а, е/и, з/с, ь/ъ …), a neighbouring key, two letters
swapped, a letter doubled or left out.  The commonest of the cheapest wins; a word with none,
or shorter than ``MIN_LETTERS`` (too many words lie one letter from a short one), stands.
«не» written together with a verb comes apart.

Pure and cached like ``matcher.text.word_info``.  The caller (``matcher.rules.read_as_meant``)
keeps as written what only it can tell: a name written with a capital inside a sentence (which
``spelled`` does not even look for) and a word the lexicon lists.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Final

from matcher.text import PLACEHOLDERS, frequent_words, is_known_word, is_verb

MIN_LETTERS: Final = 5
ALPHABET: Final = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
CACHE_SIZE = 50_000  # words, about 6 MB; the older half goes when full
_CYRILLIC_RE: Final = re.compile(r"[а-я]+")

# Letters written one for another as they sound (unstressed vowels, voiced and voiceless pairs,
# soft and hard signs, hushing sounds).
_SOUNDS_ALIKE: Final = (
    "ао",
    "еи",
    "ея",
    "иы",
    "еэ",
    "ьъ",
    "шщ",
    "чщ",
    "чш",
    "зс",
    "дт",
    "бп",
    "вф",
    "гк",
    "жш",
    "цс",
    "ий",
    "юу",
    "яа",
)
# Costs of an edit: spelling as heard comes first (a doubled consonant written once, an unstressed
# vowel), then slips of the fingers, then any letter typed in excess or left out.
_AS_HEARD: Final = 0.8
_SLIP: Final = 1.0
_LOOSE: Final = 1.3
_ROWS: Final = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")


def _keyboard_neighbours() -> dict[str, set[str]]:
    """Letters next to each other on the Russian ЙЦУКЕН keyboard (rows staggered: a key
    touches the two below it in the next row)."""
    out: dict[str, set[str]] = {c: set() for c in ALPHABET}

    def touch(a: str, b: str) -> None:
        out[a].add(b)
        out[b].add(a)

    for r, row in enumerate(_ROWS):
        for i, c in enumerate(row):
            if i + 1 < len(row):
                touch(c, row[i + 1])
            if r + 1 < len(_ROWS):
                below = _ROWS[r + 1]
                for j in (i - 1, i):
                    if 0 <= j < len(below):
                        touch(c, below[j])
    return out


def _alike() -> dict[str, str]:
    """For each letter, the letters spelt for it as heard."""
    alike: dict[str, str] = dict.fromkeys(ALPHABET, "")
    for a, b in _SOUNDS_ALIKE:
        alike[a] += b
        alike[b] += a
    return alike


_ALIKE: Final = _alike()


def _substitutes() -> dict[str, tuple[tuple[str, float], ...]]:
    """For each letter, the letters a person may have typed instead of it, with the cost."""
    near = _keyboard_neighbours()
    alike = {c: set(others) for c, others in _ALIKE.items()}
    return {
        c: tuple((o, _AS_HEARD if o in alike[c] else _SLIP) for o in sorted(near[c] | alike[c]))
        for c in ALPHABET
    }


_SUBSTITUTES: Final = _substitutes()


def plausible_edits(word: str) -> dict[str, float]:
    """The words one plausible slip from ``word`` — a letter spelt as heard or a neighbouring
    key, two letters swapped, a double letter written once or a single one doubled — each with
    its cost (lower: likelier)."""
    out: dict[str, float] = {}
    n = len(word)
    for i in range(n):
        letter = word[i]
        for other, cost in _SUBSTITUTES.get(letter, ()):
            candidate = word[:i] + other + word[i + 1 :]
            if cost < out.get(candidate, _LOOSE):
                out[candidate] = cost
        if i + 1 < n and word[i + 1] != letter:
            out.setdefault(word[:i] + word[i + 1] + letter + word[i + 2 :], _SLIP)
        if i + 1 < n and word[i + 1] == letter:
            out[word[:i] + word[i + 1 :]] = _AS_HEARD  # a letter doubled
        else:
            out[word[:i] + letter + word[i:]] = _AS_HEARD  # a double letter written once
    return out


def loose_edits(word: str) -> list[str]:
    """The words one letter typed in excess or left out away from ``word``."""
    n = len(word)
    out = [word[:i] + word[i + 1 :] for i in range(n)]
    for i in range(n + 1):
        out.extend(word[:i] + letter + word[i:] for letter in ALPHABET)
    return out


def heard_twice(word: str) -> list[str]:
    """The words two letters spelt as heard away from ``word`` («падьезд» from «подъезд»)."""
    out: list[str] = []
    n = len(word)
    for i in range(n):
        for first in _ALIKE[word[i]]:
            once = word[:i] + first + word[i + 1 :]
            for j in range(i + 1, n):
                out.extend(once[:j] + second + once[j + 1 :] for second in _ALIKE[word[j]])
    return out


def _may_be_misspelt(word: str) -> bool:
    """A word long enough, of Cyrillic letters, that neither the frequent words nor pymorphy3's
    dictionary know: «жжитель», «ммат» stand for a mention or an obscenity, not a word."""
    if len(word) < MIN_LETTERS or word in PLACEHOLDERS or not _CYRILLIC_RE.fullmatch(word):
        return False
    table = frequent_words()
    return table is not None and table.rank(word) < 0 and not is_known_word(word)


def _meant(word: str) -> str | None:
    """«не» written together with a verb, read apart («неработает» → «не работает»); else the
    commonest frequent word among the cheapest edits of ``word``: the plausible slips first,
    then a letter in excess or left out, then two letters spelt as heard (each looked for only
    when the cheaper found none: it could not win)."""
    table = frequent_words()
    if table is None:
        return None
    rest = word[2:]
    if word.startswith("не") and len(rest) >= 3 and table.rank(rest) >= 0 and is_verb(rest):
        return "не " + rest
    best: tuple[float, int, str] | None = None
    for candidate, cost in plausible_edits(word).items():
        if best is not None and cost > best[0]:
            continue
        rank = table.rank(candidate)
        if rank >= 0 and (best is None or (cost, rank) < best[:2]):
            best = (cost, rank, candidate)
    if best is not None:
        return best[2]
    for dearer in (loose_edits, heard_twice):
        ranked = [(r, c) for c in dearer(word) if c != word and (r := table.rank(c)) >= 0]
        if ranked:
            return min(ranked)[1]
    return None


def correction(word: str) -> str | None:
    """The frequent word ``word`` is a plausible misspelling of («не» and a verb where the two
    were written together), or None: the word is known,
    short, not all Cyrillic letters, or one edit from no frequent word."""
    return _meant(word) if _may_be_misspelt(word) else None


_spellings: Final[dict[str, str]] = {}


def spelled(word: str, raw: str = "") -> str:
    """The word as meant (two words where «не» was glued to a verb): its correction, else the
    word itself.  Cached — but an unknown word
    ``raw`` writes with a capital inside a sentence is a name there, neither looked for nor
    cached (the search is most of the cost of a new word)."""
    out = _spellings.get(word)
    if out is None:
        if not _may_be_misspelt(word):
            out = word
        elif written_as_name(raw, word):
            return word
        else:
            out = _meant(word) or word
        if len(_spellings) >= CACHE_SIZE:
            for old in list(islice(_spellings, CACHE_SIZE // 2)):
                del _spellings[old]
        _spellings[word] = out
    return out


def written_as_name(raw: str, word: str) -> bool:
    """Whether the raw text writes ``word`` with a capital inside a sentence — a village, a street
    or a surname («в Тетерино»), kept as written even where it is one letter from a common word."""
    if not raw:
        return False
    capital = word[:1].upper() + word[1:]
    at = raw.find(capital)
    while at >= 0:
        end = at + len(capital)
        whole = not raw[at - 1 : at].isalpha() and not raw[end : end + 1].isalpha()
        before = raw[:at].rstrip(" \t")
        if whole and before and before[-1] not in ".!?…\n":
            return True
        at = raw.find(capital, end)
    return False


def clear_cache() -> None:
    """Forget every word read (a cold start, for benchmarks and tests)."""
    _spellings.clear()
