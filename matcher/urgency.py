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
            # Water in a home, a stairwell or a switchboard; a street under water after rain is a
            # drainage complaint, not an emergency.
            "затопить|подтопить|залить|заливать|топить ~ квартира|подвал|подъезд|дом|щиток|этаж|"
            "кухня|ванная|потолок|сосед|сверху|электрощит|проводка|лифт|комната",
            "квартира|подвал|подъезд|этаж|кухня|комната ~ затопить|подтопить|залить|заливать",
            "затопление|подтопление ~ квартира|подвал|подъезд|дом|этаж",
            "потоп",
            "прорвать ~ труба|стояк|батарея|отопление",
            "труба|стояк|батарея ~ прорвать",
            "прорыв ~ труба|стояк|батарея|отопление|трубопровод|теплотрасса|водопровод",
            "труба|стояк|батарея|трубопровод|теплотрасса|водопровод ~ прорыв",
            "заливать|топить|течь|лить|литься ~ кипяток",
            "кипяток ~ с ~ потолок",
            "фонтан ~ вода|кипяток",
            "бить ~ вода|кипяток|фонтан",
            "пар ~ из ~ люк|колодец|земля|асфальт",
            "из ~ люк|колодец|земля|асфальт ~ пар|кипяток",
            "хлестать ~ вода|кипяток",
            "вода|кипяток ~ хлестать",
            "кипяток ~ подъезд|квартира|подвал|лестница|улица|дорога",
            "вода ~ щиток|электрощит|проводка",
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
            "провод ~ провисать|провиснуть|касаться|упасть",
            "провисать|провиснуть|упасть ~ провод",
            "открытый ~ щиток|электрощит|трансформатор|трансформаторный",
            "щиток|электрощит|трансформатор ~ открытый|искрить|гореть",
        ),
    ),
    "fire": (
        "пожар или дым",
        (
            "пожар",
            "гореть ~ дом|подъезд|квартира|подвал|мусоропровод|сарай|трава|лес",
            "гореть ~ бак|контейнер|мусор|машина|автомобиль|гараж|склад|баня|дача|балкон",
            "бак|контейнер|мусор|машина|автомобиль|гараж|балкон|полигон|свалка ~ гореть",
            "гореть ~ полигон|свалка",
            "подвал|подъезд|квартира|лестница ~ дым",
            "идти|валить ~ дым",
            "дым ~ идти|валить",
            "дым ~ подъезд|квартира|подвал|лестница",
            "дым ~ в ~ квартира|подъезд",
            "задымление",
            "задымить",
            "загореться",
            "возгорание",
            "пламя",
            "тлеть",
            "гореть ~ торф|лес|поле|камыш",
            # A smell of burning is a fire indoors; over a district it is air quality (ecology).
            "запах ~ гарь ~ подъезд|квартира|лестница|подвал|этаж|коридор",
            "подъезд|квартира|лестница|подвал|этаж|коридор ~ запах ~ гарь",
            "пахнуть ~ гарь|дым ~ подъезд|квартира|лестница|подвал|этаж",
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
            "провалиться ~ асфальт|дорога|грунт|земля|тротуар|пол|перекрытие",
            "асфальт|дорога|грунт|земля|тротуар|пол|перекрытие ~ провалиться",
            "провал ~ грунт|асфальт|дорога",
            # things falling from a height (roofs, facades, balconies)
            "с ~ крыша|фасад|балкон|высота ~ падать|упасть|сыпаться|лететь|свалиться|сойти",
            "падать|упасть|сыпаться|лететь|свалиться ~ с ~ крыша|фасад|балкон|высота",
            "обрушиться",
            "рухнуть",
            "открытый люк",
            "люк ~ открытый|открыть|без ~ крышка",
            "открыть ~ люк|колодец",
            "открытый ~ траншея|котлован|колодец",
            "траншея|котлован ~ открытый|открыть|не ~ огородить",
            "сломать ~ рука|нога|шея|позвоночник",
            "получить ~ травма",
            "сосулька",
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
            # An emergency tree (аварийное дерево) is a routine removal request on its own; with a
            # child or an old person beside it, it counts through "vulnerable" + "danger".
            "аварийный балкон|дом|козырек|перекрытие",
            "висеть ~ над ~ вход|тротуар|дорожка",
            "сосулька ~ над ~ вход|подъезд|тротуар",
            "глыба ~ лед|снег",
            "отравление",
            "отравиться",
            "погибнуть",
            "погиб",
            "утонуть",
            "тонуть",
            "провалиться ~ под ~ лед",
            "задавить",
            "сбить ~ человек|ребенок|пешеход|школьник",
            "трещина ~ стена|дом|потолок|перекрытие|фундамент|балкон",
            "стена|дом|потолок|перекрытие|фундамент ~ трещина",
            "падать|упасть|сыпаться|отваливаться|отвалиться ~ кирпич|плита|балкон|кусок",
            "кирпич|плита|балкон|кусок ~ падать|упасть|сыпаться|отваливаться",
            "дерево ~ упасть|падать|наклониться|накрениться|валиться|лечь ~ на",
            "дерево ~ висеть|лежать ~ на ~ провод",
            "застрять ~ в ~ лифт",
            "лифт ~ упасть|оборваться|падать",
            "без ~ сознание",
            "умирать",
            "нет|без ~ инсулин",
            "стрельба",
            "стрелять",
            "с ~ нож|оружие|пистолет|ружье",
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
    "отключить ~ свет|электричество|тепло",
    "свет|электричество ~ отключить",
    "нет ~ тепло",
    "не ~ работать ~ отопление|батарея",
    "не ~ отапливаться",
    "сидеть ~ в ~ куртка|шуба|пальто",
    "отключить ~ газ|газоснабжение",
    "газ ~ отключить",
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
    "ноябрь",
    "декабрь",
    "январь",
    "февраль",
    # life-support at home: a power cut is an emergency for its user in any weather
    "концентратор",
    "ивл",
    "аппарат ~ ивл",
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
    "онкобольной",
    "диабетик",
    "больной",
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
    "аварийный",
    "баллон",
    "костер",
    "кинуться",
    "броситься",
    "пропороть",
    "поранить",
    "пораниться",
    "порезаться",
    "торчать ~ гвоздь|болт|арматура|штырь",
    "арматура",
    "неблагополучный",
    "лифт ~ не ~ работать",
    "не ~ работать ~ лифт",
    "нет ~ лекарство|препарат|инсулин",
    "не ~ выдавать|выдать|давать ~ лекарство|препарат|инсулин",
    "избивать",
    "избить",
    "бить ~ ребенок|жена|мать",
    "драка",
    "нож",
    "наркотик",
    "пьяный",
    "без ~ ограждение",
    "не ~ огородить",
)
_FROST_RE = re.compile(r"(?:-|минус\s*)(?:[1-9]\d)\s*(?:°|град)?", re.IGNORECASE)
# A flat as cold as «в квартире 8 градусов» (below 15 °C, the norm is 18): no heating in the cold
# season, whatever words name it.
_COLD_ROOM_RE = re.compile(
    r"(?:квартир|комнат|спальн|детской)\w*[^.!?\d]{0,25}?(?<![\d+-])(\d{1,2})\s*(?:°|град\w*|гр\b)"
    r"|(?<![\d+-])(\d{1,2})\s*(?:°|град\w*|гр\b)\s+(?:в|во)\s+(?:квартир|комнат|спальн|детской)\w*",
    re.IGNORECASE,
)
# «Дети», «Радуга»: a quoted word is a name (a road sign, a school), not a person at risk.
_SPEED_BUMP_RE = re.compile(r"лежач\w*\s+полицейск", re.IGNORECASE)
_QUOTED_RE = re.compile(r"[«\"“„]([^»\"”“]{1,40})[»\"”“]")

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
    cold_room = _cold_room(a.raw)
    if cold_room:
        reasons.append(f"{_REASONS['cold']}: «{cold_room}»")
    elif "cold" in found and frost:
        what = found.get("frost") or "мороз"
        reasons.append(f"{_REASONS['cold']}: «{found['cold']}», «{what}»")
    quoted = {w for m in _QUOTED_RE.finditer(a.raw) for w in m.group(1).lower().split()}
    if "vulnerable" in found and (
        found["vulnerable"] in quoted or _SPEED_BUMP_RE.search(a.raw) is not None
    ):
        del found["vulnerable"]
    if "vulnerable" in found and ("danger" in found or reasons):
        reasons.append(f"{_REASONS['vulnerable']}: «{found['vulnerable']}»")
    return Urgency(bool(reasons), tuple(reasons))


def _cold_room(raw: str) -> str:
    """The words of «в квартире 8 градусов» when a home is below 15 °C, else ''."""
    for m in _COLD_ROOM_RE.finditer(raw):
        degrees = int(m.group(1) or m.group(2))
        if degrees < 15:
            return m.group(0).strip()
    return ""


def urgency(text: str) -> Urgency:
    """Urgency of a raw comment."""
    return assess(analyse(text))
