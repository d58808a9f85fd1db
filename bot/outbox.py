"""The outbox sender: delivers recorded notifications within Telegram's limits.

Rows are written by the transaction that caused them; this loop renders each from the current
state of its complaint, sends it, and marks it sent.  Per chat at most one message a second,
overall under 30 a second; 429 → wait ``retry_after``; 5xx and timeouts → retry with backoff;
403 → the person is unreachable and the row fails (never retried, never lost silently).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.render import AlertView, render_alert, vk_comment_url
from collectors.vk_client import IntervalLimiter
from config.clock import Clock
from storage.models import (
    AlertMessage,
    Comment,
    Complaint,
    Notification,
    OutboxStatus,
    Page,
    Person,
    Post,
)

log = logging.getLogger(__name__)


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        per_chat_interval_s: float = 1.05,
        global_rate: float = 28.0,
        max_attempts: int = 8,
    ) -> None:
        self.bot = bot
        self.sessions = session_factory
        self.clock = clock
        self.per_chat_interval_s = per_chat_interval_s
        self.max_attempts = max_attempts
        self.wake = asyncio.Event()
        self._global = IntervalLimiter(clock, global_rate, margin=1.0)
        self._chat_ready: dict[int, float] = {}
        self.sent = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set, waking on new rows or every virtual second."""
        while not stop.is_set():
            try:
                busy = await self.drain_once()
            except Exception:
                log.exception("outbox pass failed; retrying")
                busy = False
            if not busy:
                self.wake.clear()
                timeout = 1.0 / self.clock.speed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=max(timeout, 0.005))

    async def drain_once(self) -> bool:
        """Send every due row whose chat is ready; True if anything was attempted."""
        now = self.clock.now()
        async with self.sessions() as session:
            rows = (
                (
                    await session.execute(
                        select(Notification)
                        .where(
                            Notification.status == OutboxStatus.PENDING,
                            Notification.next_attempt_at <= now,
                        )
                        .order_by(Notification.id)
                        .limit(200)
                    )
                )
                .scalars()
                .all()
            )
        attempted = False
        blocked: set[int] = set()
        for row in rows:
            if row.chat_id in blocked:
                continue
            ready_at = self._chat_ready.get(row.chat_id, float("-inf"))
            if ready_at > self.clock.monotonic():
                blocked.add(row.chat_id)  # keep per-chat order: later rows wait too
                continue
            attempted = True
            ok = await self._deliver(row.id)
            if not ok:
                blocked.add(row.chat_id)
        return attempted

    async def _deliver(self, notification_id: int) -> bool:
        async with self.sessions() as session, session.begin():
            row = await session.get(Notification, notification_id)
            if row is None or row.status != OutboxStatus.PENDING:
                return True
            try:
                await self._send(session, row)
            except TelegramRetryAfter as exc:
                self._defer(row, float(exc.retry_after), str(exc), count_attempt=False)
                self._chat_ready[row.chat_id] = self.clock.monotonic() + exc.retry_after
                return False
            except TelegramForbiddenError as exc:
                row.status, row.last_error = OutboxStatus.FAILED, str(exc)
                await session.execute(
                    update(Person)
                    .where(Person.telegram_id == row.chat_id)
                    .values(unreachable=True)
                )
                log.warning("chat %s blocked the bot; marked unreachable", row.chat_id)
                return True
            except TelegramBadRequest as exc:
                if "message is not modified" in str(exc):
                    self._mark_sent(row)
                    return True
                row.status, row.last_error = OutboxStatus.FAILED, str(exc)
                log.error("notification %s rejected by Telegram: %s", row.id, exc)
                return True
            except (TelegramNetworkError, TelegramServerError, TimeoutError) as exc:
                self._defer(row, min(2.0**row.attempts, 300.0), str(exc), count_attempt=True)
                return False
            self._mark_sent(row)
            self._chat_ready[row.chat_id] = self.clock.monotonic() + self.per_chat_interval_s
            self.sent += 1
            return True

    def _mark_sent(self, row: Notification) -> None:
        row.status, row.sent_at, row.last_error = OutboxStatus.SENT, self.clock.now(), None

    def _defer(
        self, row: Notification, seconds: float, error: str, *, count_attempt: bool
    ) -> None:
        if count_attempt:
            row.attempts += 1
        row.last_error = error
        if row.attempts >= self.max_attempts:
            row.status = OutboxStatus.FAILED
            return
        row.next_attempt_at = self.clock.now() + timedelta(seconds=seconds)

    async def _send(self, session: AsyncSession, row: Notification) -> None:
        if row.complaint_id is None:
            await self._global.acquire()
            await self.bot.send_message(row.chat_id, str(row.payload.get("text", "")))
            return
        view = await load_alert_view(session, row.complaint_id, row.chat_id)
        text = render_alert(view)
        existing = (
            await session.execute(
                select(AlertMessage).where(
                    AlertMessage.complaint_id == row.complaint_id,
                    AlertMessage.chat_id == row.chat_id,
                )
            )
        ).scalar_one_or_none()
        if row.kind == "alert" or existing is None:
            if row.kind != "alert":
                # The alert itself is not out yet; when it goes it shows the current state.
                self._mark_sent(row)
                return
            await self._global.acquire()
            msg = await self.bot.send_message(row.chat_id, text)
            session.add(
                AlertMessage(
                    complaint_id=row.complaint_id,
                    chat_id=row.chat_id,
                    message_id=msg.message_id,
                    sent_at=self.clock.now(),
                )
            )
            return
        await self._global.acquire()
        await self.bot.edit_message_text(
            text=text, chat_id=row.chat_id, message_id=existing.message_id
        )


async def load_alert_view(session: AsyncSession, complaint_id: int, chat_id: int) -> AlertView:
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        raise LookupError(f"complaint {complaint_id} vanished")
    comment = await session.get(Comment, complaint.comment_pk)
    page = await session.get(Page, -complaint.owner_id)
    post = (
        await session.execute(
            select(Post).where(
                Post.owner_id == complaint.owner_id, Post.post_id == complaint.post_id
            )
        )
    ).scalar_one_or_none()
    person = await session.get(Person, chat_id)
    answer = (
        await session.get(Comment, complaint.answer_comment_pk)
        if complaint.answer_comment_pk
        else None
    )
    assert comment is not None
    return AlertView(
        complaint_id=complaint.id,
        topic=complaint.topic,
        status=complaint.status,
        page_name=page.name if page else str(complaint.owner_id),
        post_text=post.text if post else "",
        author=comment.author_name or f"житель (id {comment.from_id})",
        text=comment.text,
        url=vk_comment_url(
            comment.owner_id, comment.post_id, comment.comment_id, comment.thread_id
        ),
        due_at=complaint.due_at,
        tz=person.tz if person else "Europe/Moscow",
        answered_text=answer.text if answer else None,
        response_seconds=complaint.response_seconds,
        business_seconds=complaint.business_seconds,
        otpiska=complaint.otpiska,
        quality=complaint.quality,
        quality_reasons=tuple(complaint.quality_reasons or ()),
    )
