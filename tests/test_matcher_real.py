"""The matcher on residents' real language (issue 12): terse reports, rule misfires, chatter
under news, urgency and the explanations behind a decision."""

from __future__ import annotations

import io
import json

import pytest

from matcher.classifier import Matcher, load_corpus, load_training
from matcher.model import CORPUS_PATH
from matcher.textcli import run_classify
from matcher.topics import Topic
from matcher.urgency import urgency

REAL = CORPUS_PATH.parent / "real"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.default()


TERSE_REPORTS = [
    ("Оторван поручень на лестнице", Topic.HOUSING),
    ("доводчик сломан", Topic.HOUSING),
    ("Плафон разбит в парадной", Topic.HOUSING),
    ("люк помят", Topic.HOUSING),
    ("мусор, свалка", Topic.GARBAGE),
    ("упал знак на перекрестке", Topic.ROADS),
    ("сорвало козырек над подъездом", Topic.HOUSING),
    ("появилась надпись на фасаде", Topic.HOUSING),
    ("нет освещения в парадной", Topic.HOUSING),
    ("мусор на газоне у дома 5", Topic.GARBAGE),
    ("старые шины у контейнеров", Topic.GARBAGE),
    ("песок на тротуарах после зимы", Topic.ROADS),
    ("QR-код не приходит после прививки", Topic.HEALTH),
    ("уборки в парадной нет месяц", Topic.HOUSING),
]


@pytest.mark.parametrize(("text", "topic"), TERSE_REPORTS)
def test_terse_problem_reports_need_an_answer(matcher: Matcher, text: str, topic: Topic) -> None:
    """Any report of a problem needs a reaction, with or without a question mark."""
    c = matcher.classify(text)
    assert c.needs_answer, (text, c)
    assert c.topic is topic, (text, c)


@pytest.mark.parametrize(
    "text",
    [
        # advertising words, dates, laws and portal links inside complaints
        "Гарантия на асфальт 3 года, а он уже развалился",
        "Оплата за содержание 4500 руб, а в парадной не убирают",
        "Заявка от 12.03.2024, лифт не работает до сих пор",
        "Обращение https://gorod.gov.spb.ru/problems/4523781 закрыли, а яма на месте",
        "По ст. 161 ЖК РФ УК обязана содержать дом, а крыша течет",
        # a polite closing is not "thanks only"
        "Прошу заменить лампочку на 3 этаже. Спасибо.",
        # «сам», «тоже», «видимо» are words of complaints too
        "У нас тоже нет горячей воды третий день",
        "Видимо УК не собирается чинить лифт",
    ],
)
def test_rules_do_not_misfire_on_complaints(matcher: Matcher, text: str) -> None:
    c = matcher.classify(text)
    assert c.needs_answer, (text, c)
    assert "реклама" not in c.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Зачем нам эти санкции?",
        "Почему это вообще новость?",
        "[id123|Иван], сам ты такой, видимо не читал",
        "Кто бы сомневался, опять госдума за свое",
    ],
)
def test_rhetoric_and_replies_are_conversation(matcher: Matcher, text: str) -> None:
    assert not matcher.classify(text).needs_answer, text


def test_real_chatter_held_out_is_rarely_flagged(matcher: Matcher) -> None:
    """VK comments under news communities (MIT), never trained on: at most 5% flagged."""
    rows = [json.loads(line) for line in (REAL / "vk_news_comments.jsonl").open(encoding="utf-8")]
    held = [r["text"] for r in rows if r["split"] == "heldout"]
    assert len(held) > 1500
    flagged = sum(c.needs_answer for c in matcher.classify_many(held))
    assert flagged / len(held) <= 0.05


def test_held_out_real_sets_are_not_trained_on() -> None:
    training = {e.text for e in load_training()}
    for name in ("vk_news_comments", "kz_akimat_complaints"):
        held = load_corpus(REAL / f"{name}.jsonl", splits=["heldout"])
        assert held
        assert not training & {e.text for e in held}


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("В подъезде сильно пахнет газом!", True),
        ("Третий день нет отопления, на улице -25", True),
        ("Прорвало трубу, кипяток хлещет в подъезде", True),
        ("На столбе у школы искрят провода", True),
        ("Собаки кидаются на детей у школы", True),
        ("Сосульки висят над входом в подъезд", True),
        ("нет отопления", False),
        ("Яма у дома 5 по ул. Ленина", False),
        ("Когда будет салют?", False),
    ],
)
def test_urgency(text: str, urgent: bool) -> None:
    u = urgency(text)
    assert u.urgent is urgent, (text, u)
    assert bool(u.reasons) is urgent


def test_classify_reports_urgency_and_explains(matcher: Matcher) -> None:
    lines = [
        json.dumps({"id": 1, "text": "В подъезде пахнет газом!"}, ensure_ascii=False),
        json.dumps({"id": 2, "text": "Гарантия 3 года, а асфальт развалился"}, ensure_ascii=False),
    ]
    out = io.StringIO()
    assert run_classify(io.StringIO("\n".join(lines) + "\n"), out, matcher, explain=True) == 0
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["urgent"] is True
    assert any(r.startswith("срочно — запах газа") for r in first["reasons"])
    assert second["urgent"] is False and second["needs_answer"] is True
    explained = second["explain"]
    assert explained["forced"] is None
    assert "реклама" not in explained["cues"]
    assert explained["for"] and all("feature" in f for f in explained["for"])
    assert "roads" in explained["topic_keywords"]
