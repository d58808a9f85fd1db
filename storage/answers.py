"""Answer drafts (issue 15): what an official wrote in the messenger, on its way to VK.

Plain functions on the caller's session; none commits.  The order of commits that makes a
publication durable (``publishing`` with its guid first, the VK call, then ``published``) is
:mod:`bot.answering`'s, which calls these between its transactions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AnswerDraft, AnswerState, AuditEntry, Complaint

#: States a draft can still be worked on (edited, published, retried).
OPEN_STATES = (AnswerState.DRAFT, AnswerState.HELD, AnswerState.FAILED)


def new_guid() -> str:
    """A guid for ``wall.createComment``: fixed for the draft's whole life."""
    return f"otklik-{uuid.uuid4().hex}"


async def latest_draft(
    session: AsyncSession, complaint_id: int, author_id: int | None = None
) -> AnswerDraft | None:
    """The newest draft of the complaint (by ``author_id`` if given)."""
    query = select(AnswerDraft).where(AnswerDraft.complaint_id == complaint_id)
    if author_id is not None:
        query = query.where(AnswerDraft.author_id == author_id)
    row = await session.execute(query.order_by(AnswerDraft.id.desc()).limit(1))
    return row.scalars().first()


async def published_draft(session: AsyncSession, complaint_id: int) -> AnswerDraft | None:
    """An answer to the complaint already published from the messenger, if any."""
    row = await session.execute(
        select(AnswerDraft)
        .where(
            AnswerDraft.complaint_id == complaint_id,
            AnswerDraft.state == AnswerState.PUBLISHED,
        )
        .order_by(AnswerDraft.id)
        .limit(1)
    )
    return row.scalars().first()


def new_draft(
    session: AsyncSession,
    complaint: Complaint,
    author_id: int,
    text: str,
    now: datetime,
    *,
    template_id: int | None = None,
) -> AnswerDraft:
    """A fresh draft with its own guid (added to the session, not flushed)."""
    draft = AnswerDraft(
        complaint_id=complaint.id,
        author_id=author_id,
        text=text,
        state=AnswerState.DRAFT,
        check_reasons=[],
        forced=False,
        guid=new_guid(),
        template_id=template_id,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    return draft


def set_checked(
    draft: AnswerDraft, *, otpiska: bool, quality: int, reasons: list[str], now: datetime
) -> None:
    """The check's verdict on the draft's current text: held on an отписка, else a draft."""
    draft.check_reasons = list(reasons)
    draft.quality = quality
    draft.state = AnswerState.HELD if otpiska else AnswerState.DRAFT
    draft.updated_at = now
    draft.last_error = draft.last_error_code = None  # a new text: the old failure is moot


def mark_publishing(draft: AnswerDraft, now: datetime, *, forced: bool) -> None:
    """About to call VK: committed before the call, so a crash leaves a trace to retry."""
    draft.state = AnswerState.PUBLISHING
    draft.forced = draft.forced or forced
    draft.attempts = (draft.attempts or 0) + 1
    draft.updated_at = now


def mark_published(draft: AnswerDraft, comment_id: int, now: datetime) -> None:
    draft.state = AnswerState.PUBLISHED
    draft.vk_comment_id = comment_id
    draft.published_at = now
    draft.updated_at = now
    draft.last_error = None
    draft.last_error_code = None


def mark_failed(draft: AnswerDraft, code: int, message: str, now: datetime) -> None:
    """VK refused or was away: the text stays for a retry (same guid) or to copy by hand."""
    draft.state = AnswerState.FAILED
    draft.last_error = message
    draft.last_error_code = code
    draft.updated_at = now


async def stuck_publishing(session: AsyncSession) -> list[AnswerDraft]:
    """Drafts left ``publishing`` by a crash between the VK call and its commit."""
    rows = await session.execute(
        select(AnswerDraft)
        .where(AnswerDraft.state == AnswerState.PUBLISHING)
        .order_by(AnswerDraft.id)
    )
    return list(rows.scalars())


def audit_answer(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    draft: AnswerDraft,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """An audit entry about a draft (``answer_forced``, ``answer_published``): the same log,
    shape and actor names as every other action (``storage.actions``)."""
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=action,
            complaint_id=draft.complaint_id,
            before=before or {},
            after={"draft": draft.id, **(after or {})},
        )
    )


@dataclass(frozen=True, slots=True)
class AnswerCounts:
    """Answers published from the messenger in a period (for the statistics)."""

    published: int  # all of them
    forced: int  # «опубликовано как есть»: the check held them, a person published anyway
    held_now: int  # held отписки nobody has fixed or published yet


async def answer_counts(
    session: AsyncSession,
    since: datetime,
    until: datetime,
    agencies: list[str] | None = None,
) -> AnswerCounts:
    """Counts of answers published in ``[since, until)`` (by the complaint's agency when
    ``agencies`` is given) and of held drafts now."""

    def scoped(query: Any) -> Any:
        query = query.join(Complaint, Complaint.id == AnswerDraft.complaint_id)
        return query if agencies is None else query.where(Complaint.agency_id.in_(agencies))

    published = select(
        func.count(AnswerDraft.id),
        func.coalesce(func.sum(case((AnswerDraft.forced.is_(True), 1), else_=0)), 0),
    ).where(
        AnswerDraft.state == AnswerState.PUBLISHED,
        AnswerDraft.published_at >= since,
        AnswerDraft.published_at < until,
    )
    total, forced = (await session.execute(scoped(published))).one()
    held = select(func.count(AnswerDraft.id)).where(AnswerDraft.state == AnswerState.HELD)
    held_now = (await session.execute(scoped(held))).scalar_one()
    return AnswerCounts(int(total), int(forced or 0), int(held_now))
