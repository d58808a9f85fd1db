"""Feature extraction shared by training and inference.

A comment becomes a sparse mapping ``feature name -> value`` made of three blocks:

* ``R:*`` rule features: which cue groups of matcher.rules fired, question marks, emoji-only,
  phones, links, obscenities, replies to another resident, length;
* ``T:*`` topic keyword scores from matcher.lexicon;
* lexical features, L2-normalised as a block: ``w:`` lemma unigrams, ``b:`` lemma bigrams and
  ``c:`` character 4-grams of the normalised words (robust to typos and unknown inflections).
"""

from __future__ import annotations

import math

from matcher.rules import CUE_GROUPS, Analysis
from matcher.text import (
    IMPERATIVE,
    MENTION_PAGE,
    MENTION_USER,
    NUM,
    OBSCENE,
    PAST,
    PHONE,
    URL,
)
from matcher.topics import Topic

CHAR_N = 4
LEXICAL_WEIGHT = 1.0

_STOP = frozenset(
    "и в во на с со а но же ли бы то по к ко у о об от до за из для не ни это этот тот".split()
)

Features = dict[str, float]

# Imperatives that are not requests to the authorities.
_NON_REQUEST_IMPERATIVES = frozenset(
    "держаться подписываться звонить писать обращаться смотреть переходить заходить "
    "представлять поздравлять знать крепиться прощать извинять брать видеть слушать "
    "вступать покупать заказывать обращать".split()
)
_NEGATIONS = frozenset({"не", "ни", "нет"})
_CONTRAST = frozenset({"но", "однако", "только", "зато", "хотя"})


def verb_flags(a: Analysis) -> Features:
    """Imperatives (requests), negated verbs (something is not done) and plain past reports."""
    f: Features = {}
    lems = a.lemmas
    n_neg = n_done = n_impr = 0
    for i, form in enumerate(a.forms):
        if not form:
            continue
        negated = (i >= 1 and lems[i - 1] in _NEGATIONS) or (i >= 2 and lems[i - 2] in _NEGATIONS)
        if negated:
            n_neg += 1
        elif form == IMPERATIVE and lems[i] not in _NON_REQUEST_IMPERATIVES:
            n_impr += 1
        elif form == PAST:
            n_done += 1
    if n_impr:
        f["R:imperative"] = 1.0
    if n_neg:
        f["R:neg_verb"] = 1.0 if n_neg == 1 else 1.5
    if n_done and not n_neg:
        f["R:past_only"] = 1.0
    return f


def rule_features(a: Analysis) -> Features:
    f: Features = {}
    for group in CUE_GROUPS:
        n = a.count(group)
        if n:
            f["R:" + group] = 1.0 if n == 1 else 1.5
    if a.question_marks:
        f["R:qmark"] = 1.0
    if a.exclamations >= 2:
        f["R:excl"] = 1.0
    n_tokens = len(a.tokens)
    if not a.has_words:
        f["R:no_words"] = 1.0
    elif n_tokens <= 3:
        f["R:short"] = 1.0
    elif n_tokens >= 40:
        f["R:long"] = 1.0
    if a.emoji:
        f["R:emoji"] = 1.0
    if a.caps >= 0.6:
        f["R:caps"] = 1.0
    toks = set(a.tokens)
    if PHONE in toks:
        f["R:phone"] = 1.0
    if URL in toks:
        f["R:url"] = 1.0
    if OBSCENE in toks:
        f["R:obscene"] = 1.0
    if a.tokens[:1] == [MENTION_USER]:
        f["R:reply_resident"] = 1.0
    if MENTION_PAGE in toks:
        f["R:mention_page"] = 1.0
    problemish = a.has("problem") or a.has("urgency") or a.has("complaint")
    if a.has("thanks") and problemish:
        f["R:thanks_with_problem"] = 1.0
    if a.has("thanks") and not problemish and not a.has("question"):
        f["R:thanks_only"] = 1.0
    if a.has("spam") and (PHONE in toks or URL in toks):
        f["R:spam_contact"] = 1.0
    if a.has("thanks"):
        first = next((i for i, lem in enumerate(a.lemmas) if lem in _THANKS_LEMMAS), 0)
        if any(lem in _CONTRAST for lem in a.lemmas[first + 1 :]):
            f["R:thanks_but"] = 1.0
    f.update(verb_flags(a))
    return f


_THANKS_LEMMAS = frozenset({"спасибо", "благодарить", "благодарность", "молодец"})


def topic_features(a: Analysis) -> Features:
    return {"T:" + t.value: min(score, 9.0) / 3.0 for t, score in a.topic_scores.items()}


def lexical_features(a: Analysis) -> Features:
    counts: dict[str, float] = {}
    lems = [lem for lem in a.lemmas if lem != NUM]
    for lem in lems:
        if lem not in _STOP:
            key = "w:" + lem
            counts[key] = counts.get(key, 0.0) + 1.0
    for left, right in zip(lems, lems[1:], strict=False):
        key = "b:" + left + "_" + right
        counts[key] = counts.get(key, 0.0) + 1.0
    n = CHAR_N
    for tok in a.tokens:
        if tok.isdigit() or len(tok) < 3:
            continue
        padded = "<" + tok + ">"
        for i in range(len(padded) - n + 1):
            key = "c:" + padded[i : i + n]
            counts[key] = counts.get(key, 0.0) + 1.0
    if not counts:
        return counts
    # sublinear tf, then L2 normalisation of the block
    for key, value in counts.items():
        counts[key] = 1.0 + math.log(value)
    norm = math.sqrt(sum(v * v for v in counts.values())) / LEXICAL_WEIGHT
    return {k: v / norm for k, v in counts.items()}


def extract(a: Analysis) -> Features:
    f = lexical_features(a)
    f.update(rule_features(a))
    f.update(topic_features(a))
    return f


def topic_of_feature(name: str) -> Topic | None:
    if name.startswith("T:"):
        return Topic(name[2:])
    return None
