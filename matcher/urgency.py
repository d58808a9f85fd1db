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

from matcher.rules import Analysis, analyse

# group -> (reason shown to people, cue phrases).  Phrases as in matcher.lexicon.
_ALONE: dict[str, tuple[str, tuple[str, ...]]] = {
    "gas": (
        "запах газа",
        (
            "запах ~ газ",
            "пахнуть ~ газ",
            "вонять ~ газ",
            "утечка ~ газ",
            "газ ~ пахнуть|утечка|травить|идти|тянуть|вонять",
            "травить ~ газ",
            "порвать|повредить|пробить ~ газовый ~ труба",
            "газопровод ~ повредить|порвать|пробить",
            "повредить|порвать|пробить ~ газопровод",
            "тянуть ~ газ",
            "вонь ~ газ",
        ),
    ),
    "flood": (
        "затопление",
        (
            # Water in a home, a stairwell or a switchboard; a street under water after rain is a
            # drainage complaint, not an emergency.
            "затопить|подтопить|заливать|топить ~ квартира|подвал|подъезд|дом|щиток|этаж|"
            "кухня|ванная|потолок|сосед|сверху|электрощит|проводка|лифт|комната",
            "квартира|подвал|подъезд|этаж|кухня|комната ~ затопить|подтопить|заливать",
            "затопление|подтопление ~ квартира|подвал|подъезд|дом|этаж",
            "потоп",
            "прорвать ~ труба|стояк|батарея|отопление",
            "труба|стояк|батарея ~ прорвать",
            "прорыв ~ труба|стояк|батарея|отопление|трубопровод|теплотрасса|водопровод",
            "труба|стояк|батарея|трубопровод|теплотрасса|водопровод ~ прорыв",
            "заливать|топить|течь|лить|литься ~ кипяток",
            "кипяток ~ с ~ потолок",
            "фонтан ~ вода|кипяток",
            "бить кипяток|фонтан|струя",
            "вода|кипяток ~ бить ~ из|фонтан",
            "пар ~ из ~ люк|колодец|земля|асфальт",
            "из ~ люк|колодец|земля|асфальт ~ пар|кипяток",
            "хлестать ~ вода|кипяток",
            "вода|кипяток ~ хлестать",
            "кипяток ~ подъезд|квартира|подвал|лестница|улица|дорога",
            "вода ~ щиток|электрощит|проводка",
            "вода ~ в ~ щиток|электрощит|электрощиток|розетка|проводка",
            "течь|литься|капать|бежать ~ в|из ~ щиток|электрощит|электрощиток|розетка",
            "кипяток ~ течь|литься|хлестать|бить",
            "хлестать ~ с|из ~ потолок|труба|стояк|батарея",
            "с ~ потолок ~ хлестать|лить|литься",
            "лопнуть ~ батарея|труба|стояк",
            "батарея|труба|стояк ~ лопнуть",
            "разморозить ~ система|отопление|батарея|труба",
            "подтапливать|затапливать ~ квартира|подвал|дом|этаж|подъезд",
            "квартира|подвал|дом|этаж|подъезд ~ подтапливать|затапливать",
            "подвал|подъезд ~ вода ~ стоять|по",
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
            "гореть ~ щиток|проводка|электрощит|розетка|выключатель",
            "щиток|проводка|электрощит|розетка|выключатель ~ гореть|дымиться|плавиться",
            "искра ~ из ~ щиток|розетка|электрощит|проводка",
            "бить ~ ток",
            "удар ~ ток",
            "провод ~ провисать|провиснуть|касаться|упасть|свисать|порваться|голый",
            "провисать|провиснуть|упасть|свисать|порваться ~ провод",
            "голый ~ провод|контакт|проводка",
            "контакт|проводка ~ голый",
            "открытый ~ щиток|электрощит|трансформатор|трансформаторный",
            "щиток|электрощит|электрощиток|трансформатор ~ открытый|открыть|искрить|гореть",
            "провод ~ наружу",
            "провод|проводка|кабель ~ торчать",
            "торчать ~ провод|проводка|кабель",
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
            "дым ~ из ~ щитовая|подвал|окно|вентиляция|квартира|подъезд",
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
            "горелый ~ щиток|проводка|электрощит|подъезд|этаж|квартира",
            "щиток|проводка|электрощит ~ горелый",
            "огонь ~ видно|видный|перекинуться|подбираться|подходить",
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
            "провал ~ грунт",
            # things falling from a height (roofs, facades, balconies)
            "с ~ крыша|фасад|балкон|высота ~ падать|упасть|сыпаться|лететь|свалиться|сойти",
            "падать|упасть|сыпаться|лететь|свалиться ~ с ~ крыша|фасад|балкон|высота",
            "обрушиться",
            "рухнуть",
            "открытый люк",
            "люк ~ открытый|открыть",
            "люк|колодец ~ без ~ крышка",
            "нет ~ крышка ~ на ~ люк|колодец",
            "раскопать ~ и ~ не ~ огородить",
            "столб ~ наклониться|накрениться|падать|шататься",
            "бешеный ~ собака|лиса|кошка|пес",
            "пена ~ изо ~ рот",
            "обвалиться",
            "скорая ~ не ~ мочь ~ проехать|подъехать|найти|пробраться",
            "кончиться|закончиться ~ лекарство|еда|продукт",
            "открыть ~ люк|колодец|шахта",
            "шахта ~ открытый|открыть",
            "открытый ~ траншея|котлован|колодец",
            "траншея|котлован ~ открытый|открыть",
            "траншея|котлован ~ не ~ огородить",
            "сломать ~ рука|нога|шея|позвоночник",
            "получить ~ травма",
            "сосулька",
            "провалиться ~ в ~ люк|яма",
            "застрять ~ лифт",
            "лифт ~ встать|остановиться|застрять ~ между",
            "застрять ~ между ~ этаж",
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
            "аварийный балкон|козырек|перекрытие",
            "висеть ~ над ~ вход|тротуар|дорожка",
            "сосулька ~ над ~ вход|подъезд|тротуар",
            "глыба ~ лед|снег",
            "отравление",
            "отравиться",
            "мочь ~ погибнуть",
            "может ~ погибнуть",
            "утонуть",
            "тонуть",
            "провалиться ~ под ~ лед",
            "задавить",
            "сбить ~ человек|ребенок|пешеход|школьник",
            # a crack in a load-bearing part (a crack in plaster is a repair request)
            "трещина ~ несущий|перекрытие|фундамент|балкон",
            "несущий ~ стена ~ трещина",
            "перекрытие|фундамент ~ трещина",
            "падать|упасть|сыпаться|отваливаться|отвалиться ~ кирпич|плита|балкон|кусок",
            "кирпич|плита|балкон|кусок ~ падать|упасть|сыпаться|отваливаться",
            "дерево ~ упасть|падать|наклониться|накрениться|валиться|лечь ~ на",
            "дерево ~ висеть|лежать ~ на ~ провод",
            "дерево|тополь|береза|ветка ~ качаться|трещать",
            "вот-вот ~ упасть|рухнуть|обрушиться|обвалиться",
            "дерево|береза|тополь ~ треснуть|клониться",
            "клониться ~ в ~ сторона",
            "мост ~ провалиться|обрушиться|рухнуть|обвалиться",
            "погнаться|гнаться|бросаться|кидаться ~ за",
            "свисать ~ над",
            "снежный ~ карниз|навес|шапка",
            "карниз ~ из ~ снег|лед",
            "сорвать ~ лист|кровля|железо|шифер",
            "лист ~ железо|шифер|кровля ~ болтаться|висеть|свисать",
            "рука|нога ~ сломать",
            "шприц ~ площадка|песочница|двор",
            "перекрытие ~ сыпаться|обваливаться|обвалиться|рушиться",
            "край ~ крыша",
            "болтаться ~ над",
            "выпасть ~ стекло|окно|рама",
            "стекло|окно|рама ~ выпасть",
            "трещина ~ расти|увеличиваться",
            "судорога",
            "сосуля",
            "скорая ~ ждать|час|нет",
            "ждать ~ скорая",
            "размахивать",
            "нечем ~ колоть",
            "инсулин ~ нет|закончиться|кончаться",
            "закончиться ~ инсулин",
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
    "отопление ~ отключить",
    "отопление ~ не ~ работать",
    "батарея ~ холодный|холодное|ледяной",
    "холодный|холодное ~ батарея",
    "холод ~ в ~ квартира|дом|комната|палата|класс|группа",
    "в ~ квартира|дом|комната ~ холодно",
    "холодно ~ в ~ квартира|дом|комната",
    "котельная ~ встать|остановиться|сломаться|отключить",
    "печка ~ не ~ работать",
    "батарея|отопление ~ нет",
    "пар ~ изо ~ рот",
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
    "газ ~ нет",
    "остывать",
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
    "малыш",
    "младенец",
    "школьник",
    "девочка",
    "мальчик",
    "грудничок",
    "новорожденный",
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
    "онкология",
    "диабетик",
    "больной",
)
_DANGER = (
    "опасно",
    "опасный",
    "опасность",
    "чуть не",
    "чуть ~ не",
    "угроза",
    "угрожать",
    "травма",
    "травмироваться",
    "покалечиться",
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
    "не ~ выписывать|выписать ~ обезболивающее|лекарство|препарат",
    "обезболивающее",
    "один ~ ходить|гулять|стоять|сидеть|остаться",
    "чей",
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
    "заброшенный",
    "заброшка",
    "шприц",
    "лекарство|продукт|инсулин ~ нет",
)
# Pairs of groups that count only together, anywhere in the text: burning and smoke («полигон у
# Петровки опять горит, дым до города»), a wire and its fault («провод от столба порвался и лежит
# на заборе»), a child or an old person and frost («девочка стоит у закрытой школы, -20»).
_TOGETHER = {
    "burn": ("гореть", "горящий", "пылать"),
    # a smell of burning over a district is air quality (ecology), not a fire
    "smoke": ("дым", "задымление"),
    # smoke pouring out of somewhere is a fire, unless a chimney or a plant is named (ecology)
    "smoke_rising": ("дым ~ идти|валить|повалить|стоять", "идти|валить|повалить ~ дым"),
    "chimney": ("труба", "завод", "котельная", "тэц", "предприятие", "комбинат"),
    "wire": ("провод", "проводка", "кабель"),
    # «газ!! кв 17 запах на всю лестницу», «газовая плита у соседа — запах»
    "gas_word": ("газ", "газовый"),
    "smell": ("запах", "пахнуть", "вонять", "вонь"),
    "wire_fault": (
        "порваться",
        "оборваться",
        "оборвать",
        "искрить",
        "оголить",
        "оголенный",
        "оборванный",
        "порванный",
    ),
    # someone freezing now, not the season: «зимой мороз» beside «дети играют» is no danger
    "freezing": ("замерзнуть", "замерзать", "мерзнуть", "околеть"),
}
# «свет горит днём в подъезде» is a lamp left on, not a fire
_LIGHTS = frozenset(
    {"свет", "лампа", "лампочка", "фонарь", "светильник", "плафон", "светофор", "подсветка"}
)
_OTHER_SMELLS = frozenset(
    {
        "краска",
        "гарь",
        "мусор",
        "канализация",
        "сероводород",
        "хлорка",
        "хлор",
        "дым",
        "химия",
        "табак",
        "сигарета",
        "моча",
        "рыба",
        "еда",
        "кошка",
        "сырость",
        "плесень",
        "бензин",
    }
)
_AFTER_OR_ABOUT = frozenset({"после", "о", "об", "от"})
# «на чердаке открыт люк»: an attic hatch lets people in, nobody falls into it
_ATTIC = frozenset({"чердак", "чердачный"})
# Money for a past failure («перерасчёт за холодные батареи», «ущерб от затопления»): no one is in
# danger now.
_AFTERMATH = ("перерасчет", "ущерб", "компенсация", "возместить", "возмещение")
_FROST_RE = re.compile(r"(?:-|минус\s*)(?:[1-9]\d)\s*(?:°|град)?", re.IGNORECASE)
# A flat as cold as «в квартире 8 градусов» (below 15 °C, the norm is 18): no heating in the cold
# season, whatever words name it.
_COLD_ROOM_RE = re.compile(
    r"(?:квартир|комнат|спальн|детской)\w*[^.!?\d]{0,25}?(?<![\d-])\+?(\d{1,2})\s*(?:°|град\w*|гр\b)"
    r"|(?<![\d+-])(\d{1,2})\s*(?:°|град\w*|гр\b)\s+(?:в|во)\s+(?:квартир|комнат|спальн|детской)\w*"
    # «дома +12», «в квартире +10»: a plus sign is a temperature even without «градусов»
    r"|(?:квартир\w*|комнат\w*|\bдома)[^.!?\d]{0,10}?\+(\d{1,2})\b"
    r"|\bдома\s+(\d{1,2})\s*(?:°|град\w*|гр\b)",
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


def phrase_pairs() -> list[tuple[str, str]]:
    """(group, phrase) of every urgency cue; matcher.rules matches them in the same pass as the
    other cues (``Analysis.urgency_matches``)."""
    pairs: list[tuple[str, str]] = []
    for key, (_, phrases) in _ALONE.items():
        pairs.extend((key, p) for p in phrases)
    pairs.extend(("cold", p) for p in _COLD)
    pairs.extend(("frost", p) for p in _FROST)
    pairs.extend(("vulnerable", p) for p in _VULNERABLE)
    pairs.extend(("danger", p) for p in _DANGER)
    for key, phrases in _TOGETHER.items():
        pairs.extend((key, p) for p in phrases)
    pairs.extend(("aftermath", p) for p in _AFTERMATH)
    return pairs


def assess(a: Analysis) -> Urgency:
    """Urgency of an analysed comment (matcher.rules.analyse)."""
    found: dict[str, str] = {}
    where: dict[str, int] = {}  # the first position of each group, for «vulnerable» + «danger»
    for key, start, end in a.urgency_matches:
        if start and a.lemmas[start - 1] == "не":  # «не горит фонарь», «не пахнет газом»
            continue
        if key in ("fire", "burn") and _names_a_light(a.lemmas, start):
            continue
        if key == "fire" and start and a.lemmas[start - 1] in _AFTER_OR_ABOUT:
            continue  # «после пожара», «справка о пожаре»: not burning now
        if key == "life" and "люк" in a.lemmas[start:end] and not _ATTIC.isdisjoint(a.lemmas):
            continue
        found.setdefault(key, " ".join(a.tokens[start:end]))
        where.setdefault(key, start)
    if "smoke_rising" in found and "chimney" not in found:
        found.setdefault("fire", found["smoke_rising"])
    if "burn" in found and "smoke" in found:
        found.setdefault("fire", f"{found['burn']} … {found['smoke']}")
    if "gas_word" in found and "smell" in found and not _other_smell(a.lemmas, where["smell"]):
        found.setdefault("gas", f"{found['gas_word']} … {found['smell']}")
    if "wire" in found and "wire_fault" in found:
        found.setdefault("wires", f"{found['wire']} … {found['wire_fault']}")
    if "aftermath" in found:
        found.pop("flood", None)
        found.pop("cold", None)
    reasons: list[str] = []
    for key, (label, _) in _ALONE.items():
        if key in found:
            reasons.append(f"{label}: «{found[key]}»")
    frost_match = _FROST_RE.search(a.raw)
    frost = "frost" in found or frost_match is not None
    cold_room = "" if "aftermath" in found else _cold_room(a.raw)
    if cold_room:
        reasons.append(f"{_REASONS['cold']}: «{cold_room}»")
    elif "cold" in found and frost:
        what = found.get("frost") or (frost_match.group(0).strip() if frost_match else "мороз")
        reasons.append(f"{_REASONS['cold']}: «{found['cold']}», «{what}»")
    quoted = {w for m in _QUOTED_RE.finditer(a.raw) for w in m.group(1).lower().split()}
    if "vulnerable" in found and (
        found["vulnerable"] in quoted or _SPEED_BUMP_RE.search(a.raw) is not None
    ):
        del found["vulnerable"]
    freezing = "freezing" in found or frost_match is not None
    # a child and a danger in one breath («дети лазят у открытого щитка»), not a long letter that
    # mentions children in one paragraph and a fall in another
    near_danger = "danger" in where and abs(where["danger"] - where.get("vulnerable", -99)) <= 12
    if "vulnerable" in found and (near_danger or freezing or reasons):
        reasons.append(f"{_REASONS['vulnerable']}: «{found['vulnerable']}»")
    return Urgency(bool(reasons), tuple(reasons))


def _other_smell(lemmas: list[str], at: int) -> bool:
    """«запах краски» beside «газ провели»: the smell is named, and it is not gas."""
    return at + 1 < len(lemmas) and lemmas[at + 1] in _OTHER_SMELLS


def _names_a_light(lemmas: list[str], start: int) -> bool:
    """«свет горит», «горит фонарь»: the burning word at ``start`` is about a lamp."""
    if lemmas[start] not in ("гореть", "горящий"):
        return False
    return not _LIGHTS.isdisjoint(lemmas[max(0, start - 2) : start + 2])


def _cold_room(raw: str) -> str:
    """The words of «в квартире 8 градусов» when a home is below 15 °C, else ''."""
    if "°" not in raw and "+" not in raw and "гр" not in raw.lower():
        return ""  # no temperature at all: skip the slower pattern
    for m in _COLD_ROOM_RE.finditer(raw):
        degrees = int(next(g for g in m.groups() if g))
        if degrees < 15:
            return m.group(0).strip()
    return ""


def urgency(text: str) -> Urgency:
    """Urgency of a raw comment."""
    return assess(analyse(text))
