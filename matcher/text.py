"""Text normalisation for VK comments: look-alike letters, masked obscenities, tokens, lemmas.

Everything here is pure and deterministic.  Lemmas come from pymorphy3 and are cached, so a
warm process lemmatises a typical comment with a handful of dictionary look-ups.

Tokenisation is a single regular expression rather than razdel: razdel costs ~125 µs for a
two-line comment, the regex ~5 µs, and the classifier only needs words, numbers and a few
placeholder tokens (measured on this machine; see matcher/data/README.md).
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left
from functools import lru_cache
from hashlib import blake2b
from itertools import islice
from typing import TYPE_CHECKING, Any, Final
from zlib import crc32

from matcher.compiled import PACKAGE_DIR

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# Latin letters that look like Cyrillic ones, as residents (and spammers) mix them in.
_LATIN_TO_CYR: Final = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "e": "е",
        "h": "н",
        "k": "к",
        "m": "м",
        "o": "о",
        "p": "р",
        "t": "т",
        "x": "х",
        "y": "у",
    }
)
_DIGIT_TO_CYR: Final = str.maketrans({"0": "о", "3": "з", "6": "б"})

PHONE: Final = "ттел"
URL: Final = "ссылка"
GOV_URL: Final = "ппортал"  # a link to a government portal: evidence in a complaint, not an ad
OBSCENE: Final = "ммат"
MENTION_USER: Final = "жжитель"
MENTION_PAGE: Final = "сстраница"
NUM: Final = "ччисло"
PLACEHOLDERS: Final = frozenset({PHONE, URL, GOV_URL, OBSCENE, MENTION_USER, MENTION_PAGE, NUM})

_PHONE_RE: Final = re.compile(
    r"(?<!\d)(?:\+7|8)[\s\-(]*\d{3}[\s\-)]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)"
)
_URL_RE: Final = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w\-]+\.(?:ru|com|net|org|рф|su|me|ly|info|pro|online|site)"
    r"(?:/\S*)?",
    re.IGNORECASE,
)
# VK thread replies start with "[id123|Имя]," (a resident) or "[club1|Страница]," (a page).
_MENTION_USER_RE: Final = re.compile(r"\[id\d+\|[^\]]*\]")
_MENTION_PAGE_RE: Final = re.compile(r"\[(?:club|public)\d+\|[^\]]*\]")
# A word with *, #, @, % or $ inside or at its end: "бл*", "х**", "п#здец", "*ля".
_MASKED_RE: Final = re.compile(
    r"(?<![\w*])(?:[^\W\d_]{1,6}[*#@%$]+[^\W\d_*#@%$]*|\*+[^\W\d_]{1,5})(?![\w*])"
)
# Unmasked obscene roots (kept short on purpose: they only need to be recognised, not listed).
# The «еб» stems only at a word's start or after a verb prefix: «требую», «требуется», «к небу»,
# «хлебал» are ordinary words (a complaint's «требую принять меры» must keep its request), and
# «Олеговна» is a patronymic.
_OBSCENE_RE: Final = re.compile(
    r"\b(?:[а-я]*(?:хуй|хуе|хуё|хуя|пизд|бляд|блят|мудак|мудач|(?<!оле)говн|жоп)[а-я]*"
    r"|(?:за|на|от|вы|у|по|при|с|раз|рас|до|под|об|пере|про|недо)?(?:еба[нлтш]|ебу|ебо[кш]|ебы|ебл|ебн)[а-я]*"
    r"|сук[аиуео]|сучк?[а-я]*|бля|блин|нах|нахрен|нафиг|хрен)\b"
)
# Cheap pre-check for _OBSCENE_RE (most comments have none of these letter sequences).
_OBSCENE_HINT_RE: Final = re.compile(
    r"ху[йеёя]|пизд|[её]б[аулоын]|бля|сук|суч|муда|говн|жоп|нах|хрен|блин"
)
_REPEAT_RE: Final = re.compile(r"([^\W\d_])\1{2,}")
_ANY_TRIPLE_RE: Final = re.compile(r"(.)\1\1", re.DOTALL)
_TOKEN_RE: Final = re.compile(r"[а-яa-z]+|\d+")
_WORD_CHARS_RE: Final = re.compile(r"[^\W_]")
_WORDISH_RE: Final = re.compile(r"[0-9a-zа-я]*[a-z0][0-9a-zа-я]*")
_HAS_CYR_RE: Final = re.compile(r"[а-я]")
_INNER_DIGIT_RE: Final = re.compile(r"(?<=[а-я])[036]+(?=[а-я])")


def _fix_mixed(match: re.Match[str]) -> str:
    word = match.group(0)
    if not _HAS_CYR_RE.search(word):
        return word
    word = word.translate(_LATIN_TO_CYR)
    return _INNER_DIGIT_RE.sub(lambda m: m.group(0).translate(_DIGIT_TO_CYR), word)


# «подьезд», «обьявление», «сьехал»: a soft sign typed for the hard one after a prefix (the
# word is then unknown to the dictionary and loses its topic).  «в» is left out: «вьюга».
_SOFT_FOR_HARD_RE: Final = re.compile(
    r"\b(под|об|от|из|раз|рас|с|над|пред|меж|сверх|пере)ь(?=[еёюя])"
)
_SOFT_BEFORE_VOWEL_RE: Final = re.compile(r"ь[еёюя]")

_MASK_CHAR_RE: Final = re.compile(r"[*#@%$]")
_DIGIT3_RE: Final = re.compile(r"\d\d\d")  # not \d{3}: a repeat is 1.7x slower to search
# Look-alike repair is only needed where Latin letters, or a 0 next to a Cyrillic letter, occur.
_LATIN_RE: Final = re.compile(r"[a-z]")
_ZERO_BY_CYRILLIC_RE: Final = re.compile(r"[а-я]0|0[а-я]")


def _has_latin_or_zero(lowered: str) -> bool:
    """``[a-z]|[а-я]0|0[а-я]`` in two searches: the alternation costs twice their time."""
    return _LATIN_RE.search(lowered) is not None or (
        "0" in lowered and _ZERO_BY_CYRILLIC_RE.search(lowered) is not None
    )


_GOV_URL_RE: Final = re.compile(
    r"gov|госуслуг|gosuslug|mos\.ru|gorod|dobrodel|pos\.gosuslugi|\.gov\.|admin|\.рф",
    re.IGNORECASE,
)


def _url_placeholder(match: re.Match[str]) -> str:
    return f" {GOV_URL} " if _GOV_URL_RE.search(match.group(0)) else f" {URL} "


_TOP_DOMAIN_RE: Final = re.compile(r"\.(?:ru|com|net|org|рф|su|me|ly|info|pro|online|site)\b")


def _may_hold_link(lowered: str) -> bool:
    """A cheap pre-check for ``_URL_RE`` on the lower-cased text (a case-blind alternation
    searched the text five times slower)."""
    return (
        "http" in lowered
        or "www." in lowered
        or ("." in lowered and _TOP_DOMAIN_RE.search(lowered) is not None)
    )


# Russian typed in Latin letters («ne rabotaet lift v 5 podezde»): no keyboard layout, a phone
# abroad.  There is no standard to decode (libraries implement GOST/ISO one way), so the common
# informal spellings are read longest first; «y» is «ы» after a consonant and «й» after a vowel.
_TRANSLIT: Final[dict[str, str]] = {
    "shch": "щ",
    "tsya": "тся",
    "sch": "щ",
    "zh": "ж",
    "kh": "х",
    "ts": "ц",
    "ch": "ч",
    "sh": "ш",
    "yo": "ё",
    "jo": "ё",
    "yu": "ю",
    "ju": "ю",
    "ya": "я",
    "ja": "я",
    "ye": "е",
    "iyu": "ию",
    "iya": "ия",
    "iye": "ие",
    "iy": "ий",
    "yy": "ый",
    "ij": "ий",
    "a": "а",
    "b": "б",
    "c": "ц",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "й",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "кс",
    "z": "з",
    "'": "ь",
}
_TRANSLIT_RE: Final = re.compile("|".join(re.escape(latin) for latin in _TRANSLIT) + "|y")
_LATIN_WORD_RE: Final = re.compile(r"[a-z']+")
_CYR_LETTER_RE: Final = re.compile(r"[а-я]")
_LATIN_LETTER_RE: Final = re.compile(r"[a-z]")
_VOWELS: Final = frozenset("аеёиоуыэюя")
TRANSLIT_MIN_KNOWN: Final = (
    0.6  # share of decoded words the dictionary knows: Russian, not English
)


def _cyrillic_word(word: str) -> str:
    out: list[str] = []
    for m in _TRANSLIT_RE.finditer(word):
        piece = m.group(0)
        if piece == "y":
            piece = "й" if out and out[-1][-1] in _VOWELS else "ы"
        else:
            piece = _TRANSLIT[piece]
        out.append(piece)
    return "".join(out)


def detransliterate(lowered: str) -> str:
    """«ne rabotaet lift» → «не работает лифт» when a text is Russian in Latin letters; any other
    text (English, brand names, a mixed word) is returned as it is."""
    latin = len(_LATIN_LETTER_RE.findall(lowered))
    if latin < 8 or latin < 4 * len(_CYR_LETTER_RE.findall(lowered)):
        return lowered
    words = _LATIN_WORD_RE.findall(lowered)
    decoded = {w: _cyrillic_word(w) for w in words}
    long_words = [w for w in set(words) if len(w) > 2]
    if not long_words:
        return lowered
    known = sum(_morph().word_is_known(decoded[w]) for w in long_words)
    if known < TRANSLIT_MIN_KNOWN * len(long_words):
        return lowered
    return _LATIN_WORD_RE.sub(lambda m: decoded[m.group(0)], lowered)


def normalize(text: str) -> str:
    """Lower-case text with look-alikes, phones, links, mentions and obscenities normalised."""
    text = unicodedata.normalize("NFC", text)
    if "[" in text:
        text = _MENTION_USER_RE.sub(f" {MENTION_USER} ", text)
        text = _MENTION_PAGE_RE.sub(f" {MENTION_PAGE} ", text)
    lowered = text.lower()
    cased = text
    if _may_hold_link(lowered):
        text = _URL_RE.sub(_url_placeholder, text)
    if _DIGIT3_RE.search(text):
        text = _PHONE_RE.sub(f" {PHONE} ", text)
    text = lowered if text is cased else text.lower()  # most texts have neither
    latin = _has_latin_or_zero(text)
    if latin:
        text = detransliterate(text)
    text = text.replace("ё", "е")
    if _MASK_CHAR_RE.search(text):
        text = _MASKED_RE.sub(f" {OBSCENE} ", text)
    if latin and _has_latin_or_zero(text):
        text = _WORDISH_RE.sub(_fix_mixed, text)
    if _ANY_TRIPLE_RE.search(text):  # cheap pre-checks: most comments need neither rewrite
        text = _REPEAT_RE.sub(r"\1", text)
    if _SOFT_BEFORE_VOWEL_RE.search(text):
        text = _SOFT_FOR_HARD_RE.sub(r"\1ъ", text)
    if _OBSCENE_HINT_RE.search(text):
        text = _OBSCENE_RE.sub(OBSCENE, text)
    return text


def tokens(normalized: str) -> list[str]:
    """Words and numbers of an already normalised text."""
    return _TOKEN_RE.findall(normalized)


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (emoji-only texts have none)."""
    return _WORD_CHARS_RE.search(text) is not None


_EMOJI_RE: Final = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff]")
_NON_LETTERS_RE: Final = re.compile(r"[\W\d_]+")  # the complement of a letter, [^\W\d_]
_UPPER_RE: Final = re.compile(r"[A-ZА-ЯЁ]")


def emoji_count(text: str) -> int:
    return len(_EMOJI_RE.findall(text))


SHOUTING_LETTERS: Final = 6  # fewer letters than this is too short to tell («ЖКХ!»)


def is_shouting(text: str) -> bool:
    """Whether a text is written in capitals: at least 6 letters, 3 in 5 of them capitals.

    The letters are counted only when there are enough capitals to matter (the hot path)."""
    upper = len(_UPPER_RE.findall(text))
    if 5 * upper < 3 * SHOUTING_LETTERS:
        return False
    letters = len(_NON_LETTERS_RE.sub("", text))
    return letters >= SHOUTING_LETTERS and 5 * upper >= 3 * letters


# Lemmas that pymorphy3 gets wrong for this domain, or spellings residents use.
_LEMMA_OVERRIDES: Final[dict[str, str]] = {
    "ямы": "яма",
    "ям": "яма",
    "ямах": "яма",
    "ямами": "яма",
    "мусорка": "мусорка",
    "мусорки": "мусорка",
    "мусорку": "мусорка",
    "мусорке": "мусорка",
    "мусоркой": "мусорка",
    "ук": "ук",
    "укашка": "ук",
    "жкх": "жкх",
    "спс": "спасибо",
    "пасиб": "спасибо",
    "пасибо": "спасибо",
    "спасиб": "спасибо",
    "спасибки": "спасибо",
    "сасибо": "спасибо",
    "нету": "нет",
    "щас": "сейчас",
    "ща": "сейчас",
    "че": "что",
    "чо": "что",
    "шо": "что",
    "скока": "сколько",
    "скоко": "сколько",
    "када": "когда",
    "кагда": "когда",
    "калда": "когда",
    "пачему": "почему",
    "почиму": "почему",
    "садик": "садик",
    "садика": "садик",
    "садике": "садик",
    "садику": "садик",
    "садики": "садик",
    "тко": "тко",
    "лс": "лс",
    "лички": "личка",
    "личку": "личка",
    "личке": "личка",
    "маршрутки": "маршрутка",
    "фап": "фап",
    "фапа": "фап",
    "фапе": "фап",
    "фапы": "фап",
    "фапов": "фап",
    # «кружки» is read as mugs; residents mean children's clubs
    "кружки": "кружок",
    "кружков": "кружок",
    "кружках": "кружок",
    "кружкам": "кружок",
    "флюрография": "флюорография",
    "флюрографию": "флюорография",
    "флюорографию": "флюорография",
    "флюшка": "флюорография",
    "флюшку": "флюорография",
    "мфц": "мфц",
    "ипу": "ипу",
    "одпу": "одпу",
    "ливневка": "ливневка",
    "ливневку": "ливневка",
    "ливневки": "ливневка",
    "ливневке": "ливневка",
    "гибдд": "гибдд",
    "мчс": "мчс",
    "снег": "снег",
    "снега": "снег",
}


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


# Verb forms the rules care about: imperative (a request), perfective past (something was done),
# imperfective past, perfective future (something will be done), short participle ("убран",
# "передано"), infinitive.
IMPERATIVE: Final = "impr"
PAST: Final = "past"
PAST_IMPF: Final = "ipast"
FUTURE: Final = "futr"
SHORT_PARTICIPLE: Final = "prts"
INFINITIVE: Final = "inf"


# Word forms whose parse is kept.  A long-running app meets new forms (names, typos) for ever,
# so the cache is bounded by memory: about 18 MB at 50,000 forms (72 MB at 200,000).
WORD_CACHE_SIZE = 50_000
# (lemma, verb form) of the 100,000 most frequent Russian words, parsed once when the table was
# built (matcher/data/build_frequent_words.py): a word the process meets for the first time
# costs a look-up instead of a pymorphy3 parse (26 µs in the middle of other work).
FREQUENT_WORDS: Final = (
    PACKAGE_DIR / "data" / "frequent_words.npz"
)  # not __file__: matcher.compiled
VERB_FORMS: Final = ("", IMPERATIVE, PAST, PAST_IMPF, FUTURE, SHORT_PARTICIPLE, INFINITIVE)


# A bit per CRC-32 of a word, set for the table's words (a Bloom filter with one hash): 5% of
# non-words pass it to the exact look-up, the rest cost a CRC instead of BLAKE2 and a search.
BLOOM_BYTES: Final = 1 << 19  # 4,194,304 bits, 0.5 MB


def bloom_bit(word: str) -> int:
    return crc32(word.encode("utf-8")) & (BLOOM_BYTES * 8 - 1)


def word_key(word: str) -> int:
    """A 64-bit key of a word that is the same in every process (``hash`` of a str is not)."""
    return int.from_bytes(blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class FrequentWords:
    """Word key -> (lemma, verb form): sorted keys, two columns of numbers and the lemmas as one
    string with their bounds, about 5 MB for 236,000 words (a dict of their strings and tuples
    would hold 50 MB of the app's 300, a list of the lemmas' strings 6 MB).

    The columns are ``array.array``s searched with ``bisect``: the same bytes as numpy's
    arrays, and a look-up reads plain integers instead of making numpy scalars (2.1 -> 1.3 µs
    a word met for the first time)."""

    __slots__ = (
        "bloom",
        "forms",
        "keys",
        "lemma_ends",
        "lemma_ids",
        "lemma_starts",
        "lemma_text",
        "ranks",
    )

    def __init__(
        self,
        keys: npt.NDArray[np.uint64],
        lemma_ids: npt.NDArray[np.uint32],
        forms: npt.NDArray[np.uint8],
        ranks: npt.NDArray[np.uint32],
        bloom: bytes,
        lemma_text: str,
    ) -> None:
        import numpy as np

        self.keys = _array("Q", keys)  # sorted
        self.lemma_ids = _array("I", lemma_ids)  # a lemma per key
        self.forms = _array("B", forms)  # into VERB_FORMS, per key
        self.ranks = _array("I", ranks)  # place in navec's frequency order, per key
        self.bloom = bloom  # bloom_bit of every word set
        self.lemma_text = lemma_text  # the lemmas, one a line
        # where each lemma starts and ends in ``lemma_text`` (characters, not UTF-8 bytes)
        codes = np.frombuffer(lemma_text.encode("utf-32-le"), dtype=np.uint32)
        breaks = np.flatnonzero(codes == 10)
        self.lemma_starts = _array("q", np.concatenate(([0], breaks + 1)))
        self.lemma_ends = _array("q", np.append(breaks, len(lemma_text)))

    def __len__(self) -> int:
        return len(self.keys)

    def lemma(self, index: int) -> str:
        return self.lemma_text[self.lemma_starts[index] : self.lemma_ends[index]]

    def _at(self, word: str) -> int:
        """The word's place in the table, -1 when it is not there."""
        key = word_key(word)
        keys = self.keys
        at = bisect_left(keys, key)
        return at if at < len(keys) and keys[at] == key else -1

    def get(self, word: str) -> tuple[str, str] | None:
        at = self._at(word)
        if at < 0:
            return None
        return self.lemma(self.lemma_ids[at]), VERB_FORMS[self.forms[at]]

    def rank(self, word: str) -> int:
        """The word's place among the most frequent words (0: the commonest), -1 when it is not
        one of them."""
        bit = bloom_bit(word)
        if not (self.bloom[bit >> 3] >> (bit & 7)) & 1:
            return -1
        at = self._at(word)
        return self.ranks[at] if at >= 0 else -1


def _array(typecode: str, values: npt.NDArray[Any]) -> array[int]:
    """A numpy column as an ``array.array`` of ``typecode``, copied as bytes where the C types
    agree in size (everywhere we run), value by value elsewhere."""
    out: array[int] = array(typecode)
    if out.itemsize == values.dtype.itemsize and values.dtype.kind == (
        "i" if typecode.islower() else "u"
    ):
        out.frombytes(values.tobytes())
    else:
        out.extend(values.tolist())
    return out


@lru_cache(maxsize=1)
def frequent_words() -> FrequentWords | None:
    """The parses of frequent words, or None when the table is missing."""
    if not FREQUENT_WORDS.exists():
        return None
    import numpy as np

    with np.load(FREQUENT_WORDS) as data:
        lemma_text = bytes(data["lemmas"]).decode("utf-8")
        return FrequentWords(
            data["keys"],
            data["lemma_ids"],
            data["forms"],
            data["ranks"],
            data["bloom"].tobytes(),
            lemma_text,
        )


# word -> (lemma, verb form): a plain dict, not ``functools.lru_cache``, whose wrapper costs a
# generic call per token where the compiled matcher (matcher.compiled) looks a dict up directly.
_word_infos: Final[dict[str, tuple[str, str]]] = {}


def word_info(word: str) -> tuple[str, str]:
    """(lemma, verb form) of a lower-case word; the form is "" for anything but verbs.

    Cached; when the cache is full its older half goes (a common word comes back at the cost
    of one look-up in the frequent words' table)."""
    info = _word_infos.get(word)
    if info is None:
        info = _word_info(word)
        if len(_word_infos) >= WORD_CACHE_SIZE:
            for old in list(islice(_word_infos, WORD_CACHE_SIZE // 2)):
                del _word_infos[old]
        _word_infos[word] = info
    return info


def clear_word_cache() -> None:
    """Forget every cached word (a cold start, for benchmarks and tests)."""
    _word_infos.clear()


def _word_info(word: str) -> tuple[str, str]:
    if word in PLACEHOLDERS:
        return word, ""
    override = _LEMMA_OVERRIDES.get(word)
    if override is not None:
        return override, ""
    if word.isdigit():
        return NUM, ""
    if len(word) == 1:
        return word, ""
    table = frequent_words()
    known = table.get(word) if table is not None else None
    return known if known is not None else parse_word(word)


def is_known_word(word: str) -> bool:
    """Whether pymorphy3's dictionary has the word (not only guesses its parse)."""
    return bool(_morph().word_is_known(word))


def is_verb(word: str) -> bool:
    """Whether pymorphy3 reads the word first as a verb, an infinitive, a gerund or a short
    participle."""
    parses = _morph().parse(word)
    return bool(parses) and parses[0].tag.POS in ("VERB", "INFN", "GRND", "PRTS")


def parse_word(word: str) -> tuple[str, str]:
    """(lemma, verb form) of a word as pymorphy3 reads it (``word_info`` without its tables)."""
    parses = _morph().parse(word)
    if not parses:
        return word, ""
    best = parses[0]
    normal = str(best.normal_form).replace("ё", "е")
    tag = best.tag
    form = ""
    if tag.POS == "VERB":
        if tag.mood == "impr" or any(
            p.tag.mood == "impr" and p.normal_form == best.normal_form for p in parses[1:]
        ):
            form = IMPERATIVE
        elif tag.tense == "past":
            form = PAST if tag.aspect == "perf" else PAST_IMPF
        elif tag.tense == "futr":
            form = FUTURE
    elif tag.POS == "PRTS" or (
        # «не чищена», «закрыт»: read first as a short adjective, a participle all the same
        tag.POS == "ADJS" and any(p.tag.POS == "PRTS" for p in parses[1:])
    ):
        form = SHORT_PARTICIPLE
    elif tag.POS == "INFN":
        form = INFINITIVE
    return normal, form


@lru_cache(maxsize=4096)
def short_participle(word: str) -> tuple[str, bool] | None:
    """(the verb, whether it is past) of a short passive participle, however pymorphy3 ranks
    it: «закрыт» reads first as the adjective «закрытый», «отменён» as «отменный», «читаем» as
    «читаемый»; None for a word that is no short participle."""
    parses = [p for p in _morph().parse(word) if p.tag.POS == "PRTS"]
    if not parses:
        return None
    past = next((p for p in parses if p.tag.tense == "past"), None)
    verb = past or parses[0]
    return str(verb.normal_form).replace("ё", "е"), past is not None


def lemma(word: str) -> str:
    """Dictionary form of a lower-case word (ё folded to е); placeholders pass through."""
    return word_info(word)[0]


def lemmas(normalized: str) -> list[str]:
    return [lemma(tok) for tok in tokens(normalized)]


#: Function words that carry no meaning for features or answer substance.
STOPWORDS: Final = frozenset(
    [
        "и",
        "в",
        "во",
        "на",
        "с",
        "со",
        "а",
        "но",
        "же",
        "ли",
        "бы",
        "то",
        "по",
        "к",
        "ко",
        "у",
        "о",
        "об",
        "от",
        "до",
        "за",
        "из",
        "для",
        "не",
        "ни",
        "это",
        "этот",
        "тот",
    ]
)


#: Lemmas that carry no content for matching an answer to a complaint: stop words, pronouns,
#: «быть», «который», «уже».
FUNCTION_LEMMAS: Final = STOPWORDS | frozenset(
    [
        "быть",
        "ваш",
        "наш",
        "мы",
        "вы",
        "они",
        "он",
        "она",
        "я",
        "что",
        "как",
        "так",
        "весь",
        "который",
        "свой",
        "когда",
        "где",
        "уже",
        "еще",
        "очень",
    ]
)


def whole_words(text: str, match: re.Match[str]) -> str:
    """The matched phrase extended to whole words (for a reason a moderator reads)."""
    end = match.end()
    while end < len(text) and (text[end].isalnum() or text[end] == "-"):
        end += 1
    return text[match.start() : end].strip()
