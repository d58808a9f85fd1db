"""Issue 11: an idle ``otklik run`` costs little CPU and memory.

A process with nothing to do burned ~60% of a core (the collection service's wait loop spun
when it had no leases to renew); importing aiogram built all ~450 Telegram types, ~100 MB of
memory for types the bot never sees; and each garbage collection made the next ``getUpdates``
compile the whole ``Update`` model again.  The first test runs the real process the way
``bench/idle.py`` does (fake VK and fake Telegram on the real clock, default settings, SQLite)
and measures it after start-up, from its ``/proc`` entry.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import GetUpdates
from aiogram.methods.base import Response
from aiogram.types import Update

from bench.idle import CPU_FLOOR_PCT, run_one
from bot.app import BotApiSession
from config.clock import SystemClock
from sandbox.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
#: Peak resident memory of a 5-page install (it was 285 MB with every Telegram type built).
SMALL_INSTALL_RSS_MB = 250.0


@pytest.mark.e2e
@pytest.mark.timeout(600)
async def test_an_idle_five_page_install_uses_under_2_percent_of_a_core_and_little_memory(
    tmp_path: Path,
) -> None:
    result = await run_one(5, tmp_path, seconds=40.0, ready_timeout=300.0)
    assert result["health"] == "ok", result
    assert result["vk_errors"] == 0, result
    assert result["cpu_pct_of_core"] <= CPU_FLOOR_PCT, result
    assert result["rss_peak_mb"] <= SMALL_INSTALL_RSS_MB, result


async def test_an_idle_bot_keeps_its_telegram_response_model_across_garbage_collections() -> None:
    async with FakeTelegram(SystemClock()) as tg:
        session = BotApiSession(api=TelegramAPIServer.from_base(tg.base_url))
        bot = Bot("123456:IDLE", session=session)
        try:
            assert await bot(GetUpdates(timeout=0)) == []
            model = weakref.ref(Response[list[Update]])
            gc.collect()
            assert model() is not None, "the next poll would compile the Update model again"
            assert await bot(GetUpdates(timeout=0)) == []
        finally:
            await bot.session.close()


def test_lean_telegram_types_build_on_first_use_and_parse_what_the_bot_receives() -> None:
    """In a fresh interpreter, as ``otklik run`` does: aiogram imported after the install."""
    code = textwrap.dedent(
        """
        from bot.lean_types import install
        assert install() is True
        import aiogram.types as t
        assert t.Update.__pydantic_complete__ and t.Message.__pydantic_complete__
        assert not t.Sticker.__pydantic_complete__  # never used: never built
        user = {"id": 501, "is_bot": False, "first_name": "Иван"}
        chat = {"id": 501, "type": "private", "first_name": "Иван"}
        message = {
            "message_id": 7, "date": 0, "chat": chat, "from": user, "text": "/open",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            "reply_markup": {"inline_keyboard": [[{"text": "Решено", "callback_data": "c:1"}]]},
        }
        press = {"id": "9", "from": user, "chat_instance": "x", "data": "c:1", "message": message}
        member = {
            "chat": chat, "from": user, "date": 0,
            "old_chat_member": {"status": "member", "user": user},
            "new_chat_member": {"status": "kicked", "user": user, "until_date": 0},
        }
        for update in (
            {"update_id": 1, "message": message},
            {"update_id": 2, "callback_query": press},
            {"update_id": 3, "my_chat_member": member},
        ):
            parsed = t.Update.model_validate(update)
            assert parsed.event_type in ("message", "callback_query", "my_chat_member")
        assert t.Update.model_validate({"update_id": 2, "callback_query": press}).callback_query
        sticker = {"file_id": "f", "file_unique_id": "u", "type": "regular", "width": 1,
                   "height": 1, "is_animated": False, "is_video": False}
        assert t.Sticker.model_validate(sticker).width == 1  # built now, on first use
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
