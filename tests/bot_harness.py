"""A bot under test: the real dispatcher, real aiogram over HTTP to the fake Bot API, the real
outbox sender and a real database, all on a ManualClock (issue 5 tests)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import build_dispatcher
from bot.outbox import OutboxSender
from bot.telegram.pacing import install_pacer
from config.clock import ManualClock
from config.registry import Registry, parse_registry
from config.settings import Settings
from handlers.common import PageResolver
from sandbox.fake_telegram import FakeTelegram, TelegramLimits, TgCall
from storage.actions import alert_officials
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import AuditEntry, Comment, Complaint, Notification, OutboxStatus, Post
from storage.registry_sync import sync_registry

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 10:00 Moscow, a Monday
REGISTRY = parse_registry(
    {
        "agencies": [
            {"id": "city", "name": "Администрация"},
            {"id": "roads", "name": "Дорожная служба"},
        ],
        "pages": [
            {"group_id": 1001, "name": "Администрация", "screen_name": "adm", "agency": "city"},
            {"group_id": 1002, "name": "Дороги", "screen_name": "roads", "agency": "roads"},
        ],
        "people": [
            {"telegram_id": 501, "name": "Иван Петров", "role": "official", "agencies": ["city"]},
            {
                "telegram_id": 502,
                "name": "Пётр Дорогин",
                "role": "official",
                "agencies": ["roads"],
            },
            {"telegram_id": 601, "name": "Ольга Смирнова", "role": "moderator"},
            {"telegram_id": 701, "name": "Андрей Руководитель", "role": "lead"},
            {"telegram_id": 801, "name": "Анна Админ", "role": "admin"},
        ],
    }
)
STRANGER = 999


class Harness:
    def __init__(
        self,
        db_url: str,
        *,
        limits: TelegramLimits | None = None,
        registry: Registry = REGISTRY,
    ) -> None:
        self.db_url = db_url
        self.clock = ManualClock(T0)
        self.fake = FakeTelegram(self.clock, limits=limits)
        self.registry = registry
        self._ids = itertools.count(1)
        self._updates = itertools.count(1)
        self.page_resolver: PageResolver | None = None
        self.engine: AsyncEngine
        self.sessions: async_sessionmaker[AsyncSession]
        self.bot: Bot
        self.dp: Dispatcher
        self.sender: OutboxSender

    async def __aenter__(self) -> Harness:
        await self.fake.start()
        self.engine = make_engine(self.db_url)
        await upgrade(self.engine)
        self.sessions = make_session_factory(self.engine)
        async with self.sessions() as session, session.begin():
            await sync_registry(session, self.registry)
        on_telegram = {p.telegram_id: p for p in self.registry.people if p.telegram_id}
        for tid, p in on_telegram.items():
            first, _, last = p.name.partition(" ")
            self.fake.add_user(tid, first, last or None)
        self.fake.add_user(STRANGER, "Незнакомец")
        self._known = {STRANGER, *on_telegram}
        self.bot = self.fake.make_bot(default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        pacer = install_pacer(self.bot, self.clock)
        self.sender = OutboxSender(self.bot, self.sessions, self.clock, pacer)
        self.dp = self.make_dispatcher()
        return self

    def make_dispatcher(self) -> Dispatcher:
        settings = Settings(_env_file=None)
        return build_dispatcher(
            self.sessions,
            self.clock,
            self.registry,
            settings,
            page_resolver=lambda ref: self._resolve(ref),
        )

    async def _resolve(self, ref: str) -> Any:
        assert self.page_resolver is not None
        return await self.page_resolver(ref)

    async def __aexit__(self, *exc: object) -> None:
        await self.bot.session.close()
        await self.engine.dispose()
        await self.fake.stop()

    # ---- world -----------------------------------------------------------------------------

    def move_to(self, hours_after_t0: float) -> None:
        """Set the clock to ``T0`` plus so many hours (sending moves it by pacing seconds, so
        tests that compare instants name them rather than add up advances)."""
        target = T0 + timedelta(hours=hours_after_t0)
        assert target >= self.clock.now(), "the clock only moves forward"
        self.clock.advance((target - self.clock.now()).total_seconds())

    async def complaint(
        self,
        *,
        page: int = 1001,
        agency: str = "city",
        text: str = "Яма у дома 5 по ул. Ленина <опасно> & глубоко",
        topic: str = "roads",
        due_in_h: float = 8,
        alert: bool = True,
    ) -> int:
        """A stored complaint (and its alert rows), as ingest would leave it."""
        n = next(self._ids)
        now = self.clock.now()
        async with self.sessions() as s, s.begin():
            if (
                await s.scalar(select(func.count()).select_from(Post).where(Post.post_id == 10))
                == 0
            ):
                s.add(Post(owner_id=-page, post_id=10, created_at=now, text="Итоги недели"))
            comment = Comment(
                owner_id=-page,
                post_id=10,
                comment_id=100 + n,
                from_id=7000 + n,
                author_name="Мария К.",
                text=text,
                created_at=now,
                stored_at=now,
            )
            s.add(comment)
            await s.flush()
            c = Complaint(
                comment_pk=comment.id,
                owner_id=-page,
                post_id=10,
                comment_id=100 + n,
                author_id=7000 + n,
                agency_id=agency,
                route_rule="page",
                topic=topic,
                score=0.9,
                created_at=now,
                due_at=now + timedelta(hours=due_in_h),
            )
            s.add(c)
            await s.flush()
            if alert:
                await alert_officials(s, c.id, agency, now)
            return c.id

    # ---- talking to the bot ----------------------------------------------------------------

    def _user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}

    async def say(self, user_id: int, text: str) -> list[TgCall]:
        """Feed a private message through the dispatcher; return the calls it caused."""
        if user_id not in self._known:
            self._known.add(user_id)
            self.fake.add_user(user_id, f"User{user_id}")
        start = len(self.fake.calls)
        message: dict[str, Any] = {
            "message_id": next(self._updates),
            "date": int(self.clock.now().timestamp()),
            "chat": {"id": user_id, "type": "private"},
            "from": self._user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        await self.dp.feed_raw_update(
            self.bot, {"update_id": next(self._updates), "message": message}
        )
        return self.fake.calls[start:]

    async def reply(self, user_id: int, text: str) -> str:
        """The text of the bot's single reply to ``text``."""
        calls = [c for c in await self.say(user_id, text) if c.method == "sendMessage"]
        assert len(calls) == 1, [c.text for c in calls]
        assert calls[0].status == 200, calls[0].error
        return re.sub(r"<[^>]+>", "", calls[0].text or "")

    async def refused(self, user_id: int, text: str, expected: str) -> str:
        """Send a command that must be refused: the reply says ``expected`` (any case) and
        nothing is audited, so nothing changed."""
        before = await self.audit_count()
        reply = await self.reply(user_id, text)
        assert expected.lower() in reply.lower(), reply
        assert await self.audit_count() == before
        return reply

    async def press(self, user_id: int, message_id: int, data: str) -> TgCall:
        """Press a button on a bot message; returns the answerCallbackQuery call."""
        start = len(self.fake.calls)
        query_id = self.fake.push_callback(user_id, message_id, data)
        update = {
            "update_id": next(self._updates),
            "callback_query": {
                "id": query_id,
                "from": self._user(user_id),
                "chat_instance": "1",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(self.clock.now().timestamp()),
                    "chat": {"id": user_id, "type": "private"},
                    "from": {"id": 42, "is_bot": True, "first_name": "Otklik"},
                    "text": "…",
                },
            },
        }
        await self.dp.feed_raw_update(self.bot, update)
        answers = [c for c in self.fake.calls[start:] if c.method == "answerCallbackQuery"]
        assert len(answers) == 1, [c.method for c in self.fake.calls[start:]]
        return answers[0]

    async def flush(self, max_s: float = 600.0) -> None:
        """Run the outbox sender until nothing due is pending (moving the clock as needed)."""
        deadline = self.clock.monotonic() + max_s
        while self.clock.monotonic() < deadline:
            rest = await self.sender.drain_once()
            async with self.sessions() as s:
                due = await s.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(
                        Notification.status == OutboxStatus.PENDING,
                        Notification.next_attempt_at <= self.clock.now(),
                    )
                )
                waiting = await s.scalar(
                    select(func.min(Notification.next_attempt_at)).where(
                        Notification.status == OutboxStatus.PENDING
                    )
                )
            if not due and waiting is None:
                return
            if not due and waiting is not None:
                self.clock.advance(max((waiting - self.clock.now()).total_seconds(), 0.01))
            elif rest > 0:
                self.clock.advance(rest)
        raise AssertionError("outbox did not drain")

    # ---- what people see -------------------------------------------------------------------

    def cards(self, chat_id: int) -> list[dict[str, Any]]:
        return list(self.fake.messages(chat_id).values())

    def last(self, chat_id: int) -> tuple[int, dict[str, Any]]:
        mid, msg = max(self.fake.messages(chat_id).items())
        return mid, msg

    async def audit_count(self) -> int:
        async with self.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    async def get(self, complaint_id: int) -> Complaint:
        async with self.sessions() as s:
            c = await s.get(Complaint, complaint_id)
            assert c is not None
            return c


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]
