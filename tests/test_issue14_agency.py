"""Issue 14: every list and card names the responsible agency (after routing or «Передать»);
the page stays as where the complaint was written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.bot_harness import Harness

MODERATOR, OFFICIAL, ROADS_OFFICIAL = 601, 501, 502


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


async def test_lists_and_cards_name_the_responsible_agency_after_assign(h: Harness) -> None:
    cid = await h.complaint(page=1001, agency="city")  # written on the administration's page
    await h.flush()
    card = await h.reply(MODERATOR, f"/complaint {cid}")
    assert "Страница: Администрация" in card and "Ведомство: Администрация" in card

    assert "передана: Дорожная служба" in await h.reply(MODERATOR, f"/assign {cid} дорожная")
    await h.flush()
    listing = await h.reply(MODERATOR, "/open")
    # Before issue 14 the line named the page («Администрация») where the agency belongs.
    assert f"№{cid} · Дороги · Дорожная служба · осталось" in listing
    assert "(страница: Администрация)" in listing
    mine = await h.reply(ROADS_OFFICIAL, "/my")
    assert f"№{cid} · Дороги · Дорожная служба" in mine
    card = await h.reply(MODERATOR, f"/complaint {cid}")
    assert "Страница: Администрация" in card and "Ведомство: Дорожная служба" in card
    # The new official's alert says the same.
    alert = next(m for m in h.cards(ROADS_OFFICIAL) if "Жалоба №" in (m["text"] or ""))
    assert "Ведомство:</b> Дорожная служба" in alert["text"]
