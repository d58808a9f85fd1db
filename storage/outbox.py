"""Queueing Telegram notifications in the caller's transaction (the outbox pattern)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AlertMessage, Notification


def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    kind: str,
    now: datetime,
    complaint_id: int | None = None,
    payload: dict[str, Any] | None = None,
    channel: str = "telegram",
) -> None:
    """Record a notification to the person ``chat_id`` on ``channel`` (a messenger);
    ``key`` is unique, so the same event is never queued twice."""
    session.add(
        Notification(
            dedupe_key=key,
            chat_id=chat_id,
            channel=channel,
            kind=kind,
            complaint_id=complaint_id,
            payload=payload or {},
            created_at=now,
            next_attempt_at=now,
        )
    )


async def alert_recipients(session: AsyncSession, complaint_id: int) -> Sequence[tuple[int, str]]:
    """Everyone who was (or is about to be) shown the complaint's card, with the messenger
    it is on: alerted people and those who opened it with /complaint or from a summary, so
    all their cards stay current (a person may hold one on Telegram and one on MAX)."""
    rows = await session.execute(
        select(Notification.chat_id, Notification.channel).where(
            Notification.complaint_id == complaint_id, Notification.kind == "alert"
        )
    )
    shown = await session.execute(
        select(AlertMessage.chat_id, AlertMessage.channel).where(
            AlertMessage.complaint_id == complaint_id
        )
    )
    found = {(int(chat), str(channel)) for chat, channel in [*rows.all(), *shown.all()]}
    return sorted(found)


async def enqueue_alert_update(
    session: AsyncSession, complaint_id: int, event: str, now: datetime
) -> None:
    """Queue a refresh of the alert for everyone who was alerted about a complaint."""
    stamp = int(now.timestamp() * 1000)
    for chat_id, channel in await alert_recipients(session, complaint_id):
        # Telegram's key is the one used before issue 13.
        where = "" if channel == "telegram" else f":{channel}"
        enqueue(
            session,
            key=f"update:{event}:{complaint_id}:{chat_id}{where}:{stamp}",
            chat_id=chat_id,
            channel=channel,
            kind="update",
            complaint_id=complaint_id,
            now=now,
        )
