"""The fake MAX must behave like MAX where Otklik's alert path can break, and the real
``maxapi`` client must work against it.

Every test drives the real ``maxapi.Bot`` (and, for polling and webhooks, a real
``Dispatcher``) over HTTP, so a passing test means maxapi itself accepted the fake's answers and
mapped its errors to the exceptions a MAX adapter will see.  Some tests pin maxapi's own
behaviour that the adapter must work around (its retries duplicate a delivered message; its
edit drops the buttons; its buffer upload renames an Excel file): if maxapi changes, they say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import openpyxl
import pytest
from aiohttp import web
from maxapi import Bot, Dispatcher
from maxapi.enums.api_path import ApiPath
from maxapi.enums.http_method import HTTPMethod
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection, MaxUploadFileFailed
from maxapi.filters.command import Command
from maxapi.methods.types.getted_updates import process_update_request
from maxapi.types import BotStarted, CallbackButton, LinkButton, MessageCallback, MessageCreated
from maxapi.types.attachments.buttons.attachment_button import AttachmentButton
from maxapi.types.input_media import InputMedia, InputMediaBuffer
from maxapi.utils.inline_keyboard import InlineKeyboardBuilder
from maxapi.webhook.aiohttp import AiohttpMaxWebhook

from config.clock import ManualClock
from sandbox.fake_max import FakeMax, MaxLimits, parse_max_html
from sandbox.fake_telegram import parse_html

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANNA = 501
BORIS = 502


def tiny_png() -> bytes:
    """A valid 1×1 PNG (what a digest chart is, minus the pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def alert_keyboard(complaint: int = 7) -> AttachmentButton:
    builder = InlineKeyboardBuilder()
    builder.row(
        CallbackButton(text="В работу", payload=f"c:t:{complaint}"),
        CallbackButton(text="Решено", payload=f"c:r:{complaint}"),
    )
    builder.row(LinkButton(text="Комментарий в VK", url="https://vk.com/wall-1_2?reply=3"))
    return builder.as_markup()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeMax]:
    server = FakeMax(clock)
    await server.start()
    server.add_user(ANNA, "Анна", "Петрова", "anna_p")
    server.add_user(BORIS, "Борис")
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeMax) -> AsyncIterator[Bot]:
    b = fake.make_bot()
    yield b
    await b.close_session()


async def send_card(bot: Bot) -> str:
    """An alert card with its buttons to Anna; its message id."""
    sent = await bot.send_message(user_id=ANNA, text="Карточка", attachments=[alert_keyboard()])
    assert sent is not None
    return sent.message.body.mid


async def raw(bot: Bot, verb: HTTPMethod, path: ApiPath, params: dict[str, Any], body: Any) -> Any:
    """A request as maxapi would never send it (or has no method for), answered raw."""
    return await bot.request(verb, path, is_return_raw=True, params=params, json=body)


async def poll(bot: Bot, **kwargs: Any) -> list[Any]:
    """One long poll through maxapi, parsed into its update models as its dispatcher does."""
    events = await bot.get_updates(timeout=0, marker=bot.marker_updates, **kwargs)
    bot.marker_updates = events.get("marker")
    return await process_update_request(events=events, bot=bot)


# --------------------------------------------------------------------------------------------
# Sending, editing, formats
# --------------------------------------------------------------------------------------------


async def test_alert_with_buttons_reaches_the_dialog(fake: FakeMax, bot: Bot) -> None:
    sent = await bot.send_message(
        user_id=ANNA,
        text="<b>Жалоба</b> на «Дороги»: яма у дома 5 &amp; 7",
        format="html",
        attachments=[alert_keyboard()],
    )
    assert sent is not None
    mid = sent.message.body.mid
    assert mid.startswith("mid.")
    # MAX dialogs have their own chat id; it is not the user id as in Telegram.
    assert sent.message.recipient.chat_id == fake.dialog_id(ANNA) != ANNA
    assert sent.message.recipient.user_id == ANNA
    shown = fake.messages(ANNA)[mid]
    assert shown["plain_text"] == "Жалоба на «Дороги»: яма у дома 5 & 7"
    assert [[b["text"] for b in row] for row in shown["keyboard"]] == [
        ["В работу", "Решено"],
        ["Комментарий в VK"],
    ]
    assert fake.button_payloads(mid) == ["c:t:7", "c:r:7"]
    markup = sent.message.body.markup
    assert markup is not None
    assert [(m.type, m.from_, m.length) for m in markup] == [("strong", 0, 6)]
    call = fake.sent(ANNA)[-1]
    assert (call.method, call.user_id, call.chat_id) == (
        "POST /messages",
        ANNA,
        fake.dialog_id(ANNA),
    )


async def test_sending_by_dialog_chat_id_reaches_the_same_person(fake: FakeMax, bot: Bot) -> None:
    await bot.send_message(chat_id=fake.dialog_id(BORIS), text="Список жалоб")
    assert [m["text"] for m in fake.messages(BORIS).values()] == ["Список жалоб"]


async def test_unknown_html_tags_are_stripped_like_max_does() -> None:
    # MAX strips tags it does not know (schema, "HTML support"): an unescaped resident's
    # text loses words instead of failing, so tests must look at the plain text.
    plain, markup = parse_max_html(
        'Житель: <i>срочно</i> <script>x</script> <a href="https://v.k">тут</a>'
    )
    assert plain == "Житель: срочно x тут"
    assert [(m["type"], m["from"], m["length"]) for m in markup] == [
        ("emphasized", 8, 6),
        ("link", 17, 3),
    ]
    assert markup[1]["url"] == "https://v.k"


def test_otklik_html_subset_reads_the_same_on_both_messengers() -> None:
    """Otklik's cards use only ``<b>``, ``<i>`` and ``<a href>`` with escaped text: the same
    string is valid Telegram HTML and MAX ``format: html``, with the same plain text and the
    same spans (both count UTF-16 units), so the neutral core can keep one markup."""
    card = (
        "<b>Дороги</b> · Администрация 🏛\n"
        "<i>Иван П.</i>: яма &lt;5 см&gt; &amp; лужа «у дома»\n"
        '<a href="https://vk.com/wall-1_2?reply=3&amp;thread=4">Открыть в VK</a>'
    )
    tg_plain, tg_entities = parse_html(card)
    max_plain, max_markup = parse_max_html(card)
    assert max_plain == tg_plain
    names = {"bold": "strong", "italic": "emphasized", "text_link": "link"}
    assert [(names[e["type"]], e["offset"], e["length"], e.get("url")) for e in tg_entities] == [
        (m["type"], m["from"], m["length"], m.get("url")) for m in max_markup
    ]


async def test_markdown_format(fake: FakeMax, bot: Bot) -> None:
    sent = await bot.send_message(
        user_id=ANNA, text="**Срок** истёк: [жалоба](https://x.y/1)", format="markdown"
    )
    assert sent is not None
    assert sent.message.body.text == "Срок истёк: жалоба"
    assert [m.type for m in sent.message.body.markup or []] == ["strong", "link"]


async def test_edit_through_maxapi_drops_buttons_unless_given_again(
    fake: FakeMax, bot: Bot, clock: ManualClock
) -> None:
    mid = await send_card(bot)
    # maxapi's edit_message always sends ``attachments: []``, which MAX reads as "remove
    # them": a card edited without its keyboard loses its buttons.
    await bot.edit_message(message_id=mid, text="Карточка: взято в работу")
    assert fake.messages(ANNA)[mid]["keyboard"] is None
    clock.advance(1)
    await bot.edit_message(message_id=mid, text="Карточка: решено", attachments=[alert_keyboard()])
    shown = fake.messages(ANNA)[mid]
    assert shown["edited"] and shown["plain_text"] == "Карточка: решено"
    assert fake.button_payloads(mid) == ["c:t:7", "c:r:7"]
    # Without the key (or with null) MAX keeps the attachments; maxapi cannot send that.
    clock.advance(1)
    reopened = {"text": "Карточка: переоткрыта"}
    await raw(bot, HTTPMethod.PUT, ApiPath.MESSAGES, {"message_id": mid}, reopened)
    assert fake.button_payloads(mid) == ["c:t:7", "c:r:7"]
    assert fake.messages(ANNA)[mid]["plain_text"] == "Карточка: переоткрыта"


async def test_delete_message(fake: FakeMax, bot: Bot) -> None:
    sent = await bot.send_message(user_id=ANNA, text="Временное")
    assert sent is not None
    result = await bot.delete_message(sent.message.body.mid)
    assert result.success
    assert fake.messages(ANNA) == {}
    with pytest.raises(MaxApiError) as info:
        await bot.delete_message(sent.message.body.mid)
    assert info.value.code == 404


async def test_limits_of_text_and_keyboard_are_enforced(fake: FakeMax, bot: Bot) -> None:
    async def raw_send(body: dict[str, Any]) -> MaxApiError:
        with pytest.raises(MaxApiError) as info:
            await raw(bot, HTTPMethod.POST, ApiPath.MESSAGES, {"user_id": BORIS}, body)
        return info.value

    # maxapi refuses 4000 characters client-side; the schema allows 4000, MAX refuses more.
    with pytest.raises(ValueError, match="4000"):
        await bot.send_message(user_id=ANNA, text="я" * 4000)
    assert (await raw_send({"text": "я" * 4001})).code == 400

    def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "text": "x",
            "attachments": [{"type": "inline_keyboard", "payload": {"buttons": list(rows)}}],
        }

    callback = {"type": "callback", "text": "a", "payload": "p"}
    link = {"type": "link", "text": "a", "url": "https://x.y"}
    too_long = {"type": "callback", "text": "a", "payload": "p" * 1025}
    assert (await raw_send(keyboard([too_long]))).code == 400
    assert (await raw_send(keyboard([callback] * 8))).code == 400
    assert (await raw_send(keyboard([link] * 4))).code == 400
    assert (await raw_send(keyboard(*[[callback]] * 31))).code == 400
    assert (await raw_send({"text": "x", "markup": []})).raw["code"] == "proto.payload"
    assert fake.messages(BORIS) == {}


# --------------------------------------------------------------------------------------------
# Updates, callbacks, deep links
# --------------------------------------------------------------------------------------------


async def test_long_poll_parses_message_callback_and_deep_link(fake: FakeMax, bot: Bot) -> None:
    mid = await send_card(bot)
    fake.push_message(ANNA, "/my")
    callback_id = fake.push_callback(ANNA, mid, "c:t:7")
    started = fake.push_bot_started(603, "INV-7F3K", first_name="Вера", last_name="Иванова")
    fake.push_bot_started(604, "x" * 513)  # over 512: MAX does not pass it

    events = await poll(bot)
    created, pressed, invited, too_long = events
    assert isinstance(created, MessageCreated)
    assert created.message.body is not None and created.message.body.text == "/my"
    assert created.message.sender is not None and created.message.sender.user_id == ANNA
    assert isinstance(pressed, MessageCallback)
    assert pressed.callback.payload == "c:t:7"
    assert pressed.callback.callback_id == callback_id
    assert pressed.message is not None and pressed.message.body is not None
    assert pressed.message.body.mid == mid
    assert isinstance(invited, BotStarted) and invited.payload == "INV-7F3K"
    assert invited.user.first_name == "Вера" and invited.chat_id == fake.dialog_id(603)
    assert isinstance(too_long, BotStarted) and too_long.payload is None
    # The marker maxapi passes next confirms the batch.
    assert not fake.handled(started)
    assert await poll(bot) == []
    assert fake.handled(started) and fake.pending_updates() == []


async def test_only_buttons_on_the_message_can_be_pressed(fake: FakeMax, bot: Bot) -> None:
    mid = await send_card(bot)
    with pytest.raises(LookupError):
        fake.push_callback(ANNA, mid, "c:r:999")
    fake.push_callback(ANNA, mid, "c:r:999", forged=True)
    (forged,) = await poll(bot)
    assert forged.callback.payload == "c:r:999"


async def test_poll_filters_types_and_replays_an_unconfirmed_batch(
    fake: FakeMax, bot: Bot
) -> None:
    fake.push_message(ANNA, "раз")
    fake.push_bot_started(BORIS)
    only_starts = await bot.get_updates(timeout=0, types=["bot_started"])
    assert [u["update_type"] for u in only_starts["updates"]] == ["bot_started"]
    fake.push_message(ANNA, "два")
    first = await bot.get_updates(timeout=0, marker=only_starts["marker"])
    again = await bot.get_updates(timeout=0, marker=only_starts["marker"])
    assert first["updates"] == again["updates"]  # not confirmed yet: the same batch again
    assert [u["message"]["body"]["text"] for u in first["updates"]] == ["два"]


async def test_callback_answer_with_notification_then_refused_twice(
    fake: FakeMax, bot: Bot
) -> None:
    callback_id = fake.push_callback(ANNA, await send_card(bot), "c:t:7")
    answer = await bot.send_callback(callback_id=callback_id, notification="Взято в работу")
    assert answer.success
    assert fake.notifications == [(ANNA, "Взято в работу")]
    with pytest.raises(MaxApiError) as info:
        await bot.send_callback(callback_id=callback_id, notification="ещё раз")
    assert info.value.code == 400


async def test_callback_answer_edits_the_card_and_keeps_its_buttons(
    fake: FakeMax, bot: Bot, clock: ManualClock
) -> None:
    mid = await send_card(bot)
    fake.push_callback(ANNA, mid, "c:t:7")
    (pressed,) = await poll(bot)
    clock.advance(1)
    await pressed.answer(notification="Готово", new_text="Карточка: в работе у Анны")
    shown = fake.messages(ANNA)[mid]
    assert shown["plain_text"] == "Карточка: в работе у Анны"
    assert fake.button_payloads(mid) == ["c:t:7", "c:r:7"]


# --------------------------------------------------------------------------------------------
# Uploads
# --------------------------------------------------------------------------------------------


async def test_chart_png_and_excel_file_are_uploaded_and_attached(
    fake: FakeMax, bot: Bot, clock: ManualClock, tmp_path: Path
) -> None:
    chart = tiny_png()
    sent = await bot.send_message(
        user_id=ANNA,
        text="Сводка за неделю",
        attachments=[InputMediaBuffer(buffer=chart, filename="chart")],
    )
    assert sent is not None
    (image,) = sent.message.body.attachments or []
    token = image.payload.token
    assert fake.uploads[token].kind == "image" and fake.uploads[token].data == chart
    assert [c.method for c in fake.calls[-3:]] == [
        "POST /uploads",
        "POST /upload",
        "POST /messages",
    ]

    workbook = openpyxl.Workbook()
    path = tmp_path / "Отклик_неделя.xlsx"
    workbook.save(path)
    clock.advance(1)
    sent = await bot.send_message(
        user_id=ANNA, text="Выгрузка", attachments=[InputMedia(str(path))]
    )
    assert sent is not None
    (file,) = sent.message.body.attachments or []
    assert file.filename == "Отклик_неделя.xlsx"
    assert fake.uploads[file.payload.token].data == path.read_bytes()


async def test_maxapi_renames_an_excel_buffer_docx(
    fake: FakeMax, bot: Bot, tmp_path: Path
) -> None:
    """maxapi's buffer upload appends the extension puremagic guesses, and it takes an xlsx
    for a docx: upload files by path (``InputMedia``), not as a buffer."""
    workbook = openpyxl.Workbook()
    path = tmp_path / "week.xlsx"
    workbook.save(path)
    upload = await bot.upload_media(
        InputMediaBuffer(buffer=path.read_bytes(), filename="week.xlsx", type=UploadType.FILE)
    )
    assert fake.uploads[upload.payload.token].filename == "week.xlsx.docx"


async def test_not_an_image_is_refused_by_the_upload_host(bot: Bot) -> None:
    with pytest.raises(MaxUploadFileFailed):
        await bot.upload_media(InputMediaBuffer(buffer=b"not a picture", type=UploadType.IMAGE))


async def test_attachment_not_ready_is_retried_by_maxapi_without_duplicates(fake: FakeMax) -> None:
    bot = fake.make_bot(after_upload_retry_delay=0.01)
    try:
        fake.inject_fault("attachment_not_ready", method="POST /messages")
        await bot.send_message(user_id=ANNA, attachments=[InputMediaBuffer(buffer=tiny_png())])
    finally:
        await bot.close_session()
    sends = [c for c in fake.calls if c.method == "POST /messages"]
    assert [(c.status, c.error) for c in sends] == [(400, "attachment.not.ready"), (200, None)]
    assert len(fake.messages(ANNA)) == 1


# --------------------------------------------------------------------------------------------
# Limits, blocked users, auth
# --------------------------------------------------------------------------------------------


async def test_third_message_in_a_second_to_one_chat_gets_429(
    fake: FakeMax, bot: Bot, clock: ManualClock
) -> None:
    await bot.send_message(user_id=ANNA, text="1")
    await bot.send_message(user_id=ANNA, text="2")
    await bot.send_message(user_id=BORIS, text="другому можно")
    with pytest.raises(MaxApiError) as info:
        await bot.send_message(user_id=ANNA, text="3")
    assert info.value.code == 429 and info.value.raw["code"] == "too.many.requests"
    clock.advance(1.0)
    await bot.send_message(user_id=ANNA, text="3")
    assert [m["text"] for m in fake.messages(ANNA).values()] == ["1", "2", "3"]
    assert fake.http_429_count() == 1


async def test_thirty_first_request_in_a_second_gets_429(
    fake: FakeMax, bot: Bot, clock: ManualClock
) -> None:
    for _ in range(30):
        await bot.get_me()
    with pytest.raises(MaxApiError) as info:
        await bot.get_me()
    assert info.value.code == 429
    clock.advance(1.0)
    await bot.get_me()


async def test_limits_follow_the_virtual_clock(clock: ManualClock) -> None:
    async with FakeMax(clock, limits=MaxLimits(per_chat_per_s=1.0)) as server:
        server.add_user(ANNA, "Анна")
        bot = server.make_bot()
        try:
            await bot.send_message(user_id=ANNA, text="1")
            with pytest.raises(MaxApiError):
                await bot.send_message(user_id=ANNA, text="2")
            clock.advance(1.0)
            await bot.send_message(user_id=ANNA, text="2")
        finally:
            await bot.close_session()


async def test_user_who_stopped_the_bot_gets_403_until_restarted(fake: FakeMax, bot: Bot) -> None:
    fake.block(ANNA)
    with pytest.raises(MaxApiError) as info:
        await bot.send_message(user_id=ANNA, text="Жалоба")
    assert info.value.code == 403
    assert info.value.raw["code"] == "chat.denied"
    assert "error.dialog.suspended" in info.value.raw["message"]
    (stopped,) = await poll(bot)
    assert stopped.update_type == "bot_stopped" and stopped.user.user_id == ANNA
    fake.push_bot_started(ANNA)
    await bot.send_message(user_id=ANNA, text="Снова на связи")
    assert [m["text"] for m in fake.messages(ANNA).values()] == ["Снова на связи"]


async def test_token_goes_in_the_authorization_header_only(fake: FakeMax) -> None:
    wrong = Bot("not-the-token")
    wrong.set_api_url(fake.base_url)
    try:
        with pytest.raises(InvalidToken):
            await wrong.get_me()
    finally:
        await wrong.close_session()
    query = {"access_token": fake.token}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.base_url}/me", params=query) as resp,
    ):
        assert resp.status == 401
        assert (await resp.json())["code"] == "verify.token"


# --------------------------------------------------------------------------------------------
# Retries: what maxapi does on 502/503/504 and dropped connections
# --------------------------------------------------------------------------------------------


async def test_maxapi_default_retry_duplicates_a_delivered_alert(fake: FakeMax) -> None:
    """maxapi retries 502/503/504 and dropped connections 3 times by default; when MAX had
    delivered the message before the gateway timed out, the person gets it twice.  With
    ``max_retries=0`` maxapi raises and the outbox decides."""
    bot = fake.make_bot(retries=3)  # maxapi's default count (delays 1, 2, 4 s, scaled down)
    try:
        fake.inject_fault("done_then_504", method="POST /messages")
        await bot.send_message(user_id=ANNA, text="Новая жалоба №7")
        fake.inject_fault("done_then_drop", method="POST /messages")
        await bot.send_message(user_id=BORIS, text="Новая жалоба №8")
    finally:
        await bot.close_session()
    assert [m["text"] for m in fake.messages(ANNA).values()] == ["Новая жалоба №7"] * 2
    assert [m["text"] for m in fake.messages(BORIS).values()] == ["Новая жалоба №8"] * 2


async def test_retries_off_leave_one_message_and_raise(fake: FakeMax, bot: Bot) -> None:
    fake.inject_fault("done_then_504", method="POST /messages")
    with pytest.raises(MaxApiError) as info:
        await bot.send_message(user_id=ANNA, text="Новая жалоба №7")
    assert info.value.code == 504
    fake.inject_fault("done_then_drop", method="POST /messages")
    with pytest.raises(MaxConnection):
        await bot.send_message(user_id=BORIS, text="Новая жалоба №8")
    assert len(fake.messages(ANNA)) == 1 and len(fake.messages(BORIS)) == 1
    assert [c.done for c in fake.calls if c.method == "POST /messages"] == [True, True]


async def test_a_send_whose_answer_was_lost_is_found_in_the_chat(fake: FakeMax, bot: Bot) -> None:
    """How a MAX sender can settle an ambiguous send without a duplicate: before sending
    again, look at the dialog's newest messages (``GET /messages``) for the one it sent."""
    fake.inject_fault("done_then_504", method="POST /messages")
    with pytest.raises(MaxApiError):
        await bot.send_message(
            user_id=ANNA, text="Новая жалоба №7", attachments=[alert_keyboard()]
        )
    recent = await bot.get_messages(chat_id=fake.dialog_id(ANNA), count=5)
    mine = [
        m
        for m in recent.messages
        if m.sender is not None and m.sender.is_bot and m.body and m.body.text == "Новая жалоба №7"
    ]
    assert len(mine) == 1
    assert fake.button_payloads(mine[0].body.mid) == ["c:t:7", "c:r:7"]
    (by_id,) = (await bot.get_messages(message_ids=[mine[0].body.mid])).messages
    assert by_id.body is not None and by_id.body.mid == mine[0].body.mid


async def test_refused_5xx_and_timeouts_surface_without_retries(fake: FakeMax, bot: Bot) -> None:
    for kind, code in (("http502", 502), ("http503", 503), ("http500", 500)):
        fake.inject_fault(kind, method="POST /messages")
        with pytest.raises(MaxApiError) as info:
            await bot.send_message(user_id=ANNA, text="x")
        assert info.value.code == code
    fake.inject_fault("timeout", method="POST /messages", delay_s=5)
    with pytest.raises(MaxConnection):
        await bot.send_message(user_id=ANNA, text="x")
    fake.inject_fault("http429", method="POST /messages")
    with pytest.raises(MaxApiError) as info:
        await bot.send_message(user_id=ANNA, text="x")
    assert info.value.code == 429
    assert fake.messages(ANNA) == {}
    assert not any(c.done for c in fake.calls if c.method == "POST /messages")


# --------------------------------------------------------------------------------------------
# A real maxapi dispatcher: long polling and webhook
# --------------------------------------------------------------------------------------------


def otklik_like_dispatcher(replies: list[str]) -> Dispatcher:
    dp = Dispatcher()

    @dp.bot_started()
    async def started(event: BotStarted) -> None:
        replies.append(f"start:{event.payload}")
        await event.bot.send_message(chat_id=event.chat_id, text=f"Код {event.payload} принят")

    @dp.message_created(Command("my"))
    async def my(event: MessageCreated) -> None:
        replies.append("my")
        await event.message.answer("Ваши жалобы: 1", attachments=[alert_keyboard()])

    @dp.message_callback()
    async def pressed(event: MessageCallback) -> None:
        replies.append(f"press:{event.callback.payload}")
        await event.answer(notification="Взято в работу")

    return dp


async def test_dispatcher_long_polls_and_answers(fake: FakeMax, bot: Bot) -> None:
    replies: list[str] = []
    dp = otklik_like_dispatcher(replies)
    task = asyncio.create_task(dp.start_polling(bot))
    try:
        seq = fake.push_bot_started(603, "INV-1", first_name="Вера")
        await fake.wait_handled(seq)
        seq = fake.push_message(ANNA, "/my")
        await fake.wait_handled(seq)
        (mid,) = fake.messages(ANNA)
        fake.push_callback(ANNA, mid, "c:r:7")
        await fake.wait_handled(fake.last_update_seq)
    finally:
        await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert replies == ["start:INV-1", "my", "press:c:r:7"]
    assert [m["text"] for m in fake.messages(603).values()] == ["Код INV-1 принят"]
    assert fake.notifications == [(ANNA, "Взято в работу")]
    methods = [c.method for c in fake.calls if c.method != "GET /updates"]
    assert methods[:2] == ["GET /subscriptions", "GET /me"]  # maxapi's start-up checks
    assert all(entry["method"] != "GET /updates" for entry in fake.report())


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/max"


async def test_webhook_delivers_with_the_secret_header(fake: FakeMax, bot: Bot) -> None:
    replies: list[str] = []
    dp = otklik_like_dispatcher(replies)
    hook = AiohttpMaxWebhook(dp=dp, bot=bot, secret="s3cret-Otklik")
    runner, url = await _serve(hook.create_app(path="/max"))
    try:
        with pytest.warns(UserWarning, match="HTTPS"):  # maxapi warns of a plain-HTTP hook
            await bot.subscribe_webhook(
                url, update_types=["message_created", "bot_started"], secret="s3cret-Otklik"
            )
        assert (await bot.get_subscriptions()).subscriptions[0].url == url
        seq = fake.push_message(ANNA, "/my")
        await fake.wait_handled(seq)
        # While subscribed, a long poll gets nothing.
        assert (await bot.get_updates(timeout=0))["updates"] == []
        await bot.unsubscribe_webhook(url)
    finally:
        await runner.cleanup()
    assert replies == ["my"]
    delivery = fake.deliveries[-1]
    assert (delivery.status, delivery.secret_sent, delivery.update_type) == (
        200,
        True,
        "message_created",
    )
    assert fake.subscriptions() == []


async def test_webhook_refusing_the_secret_is_dropped_after_8_hours(clock: ManualClock) -> None:
    async with FakeMax(clock, webhook_retry_s=1800) as server:
        server.add_user(ANNA, "Анна")
        bot = server.make_bot()
        hook = AiohttpMaxWebhook(dp=Dispatcher(), bot=bot, secret="the-right-one")
        runner, url = await _serve(hook.create_app(path="/max"))
        try:
            with pytest.warns(UserWarning, match="HTTPS"):
                await bot.subscribe_webhook(url, secret="a-wrong-one")
            server.push_message(ANNA, "алло")
            await server.wait_until(lambda: not server.subscriptions(), 30)
        finally:
            await runner.cleanup()
            await bot.close_session()
    assert {d.status for d in server.deliveries} == {403}
    assert len(server.deliveries) == 17  # every 30 virtual minutes for 8 hours
    assert server.pending_updates() == []  # MAX gave the update up
