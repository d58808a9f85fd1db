"""Issue 11: changes of complaints that came in a summary reach the official (real aiogram
against the fake Bot API, real SQLite), no outbox row is "sent" without its Bot API call,
and the outbox and the SLA watch say what they did in one INFO line each."""

from __future__ import annotations

import itertools
import logging
import random
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.sla_watch import check_sla
from collectors.events import Batch, CommentEvent
from matcher.classifier import classify
from matcher.quality import rate_answer
from sandbox.fake_telegram import TgCall
from storage.ingest import Ingestor
from storage.models import AlertMessage, Complaint, Notification, OutboxStatus
from storage.outbox import enqueue
from tests.bot_harness import REGISTRY, Harness
from tests.issue6_support import add_complaint, msk, region, region_db

OFFICIALS = (501, 502)
#: What a card or a list line says in each state (lower case, tags stripped).
CLOSED_MARKS = {"resolved": "решено", "dismissed": "не жалоба", "answered": "ответ дан"}
ANSWER = "Здравствуйте! Яму заделают до пятницы, бригада уже выехала на место."
STILL_BROKEN = "Прошла неделя, до сих пор ничего не сделали"
_vk_ids = itertools.count(50_000)


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


def plain(text: str | None) -> str:
    return re.sub(r"<[^>]+>", "", text or "").replace("&lt;", "<").replace("&gt;", ">")


def about(call: TgCall, cid: int) -> str | None:
    """What ``call`` shows of complaint ``cid``: the whole card, or its line in a list."""
    text = plain(call.text)
    if re.search(rf"Жалоба №{cid}(?!\d)", text):
        return text.lower()
    for part in text.split("\n\n"):
        if re.match(rf"№{cid} · ", part):
            return part.lower()
    return None


def new_calls(h: Harness, chat_id: int, since: int) -> list[TgCall]:
    return [
        c
        for c in h.fake.calls[since:]
        if c.chat_id == chat_id and c.status == 200 and c.method != "answerCallbackQuery"
    ]


async def rows(h: Harness) -> list[Notification]:
    async with h.sessions() as s:
        return list((await s.execute(select(Notification).order_by(Notification.id))).scalars())


async def answer_on_vk(h: Harness, cid: int, text: str = ANSWER, *, by_page: bool = True) -> None:
    """A reply in the complaint's thread, read by the real ingest: the page answering, or the
    author writing again."""
    async with h.sessions() as s:
        c = await s.get(Complaint, cid)
        assert c is not None
    event = CommentEvent(
        owner_id=c.owner_id,
        post_id=c.post_id,
        comment_id=next(_vk_ids),
        from_id=c.owner_id if by_page else c.author_id,
        text=text,
        created_at=h.clock.now(),
        thread_id=c.comment_id,
        reply_to_comment=c.comment_id,
        reply_to_user=c.author_id if by_page else c.owner_id,
    )
    ingestor = Ingestor(REGISTRY, h.clock, classify, rate_answer)
    async with h.sessions() as s, s.begin():
        await ingestor.ingest(s, Batch(comments=[event]))


async def summary_of_five(h: Harness) -> tuple[list[int], int]:
    ids = [await h.complaint() for _ in range(5)]
    await h.flush()
    ((mid, summary),) = h.fake.messages(501).items()
    assert "5 новых жалоб" in summary["text"]
    return ids, mid


async def assert_every_sent_row_has_its_call(h: Harness, commands: set[int]) -> None:
    """Per chat: rows marked sent == Bot API calls the sender made (``commands``: indexes of
    calls that were replies to commands and presses, not the outbox's)."""
    made: dict[int, int] = {}
    for i, call in enumerate(h.fake.calls):
        if i in commands or call.chat_id is None:
            continue
        if call.method not in ("sendMessage", "editMessageText"):
            continue
        if call.status == 200 or "not modified" in (call.error or ""):
            made[call.chat_id] = made.get(call.chat_id, 0) + 1
    sent: dict[int, int] = {}
    summaries = {r.id: r for r in await rows(h) if r.kind == "summary"}
    for r in await rows(h):
        assert r.status not in ("pending", "sending", "failed"), (r.kind, r.status, r.last_error)
        if r.status == OutboxStatus.SENT:
            sent[r.chat_id] = sent.get(r.chat_id, 0) + 1
        if r.status == OutboxStatus.COALESCED:
            summary = summaries[r.payload["summary"]]
            assert summary.status == "sent" and summary.chat_id == r.chat_id
        if r.status == OutboxStatus.SKIPPED:
            assert r.last_error, "a skipped row says why"
    assert sent == made


# ---- the official hears of every change ---------------------------------------------------


async def test_resolve_and_reopen_of_a_complaint_from_a_summary_reach_the_official(
    h: Harness,
) -> None:
    ids, summary_mid = await summary_of_five(h)
    heading = h.fake.messages(501)[summary_mid]["text"].split("\n")[0]
    assert heading == (
        "🔔 <b>5 новых жалоб</b> — одним сообщением, чтобы не засыпать вас уведомлениями."
    )
    start = len(h.fake.calls)
    assert "закрыта" in await h.reply(601, f"/resolve {ids[2]}")
    await h.flush()
    calls = new_calls(h, 501, start)
    (card,) = [c for c in calls if c.method == "sendMessage"]
    text = plain(card.text)
    assert text.startswith("🔄 Изменение по жалобе из сводки")
    assert f"Жалоба №{ids[2]}" in text and "Решено" in text
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert edit.message_id == summary_mid
    line = about(edit, ids[2])
    assert line is not None and "☑️ решено" in line
    assert "осталось" in (about(edit, ids[0]) or "")  # the others still wait

    # Now the official holds a card: the next change edits it (and the summary), silently.
    start = len(h.fake.calls)
    assert "переоткрыта" in await h.reply(601, f"/reopen {ids[2]}")
    await h.flush()
    calls = new_calls(h, 501, start)
    assert [c.method for c in calls] == ["editMessageText", "editMessageText"]
    assert {c.message_id for c in calls} == {card.message_id, summary_mid}
    card_now = plain(h.fake.messages(501)[card.message_id]["text"])
    assert "Переоткрыта" in card_now and "Решено" not in card_now
    assert "🔁 переоткрыта · осталось" in plain(h.fake.messages(501)[summary_mid]["text"])
    await assert_every_sent_row_has_its_call(h, _command_calls(h, {601}))


async def test_an_answer_seen_on_vk_reaches_the_official_who_got_a_summary(h: Harness) -> None:
    ids, summary_mid = await summary_of_five(h)
    start = len(h.fake.calls)
    await answer_on_vk(h, ids[0])
    assert (await h.get(ids[0])).status == "answered"
    await h.flush()
    calls = new_calls(h, 501, start)
    (card,) = [c for c in calls if c.method == "sendMessage"]
    assert f"Жалоба №{ids[0]}" in plain(card.text) and "Ответ дан" in plain(card.text)
    assert "бригада уже выехала" in plain(card.text)
    summary_now = plain(h.fake.messages(501)[summary_mid]["text"])
    assert f"№{ids[0]} · Дороги · Администрация · ✅ ответ дан" in summary_now

    # The author says nothing changed: the complaint is reopened, the card shows it.
    start = len(h.fake.calls)
    await answer_on_vk(h, ids[0], STILL_BROKEN, by_page=False)
    assert (await h.get(ids[0])).status == "open"
    await h.flush()
    edits = [c for c in new_calls(h, 501, start) if c.message_id == card.message_id]
    assert edits and "Переоткрыта" in plain(edits[-1].text)
    await assert_every_sent_row_has_its_call(h, set())


async def test_many_changes_at_once_come_as_one_summary_of_changes(h: Harness) -> None:
    ids, summary_mid = await summary_of_five(h)
    start = len(h.fake.calls)
    for cid in ids[:4]:
        await h.reply(601, f"/resolve {cid}")
    await h.flush()
    calls = new_calls(h, 501, start)
    assert [c.method for c in calls] == ["sendMessage", "editMessageText"]
    changes = plain(calls[0].text)
    assert changes.startswith(
        "🔄 Изменения по 4 жалобам — одним сообщением, чтобы не засыпать вас уведомлениями."
    )
    for cid in ids[:4]:
        assert "☑️ решено" in (about(calls[0], cid) or "")
        assert "☑️ решено" in (about(calls[1], cid) or "")
    assert calls[1].message_id == summary_mid
    # A later change of one of them: a card, and both summaries that list it are edited.
    start = len(h.fake.calls)
    await h.reply(601, f"/reopen {ids[1]}")
    await h.flush()
    calls = new_calls(h, 501, start)
    assert sorted(c.method for c in calls) == ["editMessageText", "editMessageText", "sendMessage"]
    edited = {c.message_id for c in calls if c.method == "editMessageText"}
    mids = sorted(h.fake.messages(501))
    assert edited == {summary_mid, mids[1]}
    for c in calls:
        assert "переоткрыта" in (about(c, ids[1]) or "")
    await assert_every_sent_row_has_its_call(h, _command_calls(h, {601}))


async def test_a_change_before_the_alert_goes_is_skipped_not_sent(h: Harness) -> None:
    assert "Не беспокою" in await h.reply(501, "/mute 1")
    cid = await h.complaint()
    await h.reply(601, f"/resolve {cid}")
    h.clock.advance(2)  # the chat's pace after the reply to /mute
    await h.sender.drain_once()
    (update,) = [r for r in await rows(h) if r.kind == "update"]
    assert update.status == "skipped" and "alert still to go" in (update.last_error or "")
    assert update.sent_at is None
    await h.flush(max_s=7200)
    _, card = h.last(501)
    assert f"Жалоба №{cid}" in card["text"] and "Решено" in card["text"]


async def test_a_deleted_card_gets_the_change_as_a_new_card(h: Harness) -> None:
    cid = await h.complaint()
    await h.flush()
    mid, _ = h.last(501)
    await h.bot.delete_message(501, mid)
    await h.reply(601, f"/dismiss {cid}")
    await h.flush()
    ((new_mid, card),) = h.fake.messages(501).items()
    assert new_mid != mid and "Не жалоба" in card["text"]
    async with h.sessions() as s:
        shown = (await s.execute(select(AlertMessage))).scalar_one()
    assert shown.message_id == new_mid  # later changes edit the new card


async def test_a_moot_sla_notice_is_skipped_with_its_reason(h: Harness) -> None:
    cid = await h.complaint()
    await h.flush()
    async with h.sessions() as s, s.begin():
        enqueue(
            s,
            key="nudge:x",
            chat_id=501,
            kind="nudge",
            complaint_id=cid,
            now=h.clock.now(),
            payload={"text": "⏳ до срока осталось 2 ч"},
        )
        c = await s.get(Complaint, cid)
        assert c is not None
        c.status = "resolved"
    await h.flush()
    nudge = next(r for r in await rows(h) if r.kind == "nudge")
    assert (nudge.status, nudge.last_error) == (
        "skipped",
        "moot: the complaint no longer awaits it",
    )
    assert not [c for c in h.fake.calls if "до срока" in (c.text or "")]


# ---- the invariant, on random histories ----------------------------------------------------


def _command_calls(h: Harness, chats: set[int]) -> set[int]:
    """Indexes of calls that replied to commands (in these tests only ``chats`` send any)."""
    return {i for i, c in enumerate(h.fake.calls) if c.chat_id in chats}


def _expected(c: Complaint) -> tuple[str, tuple[str, ...]]:
    """The mark a view of ``c`` must carry, and the marks it must not."""
    closed = tuple(CLOSED_MARKS.values())
    if c.status in CLOSED_MARKS:
        mark = CLOSED_MARKS[c.status]
        return mark, tuple(m for m in closed if m != mark)
    if c.waiting_since is not None:
        return "ждём ответа жителя", closed
    if c.reopen_count:
        return "переоткрыта", closed
    return "", (*closed, "ждём ответа жителя")


@pytest.mark.parametrize("seed", [11, 12, 13])
async def test_random_histories_every_change_reaches_every_official_told(
    db_url: str, seed: int
) -> None:
    """Alerts and changes in random order and bursts, with partial sends in between: after
    the outbox drains, the last thing each told official was shown about each complaint
    (a card, a card edit, a summary or its edit) is its final state, each change was
    followed by something about it in that chat, and every sent row had its call."""
    rnd = random.Random(seed)
    async with Harness(db_url) as h:
        commands: set[int] = set()
        changes: list[tuple[int, int]] = []  # (call index before the change, complaint)
        made: list[int] = []

        async def command(text: str) -> None:
            start = len(h.fake.calls)
            await h.say(601, text)
            commands.update(range(start, len(h.fake.calls)))

        for _ in range(45):
            roll = rnd.random()
            if roll < 0.35 or not made:
                for _ in range(rnd.choice([1, 1, 2, 5])):
                    made.append(await h.complaint(agency=rnd.choice(["city", "roads"])))
                continue
            cid = rnd.choice(made)
            c = await h.get(cid)
            start = len(h.fake.calls)
            if roll < 0.45:
                await h.sender.drain_once()
                h.clock.advance(rnd.choice([0.5, 1.0, 3.0]))
                continue
            if roll < 0.55:
                await h.flush()
                continue
            if roll < 0.65 and c.status in ("open", "in_work") and c.waiting_since is None:
                await answer_on_vk(h, cid)
            elif roll < 0.72 and c.status == "answered":
                await answer_on_vk(h, cid, STILL_BROKEN, by_page=False)
            elif roll < 0.82 and c.status in ("open", "in_work", "answered"):
                await command(f"/{rnd.choice(['resolve', 'dismiss'])} {cid}")
            elif roll < 0.9 and c.status in ("resolved", "dismissed", "answered"):
                await command(f"/reopen {cid}")
            elif c.status in ("open", "in_work"):
                await command(f"/{'resume' if c.waiting_since else 'wait'} {cid}")
            else:
                continue
            if (await h.get(cid)).status != c.status or (await h.get(cid)).waiting_since != (
                c.waiting_since
            ):
                changes.append((start, cid))
            h.clock.advance(rnd.choice([0.0, 1.0, 30.0]))
        await h.flush(max_s=3600)

        outbox_rows = await rows(h)
        told = {
            (r.complaint_id, r.chat_id)
            for r in outbox_rows
            if r.kind == "alert" and r.status in ("sent", "coalesced")
        }
        assert told and {chat for _, chat in told} <= set(OFFICIALS)
        assert any(r.kind == "summary" for r in outbox_rows), "a burst makes a summary"
        checked = 0
        for cid, chat in sorted(told):
            final = await h.get(cid)
            shown = [
                view
                for i, call in enumerate(h.fake.calls)
                if call.chat_id == chat and call.status == 200 and i not in commands
                if (view := about(call, cid)) is not None
            ]
            if not shown:  # listed on a summary page the official has not opened
                assert cid not in {changed for _, changed in changes}, (seed, cid, chat)
                continue
            mark, absent = _expected(final)
            last = shown[-1]
            assert mark in last, (seed, cid, chat, final.status, last)
            assert not [m for m in absent if m in last], (seed, cid, chat, final.status, last)
            for start, changed in changes:
                if changed != cid:
                    continue
                after = [
                    call
                    for i, call in enumerate(h.fake.calls[start:], start)
                    if call.chat_id == chat and i not in commands and about(call, cid)
                ]
                assert after, (seed, cid, chat, "a change reached nobody")
                checked += 1
        assert checked > 0
        await assert_every_sent_row_has_its_call(h, commands)


# ---- logs: ids and events, never texts or names ----------------------------------------------


async def test_sends_are_logged_with_ids_only(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.outbox")
    single = await h.complaint(agency="roads")
    await h.flush()
    ids, _ = await summary_of_five(h)
    await h.reply(601, f"/resolve {single}")
    await h.reply(601, f"/resolve {ids[0]}")
    await h.flush()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.outbox"]
    summary = ",".join(str(i) for i in ids)
    expected = [
        rf"alert sent: row \d+, complaint {single}, chat 502, message \d+",
        rf"card edit sent: row \d+, complaint {single}, chat 502, message \d+",
        rf"summary \d+ sent to chat 501: complaints {summary} \(rows [\d,]+\)",
        rf"fresh card for a change sent: row \d+, complaint {ids[0]}, .*",
        r"summary edit sent: row \d+, complaint \d+, chat 501, .*",
    ]
    for pattern in expected:
        assert any(re.fullmatch(pattern, m) for m in lines), (pattern, lines)
    for m in lines:
        assert "Яма" not in m and "Иван" not in m and "Мария" not in m
    events = {getattr(r, "event", None) for r in caplog.records if r.name == "bot.outbox"}
    assert {"alert_sent", "card_edited", "summary_sent", "card_sent", "summary_edited"} <= events


async def test_every_escalation_is_logged_once_with_its_level(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.sla_watch")
    reg = region()
    async with region_db(db_url, reg, msk("2026-11-23T09:00:00")) as deps:
        cid = await add_complaint(deps.sessions, reg, created_at=msk("2026-11-23T09:00:00"))
        for at in ("2026-11-23T15:00:00", "2026-11-23T17:00:00", "2026-11-24T12:00:00"):
            await check_sla(deps, now=msk(at))
            await check_sla(deps, now=msk(at) + timedelta(minutes=1))  # nothing new: no line
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.sla_watch"]
    assert lines == [
        f"SLA nudge: complaint {cid}, level officials, 1 told",
        f"SLA escalation: complaint {cid}, level moderators, 1 told",
        f"SLA escalation_lead: complaint {cid}, level leads, 2 told",
    ]
    levels = [getattr(r, "level", None) for r in caplog.records if r.name == "bot.sla_watch"]
    assert levels == ["officials", "moderators", "leads"]
