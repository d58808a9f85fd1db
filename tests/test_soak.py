"""Issue 11: the invariant soak, short.  A randomized region (``bench/soak_plan.py``) is played
against the real app on the sandbox for a couple of virtual hours (comments, thread replies,
edits, deletions, answers by the page and by officials' VK accounts, follow-ups, commands,
button presses, Telegram 429/5xx/timeouts, a blocked bot, a restart with the app down), and
the invariants of ``bench/soak_check.py`` must hold throughout:

* every complaint reaches one of its officials, a moderator or an admin within minutes;
* every change of a complaint reaches everyone who holds its card, and each card ends up
  showing the complaint's final state;
* no outbox row is ``sent`` without its Bot API call;
* a deleted comment closes its complaint, and nothing is nudged or escalated about it;
* the same seed at two speeds ends the same;
* every comment posted is stored, and decided (not taken for the page's history);
* every command and button press gets its reply.

Run alone with ``.venv/bin/pytest tests/test_soak.py``; ``python -m bench.soak`` is the long
version (three virtual days).  A failure lists each violation: which invariant, which
complaint (and the plan's comment label, ``k17``), which chat and when.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.soak import cpu_wait_known, outbox_calls, soak
from bench.soak_check import (
    ARow,
    Checker,
    CRow,
    ORow,
    PRow,
    Snapshot,
    Truth,
    Violation,
    normalize,
    parse_call,
)
from bench.soak_plan import make_plan
from bot.core import texts
from sandbox.fake_telegram import TgCall
from storage.models import Notification

pytestmark = pytest.mark.e2e

HOURS = 1.5  # of activity; the drain after it lets every obligation come due
PAGES = 6
RATE = 40.0  # complaints per page per day: a busy afternoon
#: Speeds a busy 2-core machine keeps up with (the app's own work scales with the speed).
SLOW, FAST = 300.0, 600.0
#: Real seconds a person may hear of something later than the 5 virtual minutes (× speed):
#: each message costs the machine tens of milliseconds, which at 600× are virtual minutes.  Time
#: the app was down, the event loop stood still, or it waited for a CPU held by other processes
#: (the kernel's run-queue figure) is not counted at all, so the slack is the app's own latency:
#: before that was counted the suite needed 12 s here beside busy loops (3 s was overrun by
#: 0.5 s, 8 s by 0.8 s, 12 s by 4 s with three test workers); with it, 3 s held in every run
#: beside two busy loops and two other test processes (and the old accounting failed there at
#: 3 s).  A kernel that does not keep the figure gets the old 12 s.  A complaint that never
#: reaches anyone still fails; ``python -m bench.soak`` keeps 2 s.
REAL_SLACK_S = 4.0 if cpu_wait_known() else 12.0


def explain(violations: list[tuple[str, Violation]]) -> str:
    counts = Counter(v.invariant for _, v in violations)
    lines = [f"{len(violations)} violations: {dict(counts)}"]
    for where, v in violations[:40]:
        who = f" chat {v.chat}" if v.chat is not None else ""
        what = f"complaint {v.complaint} ({v.comment})" if v.complaint else (v.comment or "")
        lines.append(f"[{where}] {v.invariant} at {v.at}: {what}{who}: {v.detail}")
    return "\n".join(lines)


async def _soak(seed: int, speeds: list[float], workdir: Path) -> list[tuple[str, Violation]]:
    _, results, compared = await soak(
        seed,
        days=HOURS / 24,
        pages=PAGES,
        speeds=speeds,
        workdir=workdir,
        complaints_per_page_day=RATE,
        check_every_s=300.0,
        real_slack_s=REAL_SLACK_S,
    )
    for r in results:
        assert r.events >= 40, f"{r.speed:g}×: only {r.events} events played"
        assert r.complaints >= 10, f"{r.speed:g}×: only {r.complaints} complaints"
    found = [(f"{r.speed:g}×", v) for r in results for v in r.violations]
    return found + [("both speeds", v) for v in compared]


@pytest.mark.timeout(600)  # a hang detector, not a speed target
async def test_soak_holds_the_invariants_and_ends_the_same_at_two_speeds(tmp_path: Path) -> None:
    violations = await _soak(11, [SLOW, FAST], tmp_path)
    assert not violations, explain(violations)


@pytest.mark.timeout(600)  # a hang detector, not a speed target
async def test_soak_holds_the_invariants_on_another_region(tmp_path: Path) -> None:
    violations = await _soak(12, [FAST], tmp_path)
    assert not violations, explain(violations)


# ---- the checker itself, on a hand-made history (fast) ------------------------------------

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
CARD = "🔔 <b>Жалоба №7</b> · Дороги\n«Яма у дома 5»"


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _snapshot(now: datetime, rows: list[ORow], audit: list[ARow]) -> Snapshot:
    complaint = CRow(7, (-3001, 10, 11), "ag0", "answered", 0, False, True, None, None, "Яма")
    people = {501: PRow(501, "official", ("ag0",), False), 601: PRow(601, "moderator", (), False)}
    return Snapshot(now, {7: complaint}, audit, rows, people)


def test_checker_flags_a_change_marked_sent_that_never_reached_the_card() -> None:
    """The coalesced-update defect as the soak sees it: the card went out, the answer was
    detected, and its update row is ``sent`` with no Bot API call behind it."""
    calls = [
        TgCall(_at(1), "sendMessage", 501, CARD, {}, 200, 1, None),  # the alert: card №7
    ]
    audit = [
        ARow(_at(0), "complaint_created", 7, {}, {"agency": "ag0"}),
        ARow(_at(30), "answered", 7, {"status": "open"}, {"status": "answered"}),
    ]
    rows = [
        ORow(1, 501, "alert", 7, {}, "sent", _at(0), _at(1), _at(1)),
        ORow(2, 501, "update", 7, {}, "sent", _at(30), _at(31), _at(31)),  # no call
    ]
    checker = Checker(Truth(), allowance_s=300, detect_s=900)
    checker.check(_snapshot(_at(60), rows, audit), calls)
    found = sorted((v.invariant, v.chat) for v in checker.violations)
    assert found == [("change_reaches", 501), ("sent_without_call", 501)], found

    # With the card edited after the answer, both obligations are met.
    calls.append(TgCall(_at(31), "editMessageText", 501, CARD + "\n✅ <b>Ответ дан</b>",
                        {"message_id": 1}, 200, 1, None))  # fmt: skip
    fixed = Checker(Truth(), allowance_s=300, detect_s=900)
    fixed.check(_snapshot(_at(60), rows, audit), calls)
    assert fixed.violations == []


def test_checker_flags_a_comment_never_stored_or_stored_as_history() -> None:
    """Seed 11 at 300×: two comments on a page whose first comment had not been read when the
    app restarted were stored as the page's history, so no complaint was ever raised, and no
    invariant of that run said so (only the other speed's differing end did)."""
    truth = Truth()
    keys = {"k1": (-3001, 10, 11), "k2": (-3001, 10, 12), "k3": (-3001, 10, 13)}
    for n, (label, key) in enumerate(keys.items()):
        truth.keys[label] = key
        truth.posted[label] = _at(n)
    truth.keys["k4"], truth.posted["k4"] = (-3001, 10, 14), _at(3)
    truth.deleted[(-3001, 10, 14)] = _at(4)  # deleted before anyone read it: not owed
    comments = {keys["k1"]: None, keys["k2"]: _at(20)}  # k2 predates the (late) first look
    checker = Checker(truth, allowance_s=300, detect_s=900)
    snap = Snapshot(_at(10), {}, [], [], {}, comments)
    checker.check(snap, [])
    assert checker.violations == []  # not due yet
    checker.check(Snapshot(_at(60), {}, [], [], {}, comments), [])
    found = {v.comment: v.detail for v in checker.violations}
    assert sorted(found) == ["k2", "k3"], found
    assert "history" in found["k2"] and "not stored" in found["k3"]
    assert all(v.invariant == "collected" for v in checker.violations)

    # At the end nothing waits for its deadline: a stalled loop's late one is judged too.
    late = Checker(truth, allowance_s=300, detect_s=900)
    late.final_comments(Snapshot(_at(5), {}, [], [], {}, dict.fromkeys(keys.values())))
    assert late.violations == [] and late.stats["collected_ok"] == 3


def test_deadlines_skip_the_time_the_app_was_down_or_the_loop_stood_still() -> None:
    truth = Truth()
    truth.downtimes.add(_at(10), _at(20))
    truth.stalls.add(_at(22), _at(23))
    checker = Checker(truth, allowance_s=300, detect_s=900)
    assert checker.deadline(_at(8), timedelta(minutes=5)) == _at(24)  # 5 + 10 down + 1 stall
    assert truth.stalls.covered(_at(0), _at(22.5)) == timedelta(seconds=30)


def test_normalized_messages_keep_outcomes_and_drop_moments() -> None:
    labels = {7: "k11"}
    a = "🔔 <b>Жалоба №7</b> · Дороги\n⏰ Ответить до 23.11 18:00 (осталось 1 ч 05 мин)"
    b = "🔔 <b>Жалоба №9</b> · Дороги\n⏰ Ответить до 23.11 18:10 (осталось 59 мин)"
    assert normalize(a, labels) == normalize(b, {9: "k11"}) == "🔔 <b>Жалоба №k11</b> · Дороги"
    assert normalize("Жалоба №7 закрыта как решённая.", labels) != normalize(
        "Жалоба №7 уже закрыта (статус: решена).", labels
    )


def test_the_plan_is_a_function_of_its_seed() -> None:
    one, two = make_plan(5, days=0.1), make_plan(5, days=0.1)
    assert one.steps == two.steps
    kinds = {s.kind for s in one.steps}
    assert {"comment", "edit", "delete", "press", "command", "fault", "block", "restart"} <= kinds
    orphan_pages = {p.group_id for p in one.scenario.pages if p.agency == one.orphan_agency}
    assert any(s.kind == "comment" and s.page in orphan_pages for s in one.steps)
    assert make_plan(6, days=0.1).steps != one.steps


# ---- which calls the outbox made (the «no reply» flake of session 9) ----------------------


def _row(
    row_id: int, kind: str, status: str, claimed: float, sent: float | None = None
) -> Notification:
    return Notification(
        id=row_id,
        dedupe_key=f"r{row_id}",
        chat_id=521,
        kind=kind,
        complaint_id=18,
        payload={},
        status=status,
        attempts=1,
        created_at=_at(claimed),
        next_attempt_at=_at(claimed),
        sent_at=None if sent is None else _at(sent),
        claimed_at=_at(claimed),
    )


def _card_call(minutes: float, method: str = "sendMessage", status: int = 200) -> TgCall:
    card = CARD.replace("№7", "№18")
    return TgCall(_at(minutes), method, 521, card, {"message_id": 3}, status, 4, None)


def test_a_claim_accounts_for_one_call_so_a_commands_card_is_still_its_reply() -> None:
    """At 600× «/complaint 18» got its card, but an alert of №18 to the same chat had just
    failed (429) and waited for its retry: the soak took the reply for the outbox's too and
    reported the command unanswered."""
    failed = _row(1, "alert", "failed", claimed=0)
    calls = [(0, _card_call(0, status=429)), (1, _card_call(0.3))]
    assert list(outbox_calls(calls, [failed])) == [0]

    # An update of the card sent as an edit spends its claim on the edit, not on the reply.
    edited = _row(2, "update", "sent", claimed=1, sent=1.01)
    calls = [(0, _card_call(1.005)), (1, _card_call(1.006, "editMessageText"))]
    assert list(outbox_calls(calls, [edited])) == [1]

    # A card the outbox is sending right beside the reply: one of the two is the reply.
    sending = _row(3, "alert", "sending", claimed=2)
    calls = [(0, _card_call(2.001)), (1, _card_call(2.002))]
    assert len(outbox_calls(calls, [sending])) == 1

    # The outbox's own card alone is not a reply; a call before the claim is not the outbox's.
    alert = _row(4, "alert", "sent", claimed=3, sent=3.01)
    assert list(outbox_calls([(0, _card_call(3.005))], [alert])) == [0]
    assert outbox_calls([(0, _card_call(2.9))], [alert]) == {}


def test_alerts_claimed_as_one_summary_account_for_one_call() -> None:
    """Seed 12 at 600× beside a CPU hog: four alerts to chat 521 went as one summary, Telegram
    answered 429 and the alerts waited for their retry (their summary row is deleted).  Four
    minutes later «/complaint 14» got its card, and the soak took it for the waiting alert of
    №14 and reported the command unanswered.  The four rows were one claim: one call."""
    rows = [_row(27 + i, "alert", "pending", claimed=0) for i in range(4)]
    for i, row in enumerate(rows):
        row.complaint_id, row.attempts, row.claimed_by = 13 + i, 0, "sender-1"
    summary = TgCall(
        _at(0.001),
        "sendMessage",
        521,
        f"Новых жалоб: 4\n\n{texts.SUMMARY_HINT}",
        {},
        429,
        None,
        None,
    )
    reply = TgCall(_at(4), "sendMessage", 521, CARD.replace("№7", "№14"), {}, 200, 5, None)
    assert list(outbox_calls([(0, summary), (1, reply)], rows, start=1)) == [0]

    # A lone alert never explains a summary; rows claimed apart are two claims, two calls.
    lone = _row(40, "alert", "pending", claimed=10)
    assert outbox_calls([(0, replace(summary, at=_at(10.001)))], [lone]) == {}
    apart = [_row(41, "alert", "failed", claimed=20), _row(42, "alert", "failed", claimed=20.5)]
    cards = [(0, _card_call(20.001, status=429)), (1, _card_call(20.501, status=429))]
    assert list(outbox_calls(cards, apart)) == [0, 1]


def test_a_blocked_officials_hand_over_is_a_notice_not_an_outcome() -> None:
    """A complaint handed to moderators because its official blocked the bot goes when the app
    next writes to that chat: like a nudge, which complaints are still open then depends on the
    minute (seed 11 once told moderators of k2 at 600× and not at 300×).  The hand-over of a
    complaint whose agency has no official at all is sent at once and stays an outcome."""
    blocked = (
        "📭 <b>Жалоба №2</b> · Управление ЖКХ\nИсполнителю она не придёт: исполнитель ведомства "
        "«Управление ЖКХ» заблокировал бота или ещё не открыл его. Передайте её другому ведомству."
    )
    orphan = (
        "📭 <b>Жалоба №4</b> · Департамент транспорта\nИсполнителю она не придёт: у ведомства "
        "«Департамент транспорта» нет исполнителя в боте. Передайте её другому ведомству."
    )
    for text, notice in ((blocked, True), (orphan, False)):
        call = parse_call(0, TgCall(_at(1), "sendMessage", 601, text, {}, 200, 9, None))
        assert call is not None and call.notice is notice, text
