"""Issue 15: an answer written in the messenger, checked and published on VK as the page.

The real domain (``bot.answering``) against the fake VK through the real vk_api, a real
database, and the real collector and ingest reading the published answer back: what an
official and a resident would see, without the messenger's buttons.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.answering import (
    AnswerOutcome,
    addressed,
    answer_now,
    check_answer,
    publish_answer,
    publish_held,
    write_answer,
)
from storage.answers import answer_counts
from storage.models import AnswerState, AuditEntry, ComplaintStatus, Notification
from tests.answer_support import (
    CITY,
    GOOD,
    LEAD,
    MODERATOR,
    OFFICIAL,
    OTPISKA,
    PARKS,
    PARKS_OFFICIAL,
    POST,
    T0,
    AnswerWorld,
)


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[AnswerWorld]:
    async with AnswerWorld(db_url) as w:
        yield w


async def test_good_answer_is_published_once_and_recorded_as_the_pages_answer(
    world: AnswerWorld,
) -> None:
    complaint_id, resident = await world.complaint()
    asked_at = world.fake.world.wall(CITY).comments[resident].at
    await world.clock.sleep(45 * 60)  # the official answers 45 minutes later
    official = await world.person(OFFICIAL)

    written = await write_answer(world.deps(), complaint_id, official, GOOD)
    assert written.outcome is AnswerOutcome.READY, written.message
    # Shown as it will appear: addressed to the resident, from the page.
    assert written.text == "Мария, яму у дома 5 заделают до 27 ноября, бригада выйдет в среду."
    assert written.page == "Администрация г. Примерска"
    assert written.draft_id is not None

    published = await publish_answer(world.deps(), written.draft_id, official)
    assert published.outcome is AnswerOutcome.PUBLISHED, published.message
    answers = world.page_answers(CITY, resident)
    assert [a.id for a in answers] == [published.vk_comment_id]
    assert answers[0].text == written.text
    assert published.link == (
        f"https://vk.com/wall-{CITY}_{POST}?reply={published.vk_comment_id}&thread={resident}"
    )
    # Pressing again changes nothing on VK.
    again = await publish_answer(world.deps(), written.draft_id, official)
    assert again.outcome is AnswerOutcome.ALREADY_PUBLISHED
    assert len(world.page_answers(CITY, resident)) == 1
    assert len(world.fake.writes) == 1

    # The collector reads it back: it is the page's answer, timed from the complaint.
    async def answered() -> bool:
        return (await world.get(complaint_id)).answered_at is not None

    await world.collect_until(answered, "the published answer read back")
    c = await world.get(complaint_id)
    published_at = answers[0].at
    assert c.status == ComplaintStatus.ANSWERED
    assert c.response_seconds == int(published_at) - int(asked_at) >= 45 * 60
    assert c.otpiska is False
    async with world.db() as session:
        updates = {
            n.chat_id
            for n in (await session.execute(select(Notification))).scalars()
            if n.complaint_id == complaint_id and n.kind == "update"
        }
        audit = [
            a.action
            for a in (await session.execute(select(AuditEntry))).scalars()
            if a.complaint_id == complaint_id
        ]
    assert updates == {OFFICIAL}  # the official's card is edited to show the answer
    assert audit.count("answer_published") == 1
    assert "answer_forced" not in audit


async def test_otpiska_is_held_with_reasons_then_fixed_and_published(world: AnswerWorld) -> None:
    complaint_id, resident = await world.complaint()
    official = await world.person(OFFICIAL)

    held = await write_answer(world.deps(), complaint_id, official, OTPISKA)
    assert held.outcome is AnswerOutcome.HELD
    assert held.reasons and all(isinstance(r, str) for r in held.reasons)
    assert "отписк" in held.message
    assert world.fake.writes == []  # nothing went to VK
    # Publishing without «как есть» keeps it held.
    assert held.draft_id is not None
    still = await publish_answer(world.deps(), held.draft_id, official)
    assert still.outcome is AnswerOutcome.HELD
    assert world.fake.writes == []

    fixed = await write_answer(world.deps(), complaint_id, official, GOOD)  # «Исправить»
    assert fixed.outcome is AnswerOutcome.READY
    assert fixed.draft_id == held.draft_id  # the same draft, rewritten
    done = await publish_answer(world.deps(), fixed.draft_id, official)
    assert done.outcome is AnswerOutcome.PUBLISHED
    assert done.forced is False
    assert [a.text for a in world.page_answers(CITY, resident)] == [fixed.text]


async def test_unfilled_template_placeholder_holds_the_answer(world: AnswerWorld) -> None:
    complaint_id, _ = await world.complaint()
    official = await world.person(OFFICIAL)
    text = "Бригада выйдет по адресу {адрес} и заделает яму до 27 ноября."
    held = await write_answer(world.deps(), complaint_id, official, text)
    assert held.outcome is AnswerOutcome.HELD
    assert held.reasons == ("не заполнено: «{адрес}»",)
    assert held.message.startswith("Ответ не опубликован: не заполнено: «{адрес}».")
    filled = await write_answer(
        world.deps(), complaint_id, official, text.replace("{адрес}", "ул. Ленина, 5")
    )
    assert filled.outcome is AnswerOutcome.READY


async def test_publish_as_is_is_audited_and_counted(world: AnswerWorld) -> None:
    complaint_id, resident = await world.complaint()
    official = await world.person(OFFICIAL)
    held = await write_answer(world.deps(), complaint_id, official, OTPISKA)
    assert held.outcome is AnswerOutcome.HELD

    forced = await publish_held(world.deps(), complaint_id, official)  # `/publish <номер>`
    assert forced.outcome is AnswerOutcome.PUBLISHED, forced.message
    assert forced.forced is True
    assert len(world.page_answers(CITY, resident)) == 1
    async with world.db() as session:
        audit = [
            (a.action, a.actor, a.before, a.after)
            for a in (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
            if a.complaint_id == complaint_id
        ]
        counts = await answer_counts(session, T0, world.clock.now() + timedelta(seconds=1))
        city_only = await answer_counts(
            session, T0, world.clock.now() + timedelta(seconds=1), ["parks"]
        )
    actions = [a[0] for a in audit]
    assert actions.count("answer_forced") == 1 and actions.count("answer_published") == 1
    forced_entry = next(a for a in audit if a[0] == "answer_forced")
    assert forced_entry[1] == f"tg:{OFFICIAL}"
    assert forced_entry[2]["reasons"] == list(held.reasons)
    assert (counts.published, counts.forced, counts.held_now) == (1, 1, 0)
    assert (city_only.published, city_only.forced) == (0, 0)


async def test_answer_command_publishes_in_one_step_when_the_check_passes(
    world: AnswerWorld,
) -> None:
    complaint_id, resident = await world.complaint()
    official = await world.person(OFFICIAL)
    held = await answer_now(world.deps(), complaint_id, official, OTPISKA)
    assert held.outcome is AnswerOutcome.HELD
    assert world.fake.writes == []
    done = await answer_now(world.deps(), complaint_id, official, GOOD)
    assert done.outcome is AnswerOutcome.PUBLISHED
    assert len(world.page_answers(CITY, resident)) == 1
    again = await answer_now(world.deps(), complaint_id, official, GOOD)
    assert again.outcome is AnswerOutcome.ALREADY_PUBLISHED
    assert len(world.page_answers(CITY, resident)) == 1


async def test_page_without_community_token_refuses_clearly_and_keeps_the_draft(
    world: AnswerWorld,
) -> None:
    complaint_id, resident = await world.complaint(page=PARKS)
    official = await world.person(PARKS_OFFICIAL)
    result = await answer_now(world.deps(), complaint_id, official, GOOD)
    assert result.outcome is AnswerOutcome.NO_TOKEN
    assert "нет ключа доступа сообщества" in result.message
    assert "Парки Примерска" in result.message
    assert world.fake.writes == []
    assert result.draft_id is not None
    draft = await world.draft(result.draft_id)
    assert draft.text == result.text and draft.state == AnswerState.DRAFT
    assert draft.last_error == result.message
    # Once the admin adds a token, the same draft goes out.
    fixed = world.writer({CITY: "community-city", PARKS: "community-parks"})
    world.fake.add_token("community-parks", "group", PARKS)
    done = await publish_answer(world.deps(fixed), result.draft_id, official)
    assert done.outcome is AnswerOutcome.PUBLISHED
    assert [a.text for a in world.page_answers(PARKS, resident)] == [draft.text]


@pytest.mark.parametrize("who", [PARKS_OFFICIAL, LEAD])
async def test_person_outside_the_complaints_scope_cannot_answer_it(
    world: AnswerWorld, who: int
) -> None:
    complaint_id, _ = await world.complaint()
    person = await world.person(who)
    result = await answer_now(world.deps(), complaint_id, person, GOOD)
    expected = AnswerOutcome.NOT_FOUND if who == PARKS_OFFICIAL else AnswerOutcome.FORBIDDEN
    assert result.outcome is expected
    assert result.draft_id is None and world.fake.writes == []
    async with world.db() as session:
        drafts = (await session.execute(select(AuditEntry))).scalars().all()
    assert [a for a in drafts if a.action.startswith("answer_")] == []
    # A moderator of the whole installation may answer it.
    moderator = await world.person(MODERATOR)
    done = await answer_now(world.deps(), complaint_id, moderator, GOOD)
    assert done.outcome is AnswerOutcome.PUBLISHED


def test_addressing_and_check_are_pure() -> None:
    assert addressed("Яму заделают до 27 ноября.", "Мария К.") == (
        "Мария, яму заделают до 27 ноября."
    )
    assert addressed("Мария, яму заделают.", "Мария К.") == "Мария, яму заделают."
    assert addressed("МФЦ работает до 20:00.", "Мария") == "Мария, МФЦ работает до 20:00."
    assert addressed("Текст", None) == "Текст"
    assert not check_answer("Яма", OTPISKA).passed
    assert check_answer("Яма у дома 5, когда заделаете?", GOOD).passed
