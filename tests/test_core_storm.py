"""The storm benchmark on each messenger (issue 13), small: alerts go through the real outbox,
aiogram against the fake Telegram and maxapi against the fake MAX, which refuse anything over
their limits with 429.  Whatever the machine's load, nothing is refused, lost or told twice,
the fakes got exactly what the outbox recorded as sent, no one gets more than 20 messages a
minute, and a person on both messengers hears only on the one they prefer.  (How fast
everyone is told is the benchmark's figure, measured on a quiet machine; not asserted here.)"""

from __future__ import annotations

import pytest

from bench.storm import run


@pytest.mark.parametrize("channel", ["max", "mixed"])
async def test_a_storm_on_max_and_on_both_loses_and_repeats_nothing(channel: str) -> None:
    result = await run(240, 24, 60.0, 10.0, channel)
    assert result["http_429"] == 0
    assert (result["lost"], result["duplicates"]) == (0, 0)
    assert result["fake_sends_match"] and result["off_preferred_messages"] == 0
    # The busiest officials got summaries, not floods: 20 messages a minute at most, on MAX
    # as on Telegram (MAX itself would take 120).
    assert result["summaries"] > 0 and result["max_msgs_per_chat_minute"] <= 20
    by_channel = result["messages_by_channel"]
    assert set(by_channel) == ({"max"} if channel == "max" else {"max", "telegram"})
