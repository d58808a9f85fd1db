"""Scale-out on PostgreSQL (issue 7): worker heartbeats, page leases and leadership.

* **Heartbeats.** Every process writes a ``workers`` row (id, role) and refreshes
  ``heartbeat_at`` every ``renew_s``.  A worker whose heartbeat is older than ``ttl_s`` is
  dead: its page leases may be taken and the outbox rows it left ``sending`` are settled by a
  live sender.
* **Page leases.** ``page_leases`` has one row per registry page, owned by a lease holder:
  a ``workers`` row of the collector loop itself (role ``page-leases``), refreshed at each
  renewal.  A lease lives as long as its holder's heartbeat, so renewing is one row however
  many pages a process holds.  Each collector keeps about ``ceil(pages / live holders)``
  pages: it releases the excess when more are alive (highest group ids first, so the rest
  stays put) and claims unowned pages and those of dead holders with ``SELECT … FOR UPDATE
  SKIP LOCKED``, so two collectors never claim the same page at once.  A dead collector's
  pages are free after ``ttl_s`` and taken at the next renewal: with the defaults (45 s,
  renewal every 15 s) within a minute.  The collector's state of a page (posts, their comment
  counts, ``max_seen_id``, quotas) lives in the database, so the new owner resumes where the
  old one stopped; a comment read twice during a hand-over is stored once (unique key,
  ``ON CONFLICT DO NOTHING``).
* **Leadership.** One scheduler at a time: ``pg_try_advisory_lock`` on a connection held open
  for as long as the process leads.  If that connection dies, PostgreSQL frees the lock and
  another process takes over.  SQLite has one process (role ``all``), which always leads.

Lease times are real (wall-clock) seconds, not the app clock's: they are about processes
dying, which happens in real time even under the sandbox's virtual clock.  Hosts that share a
database must keep their clocks in sync (NTP).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import dialect_insert
from storage.models import PageLease, Worker

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 45.0
DEFAULT_RENEW_S = 15.0


def wall_now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def new_worker_id(role: str) -> str:
    """Unique per process incarnation: host, pid and a random suffix (ids are never reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{role}:{uuid.uuid4().hex[:8]}"


def lease_timing_from_env() -> tuple[float, float]:
    """``OTKLIK__LEASE__TTL_S`` / ``OTKLIK__LEASE__RENEW_S`` (tests shorten them)."""
    ttl = float(os.environ.get("OTKLIK__LEASE__TTL_S", DEFAULT_TTL_S))
    renew = float(os.environ.get("OTKLIK__LEASE__RENEW_S", min(DEFAULT_RENEW_S, ttl / 3)))
    return ttl, renew


class Workers:
    """This process's heartbeat, and who else is alive."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        worker_id: str,
        role: str,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        now: Callable[[], datetime] = wall_now,
    ) -> None:
        self.sessions = sessions
        self.id = worker_id
        self.role = role
        self.ttl_s = ttl_s
        self.now = now
        self.started_at = now()

    async def beat(self, session: AsyncSession) -> None:
        now = self.now()
        ins = dialect_insert(session)(Worker).values(
            id=self.id, role=self.role, started_at=self.started_at, heartbeat_at=now
        )
        await session.execute(
            ins.on_conflict_do_update(index_elements=["id"], set_={"heartbeat_at": now})
        )

    async def heartbeat(self) -> None:
        async with self.sessions() as session, session.begin():
            await self.beat(session)
            # Old rows of processes long gone: keep the table small.
            await session.execute(
                delete(Worker).where(Worker.heartbeat_at < self.now() - timedelta(days=1))
            )

    async def live(self, session: AsyncSession, roles: Iterable[str]) -> list[str]:
        """Ids of live workers with one of ``roles``, sorted."""
        cutoff = self.now() - timedelta(seconds=self.ttl_s)
        rows = await session.execute(
            select(Worker.id)
            .where(Worker.role.in_(list(roles)), Worker.heartbeat_at >= cutoff)
            .order_by(Worker.id)
        )
        return list(rows.scalars())

    async def stop(self) -> None:
        """A clean exit: say so at once, so others need not wait ``ttl_s``."""
        async with self.sessions() as session, session.begin():
            await session.execute(delete(Worker).where(Worker.id == self.id))


LEASE_ROLE = "page-leases"


class PageLeases:
    """The pages this collector process polls, kept by leases in the database.

    A lease lives as long as its holder's heartbeat: the holder is a ``workers`` row of its
    own (``<process id>#pages``, role ``page-leases``) that only :meth:`renew` refreshes, so
    renewing costs one row however many pages a process holds, and a process whose collector
    loop has died (while the process lives on) loses its pages like a dead process."""

    def __init__(self, workers: Workers, *, ttl_s: float | None = None) -> None:
        self.workers = workers
        self.sessions = workers.sessions
        self.ttl_s = ttl_s if ttl_s is not None else workers.ttl_s
        self.holder = Workers(
            workers.sessions,
            f"{workers.id}#pages",
            LEASE_ROLE,
            ttl_s=self.ttl_s,
            now=workers.now,
        )
        self.mine: set[int] = set()

    async def announce(self) -> None:
        """Be counted by the other collectors before claiming anything (a joint start)."""
        await self.holder.heartbeat()

    async def beat(self) -> None:
        """Keep our leases alive between renewals (a long load or hand-over)."""
        async with self.sessions() as session, session.begin():
            await self.holder.beat(session)

    async def ensure_pages(self, group_ids: Iterable[int]) -> None:
        """One lease row per registry page: new pages join unowned, removed ones go."""
        ids = sorted(set(group_ids))
        async with self.sessions() as session, session.begin():
            have = set((await session.execute(select(PageLease.group_id))).scalars())
            gone = sorted(have - set(ids))
            for i in range(0, len(gone), 1000):
                await session.execute(
                    delete(PageLease).where(PageLease.group_id.in_(gone[i : i + 1000]))
                )
            ids = [g for g in ids if g not in have]
            for i in range(0, len(ids), 1000):
                chunk = ids[i : i + 1000]
                ins = dialect_insert(session)(PageLease).values([{"group_id": g} for g in chunk])
                await session.execute(ins.on_conflict_do_nothing(index_elements=["group_id"]))

    async def renew(self, wanted: Iterable[int]) -> set[int]:
        """Heartbeat, release the excess, claim our share; returns our pages.

        ``wanted`` is the registry's pages (:meth:`ensure_pages` made the table match it).
        Our share is ``ceil(pages / live holders)``; free pages are unowned ones and those of
        holders whose heartbeat is older than ``ttl_s`` (dead: taken at the next renewal, so
        with the defaults within a minute)."""
        wanted_set = set(wanted)
        me = self.holder.id
        now = self.holder.now()
        cutoff = now - timedelta(seconds=self.ttl_s)
        async with self.sessions() as session, session.begin():
            await self.holder.beat(session)
            live = max(1, len(await self.holder.live(session, (LEASE_ROLE,))))
            target = math.ceil(len(wanted_set) / live)
            # Nobody else writes our name, and others take our pages only once we are dead,
            # so an unchanged count means an unchanged set: no need to read 30,000 ids.
            held = (
                await session.execute(
                    select(func.count()).select_from(PageLease).where(PageLease.owner == me)
                )
            ).scalar_one()
            if held == len(self.mine):
                mine = set(self.mine)
            else:
                mine = set(
                    (
                        await session.execute(
                            select(PageLease.group_id).where(PageLease.owner == me)
                        )
                    ).scalars()
                )
            mine &= wanted_set
            if len(mine) > target:
                extra = sorted(mine)[target:]
                await _release(session, me, extra)
                mine -= set(extra)
            elif len(mine) < target:
                alive = select(Worker.id).where(
                    Worker.role == LEASE_ROLE, Worker.heartbeat_at >= cutoff
                )
                free = (
                    await session.execute(
                        select(PageLease.group_id)
                        .where(or_(PageLease.owner.is_(None), PageLease.owner.not_in(alive)))
                        .order_by(PageLease.group_id)
                        .limit(target - len(mine))
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
                claim = list(free)
                for i in range(0, len(claim), 1000):
                    await session.execute(
                        update(PageLease)
                        .where(PageLease.group_id.in_(claim[i : i + 1000]))
                        .values(owner=me, expires_at=now + timedelta(seconds=self.ttl_s))
                    )
                mine |= set(claim)
        if mine != self.mine:
            log.info(
                "collector %s now polls %d page(s) (%d live collector(s))", me, len(mine), live
            )
        self.mine = mine
        return mine

    async def release_all(self) -> None:
        """A clean exit: free our pages and say we are gone, so nobody waits ``ttl_s``."""
        async with self.sessions() as session, session.begin():
            await _release(session, self.holder.id, None)
        self.mine = set()
        await self.holder.stop()


async def _release(session: AsyncSession, owner: str, group_ids: list[int] | None) -> None:
    stmt = update(PageLease).where(PageLease.owner == owner)
    if group_ids is not None:
        for i in range(0, len(group_ids), 1000):
            await session.execute(
                stmt.where(PageLease.group_id.in_(group_ids[i : i + 1000])).values(
                    owner=None, expires_at=None
                )
            )
        return
    await session.execute(stmt.values(owner=None, expires_at=None))


def lock_key(name: str) -> int:
    """A stable 63-bit key for ``pg_advisory_lock`` from a name."""
    return zlib.crc32(f"otklik:{name}".encode()) & 0x7FFFFFFF


class Leadership:
    """At most one process holds ``name``: a PostgreSQL session advisory lock on a connection of
    its own.  On SQLite (single process) :meth:`ensure` is always true."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine = engine
        self.name = name
        self.key = lock_key(name)
        self._conn: AsyncConnection | None = None
        self.is_pg = engine.dialect.name == "postgresql"

    @property
    def held(self) -> bool:
        return not self.is_pg or self._conn is not None

    async def ensure(self) -> bool:
        """True when this process leads (taking the lock if it is free)."""
        if not self.is_pg:
            return True
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:
                log.warning("lost the connection holding leadership of %s", self.name)
                await self._drop()
        conn = await self.engine.connect()
        try:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            ).scalar_one()
            await conn.commit()
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        log.info("this process now leads %s", self.name)
        self._conn = conn
        return True

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.invalidate()
            except Exception:
                log.debug("closing the leadership connection failed", exc_info=True)

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            await conn.commit()
        finally:
            await conn.close()


__all__ = [
    "DEFAULT_RENEW_S",
    "DEFAULT_TTL_S",
    "LEASE_ROLE",
    "Leadership",
    "PageLeases",
    "Workers",
    "lease_timing_from_env",
    "lock_key",
    "new_worker_id",
    "wall_now",
]
