"""Commands for each role, with refusals; invites, menus, paging, /addpage via the fake VK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.menus import sync_menus
from bot.vk_pages import make_page_resolver
from collectors.vk_client import VkClient
from sandbox.fake_vk import FakeVK
from storage.models import AuditEntry, Invite, Page, Person
from tests.bot_harness import STRANGER, Harness, buttons


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    async with Harness(db_url) as harness:
        yield harness


OFFICIAL, OTHER_OFFICIAL, MODERATOR, LEAD, ADMIN = 501, 502, 601, 701, 801

# (who, command, what the reply must contain); every row is a refusal or a malformed argument,
# so nothing may change in the database.
REFUSALS = [
    (STRANGER, "/my", "по приглашению"),
    (STRANGER, "/resolve 1", "по приглашению"),
    (STRANGER, "/invite official city", "по приглашению"),
    (STRANGER, "привет", "по приглашению"),
    (STRANGER, "/start bogus-code", "недействительно"),
    (OFFICIAL, "/resolve 1", "недоступна"),
    (OFFICIAL, "/dismiss 1", "недоступна"),
    (OFFICIAL, "/assign 1 roads", "недоступна"),
    (OFFICIAL, "/reopen 1", "недоступна"),
    (OFFICIAL, "/invite official city", "недоступна"),
    (OFFICIAL, "/users", "недоступна"),
    (OFFICIAL, "/status", "недоступна"),
    (OFFICIAL, "/addpage vk.com/x city", "недоступна"),
    (LEAD, "/resolve 1", "недоступна"),
    (LEAD, "/my", "недоступна"),
    (MODERATOR, "/addpage vk.com/x city", "недоступна"),
    (MODERATOR, "/invite admin", "только исполнителей"),
    (MODERATOR, "/resolve один", "числом"),
    (MODERATOR, "/resolve", "числом"),
    (MODERATOR, "/resolve 999", "не найдена"),
    (MODERATOR, "/assign 1 nowhere", "не найдено"),
    (MODERATOR, "/reopen 1", "переоткрывать нечего"),
    (MODERATOR, "/open nonsense-topic", "Не понял фильтр"),
    (MODERATOR, "/stats 3y", "Не понял период «3y»"),
    (OTHER_OFFICIAL, "/complaint 1", "не из ваших ведомств"),  # another agency's complaint
    (OFFICIAL, "/complaint abc", "числом"),
    (OFFICIAL, "/mute forever", "Формат: /mute"),
    (OFFICIAL, "/mute -3", "Формат: /mute"),
    (ADMIN, "/invite official", "укажите ведомство"),
    (ADMIN, "/invite official mars", "не найдено"),
    (ADMIN, "/invite king", "Роли:"),
    (ADMIN, "/addpage", "Формат: /addpage"),
    (ADMIN, "/addpage vk.com/x mars", "не найдено"),
]


@pytest.mark.parametrize(("who", "command", "expected"), REFUSALS)
async def test_refusals_answer_clearly_and_change_nothing(
    h: Harness, who: int, command: str, expected: str
) -> None:
    cid = await h.complaint()
    assert cid == 1
    await h.refused(who, command, expected)
    c = await h.get(1)
    assert (c.status, c.agency_id) == ("open", "city")
    async with h.sessions() as s:
        assert (await s.execute(select(Invite))).first() is None
        assert await s.get(Person, STRANGER) is None


async def test_each_role_runs_its_commands(h: Harness) -> None:
    first = await h.complaint()
    await h.complaint(page=1002, agency="roads", topic="snow", due_in_h=-1)
    assert "Мои открытые жалобы: 1" in await h.reply(OFFICIAL, "/my")
    assert "Открытые жалобы: 1" in await h.reply(OFFICIAL, "/open")  # own agency only
    assert "Открытые жалобы: 2" in await h.reply(LEAD, "/open")
    assert "Просроченные жалобы: 1" in await h.reply(MODERATOR, "/overdue")
    assert "Открытые жалобы: 1" in await h.reply(MODERATOR, "/open snow")
    assert "Открытые жалобы: 1" in await h.reply(MODERATOR, "/open adm")
    assert "Поступило: 2 жалобы" in await h.reply(LEAD, "/stats 7d")
    assert "Поступило: 1 жалоба" in await h.reply(OFFICIAL, "/stats")
    assert "Дорожная служба" in await h.reply(LEAD, "/pages")
    users = await h.reply(ADMIN, "/users")
    assert "Иван Петров · исполнитель (Администрация)" in users  # a name, not an id
    status = await h.reply(MODERATOR, "/status")
    assert "Страниц: 2" in status and "ни разу: 2" in status
    assert "передана: Дорожная служба" in await h.reply(MODERATOR, f"/assign {first} roads")
    assert "закрыта как решённая" in await h.reply(ADMIN, f"/resolve {first}")
    assert "переоткрыта" in await h.reply(MODERATOR, f"/reopen {first}")
    assert "отмечена как «не жалоба»" in await h.reply(MODERATOR, f"/dismiss {first} спам")
    assert "Не беспокою до" in await h.reply(OFFICIAL, "/mute 2")
    help_text = await h.reply(OFFICIAL, "/help")
    assert "/my" in help_text and "/resolve" not in help_text
    async with h.sessions() as s:
        actions = [a for (a,) in (await s.execute(select(AuditEntry.action))).all()]
    assert {"reassign", "resolved", "reopen", "dismissed", "mute"} <= set(actions)


async def test_long_lists_page_with_buttons(h: Harness) -> None:
    for _ in range(11):
        await h.complaint()
    reply = await h.reply(MODERATOR, "/open")
    assert "Открытые жалобы: 11" in reply and "Страница 1 из 2" in reply
    mid, msg = h.last(MODERATOR)
    nav = dict(buttons(msg))
    assert "▶" in nav and "◀" not in nav and "№1" in nav
    await h.press(MODERATOR, mid, nav["▶"])
    page2 = h.fake.messages(MODERATOR)[mid]
    assert "Страница 2 из 2" in page2["text"] and "№9" in dict(buttons(page2))
    # Open a card from the list: it arrives with the moderator's buttons.
    await h.press(MODERATOR, mid, dict(buttons(page2))["№9"])
    _, card = h.last(MODERATOR)
    assert "Жалоба №9" in card["text"] and "Передать" in dict(buttons(card))


async def test_invite_join_and_per_role_menus(h: Harness) -> None:
    async with h.sessions() as s, s.begin():
        await sync_menus(h.bot, s)
    assert [c["command"] for c in h.fake.menu_for(STRANGER)] == ["start"]
    moderator_menu = [c["command"] for c in h.fake.menu_for(MODERATOR)]
    official_menu = [c["command"] for c in h.fake.menu_for(OFFICIAL)]
    assert "resolve" in moderator_menu and "invite" in moderator_menu
    assert "resolve" not in official_menu and "my" in official_menu
    assert "addpage" in [c["command"] for c in h.fake.menu_for(ADMIN)]

    reply = await h.reply(MODERATOR, "/invite official roads")
    link = reply.split("\n")[-1]
    assert link.startswith("https://t.me/otklik_test_bot?start=")
    code = link.rsplit("=", 1)[1]
    joined = await h.reply(900, f"/start {code}")
    assert "Добро пожаловать" in joined and "исполнитель" in joined
    async with h.sessions() as s:
        person = await s.get(Person, 900)
        assert person is not None
        assert (person.role, person.agencies, person.invited_by) == ("official", ["roads"], 601)
    assert "resolve" not in [c["command"] for c in h.fake.menu_for(900)]
    assert "my" in [c["command"] for c in h.fake.menu_for(900)]
    # The newcomer is alerted about their agency's complaints.
    await h.complaint(page=1002, agency="roads")
    await h.flush()
    assert len(h.cards(900)) == 2  # the welcome and the alert
    # One-time: nobody else can use it.
    assert "недействительно" in await h.reply(901, f"/start {code}")
    # Expired codes are refused too.
    code2 = (await h.reply(ADMIN, "/invite moderator")).rsplit("=", 1)[1]
    h.clock.advance(timedelta(hours=73).total_seconds())
    assert "недействительно" in await h.reply(902, f"/start {code2}")
    async with h.sessions() as s:
        assert await s.get(Person, 901) is None and await s.get(Person, 902) is None


async def test_addpage_resolves_the_link_through_vk(h: Harness) -> None:
    vk = FakeVK(h.clock)
    await vk.start()
    vk.add_token("svc", "service")
    vk.add_group(3003, "Поликлиника №1", "poly1")
    client = VkClient("svc", clock=h.clock, api_base=vk.base_url)
    h.page_resolver = make_page_resolver(client)
    try:
        reply = await h.reply(ADMIN, "/addpage https://vk.com/poly1 city")
        assert "Поликлиника №1 (id 3003) добавлена" in reply
        assert "уже отслеживается" in await h.reply(ADMIN, "/addpage vk.com/poly1 city")
        assert "не найдена" in await h.reply(ADMIN, "/addpage vk.com/nosuchpage city")
    finally:
        client.close()
        await vk.stop()
    async with h.sessions() as s:
        page = await s.get(Page, 3003)
        assert page is not None and (page.screen_name, page.agency_id) == ("poly1", "city")
        entry = (
            await s.execute(select(AuditEntry).where(AuditEntry.action == "page_added"))
        ).scalar_one()
    assert entry.actor == "tg:801"
