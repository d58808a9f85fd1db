"""Does a comment need an official answer, and on which topic?  With the reasons why.

A linear model over lemma, character and rule features (matcher.features, matcher.model) gives
the scores; a few hard rules sit on top (emoji-only, advertising with contacts).  The default
model is loaded once per process from ``matcher/data/model.json``; without that file the
hand-weighted rule model is used.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, Final

from matcher.augment import surface_variants
from matcher.features import OBJECT_SCORE, Features, dense_features, object_score
from matcher.model import (
    CORPUS_PATH,
    MODEL_PATH,
    TOPICS,
    URGENT_COLUMN,
    LabelledExample,
    Lexical,
    Model,
    rule_model,
    train,
)
from matcher.rules import Analysis, analyse, cue_label
from matcher.text import MENTION_USER, PLACEHOLDERS
from matcher.topics import TOPIC_LABELS, Topic
from matcher.urgency import assess as assess_urgency

# chosen on the development pools by cross-validation (session 27): 0.50 -> 0.55 took recall over
# 36,960 complaints 0.9795 -> 0.9765 and the real VK chatter flagged 3.20% -> 2.47%
THRESHOLD: Final = 0.55
# comments whose new words ``Matcher.classify_many`` sums at once: past a few hundred, numpy's
# per-call cost is spread thin and a batch's tokens stay a small part of the token cache
BATCH: Final = 512
REASON_CUTOFF: Final = 0.05  # a feature that moves the logit less than this is no reason to show
# The learnt urgency column wakes moderators round the clock, so it speaks only when sure.
# chosen with the balanced urgency column on leave-one-writer-out (matcher.model.C_URGENT)
URGENT_THRESHOLD: Final = 0.7
URGENT_WORDS: Final = 3
MAX_REASONS: Final = 4


TOPIC_REASON: Final = "тема: "  # how the reason naming the topic begins (replaced in a thread)
# A comment whose own topic the model gives less than this takes the topic of the post it is
# under, when the model gives the post's at least ``POST_TOPIC_SURE`` (chosen on session 23's
# comment sets with their posts before they were trained on: 0.790 -> 0.852 of their topics)
POST_TOPIC_BELOW: Final = 0.7
POST_TOPIC_SURE: Final = 0.5


@dataclass(frozen=True, slots=True)
class Classification:
    needs_answer: bool
    score: float  # 0..1 confidence that it needs an answer
    topic: Topic
    topic_score: float  # 0..1
    # a few phrases or features that drove the decision; none for a comment that needs no
    # answer when it was decided by ``Matcher.decide`` (the ingest)
    reasons: tuple[str, ...]
    urgent: bool = False  # an emergency that needs an answer (matcher.urgency)
    urgent_reasons: tuple[str, ...] = ()  # why it is urgent, in Russian
    # whether the text names a subject at all («ничего не сделали», «а сроки?» name none: a reply
    # in a complaint's thread then takes the complaint's topic, storage.ingest)
    topic_named: bool = True

    def in_thread_of(self, topic: Topic) -> Classification:
        """This reply, given the topic of the complaint whose thread it is in."""
        reasons = [r for r in self.reasons if not r.startswith(TOPIC_REASON)]
        reasons.append(f"тема из жалобы, на которую это ответ: {TOPIC_LABELS[topic]}")
        return replace(self, topic=topic, reasons=tuple(reasons))

    def under_post(self, post: Classification) -> Classification:
        """This comment read under its post (``post`` is the post's text classified): «Сколько
        по времени ремонт? До сентября закончат?» under «С 10 июня закрывается движение по
        мосту» is about the road.  A comment that names no subject, or whose own topic is
        uncertain, takes the post's topic when the post's is clear; a comment sure of its own
        topic keeps it, whatever the post is about."""
        if (
            not self.needs_answer
            or (self.topic_named and self.topic_score >= POST_TOPIC_BELOW)
            or not post.topic_named
            or post.topic_score < POST_TOPIC_SURE
            or post.topic is self.topic
        ):
            return self
        reasons = [r for r in self.reasons if not r.startswith(TOPIC_REASON)]
        reasons.append(f"тема из поста, под которым комментарий: {TOPIC_LABELS[post.topic]}")
        return replace(self, topic=post.topic, reasons=tuple(reasons))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


_FLAG_LABELS: Final[dict[str, str]] = {
    "R:qmark": "знак вопроса",
    "R:excl": "восклицания",
    "R:no_words": "нет слов (только эмодзи или знаки)",
    "R:short": "очень короткий текст",
    "R:long": "длинное сообщение",
    "R:emoji": "эмодзи",
    "R:caps": "КАПС",
    "R:phone": "номер телефона",
    "R:url": "ссылка",
    "R:obscene": "брань",
    "R:reply_resident": "ответ другому жителю",
    "R:mention_page": "упоминание страницы",
    "R:thanks_with_problem": "благодарность вместе с проблемой",
    "R:thanks_only": "только благодарность",
    "R:spam_contact": "реклама с контактами",
    "R:emergency": "сообщение об опасности",
    "R:forwarded": "пересланная новость",
    "R:advice": "совет другим жителям",
    "R:smile": "смайлик «)))»",
    "R:address": "точный адрес (улица и дом, подъезд, этаж)",
    "R:followup_object": "вопрос о том, что с названной проблемой",
    "R:greets": "приветствие в начале",
    "R:thanks_closing": "«спасибо» в конце из вежливости",
}


_QUIET_LEMMAS: Final = frozenset(
    [
        "что",
        "как",
        "так",
        "вы",
        "вас",
        "вам",
        "ваш",
        "наш",
        "мой",
        "свой",
        "весь",
        "все",
        "это",
        "этот",
        "тот",
        "там",
        "тут",
        "они",
        "она",
        "оно",
        "есть",
        "быть",
        "мочь",
        "уже",
        "еще",
        "очень",
        "просто",
        "только",
        "когда",
        "потом",
        "теперь",
        "сейчас",
        "здесь",
        "кто",
    ]
)
_FLAG_LABELS.update(
    {
        "R:imperative": "просьба в повелительной форме",
        "R:neg_verb": "что-то не сделано («не …»)",
        "R:done": "сообщение о сделанной работе",
        "R:thanks_done": "благодарность за сделанное",
        "R:laugh": "смех (шутка или перепалка)",
        "R:past_only": "сообщение о сделанном",
        "R:thanks_but": "благодарность с «но»",
        "R:damage": "сообщение о поломке («упал», «сорвало», «появилась»)",
        "R:object_problem": "назван объект и что с ним не так",
        "R:terse_object": "короткое сообщение об объекте",
        "R:q_object": "вопрос об объекте или услуге",
        "R:short_report": "два-три слова: объект и что с ним не так",
        "R:q_no_object": "вопрос ни о каком объекте или услуге",
        "R:news_only": "разговор о новостях и политике",
        "R:rhetoric_only": "риторический вопрос",
        "R:reply_plain": "ответ другому жителю, не власти",
        "R:mock_thanks_object": "насмешливое «спасибо» за названный объект",
    }
)


def _describe(name: str, a: Analysis) -> str | None:
    kind, _, key = name.partition(":")
    if kind == "R":
        group_surfaces = a.cues.get(key)
        if group_surfaces:
            return f"{cue_label(key)}: «{group_surfaces[0]}»"
        return _FLAG_LABELS.get(name)
    if kind == "w":
        if len(key) < 4 or key in _QUIET_LEMMAS or key in PLACEHOLDERS:
            return None  # «ттел», «ччисло» stand for a phone or a number, not a word
        for tok, lem in zip(a.tokens, a.lemmas, strict=True):
            if lem == key:
                typed = a.misspelt.get(tok)
                return f"слово «{tok}»" if typed is None else f"слово «{typed}» (как «{tok}»)"
        return None
    if kind == "b":
        left, _, right = key.partition("_")
        for i in range(len(a.lemmas) - 1):
            if a.lemmas[i] == left and a.lemmas[i + 1] == right:
                return f"фраза «{a.tokens[i]} {a.tokens[i + 1]}»"
        return None
    return None  # character n-grams and topic scores are not shown as such


def _described(
    a: Analysis, contributions: Iterable[tuple[float, str]], limit: int, sign: float = 1.0
) -> list[str]:
    """The readable names of the features that pushed most (above the cut-off) in the
    direction of ``sign``, strongest first, each once: what reasons and the learnt urgency
    show people."""
    # (-push, name) sorts strongest first and ties by name, with no key function to call
    ranked = [(-push, name) for c, name in contributions if (push := c * sign) > REASON_CUTOFF]
    ranked.sort()
    out: list[str] = []
    for _, name in ranked:
        if len(out) >= limit:
            break
        text = _describe(name, a)
        if text is not None and text not in out:
            out.append(text)
    return out


def _needs_reasons(
    model: Model, dense: Features, lexical: Lexical, a: Analysis, positive: bool
) -> list[str]:
    contributions = model.needs_contributions(a, dense, lexical)
    return _described(a, contributions, MAX_REASONS - 1, 1.0 if positive else -1.0)


def _learnt_urgency_reason(model: Model, dense: Features, lexical: Lexical, a: Analysis) -> str:
    """Why the learnt urgency column fired: the words that pushed it most, for people to check."""
    contributions = model.needs_contributions(a, dense, lexical, column=URGENT_COLUMN)
    words = _described(a, contributions, URGENT_WORDS)
    return "похоже на срочное: " + ", ".join(words) if words else "похоже на срочное"


def _topic_reason(topic: Topic, a: Analysis) -> str:
    hits = a.topic_hits.get(topic)
    if hits:
        words = ", ".join(f"«{h}»" for h in hits[:2])
        return f"{TOPIC_REASON}{words} → {TOPIC_LABELS[topic]}"
    return f"{TOPIC_REASON}{TOPIC_LABELS[topic]}"


def forced_reason(a: Analysis, dense: Features) -> str | None:
    """The hard rules that override the model: no words at all, or an advertisement."""
    if not a.has_words:
        return "нет слов (только эмодзи или знаки)"
    reported = (
        "problem" in a.cues
        or a.asks_a_question()
        or "request" in a.cues
        or "misconduct" in a.cues
        or "persist" in a.cues
        or "R:object_problem" in dense
    )
    if ("R:spam_contact" in dense or a.count("spam") >= 3) and not reported:
        return "реклама"
    return None


ASKED_PAGE_SCORE: Final = 0.9
ASKED_PAGE_REASON: Final = "вопрос в ответ на комментарий страницы"
ASKS_AFTER_REASON: Final = "вопрос о ходе дела по названной проблеме"
# «что там по яме», «что там с лифтом», «есть ли новости по мусору», «какие новости о ремонте»
_ASKS_AFTER_RE: Final = re.compile(
    r"\bчто там (?:по|с|со)\b|\b(?:есть (?:ли )?|какие )новост\w* (?:по|о|об|про)\b"
)


def raised_reason(a: Analysis, forced: str | None) -> str | None:
    """A question in a reply to the page's own comment («[club1|Администрация], а сроки?», «…, вы
    сами-то там были?») is asked of the authority, however it is worded: the page answers it
    (unless a hard rule such as an advertisement overrode the model).  So is a question after a
    named problem («что там по яме на Мира?», «есть новости по лифту?»): few residents write
    one, so the model alone weighs «новости» and «что там» as the talk under news they are
    elsewhere."""
    if forced is not None or not a.question_marks:
        return None
    if a.replies_to_page():
        return ASKED_PAGE_REASON
    if (
        _ASKS_AFTER_RE.search(a.normalized)
        and object_score(a) >= OBJECT_SCORE
        and "chatter" not in a.cues
        and MENTION_USER not in a.tokens
    ):
        return ASKS_AFTER_REASON
    return None


def describe_feature(name: str, a: Analysis) -> str | None:
    """A feature as a moderator reads it (None for character n-grams and unknown words)."""
    return _describe(name, a)


class Matcher:
    """Holds a model and classifies comments with it."""

    __slots__ = ("model", "threshold")

    def __init__(self, model: Model, *, threshold: float = THRESHOLD) -> None:
        self.model = model
        self.threshold = threshold

    @classmethod
    def default(cls) -> Matcher:
        """The shipped weights, or the hand-weighted rule model if they are missing."""
        if MODEL_PATH.exists():
            return cls(Model.load(MODEL_PATH))
        return cls(rule_model())

    @classmethod
    def rules_only(cls) -> Matcher:
        return cls(rule_model())

    @classmethod
    def from_corpus(
        cls,
        extra: Sequence[LabelledExample] = (),
        *,
        corpus: Path = CORPUS_PATH,
        splits: Iterable[str] = ("train",),
    ) -> Matcher:
        """Train on the shipped corpus plus extra labelled examples (e.g. moderators' marks)."""
        if corpus == CORPUS_PATH:
            examples = load_training(splits=splits)
        else:
            examples = load_corpus(corpus, splits=splits)
        return cls(train([*examples, *extra]))

    def classify(self, text: str, *, explain_all: bool = True) -> Classification:
        """The decision on one comment, with its reasons.

        ``explain_all=False`` (``decide``) leaves the reasons of a comment that needs no answer
        empty: a fifth of the work on such a comment, and nobody reads them."""
        return self._classify(analyse(text), explain_all)

    def _classify(self, a: Analysis, explain_all: bool) -> Classification:
        emergency = assess_urgency(a)
        dense = dense_features(a, emergency=emergency.urgent)
        scores, lexical = self.model.analysis_logits(a, dense)
        values = scores.tolist()
        p = _sigmoid(values[0])
        logits = values[1:URGENT_COLUMN]
        top = max(logits)
        t_idx = logits.index(top)
        topic = TOPICS[t_idx]
        topic_score = 1.0 / sum(math.exp(x - top) for x in logits)

        forced = forced_reason(a, dense)
        if forced is not None:
            p = min(p, 0.02)
        raised = raised_reason(a, forced)
        if raised is not None:
            p = max(p, ASKED_PAGE_SCORE)
        needs = p >= self.threshold
        reasons: list[str]
        if forced is not None:
            reasons = [forced]
        elif not needs and not explain_all:
            reasons = []
        else:
            reasons = _needs_reasons(self.model, dense, lexical, a, needs)
            if raised is not None:
                reasons.insert(0, raised)
            if not reasons:
                reasons = ["нет признаков обращения"] if not needs else ["общий тон текста"]
        if not a.has_words:
            topic, topic_score = Topic.OTHER, 1.0
        if needs or explain_all:
            reasons.append(_topic_reason(topic, a))
        urgent_reasons: tuple[str, ...] = ()
        if needs:
            urgent_reasons = emergency.reasons
            learnt = _sigmoid(values[URGENT_COLUMN]) if len(values) > URGENT_COLUMN else 0.0
            if not urgent_reasons and learnt >= URGENT_THRESHOLD:
                urgent_reasons = (_learnt_urgency_reason(self.model, dense, lexical, a),)
        return Classification(
            needs_answer=needs,
            score=round(p, 4),
            topic=topic,
            topic_score=round(topic_score, 4),
            reasons=tuple(reasons),
            urgent=bool(urgent_reasons),
            urgent_reasons=urgent_reasons,
            topic_named=bool(a.topic_scores),
        )

    def decide(self, text: str) -> Classification:
        """What the ingest needs of a comment: the decision, its topic and urgency, and the
        reasons only when it needs an answer (they go on the card); ``otklik classify`` and
        ``--explain`` give every comment its reasons."""
        return self.classify(text, explain_all=False)

    def classify_many(
        self, texts: Iterable[str], *, explain_all: bool = True
    ) -> list[Classification]:
        """``classify`` of each text, the same decisions; words the model meets for the first
        time are summed ``BATCH`` comments at a time (``Model.prefill``), not one by one."""
        out: list[Classification] = []
        it = iter(texts)
        while chunk := list(islice(it, BATCH)):
            analyses = [analyse(t) for t in chunk]
            self.model.prefill(analyses)
            out.extend(self._classify(a, explain_all) for a in analyses)
        return out


def load_corpus(
    path: Path = CORPUS_PATH, *, splits: Iterable[str] = ("train",)
) -> list[LabelledExample]:
    wanted = set(splits)
    out: list[LabelledExample] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            if row["split"] not in wanted:
                continue
            out.append(
                labelled_example(
                    row,
                    topic_only=path in TOPIC_ONLY_PATHS,
                    weight=training_weight(path),
                )
            )
    return out


def labelled_example(
    row: dict[str, Any], *, topic_only: bool = False, weight: float = 1.0
) -> LabelledExample:
    """One row of a data set (matcher/data/README.md) as a training example."""
    return LabelledExample(
        weight=weight,
        text=row["text"],
        needs_answer=bool(row["needs_answer"]),
        topic=Topic(row["topic"]) if row.get("topic") else None,
        urgent=row["urgent"] if isinstance(row.get("urgent"), bool) else None,
        topic_only=topic_only,
    )


def load_synthetic(*, splits: Iterable[str] = ("train",)) -> list[LabelledExample]:
    """The synthetic sets: the corpus and the varied set."""
    out = load_corpus(CORPUS_PATH, splits=splits)
    if VARIED_PATH.exists():
        out.extend(load_corpus(VARIED_PATH, splits=splits))
    return out


VARIED_PATH: Final = CORPUS_PATH.parent / "varied.jsonl"
# The ``train`` rows of the real sets and of every other author's set in second_author/ (their
# ``heldout`` rows are never trained on; matcher/data/README.md).
REAL_TRAIN_PATHS: Final = (
    CORPUS_PATH.parent / "real" / "vk_news_comments.jsonl",
    CORPUS_PATH.parent / "real" / "kz_akimat_complaints.jsonl",
    *sorted((CORPUS_PATH.parent / "second_author").glob("*.jsonl")),
)
# Real text and other writers count twice: the synthetic sets hold twice as many rows in one
# author's style.  Chosen with ``bench.matcher_cv --leave-set-out`` (each writer judged by a model
# that never read them): topic 0.863 -> 0.868 exact, chatter flagged lower on most sets, recall
# the same; three times cost recall (a region's appeals 0.980 -> 0.967).
OTHER_WRITERS_WEIGHT: Final = 2.0
# Sets that teach the topic only: all their rows need an answer by design.
TOPIC_ONLY_PATHS: Final = frozenset({CORPUS_PATH.parent / "second_author" / "topics.jsonl"})
# Comments under news pages, where nobody has to answer: a rant about a broken lift there is talk,
# under an official page it is a complaint.  They teach silence at the synthetic sets' weight, not
# twice as much (at 2x the sarcastic «Спасибо УК за ледяные батареи» of an official page was lost).
NEWS_PAGE_PATHS: Final = frozenset(
    path
    for pattern in ("news_chatter*.jsonl", "news_threads*.jsonl")
    for path in (CORPUS_PATH.parent / "second_author").glob(pattern)
)


def training_weight(path: Path) -> float:
    """How much one row of a data set counts in training."""
    weighs_more = path in REAL_TRAIN_PATHS and path not in NEWS_PAGE_PATHS
    return OTHER_WRITERS_WEIGHT if weighs_more else 1.0


def load_training(*, splits: Iterable[str] = ("train",)) -> list[LabelledExample]:
    """Everything the shipped model is trained on: the corpus, the varied synthetic set and the
    training part of the real sets (their ``heldout`` rows are never included), with the surface
    variants of the real and other writers' rows (matcher.augment)."""
    wanted = [s for s in splits if s != "heldout"]
    out = load_synthetic(splits=wanted)
    real: list[LabelledExample] = []
    for path in REAL_TRAIN_PATHS:
        if path.exists():
            real.extend(load_corpus(path, splits=[s for s in wanted if s == "train"]))
    return out + real + surface_variants(real)


@lru_cache(maxsize=1)
def default_matcher() -> Matcher:
    return Matcher.default()


def classify(text: str) -> Classification:
    """Classify one comment with the process-wide default model."""
    return default_matcher().classify(text)


def decide(text: str) -> Classification:
    """``Matcher.decide`` with the process-wide default model (the ingest's)."""
    return default_matcher().decide(text)
