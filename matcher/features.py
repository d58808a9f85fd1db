"""Feature extraction shared by training and inference.

A comment becomes a sparse mapping ``feature name -> value`` made of three blocks:

* ``R:*`` rule features: which cue groups of matcher.rules fired, question marks, emoji-only,
  phones, links, obscenities, replies to another resident, length;
* ``T:*`` topic keyword scores from matcher.lexicon;
* ``e:*`` the word-vector block (matcher.vectors): where unseen words land among known ones;
* lexical features: ``w:`` lemma unigrams, ``b:`` lemma bigrams and ``c:`` character 4-grams of
  the normalised words (robust to typos and unknown inflections).  Each is its count divided by
  the square root of the number of lexical feature occurrences in the comment, so the block has
  unit length when no feature repeats.  (This normalisation can be summed token by token, which
  is what the fast path of matcher.model.Model.analysis_logits does.)
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from matcher.lexicon import CIVIC_WORDS, words
from matcher.rules import LANDMARK_PAIRS, LANDMARK_PREPOSITIONS, Analysis, is_landmark
from matcher.text import (
    IMPERATIVE,
    MENTION_PAGE,
    MENTION_USER,
    NUM,
    OBSCENE,
    PAST,
    PAST_IMPF,
    PHONE,
    SHORT_PARTICIPLE,
    STOPWORDS,
    URL,
)
from matcher.topics import Topic
from matcher.urgency import assess as assess_urgency
from matcher.vectors import NAMES as VECTOR_NAMES
from matcher.vectors import NO_ROWS, Rows, word_vectors

CHAR_N: Final = 4
LEXICAL_WEIGHT: Final = 1.0

_STOP: Final = STOPWORDS

Features = dict[str, float]

# Imperatives that are not requests to the authorities.
_NON_REQUEST_IMPERATIVES: Final = frozenset(
    [
        "держаться",
        "подписываться",
        "звонить",
        "писать",
        "обращаться",
        "смотреть",
        "переходить",
        "заходить",
        "представлять",
        "поздравлять",
        "знать",
        "крепиться",
        "прощать",
        "извинять",
        "брать",
        "видеть",
        "слушать",
        "вступать",
        "покупать",
        "заказывать",
        "обращать",
        # advice one resident gives another: «звоните 122», «запросите выписку через госуслуги»
        "позвонить",
        "набрать",
        "запросить",
        "сходить",
        "идти",
        "ждать",
        "парковаться",
        "оформить",
        "оформлять",
        "записаться",
        "записываться",
        "написать",
        "пожаловаться",
        "жаловаться",
        "обратиться",
        "спросить",
    ]
)
_NEGATIONS: Final = frozenset({"не", "ни", "нет"})
# Past-tense verbs that report damage, not work done: «упал знак», «сорвало козырёк»,
# «появилась надпись» are problems, «засыпали яму» is a report of something done.
DAMAGE_VERBS: Final = words(
    """
    упасть сорвать появиться сломать сломаться оторвать оторваться отвалиться прорвать
    затопить залить обрушиться рухнуть треснуть провалиться погнуть помять разбить выбить
    вырвать повалить повалиться исчезнуть украсть сгореть перегореть замерзнуть отключить
    покоситься накрениться облупиться осыпаться обвалиться протечь потечь засориться застрять
    пропасть закончиться перестать испортиться заржаветь сгнить прогнить разрушиться
    развалиться лопнуть порвать оборвать оборваться вывалиться выпасть провиснуть скопиться
    образоваться зарасти замести покрыться вырубить выключить прекратиться остановиться
    вскрыть разрисовать исписать изрисовать поджечь загореться задымиться завалиться залить
    потеряться потерять ухудшиться
    подтопить вытечь разлиться расколоться отколоться отклеиться вздуться
    """
)
# Past-tense verbs of work done: «засыпали яму», «убрали снег», «починили лифт».  Only these make
# a "report of something done"; any other past verb («врач поставил неверный диагноз») does not.
FIX_VERBS: Final = words(
    """
    сделать убрать засыпать починить отремонтировать вывезти заменить установить покрасить
    почистить расчистить восстановить устранить решить подключить включить дать заделать
    спилить покосить положить наладить вернуть посыпать привести отловить заасфальтировать
    построить открыть провести выплатить начислить пересчитать подать помочь приехать прийти
    откачать прочистить вымыть помыть убраться навести организовать благоустроить
    облагородить обновить оборудовать вставить закрепить прибить повесить очистить
    смонтировать перенести пустить запустить выполнить исправить
    """
)
# «положена ли субсидия», «положено по закону»: an entitlement, not work done.
_ENTITLED: Final = frozenset({"положить"})
# A named object of one of the topics (lexicon weight at least this) makes a terse text a report.
OBJECT_SCORE: Final = 2.0
TERSE_TOKENS: Final = 10
_CONTRAST: Final = frozenset({"но", "однако", "только", "зато", "хотя"})


def verb_flags(a: Analysis) -> Features:
    """Imperatives (requests), negated verbs (something is not done) and plain past reports."""
    f: Features = {}
    lems = a.lemmas
    n_neg = n_done = n_impr = n_damage = n_advice = 0
    for i, form in enumerate(a.forms):
        if not form:
            continue
        negated = (i >= 1 and lems[i - 1] in _NEGATIONS) or (i >= 2 and lems[i - 2] in _NEGATIONS)
        if form == IMPERATIVE and (negated or lems[i] in _NON_REQUEST_IMPERATIVES):
            # «не ждите УК», «звоните 112»: advice to residents, no "not done"; «звоните
            # 8-950-…» is the author's own number to call back
            if not (i + 1 < len(lems) and lems[i + 1] == PHONE):
                n_advice += 1
        elif negated:
            n_neg += 1
        elif form == IMPERATIVE:
            n_impr += 1
        elif lems[i] in DAMAGE_VERBS and form in (PAST, PAST_IMPF, SHORT_PARTICIPLE):
            n_damage += 1
        elif (
            form in (PAST, SHORT_PARTICIPLE)
            and lems[i] in FIX_VERBS
            and not (form == SHORT_PARTICIPLE and lems[i] in _ENTITLED)
        ):
            n_done += 1
    if n_impr:
        f["R:imperative"] = 1.0
    if n_advice:
        f["R:advice"] = 1.0
    if n_neg:
        f["R:neg_verb"] = 1.0 if n_neg == 1 else 1.5
    if n_done:
        f["R:done"] = 1.0  # something was fixed, cleared, installed (also beside a «не …»)
    # «подключили платные услуги без согласия», «сделали кое-как» are no report of work done
    faulted = "misconduct" in a.cues or "evaluation" in a.cues or a.question_marks > 0
    if n_done and not n_neg and not n_damage and not faulted:
        f["R:past_only"] = 1.0
    if n_damage:
        f["R:damage"] = 1.0
    return f


_LAUGH_EMOJI_RE: Final = re.compile(
    "[\U0001f602\U0001f923\U0001f606\U0001f604\U0001f605\U0001f601\U0001f639]"
)
_LAUGH_WORD_RE: Final = re.compile(r"\b(?:а?ха){2,}", re.IGNORECASE)


def laughs(raw: str) -> bool:
    """An emoji of laughter or «хаха», «АХАХА»; the case-blind search (slow) runs only on texts
    with «ха» in them (the hot path)."""
    if _LAUGH_EMOJI_RE.search(raw):
        return True
    return "ха" in raw.lower() and _LAUGH_WORD_RE.search(raw) is not None


# «)))» is a smile residents put after complaints as often as after jokes («с 2019 обещаете)))»):
# its own feature, so it does not weigh as laughter does.
_SMILE_RE: Final = re.compile(r"\){3,}")
# An exact address: «на Кирова 2», «ул. Ленина, 5», «дом 14», «кв. 12», «3 подъезд», «на 4 этаже».
# A report names where the problem is; chatter seldom does (10% of the writers' complaints,
# 0.6% of their chatter, 0.1% of the real VK chatter).  A number of years, roubles, dates or
# units after the name is no house number.
_NOT_A_HOUSE: Final = (
    r"(?!\s*(?:-?х\b|-?е\b|год|г\.|г\b|лет|руб|р\.|р\b|тыс|млн|млрд|%|км|м\b|мин|час|сек|числ"
    r"|янв|фев|мар|апр|мая|май|июн|июл|авг|сен|окт|ноя|дек|раз|человек|чел|шт|дн|день|дня|недел"
    r"|месяц|кг|тонн|л\b|литр|градус|°|\$|€))"
)
_ADDRESS_RE: Final = re.compile(
    r"\b(?:ул|улиц[аеуы]|пр|просп|проспект[ае]?|пер|переулк?[еау]?|бул|бульвар[ае]?|ш|шоссе|мкр"
    r"|микрорайон[ае]?|д|дом[ау]?|кв|квартир[аеуы]|подъезд[ае]?|парадн(?:ая|ой|ую)|корп"
    r"|корпус[ае]?|стр)\.?,?\s*(?:№\s*)?\d{1,4}(?:[а-яА-Я]\b|/\d+|\b)"
    + _NOT_A_HOUSE
    + r"|\b\d{1,2}(?:-?(?:й|ий|ый|ом|ем|м|ая|ой|ей))?\s+(?:подъезд|парадн|этаж)\w*"
    r"|\b(?:на|по|у|с|со|в|во|возле|около|напротив|за)\s+(?:[А-ЯЁ][а-яё]+\s+)?[А-ЯЁ][а-яё]{2,},?"
    r"\s+\d{1,3}(?:\s?[а-яА-Я]\b|/\d+|\b)" + _NOT_A_HOUSE
)
# A message forwarded into a chat or a post reposted under a page is news passed on, not a
# request («Переслано из «Новости района»: …»).
_FORWARDED_RE: Final = re.compile(
    r"^\W*(?:переслано|пересланное сообщение|forwarded from|репост|источник:)", re.IGNORECASE
)


_LANDMARK_WORDS: Final = LANDMARK_PREPOSITIONS | {first for first, _ in LANDMARK_PAIRS}


def rule_features(a: Analysis) -> Features:
    f: Features = {"R:" + g: 1.0 if len(found) == 1 else 1.5 for g, found in a.cues.items()}
    # words ads share with complaints count only beside a phone or a link (R:spam_contact below);
    # as a feature of their own the model learnt them as ads («эвакуатор увёз машину»)
    f.pop("R:ad_word", None)
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
    if a.shouting:
        f["R:caps"] = 1.0
    toks = set(a.tokens)
    if PHONE in toks:
        f["R:phone"] = 1.0
    if URL in toks:
        f["R:url"] = 1.0
    if OBSCENE in toks:
        f["R:obscene"] = 1.0
    # asked only where it changes something: a reply to a resident, or a cue of conversation
    turns_to_the_page = (
        a.tokens[:1] == [MENTION_USER] or "R:chatter" in f
    ) and a.turns_to_the_page()
    if a.tokens[:1] == [MENTION_USER] and not turns_to_the_page:
        f["R:reply_resident"] = 1.0
    if MENTION_PAGE in toks:
        f["R:mention_page"] = 1.0
    if a.replies_to_page() or turns_to_the_page:
        # a reply to the page's own comment («[club1|Администрация], вы сами-то там были?»), or
        # a reply to a resident that turns to the body («…, ногу подвернула. Администрация
        # посмотрите пожалуйста») talks to the authority: no conversation between residents
        f.pop("R:chatter", None)
    problemish = "problem" in a.cues or "urgency" in a.cues or "complaint" in a.cues
    if a.own_start:
        f["R:greets"] = 1.0
    verbs = verb_flags(a)
    f.update(verbs)
    asking = (
        a.asks_a_question()
        or "request" in a.cues
        or "ask" in a.cues
        or a.question_marks > 0
        or "R:imperative" in verbs
        or "R:neg_verb" in verbs
        or "R:damage" in verbs
    )
    # «…тротуар завален по колено. Спасибо.»: politeness after whatever came before, which is
    # what decides (as «thanks» it lost a quarter of the complaints it closed); after a deed
    # («Поручень прикрутили. Благодарю», «Грязь смыли, спасибо») it is the thanks for it
    deed = (PAST in a.forms or "R:done" in verbs) and not asking
    closing = a.closes_with_thanks and len(a.cues.get("thanks", ())) == 1 and not deed
    if closing:
        del f["R:thanks"]
        f["R:thanks_closing"] = 1.0
    if "thanks" in a.cues and problemish and not closing:
        f["R:thanks_with_problem"] = 1.0
    contrast = False
    if "thanks" in a.cues and not closing:
        first = next((i for i, lem in enumerate(a.lemmas) if lem in _THANKS_LEMMAS), 0)
        contrast = any(lem in _CONTRAST for lem in a.lemmas[first + 1 :])
        if contrast:
            f["R:thanks_but"] = 1.0
    if "thanks" in a.cues and not problemish and not asking and not contrast and not closing:
        f["R:thanks_only"] = 1.0  # «Спасибо.» closing a request is politeness, not thanks only
    # «Писала про яму — заделали за неделю. Спасибо!»: thanks for work done, whatever it names
    asks_more = "request" in a.cues or "R:imperative" in verbs or a.question_marks > 0
    if "thanks" in a.cues and "R:done" in verbs and not contrast and not asks_more:
        f["R:thanks_done"] = 1.0
    if not _LANDMARK_WORDS.isdisjoint(a.lemmas):
        for i, lem in enumerate(a.lemmas):
            if len(lem) > 2 and is_landmark(a.lemmas, i):
                f["l:" + lem] = 1.0  # a landmark («возле школы»): the model may weigh it apart
    if laughs(a.raw):
        f["R:laugh"] = 1.0  # laughter: jokes and banter, though a sarcastic complaint laughs too
    elif _SMILE_RE.search(a.raw):
        f["R:smile"] = 1.0
    if _FORWARDED_RE.match(a.raw):
        f["R:forwarded"] = 1.0
    if NUM in a.lemmas and _ADDRESS_RE.search(a.raw):
        f["R:address"] = 1.0
    # a phone («звоните 8-…») is a spam cue but not an advertisement: residents leave their
    # number too; an ad also has an advertising word («недорого», «скидка», «продам»)
    ad_words = [
        hit
        for group in ("spam", "ad_word")
        for hit in a.cues.get(group, ())
        if _PHONE_SURFACE not in hit
    ]
    if ad_words and (PHONE in toks or URL in toks):
        f["R:spam_contact"] = 1.0
    f.update(conjunctions(a, f))
    return f


def object_score(a: Analysis) -> float:
    """The strongest topic keyword score: how clearly a municipal object or service is named."""
    return max(a.topic_scores.values(), default=0.0)


def conjunctions(a: Analysis, f: Features) -> Features:
    """Pairs a linear model cannot form by itself: what is wrong AND with which object.

    A terse report names an object and a defect («доводчик сломан»); a rhetorical question or a
    political aside asks something about no municipal object at all; a reply to a resident
    that does not turn to the authorities is conversation.
    """
    out: Features = {}
    named = object_score(a) >= OBJECT_SCORE
    civic = named or not CIVIC_WORDS.isdisjoint(a.lemmas)
    # thanks for a fixed problem names an object too, but reports nothing wrong
    resolved = "R:thanks_only" in f or ("R:past_only" in f and "thanks" in a.cues)
    problem = (
        "problem" in a.cues
        or "misconduct" in a.cues
        or "evaluation" in a.cues
        or "R:damage" in f
        or "R:neg_verb" in f
        or "persist" in a.cues  # «опять мусор», «снова без света»
    )
    question = a.asks_a_question() or a.question_marks > 0
    addressed = "authority" in a.cues or "request" in a.cues or MENTION_PAGE in a.tokens
    if named and problem and not resolved:
        out["R:object_problem"] = 1.0
    # «спасибо за очередную яму»: mock thanks for a named object is a complaint; mock thanks for
    # prices or politics («Пенсии +7%, цены +30%. Ну спасибо.») names no object: a remark
    if named and "mock_thanks" in a.cues:
        out["R:mock_thanks_object"] = 1.0
    if named and len(a.tokens) <= TERSE_TOKENS and not resolved:
        out["R:terse_object"] = 1.0
        if problem and "R:short" in f:
            # two or three words, an object and what is wrong («опять мусор», «собаки опять»):
            # weighed apart from very short texts in general, which are mostly reactions
            out["R:short_report"] = 1.0
    if question and named and "persist" in a.cues:
        # «что там по яме на Мира?», «когда уже уберут мусор?»: asking after a named problem
        out["R:followup_object"] = 1.0
    if question and civic:
        out["R:q_object"] = 1.0
    elif a.question_marks:  # «когда», «где» without a "?" are conjunctions: «когда я переходил»
        out["R:q_no_object"] = 1.0
    if "news" in a.cues and not civic:
        out["R:news_only"] = 1.0
    if "rhetoric" in a.cues and not civic:
        out["R:rhetoric_only"] = 1.0
    if "R:reply_resident" in f and not addressed:
        out["R:reply_plain"] = 1.0
    return out


_PHONE_SURFACE: Final = "[телефон]"  # how matcher.rules shows a phone number among the cue hits
_THANKS_LEMMAS: Final = frozenset({"спасибо", "благодарить", "благодарность", "молодец"})


# a feature name per topic, built once: an enum member's ``value`` is a property call
_TOPIC_FEATURES: Final = {t: "T:" + t.value for t in Topic}


def topic_features(a: Analysis) -> Features:
    return {_TOPIC_FEATURES[t]: min(score, 9.0) / 3.0 for t, score in a.topic_scores.items()}


@lru_cache(maxsize=4096)
def char_ngrams(token: str) -> tuple[str, ...]:
    """Feature names of the character 4-grams of a token padded with < and >.

    A small cache: when classifying, the model's token cache already keeps each token's sum of
    weights, and the names cost about 850 bytes a token (170 MB at the old 200,000)."""
    if token.isdigit() or len(token) < 3:
        return ()
    padded = "<" + token + ">"
    return tuple("c:" + padded[i : i + CHAR_N] for i in range(len(padded) - CHAR_N + 1))


def _has_content(lem: str) -> bool:
    """Whether a lemma carries meaning: not a number, not a stop word (no word feature, no word
    vector)."""
    return lem != NUM and lem not in _STOP


def token_features(token: str, lem: str) -> tuple[str, ...]:
    """The lexical features one token contributes: its character 4-grams and its lemma."""
    grams = char_ngrams(token)
    if not _has_content(lem):
        return grams
    return (*grams, "w:" + lem)


def bigram_features(lemmas: list[str]) -> list[str]:
    lems = [lem for lem in lemmas if lem != NUM]
    return ["b:" + left + "_" + right for left, right in itertools.pairwise(lems)]


def lexical_features(a: Analysis) -> Features:
    counts: dict[str, float] = {}
    get = counts.get
    total = 0
    lemmas = a.own_lemmas()
    for tok, lem in zip(a.own_tokens(), lemmas, strict=True):
        for key in token_features(tok, lem):
            counts[key] = get(key, 0.0) + 1.0
            total += 1
    for key in bigram_features(lemmas):
        counts[key] = get(key, 0.0) + 1.0
        total += 1
    if not total:
        return counts
    scale = LEXICAL_WEIGHT / math.sqrt(total)
    return {k: v * scale for k, v in counts.items()}


def dense_features(a: Analysis, *, emergency: bool | None = None) -> Features:
    """The rule and topic-keyword blocks.

    ``emergency``: whether matcher.urgency's rules fire (computed here when not given).  A gas
    smell or a fire reported under an official page needs an answer however it is worded; the
    model learns how much that counts against talk about an emergency elsewhere.
    """
    f = rule_features(a)
    f.update(topic_features(a))
    if emergency is None:
        emergency = assess_urgency(a).urgent
    if emergency:
        f["R:emergency"] = 1.0
    return f


def vector_rows(a: Analysis) -> Rows:
    """Rows of the content words of a comment in the word-vector table (none without it)."""
    vectors = word_vectors()
    if vectors is None:
        return NO_ROWS
    return vectors.rows(
        [
            (tok, lem)
            for tok, lem in zip(a.own_tokens(), a.own_lemmas(), strict=True)
            if _has_content(lem)
        ]
    )


def vector_row(token: str, lemma: str) -> int:
    """The table row of one word of a comment: -1 for a stop word, a number or an unknown word."""
    vectors = word_vectors()
    if vectors is None or not _has_content(lemma):
        return -1
    return vectors.row(token, lemma)


def vector_rows_each(pairs: Sequence[tuple[str, str]]) -> list[int]:
    """``vector_row`` of each (token, lemma) pair, in one pass for them all."""
    vectors = word_vectors()
    if vectors is None:
        return [-1] * len(pairs)
    wanted = [i for i, (_, lem) in enumerate(pairs) if _has_content(lem)]
    out = [-1] * len(pairs)
    for i, row in zip(wanted, vectors.rows_or_none([pairs[i] for i in wanted]), strict=True):
        out[i] = row
    return out


def vector_features(a: Analysis) -> Features:
    """The word-vector block as features ``e:0`` … ``e:299`` (matcher.vectors)."""
    vectors = word_vectors()
    block = vectors.block(vector_rows(a)) if vectors is not None else None
    if block is None:
        return {}
    return dict(zip(VECTOR_NAMES, block.tolist(), strict=True))


def extract(a: Analysis) -> Features:
    f = lexical_features(a)
    f.update(dense_features(a))
    f.update(vector_features(a))
    return f


def topic_of_feature(name: str) -> Topic | None:
    if name.startswith("T:"):
        return Topic(name[2:])
    return None
