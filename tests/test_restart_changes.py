"""Changes made on VK while Otklik was down (issue 11, found by the soak): the first read of
a post after a start is compared with storage, so a deletion closes its complaint and an edit
reaches the official's card, on polled pages as on Long Poll ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from sandbox.runner import Sandbox
from sandbox.scenario import Scenario
from storage.db import make_engine, make_session_factory
from storage.models import Comment, Complaint, Page
from tests.conftest import BASE_SCENARIO

pytestmark = pytest.mark.e2e

T0 = datetime.fromisoformat("2026-11-23T08:05:00+03:00")
TEXT = "Яма у дома 5 по ул. Ленина, когда заделаете?"


async def stored(sb: Sandbox) -> tuple[bool, str, str]:
    engine = make_engine(sb.db_url)
    try:
        async with make_session_factory(engine)() as session:
            row = (
                await session.execute(
                    select(Comment.deleted, Comment.text, Complaint.status).join(
                        Complaint, Complaint.comment_pk == Comment.id
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    return bool(row[0]), str(row[1]), str(row[2])


async def run_with_change_while_down(tmp_path: Path, change: str) -> Sandbox:
    scenario = Scenario.model_validate(
        {**BASE_SCENARIO, "end": "2026-11-23T12:00:00+03:00", "events": []}
    )
    sb = Sandbox(scenario, workdir=tmp_path, speed=600)
    await sb.__aenter__()
    sb.vk.add_comment(1001, 10, at=T0, from_id=7001, text=TEXT)
    # Seen and alerted, then the app stops (the scenario's end is only a cap: a loaded
    # machine may take more virtual minutes than an idle one).
    await sb.run_app(scenario.end, stop_when=lambda: _told(sb, "Яма у дома 5"))
    if change == "delete":
        sb.vk.delete_comment(1001, 11, at=sb.clock.now())
        news = "удалён"
    else:
        sb.vk.edit_comment(1001, 11, at=sb.clock.now(), text=TEXT + " Подъезд 2, у шлагбаума.")
        # An edit moves no count: the post is read again when something else happens on it.
        sb.vk.add_comment(1001, 10, at=sb.clock.now(), from_id=7002, text="Тоже видел эту яму")
        news = "у шлагбаума"
    await sb.run_app(scenario.end, stop_when=lambda: _told(sb, news))
    return sb


def _told(sb: Sandbox, text: str) -> bool:
    """The official (501) has been sent ``text``, in a message or an edit of one."""
    return any(text in (c.text or "") for c in sb.tg.sent(501))


async def test_a_comment_deleted_while_otklik_was_down_closes_its_complaint(
    tmp_path: Path,
) -> None:
    sb = await run_with_change_while_down(tmp_path, "delete")
    try:
        deleted, _, status = await stored(sb)
        assert deleted and status == "deleted"
        # The official's card says so: no nudge or escalation about a comment that is gone.
        edits = [c for c in sb.tg.calls if c.chat_id == 501 and c.method == "editMessageText"]
        assert any("удалён" in (c.text or "") for c in edits)
    finally:
        await sb.__aexit__(None, None, None)


async def test_an_edit_made_while_otklik_was_down_reaches_the_card(tmp_path: Path) -> None:
    sb = await run_with_change_while_down(tmp_path, "edit")
    try:
        deleted, text, status = await stored(sb)
        assert not deleted and status == "open"
        assert text.endswith("Подъезд 2, у шлагбаума.")
        official = [c for c in sb.tg.calls if c.chat_id == 501 and c.status == 200]
        assert any("у шлагбаума" in (c.text or "") for c in official)
    finally:
        await sb.__aexit__(None, None, None)


# ---- a restart before a page's first comment was read (the soak, seed 11 at 300×) ---------

WATER = "Третий день нет горячей воды в доме 7, когда дадут?"


async def _complaints(sb: Sandbox) -> dict[str, str | None]:
    """Each stored comment's text (its start) and its complaint's status (None: none)."""
    engine = make_engine(sb.db_url)
    try:
        async with make_session_factory(engine)() as session:
            rows = (
                await session.execute(
                    select(Comment.text, Complaint.status).outerjoin(
                        Complaint, Complaint.comment_pk == Comment.id
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    return {str(text)[:12]: status for text, status in rows}


async def test_comments_not_yet_read_at_a_stop_are_complaints_after_the_restart(
    tmp_path: Path,
) -> None:
    """The app looks at the page (its posts stored, no comment yet), and stops before it
    read a comment written then; another comes while it is down.  Both are residents'
    complaints, not the page's history: the first look was before them.  Stamping the first
    look only with a page's first stored comment lost both (the restarted app took its own
    start for the first look)."""
    scenario = Scenario.model_validate(
        {**BASE_SCENARIO, "end": "2026-11-23T10:00:00+03:00", "events": []}
    )
    sb = Sandbox(scenario, workdir=tmp_path, speed=600)
    await sb.__aenter__()
    try:
        # Up until the first look is stored, then stopped (on a paused clock nothing is read
        # meanwhile): the page's posts are in storage, none of its comments.
        await sb.run_app(scenario.end, stop_when=lambda: _batches(sb) >= 1)
        assert await _complaints(sb) == {}
        stopped = sb.clock.now()
        sb.vk.add_comment(1001, 10, at=stopped, from_id=7001, text=TEXT)  # not read in time
        sb.clock.step(600.0)  # down ten minutes; a resident writes meanwhile
        sb.vk.add_comment(1001, 10, at=sb.clock.now(), from_id=7002, text=WATER)
        sb.clock.step(300.0)
        await sb.run_app(
            scenario.end, stop_when=lambda: _told(sb, "Яма у дома 5") and _told(sb, "горячей")
        )
        assert await _complaints(sb) == {TEXT[:12]: "open", WATER[:12]: "open"}
    finally:
        await sb.__aexit__(None, None, None)


def _batches(sb: Sandbox) -> int:
    """Batches the running app's collector has stored."""
    app = sb.app
    collection = app.collection if app is not None else None
    return collection.batches if collection is not None else 0


# ---- a page with an empty wall at the first look, restarted before its first post was read --


async def _first_look_at(sb: Sandbox, group_id: int) -> datetime | None:
    engine = make_engine(sb.db_url)
    try:
        async with make_session_factory(engine)() as session:
            page = await session.get(Page, group_id)
            return page.first_look_at if page is not None else None
    finally:
        await engine.dispose()


@pytest.mark.parametrize("community", [False, True], ids=["polled", "longpoll"])
async def test_a_page_empty_at_the_first_look_keeps_it_across_a_restart(
    tmp_path: Path, community: bool
) -> None:
    """The first look finds the page's wall empty: nothing to store, so nothing stamped its
    first look.  A post appears and is commented on, the app stops before it read them, and
    a resident writes while it is down.  The restarted app took the wall for a first look
    again (the post's comments so far its history, never read) and its own start for the
    first look: both complaints lost, nobody told."""
    page = {**BASE_SCENARIO["pages"][0], "community": community}
    scenario = Scenario.model_validate(
        {
            **BASE_SCENARIO,
            "end": "2026-11-23T09:30:00+03:00",
            "pages": [page],
            "posts": [],
            "events": [],
        }
    )
    sb = Sandbox(scenario, workdir=tmp_path, speed=600)
    await sb.__aenter__()
    try:
        # Up until the page was looked at (run_app holds the clock until then), then stopped:
        # the look's (empty) batch is handled on the way out, as a stop does.
        await sb.run_app(scenario.end, stop_when=lambda: True)
        looked = await _first_look_at(sb, 1001)
        assert looked is not None and looked <= sb.clock.now()
        stopped = sb.clock.now()
        post = sb.vk.add_post(1001, at=stopped, text="График вывоза мусора на декабрь")
        sb.vk.add_comment(1001, post, at=stopped, from_id=7001, text=TEXT)  # not read in time
        sb.clock.step(600.0)  # down ten minutes; a resident writes meanwhile
        sb.vk.add_comment(1001, post, at=sb.clock.now(), from_id=7002, text=WATER)
        sb.clock.step(300.0)
        await sb.run_app(
            scenario.end, stop_when=lambda: _told(sb, "Яма у дома 5") and _told(sb, "горячей")
        )
        assert await _complaints(sb) == {TEXT[:12]: "open", WATER[:12]: "open"}
        assert await _first_look_at(sb, 1001) == looked  # the restart did not move it
    finally:
        await sb.__aexit__(None, None, None)
