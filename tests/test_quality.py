"""Answer quality: what a moderator sees as an «отписка» and why."""

from __future__ import annotations

import pytest

from matcher.quality import AnswerRating, rate_answer

COMPLAINT = "Яма у дома 5 по ул. Ленина, когда заделаете?"


def test_product_examples() -> None:
    passed_on = rate_answer(COMPLAINT, "Ваше обращение передано в ответственную службу")
    assert passed_on.otpiska
    assert "нет срока или выполненного действия" in passed_on.reasons
    assert any("передано" in r for r in passed_on.reasons)

    concrete = rate_answer(COMPLAINT, "Бригада выйдет 25 ноября, яму засыплют до конца недели")
    assert not concrete.otpiska
    assert concrete.quality >= 70
    assert "назван срок" in concrete.reasons

    deferral = rate_answer(COMPLAINT, "Напишите в личные сообщения")
    assert deferral.otpiska
    assert any(r.startswith("перенос разговора") for r in deferral.reasons)


@pytest.mark.parametrize(
    "answer",
    [
        "Информация принята к сведению.",
        "Здравствуйте! Ваш вопрос взят на контроль.",
        "Добрый день. Работы будут проведены в ближайшее время.",
        "Ремонт будет выполнен по мере финансирования.",
        "В соответствии с Федеральным законом № 59-ФЗ ваше обращение будет рассмотрено "
        "в течение 30 дней.",
        "Согласно ст. 161 ЖК РФ ответственность за содержание общего имущества несет "
        "управляющая организация.",
        "Обратитесь в управляющую компанию по телефону.",
        "Уточните, пожалуйста, адрес в личных сообщениях сообщества.",
        "Спасибо за обращение!",
        "По информации УК, нарушений не выявлено, замечания будут устранены.",
        "Мусор вывезен по графику, но вывоз будет организован дополнительно.",
    ],
)
def test_otpiska(answer: str) -> None:
    r = rate_answer(COMPLAINT, answer)
    assert r.otpiska, (answer, r)
    assert r.quality < 50
    assert r.reasons


@pytest.mark.parametrize(
    "answer",
    [
        "Мария, яму заделают до 27 ноября.",
        "Добрый день! Яму засыпали сегодня, фото прилагаем.",
        "Ямочный ремонт на ул. Ленина выполнен 20.11, акт выполненных работ у старшего по дому.",
        "Ремонт включен в план на 2027 год, работы пройдут летом.",
        "Ваше обращение передано в ДЭП. Бригада приедет завтра с 9 до 12.",
        "Аварию на водоводе устранили, горячая вода подана в 16:30.",
        "Причина отключения - порыв на магистрали, воду дадут сегодня до 18:00.",
    ],
)
def test_concrete_answer_is_not_otpiska(answer: str) -> None:
    r = rate_answer(COMPLAINT, answer)
    assert not r.otpiska, (answer, r)
    assert r.quality >= 50


def test_rating_shape_and_determinism() -> None:
    for answer in ["", "   ", "👍", "Ваше обращение передано", "Яму засыпали 20.11"]:
        r = rate_answer(COMPLAINT, answer)
        assert isinstance(r, AnswerRating)
        assert 0 <= r.quality <= 100
        assert all(isinstance(x, str) and x for x in r.reasons)
        assert r == rate_answer(COMPLAINT, answer)
    assert rate_answer(COMPLAINT, "").otpiska
    # the complaint is optional context
    assert not rate_answer("", "Яму засыпали 20 ноября, фото прилагаем").otpiska
