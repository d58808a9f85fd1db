"""What people do to complaints: each action changes state, audits it and refreshes alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Complaint, ComplaintStatus
from storage.outbox import enqueue_alert_update

CLOSED = (ComplaintStatus.RESOLVED, ComplaintStatus.DISMISSED)


class Outcome(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    ALREADY_CLOSED = "already_closed"


@dataclass(frozen=True, slots=True)
class ActionResult:
    outcome: Outcome
    status: str | None = None


async def close_complaint(
    session: AsyncSession,
    complaint_id: int,
    *,
    actor: str,
    status: ComplaintStatus,
    note: str | None,
    now: datetime,
) -> ActionResult:
    """Resolve or dismiss a complaint; closed ones stay as they are."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        return ActionResult(Outcome.NOT_FOUND)
    if complaint.status in CLOSED:
        return ActionResult(Outcome.ALREADY_CLOSED, complaint.status)
    before = {"status": complaint.status}
    complaint.status = status
    complaint.closed_at = now
    complaint.close_note = note
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=status.value,
            complaint_id=complaint_id,
            before=before,
            after={"status": status.value, "note": note},
        )
    )
    await enqueue_alert_update(session, complaint_id, status.value, now)
    return ActionResult(Outcome.DONE, status.value)
