"""One outbox, two messengers (issue 13): each row goes through the port of its channel, to
the person's id there, paced by that messenger's pacer; a card is remembered per channel and
every change edits it where it is.  Real aiogram against the fake Telegram and the real
maxapi (Otklik's MAX client and port) against the fake MAX, on one clock and one database."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import bot.outbox as outbox_module
from bot.core.types import Channel
from bot.max.client import MaxClient, open_client
from bot.max.pacer import MaxPacer
from bot.max.port import MaxPort
from bot.outbox import OutboxSender
from bot.telegram.port import TelegramPort
from sandbox.fake_max import FakeMax
from storage.models import AlertMessage, Comment, Notification, OutboxStatus, Person
from storage.outbox import enqueue
from storage.people import new_person_id
from tests.bot_harness import Harness, buttons
from tests.max_support import max_settings

OFFICIAL, MODERATOR = 501, 601  # on Telegram (the harness registry)
ANNA = 9001  # a MAX user id: an official of «city» on MAX only
BORIS = 9002  # the MAX id of 502, an official on both messengers
KEYS = itertools.count()


@dataclass
class Both:
    h: Harness
    max: FakeMax
    client: MaxClient
    anna: int  # Anna's person id


@pytest.fixture
async def both(db_url: str, tmp_path: Path) -> AsyncIterator[Both]:
    async with Harness(db_url) as h:
        fake = FakeMax(h.clock)
        await fake.start()
        fake.add_user(ANNA, "Анна", "Петрова")
        fake.add_user(BORIS, "Пётр", "Дорогин")
        pacer = MaxPacer(h.clock, api_base=fake.base_url)
        client = open_client(
            max_settings(fake), middlewares=[pacer], after_upload_retry_delay_s=0.01
        )
        port = MaxPort(client.bot, h.clock, pacer=pacer, tmp_dir=tmp_path)
        h.sender = OutboxSender(
            {Channel.TELEGRAM: TelegramPort(h.bot), Channel.MAX: port},
            h.sessions,
            h.clock,
            {Channel.TELEGRAM: h.sender.pacer, Channel.MAX: pacer},
        )
        async with h.sessions() as s, s.begin():
            anna = Person(
                id=await new_person_id(s),
                max_user_id=ANNA,
                preferred_channel="max",
                name="Анна Петрова",
                role="official",
                agencies=["city"],
            )
            s.add(anna)
            petr = await s.get(Person, 502)
            assert petr is not None
            petr.max_user_id = BORIS
        try:
            yield Both(h, fake, client, anna.id)
        finally:
            await client.close()
            await fake.stop()


async def _enqueue(
    b: Both, chat: int, channel: str, kind: str, cid: int | None, **payload: object
) -> None:
    async with b.h.sessions() as s, s.begin():
        enqueue(
            s,
            key=f"{kind}:{chat}:{channel}:{cid}:{next(KEYS)}",
            chat_id=chat,
            channel=channel,
            kind=kind,
            complaint_id=cid,
            now=b.h.clock.now(),
            payload=dict(payload),
        )


def _max_payloads(message: dict[str, object]) -> list[str]:
    out: list[str] = []
    for attachment in message.get("attachments") or []:  # type: ignore[attr-defined]
        if attachment.get("type") == "inline_keyboard":
            for row in attachment["payload"]["buttons"]:
                out += [b["payload"] for b in row if b.get("type") == "callback"]
    return out


async def _cards(b: Both) -> set[tuple[str, int, str]]:
    async with b.h.sessions() as s:
        rows = (await s.execute(select(AlertMessage))).scalars().all()
    return {(r.channel, r.chat_id, r.ref) for r in rows}


async def test_an_alert_goes_to_each_person_on_their_messenger_and_changes_follow(
    both: Both,
) -> None:
    h = both.h
    cid = await h.complaint(alert=False)
    await _enqueue(both, OFFICIAL, "telegram", "alert", cid)
    await _enqueue(both, both.anna, "max", "alert", cid)
    await h.flush()
    # Telegram: the card with the official's buttons, as before.
    (tg_card,) = h.cards(OFFICIAL)
    assert f"Жалоба №{cid}" in tg_card["text"] and f"c:t:{cid}" in dict(buttons(tg_card)).values()
    # MAX: the same card, to Anna's MAX id, with the same payloads.
    ((mid, max_card),) = both.max.messages(ANNA).items()
    assert f"Жалоба №{cid}" in str(max_card["text"])
    assert f"c:t:{cid}" in _max_payloads(max_card)
    assert await _cards(both) == {
        ("telegram", OFFICIAL, str(h.last(OFFICIAL)[0])),
        ("max", both.anna, mid),
    }
    # A moderator takes it on Telegram: both cards show it, each edited where it is.
    await h.say(MODERATOR, f"/complaint {cid}")
    card_mid, _ = h.last(MODERATOR)
    await h.press(MODERATOR, card_mid, f"c:t:{cid}")
    await h.flush()
    assert "В работе" in h.fake.messages(OFFICIAL)[h.last(OFFICIAL)[0]]["text"]
    edited = both.max.messages(ANNA)[mid]
    assert "В работе" in str(edited["text"])
    assert _max_payloads(edited) == [f"an:{cid}", f"c:a:{cid}", f"c:w:{cid}"]  # an official
    edits = [c for c in both.max.calls if c.method == "PUT /messages"]
    assert len(edits) == 1 and len(both.max.messages(ANNA)) == 1  # edited, not resent
    assert not [c for c in both.max.calls if c.status == 429]


async def test_many_alerts_on_max_go_as_one_summary_there(both: Both) -> None:
    h = both.h
    cids = [await h.complaint(alert=False) for _ in range(5)]
    for cid in cids:
        await _enqueue(both, both.anna, "max", "alert", cid)
    await _enqueue(both, OFFICIAL, "telegram", "alert", cids[0])
    await h.flush()
    (summary,) = both.max.messages(ANNA).values()
    assert "одним сообщением" in str(summary["text"])
    assert {f"c:s:{cid}" for cid in cids} <= set(_max_payloads(summary))
    assert len(h.cards(OFFICIAL)) == 1  # Telegram's one alert is no summary


@pytest.mark.parametrize("written_for", ["max", "telegram"])
async def test_a_busy_official_on_max_gets_at_most_20_messages_a_minute(
    both: Both, written_for: str
) -> None:
    """MAX allows 2 messages a second per chat; the sender's own cap of 20 a minute holds on
    MAX as on Telegram (a busy official is not flooded: beyond it, alerts wait and go as a
    summary).  Here 25 alerts come one at a time, each sent before the next arrives; written
    for MAX, or for Telegram as ingest writes them and moved to MAX by the sender."""
    h = both.h
    for _ in range(25):
        cid = await h.complaint(alert=False)
        await _enqueue(both, both.anna, written_for, "alert", cid)
        await h.flush()
        h.clock.advance(1)
    sends = [c.at for c in both.max.calls if c.user_id == ANNA and c.method == "POST /messages"]
    assert len(sends) == 25
    busiest = max(sum(1 for t in sends if s <= t < s + timedelta(seconds=60)) for s in sends)
    assert busiest == 20


async def test_blocked_on_max_is_unreachable_on_max_only(both: Both) -> None:
    """Пётр prefers MAX but stopped the bot there: the message that found out goes to his
    Telegram instead, he stays reachable there, and the moderators need not be told."""
    h = both.h
    async with h.sessions() as s, s.begin():
        petr = await s.get(Person, 502)
        assert petr is not None
        petr.preferred_channel = "max"
    both.max.block(BORIS)
    await _enqueue(both, 502, "telegram", "text", None, text="Проверка")
    await h.flush()
    async with h.sessions() as s:
        petr = await s.get(Person, 502)
        rows = (await s.execute(select(Notification).where(Notification.chat_id == 502))).scalars()
        states = {(r.channel, r.status) for r in rows}
    assert petr is not None and petr.max_unreachable and not petr.unreachable
    assert states == {("telegram", OutboxStatus.SENT)}
    assert [c.status for c in both.max.calls if c.method == "POST /messages"] == [403]
    assert [m["text"] for m in h.cards(502)] == ["Проверка"]
    assert not h.cards(MODERATOR)
    # Blocked on Telegram too: reached nowhere, so now the moderators are told.
    h.fake.block(502)
    await _enqueue(both, 502, "telegram", "text", None, text="Ещё")
    await h.flush()
    told = [m["text"] for m in h.cards(MODERATOR)]
    assert any("Пётр Дорогин" in t for t in told), told


async def test_a_max_send_whose_fate_is_unknown_is_not_resent(both: Both) -> None:
    """MAX took the message, the gateway answered 504, and the dialog cannot be listed to
    settle it: the row fails with the reason rather than risking a duplicate."""
    h = both.h
    cid = await h.complaint(alert=False)
    both.max.inject_fault("done_then_504", method="POST /messages")
    both.max.inject_fault("http5xx", method="GET /messages", count=5)
    await _enqueue(both, both.anna, "max", "alert", cid)
    await h.flush()
    async with h.sessions() as s:
        row = (
            await s.execute(select(Notification).where(Notification.kind == "alert"))
        ).scalar_one()
    assert row.status == OutboxStatus.FAILED
    assert "may not have arrived" in (row.last_error or "")
    assert len(both.max.messages(ANNA)) == 1  # delivered once, never twice
    # The moderators are told to check, as after a crash mid-send.
    (notice,) = [m["text"] for m in h.cards(MODERATOR)]
    assert f"жалобе #{cid}" in notice and "не отправлялось" in notice


async def test_a_person_without_an_account_on_the_channel_is_not_sent_to(both: Both) -> None:
    """Anna is on MAX only and stopped the bot there: nothing reaches her, nothing is tried
    on Telegram, where she has no account."""
    h = both.h
    async with h.sessions() as s, s.begin():
        anna = await s.get(Person, both.anna)
        assert anna is not None
        anna.max_unreachable = True
    await _enqueue(both, both.anna, "telegram", "text", None, text="Проверка")
    await h.flush()
    async with h.sessions() as s:
        (row,) = (await s.execute(select(Notification))).scalars()
    assert row.status == OutboxStatus.FAILED and "no telegram account" in (row.last_error or "")


async def test_each_messenger_keeps_its_own_pace(both: Both) -> None:
    """Messages to one person on MAX and one on Telegram: MAX's go 2 a second, Telegram's 1
    a second, and neither waits for the other; no 429 from either."""
    h = both.h
    for i in range(4):
        await _enqueue(both, both.anna, "max", "text", None, text=f"MAX {i}")
        await _enqueue(both, OFFICIAL, "telegram", "text", None, text=f"TG {i}")
    start = h.clock.monotonic()
    await h.flush()
    max_at = [c.at for c in both.max.calls if c.method == "POST /messages"]
    tg_at = [c.at for c in h.fake.calls if c.method == "sendMessage"]
    assert len(max_at) == len(tg_at) == 4
    max_gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(max_at)]
    tg_gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tg_at)]
    assert all(0.5 <= g < 1.0 for g in max_gaps), max_gaps
    assert all(g >= 1.0 for g in tg_gaps), tg_gaps
    assert h.clock.monotonic() - start < 5.0
    assert not [c for c in both.max.calls if c.status == 429]
    assert not [c for c in h.fake.calls if c.status == 429]


async def test_a_comment_full_of_escapes_still_reaches_max(both: Both) -> None:
    """Escaped, quotes grow sixfold and MAX counts the HTML as sent (at most 3999): the
    outbox cuts the resident's words to fit instead of losing the alert; Telegram, which
    counts what the person sees, gets the card whole."""
    h = both.h
    cid = await h.complaint(alert=False, text='"' * 600)
    async with h.sessions() as s, s.begin():
        comment = await s.get(Comment, (await h.get(cid)).comment_pk)
        assert comment is not None
        comment.author_name = '"' * 100
    await _enqueue(both, both.anna, "max", "alert", cid)
    await _enqueue(both, OFFICIAL, "telegram", "alert", cid)
    await h.flush()
    ((_, card),) = both.max.messages(ANNA).items()
    sent = [c.text or "" for c in both.max.calls if c.method == "POST /messages"]
    assert len(sent) == 1 and len(sent[0]) <= 3999 and "…" in sent[0]
    assert f"Жалоба №{cid}" in str(card["text"]) and "Открыть комментарий" in str(card["text"])
    (tg,) = h.cards(OFFICIAL)
    assert "&quot;" * 600 in tg["text"]  # the HTML as sent: whole


async def test_new_messages_go_where_the_person_is_reached(both: Both) -> None:
    """Rows are queued for a person (on Telegram by default, as every sender before issue 13
    did); the outbox sends each new message on the messenger that reaches them: the preferred
    one, else the other.  A card's edits stay where the card is."""
    h = both.h
    first = await h.complaint(alert=False)
    # Anna is on MAX only; Пётр (502) is on both, Telegram preferred.
    await _enqueue(both, both.anna, "telegram", "alert", first)
    await _enqueue(both, 502, "telegram", "alert", first)
    await h.flush()
    assert len(both.max.messages(ANNA)) == 1 and h.cards(502)
    assert not both.max.messages(BORIS)  # once, on the preferred one
    # Пётр prefers MAX from now on: the next alert reaches him there only.
    async with h.sessions() as s, s.begin():
        petr = await s.get(Person, 502)
        assert petr is not None
        petr.preferred_channel = "max"
    second = await h.complaint(alert=False)
    sent_on_telegram = len(h.cards(502))
    await _enqueue(both, 502, "telegram", "alert", second)
    await h.flush()
    assert len(h.cards(502)) == sent_on_telegram
    (petr_card,) = both.max.messages(BORIS).values()
    assert f"Жалоба №{second}" in str(petr_card["text"])
    # He stops the bot on MAX: the next alert falls back to Telegram.
    async with h.sessions() as s, s.begin():
        petr = await s.get(Person, 502)
        assert petr is not None
        petr.max_unreachable = True
    third = await h.complaint(alert=False)
    await _enqueue(both, 502, "telegram", "alert", third)
    await h.flush()
    assert any(f"Жалоба №{third}" in c["text"] for c in h.cards(502))
    assert len(both.max.messages(BORIS)) == 1
    async with h.sessions() as s:
        rows = (await s.execute(select(Notification))).scalars().all()
    assert all(r.status == OutboxStatus.SENT for r in rows), [(r.id, r.status) for r in rows]


async def test_a_row_written_while_others_moved_waits_to_be_moved_too(
    both: Both, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alert ingest writes (for Telegram) just after the sender moved the waiting rows to
    the messengers that reach their people is not sent on Telegram to a person who prefers
    MAX: the pass leaves it, and the next moves and sends it, once, on MAX."""
    h = both.h
    async with h.sessions() as s, s.begin():
        petr = await s.get(Person, 502)
        assert petr is not None
        petr.preferred_channel = "max"
    cid = await h.complaint(alert=False)
    await _enqueue(both, 502, "telegram", "alert", cid)
    moved = outbox_module.reroute

    async def too_late(session: object) -> int:  # the row came after the move
        return 1

    monkeypatch.setattr(outbox_module, "reroute", too_late)
    await h.sender.drain_once()
    assert not h.cards(502) and not both.max.messages(BORIS)
    monkeypatch.setattr(outbox_module, "reroute", moved)
    await h.flush()
    assert not h.cards(502)
    (card,) = both.max.messages(BORIS).values()
    assert f"Жалоба №{cid}" in str(card["text"])
