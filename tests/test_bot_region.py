"""A moderator with a region sees and works only that region's complaints; lists, figures,
reports, the agency picker and invites follow; one without a region sees everything."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from config.registry import parse_registry
from storage.models import Agency, Person
from tests.bot_harness import Harness, buttons

HOME, AWAY = "Примерский край", "Соседняя область"
REGIONS = parse_registry(
    {
        "agencies": [
            {"id": "city", "name": "Администрация", "region": HOME},
            {"id": "roads", "name": "Дорожная служба", "region": HOME},
            {"id": "far", "name": "Соседняя мэрия", "region": AWAY},
        ],
        "pages": [
            {"group_id": 1001, "name": "Администрация", "screen_name": "adm", "agency": "city"},
            {"group_id": 1002, "name": "Дороги", "screen_name": "roads", "agency": "roads"},
            {"group_id": 1003, "name": "Соседи", "screen_name": "far", "agency": "far"},
        ],
        "people": [
            {"telegram_id": 501, "name": "Иван Петров", "role": "official", "agencies": ["city"]},
            {"telegram_id": 503, "name": "Олег Дальний", "role": "official", "agencies": ["far"]},
            {"telegram_id": 601, "name": "Ольга Смирнова", "role": "moderator"},
            {"telegram_id": 602, "name": "Инна Краевая", "role": "moderator", "region": HOME},
            {"telegram_id": 701, "name": "Андрей Руководитель", "role": "lead"},
            {"telegram_id": 702, "name": "Борис Соседский", "role": "lead", "region": AWAY},
        ],
    }
)
EVERYWHERE, REGIONAL, LEAD, AWAY_LEAD = 601, 602, 701, 702


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url, registry=REGIONS) as harness:
        yield harness


async def _world(h: Harness) -> tuple[int, int, int]:
    home = await h.complaint()
    home_late = await h.complaint(page=1002, agency="roads", topic="snow", due_in_h=-1)
    away_late = await h.complaint(page=1003, agency="far", due_in_h=-2)
    return home, home_late, away_late


async def test_regional_moderator_lists_and_figures_cover_the_region(h: Harness) -> None:
    home, home_late, away_late = await _world(h)
    listing = await h.reply(REGIONAL, "/open")
    assert "Открытые жалобы: 2" in listing and "Соседи" not in listing
    assert "Открытые жалобы: 3" in await h.reply(EVERYWHERE, "/open")
    assert "Просроченные жалобы: 1" in await h.reply(REGIONAL, "/overdue")
    assert "Просроченные жалобы: 1" in await h.reply(AWAY_LEAD, "/overdue")
    assert "Просроченные жалобы: 2" in await h.reply(LEAD, "/overdue")
    stats = await h.reply(REGIONAL, "/stats")
    assert "Поступило: 2 жалобы" in stats and "из них просрочено: 1" in stats
    assert f"Жалоба №{home}" in await h.reply(REGIONAL, f"/complaint {home}")
    assert f"Жалоба №{away_late}" in await h.reply(AWAY_LEAD, f"/complaint {away_late}")
    pages = await h.reply(REGIONAL, "/pages")
    assert "Дороги" in pages and "Соседи" not in pages
    # Reports: the export counts the region's complaints, the digest its overdue ones.
    assert "Жалобы с 23.11.2026 по 23.11.2026: 2" in [
        c.params.get("caption") for c in await h.say(REGIONAL, "/export 2026-11-23 2026-11-23")
    ]
    assert "Жалобы с 23.11.2026 по 23.11.2026: 3" in [
        c.params.get("caption") for c in await h.say(EVERYWHERE, "/export 2026-11-23 2026-11-23")
    ]
    digest = await h.reply(REGIONAL, "/digest")
    assert "Просрочено без ответа: 1" in digest and f"№{home_late}" in digest
    assert "Просрочено без ответа: 1" in await h.reply(AWAY_LEAD, "/digest")
    assert "Просрочено без ответа: 2" in await h.reply(LEAD, "/digest")


NOT_IN_REGION = f"есть, но она не из вашего региона ({HOME})"
# (command, expected); {away} is the other region's complaint, {home} one of the region's.
REFUSALS = [
    ("/complaint {away}", NOT_IN_REGION),
    ("/resolve {away} решено", NOT_IN_REGION),
    ("/dismiss {away}", NOT_IN_REGION),
    ("/reopen {away}", NOT_IN_REGION),
    ("/wait {away}", NOT_IN_REGION),
    ("/assign {away}", NOT_IN_REGION),
    ("/assign {away} city", NOT_IN_REGION),
    ("/assign {home} far", "«far» не из вашего региона. Можно: Администрация, Дорожная служба"),
    ("/invite official far", "«far» не из вашего региона"),
]


@pytest.mark.parametrize(("command", "expected"), REFUSALS)
async def test_regional_moderator_is_refused_outside_the_region(
    h: Harness, command: str, expected: str
) -> None:
    home, _, away = await _world(h)
    await h.refused(REGIONAL, command.format(home=home, away=away), expected)
    for cid, agency in ((home, "city"), (away, "far")):
        c = await h.get(cid)
        assert (c.status, c.agency_id, c.waiting_since) == ("open", agency, None)


async def test_regional_buttons_and_picker_stay_in_the_region(h: Harness) -> None:
    home, _, away = await _world(h)
    await h.say(REGIONAL, f"/complaint {home}")
    mid, _ = h.last(REGIONAL)
    await h.press(REGIONAL, mid, f"c:p:{home}")
    picker = [text for text, _ in buttons(h.fake.messages(REGIONAL)[mid])]
    assert picker == ["Администрация", "Дорожная служба", "← Назад"]
    before = await h.audit_count()
    answer = await h.press(REGIONAL, mid, f"ca:{home}:far")  # forged: not offered
    assert "не из вашего региона" in answer.params["text"]
    answer = await h.press(REGIONAL, mid, f"c:r:{away}")
    assert NOT_IN_REGION in answer.params["text"]
    assert await h.audit_count() == before
    assert (await h.get(home)).agency_id == "city"
    assert (await h.get(away)).status == "open"
    # Within the region everything works as usual.
    answer = await h.press(REGIONAL, mid, f"ca:{home}:roads")
    assert "передана: Дорожная служба" in answer.params["text"]
    assert (await h.get(home)).agency_id == "roads"
    # The moderator without a region still reaches every agency.
    await h.say(EVERYWHERE, f"/complaint {away}")
    mid, _ = h.last(EVERYWHERE)
    await h.press(EVERYWHERE, mid, f"c:p:{away}")
    assert "Соседняя мэрия" in [t for t, _ in buttons(h.fake.messages(EVERYWHERE)[mid])]
    assert "закрыта как решённая" in await h.reply(EVERYWHERE, f"/resolve {away}")


async def test_region_comes_from_the_registry_and_narrows_listed_agencies(h: Harness) -> None:
    async with h.sessions() as s:
        far, regional, everywhere = (
            await s.get(Agency, "far"),
            await s.get(Person, REGIONAL),
            await s.get(Person, EVERYWHERE),
        )
        assert far is not None and regional is not None and everywhere is not None
        assert (far.region, regional.region, everywhere.region) == (AWAY, HOME, None)
    _, _, away = await _world(h)
    async with h.sessions() as s, s.begin():
        lead = await s.get(Person, AWAY_LEAD)
        assert lead is not None
        lead.agencies = ["city"]  # listed agencies outside the region: nothing is left
    assert "Жалоб нет." in await h.reply(AWAY_LEAD, "/open")
    assert f"вашего региона ({AWAY})" in await h.reply(AWAY_LEAD, f"/complaint {away}")
