"""Issue 15: failures lose nothing and nothing is published twice.

Each VK refusal or outage gives the official a clear Russian message and keeps the draft;
a crash between VK's answer and our commit, or an answer VK gave that never arrived, is
retried with the same guid and VK publishes once.  The fake VK is driven over HTTP by the
real vk_api; the database is real.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bot.answering import (
    AnswerDeps,
    AnswerOutcome,
    CommentWriter,
    publish_answer,
    resume_publishing,
    write_answer,
)
from storage.models import AnswerState, AuditEntry
from tests.answer_support import CITY, GOOD, OFFICIAL, POST, AnswerWorld
from tests.waiting import until


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[AnswerWorld]:
    async with AnswerWorld(db_url) as w:
        yield w


@dataclass(frozen=True)
class Failure:
    """How VK fails, what the official reads, and whether a later attempt may succeed."""

    arrange: Callable[[AnswerWorld, int], dict[int, str] | None]
    says: str
    retryable: bool


def _inject(kind: str, code: int = 10, count: int = 2) -> Callable[[AnswerWorld, int], None]:
    def arrange(w: AnswerWorld, _: int) -> None:
        w.fake.inject_fault(kind, method="wall.createComment", code=code, count=count)  # type: ignore[arg-type]

    return arrange


def _token(kind: str, **kw: object) -> Callable[[AnswerWorld, int], dict[int, str]]:
    def arrange(w: AnswerWorld, _: int) -> dict[int, str]:
        w.fake.add_token(f"odd-{kind}", kind, **kw)  # type: ignore[arg-type]
        return {CITY: f"odd-{kind}"}

    return arrange


def _revoked(w: AnswerWorld, _: int) -> None:
    w.fake.revoke_token("community-city")


def _closed(w: AnswerWorld, _: int) -> None:
    w.fake.close_comments(CITY, POST)


def _post_deleted(w: AnswerWorld, _: int) -> None:
    w.fake.delete_post(CITY, POST, at=w.clock.now())


def _comment_deleted(w: AnswerWorld, resident: int) -> None:
    w.fake.delete_comment(CITY, resident, at=w.clock.now())  # not collected yet


FAILURES = {
    "revoked token": Failure(_revoked, "не принял ключ сообщества", False),
    "service key instead": Failure(_token("service"), "не принял ключ сообщества", False),
    "user token instead": Failure(_token("user", user_id=9), "не даёт писать от её имени", False),
    "token without rights": Failure(
        _token("group", group_id=CITY, rights=("messages",)), "не даёт писать от её имени", False
    ),
    "another page's token": Failure(
        _token("group", group_id=4242), "не даёт писать от её имени", False
    ),
    "comments closed": Failure(_closed, "Комментарии под этой записью закрыты", False),
    "post deleted": Failure(_post_deleted, "Запись удалена", False),
    "comment deleted": Failure(_comment_deleted, "Комментарий жителя удалён", False),
    "rate limit (6)": Failure(_inject("error", 6), "просит писать реже", True),
    "flood control (9)": Failure(_inject("error", 9, 1), "просит писать реже", True),
    "internal error (10)": Failure(_inject("error", 10), "не отвечает", True),
    "VK down (HTTP 502)": Failure(_inject("http502"), "не отвечает", True),
}


@pytest.mark.parametrize("name", list(FAILURES))
async def test_each_vk_failure_says_what_happened_and_keeps_the_draft(
    world: AnswerWorld, name: str
) -> None:
    failure = FAILURES[name]
    if name == "another page's token":
        world.fake.add_group(4242, "Чужая страница")
    complaint_id, resident = await world.complaint()
    official = await world.person(OFFICIAL)
    tokens = failure.arrange(world, resident)
    deps = world.deps(world.writer(tokens))
    written = await write_answer(deps, complaint_id, official, GOOD)
    assert written.outcome is AnswerOutcome.READY and written.draft_id is not None

    result = await publish_answer(deps, written.draft_id, official)
    assert result.outcome is AnswerOutcome.FAILED
    assert failure.says in result.message, result.message
    assert "Черновик сохранён" in result.message
    assert result.retryable is failure.retryable
    assert result.text == written.text  # shown again, to copy by hand
    draft = await world.draft(written.draft_id)
    assert draft.state == AnswerState.FAILED and draft.text == written.text
    assert draft.last_error == result.message
    assert world.page_answers(CITY, resident) == []

    if failure.retryable:  # VK is back: the retry publishes, once
        world.fake.clear_faults()
        done = await publish_answer(deps, written.draft_id, official)
        assert done.outcome is AnswerOutcome.PUBLISHED, done.message
        assert [a.id for a in world.page_answers(CITY, resident)] == [done.vk_comment_id]


class CrashAfterVk:
    """A writer whose process dies right after VK answered: the call went out, the answer
    is never handled (the task is cancelled, as on a kill)."""

    def __init__(self, inner: CommentWriter) -> None:
        self.inner = inner
        self.answered = asyncio.Event()

    def can_publish(self, group_id: int) -> bool:
        return self.inner.can_publish(group_id)

    async def resident_name(self, group_id: int, user_id: int) -> str | None:
        return await self.inner.resident_name(group_id, user_id)

    async def create_comment(
        self, group_id: int, *, post_id: int, reply_to_comment: int, message: str, guid: str
    ) -> int:
        await self.inner.create_comment(
            group_id,
            post_id=post_id,
            reply_to_comment=reply_to_comment,
            message=message,
            guid=guid,
        )
        self.answered.set()
        await asyncio.Event().wait()  # killed here, before the commit
        raise AssertionError("unreachable")


async def test_crash_between_vk_call_and_commit_publishes_once(world: AnswerWorld) -> None:
    complaint_id, resident = await world.complaint()
    official = await world.person(OFFICIAL)
    crashing = CrashAfterVk(world.writer())
    written = await write_answer(world.deps(crashing), complaint_id, official, GOOD)
    assert written.draft_id is not None
    task = asyncio.create_task(publish_answer(world.deps(crashing), written.draft_id, official))
    await asyncio.wait_for(crashing.answered.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # On VK: published.  In our database: «publishing», with the guid it was sent with.
    assert len(world.page_answers(CITY, resident)) == 1
    draft = await world.draft(written.draft_id)
    assert draft.state == AnswerState.PUBLISHING and draft.vk_comment_id is None
    # Its text may be on VK already: it is finished first, never rewritten.
    rewrite = await write_answer(world.deps(), complaint_id, official, GOOD + " Спасибо.")
    assert rewrite.outcome is AnswerOutcome.PUBLISHING and rewrite.text == written.text

    # The restarted app finishes it: same guid, VK returns the comment it made.
    results = await resume_publishing(world.deps())
    assert [r.outcome for r in results] == [AnswerOutcome.PUBLISHED]
    answers = world.page_answers(CITY, resident)
    assert [a.id for a in answers] == [results[0].vk_comment_id]
    guids = {w["guid"] for w in world.fake.writes}
    assert len(world.fake.writes) == 2 and len(guids) == 1
    async with world.db() as session:
        audit = [
            (a.action, a.actor)
            for a in (await session.execute(select(AuditEntry))).scalars()
            if a.complaint_id == complaint_id and a.action.startswith("answer_")
        ]
    assert audit == [("answer_published", "system")]
    assert await resume_publishing(world.deps()) == []  # nothing left to finish


async def test_answer_that_vk_made_but_never_reported_is_not_doubled(world: AnswerWorld) -> None:
    """VK publishes, the answer is lost on the way back (our request timed out): the
    immediate retry carries the same guid, and VK answers with the same comment."""
    complaint_id, resident = await world.complaint()
    official = await world.person(OFFICIAL)
    world.fake.inject_fault("timeout", method="wall.createComment", delay_s=1.0)
    impatient = world.deps(world.writer(timeout_s=0.3))
    written = await write_answer(impatient, complaint_id, official, GOOD)
    assert written.draft_id is not None
    result = await publish_answer(impatient, written.draft_id, official)
    if result.outcome is AnswerOutcome.FAILED:  # a loaded machine: the retry timed out too
        assert result.retryable
        result = await publish_answer(world.deps(), written.draft_id, official)
    assert result.outcome is AnswerOutcome.PUBLISHED, result.message
    await until(lambda: settled(world), "every request VK held to be answered")
    assert len(world.fake.writes) >= 2
    assert {w["comment_id"] for w in world.fake.writes} == {result.vk_comment_id}
    assert [a.id for a in world.page_answers(CITY, resident)] == [result.vk_comment_id]


def settled(world: AnswerWorld) -> bool:
    """Every wall.createComment request the fake received has been answered (a held one is
    published when its delay ends, after the client stopped waiting)."""
    asked = world.fake.stats()["by_method"].get("wall.createComment", {}).get("requests", 0)
    return bool(asked == len(world.fake.writes))


@dataclass
class Plan:
    """One random run: attempts under faults, each followed or not by a restart."""

    steps: list[str] = field(default_factory=list)


FAULTS = ("none", "error6", "error10", "error9", "http500", "lost", "crash", "closed")


async def _attempt(world: AnswerWorld, deps: AnswerDeps, draft_id: int, fault: str) -> None:
    official = await world.person(OFFICIAL)
    if fault.startswith("error"):
        world.fake.inject_fault("error", method="wall.createComment", code=int(fault[5:]), count=2)
    elif fault == "http500":
        world.fake.inject_fault("http500", method="wall.createComment", count=2)
    elif fault == "closed":
        world.fake.close_comments(CITY, POST)
    elif fault == "lost":
        world.fake.inject_fault("timeout", method="wall.createComment", delay_s=0.6, count=2)
        deps = world.deps(world.writer(timeout_s=0.2))
    if fault == "crash":
        crashing = CrashAfterVk(world.writer())
        task = asyncio.create_task(publish_answer(world.deps(crashing), draft_id, official))
        done = asyncio.create_task(crashing.answered.wait())
        await asyncio.wait({task, done}, return_when=asyncio.FIRST_COMPLETED)
        task.cancel()
        done.cancel()
        await asyncio.gather(task, done, return_exceptions=True)
    else:
        await publish_answer(deps, draft_id, official)
    world.fake.clear_faults()
    world.fake.open_comments(CITY, POST)


@pytest.mark.parametrize("seed", range(6))
async def test_nothing_is_published_twice_under_random_faults(
    world: AnswerWorld, seed: int
) -> None:
    """Random attempts, faults, crashes and restarts on a few complaints: at every step each
    resident's comment has at most one answer from the page, and in the end exactly one,
    the one the database records."""
    rng = random.Random(seed)
    official = await world.person(OFFICIAL)
    deps = world.deps()
    for n in range(2):
        complaint_id, resident = await world.complaint(name=f"Житель{n}")
        written = await write_answer(deps, complaint_id, official, GOOD)
        assert written.draft_id is not None
        plan = [rng.choice(FAULTS) for _ in range(rng.randint(1, 4))]
        for step, fault in enumerate(plan):
            await _attempt(world, deps, written.draft_id, fault)
            if rng.random() < 0.3:
                await resume_publishing(deps)  # a restart
            assert len(world.page_answers(CITY, resident)) <= 1, (seed, plan[: step + 1])
        await _attempt(world, deps, written.draft_id, "none")
        await resume_publishing(deps)
        # Requests VK still holds (a lost answer) are answered before the final count.
        await until(lambda: settled(world), "held requests")
        answers = world.page_answers(CITY, resident)
        draft = await world.draft(written.draft_id)
        assert len(answers) == 1, (seed, plan)
        assert draft.state == AnswerState.PUBLISHED and draft.vk_comment_id == answers[0].id
