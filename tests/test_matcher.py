"""The matcher on the comments users see first: needs an answer or not, topic, reasons."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from matcher.classifier import THRESHOLD, Classification, Matcher, classify, load_corpus
from matcher.features import dense_features, extract
from matcher.followup import is_persisting_problem, similarity
from matcher.model import CORPUS_PATH, MODEL_PATH, LabelledExample, Model, TokenCache, train
from matcher.rules import analyse
from matcher.text import normalize
from matcher.topics import Topic


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.default()


NEEDS_ANSWER = [
    "когда уберут снег на Мира 5?",
    "третий день нет горячей воды",
    "куда жаловаться на УК?",
    "спасибо за очередную яму",
    "Спасибо УК за ледяные батареи в ноябре",
    "КОГДА ДАДУТ СВЕТ??? ТРЕТИЙ ДЕНЬ БЕЗ СВЕТА",
    "Ямa нa дopoге у шкoлы уже месяц",  # Latin look-alikes inside Cyrillic words
    "мусор не вывозят две недели бл* крысы по двору бегают",
    "фонари на гагарина не горят месяц темнота",
    "Подскажите пожалуйста когда придет единое пособие",
    "Просим спилить сухое дерево у дома 12 по ул. Лесной",
    "Яма у дома 5 по ул. Ленина, когда заделаете? Звоните +7 900 123-45-67",
    "Собаки стаей бросаются на детей у 3 школы, где отлов???",
    "Во сколько начнется салют?",
    (
        "Жители дома 14 по ул. Победы. 1) Крыша течет третий год, после капремонта стало хуже. "
        "2) В подъезде не работает освещение. 3) Подвал затоплен. 4) УК на звонки не отвечает, "
        "заявки теряет. Просим разобраться с управляющей компанией!"
    ),
]

NO_ANSWER = [
    "Спасибо, яму на Ленина наконец засыпали!",
    "Огромное спасибо врачам детской больницы!",
    "С Днем города, земляки! 🎉",
    "Светлая память погибшим, соболезнования родным",
    "👍👍👍",
    "❤️",
    ")))",
    "Вывоз мусора, хлама, старой мебели недорого! Газель, грузчики. 8-900-555-12-34",
    "Заработок без вложений, подробности по ссылке t.me/dengi_bystro",
    "[id12345|Ирина], а вы в каком доме живете?",
    "Сами мусор мимо контейнера бросаете, а потом администрация виновата",
    "Красота, сквер получился отличный",
]


@pytest.mark.parametrize("text", NEEDS_ANSWER)
def test_needs_answer(matcher: Matcher, text: str) -> None:
    c = matcher.classify(text)
    assert c.needs_answer, (text, c)
    assert THRESHOLD <= c.score <= 1.0


@pytest.mark.parametrize("text", NO_ANSWER)
def test_needs_no_answer(matcher: Matcher, text: str) -> None:
    c = matcher.classify(text)
    assert not c.needs_answer, (text, c)
    assert 0.0 <= c.score < THRESHOLD


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("когда уберут снег на Мира 5?", Topic.SNOW),
        ("третий день нет горячей воды", Topic.HOUSING),
        ("куда жаловаться на УК?", Topic.HOUSING),
        ("спасибо за очередную яму", Topic.ROADS),
        ("Мусор не вывозят уже неделю, контейнеры переполнены", Topic.GARBAGE),
        ("Автобус 12 опять не пришел, ждали час на остановке", Topic.TRANSPORT),
        ("В поликлинике невозможно записаться к терапевту", Topic.HEALTH),
        ("В школе 5 холодно, дети сидят на уроках в куртках", Topic.EDUCATION),
        ("Единое пособие не пришло за октябрь", Topic.SOCIAL),
        ("Стая бродячих собак у гаражей кидается на людей", Topic.ANIMALS),
        ("По ночам во дворе пьяные компании, драки, полиция не приезжает", Topic.SAFETY),
        ("Завод опять выбросы ночью, дышать нечем", Topic.ECOLOGY),
        ("Качели на детской площадке во дворе сломаны", Topic.IMPROVEMENT),
        ("Во сколько начнется салют?", Topic.OTHER),
    ],
)
def test_topic_of_clear_cases(matcher: Matcher, text: str, topic: Topic) -> None:
    c = matcher.classify(text)
    assert c.topic is topic, (text, c)
    assert 0.0 < c.topic_score <= 1.0


def test_reasons_name_the_phrases_that_decided(matcher: Matcher) -> None:
    c = matcher.classify("когда уберут снег на Мира 5?")
    assert 1 <= len(c.reasons) <= 4
    assert "вопрос: «когда»" in c.reasons
    assert any(r.startswith("тема: «снег»") and r.endswith("Снег и наледь") for r in c.reasons)

    sarcasm = matcher.classify("спасибо за очередную яму")
    assert any(r.startswith("сарказм") for r in sarcasm.reasons)

    emoji = matcher.classify("🔥🔥🔥")
    assert emoji.reasons[0] == "нет слов (только эмодзи или знаки)"
    assert emoji.topic is Topic.OTHER

    spam = matcher.classify("Продам гараж недорого +7 900 123-45-67")
    assert not spam.needs_answer
    assert "реклама" in spam.reasons


def test_classify_is_deterministic_and_matches_many(matcher: Matcher) -> None:
    texts = [*NEEDS_ANSWER, *NO_ANSWER]
    first = matcher.classify_many(texts)
    assert first == [matcher.classify(t) for t in texts]
    assert classify(texts[0]) == first[0]
    assert all(isinstance(c, Classification) for c in first)


def test_the_ingest_decides_as_classify_does_and_explains_only_complaints(
    matcher: Matcher,
) -> None:
    """``decide`` (what the ingest calls) gives every comment the decision, topic and urgency
    ``classify`` gives; it leaves out the reasons only where nobody reads them."""
    texts = [
        "Когда уберут снег во дворе на Ленина 5?",
        "пахнет газом в 3 подъезде, срочно",
        "Светлая память",
        "ахаха ну вы даёте",
        "Спасибо за новую площадку!",
        "👍",
    ]
    for text in texts:
        full, decided = matcher.classify(text), matcher.decide(text)
        assert (decided.needs_answer, decided.topic, decided.score) == (
            full.needs_answer,
            full.topic,
            full.score,
        ), text
        assert (decided.urgent, decided.urgent_reasons) == (full.urgent, full.urgent_reasons)
        if full.needs_answer:
            assert decided.reasons == full.reasons, text
        else:
            assert full.reasons  # ``otklik classify`` still explains chatter
            assert decided.reasons in ((), full.reasons[:1]), text  # at most a hard rule


def test_normalisation_of_real_comment_spelling() -> None:
    assert normalize("ЯМA НA ДOPOГЕ") == "яма на дороге"
    assert "ммат" in normalize("х**ня а не ремонт")
    assert "ттел" in normalize("звоните +7 (900) 123-45-67")
    assert "жжитель" in normalize("[id123|Ирина], согласна")
    assert normalize("сколькооооо можно") == "сколько можно"
    # a patronymic is no obscenity: «Олеговна» holds «говн»
    assert normalize("Анна Олеговна, говно а не дорога") == "анна олеговна, ммат а не дорога"


def test_fast_path_equals_feature_dict_path(matcher: Matcher) -> None:
    for text in [*NEEDS_ANSWER, *NO_ANSWER]:
        a = analyse(text)
        slow = matcher.model.logits(extract(a))
        fast, _ = matcher.model.analysis_logits(a, dense_features(a))
        assert np.allclose(slow, fast, atol=1e-4), text


@pytest.mark.parametrize("size", [7, 40])
def test_a_full_token_cache_changes_no_decision(matcher: Matcher, size: int) -> None:
    """The per-token cache makes room when full, keeping the tokens met again (moved to other
    rows); a comment must never be scored with rows handed to other words (a long comment
    filling the cache halfway through) nor with a kept token's old row."""
    texts = [*NEEDS_ANSWER, *NO_ANSWER]
    small = Matcher(replace(Model.from_json(matcher.model.to_json()), _tokens=TokenCache(size)))
    fresh = Matcher(Model.from_json(matcher.model.to_json()))
    expected = {text: fresh.classify(text) for text in texts}
    for text in texts + texts[::-1] + texts:
        assert small.classify(text) == expected[text], text
    assert small.model._tokens.capacity == size


def test_model_json_round_trip(matcher: Matcher) -> None:
    model = Model.from_json(matcher.model.to_json())
    again = Matcher(model)
    assert again.classify_many(NEEDS_ANSWER) == matcher.classify_many(NEEDS_ANSWER)


def test_rules_only_fallback_works() -> None:
    rules = Matcher.rules_only()
    assert rules.classify("третий день нет горячей воды").needs_answer
    assert not rules.classify("С праздником!").needs_answer


def test_training_is_deterministic_on_a_small_set() -> None:
    examples = load_corpus()[::12]
    a = train(examples)
    b = train(examples)
    assert a.index == b.index
    assert np.array_equal(a.weights, b.weights)
    assert np.array_equal(a.bias, b.bias)


def test_retraining_reproduces_shipped_model_and_learns_moderator_marks(
    matcher: Matcher,
) -> None:
    """`Matcher.from_corpus` retrains on the corpus plus moderators' marks (one full training)."""
    # («… номер 7781» reads like a complaint's request number, so the marker names none; nor a
    # rule's cue: «тестовое сообщение» is a withdrawal cue, whose weight every chatter set the
    # corpus gains raises, so four marks stopped outweighing it in session 23)
    marker = "Синий слон 7781 гуляет по облакам"
    extra = [LabelledExample(marker, needs_answer=True, topic=Topic.OTHER, weight=5.0)] * 4
    assert not matcher.classify(marker).needs_answer
    retrained = Matcher.from_corpus(extra)
    assert retrained.classify(marker).needs_answer

    with CORPUS_PATH.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh][::3]
    shipped = matcher.classify_many(texts)
    again = retrained.classify_many(texts)
    same_decision = sum(
        a.needs_answer == b.needs_answer for a, b in zip(shipped, again, strict=True)
    )
    same_topic = sum(a.topic == b.topic for a, b in zip(shipped, again, strict=True))
    assert same_decision / len(texts) >= 0.99
    assert same_topic / len(texts) >= 0.99
    assert MODEL_PATH.exists()


@pytest.mark.parametrize(
    "text",
    [
        "ничего не сделали",
        "опять нет воды",
        "до сих пор яма на месте",
        "вы ответили что устранено, а все как было",
        "прошла неделя, никто не приехал",
        "ЯМА КАК БЫЛА ТАК И ЕСТЬ",
    ],
)
def test_persisting_problem_reopens(text: str) -> None:
    assert is_persisting_problem(text)


@pytest.mark.parametrize(
    "text", ["спасибо, все сделали", "Благодарю, вопрос решен", "👍", "Воду дали, спасибо"]
)
def test_resolved_does_not_reopen(text: str) -> None:
    assert not is_persisting_problem(text)


def test_similarity_links_near_duplicates_only() -> None:
    base = "Яма у дома 5 по ул. Ленина, когда заделаете?"
    assert similarity(base, "ЯМА У ДОМА 5 ПО УЛ ЛЕНИНА КОГДА ЗАДЕЛАЕТЕ???") == 1.0
    assert similarity(base, "Повторно пишу! " + base) >= 0.8
    assert similarity(base, "Яма у дома 7 по ул. Ленина, когда заделаете?") < 0.8
    assert similarity("Когда дадут воду?", "Когда дадут свет?") < 0.8
    assert similarity("мусор не вывозят", "мусор не вывозят уже неделю на Садовой") < 0.8
    assert similarity("", base) == 0.0
    assert similarity(base, "С праздником!") < 0.2
