"""Issue 15 in the messenger: «Ответить» on the alert, /answer, /publish, /templates.

Real aiogram against the fake Telegram (``tests.bot_harness``), the real domain
(``bot.answering``) against the fake VK through the real vk_api, and the real collector and
ingest reading the published answer back (``tests.answer_support``), on one clock and one
database: what the official presses and reads, and what residents then see on VK.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Dispatcher
from sqlalchemy import select

from bot.app import build_dispatcher
from bot.core import texts
from config.settings import Settings
from sandbox.fake_telegram import FakeTelegram
from storage.models import AnswerDraft, AnswerState, AnswerTemplate, AuditEntry, KeyValue
from tests.answer_support import (
    CITY,
    GOOD,
    LEAD,
    MODERATOR,
    OFFICIAL,
    OTPISKA,
    PARKS,
    PARKS_OFFICIAL,
    AnswerWorld,
)
from tests.bot_harness import Harness, buttons

PAGE = "Администрация г. Примерска"
ADDRESSED = "Мария, яму у дома 5 заделают до 27 ноября, бригада выйдет в среду."


class AnswerHarness(Harness):
    """The bot of ``tests.bot_harness`` on the answer world's clock, database and fake VK,
    with answering wired as the app wires it (``build_dispatcher(answers=…)``)."""

    def __init__(self, world: AnswerWorld) -> None:
        super().__init__(world.db_url, registry=world.registry)
        self.world = world
        self.clock = world.clock
        self.fake = FakeTelegram(self.clock)

    def make_dispatcher(self) -> Dispatcher:
        return build_dispatcher(
            self.sessions,
            self.clock,
            self.registry,
            Settings(_env_file=None),
            answers=self.world.deps(),
        )


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[AnswerWorld]:
    async with AnswerWorld(db_url) as w:
        yield w


@pytest.fixture
async def h(world: AnswerWorld) -> AsyncIterator[AnswerHarness]:
    async with AnswerHarness(world) as harness:
        yield harness


def plain(message: dict[str, Any]) -> str:
    return re.sub(r"<[^>]+>", "", message.get("text") or "")


def button(message: dict[str, Any], label: str) -> str:
    """The payload (or url) of the button labelled ``label``."""
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for b in row:
            if b["text"] == label:
                return str(b.get("callback_data") or b.get("url"))
    raise AssertionError(f"no button {label!r} in {buttons(message)}")


async def alert(h: AnswerHarness, page: int = CITY, chat: int = OFFICIAL) -> tuple[int, int, int]:
    """A resident's complaint collected from VK and its alert delivered: (complaint id, the
    resident's VK comment id, the card's message id in ``chat``)."""
    complaint_id, resident = await h.world.complaint(page=page)
    await h.flush()
    mid, card = h.last(chat)
    assert f"Жалоба №{complaint_id}" in card["text"]
    return complaint_id, resident, mid


async def drafts(h: AnswerHarness) -> list[AnswerDraft]:
    async with h.sessions() as s:
        return list((await s.execute(select(AnswerDraft).order_by(AnswerDraft.id))).scalars())


async def audit_actions(h: AnswerHarness, complaint_id: int) -> list[tuple[str, str]]:
    async with h.sessions() as s:
        rows = (await s.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        return [
            (a.action, a.actor)
            for a in rows
            if a.complaint_id == complaint_id and a.action.startswith("answer_")
        ]


async def test_answer_button_previews_publishes_once_and_the_card_shows_the_answer(
    h: AnswerHarness,
) -> None:
    complaint_id, resident, card_mid = await alert(h)
    asked_at = h.world.fake.world.wall(CITY).comments[resident].at
    assert button(h.last(OFFICIAL)[1], "Ответить") == f"an:{complaint_id}"
    await h.world.clock.sleep(30 * 60)  # the official answers half an hour later

    await h.press(OFFICIAL, card_mid, f"an:{complaint_id}")
    _, ask = h.last(OFFICIAL)
    assert "напишите ответ жителю" in plain(ask) and f"«{PAGE}»" in plain(ask)
    h.dp = h.make_dispatcher()  # a restart between the press and the text loses nothing

    preview = await h.reply(OFFICIAL, GOOD)
    assert f"Так ответ увидят жители — от имени страницы «{PAGE}»" in preview
    assert ADDRESSED in preview and "Проверка пройдена" in preview
    assert h.world.fake.writes == []  # nothing on VK before «Опубликовать»
    preview_mid, preview_card = h.last(OFFICIAL)
    publish = button(preview_card, "Опубликовать")

    toast = await h.press(OFFICIAL, preview_mid, publish)
    assert toast.params["text"] == f"Ответ опубликован от имени страницы «{PAGE}»."
    done = h.fake.messages(OFFICIAL)[preview_mid]
    assert done["edited"] and ADDRESSED in plain(done)
    [posted] = h.world.page_answers(CITY, resident)
    assert posted.text == ADDRESSED
    assert button(done, "Ответ во ВКонтакте").endswith(f"reply={posted.id}&thread={resident}")

    # A second press (a double tap, a forwarded card) publishes nothing more.
    again = await h.press(OFFICIAL, preview_mid, publish)
    assert "уже опубликован" in again.params["text"]
    assert len(h.world.page_answers(CITY, resident)) == 1
    assert len(h.world.fake.writes) == 1
    # The next plain message is an ordinary one again.
    assert await h.reply(OFFICIAL, "спасибо") == texts.UNKNOWN_COMMAND

    # The collector reads it back as the page's answer, timed from the complaint.
    async def answered() -> bool:
        return (await h.world.get(complaint_id)).answered_at is not None

    await h.world.collect_until(answered, "the published answer read back")
    complaint = await h.world.get(complaint_id)
    assert complaint.status == "answered" and complaint.otpiska is False
    assert complaint.response_seconds == int(posted.at) - int(asked_at) >= 30 * 60
    await h.flush()
    card = h.fake.messages(OFFICIAL)[card_mid]
    assert card["edited"] and "бригада выйдет в среду" in plain(card)
    assert "Ответить" not in dict(buttons(card))  # answered: nothing left to answer
    assert [a for a, _ in await audit_actions(h, complaint_id)].count("answer_published") == 1


async def test_answer_command_publishes_in_one_step(h: AnswerHarness) -> None:
    complaint_id, resident, _ = await alert(h)
    # Without a text it asks for one, like the button; the typed text then settles it.
    assert "напишите ответ жителю" in await h.reply(OFFICIAL, f"/answer {complaint_id}")
    reply = await h.reply(OFFICIAL, f"/answer {complaint_id} {GOOD}")
    assert reply.startswith(f"Ответ опубликован от имени страницы «{PAGE}».")
    assert await h.reply(OFFICIAL, "спасибо") == texts.UNKNOWN_COMMAND
    assert [c.text for c in h.world.page_answers(CITY, resident)] == [ADDRESSED]
    # Typed again: refused, still one answer on VK.
    again = await h.reply(OFFICIAL, f"/answer {complaint_id} {GOOD}")
    assert f"На жалобу №{complaint_id} уже ответили из Otklik." in again
    assert len(h.world.page_answers(CITY, resident)) == 1
    # Answered: asking for a text is refused; without a number it says how.
    assert "уже ответили" in await h.reply(OFFICIAL, f"/answer {complaint_id}")
    assert "/answer 12" in await h.reply(OFFICIAL, "/answer")


async def test_otpiska_is_stopped_with_reasons_then_fixed_and_published(h: AnswerHarness) -> None:
    complaint_id, resident, card_mid = await alert(h)
    await h.press(OFFICIAL, card_mid, f"an:{complaint_id}")
    held = await h.reply(OFFICIAL, OTPISKA)
    assert "Похоже на отписку, ответ не опубликован" in held
    assert f"/publish {complaint_id}" in held
    held_mid, held_card = h.last(OFFICIAL)
    assert [b for b, _ in buttons(held_card)] == ["Исправить", "Опубликовать как есть"]
    assert h.world.fake.writes == []
    [draft] = await drafts(h)
    assert draft.state == AnswerState.HELD and draft.check_reasons

    await h.press(OFFICIAL, held_mid, button(held_card, "Исправить"))
    assert "пришлите исправленный текст" in plain(h.last(OFFICIAL)[1])
    fixed = await h.reply(OFFICIAL, GOOD)
    assert "Проверка пройдена" in fixed and ADDRESSED in fixed
    fixed_mid, fixed_card = h.last(OFFICIAL)
    await h.press(OFFICIAL, fixed_mid, button(fixed_card, "Опубликовать"))
    assert [c.text for c in h.world.page_answers(CITY, resident)] == [ADDRESSED]
    [draft] = await drafts(h)  # the same draft, rewritten
    assert draft.state == AnswerState.PUBLISHED and draft.forced is False
    assert "answer_forced" not in [a for a, _ in await audit_actions(h, complaint_id)]


async def test_publish_as_is_publishes_the_otpiska_and_is_audited(h: AnswerHarness) -> None:
    complaint_id, resident, _ = await alert(h)
    held = await h.reply(OFFICIAL, f"/answer {complaint_id} {OTPISKA}")
    assert "Похоже на отписку" in held and h.world.fake.writes == []
    held_mid, held_card = h.last(OFFICIAL)

    toast = await h.press(OFFICIAL, held_mid, button(held_card, "Опубликовать как есть"))
    assert "Ответ опубликован" in toast.params["text"]
    [posted] = h.world.page_answers(CITY, resident)
    assert posted.text.startswith("Мария, ваше обращение передано")
    assert await audit_actions(h, complaint_id) == [
        ("answer_forced", f"tg:{OFFICIAL}"),
        ("answer_published", f"tg:{OFFICIAL}"),
    ]
    [draft] = await drafts(h)
    assert draft.forced is True
    stats = await h.reply(MODERATOR, "/stats")
    assert "Ответов из мессенджера: 1, из них опубликовано «как есть» вопреки проверке: 1" in stats
    # `/publish` afterwards publishes nothing more.
    assert "уже" in await h.reply(OFFICIAL, f"/publish {complaint_id}")
    assert len(h.world.fake.writes) == 1


async def test_publish_command_publishes_the_held_draft_as_is(h: AnswerHarness) -> None:
    complaint_id, resident, _ = await alert(h)
    await h.reply(OFFICIAL, f"/answer {complaint_id} {OTPISKA}")
    reply = await h.reply(OFFICIAL, f"/publish {complaint_id}")
    assert reply.startswith("Ответ опубликован")
    assert len(h.world.page_answers(CITY, resident)) == 1
    assert next(a for a, _ in await audit_actions(h, complaint_id)) == "answer_forced"


async def test_a_page_without_a_community_token_refuses_clearly_and_keeps_the_draft(
    h: AnswerHarness,
) -> None:
    complaint_id, resident, card_mid = await alert(h, page=PARKS, chat=PARKS_OFFICIAL)
    await h.press(PARKS_OFFICIAL, card_mid, f"an:{complaint_id}")
    preview = await h.reply(PARKS_OFFICIAL, GOOD)
    preview_mid, preview_card = h.last(PARKS_OFFICIAL)
    toast = await h.press(PARKS_OFFICIAL, preview_mid, button(preview_card, "Опубликовать"))
    assert "нет ключа доступа сообщества" in toast.params["text"]
    refused = plain(h.fake.messages(PARKS_OFFICIAL)[preview_mid])
    assert "У страницы «Парки Примерска» нет ключа доступа сообщества" in refused
    assert "Текст ответа, чтобы опубликовать вручную" in refused and ADDRESSED in refused
    assert "Мария, яму" in preview
    assert h.world.fake.writes == [] and h.world.page_answers(PARKS, resident) == []
    [draft] = await drafts(h)
    assert draft.state == AnswerState.DRAFT and draft.text == ADDRESSED
    assert (await h.world.get(complaint_id)).answered_at is None


async def test_an_official_outside_the_complaints_scope_cannot_answer_it(
    h: AnswerHarness,
) -> None:
    complaint_id, _resident, _ = await alert(h)
    own_id, _, parks_mid = await alert(h, page=PARKS, chat=PARKS_OFFICIAL)
    # The parks official forges «Ответить» for the city's complaint on a card of their own.
    toast = await h.press(PARKS_OFFICIAL, parks_mid, f"an:{complaint_id}")
    assert toast.params["text"] == f"Жалоба №{complaint_id} не найдена."
    assert toast.params["show_alert"] is True
    assert "не найдена" in await h.reply(PARKS_OFFICIAL, f"/answer {complaint_id} {GOOD}")
    # Their next plain message is not taken as an answer to it.
    assert await h.reply(PARKS_OFFICIAL, GOOD) == texts.UNKNOWN_COMMAND
    # A lead may not answer at all.
    refusal = await h.reply(LEAD, f"/answer {complaint_id} {GOOD}")
    assert "вам недоступна" in refusal and "исполнители" in refusal
    assert h.world.fake.writes == [] and await drafts(h) == []
    assert own_id != complaint_id


async def test_forged_payloads_change_nothing(h: AnswerHarness) -> None:
    complaint_id, _resident, card_mid = await alert(h)
    # The moderator's held draft, which the official then tries to publish «как есть».
    await h.reply(MODERATOR, f"/answer {complaint_id} {OTPISKA}")
    [theirs] = await drafts(h)
    for data in (
        f"af:{theirs.id}",
        f"ap:{theirs.id}",
        f"ae:{theirs.id}",
        "ap:999999",
        "ap:x",
        "an:0",
        f"an:{complaint_id}:1",
        "an:99999999999999999999",
        f"at:{complaint_id}:12345",
    ):
        toast = await h.press(OFFICIAL, card_mid, data)
        assert toast.params.get("show_alert") is True, data
    assert h.world.fake.writes == []
    [still] = await drafts(h)
    assert (still.state, still.text, still.forced) == (theirs.state, theirs.text, False)
    async with h.sessions() as s:
        keys = (await s.execute(select(KeyValue.key))).scalars()
        assert not [k for k in keys if k.startswith("answering:")]
    assert "answer_forced" not in [a for a, _ in await audit_actions(h, complaint_id)]


async def test_templates_added_used_with_placeholders_filled_edited_and_removed(
    h: AnswerHarness,
) -> None:
    complaint_id, resident, card_mid = await alert(h)
    add = (
        "/templates добавить дороги | все | Яма: сроки | Яму по адресу {адрес} заделают "
        "до {дата}, бригада выйдет в среду."
    )
    assert "вам недоступна" not in await h.reply(OFFICIAL, "/templates")
    assert "ведут модераторы" in await h.reply(OFFICIAL, add)  # officials only use them
    added = await h.reply(MODERATOR, add)
    assert re.fullmatch(r"Шаблон №\d+ «Яма: сроки» добавлен\.", added), added
    async with h.sessions() as s:
        [template] = (await s.execute(select(AnswerTemplate))).scalars()
    assert (template.topic, template.agency_id) == ("roads", None)
    listed = await h.reply(OFFICIAL, "/templates")
    assert f"№{template.id}. Яма: сроки — дороги, все ведомства" in listed

    await h.press(OFFICIAL, card_mid, f"an:{complaint_id}")
    ask_mid, ask = h.last(OFFICIAL)
    pick = button(ask, "Шаблон: Яма: сроки")
    assert pick == f"at:{complaint_id}:{template.id}"
    await h.press(OFFICIAL, ask_mid, pick)
    started_mid, started = h.last(OFFICIAL)
    assert "не заполнено: «{адрес}», «{дата}»" in plain(started)
    assert [b for b, _ in buttons(started)] == ["Исправить"]  # no «как есть» with a blank
    # «Как есть» forged on the unfilled template is refused as well.
    toast = await h.press(OFFICIAL, started_mid, f"af:{(await drafts(h))[0].id}")
    assert "заполните" in toast.params["text"] and h.world.fake.writes == []

    filled = await h.reply(
        OFFICIAL, "Яму по адресу ул. Ленина, 5 заделают до 27 ноября, бригада выйдет в среду."
    )
    assert "Проверка пройдена" in filled
    ready_mid, ready = h.last(OFFICIAL)
    await h.press(OFFICIAL, ready_mid, button(ready, "Опубликовать"))
    [posted] = h.world.page_answers(CITY, resident)
    assert "ул. Ленина, 5" in posted.text and "{" not in posted.text
    assert (await drafts(h))[0].template_id == template.id

    edit = f"/templates изменить {template.id} | - | Работы по адресу {{адрес}} идут."
    assert "изменён" in await h.reply(MODERATOR, edit)
    assert "Работы по адресу {адрес} идут." in await h.reply(OFFICIAL, "/templates")
    assert "удалён" in await h.reply(MODERATOR, f"/templates удалить {template.id}")
    assert await h.reply(OFFICIAL, "/templates") == texts.TEMPLATES_NONE
    assert "Не знаю тему" in await h.reply(MODERATOR, "/templates добавить луна | все | a | b")


async def test_a_long_template_list_fits_one_message(h: AnswerHarness) -> None:
    long_text = "Бригада выйдет по адресу {адрес} и всё сделает до {дата}. " * 16
    for n in range(15):
        assert "добавлен" in await h.reply(
            MODERATOR, f"/templates добавить дороги | все | Шаблон {n} | {long_text}"
        )
    listed = await h.reply(MODERATOR, "/templates")  # one message, delivered (status 200)
    assert listed.startswith("Шаблоны ответов (15):")
    assert "…и ещё" in listed and len(listed) < 4000


async def test_vk_away_keeps_the_draft_and_retry_publishes_once(h: AnswerHarness) -> None:
    complaint_id, resident, _ = await alert(h)
    h.world.fake.inject_fault("http502", method="wall.createComment", count=2)
    failed = await h.reply(OFFICIAL, f"/answer {complaint_id} {GOOD}")
    assert "ВКонтакте сейчас не отвечает" in failed and "Черновик сохранён" in failed
    assert ADDRESSED in failed  # the text, to publish by hand if need be
    failed_mid, failed_card = h.last(OFFICIAL)
    assert h.world.page_answers(CITY, resident) == []
    [draft] = await drafts(h)
    assert draft.state == AnswerState.FAILED

    toast = await h.press(OFFICIAL, failed_mid, button(failed_card, "Повторить"))
    assert toast.params["text"].startswith("Ответ опубликован")
    assert [c.text for c in h.world.page_answers(CITY, resident)] == [ADDRESSED]
    # Comments closed on another complaint's post: said clearly, no «Повторить», text kept.
    other_id, _, _ = await alert(h)
    h.world.fake.close_comments(CITY, 10)
    closed = await h.reply(OFFICIAL, f"/answer {other_id} {GOOD}")
    assert "Комментарии под этой записью закрыты" in closed and ADDRESSED in closed
    assert buttons(h.last(OFFICIAL)[1]) == []
    assert len(h.world.fake.writes) == 4  # two refused, one published, one refused


async def test_the_longest_answer_is_previewed_whole_and_a_longer_one_refused(
    h: AnswerHarness,
) -> None:
    complaint_id, _, card_mid = await alert(h)
    await h.press(OFFICIAL, card_mid, f"an:{complaint_id}")
    sentence = "Яму у дома 5 заделают до 27 ноября, бригада выйдет в среду. "
    # A text whose preview could not be sent in one message is refused, and still awaited.
    too_long = await h.reply(OFFICIAL, (sentence * 70)[:3990])
    assert too_long == "Напишите текст ответа (до 3000 знаков)."
    longest = (sentence * 60)[:2990]
    preview = await h.reply(OFFICIAL, longest)  # one message, delivered whole
    assert longest[-40:].strip() in preview and "Проверка пройдена" in preview
    assert h.world.fake.writes == []


async def test_the_preview_names_no_resident_on_a_messenger_without_personal_data(
    h: AnswerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13's no-personal-data mode: the preview shows where the answer addresses the
    resident, not their name; VK still gets the answer addressed by name."""
    monkeypatch.setenv("OTKLIK__PRIVACY__TELEGRAM", "no_personal_data")
    h.dp = h.make_dispatcher()
    complaint_id, _, card_mid = await alert(h)
    await h.press(OFFICIAL, card_mid, f"an:{complaint_id}")
    preview = await h.reply(OFFICIAL, GOOD)
    assert "Мария" not in preview and "[имя жителя], яму у дома 5" in preview
    preview_mid, preview_card = h.last(OFFICIAL)
    await h.press(OFFICIAL, preview_mid, button(preview_card, "Опубликовать"))
    assert [w["message"] for w in h.world.fake.writes] == [ADDRESSED]
    done = plain(h.fake.messages(OFFICIAL)[preview_mid])
    assert "Ответ опубликован" in done and "Мария" not in done, done
