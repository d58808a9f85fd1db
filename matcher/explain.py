"""Why the matcher decided what it did: the rules, cue words and weighted features of one text.

Used by ``otklik classify --explain`` so that a moderator's «не жалоба» (or a missed complaint)
can be traced to its cause: a cue group that fired on the wrong word, a rule flag, a word the
model weighs against complaints, a topic keyword.  Pure: a text in, a JSON-ready dict out.
"""

from __future__ import annotations

from typing import Any

from matcher.classifier import (
    _FLAG_LABELS,
    Matcher,
    describe_feature,
    forced_reason,
    raised_reason,
)
from matcher.features import dense_features
from matcher.model import URGENT_COLUMN
from matcher.rules import analyse, cue_label
from matcher.urgency import assess

TOP = 6


def explain(matcher: Matcher, text: str) -> dict[str, Any]:
    """Cue groups with the words that fired them, rule flags, the hard rule that overrode the
    model (if any), the features that pushed the score up and down, topic keyword scores and
    the urgency cues."""
    a = analyse(text)
    dense = dense_features(a)
    model = matcher.model
    logits, lexical = model.analysis_logits(a, dense)
    contributions = model.needs_contributions(a, dense, lexical)
    named: list[tuple[float, str]] = []
    for value, name in contributions:
        label = describe_feature(name, a) or name
        named.append((round(value, 3), f"{label} [{name}]"))
    # ties (equal rounded weights) by name, so the same text is always explained alike
    up = sorted((x for x in named if x[0] > 0), key=lambda x: (-x[0], x[1]))[:TOP]
    down = sorted((x for x in named if x[0] < 0), key=lambda x: (x[0], x[1]))[:TOP]
    flags = sorted(
        _FLAG_LABELS.get(name, name)
        for name in dense
        if name.startswith("R:") and name[2:] not in a.cues
    )
    urgency = assess(a)
    forced = forced_reason(a, dense)
    from_vectors = model.vector_logits(a)
    return {
        "cues": {cue_label(group): words for group, words in sorted(a.cues.items())},
        "rules": flags,
        "forced": forced,
        # a question in a reply to the page's comment needs an answer whatever the model says
        "raised": raised_reason(a, forced),
        "needs_logit": round(float(logits[0]), 3),
        "bias": round(float(model.bias[0]), 3),
        "for": [{"feature": f, "weight": w} for w, f in up],
        "against": [{"feature": f, "weight": w} for w, f in down],
        # the meaning of the words as a whole (word vectors): not one word, so not in "for"
        "word_vectors": None if from_vectors is None else round(float(from_vectors[0]), 3),
        "topic_keywords": {
            t.value: {"score": round(s, 2), "words": a.topic_hits.get(t, [])[:4]}
            for t, s in sorted(a.topic_scores.items(), key=lambda x: -x[1])
        },
        "urgency_cues": list(urgency.reasons),
        # the learnt urgency column (matcher.model.URGENT_COLUMN), when the model has one
        "urgency_logit": round(float(logits[URGENT_COLUMN]), 3) if model.has_urgency else None,
    }
