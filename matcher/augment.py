"""Surface variants of training rows: the same message opened with a greeting or closed with
thanks or a signature.

Residents write «Здравствуйте! …» and «… Заранее спасибо.» under complaints and under thanks
alike; the writers' rows show the formulas only where their authors happened to use them, mostly
after thanks for work done, so the model learnt a closing «Спасибо.» as thanks (matcher/data/
README.md «Session 28»).  ``matcher.rules.formula_span`` keeps the formulas out of the words the
model reads and marks them with a flag of their own; these variants teach the flag's weight
from both classes.  Each keeps its row's label; a fixed share of rows (by a stable hash of the
text) gets each, so training stays deterministic.  Emoji, capitals, typos and dropped
punctuation were tried as variants too and left out: emoji and capitals are evidence of chatter
in real comments, and typos cost more clean decisions than they saved.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Callable, Iterable

from matcher.model import LabelledExample

_CLOSINGS = (
    "Спасибо.",
    "Спасибо!",
    "Заранее спасибо.",
    "спасибо",
    "Благодарю.",
    "Заранее благодарю!",
    "С уважением.",
    "Спасибо большое",
)
_GREETINGS = ("Здравствуйте! ", "Добрый день. ", "Здравствуйте, ", "Добрый вечер! ")
_MENTION_RE = re.compile(r"\[(?:id|club|public)\d+\|")
_CLOSED_RE = re.compile(r"спасиб|благодар|уважением", re.IGNORECASE)  # closed already
_GREETING_RE = re.compile(r"^\W*(?:здравствуй|добр|привет)", re.IGNORECASE)


def _close(text: str, seed: int) -> str | None:
    if _CLOSED_RE.search(text):
        return None
    return text.rstrip() + " " + _CLOSINGS[seed % len(_CLOSINGS)]


def _greet(text: str, seed: int) -> str | None:
    if _MENTION_RE.search(text) or _GREETING_RE.search(text):
        return None  # a reply to a resident starts with the name
    return _GREETINGS[seed % len(_GREETINGS)] + text


# (name, variant, one row in how many gets it)
VARIANTS: tuple[tuple[str, Callable[[str, int], str | None], int], ...] = (
    ("closing", _close, 8),
    ("greeting", _greet, 12),
)


def surface_variants(examples: Iterable[LabelledExample]) -> list[LabelledExample]:
    """The variants of ``examples`` (not the examples themselves), each with its row's label."""
    out: list[LabelledExample] = []
    for example in examples:
        for name, variant, one_in in VARIANTS:
            seed = zlib.crc32(f"{name}\x00{example.text}".encode())
            if seed % one_in:
                continue
            text = variant(example.text, seed // one_in)
            if text is not None:
                out.append(dataclasses.replace(example, text=text))
    return out
