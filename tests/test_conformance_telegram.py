"""Every answer of the fake Telegram conforms to the Bot API as aiogram models it.

aiogram's types are generated from the Bot API's published description; aiogram itself
accepts unknown keys and coerces types, so a fake that drifts (a key Telegram never sends, a
string for a number, ``null`` for an absent field) would still "work" in our tests.  Here the
real aiogram ``Bot`` talks to the fake, every raw answer is kept (the session's
``check_response``) and checked strictly against ``Response[<the method's return type>]``;
the updates the sandbox sends in (a resident's message, a button press) are checked as
``Update`` objects the same way.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)

from config.clock import ManualClock
from sandbox.fake_telegram import FakeTelegram, LocalAiohttpSession
from tests import test_fake_telegram
from tests.conformance_support import TELEGRAM, assert_conforms
from tests.test_fake_telegram import ANNA, BORIS

# Keys of an Update besides update_id: exactly one is present (core.telegram.org/bots/api#update).
UPDATE_PAYLOADS = frozenset(Update.model_fields) - {"update_id"}


@dataclass
class Answer:
    """One raw answer aiogram received and what the method promises to return."""

    method: str
    returning: Any
    status: int
    content: str


class RecordingSession(LocalAiohttpSession):
    """aiogram's own HTTP session, keeping every raw answer before aiogram parses it."""

    def __init__(self, base_url: str) -> None:
        super().__init__(api=TelegramAPIServer.from_base(base_url))
        self.answers: list[Answer] = []

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        returning = type(method).__returning__
        self.answers.append(Answer(type(method).__name__, returning, status_code, content))
        return super().check_response(bot, method, status_code, content)


def check_answer(answer: Answer) -> dict[str, Any]:
    """The raw body against ``Response[returning]``, plus the envelope rules of the Bot API."""
    what = f"{answer.method} (HTTP {answer.status})"
    body = json.loads(answer.content)
    generic: Any = Response
    assert_conforms(body, generic[answer.returning], TELEGRAM, what)
    if body["ok"]:
        assert answer.status == 200 and "result" in body, what
        assert "error_code" not in body and "parameters" not in body, what
    else:
        assert {"error_code", "description"} <= set(body) and "result" not in body, what
        assert body["error_code"] == answer.status, what
    if answer.method == "GetUpdates" and body["ok"]:
        for update in body["result"]:
            payloads = set(update) & UPDATE_PAYLOADS
            assert len(payloads) == 1, f"an update carries exactly one payload: {update}"
    return dict(body)


def check_all(session: RecordingSession, *, expect: set[str]) -> list[dict[str, Any]]:
    bodies = [check_answer(a) for a in session.answers]
    seen = {a.method for a in session.answers}
    assert expect <= seen, f"not exercised: {expect - seen}"
    return bodies


# The fake's tests' world: a ManualClock at START, the fake with Anna and Boris.
clock = test_fake_telegram.clock
fake = test_fake_telegram.fake


@pytest.fixture
async def recorded(fake: FakeTelegram) -> AsyncIterator[tuple[Bot, RecordingSession]]:
    session = RecordingSession(fake.base_url)
    bot = Bot("42:TEST", session=session)
    yield bot, session
    await session.close()


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=f"Кнопка {d}", callback_data=d)] for d in data]
    )


CARD = (
    "<b>Жалоба №17</b> · <i>Дороги</i>\n"
    '<a href="https://vk.com/wall-1001_10?reply=12">Яма на Ленина 5</a> &lt;срочно&gt; &amp; '
    '<code>id 12</code>\n<pre><code class="language-text">SLA 24 ч</code></pre>'
    "<blockquote>Когда заделаете?</blockquote> <tg-spoiler>тел.</tg-spoiler> 🚧"
)


async def test_bot_methods_answers_conform(
    fake: FakeTelegram, recorded: tuple[Bot, RecordingSession], clock: ManualClock
) -> None:
    """What the app calls: start-up (getMe, commands, webhook), alert cards with HTML and
    buttons, their edits, reports as photos and documents, button answers."""
    bot, session = recorded
    await bot.get_me()
    await bot.delete_webhook(drop_pending_updates=False)
    await bot.get_webhook_info()
    commands = [
        BotCommand(command="status", description="Сводка"),
        BotCommand(command="help", description="Справка"),
    ]
    await bot.set_my_commands(commands)
    await bot.set_my_commands(commands[:1], scope=BotCommandScopeChat(chat_id=ANNA))
    assert [c.command for c in await bot.get_my_commands()] == ["status", "help"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=ANNA))

    card = await bot.send_message(
        ANNA, CARD, parse_mode="HTML", reply_markup=keyboard("ack:17", "wait:17")
    )
    clock.advance(1)
    await bot.edit_message_reply_markup(
        chat_id=ANNA, message_id=card.message_id, reply_markup=keyboard("done:17")
    )
    clock.advance(1)
    await bot.edit_message_text(
        "<b>Жалоба №17</b>: ответ дан", chat_id=ANNA, message_id=card.message_id, parse_mode="HTML"
    )
    clock.advance(1)
    fake.add_group(-1001234567890, "Модераторы")
    await bot.send_message(-1001234567890, "Сводка за день: 5 жалоб")
    photo = await bot.send_photo(
        BORIS,
        BufferedInputFile(b"\x89PNG fake", "chart.png"),
        caption="<b>График</b>",
        parse_mode="HTML",
    )
    clock.advance(1)
    await bot.edit_message_caption(
        chat_id=BORIS, message_id=photo.message_id, caption="График за неделю"
    )
    clock.advance(1)
    await bot.send_document(BORIS, BufferedInputFile(b"a;b\n1;2\n", "report.csv"), caption="Отчёт")
    clock.advance(1)
    await bot.send_document(BORIS, BufferedInputFile(b"x", "labels.xlsx"))
    await bot.send_chat_action(BORIS, "typing")
    clock.advance(1)
    note = await bot.send_message(BORIS, "временное")
    await bot.delete_message(BORIS, note.message_id)

    query_id = fake.push_callback(ANNA, card.message_id, "done:17")
    await bot.answer_callback_query(query_id, text="Принято")
    check_all(
        session,
        expect={
            "GetMe",
            "DeleteWebhook",
            "GetWebhookInfo",
            "SetMyCommands",
            "GetMyCommands",
            "DeleteMyCommands",
            "SendMessage",
            "EditMessageReplyMarkup",
            "EditMessageText",
            "EditMessageCaption",
            "SendPhoto",
            "SendDocument",
            "SendChatAction",
            "DeleteMessage",
            "AnswerCallbackQuery",
        },
    )


async def test_incoming_updates_conform(
    fake: FakeTelegram, recorded: tuple[Bot, RecordingSession]
) -> None:
    """What the sandbox sends in: a resident's text, a command, a new user's first message and
    a button press on a card, as getUpdates delivers them."""
    bot, session = recorded
    fake.push_message(ANNA, "/start")
    fake.push_message(BORIS, "Здравствуйте! Где моя жалоба? 😊")
    fake.push_message(7777, "/help подробно")
    card = await bot.send_message(ANNA, "Новая жалоба", reply_markup=keyboard("ack:1"))
    fake.push_callback(ANNA, card.message_id, "ack:1")
    updates = await bot.get_updates(timeout=0)
    assert [u.event_type for u in updates] == ["message"] * 3 + ["callback_query"]
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []
    check_all(session, expect={"GetUpdates"})
    delivered = next(a for a in session.answers if a.method == "GetUpdates")
    raw = json.loads(delivered.content)["result"]
    assert len(raw) == 4
    for update in raw:
        assert_conforms(update, Update, TELEGRAM, "update")


async def test_error_answers_conform(
    fake: FakeTelegram, recorded: tuple[Bot, RecordingSession], clock: ManualClock
) -> None:
    """Refusals the outbox sorts: bad HTML, no change, blocked user, unknown chat, flood
    limit with retry_after, a stale button, a server error."""
    bot, session = recorded
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(ANNA, "Яма <Ленина> & 5", parse_mode="HTML")
    sent = await bot.send_message(ANNA, "карточка", reply_markup=keyboard("ack:1"))
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(ANNA, "слишком быстро")
    clock.advance(1)
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_reply_markup(
            chat_id=ANNA, message_id=sent.message_id, reply_markup=keyboard("ack:1")
        )
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "кому?")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("123", text="поздно")
    fake.block(BORIS)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(BORIS, "вы заблокировали бота")
    fake.inject_fault("http500", method="sendMessage")
    with pytest.raises(TelegramServerError):
        await bot.send_message(ANNA, "сбой")
    fake.inject_fault("http502", method="getMe")
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    stranger = RecordingSession(fake.base_url)
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await Bot("42:not.a.token", session=stranger).get_me()
    finally:
        await stranger.close()
    bodies = check_all(session, expect={"SendMessage", "EditMessageReplyMarkup", "GetMe"})
    bodies += check_all(stranger, expect={"GetMe"})
    codes = sorted({b["error_code"] for b in bodies if not b["ok"]})
    assert codes == [400, 401, 403, 429, 500, 502]
    (flood,) = [b for b in bodies if b.get("error_code") == 429]
    assert flood["parameters"] == {"retry_after": 1}


def test_the_check_refuses_what_telegram_never_sends() -> None:
    """The check itself: an unknown key, a string id, a null field and a missing chat fail,
    also deep inside an Update."""
    message = {
        "message_id": 1,
        "date": 1772442000,
        "chat": {"id": ANNA, "type": "private", "first_name": "Анна"},
        "from": {"id": ANNA, "is_bot": False, "first_name": "Анна"},
        "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    assert_conforms({"update_id": 5, "message": message}, Update, TELEGRAM)
    bad_cases: list[tuple[dict[str, Any], str]] = [
        ({**message, "sender_name": "Анна"}, "sender_name: not a field"),
        ({**message, "message_id": "1"}, "where an integer"),
        ({**message, "reply_markup": None}, "null"),
        ({k: v for k, v in message.items() if k != "chat"}, "chat: required"),
        ({**message, "chat": {"id": ANNA, "type": "private", "is_private": True}}, "is_private"),
        ({**message, "entities": [{"type": "bot_command", "offset": 0}]}, "length: required"),
    ]
    for item, text in bad_cases:
        with pytest.raises(AssertionError, match=text):
            assert_conforms({"update_id": 5, "message": item}, Update, TELEGRAM)
