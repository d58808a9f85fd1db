"""Is a complaint an emergency?  A pure function of the text, with the reasons in Russian.

product.md §2 step 2: danger to life or health, no heating in frost, gas smell, flooding,
sparking wires, a child or a vulnerable person at risk.  Such a complaint gets its own short
clock round the clock and the moderators are told at once (that part lives outside the matcher).

The rules are cue phrases on lemmas (the same matcher as matcher.rules), in groups; a group fires
on its own («пахнет газом»), or only together with a condition (no heating counts only with frost
or with children; a child counts only together with a danger).  Every fired group gives a reason
a moderator can check against the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from matcher.rules import Analysis, PhraseIndex, analyse

# group -> (reason shown to people, cue phrases).  Phrases as in matcher.lexicon.
_ALONE: dict[str, tuple[str, tuple[str, ...]]] = {
    "gas": (
        "запах газа",
        (
            "запах ~ газ",
            "пахнуть ~ газ",
            "вонять ~ газ",
            "утечка ~ газ",
            "газ ~ пахнуть|утечка|травить|идти",
            "травить ~ газ",
        ),
    ),
    "flood": (
        "затопление",
        (
            "затопить",
            "топить ~ сверху|соседи|квартира|подъезд|подвал",
            "потоп",
            "прорвать ~ труба|стояк|батарея|отопление",
            "труба|стояк|батарея ~ прорвать",
            "хлестать ~ вода|кипяток",
            "вода|кипяток ~ хлестать",
            "кипяток ~ подъезд|квартира|подвал|лестница|улица|дорога",
            "заливать ~ квартира|щиток|проводка|электрощит",
            "вода ~ щиток|электрощит|проводка",
            "подтопить",
            "подтопление",
        ),
    ),
    "wires": (
        "искрят или оголены провода",
        (
            "искрить",
            "оголенный ~ провод",
            "провод ~ оголенный|оборвать|висеть|лежать|искрить|на земля",
            "оборвать ~ провод",
            "короткий замыкание",
            "замыкание",
            "гореть ~ щиток|проводка|электрощит",
            "щиток|проводка|электрощит ~ гореть|дымиться",
            "бить ~ ток",
            "удар ~ ток",
        ),
    ),
    "fire": (
        "пожар или дым",
        (
            "пожар",
            "гореть ~ дом|подъезд|квартира|подвал|мусоропровод|сарай|трава|лес",
            "дым ~ подъезд|квартира|подвал|лестница",
            "задымление",
            "задымить",
            "запах ~ гарь",
        ),
    ),
    "life": (
        "угроза жизни или здоровью",
        (
            "угроза ~ жизнь",
            "угрожать ~ жизнь",
            "опасно ~ для ~ жизнь",
            "опасный ~ для ~ жизнь",
            "угроза ~ здоровье",
            "может ~ убить",
            "мочь ~ убить",
            "упасть ~ на ~ голова",
            "на ~ голова ~ упасть",
            "обрушение",
            "обрушиться",
            "рухнуть",
            "открытый люк",
            "люк ~ открытый|без ~ крышка",
            "провалиться ~ в ~ люк|яма",
            "застрять ~ лифт",
            "в ~ лифт ~ застрять",
            "скорая ~ не ~ приехать|ехать",
            "не ~ приехать ~ скорая",
            "человек ~ без ~ сознание",
            "истекать ~ кровь",
            "напасть",
            "нападать",
            "покусать",
            "укусить",
            "кидаться ~ на ~ человек|ребенок|дети",
            "угрожать ~ нож|оружие",
            "аварийный ~ дерево|балкон|дом|козырек",
            "висеть ~ над ~ вход|тротуар|дорожка",
            "сосулька ~ над ~ вход|подъезд|тротуар",
            "глыба ~ лед|снег",
            "отравление",
            "отравиться",
        ),
    ),
}
# No heating (or cold flats) is urgent in frost or with small children, the old or the ill.
_COLD = (
    "нет ~ отопление",
    "без ~ отопление",
    "отключить ~ отопление",
    "отопление ~ отключить|не ~ работать",
    "батарея ~ холодный|ледяной",
    "холодный ~ батарея",
    "не ~ топить",
    "не ~ греть",
    "холодно ~ квартира",
    "в ~ квартира ~ холодно",
    "мерзнуть",
    "замерзать",
    "нет ~ свет|электричество",
    "без ~ свет|электричество",
)
_FROST = (
    "мороз",
    "морозный",
    "минус",
    "холод",
    "зима",
    "ночь",
    "ребенок",
    "дети",
    "малыш",
    "младенец",
    "грудной",
    "пожилой",
    "старик",
    "лежачий",
    "инвалид",
    "больной",
)
# A vulnerable person: urgent only when the text also says there is a danger.
_VULNERABLE = (
    "ребенок",
    "дети",
    "детский",
    "малыш",
    "младенец",
    "школьник",
    "пожилой",
    "бабушка",
    "дедушка",
    "пенсионерка",
    "пенсионер",
    "старик",
    "инвалид",
    "колясочник",
    "лежачий",
    "беременный",
)
_DANGER = (
    "опасно",
    "опасный",
    "опасность",
    "угроза",
    "угрожать",
    "травма",
    "травмироваться",
    "покалечиться",
    "упасть",
    "падать",
    "сбить",
    "чуть не",
    "чуть ~ не",
    "кидаться",
    "нападать",
    "покусать",
    "укусить",
    "стая",
    "без ~ присмотр",
    "один ~ дома",
    "заперт",
    "голодать",
    "плакать",
    "страшно",
)
_FROST_RE = re.compile(r"(?:-|минус\s*)(?:[1-9]\d)\s*(?:°|град)?", re.IGNORECASE)

_REASONS = {
    "cold": "нет отопления или света в холод",
    "vulnerable": "опасность для ребёнка, пожилого или инвалида",
}


@dataclass(frozen=True, slots=True)
class Urgency:
    urgent: bool
    reasons: tuple[str, ...]  # Russian phrases with the words that fired, for people to check


@lru_cache(maxsize=1)
def _index() -> PhraseIndex:
    pairs: list[tuple[str, str]] = []
    for key, (_, phrases) in _ALONE.items():
        pairs.extend((key, p) for p in phrases)
    pairs.extend(("cold", p) for p in _COLD)
    pairs.extend(("frost", p) for p in _FROST)
    pairs.extend(("vulnerable", p) for p in _VULNERABLE)
    pairs.extend(("danger", p) for p in _DANGER)
    return PhraseIndex(pairs)


def assess(a: Analysis) -> Urgency:
    """Urgency of an analysed comment (matcher.rules.analyse)."""
    found: dict[str, str] = {}
    for key, start, end in _index().find(a.tokens, a.lemmas):
        found.setdefault(key, " ".join(a.tokens[start:end]))
    reasons: list[str] = []
    for key, (label, _) in _ALONE.items():
        if key in found:
            reasons.append(f"{label}: «{found[key]}»")
    frost = "frost" in found or _FROST_RE.search(a.raw) is not None
    if "cold" in found and frost:
        what = found.get("frost") or "мороз"
        reasons.append(f"{_REASONS['cold']}: «{found['cold']}», «{what}»")
    if "vulnerable" in found and ("danger" in found or reasons):
        reasons.append(f"{_REASONS['vulnerable']}: «{found['vulnerable']}»")
    return Urgency(bool(reasons), tuple(reasons))


def urgency(text: str) -> Urgency:
    """Urgency of a raw comment."""
    return assess(analyse(text))
