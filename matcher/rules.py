"""The rule layer: cue phrases matched on lemmas, topic keywords and surface flags of a comment.

``analyse(text)`` turns a raw comment into an ``Analysis``: normalised tokens and lemmas, the cue
groups that fired (each with the words of the comment that fired it, for the moderator) and the
keyword score of every topic.  Both the statistical model (as features) and the decision rules in
matcher.classifier read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from matcher import lexicon
from matcher.spelling import spelled, written_as_name
from matcher.text import (
    GOV_URL,
    IMPERATIVE,
    MENTION_PAGE,
    MENTION_USER,
    OBSCENE,
    PHONE,
    URL,
    emoji_count,
    has_words,
    is_shouting,
    lemma,
    normalize,
    tokens,
    word_info,
)
from matcher.topics import Topic

GAP: Final = "~"
MAX_GAP: Final = 2

# Cue group code -> (Russian label for reasons, phrases)
CUE_GROUPS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "question": ("вопрос", lexicon.QUESTION_CUES),
    "why": ("вопрос «почему»", lexicon.WHY_CUES),
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
    "ad_word": ("слово, частое в рекламе", lexicon.AD_WORDS),
    "chatter": ("разговор жителей", lexicon.CHATTER_CUES),
    "sarcasm": ("сарказм", lexicon.SARCASM_CUES),
    "mock_thanks": ("сарказм (благодарность за проблему)", lexicon.MOCK_THANKS_CUES),
    "persist": ("проблема не решена", lexicon.PERSIST_CUES),
    "news": ("разговор о новостях и политике", lexicon.NEWS_CUES),
    "rhetoric": ("риторический вопрос", lexicon.RHETORIC_CUES),
    "misconduct": ("жалоба на действия сотрудников или компании", lexicon.MISCONDUCT_CUES),
    "evaluation": ("плохая оценка услуги", lexicon.EVALUATION_CUES),
    "resolved": ("проблема решена", lexicon.RESOLVED_CUES),
    "withdrawn": ("автор отзывает заявку", lexicon.WITHDRAWN_CUES),
}
# whom a resident turns to when they turn to the body (Analysis.turns_to_the_page)
_THE_BODY: Final = frozenset({"администрация", "глава", "мэр", "мэрия", "губернатор"})
# «ждёт 'благодарность'»: the quotes say a bribe is meant (normalised text)
_QUOTED_GRATITUDE_RE: Final = re.compile(r"[\"'«„“”]\s*благодарност\w*\s*[\"'»“”]")
# cue groups a «не» just before cancels («вопрос не решён» is no resolution)
_NEGATABLE: Final = frozenset({"resolved"})


@dataclass(frozen=True, slots=True)
class Pattern:
    elements: tuple[frozenset[str] | None, ...]  # None is a gap
    text: str
    # the last element's lemmas and surface forms («=word» without «=»): a comment that has none
    # of them among its lemmas and tokens cannot match, which spares most of the walks over gaps
    # (the hot path)
    last_words: frozenset[str] = frozenset()


def _compile(phrase: str) -> Pattern:
    elements: list[frozenset[str] | None] = []
    for part in phrase.split():
        if part == GAP:
            elements.append(None)
        else:
            elements.append(frozenset(part.split("|")))
    if elements[0] is None or elements[-1] is None:
        raise ValueError(f"a cue cannot start or end with a gap: {phrase!r}")
    return Pattern(tuple(elements), phrase, frozenset(w.lstrip("=") for w in elements[-1]))


class PhraseIndex:
    """Finds cue phrases in a lemma sequence.

    A phrase is indexed by its first lemma and, when its second element is a plain set of
    lemmas, by the pair; phrases starting with a surface form ("=word") by that token.  So a
    word that starts no phrase (most) costs one set look-up, one that may start one three
    dictionary look-ups.
    """

    __slots__ = ("_by_lemma", "_by_pair", "_by_token", "_starts")

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        by_lemma: dict[str, list[tuple[str, Pattern]]] = {}
        by_pair: dict[str, dict[str, list[tuple[str, Pattern]]]] = {}  # first -> second -> ...
        by_token: dict[str, list[tuple[str, Pattern]]] = {}
        for key, phrase in phrases:
            pattern = _compile(_lemmatise_phrase(phrase))
            first = pattern.elements[0]
            assert first is not None
            second = pattern.elements[1] if len(pattern.elements) > 1 else None
            pairable = second is not None and not any(w.startswith("=") for w in second)
            for word in first:
                entry = (key, pattern)
                if word.startswith("="):
                    by_token.setdefault(word[1:], []).append(entry)
                elif pairable:
                    assert second is not None
                    following = by_pair.setdefault(word, {})
                    for word2 in second:
                        following.setdefault(word2, []).append(entry)
                else:
                    by_lemma.setdefault(word, []).append(entry)
        self._by_lemma = by_lemma
        self._by_pair = by_pair
        self._by_token = by_token
        # every lemma or token a phrase may start with
        self._starts = frozenset(by_lemma) | frozenset(by_pair) | frozenset(by_token)

    def find(self, toks: list[str], lemmas: list[str]) -> list[tuple[str, int, int]]:
        """(key, start, end) of every match, end exclusive."""
        found: list[tuple[str, int, int]] = []
        starts = self._starts
        # typed locals, not bound ``.get`` methods: compiled (matcher.compiled), a typed dict's
        # look-up is a direct call
        by_lemma = self._by_lemma
        by_pair = self._by_pair
        by_token = self._by_token
        n = len(lemmas)
        words: set[str] | None = None
        last = n - 1
        for i in range(n):
            lem = lemmas[i]
            if lem not in starts and toks[i] not in starts:
                continue  # most words start no phrase: one look-up instead of three
            following = by_pair.get(lem)
            at_lemma = by_lemma.get(lem)
            at_token = by_token.get(toks[i])
            at_pair = following.get(lemmas[i + 1]) if following and i < last else None
            if not (at_lemma or at_token or at_pair):
                continue
            if words is None:
                words = {*lemmas, *toks}
            for candidates in (at_lemma, at_token, at_pair):
                if candidates:
                    for key, pattern in candidates:
                        if len(pattern.elements) > 1 and words.isdisjoint(pattern.last_words):
                            continue
                        end = _match(pattern.elements, toks, lemmas, i, n)
                        if end >= 0:
                            found.append((key, i, end))
        return found


def _hit(element: frozenset[str], tok: str, lem: str) -> bool:
    return lem in element or "=" + tok in element


def _match(
    elements: tuple[frozenset[str] | None, ...],
    toks: list[str],
    lemmas: list[str],
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
    """Cue words are lemmatised (so a cue may be written in any form); "=word" matches a token.

    Hyphenated words become several elements, as the tokenizer splits "кто-нибудь" in two.
    """
    parts: list[str] = []
    for part in phrase.split():
        if "-" in part and "|" not in part:
            prefix = "=" if part.startswith("=") else ""
            parts.extend(prefix + p for p in part.lstrip("=").split("-") if p)
        else:
            parts.append(part)
    out: list[str] = []
    for part in parts:
        if part == GAP:
            out.append(part)
            continue
        words: set[str] = set()
        for w in part.split("|"):
            words.add(w if w.startswith("=") else lemma(w))
        out.append("|".join(sorted(words)))
    return " ".join(out)


@lru_cache(maxsize=1)
def phrase_index() -> tuple[PhraseIndex, dict[str, tuple[Topic, float]]]:
    """One index of the cue phrases (keyed by group), the topic phrases (keyed "#<n>") and the
    urgency phrases of matcher.urgency (keyed "!<group>"): one pass over a comment finds all."""
    from matcher.urgency import phrase_pairs  # urgency reads Analysis from this module

    pairs: list[tuple[str, str]] = [("!" + key, phrase) for key, phrase in phrase_pairs()]
    for code, (_label, phrases) in CUE_GROUPS.items():
        pairs.extend((code, p) for p in phrases)
    table: dict[str, tuple[Topic, float]] = {}
    for i, (phrase, topic, weight) in enumerate(lexicon.TOPIC_PHRASES):
        key = f"#{i}"
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
    # group -> surface phrases (never an empty list: a group is in it only when found)
    cues: dict[str, list[str]] = field(default_factory=dict)
    topic_scores: dict[Topic, float] = field(default_factory=dict)
    topic_hits: dict[Topic, list[str]] = field(default_factory=dict)  # topic -> surface words
    question_marks: int = 0
    exclamations: int = 0
    emoji: int = 0
    shouting: bool = False  # written in capitals (matcher.text.is_shouting)
    has_words: bool = True
    # the message's own words: the tokens but the ``own_start`` first and the ``own_tail``
    # last — the greeting it opens with and the thanks or signature it closes with
    # (``formula_span``)
    own_start: int = 0
    own_tail: int = 0  # words after them
    closes_with_thanks: bool = False
    # word read -> the misspelt word the resident typed (matcher.spelling), for the reasons
    misspelt: dict[str, str] = field(default_factory=dict)
    # (group, start, end) of the phrases of matcher.urgency, found in the same pass as the cues
    urgency_matches: list[tuple[str, int, int]] = field(default_factory=list)

    def own_tokens(self) -> list[str]:
        return self._own(self.tokens)

    def own_lemmas(self) -> list[str]:
        return self._own(self.lemmas)

    def _own(self, words: list[str]) -> list[str]:
        if not self.own_start and not self.own_tail:
            return words  # no formula: the list itself, no copy (the hot path)
        return words[self.own_start : len(words) - self.own_tail]

    def has(self, group: str) -> bool:
        return bool(self.cues.get(group))

    def replies_to_page(self) -> bool:
        """VK starts a reply to the page's own comment with the page's mention («[club1|…],»)."""
        return self.tokens[:1] == [MENTION_PAGE]

    def turns_to_the_page(self) -> bool:
        """The author speaks to the body itself: «Уважаемая администрация, ответьте…»,
        «Администрация, посмотрите пожалуйста» — also inside a reply to another resident."""
        lems = self.lemmas
        for i, lem in enumerate(lems):
            if lem not in _THE_BODY:
                continue
            if i and lems[i - 1] == "уважаемый":
                return True
            if IMPERATIVE in self.forms[i + 1 : i + 3]:
                return True
        return False

    def asks_a_question(self) -> bool:
        """A question cue: one asking for information or a «почему/зачем» (matcher.lexicon)."""
        return self.has("question") or self.has("why")

    def count(self, group: str) -> int:
        return len(self.cues.get(group, ()))

    @property
    def placeholders(self) -> set[str]:
        return {t for t in self.tokens if t in _PLACEHOLDER_SET}


_PLACEHOLDER_SET: Final = frozenset({PHONE, URL, GOV_URL, OBSCENE, MENTION_USER, MENTION_PAGE})
_READABLE: Final = {
    PHONE: "[телефон]",
    URL: "[ссылка]",
    GOV_URL: "[ссылка на госпортал]",
    OBSCENE: "[брань]",
    MENTION_USER: "[ответ жителю]",
    MENTION_PAGE: "[страница]",
}


def surface(toks: Sequence[str]) -> str:
    """The words of a match as the moderator should read them (placeholders spelled out)."""
    return " ".join(_READABLE.get(t, t) for t in toks)


# «надпись на фасаде напротив школы», «люк возле остановки»: a word after these prepositions names
# where the problem is, not what it is about, so its topic keyword counts for less (issue 12: a
# place word must not outweigh the object).
LANDMARK_PREPOSITIONS: Final = frozenset({"возле", "около", "напротив", "вблизи", "близ"})
LANDMARK_PAIRS: Final = frozenset({("рядом", "с"), ("недалеко", "от"), ("неподалеку", "от")})
LANDMARK_SCALE: Final = 0.3


def is_landmark(lemmas: Sequence[str], i: int) -> bool:
    """Whether the word at ``i`` follows a preposition of place («у», «возле», «рядом с»…)."""
    if i >= 1 and lemmas[i - 1] in LANDMARK_PREPOSITIONS:
        return True
    return i >= 2 and (lemmas[i - 2], lemmas[i - 1]) in LANDMARK_PAIRS


# Formulas that open or close a message and say nothing of it: «Здравствуйте!», «Добрый день»,
# «Приветствую»; «Спасибо.», «Заранее благодарю!», «С уважением, Петрова Н.В.».  Not «Привет»,
# «Здравствуй»: said to a person, or a quotation («здравствуй, юность в сапогах»).  Read as words,
# they thinned the message's own (a greeting before «гололед» lost 3.4% of the complaints, a
# closing thanks 25%: matcher/data/README.md «Session 28»).
_OPENINGS: Final = (
    ("добрый", "время", "сутки"),
    ("добрый", "день"),
    ("добрый", "вечер"),
    ("добрый", "утро"),
    ("здравствуйте",),
    ("здраствовать",),  # «Здраствуйте»
    ("приветствовать",),
)
_THANKS_CLOSINGS: Final = (
    ("спасибо", "вы", "большой"),
    ("заранее", "спасибо"),
    ("спасибо", "заранее"),
    ("спасибо", "большой"),
    ("спасибо", "огромный"),
    ("спасибо", "вы"),
    ("заранее", "благодарить"),
    ("благодарить", "заранее"),
    ("спасибо",),
    ("благодарить",),
)
_SIGNATURE_WORDS: Final = 5  # «с уважением» and a name after it
_OPENING_FIRST: Final = frozenset(opening[0] for opening in _OPENINGS)
_CLOSING_LAST: Final = frozenset(closing[-1] for closing in _THANKS_CLOSINGS)


def formula_span(lemmas: Sequence[str]) -> tuple[int, int, bool]:
    """(start, end, thanked): where a message's own words are, without the greeting it opens
    with and the thanks or «с уважением» it closes with; ``thanked``: it closes with thanks.
    Two words at least stay between, else the formula is the message («Доброе утро всем!»)."""
    n = len(lemmas)
    start = 0
    if n and lemmas[0] in _OPENING_FIRST:  # most messages open with none: one set look-up
        for opening in _OPENINGS:
            if tuple(lemmas[: len(opening)]) == opening:
                start = len(opening)
                break
    end, thanked = n, False
    closing = None
    if n and lemmas[-1] in _CLOSING_LAST:
        closing = next((c for c in _THANKS_CLOSINGS if tuple(lemmas[n - len(c) :]) == c), None)
    if closing is not None:
        end, thanked = n - len(closing), True
    else:
        tail = lemmas[-_SIGNATURE_WORDS - 2 :]
        if "уважение" in tail:
            for i in range(len(tail) - 1):
                if tail[i] == "с" and tail[i + 1] == "уважение":
                    end = n - len(tail) + i
                    break
    if end - start < 2:
        return 0, n, False
    return start, end, thanked


_LEXICON_WORD_RE: Final = re.compile(r"[а-яa-z]+")


@lru_cache(maxsize=1)
def lexicon_words() -> frozenset[str]:
    """Every word of the cue, topic and urgency phrases and of the topic keywords: a word the
    lexicon lists is meant as written («ковид», «инфомат»), however few the frequent words it
    is one letter from."""
    from matcher.urgency import phrase_pairs  # urgency reads Analysis from this module

    phrases = [p for _, p in phrase_pairs()]
    phrases.extend(p for _, group in CUE_GROUPS.values() for p in group)
    phrases.extend(p for p, _, _ in lexicon.TOPIC_PHRASES)
    found = {w for p in phrases for w in _LEXICON_WORD_RE.findall(p)}
    found.update(w for table in lexicon.TOPIC_KEYWORDS.values() for w in table)
    return frozenset(found)


def read_as_meant(raw: str, toks: list[str]) -> tuple[list[str], dict[str, str]]:
    """``toks`` with misspelt words replaced by the words meant (matcher.spelling; «не» glued to
    a verb comes apart), except names written with a capital and words the lexicon lists; and
    word meant -> word typed.  The list itself when nothing is misspelt (most comments)."""
    misspelt: dict[str, str] = {}
    out = toks
    for i, tok in enumerate(toks):
        meant = spelled(tok, raw)
        if (
            meant != tok
            and not written_as_name(raw, tok)
            and tok not in (listed := lexicon_words())
            and lemma(tok) not in listed
        ):
            if out is toks:
                out = toks[:i]
            words = meant.split()
            out.extend(words)
            misspelt[words[-1]] = tok
        elif out is not toks:
            out.append(tok)
    return out, misspelt


def analyse(text: str) -> Analysis:
    normalized = normalize(text)
    toks, misspelt = read_as_meant(text, tokens(normalized))
    infos = [word_info(t) for t in toks]
    lems = [i[0] for i in infos]
    own_start, own_end, closes_with_thanks = formula_span(lems)
    result = Analysis(
        raw=text,
        normalized=normalized,
        tokens=toks,
        lemmas=lems,
        forms=[i[1] for i in infos],
        question_marks=text.count("?"),
        exclamations=text.count("!"),
        emoji=emoji_count(text),
        shouting=is_shouting(text),
        has_words=has_words(text),
        own_start=own_start,
        own_tail=len(lems) - own_end,
        closes_with_thanks=closes_with_thanks,
        misspelt=misspelt,
    )
    index, topic_table = phrase_index()
    matches = index.find(toks, lems)
    cues: dict[str, list[str]] = {}
    topic_matches: list[tuple[str, int, int]] = []
    urgency_matches: list[tuple[str, int, int]] = []
    for key, start, end in matches:
        if key[0] == "#":
            topic_matches.append((key, start, end))
            continue
        if key[0] == "!":
            urgency_matches.append((key[1:], start, end))
            continue
        if key in _NEGATABLE and start and lems[start - 1] in ("не", "ни"):
            continue
        words = surface(toks[start:end])
        bucket = cues.setdefault(key, [])
        if words not in bucket:
            bucket.append(words)
    if "thanks" in cues and (quoted := _QUOTED_GRATITUDE_RE.search(normalized)):
        # «потребовали 'благодарность'»: gratitude in quotes is a bribe, no thanks
        del cues["thanks"]
        cues.setdefault("misconduct", []).append(quoted.group(0))
    result.cues = cues
    result.urgency_matches = urgency_matches

    scores: dict[Topic, float] = {}
    hits: dict[Topic, list[str]] = {}
    kw = keyword_table()
    for i, (tok, lem) in enumerate(zip(toks, lems, strict=True)):
        entries = kw.get(lem)
        if entries is None:
            continue
        scale = LANDMARK_SCALE if is_landmark(lems, i) else 1.0
        for topic, weight in entries:
            scores[topic] = scores.get(topic, 0.0) + weight * scale
            bucket = hits.setdefault(topic, [])
            if tok not in bucket:
                bucket.append(tok)
    for key, start, end in topic_matches:
        topic, weight = topic_table[key]
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
