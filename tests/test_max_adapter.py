"""The MAX adapter's outgoing side: Otklik's port on the real ``maxapi`` client against the
fake MAX server (``sandbox/fake_max.py``), as an official on MAX sees it."""

from __future__ import annotations

import asyncio
import io
import itertools
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest
from maxapi.exceptions.max import MaxApiError
from maxapi.methods.types.setted_commands import SettedCommands
from maxapi.types.users import User

from bot.core.types import Button, Card, Delivery, Keyboard, Media
from bot.max.client import open_client, ssl_context
from bot.max.markup import keyboard_rows, plain_text
from bot.max.port import MaxPort
from config.clock import VirtualClock
from tests.conformance_support import assert_conforms
from tests.max_support import ANNA, BORIS, START, MaxRig, alert_card, max_rig, max_settings
from tests.test_conformance_max import MAXAPI


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def week_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Жалоба", "Страница"])  # type: ignore[union-attr]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[MaxRig]:
    async with max_rig(tmp_path) as r:
        yield r


# --------------------------------------------------------------------------------------------
# Cards, edits, files
# --------------------------------------------------------------------------------------------


async def test_an_alert_card_with_buttons_arrives(rig: MaxRig) -> None:
    outcome = await rig.port.send(ANNA, alert_card())
    assert outcome.delivery is Delivery.SENT
    assert outcome.ref is not None and outcome.ref.startswith("mid.")
    shown = rig.fake.messages(ANNA)[outcome.ref]
    assert shown["format"] == "html"
    assert shown["plain_text"] == "Жалоба №7 на «Дороги»: яма у дома 5 & 7"
    assert rig.fake.button_payloads(outcome.ref) == ["c:t:7", "c:r:7"]
    assert [[(b["type"], b["text"]) for b in row] for row in shown["keyboard"]] == [
        [("callback", "В работу"), ("callback", "Решено")],
        [("link", "Комментарий в VK")],
    ]
    # Sent by user id; the dialog's own chat id is learned from the answer.
    assert rig.port.dialog_of(ANNA) == rig.fake.dialog_id(ANNA)


async def test_an_edited_card_keeps_its_buttons(rig: MaxRig) -> None:
    sent = await rig.port.send(ANNA, alert_card())
    assert sent.ref is not None
    taken = alert_card(html="<b>Жалоба №7</b>: взята в работу (Анна)")
    outcome = await rig.port.edit(ANNA, sent.ref, taken)
    assert outcome.delivery is Delivery.SENT and outcome.ref == sent.ref
    shown = rig.fake.messages(ANNA)[sent.ref]
    assert shown["edited"] and shown["plain_text"] == "Жалоба №7: взята в работу (Анна)"
    assert rig.fake.button_payloads(sent.ref) == ["c:t:7", "c:r:7"]
    # A card edited to have no buttons loses them (a closed complaint).
    await rig.port.edit(ANNA, sent.ref, Card("<b>Жалоба №7</b>: закрыта"))
    assert rig.fake.messages(ANNA)[sent.ref]["keyboard"] is None


async def test_editing_a_deleted_card_is_rejected_not_retried(rig: MaxRig) -> None:
    sent = await rig.port.send(ANNA, alert_card())
    assert sent.ref is not None
    await rig.client.bot.delete_message(sent.ref)
    outcome = await rig.port.edit(ANNA, sent.ref, alert_card())
    assert (outcome.delivery, outcome.reason) == (Delivery.REJECTED, "message_gone")


async def test_a_chart_and_a_weekly_excel_arrive_with_their_names(rig: MaxRig) -> None:
    chart = Media("image", "Сводка_неделя.png", tiny_png())
    sent = await rig.port.send(ANNA, Card("<b>Сводка за неделю</b>", media=chart))
    assert sent.delivery is Delivery.SENT and sent.ref is not None
    (image,) = rig.fake.messages(ANNA)[sent.ref]["attachments"]
    upload = rig.fake.uploads[image["payload"]["token"]]
    assert (image["type"], upload.kind, upload.data) == ("image", "image", chart.data)

    excel = Media("file", "Отклик_неделя_2026-03-02.xlsx", week_xlsx())
    report = Card("Выгрузка за неделю", keyboard=alert_card().keyboard, media=excel)
    sent = await rig.port.send(BORIS, report)
    assert sent.delivery is Delivery.SENT and sent.ref is not None
    shown = rig.fake.messages(BORIS)[sent.ref]
    (file, _keyboard) = shown["attachments"]
    upload = rig.fake.uploads[file["payload"]["token"]]
    # By path, not from memory: maxapi's buffer upload would name it ".xlsx.docx".
    assert upload.filename == "Отклик_неделя_2026-03-02.xlsx"
    assert upload.data == excel.data and upload.kind == "file"
    assert rig.fake.button_payloads(sent.ref) == ["c:t:7", "c:r:7"]
    assert shown["plain_text"] == "Выгрузка за неделю"


async def test_a_file_whose_upload_is_still_processing_is_sent_once(rig: MaxRig) -> None:
    rig.fake.inject_fault("attachment_not_ready", method="POST /messages")
    excel = Media("file", "week.xlsx", week_xlsx())
    sent = await rig.port.send(ANNA, Card("Выгрузка", media=excel))
    assert sent.delivery is Delivery.SENT
    assert len(rig.fake.messages(ANNA)) == 1


async def test_a_send_max_keeps_refusing_for_an_unready_file_is_retried_later(
    tmp_path: Path,
) -> None:
    async with max_rig(tmp_path) as rig:
        rig.client.bot.after_upload_attempts = 1
        rig.fake.inject_fault("attachment_not_ready", method="POST /messages")
        excel = Media("file", "week.xlsx", week_xlsx())
        outcome = await rig.port.send(ANNA, Card("Выгрузка", media=excel))
    # maxapi raises a bare RuntimeError; MAX refused the send, so it is safe to repeat.
    assert (outcome.delivery, outcome.reason) == (Delivery.RETRY, "attachment_not_ready")
    assert rig.fake.messages(ANNA) == {}


# --------------------------------------------------------------------------------------------
# MAX's limits: keyboards and text
# --------------------------------------------------------------------------------------------


def test_rows_over_max_limits_are_split_in_order() -> None:
    callbacks = [Button(str(i), payload=f"p{i}") for i in range(8)]
    links = [Button(f"L{i}", url=f"https://x.y/{i}") for i in range(4)]
    keyboard = Keyboard.of([callbacks, links])
    assert keyboard is not None
    rows = keyboard_rows(keyboard)
    assert [[b.text for b in row] for row in rows] == [
        ["0", "1", "2", "3", "4", "5", "6"],
        ["7"],
        ["L0", "L1", "L2"],
        ["L3"],
    ]


async def test_a_keyboard_max_cannot_show_is_refused_before_sending(rig: MaxRig) -> None:
    too_many = Keyboard.grid([Button(str(i), payload=f"p{i}") for i in range(211)], 7)
    outcome = await rig.port.send(ANNA, Card("Список", keyboard=too_many))
    assert (outcome.delivery, outcome.reason) == (Delivery.REJECTED, "rejected")
    too_long = await rig.port.send(ANNA, Card("я" * 4000))
    assert too_long.delivery is Delivery.REJECTED
    assert not [c for c in rig.fake.calls if c.method == "POST /messages"]


def test_plain_text_is_what_max_shows_for_the_html() -> None:
    html = '<b>Дороги</b>: яма &lt;5 см&gt; &amp; лужа <a href="https://vk.com/x">VK</a>'
    assert plain_text(html) == "Дороги: яма <5 см> & лужа VK"


# --------------------------------------------------------------------------------------------
# Pacing and 429
# --------------------------------------------------------------------------------------------


async def test_a_burst_gets_429_without_the_pacer(tmp_path: Path) -> None:
    """What the pacer is for: the same burst through the bare client hits MAX's limits."""
    async with max_rig(tmp_path, pacer_on=False) as rig:
        outcomes = await asyncio.gather(
            *(rig.port.send(ANNA, Card(f"Жалоба №{i}")) for i in range(5))
        )
    assert rig.fake.http_429_count() > 0
    assert Delivery.LATER in {o.delivery for o in outcomes}


async def test_a_burst_is_paced_with_zero_429(rig: MaxRig) -> None:
    users = list(range(600, 640))
    for user in users:
        rig.fake.add_user(user, f"Чиновник{user}")
    sends = [rig.port.send(ANNA, Card(f"Жалоба №{i}")) for i in range(6)]
    sends += [rig.port.send(user, Card(f"Жалоба для {user}")) for user in users]
    outcomes = await asyncio.gather(*sends)
    assert {o.delivery for o in outcomes} == {Delivery.SENT}
    assert rig.fake.http_429_count() == 0 and rig.pacer.http_429 == 0
    texts = [m["text"] for m in rig.fake.messages(ANNA).values()]
    assert sorted(texts) == sorted(f"Жалоба №{i}" for i in range(6))
    to_anna = [c.at for c in rig.fake.calls if c.method == "POST /messages" and c.user_id == ANNA]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(to_anna)]
    assert min(gaps) >= 0.55
    # Overall: at most 29 requests within any second (MAX allows 30).
    times = sorted(c.at for c in rig.fake.calls)
    assert all((times[i + 29] - times[i]).total_seconds() >= 1.0 for i in range(len(times) - 29))


async def test_a_429_backs_the_chat_off_doubling_then_resets(rig: MaxRig) -> None:
    rig.fake.inject_fault("http429", method="POST /messages", count=7)
    waits = []
    for _ in range(7):
        outcome = await rig.port.send(ANNA, Card("Жалоба"))
        assert (outcome.delivery, outcome.reason) == (Delivery.LATER, "rate_limited")
        waits.append(outcome.retry_after_s)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]  # no retry_after from MAX
    assert (await rig.port.send(ANNA, Card("Жалоба"))).delivery is Delivery.SENT
    rig.fake.inject_fault("http429", method="POST /messages")
    assert (await rig.port.send(ANNA, Card("Жалоба"))).retry_after_s == 1.0
    # Another chat was never held.
    assert rig.pacer.ready_in(BORIS) == 0.0


# --------------------------------------------------------------------------------------------
# Blocked users, lost answers, server faults
# --------------------------------------------------------------------------------------------


async def test_a_user_who_stopped_the_bot_is_blocked(rig: MaxRig) -> None:
    sent = await rig.port.send(ANNA, alert_card())
    assert sent.ref is not None
    rig.fake.block(ANNA)
    outcome = await rig.port.send(ANNA, alert_card(8))
    assert (outcome.delivery, outcome.reason) == (Delivery.BLOCKED, "blocked")
    assert "chat.denied" in outcome.error
    edited = await rig.port.edit(ANNA, sent.ref, alert_card())
    assert edited.delivery is Delivery.BLOCKED
    # Someone who never started the bot on MAX cannot be reached there either.
    stranger = await rig.port.send(999, alert_card())
    assert (stranger.delivery, stranger.reason) == (Delivery.BLOCKED, "no_dialog")


@pytest.mark.parametrize("fault", ["done_then_504", "done_then_drop"])
async def test_a_lost_answer_to_a_delivered_send_is_settled_without_a_duplicate(
    rig: MaxRig, fault: str
) -> None:
    await rig.port.send(ANNA, Card("Добро пожаловать"))  # the dialog is known from here on
    rig.fake.inject_fault(fault, method="POST /messages")  # type: ignore[arg-type]
    outcome = await rig.port.send(ANNA, alert_card())
    assert (outcome.delivery, outcome.reason) == (Delivery.SENT, "reconciled")
    cards = [mid for mid, m in rig.fake.messages(ANNA).items() if m["text"] == alert_card().html]
    assert cards == [outcome.ref]  # one card, and the outbox knows its id (for edits)
    assert [c.method for c in rig.fake.calls[-2:]] == ["POST /messages", "GET /messages"]


async def test_a_refused_send_is_retried_and_an_older_identical_message_not_adopted(
    rig: MaxRig,
) -> None:
    first = await rig.port.send(ANNA, Card("Напоминание: 2 жалобы ждут ответа"))
    rig.fake.inject_fault("http502", method="POST /messages")  # not executed
    outcome = await rig.port.send(ANNA, Card("Напоминание: 2 жалобы ждут ответа"))
    assert (outcome.delivery, outcome.reason) == (Delivery.RETRY, "server_error")
    again = await rig.port.send(ANNA, Card("Напоминание: 2 жалобы ждут ответа"))
    assert again.delivery is Delivery.SENT and again.ref != first.ref
    assert len(rig.fake.messages(ANNA)) == 2


async def test_a_lost_send_to_an_unlisted_dialog_is_settled_on_the_next_attempt(
    rig: MaxRig,
) -> None:
    rig.fake.inject_fault("done_then_504", method="POST /messages")
    outcome = await rig.port.send(ANNA, alert_card())
    assert (outcome.delivery, outcome.reason) == (Delivery.AMBIGUOUS, "server_error")
    # The dialog becomes known (an update from Anna); the outbox tries the row again.
    rig.port.learn_dialog(ANNA, rig.fake.dialog_id(ANNA))
    settled = await rig.port.send(ANNA, alert_card())
    assert (settled.delivery, settled.reason) == (Delivery.SENT, "reconciled")
    assert list(rig.fake.messages(ANNA)) == [settled.ref]


async def test_server_errors_and_timeouts_of_edits_are_retried(rig: MaxRig) -> None:
    sent = await rig.port.send(ANNA, alert_card())
    assert sent.ref is not None
    rig.fake.inject_fault("http503", method="PUT /messages")
    outcome = await rig.port.edit(ANNA, sent.ref, alert_card(html="Жалоба №7: решена"))
    assert (outcome.delivery, outcome.reason) == (Delivery.RETRY, "server_error")
    # A dropped connection: aiohttp itself repeats an idempotent PUT once on a reused
    # connection (harmless for an edit), so drop both.
    rig.fake.inject_fault("timeout", method="PUT /messages", delay_s=1, count=2)
    outcome = await rig.port.edit(ANNA, sent.ref, alert_card(html="Жалоба №7: решена"))
    assert (outcome.delivery, outcome.reason) == (Delivery.RETRY, "network")
    assert (await rig.port.edit(ANNA, sent.ref, alert_card(html="Решена"))).ref == sent.ref
    assert rig.fake.messages(ANNA)[sent.ref]["plain_text"] == "Решена"


# --------------------------------------------------------------------------------------------
# Button answers, commands, client
# --------------------------------------------------------------------------------------------


async def test_a_button_press_is_answered_with_a_toast_and_the_card_keeps_its_buttons(
    rig: MaxRig,
) -> None:
    sent = await rig.port.send(ANNA, alert_card())
    assert sent.ref is not None
    callback_id = rig.fake.push_callback(ANNA, sent.ref, "c:t:7")
    taken = alert_card(html="<b>Жалоба №7</b>: в работе у Анны")
    outcome = await rig.port.answer_callback(callback_id, "Взято в работу", taken, user_id=ANNA)
    assert outcome.delivery is Delivery.SENT
    assert rig.fake.notifications == [(ANNA, "Взято в работу")]
    shown = rig.fake.messages(ANNA)[sent.ref]
    assert shown["plain_text"] == "Жалоба №7: в работе у Анны"
    assert rig.fake.button_payloads(sent.ref) == ["c:t:7", "c:r:7"]
    again = await rig.port.answer_callback(callback_id, "Ещё раз", None, user_id=ANNA)
    assert again.delivery is Delivery.REJECTED  # answered already


async def test_the_bot_wide_command_menu_is_set(rig: MaxRig) -> None:
    await rig.port.set_commands([("my", "Мои жалобы"), ("complaint", "Жалоба по номеру")])
    assert rig.fake.commands == [
        {"name": "my", "description": "Мои жалобы"},
        {"name": "complaint", "description": "Жалоба по номеру"},
    ]
    assert [c.method for c in rig.fake.calls][-1] == "PATCH /me/commands"
    # The fake's new endpoint answers as maxapi parses it, and so does the bot's info
    # (``GET /me``), which lists the commands (``BotInfo.commands`` in the official schema).
    me = await rig.client.bot.get_me()
    assert me.user_id == rig.fake.bot_id
    (patched,) = [c for c in rig.fake.calls if c.method == "PATCH /me/commands"]
    assert_conforms(patched.answer, SettedCommands, MAXAPI, "PATCH /me/commands answer")
    (info,) = [c.answer for c in rig.fake.calls if c.method == "GET /me"]
    assert info["commands"][0] == {"name": "my", "description": "Мои жалобы"}
    assert_conforms(info, User, MAXAPI, "GET /me answer")


async def test_the_client_sends_nothing_twice_and_closes_its_connector(tmp_path: Path) -> None:
    async with max_rig(tmp_path) as rig:
        connection = rig.client.bot.default_connection
        assert connection.max_retries == 0 and rig.client.bot.auto_requests is False
        assert rig.client.bot.after_input_media_delay == 0.0
        rig.fake.inject_fault("http504", method="POST /messages")
        await rig.port.send(ANNA, Card("x"))
        assert len([c for c in rig.fake.calls if c.method == "POST /messages"]) == 1
    assert rig.client.connector.closed


def test_the_ca_bundle_setting_is_loaded(tmp_path: Path) -> None:
    assert ssl_context(None).get_ca_certs()  # maxapi's Минцифры root, plus the defaults
    missing = tmp_path / "none.pem"
    with pytest.raises(FileNotFoundError):
        ssl_context(missing)


async def test_a_client_needs_a_token(tmp_path: Path) -> None:
    async with max_rig(tmp_path) as rig:
        with pytest.raises(ValueError, match="OTKLIK__MAX__TOKEN"):
            open_client(max_settings(rig.fake, token=None))


def test_a_port_is_a_messenger_port() -> None:
    from bot.core.types import MessengerPort

    def accepts(port: MessengerPort) -> MessengerPort:
        return port

    assert accepts.__name__ and MaxPort.channel == "max"


async def test_a_lost_answer_to_a_chart_is_settled_without_a_second_upload(rig: MaxRig) -> None:
    await rig.port.send(ANNA, Card("Добро пожаловать"))
    rig.fake.inject_fault("done_then_drop", method="POST /messages")
    chart = Media("image", "chart.png", tiny_png())
    outcome = await rig.port.send(ANNA, Card("<b>Сводка</b>", media=chart))
    assert (outcome.delivery, outcome.reason) == (Delivery.SENT, "reconciled")
    assert [m["plain_text"] for m in rig.fake.messages(ANNA).values()] == [
        "Добро пожаловать",
        "Сводка",
    ]
    assert len(rig.fake.uploads) == 1


async def test_a_storm_to_many_officials_is_paced_with_zero_429(tmp_path: Path) -> None:
    """Two alerts each to 150 officials at once (the storm benchmark's shape, smaller), on a
    clock running 10 times real time, so whatever delays a busy machine adds between a
    request's start and MAX receiving it: nothing lost, nothing twice, no 429."""
    async with max_rig(tmp_path, clock=VirtualClock(START, speed=10)) as rig:
        users = list(range(1000, 1150))
        for user in users:
            rig.fake.add_user(user, f"Чиновник{user}")
        outcomes = await asyncio.gather(
            *(rig.port.send(u, alert_card(n)) for n in (1, 2) for u in users)
        )
    assert {o.delivery for o in outcomes} == {Delivery.SENT}
    assert rig.fake.http_429_count() == 0 and rig.pacer.http_429 == 0
    assert all(len(rig.fake.messages(u)) == 2 for u in users)
    assert len({o.ref for o in outcomes}) == 300


async def test_a_429_about_no_chat_holds_the_whole_bot(rig: MaxRig) -> None:
    rig.fake.inject_fault("http429", method="GET /me")
    with pytest.raises(MaxApiError):
        await rig.client.bot.get_me()
    assert rig.pacer.ready_in(ANNA) == 1.0 and rig.pacer.ready_in(BORIS) == 1.0
    before = rig.clock.monotonic()
    assert (await rig.port.send(ANNA, Card("Жалоба"))).delivery is Delivery.SENT
    assert rig.clock.monotonic() - before >= 1.0
