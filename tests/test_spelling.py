"""Misspelt words are read as the words meant (matcher.spelling): a complaint typed in a hurry
keeps its object, topic and request; names, mentions and real words stay as written."""

from __future__ import annotations

import pytest

import matcher.spelling as spelling
from matcher.classifier import Matcher
from matcher.explain import explain
from matcher.rules import analyse
from matcher.spelling import correction, spelled, written_as_name
from matcher.text import MENTION_USER, normalize, tokens
from matcher.topics import Topic


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.default()


# (as a resident typed it, the word meant): each habit of misspelling once
MISSPELT = [
    ("пачему", "почему"),  # an unstressed vowel as heard
    ("зделайте", "сделайте"),  # a voiced consonant for a voiceless one
    ("падьезде", "подъезде"),  # two at once: a vowel and the soft sign for the hard one
    ("коментах", "комментах"),  # a double letter written once
    ("коммитет", "комитет"),  # a single one doubled
    ("протикает", "протекает"),
    ("бтареи", "батареи"),  # a letter left out
    ("асфалть", "асфальт"),  # two letters swapped
    ("ремлнт", "ремонт"),  # the key next to the one meant
]


@pytest.mark.parametrize(("typed", "meant"), MISSPELT)
def test_each_habit_of_misspelling_is_read_as_the_word_meant(typed: str, meant: str) -> None:
    assert correction(typed) == meant


def test_not_written_together_with_a_verb_comes_apart() -> None:
    """«неработает» is «не работает»: the negation is what makes it a report."""
    assert spelled("неработает") == "не работает"
    a = analyse("лифт неработает вторую неделю")
    assert a.tokens[:3] == ["лифт", "не", "работает"]
    assert a.misspelt == {"работает": "неработает"}
    assert correction("неадекватные") is None  # written together as it should be


def test_a_plausible_slip_wins_over_a_commoner_word_an_odd_edit_away() -> None:
    """«коментах» is «комментах» (a double letter written once), not the commoner «моментах»
    (к for м: neither a sound nor a neighbouring key); «бамжи» is «бомжи», not «баржи»."""
    assert correction("коментах") == "комментах"
    assert correction("бамжи") == "бомжи"


@pytest.mark.parametrize(
    "word",
    [
        "освещение",  # a frequent word
        "освящение",  # a real word, if not the one meant: pymorphy3 knows it
        "када",  # too short: too many words one letter away
        "заиграево",  # a village one edit from no frequent word
        MENTION_USER,  # a reply's mention, not a word («жжитель» is one letter from «житель»)
        "lift",
        "ул5",
    ],
)
def test_known_words_short_words_mentions_and_latin_stand(word: str) -> None:
    assert correction(word) is None
    assert spelled(word) == word


def test_a_name_written_with_a_capital_inside_a_sentence_stands() -> None:
    """«Тетерино» is one letter from the surname «Тетерина»: written with a capital inside a
    sentence it is a village and stays; at the start of a sentence the capital says nothing."""
    assert correction("тетерино") == "тетерина"
    assert written_as_name("Живём в Тетерино, дорогу размыло", "тетерино")
    assert "тетерино" in analyse("Живём в Тетерино, дорогу размыло").tokens
    assert not written_as_name("Тетерино. Дорогу размыло", "тетерино")
    assert not written_as_name("дорогу в тетерино размыло", "тетерино")
    assert not written_as_name("Живём в Тетериново", "тетерино")  # another word


def test_a_word_the_lexicon_lists_is_meant_as_written() -> None:
    """«ковид» is one letter from the commoner «кови» and no dictionary has it; the topic
    keywords do."""
    assert spelled("ковид") == "кови"
    assert analyse("Прививку от ковида не сделать").misspelt == {}
    assert "ковид" in analyse("ковид опять").tokens


def test_a_reply_to_a_resident_stays_a_reply(matcher: Matcher) -> None:
    text = "[id15|Иван], согласна с вами полностью"
    assert analyse(text).tokens[0] == MENTION_USER
    assert not matcher.classify(text).needs_answer


REPORTS = [
    ("Батареи в подъезде холодные, сделайте что-нибудь", Topic.HOUSING),
    ("Яма на дороге у остановки, когда отремонтируют асфальт?", Topic.ROADS),
    ("Мусор не вывозят неделю, контейнеры переполнены", Topic.GARBAGE),
    ("В поликлинике невозможно записаться к врачу", Topic.HEALTH),
]
# the same reports as a resident in a hurry types them
TYPED = [
    "Бтареи в падьезде халодные, зделайте чтонибудь",
    "Яма на дароге у остоновки, када отремантируют асвальт?",
    "Мусар не вывазят неделю, кантейнеры перепонены",
    "В паликлинике невазможно запсаться к врачу",
]


@pytest.mark.parametrize(("report", "typed"), list(zip(REPORTS, TYPED, strict=True)))
def test_a_report_typed_in_a_hurry_keeps_its_decision_and_topic(
    matcher: Matcher, report: tuple[str, Topic], typed: str
) -> None:
    text, topic = report
    assert matcher.classify(text).needs_answer
    c = matcher.classify(typed)
    assert c.needs_answer, c.reasons
    assert c.topic is topic, c.reasons
    meant = set(tokens(normalize(text)))
    read = analyse(typed)
    assert read.misspelt, "nothing read as meant"
    assert all(word in meant for word in read.misspelt), read.misspelt


def test_the_reasons_show_the_word_as_typed_and_as_read(matcher: Matcher) -> None:
    """A moderator checking a decision finds the resident's own word in the reasons."""
    c = explain(matcher, "Бтареи холодные вторую неделю")
    words = [f["feature"] for f in c["for"] + c["against"] if f["feature"].startswith("слово")]
    assert any("«бтареи» (как «батареи»)" in w for w in words), words


def test_the_cache_of_words_read_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spelling, "CACHE_SIZE", 10)
    spelling.clear_cache()
    try:
        words = [f"бтареи{'х' * n}" for n in range(25)] + ["бтареи"]
        got = [spelled(w) for w in words]
        assert len(spelling._spellings) <= 10
        assert got[-1] == "батареи"
        assert [spelled(w) for w in words] == got
    finally:
        spelling.clear_cache()
