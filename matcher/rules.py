"""The rule layer: cue phrases matched on lemmas, topic keywords and surface flags of a comment.

``analyse(text)`` turns a raw comment into an ``Analysis``: normalised tokens and lemmas, the cue
groups that fired (each with the words of the comment that fired it, for the moderator) and the
keyword score of every topic.  Both the statistical model (as features) and the decision rules in
matcher.classifier read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from matcher import lexicon
from matcher.text import (
    MENTION_PAGE,
    MENTION_USER,
    OBSCENE,
    PHONE,
    URL,
    caps_ratio,
    emoji_count,
    has_words,
    lemma,
    normalize,
    tokens,
    word_info,
)
from matcher.topics import Topic

GAP = "~"
MAX_GAP = 2

# Cue group code -> (Russian label for reasons, phrases)
CUE_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "question": ("вопрос", lexicon.QUESTION_CUES),
    "ask": ("просьба ответить", lexicon.ASK_CUES),
    "request": ("просьба", lexicon.REQUEST_CUES),
    "problem": ("проблема", lexicon.PROBLEM_CUES),
    "urgency": ("длится/повторяется", lexicon.URGENCY_CUES),
    "complaint": ("жалоба", lexicon.COMPLAINT_CUES),
    "authority": ("обращение к власти", lexicon.AUTHORITY_CUES),
    "thanks": ("благодарность", lexicon.THANKS_CUES),
    "congrats": ("поздравление", lexicon.CONGRATS_CUES),
    "condolence": ("соболезнование", lexicon.CONDOLENCE_CUES),
    "spam": ("реклама", lexicon.SPAM_CUES),
    "chatter": ("разговор жителей", lexicon.CHATTER_CUES),
    "sarcasm": ("сарказм", lexicon.SARCASM_CUES),
    "persist": ("проблема не решена", lexicon.PERSIST_CUES),
}


@dataclass(frozen=True, slots=True)
class Pattern:
    elements: tuple[frozenset[str] | None, ...]  # None is a gap
    text: str


def _compile(phrase: str) -> Pattern:
    elements: list[frozenset[str] | None] = []
    for part in phrase.split():
        if part == GAP:
            elements.append(None)
        else:
            elements.append(frozenset(part.split("|")))
    if elements[0] is None or elements[-1] is None:
        raise ValueError(f"a cue cannot start or end with a gap: {phrase!r}")
    return Pattern(tuple(elements), phrase)


class PhraseIndex:
    """Finds cue phrases in a lemma sequence; indexed by the first lemma of each phrase."""

    __slots__ = ("_by_first",)

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        by_first: dict[str, list[tuple[str, Pattern]]] = {}
        for key, phrase in phrases:
            pattern = _compile(_lemmatise_phrase(phrase))
            first = pattern.elements[0]
            assert first is not None
            for word in first:
                by_first.setdefault(word, []).append((key, pattern))
        self._by_first = by_first

    def find(self, toks: Sequence[str], lemmas: Sequence[str]) -> list[tuple[str, int, int]]:
        """(key, start, end) of every match, end exclusive."""
        found: list[tuple[str, int, int]] = []
        by_first = self._by_first
        n = len(lemmas)
        for i, lem in enumerate(lemmas):
            candidates = by_first.get(lem)
            surface = by_first.get("=" + toks[i])
            if surface:
                candidates = surface if not candidates else candidates + surface
            if not candidates:
                continue
            for key, pattern in candidates:
                end = _match(pattern.elements, toks, lemmas, i, n)
                if end >= 0:
                    found.append((key, i, end))
        return found


def _hit(element: frozenset[str], tok: str, lem: str) -> bool:
    return lem in element or "=" + tok in element


def _match(
    elements: tuple[frozenset[str] | None, ...],
    toks: Sequence[str],
    lemmas: Sequence[str],
    start: int,
    n: int,
) -> int:
    pos = start + 1
    k = 1
    while k < len(elements):
        element = elements[k]
        if element is None:
            target = elements[k + 1]
            assert target is not None
            for skip in range(MAX_GAP + 1):
                if pos + skip < n and _hit(target, toks[pos + skip], lemmas[pos + skip]):
                    pos = pos + skip + 1
                    break
            else:
                return -1
            k += 2
            continue
        if pos >= n or not _hit(element, toks[pos], lemmas[pos]):
            return -1
        pos += 1
        k += 1
    return pos


def _lemmatise_phrase(phrase: str) -> str:
    """Cue words are lemmatised (so a cue may be written in any form); "=word" matches a token."""
    out: list[str] = []
    for part in phrase.split():
        if part == GAP:
            out.append(part)
            continue
        words: set[str] = set()
        for w in part.split("|"):
            words.add(w if w.startswith("=") else lemma(w))
        out.append("|".join(sorted(words)))
    return " ".join(out)


@lru_cache(maxsize=1)
def cue_index() -> PhraseIndex:
    pairs: list[tuple[str, str]] = []
    for code, (_label, phrases) in CUE_GROUPS.items():
        pairs.extend((code, p) for p in phrases)
    return PhraseIndex(pairs)


@lru_cache(maxsize=1)
def topic_phrase_index() -> tuple[PhraseIndex, dict[str, tuple[Topic, float]]]:
    table: dict[str, tuple[Topic, float]] = {}
    pairs: list[tuple[str, str]] = []
    for i, (phrase, topic, weight) in enumerate(lexicon.TOPIC_PHRASES):
        key = f"tp{i}"
        table[key] = (topic, weight)
        pairs.append((key, phrase))
    return PhraseIndex(pairs), table


@lru_cache(maxsize=1)
def keyword_table() -> dict[str, tuple[tuple[Topic, float], ...]]:
    table: dict[str, list[tuple[Topic, float]]] = {}
    for topic, words in lexicon.TOPIC_KEYWORDS.items():
        for word, weight in words.items():
            if weight > 0:
                table.setdefault(word, []).append((topic, float(weight)))
    return {k: tuple(v) for k, v in table.items()}


@dataclass(slots=True)
class Analysis:
    raw: str
    normalized: str
    tokens: list[str]
    lemmas: list[str]
    forms: list[str]  # verb form per token (matcher.text.IMPERATIVE, PAST, ...) or ""
    cues: dict[str, list[str]] = field(default_factory=dict)  # group -> surface phrases
    topic_scores: dict[Topic, float] = field(default_factory=dict)
    topic_hits: dict[Topic, list[str]] = field(default_factory=dict)  # topic -> surface words
    question_marks: int = 0
    exclamations: int = 0
    emoji: int = 0
    caps: float = 0.0
    has_words: bool = True

    def has(self, group: str) -> bool:
        return bool(self.cues.get(group))

    def count(self, group: str) -> int:
        return len(self.cues.get(group, ()))

    @property
    def placeholders(self) -> set[str]:
        return {t for t in self.tokens if t in _PLACEHOLDER_SET}


_PLACEHOLDER_SET = frozenset({PHONE, URL, OBSCENE, MENTION_USER, MENTION_PAGE})
_READABLE = {
    PHONE: "[телефон]",
    URL: "[ссылка]",
    OBSCENE: "[брань]",
    MENTION_USER: "[ответ жителю]",
    MENTION_PAGE: "[страница]",
}


def surface(toks: Sequence[str]) -> str:
    """The words of a match as the moderator should read them (placeholders spelled out)."""
    return " ".join(_READABLE.get(t, t) for t in toks)


def analyse(text: str) -> Analysis:
    normalized = normalize(text)
    toks = tokens(normalized)
    infos = [word_info(t) for t in toks]
    lems = [i[0] for i in infos]
    result = Analysis(
        raw=text,
        normalized=normalized,
        tokens=toks,
        lemmas=lems,
        forms=[i[1] for i in infos],
        question_marks=text.count("?"),
        exclamations=text.count("!"),
        emoji=emoji_count(text),
        caps=caps_ratio(text),
        has_words=has_words(text),
    )
    cues: dict[str, list[str]] = {}
    for key, start, end in cue_index().find(toks, lems):
        words = surface(toks[start:end])
        bucket = cues.setdefault(key, [])
        if words not in bucket:
            bucket.append(words)
    result.cues = cues

    scores: dict[Topic, float] = {}
    hits: dict[Topic, list[str]] = {}
    kw = keyword_table()
    for tok, lem in zip(toks, lems, strict=True):
        entries = kw.get(lem)
        if entries is None:
            continue
        for topic, weight in entries:
            scores[topic] = scores.get(topic, 0.0) + weight
            bucket = hits.setdefault(topic, [])
            if tok not in bucket:
                bucket.append(tok)
    index, table = topic_phrase_index()
    for key, start, end in index.find(toks, lems):
        topic, weight = table[key]
        scores[topic] = scores.get(topic, 0.0) + weight
        words = surface(toks[start:end])
        bucket = hits.setdefault(topic, [])
        if words not in bucket:
            bucket.insert(0, words)
    result.topic_scores = scores
    result.topic_hits = hits
    return result


def cue_label(group: str) -> str:
    return CUE_GROUPS[group][0]
