"""Does an official's answer speak of another place than the complaint's?

«Донская 14а» answered about «Донской, 10», «сквер Дружбы» about «сквер Победы», «Комарова 15»
about «Королёва, 15»: an answer about another object is an отписка (product.md §4).  Pure
functions of the two normalised texts; ``matcher.quality`` weighs the result.
"""

from __future__ import annotations

import re

from matcher.lexicon import words
from matcher.text import FUNCTION_LEMMAS, lemma, tokens, whole_words, word_info

# A named place or object and its number: «Донская 14а», «ул. Садовая, д. 7», «школа № 11».
# Within one line: «сыну.\n2. Получить рецепт» is a list, not a house.
_NUMBERED_RE = re.compile(
    r"\b([а-я]{3,})\.?,?[ \t]+(?:(?:д|дом|№)\.?[ \t]*)?(\d{1,3}(?:[а-я]\b|/\d+)?)(?![.,]?\d)"
    r"(?!(?<=(?:19|20)\d\d)\s+год)"  # «дом 1958 года» is a year, «Гагарина 44 год назад» a house
    # «в кабинете 14 градусов», «в подвале 30 см воды»: a measure, not a number of a place
    r"(?!\s*(?:градус|°|см\b|мм\b|км\b|кг\b|руб|%|процент|человек|минут|часов"
    # «выпускал на маршрут 3 автобуса», «5 единиц техники»: a count, not a route or a house
    r"|автобус|единиц|штук|шт\b"
    # «ребёнку исполнилось 3 года», «ждём 5 лет»: an age or a span of years
    r"|года\b|лет\b"
    # «поступило из МФЦ 15 января»: a date, not a house
    r"|(?:январ|феврал|марта?\b|апрел|ма[яе]\b|июн|июл|август|сентябр|октябр|ноябр|декабр)))"
    r"(?:\s*[-–]\s*(\d+)\b)?"
)
# «от дома № 1 до дома № 9»: every house between
_HOUSE_SPAN_RE = re.compile(r"\bот\s+дом\w*\s*№?\s*(\d+)\s+до\s+дом\w*\s*№?\s*(\d+)\b")
# Words a number follows that name no place: amounts, durations, dates, counts.
_NOT_PLACES = words(
    "год месяц неделя день сутки час минута рубль руб тысяча процент раз человек штука "
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь "
    "рабочий календарный номер около более менее всего свыше квартира кв этаж подъезд"
)


# «дом 22 по Гоголя», «д. 4 по ул. Лесной»: the number before the street
_HOUSE_FIRST_RE = re.compile(
    r"\bд(?:ом[а-я]*|\.)\s*№?\s*(\d+[а-я]?)\s+(?:по\s+)?"
    r"(?:(?:ул|улице|пр|просп|проспекту|пер|переулку|бульвару)\.?\s+)?([а-я]{3,})"
)
# «у 24 дома Кирова», «в 5 доме по Садовой»: the house's number before the word «дом»
_NUMBER_BEFORE_HOUSE_RE = re.compile(
    r"\b(\d{1,3}[а-я]?)\s+дом(?:а|е|у|ом)?\s+(?:по\s+)?(?:(?:ул|улице|пр|просп|пер)\.?\s+)?([а-я]{3,})"
)
# «в офисе на Чапаева, 12», «приём в опорном пункте ул. Фрунзе, 3»: an office's address
_OFFICE_BEFORE_RE = re.compile(r"\b(?:офис\w*|опорн\w+\s+пункт\w*|при[её]м\w*|кабинет\w*)\b")
# «на Вокзальной у дома 15»: the street, then the house
_STREET_AT_HOUSE_RE = re.compile(
    r"\b([а-я]{3,})\s+(?:у|возле|около|напротив)\s+дом\w*\s+(\d+[а-я]?)\b"
)
# «сквер Дружбы», «остановка «Центральный рынок»», «с. Ивановское»: a place and its name (streets
# are left to the house numbers: an answer names other offices' streets, «участковый — ул.
# Ленинградская, 46»)
_NAMED_RE = re.compile(
    # «парк» as a word, not «паркуются», «парковочных»
    r"\b(?:(сквер|парк(?=(?:а|е|у|ом|и)?\s)|площад|бульвар|набережн|микрорайон|остановк|станци)"
    r"[а-я]*\s+"
    r"|(сел[оауе]|поселок|поселк[аеу]|деревн[яиюе]|хутор[аеу]?|с\.|пос\.|дер\.)\s*)«?([а-я]{4,})"
)
# a settlement however it is written: «с. Ивановское», «в селе Ивановском»
_SETTLEMENTS = {"с": "село", "се": "село", "по": "поселок", "де": "деревня", "ху": "хутор"}


def _kind(m: re.Match[str]) -> str:
    """The kind of a named place: the stem of its noun, or the settlement it is."""
    return m.group(1) or _SETTLEMENTS[m.group(2).rstrip(".")[:2]]


# «ул. Королёва, 15», «проспекту Мира 3»: the word after these is a street
_STREET_MARK_RE = re.compile(r"\b(?:ул|улиц\w*|пр|просп\w*|пр-т|пер|переул\w*|бульвар\w*)\.?\s*$")
# Numbered things that are no street: a school, a route, a house, a flat
_NOT_STREETS = words(
    "школа сош лицей гимназия сад детсад садик поликлиника больница дом д корпус маршрут автобус "
    "трамвай троллейбус маршрутка мкр микрорайон подъезд кабинет каб отделение участок квартал "
    "палата группа класс площадка остановка линия"
)


# An entrance or a building of a house and its number, either way round: «2 подъезд», «подъезд
# № 4», «второго подъезда», «корпус 1».  Not a flat: an answer names the neighbour's above.
_ORDINALS = {
    "перв": "1", "втор": "2", "трет": "3", "четверт": "4", "пят": "5",
    "шест": "6", "седьм": "7", "восьм": "8", "девят": "9", "десят": "10",
}  # fmt: skip
_UNIT_KINDS = {"подъезд": "подъезд", "парадн": "подъезд", "корп": "корпус"}
_UNIT_RE = re.compile(
    r"\b(подъезд|парадн|корп)(?:[а-я]*)\.?\s*№?\s*(\d{1,4})\b(?!\s*[-–]\s*\d)"
    # «8 корпус 3» is house 8; «Лесная 5 подъезд 1»: the number after the entrance is its own
    r"|\b(\d{1,2})(?:\s*-?\s*(?:[а-я]{1,3}))?\s+(подъезд|парадн)(?![а-я]*\.?\s*№?\s*\d)"
    r"|\b(перв|втор|трет|четверт|пят|шест|седьм|восьм|девят|десят)[а-я]*\s+(подъезд|парадн)"
)


def _unit(m: re.Match[str]) -> tuple[str, str]:
    """(kind, number) of an entrance or a building matched by ``_UNIT_RE``."""
    if m.group(1):
        return _UNIT_KINDS[m.group(1)], m.group(2)
    if m.group(3):
        return _UNIT_KINDS[m.group(4)], m.group(3)
    return _UNIT_KINDS[m.group(6)], _ORDINALS[m.group(5)]


def _units(text: str) -> dict[str, set[str]]:
    """The numbers of entrances and buildings a normalised text names."""
    found: dict[str, set[str]] = {}
    for m in _UNIT_RE.finditer(text):
        kind, number = _unit(m)
        found.setdefault(kind, set()).add(number)
    return found


# «автобус 33», «маршрутка № 33», «маршрута № 33»: one route, whatever the vehicle is called;
# «садик 57», «детский сад № 57», «доу 57»: one kindergarten; «сош 9», «школа № 9»: one school
_SAME_PLACE = {
    **dict.fromkeys(words("автобус маршрут маршрутка троллейбус трамвай"), "маршрут"),
    **dict.fromkeys(words("сад садик детсад доу мбдоу мадоу"), "сад"),
    **dict.fromkeys(words("школа сош мбоу маоу гимназия лицей"), "школа"),
}


def _place_name(word: str) -> str:
    """The lemma a numbered place is compared by: a vehicle's number is its route's, a
    kindergarten's and a school's whatever they are called."""
    name = lemma(word)
    return _SAME_PLACE.get(name, name)


def _numbered(text: str) -> dict[str, set[str]]:
    """The numbers each named place or object carries in a normalised text."""
    found: dict[str, set[str]] = {}
    for m in _NUMBERED_RE.finditer(text):
        name = _place_name(m.group(1))
        if name in _NOT_PLACES or name in FUNCTION_LEMMAS:
            continue
        numbers = found.setdefault(name, set())
        numbers.add(m.group(2))
        if m.group(3) and m.group(2).isdigit():  # «Мичурина 1–25»: every house between
            numbers.update(str(n) for n in range(int(m.group(2)), min(int(m.group(3)), 999) + 1))
    for m in _HOUSE_FIRST_RE.finditer(text):
        name = lemma(m.group(2))
        if name not in _NOT_PLACES and name not in FUNCTION_LEMMAS:
            found.setdefault(name, set()).add(m.group(1))
    for m in _NUMBER_BEFORE_HOUSE_RE.finditer(text):
        name = lemma(m.group(2))
        # «у 15 дома второй день»: a count of days follows, no street
        if (
            name not in _NOT_PLACES
            and name not in FUNCTION_LEMMAS
            and not name.startswith(tuple(_ORDINALS))
        ):
            found.setdefault(name, set()).add(m.group(1))
    for m in _HOUSE_SPAN_RE.finditer(text):
        first, last = int(m.group(1)), min(int(m.group(2)), 999)
        found.setdefault("дом", set()).update(str(n) for n in range(first, last + 1))
    for m in _STREET_AT_HOUSE_RE.finditer(text):
        name = lemma(m.group(1))
        if name not in _NOT_PLACES and name not in FUNCTION_LEMMAS:
            found.setdefault(name, set()).add(m.group(2))
    return found


def _named(text: str) -> dict[str, set[str]]:
    """The names each kind of place carries: {"сквер": {"дружба"}, "остановк": {"рынок"}}."""
    found: dict[str, set[str]] = {}
    for m in _NAMED_RE.finditer(text):
        name, form = word_info(m.group(3))
        if not form and name not in FUNCTION_LEMMAS:  # «на площадке запрещён» names nothing
            found.setdefault(_kind(m), set()).add(name)
    return found


_STANDALONE_NUMBER_RE = re.compile(r"(?<![\d/.,\-])\d+[а-я]?(?![/.,\-]?\d)")


def _office_before(answer: str, m: re.Match[str]) -> bool:
    """Whether an office's word stands just before this address in the answer."""
    return _OFFICE_BEFORE_RE.search(answer, max(0, m.start() - 45), m.start()) is not None


# «на участке от ул. Калинина до ул. Фокина», «между Пушкина и Интернациональной»: a stretch of a
# street named by its cross streets
_STREET_WORD = r"(?:(?:ул|пр|просп|пр-т|пер|пл|б-р)\.?\s+|(?:улиц|проспект|переул|площад)\w*\s+)?"
_SECTION_RE = re.compile(
    r"\b(?:от|между)\s+"
    + _STREET_WORD
    + r"([а-я][а-я-]{2,})\s+(?:до|и)\s+"
    + _STREET_WORD
    + r"([а-я][а-я-]{2,})"
)
_ANSWER_SECTION_RE = re.compile(r"\bучаст\w*\s+" + _SECTION_RE.pattern)
# ends that are no cross street: «от дома до школы», «от остановки до поворота»
_NOT_CROSS_STREETS = words(
    "дом школа остановка поворот магазин перекресток трасса мост въезд выезд начало конец угол "
    "детсад сад поликлиника больница вокзал рынок двор парк сквер подъезд развязка кольцо"
)


def _section(m: re.Match[str]) -> frozenset[str] | None:
    ends = (m.group(1), m.group(2))
    if any(lemma(end) in _NOT_CROSS_STREETS or lemma(end) in FUNCTION_LEMMAS for end in ends):
        return None
    return frozenset(_stem(end) for end in ends)


def other_section(complaint: str, answer: str) -> str | None:
    """The answer's stretch of a street when the complaint names another stretch by its cross
    streets («от проспекта Ленина до ул. Калинина» answered «на участке от ул. Калинина до ул.
    Фокина»)."""
    asked = {s for m in _SECTION_RE.finditer(complaint) if (s := _section(m)) is not None}
    if not asked:
        return None
    for m in _ANSWER_SECTION_RE.finditer(answer):
        given = _section(m)
        if given is not None and given not in asked:
            return whole_words(answer, m)
    return None


def _stem(word: str) -> str:
    """A name without its ending, to compare forms pymorphy3 lemmatises apart."""
    return word[: max(4, len(word) - 3)]


def another_place(complaint: str, answer: str) -> str | None:
    """The answer's place when it names the complaint's street or object with other numbers
    only («Донская 14а» answered with «Донской, 10»): an answer about another place."""
    asked = _numbered(complaint)
    answered = _numbered(answer)
    # «маршрут № 50 … автобус № 11»: 50 is there; not the parts of a document's number («исх. №
    # 3319/15»), a date («10.04») or a fraction («34,2 млн»)
    numbers = set(_STANDALONE_NUMBER_RE.findall(answer))
    # «Ударная 21» answered with «дом № 25 по ул. Ударная» too: the house before its street
    for m, group in (
        *((m, 1) for m in _NUMBERED_RE.finditer(answer)),
        *((m, 2) for m in _HOUSE_FIRST_RE.finditer(answer)),
    ):
        name = _place_name(m.group(group))
        if _office_before(answer, m):
            continue  # «копию выдадим в офисе на Чапаева, 12»: where to come, not the work's place
        if (
            name in asked
            and asked[name].isdisjoint(answered.get(name, set()))
            and asked[name].isdisjoint(numbers)
        ):
            return whole_words(answer, m)
    # «Комарова 15» answered with «Королёва, 15»: the same number on a street the complaint does
    # not name, the complaint's street nowhere in the answer
    answer_lemmas = {lemma(t) for t in tokens(answer)}
    complaint_lemmas = {lemma(t) for t in tokens(complaint)}
    # a street's name compared by its stem: pymorphy3 reads «Беговой» as a surname, «Беговая» not
    answer_stems = {_stem(t) for t in tokens(answer)}
    complaint_stems = {_stem(t) for t in tokens(complaint)}
    # «дом № 3 по ул. Нагорной» too: the house before its street
    for m, group in (
        *((m, 1) for m in _NUMBERED_RE.finditer(answer)),
        *((m, 2) for m in _HOUSE_FIRST_RE.finditer(answer)),
    ):
        name = lemma(m.group(group))
        street = (
            _STREET_MARK_RE.search(answer, max(0, m.start() - 12), m.start())
            if group == 1
            else _STREET_MARK_RE.search(answer, m.start(), m.start(group))
        )
        if (
            street is None
            or _office_before(answer, m)
            or name in complaint_lemmas
            or _stem(m.group(group)) in complaint_stems
            or name in _NOT_STREETS
        ):
            continue
        for other, numbers in asked.items():
            if (
                other not in _NOT_STREETS
                and other not in answer_lemmas
                and _stem(other) not in answer_stems
                and not numbers.isdisjoint(answered.get(name, set()))
            ):
                return whole_words(answer, m)
    # «над вторым подъездом» answered with «над входом в подъезд № 4»
    asked_units = _units(complaint)
    for kind, found in _units(answer).items():
        wanted = asked_units.get(kind)
        if wanted and wanted.isdisjoint(found):
            m = next(m for m in _UNIT_RE.finditer(answer) if _unit(m)[0] == kind)
            return whole_words(answer, m)
    # «сквер Дружбы» answered with «сквер Победы», the complaint's name nowhere in the answer
    asked_names = _named(complaint)
    for kind, names in _named(answer).items():
        wanted = asked_names.get(kind)
        if wanted and wanted.isdisjoint(names) and wanted.isdisjoint(answer_lemmas):
            m = next(m for m in _NAMED_RE.finditer(answer) if _kind(m) == kind)
            return whole_words(answer, m)
    return None
