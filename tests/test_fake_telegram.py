"""The fake Bot API must behave like Telegram where Otklik's alert path can break.

Every test drives the real aiogram ``Bot`` (and, for the polling tests, a real ``Dispatcher``)
over HTTP, so a passing test means aiogram itself accepted the fake's answers and mapped its
errors to the exceptions production code will see.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from config.clock import ManualClock, VirtualClock
from sandbox.fake_telegram import (
    FakeTelegram,
    LocalAiohttpSession,
    TelegramLimits,
    TgCall,
    parse_html,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANNA = 1001
BORIS = 1002


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    tg = FakeTelegram(clock)
    await tg.start()
    tg.add_user(ANNA, "Анна", "Петрова", "anna_p")
    tg.add_user(BORIS, "Борис")
    yield tg
    await tg.stop()


def _make_bot(fake: FakeTelegram, token: str = "42:TEST") -> Bot:
    # LocalAiohttpSession is aiogram's AiohttpSession without the 250 ms sleep in close().
    return Bot(token, session=LocalAiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    b = _make_bot(fake)
    yield b
    await b.session.close()


def _keyboard(data: str = "ack:1") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Взять в работу", callback_data=data)]]
    )


@contextlib.asynccontextmanager
async def _polling(dp: Dispatcher, bot: Bot) -> AsyncIterator[None]:
    """Run real long polling against the fake; stop it (aiogram closes the session) on exit.

    Callers push updates before entering, so the first getUpdates returns at once instead of
    long-polling, and wait for an effect of a handler before leaving, which also proves that
    polling is running when ``stop_polling`` is called.
    """
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        yield
    finally:
        await dp.stop_polling()
        await task


# ---- polling through a real Dispatcher ------------------------------------------------------


async def test_dispatcher_answers_pushed_start(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    router = Router()

    @router.message(CommandStart())
    async def on_start(message: Message) -> None:
        assert message.from_user is not None
        await message.answer(f"Здравствуйте, {html.escape(message.from_user.first_name)}!")

    dp = Dispatcher()
    dp.include_router(router)
    first = fake.push_message(ANNA, "/start")
    async with _polling(dp, bot):
        reply = await fake.wait_for(lambda c: c.method == "sendMessage", timeout=5)
        clock.advance(1)  # stay within the 1 msg/s private-chat limit
        second = fake.push_message(ANNA, "/start")
        await fake.wait_for(lambda c: c.method == "sendMessage", timeout=5, start=len(fake.calls))

    assert reply.status == 200
    assert reply.chat_id == ANNA
    assert reply.text == "Здравствуйте, Анна!"
    assert [c.method for c in fake.calls[:2]] == ["getMe", "getUpdates"]
    # The poll that delivered the second update confirmed the first one via its offset,
    # and the first update was not delivered (answered) twice.
    polls = [c for c in fake.calls if c.method == "getUpdates"]
    assert any(c.params.get("offset") == first + 1 for c in polls)
    assert second == first + 1
    assert [c.text for c in fake.sent(ANNA)] == ["Здравствуйте, Анна!"] * 2


async def test_callback_press_reaches_callback_handler(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    pressed: list[str] = []
    router = Router()

    @router.callback_query(F.data.startswith("ack:"))
    async def on_ack(query: CallbackQuery) -> None:
        assert query.data is not None
        assert isinstance(query.message, Message)
        pressed.append(query.data)
        await query.answer("Принято")
        await query.message.edit_text("Взято в работу: Анна")

    dp = Dispatcher()
    dp.include_router(router)
    alert = await bot.send_message(ANNA, "Новая жалоба", reply_markup=_keyboard("ack:17"))
    clock.advance(1)  # an edit counts toward the 1 msg/s chat limit, like a send
    query_id = fake.push_callback(ANNA, alert.message_id, "ack:17")
    async with _polling(dp, bot):
        await fake.wait_for(lambda c: c.method == "editMessageText", timeout=5)
        answer = await fake.wait_for(lambda c: c.method == "answerCallbackQuery", timeout=5)

    assert pressed == ["ack:17"]
    assert answer.status == 200
    assert answer.params["callback_query_id"] == query_id
    assert answer.params["text"] == "Принято"
    state = fake.messages(ANNA)[alert.message_id]
    assert state["text"] == "Взято в работу: Анна"
    assert state["edited"] is True
    assert state["reply_markup"] is None  # edit_text without a keyboard removes it


def test_push_callback_needs_a_bot_message(fake: FakeTelegram) -> None:
    with pytest.raises(LookupError):
        fake.push_callback(ANNA, 99, "ack:1")


async def test_get_updates_confirms_below_offset(fake: FakeTelegram, bot: Bot) -> None:
    first = fake.push_message(BORIS, "привет")
    second = fake.push_message(7777, "/help")  # an unknown user may write to the bot

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first, second]
    assert updates[1].message is not None
    assert updates[1].message.entities is not None
    assert updates[1].message.entities[0].type == "bot_command"

    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert await bot.get_updates(offset=second + 1) == []
    # The unknown user became a known chat by writing.
    await bot.send_message(7777, "ok")


# ---- flood limits ---------------------------------------------------------------------------


async def test_second_message_to_one_chat_within_a_second_gets_429(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    await bot.send_message(ANNA, "первое")
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(ANNA, "второе")
    assert exc.value.retry_after == 1
    assert fake.http_429_count() == 1

    await bot.send_message(BORIS, "другой чат не ограничен")
    clock.advance(0.5)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(ANNA, "всё ещё рано")
    clock.advance(0.5)
    await bot.send_message(ANNA, "теперь можно")

    assert fake.http_429_count() == 2
    assert [c.text for c in fake.sent(ANNA)] == ["первое", "теперь можно"]
    refused = [c for c in fake.calls if c.status == 429]
    assert refused[0].error == "Too Many Requests: retry after 1"


async def test_limits_run_on_virtual_time() -> None:
    clock = VirtualClock(START, speed=20.0)
    async with FakeTelegram(clock) as fake:
        fake.add_user(ANNA, "Анна")
        bot = _make_bot(fake)
        try:
            await bot.send_message(ANNA, "1")
            with pytest.raises(TelegramRetryAfter) as exc:
                await bot.send_message(ANNA, "2")
            await clock.sleep(exc.value.retry_after)  # 1 virtual s = 0.05 real s
            await bot.send_message(ANNA, "2")
        finally:
            await bot.session.close()
    assert [c.status for c in fake.calls] == [200, 429, 200]


async def test_group_allows_20_messages_per_minute(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    group = -1001234567890
    fake.add_group(group, "Дежурные")
    for n in range(20):
        await bot.send_message(group, f"сообщение {n}")
        clock.advance(0.5)  # faster than 1/s would be fine for a group
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(group, "21-е")
    assert exc.value.retry_after == 50  # the first message leaves the window at t=60 s

    clock.advance(49.5)
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(group, "21-е")
    assert exc.value.retry_after == 1
    clock.advance(0.5)
    await bot.send_message(group, "21-е")
    assert len(fake.sent(group)) == 21


async def test_global_limit_30_per_second(fake: FakeTelegram, bot: Bot) -> None:
    for user_id in range(2000, 2031):
        fake.add_user(user_id, f"U{user_id}")
    for user_id in range(2000, 2030):
        await bot.send_message(user_id, "рассылка")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(2030, "31-е в ту же секунду")


async def test_limits_can_be_switched_off(clock: ManualClock) -> None:
    async with FakeTelegram(clock, limits=TelegramLimits(enforce=False)) as fake:
        fake.add_user(ANNA, "Анна")
        bot = _make_bot(fake)
        try:
            for _ in range(5):
                await bot.send_message(ANNA, "x")
        finally:
            await bot.session.close()
    assert fake.http_429_count() == 0


# ---- errors aiogram must see --------------------------------------------------------------


async def test_blocked_user_gives_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    fake.block(BORIS)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(BORIS, "алерт")
    assert fake.calls[-1].status == 403
    assert fake.sent(BORIS) == []
    fake.push_message(BORIS, "/start")  # writing again unblocks
    await bot.send_message(BORIS, "алерт")


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(555, "кому?")


@pytest.mark.parametrize(
    "text",
    [
        "Жалоба: вода < нормы",
        "Отдел <b>ЖКХ",
        "<b>жирный <i>наклонный</b></i>",
        "<div>блок</div>",
        "Рога & копыта",
        "<span>скрыто</span>",
        "</b>",
    ],
)
async def test_bad_html_is_rejected(fake: FakeTelegram, bot: Bot, text: str) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(ANNA, text, parse_mode="HTML")
    assert fake.calls[-1].status == 400
    assert fake.sent() == []


async def test_escaped_html_is_accepted_and_parsed(bot: Bot) -> None:
    comment = 'Рога & копыта <script> "цитата"'
    message = await bot.send_message(
        ANNA,
        f'<b>Жалоба</b>: {html.escape(comment)} <a href="https://vk.com/wall-1_2?reply=3&thread=4">'
        "ссылка</a>",
        parse_mode="HTML",
    )
    assert message.text == f"Жалоба: {comment} ссылка"
    assert message.entities is not None
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 6),
        ("text_link", 8 + len(comment) + 1, 6),
    ]
    assert message.entities[1].url == "https://vk.com/wall-1_2?reply=3&thread=4"


def test_parse_html_counts_utf16_offsets() -> None:
    plain, entities = parse_html(
        '🚨 <b>Срочно</b> <pre><code class="language-python">x &lt; 1</code></pre>'
    )
    assert plain == "🚨 Срочно x < 1"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "pre", "language": "python", "offset": 10, "length": 5},
    ]


async def test_text_length_limit(bot: Bot) -> None:
    await bot.send_message(ANNA, "я" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(BORIS, "я" * 4097)


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot) -> None:
    await bot.send_message(ANNA, "ok", reply_markup=_keyboard("ж" * 32))  # 64 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(BORIS, "too long", reply_markup=_keyboard("ж" * 33))


async def test_edit_with_same_text_is_not_modified(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    sent = await bot.send_message(ANNA, "<b>Жалоба</b> №1", reply_markup=_keyboard())
    clock.advance(1)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="<b>Жалоба</b> №1",
            chat_id=ANNA,
            message_id=sent.message_id,
            reply_markup=_keyboard(),
        )
    assert fake.messages(ANNA)[sent.message_id]["edited"] is False

    clock.advance(1)
    await bot.edit_message_text(
        text="<b>Жалоба</b> №1 — ответ дан",
        chat_id=ANNA,
        message_id=sent.message_id,
        reply_markup=_keyboard(),
    )
    clock.advance(1)
    await bot.edit_message_reply_markup(chat_id=ANNA, message_id=sent.message_id)
    state = fake.messages(ANNA)[sent.message_id]
    assert state == {
        "text": "<b>Жалоба</b> №1 — ответ дан",
        "plain_text": "<b>Жалоба</b> №1 — ответ дан",  # no parse_mode: tags are literal text
        "reply_markup": None,
        "method": "sendMessage",
        "edited": True,
    }
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=ANNA, message_id=999)
    assert [c.method for c in fake.sent(ANNA)] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]


async def test_message_ids_increase_per_chat(fake: FakeTelegram, bot: Bot) -> None:
    fake.push_message(ANNA, "/start")  # the user's message takes id 1 in that chat
    a = await bot.send_message(ANNA, "a")
    b = await bot.send_message(BORIS, "b")
    await bot.delete_message(ANNA, a.message_id)
    assert (a.message_id, b.message_id) == (2, 1)
    assert fake.messages(ANNA) == {}
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(ANNA, a.message_id)


async def test_set_my_commands_is_stored_per_chat_scope(fake: FakeTelegram, bot: Bot) -> None:
    everyone = [BotCommand(command="start", description="Начать")]
    official = [*everyone, BotCommand(command="digest", description="Сводка за день")]
    await bot.set_my_commands(everyone)
    await bot.set_my_commands(official, scope=BotCommandScopeChat(chat_id=ANNA))

    assert fake.commands_for({"type": "chat", "chat_id": ANNA}) == [
        {"command": "start", "description": "Начать"},
        {"command": "digest", "description": "Сводка за день"},
    ]
    assert [c["command"] for c in fake.menu_for(ANNA)] == ["start", "digest"]
    assert [c["command"] for c in fake.menu_for(BORIS)] == ["start"]
    stored = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ANNA))
    assert [c.command for c in stored] == ["start", "digest"]

    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.set_my_commands(everyone, scope=BotCommandScopeChat(chat_id=31337))
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Digest", description="x")])


async def test_send_photo_multipart_is_recorded(fake: FakeTelegram, bot: Bot) -> None:
    png = b"\x89PNG" + b"\x00" * 2044
    message = await bot.send_photo(
        ANNA,
        BufferedInputFile(png, filename="week.png"),
        caption="<i>Неделя</i>",
        parse_mode="HTML",
    )
    await bot.send_document(BORIS, BufferedInputFile(b"a;b\n", filename="report.csv"))

    photo_call, doc_call = fake.sent()
    assert photo_call.method == "sendPhoto"
    assert photo_call.params["photo"] == {"filename": "week.png", "size": 2048}
    assert photo_call.text == "<i>Неделя</i>"
    assert message.caption == "Неделя"
    assert message.photo is not None
    assert message.photo[0].file_size == 2048
    assert doc_call.params["document"] == {"filename": "report.csv", "size": 4}
    assert fake.messages(BORIS)[1]["method"] == "sendDocument"

    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(BORIS, BufferedInputFile(png, filename="x.png"), caption="я" * 1025)


async def test_injected_faults(fake: FakeTelegram, bot: Bot) -> None:
    fake.inject_fault("http502", method="sendPhoto")
    fake.inject_fault("http500", count=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(ANNA, "x")
    await bot.send_message(BORIS, "после сбоя")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_photo(BORIS, BufferedInputFile(b"1", filename="a.png"))

    fake.inject_fault("timeout", delay_s=30.0)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(ANNA, "таймаут")
    assert [c.status for c in fake.calls] == [500, 500, 200, 502, 504]
    assert fake.sent(ANNA) == []  # nothing was delivered by the failed calls


async def test_wrong_token_and_unknown_method(fake: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake.base_url}/botnot-a-token/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{fake.base_url}/bot42:TEST/sendCarrierPigeon") as resp:
            assert resp.status == 404
            body = await resp.json()
            assert body["description"] == "Not Found: method not found"


async def test_unauthorized_maps_to_aiogram_error(fake: FakeTelegram) -> None:
    # The documented wiring with aiogram's stock session (its close() sleeps 250 ms).
    bot = Bot("42:x.y", session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await bot.get_me()
    finally:
        await bot.session.close()


async def test_wait_for_sees_past_and_future_calls(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(ANNA, "раньше")
    past = await fake.wait_for(lambda c: c.text == "раньше", timeout=0.1)
    assert past.chat_id == ANNA

    def later(c: TgCall) -> bool:
        return c.text == "позже"

    waiter = asyncio.create_task(fake.wait_for(later, timeout=5))
    await asyncio.sleep(0)
    assert not waiter.done()
    await bot.send_message(BORIS, "позже")
    assert (await waiter).chat_id == BORIS

    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda c: c.method == "sendPhoto", timeout=0.05)
