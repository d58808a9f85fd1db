"""Malformed command arguments and forged buttons get an answer, never an exception
(issue 7: every bot input is validated)."""

from __future__ import annotations

from tests.bot_harness import Harness

MALFORMED_COMMANDS = [
    "/resolve ²",  # a Unicode digit: str.isdigit() says yes, int() says no
    "/complaint ²",
    "/assign ² city",
    "/reopen №",
    "/complaint 99999999999999",  # past a 32-bit id column
    "/open -²",
    "/open 99999999999999999999999",  # past SQLite's 64-bit integers
    "/stats ²d",
    "/export 2026-13-01 2026-13-02",
    "/report 2026-W99",
    "/mute ²",
    "/invite",
    "/addpage",
]
FORGED_BUTTONS = [
    "c:s:²",
    "c:w:99999999999",  # past a 32-bit id column
    "c:g:1",  # resume a complaint that does not wait
    "ca:99999999999:city",
    "c:zz:1",
    "ca:²:city",
    "l:batch:²:0",
    "l:open:p:²:0",
    "l:open:p:99999999999999999999999:0",
    "l:my:x:99999999999999999999999",
    "garbage",
]


async def test_malformed_arguments_get_a_reply_not_an_error(db_url: str) -> None:
    async with Harness(db_url) as h:
        for text in MALFORMED_COMMANDS:
            calls = await h.say(801, text)  # the admin may use every command
            replies = [c for c in calls if c.method == "sendMessage"]
            assert len(replies) == 1 and replies[0].status == 200, text


async def test_forged_buttons_are_answered_and_change_nothing(db_url: str) -> None:
    async with Harness(db_url) as h:
        cid = await h.complaint()
        await h.flush()
        mid, _ = h.last(501)
        before = await h.audit_count()
        for data in FORGED_BUTTONS:
            answer = await h.press(501, mid, data)
            assert answer.status == 200, data
            # Refused by the typed filter, never by the database (PostgreSQL's int4 id).
            assert "перегружен" not in answer.params.get("text", ""), data
        assert await h.audit_count() == before
        assert (await h.get(cid)).status == "open"
