"""The bot's dialog with each MAX user, kept across restarts.

A MAX dialog has its own chat id, not the user's id (``docs/max-design.md`` §2).  The port
needs it to settle a send whose answer was lost (``GET /messages?chat_id=``) and the pacer to
count a request that names the chat; both learn it from updates and sends, but a restart
would forget it, and the first lost answer after a restart could then not be settled.  So
every dialog learned is stored in ``kv`` (``max:dialog:<user id>``, one row a person) and
told to the port again at start.  Writes happen off the event's path, batched; a failed
write is tried again with the next dialog learned or at close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.max.port import MaxPort
from storage.models import KeyValue

__all__ = ["KEY", "MARKER_KEY", "DialogBook", "MarkerStore"]

log = logging.getLogger(__name__)

KEY = "max:dialog:"
MARKER_KEY = "max:poll_marker"


class DialogBook:
    """Stores the dialogs ``port`` learns (:meth:`attach`) and tells it the stored ones."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._pending: dict[int, int] = {}  # user id -> dialog chat id, not stored yet
        self._task: asyncio.Task[None] | None = None

    async def attach(self, port: MaxPort) -> int:
        """Tell ``port`` every stored dialog, then store what it learns; the number told."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(KeyValue.key, KeyValue.value).where(KeyValue.key.like(f"{KEY}%"))
                )
            ).all()
        told = 0
        for key, value in rows:
            user_id, chat_id = key.removeprefix(KEY), value.get("chat_id")
            if user_id.isdigit() and isinstance(chat_id, int):
                port.learn_dialog(int(user_id), chat_id, stored=True)
                told += 1
        port.on_dialog = self.learned
        return told

    def learned(self, user_id: int, chat_id: int) -> None:
        """The port learned a dialog (new, or changed): store it soon."""
        self._pending[user_id] = chat_id
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.flush(), name="max-dialogs")

    async def flush(self) -> None:
        """Store the dialogs learned so far; on a database fault they stay pending."""
        while self._pending:
            batch = dict(self._pending)
            try:
                await self._store(batch)
            except Exception as exc:
                log.warning("max dialogs not stored (%d): %s", len(batch), type(exc).__name__)
                return
            for user_id, chat_id in batch.items():
                if self._pending.get(user_id) == chat_id:
                    del self._pending[user_id]

    async def _store(self, batch: dict[int, int]) -> None:
        for attempt in range(2):
            try:
                async with self.sessions() as session, session.begin():
                    for user_id, chat_id in batch.items():
                        key = f"{KEY}{user_id}"
                        row = await session.get(KeyValue, key)
                        if row is None:
                            session.add(KeyValue(key=key, value={"chat_id": chat_id}))
                        elif row.value.get("chat_id") != chat_id:
                            row.value = {"chat_id": chat_id}
                return
            except IntegrityError:
                if attempt:  # another process stored the same person meanwhile, twice
                    raise

    async def close(self) -> None:
        """Wait for the write under way, then store what is still pending."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        await self.flush()


class MarkerStore:
    """The long poll's marker in ``kv`` (development mode): MAX holds updates until a poll
    confirms them with a later marker, so a restart that polls from the stored marker gets
    again whatever the stopped process fetched but never confirmed.  Writes are in the
    background, the latest marker wins; a failed write is tried with the next one."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._latest: int | None = None
        self._stored: int | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def stored(self) -> int | None:
        """The marker last read or written (where a poller starts)."""
        return self._stored

    async def load(self) -> int | None:
        async with self.sessions() as session:
            row = await session.get(KeyValue, MARKER_KEY)
        marker = row.value.get("marker") if row is not None else None
        self._stored = marker if isinstance(marker, int) else None
        return self._stored

    def moved(self, marker: int) -> None:
        """The poller's hook: the batch before ``marker`` is handled."""
        self._latest = marker
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.flush(), name="max-marker")

    async def flush(self) -> None:
        while self._latest is not None and self._latest != self._stored:
            marker = self._latest
            try:
                async with self.sessions() as session, session.begin():
                    row = await session.get(KeyValue, MARKER_KEY)
                    if row is None:
                        session.add(KeyValue(key=MARKER_KEY, value={"marker": marker}))
                    else:
                        row.value = {"marker": marker}
            except Exception as exc:
                log.warning("max poll marker not stored: %s", type(exc).__name__)
                return
            self._stored = marker

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        await self.flush()
