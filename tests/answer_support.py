"""A small region for the answer tests (issue 15): the fake VK over HTTP with the real
vk_api, the real collector and ingest into a real database, on a manual clock.

Complaints reach the database the way they do in production (a resident comments, the
collector reads it, ingest decides), and an answer published from the messenger is read back
the same way, so the tests see what answer detection makes of it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.answering import AnswerDeps, CommentWriter, VkCommentWriter
from collectors.collector import Collector, CollectorConfig
from collectors.events import Batch
from collectors.vk_client import VkClient
from config.clock import ManualClock
from config.registry import Registry, parse_registry
from config.settings import VKSettings
from matcher.classifier import classify
from matcher.quality import rate_answer
from sandbox.fake_vk import FakeVK, VKLimits
from storage.db import make_engine, make_session_factory
from storage.ingest import Ingestor
from storage.migrate import upgrade
from storage.models import AnswerDraft, Comment, Complaint, Person
from storage.registry_sync import sync_registry

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 10:00 in Moscow, a Monday
CITY, PARKS = 1001, 1002  # the city's page has a community token, the parks' page none
POST = 10
OFFICIAL, PARKS_OFFICIAL, MODERATOR, LEAD = 501, 502, 601, 701
POTHOLE = "Яма у дома 5 по ул. Ленина, когда заделаете?"
GOOD = "Яму у дома 5 заделают до 27 ноября, бригада выйдет в среду."
OTPISKA = "Ваше обращение передано в ответственную службу."
TOKENS = {CITY: "community-city"}


def region_registry() -> Registry:
    return parse_registry(
        {
            "agencies": [
                {"id": "city", "name": "Администрация г. Примерска", "tz": "Europe/Moscow"},
                {"id": "parks", "name": "Парки и скверы", "tz": "Europe/Moscow"},
            ],
            "pages": [
                {"group_id": CITY, "name": "Администрация г. Примерска", "agency": "city"},
                {"group_id": PARKS, "name": "Парки Примерска", "agency": "parks"},
            ],
            "people": [
                {
                    "telegram_id": OFFICIAL,
                    "name": "Иван Петров",
                    "role": "official",
                    "agencies": ["city"],
                },
                {
                    "telegram_id": PARKS_OFFICIAL,
                    "name": "Пётр Сидоров",
                    "role": "official",
                    "agencies": ["parks"],
                },
                {"telegram_id": MODERATOR, "name": "Ольга Смирнова", "role": "moderator"},
                {"telegram_id": LEAD, "name": "Андрей Руководитель", "role": "lead"},
            ],
        }
    )


class AnswerWorld:
    """Fake VK, database, collector and ingest; :meth:`complaint` makes a complaint the way
    production does, :meth:`collect_until` reads VK back into the database."""

    def __init__(self, db_url: str) -> None:
        self.clock = ManualClock(T0)
        self.fake = FakeVK(self.clock, limits=VKLimits(daily_quota={"wall.get": 5000}))
        self.registry = region_registry()
        self.db_url = db_url
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None
        self.collector = Collector(self.clock, CollectorConfig())
        self.ingestor = Ingestor(self.registry, self.clock, classify, rate_answer)
        self.clients: list[VkClient] = []
        self.writers: list[VkCommentWriter] = []
        self._next_author = 7001

    async def __aenter__(self) -> AnswerWorld:
        await self.fake.start()
        self.fake.add_token("svc", "service")
        self.fake.add_token(TOKENS[CITY], "group", CITY)
        for gid, name in ((CITY, "Администрация г. Примерска"), (PARKS, "Парки Примерска")):
            self.fake.add_group(gid, name)
            self.fake.add_post(gid, post_id=POST, at=T0 - timedelta(hours=1), text="Новости")
            self.collector.add_page(gid)
        self.engine = make_engine(self.db_url)
        await upgrade(self.engine)
        self.sessions = make_session_factory(self.engine)
        async with self.sessions() as session, session.begin():
            await sync_registry(session, self.registry)
        self.clients = [VkClient("svc", clock=self.clock, api_base=self.fake.base_url, timeout=10)]
        await self.collect_until(lambda: self.collector.all_bootstrapped(), "first look")
        return self

    async def __aexit__(self, *exc: object) -> None:
        for c in self.clients:
            c.close()
        for w in self.writers:
            w.close()
        if self.engine is not None:
            await self.engine.dispose()
        await self.fake.stop()

    @property
    def db(self) -> async_sessionmaker[AsyncSession]:
        assert self.sessions is not None
        return self.sessions

    # ------------------------------------------------------------------ VK and ingest

    async def _sink(self, batch: Batch) -> None:
        async with self.db() as session, session.begin():
            await self.ingestor.ingest(session, batch)
        self.collector.confirm(batch)

    async def collect_until(
        self,
        cond: Callable[[], bool | Awaitable[bool]],
        what: str,
        *,
        virtual_s: float = 3600.0,
    ) -> None:
        """Run the collector (the clock moves with its pacing) until ``cond`` holds."""
        end = self.clock.monotonic() + virtual_s
        while True:
            value = cond()
            if not isinstance(value, bool):
                value = await value
            if value:
                return
            if self.clock.monotonic() > end:
                raise AssertionError(f"the collector never got to: {what}")
            progressed = False
            for c in self.clients:
                batch = await self.collector.step(c, self.clients)
                if batch is not None:
                    await self._sink(batch)
                    progressed = True
            if not progressed:
                await self.clock.sleep(1.0)

    async def complaint(
        self, text: str = POTHOLE, *, page: int = CITY, name: str = "Мария К."
    ) -> tuple[int, int]:
        """A resident's comment, collected and ingested: (complaint id, VK comment id)."""
        author = self._next_author
        self._next_author += 1
        self.fake.add_user(author, name)
        cid = self.fake.add_comment(page, POST, at=self.clock.now(), from_id=author, text=text)

        async def stored() -> bool:
            return await self.complaint_of(page, cid) is not None

        await self.collect_until(stored, f"complaint for comment {cid}")
        found = await self.complaint_of(page, cid)
        assert found is not None
        return found.id, cid

    async def complaint_of(self, page: int, comment_id: int) -> Complaint | None:
        async with self.db() as session:
            row = await session.execute(
                select(Complaint).where(
                    Complaint.owner_id == -page, Complaint.comment_id == comment_id
                )
            )
            return row.scalars().first()

    async def get(self, complaint_id: int) -> Complaint:
        async with self.db() as session:
            c = await session.get(Complaint, complaint_id)
            assert c is not None
            return c

    async def draft(self, draft_id: int) -> AnswerDraft:
        async with self.db() as session:
            d = await session.get(AnswerDraft, draft_id)
            assert d is not None
            return d

    async def person(self, telegram_id: int) -> Person:
        async with self.db() as session:
            row = await session.execute(select(Person).where(Person.telegram_id == telegram_id))
            return row.scalars().one()

    def page_answers(self, page: int, resident_comment: int) -> list[Any]:
        """Comments the page itself has on VK in reply to the resident's comment."""
        wall = self.fake.world.wall(page)
        return [
            c
            for c in wall.comments.values()
            if c.from_id == -page and c.reply_to == resident_comment and c.visible
        ]

    async def stored_comment(self, page: int, comment_id: int) -> Comment | None:
        async with self.db() as session:
            row = await session.execute(
                select(Comment).where(Comment.owner_id == -page, Comment.comment_id == comment_id)
            )
            return row.scalars().first()

    # ------------------------------------------------------------------ answering

    def writer(
        self, tokens: dict[int, str] | None = None, *, timeout_s: float = 10.0
    ) -> VkCommentWriter:
        """The real writer against the fake, with ``tokens`` as the community tokens."""
        chosen = TOKENS if tokens is None else tokens
        vk = VKSettings(
            api_base=self.fake.base_url,
            community_tokens={g: SecretStr(t) for g, t in chosen.items()},
        )
        writer = VkCommentWriter(vk, self.clock, timeout_s=timeout_s)
        self.writers.append(writer)
        return writer

    def deps(self, writer: CommentWriter | None = None) -> AnswerDeps:
        return AnswerDeps(self.db, self.clock, writer or self.writer())
