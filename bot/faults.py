"""Database faults (issue 7 §4): what counts as "the database is away", and how long to wait.

Every loop of the app (collector sink, outbox sender, scheduler, heartbeat, bot updates) meets
the same two situations: SQLite locked by another writer past its busy timeout, and PostgreSQL
refusing or dropping connections (a restart, a fail-over, ``pg_terminate_backend``).  Neither
is a bug: the loop keeps its work where it is (rows stay pending, batches unconfirmed), waits,
and tries again.  The classification here decides what the metrics and ``/healthz`` call it;
:class:`Backoff` decides how long to wait, in *real* seconds, since a lock or an outage lasts
in the real world whatever the app clock says.
"""

from __future__ import annotations

import random
import socket
from typing import Literal

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

DbFault = Literal["locked", "unavailable", "error"]

#: What the drivers say when the database is there but another writer holds it.
_LOCKED = ("database is locked", "database table is locked", "database is busy")
#: asyncpg's exceptions that mean "no usable connection" (matched by name: asyncpg has no
#: type information for mypy, and a bare import here would pull it into SQLite installs).
_ASYNCPG_CONNECTION = frozenset(
    {
        "PostgresConnectionError",
        "InterfaceError",
        "CannotConnectNowError",
        "TooManyConnectionsError",
        "ConnectionDoesNotExistError",
    }
)


def db_fault(exc: BaseException) -> DbFault | None:
    """``locked`` or ``unavailable`` for a database that is busy or away (a retry will do),
    ``error`` for any other database error (a constraint, a bad query: a bug to log), and
    None for an exception that did not come from the database.

    asyncpg raises a bare ``ConnectionRefusedError`` (an ``OSError``) when nothing listens,
    outside SQLAlchemy's wrapping, so connection errors count too."""
    if isinstance(exc, DBAPIError):
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        if any(s in text for s in _LOCKED):
            return "locked"
        if exc.connection_invalidated or _is_connection_error(exc.orig):
            return "unavailable"
        if exc.orig is not None and type(exc.orig).__name__ in ("IntegrityError", "DataError"):
            return "error"
        if type(exc).__name__ in ("OperationalError", "InterfaceError", "DBAPIError"):
            return "unavailable"
        return "error"
    if isinstance(exc, PoolTimeout) or _is_connection_error(exc):
        return "unavailable"
    return None


def is_outage(exc: BaseException) -> bool:
    """The database is busy or away (not a bug): wait and retry."""
    return db_fault(exc) in ("locked", "unavailable")


def _is_connection_error(exc: BaseException | None) -> bool:
    if isinstance(exc, ConnectionError | socket.gaierror):
        return True
    return exc is not None and any(
        cls.__module__.startswith("asyncpg") and cls.__name__ in _ASYNCPG_CONNECTION
        for cls in type(exc).__mro__
    )


class Backoff:
    """Exponential waits with jitter: ``initial_s``, twice that, … up to ``max_s``.

    Jitter (±25%) keeps several processes that lost the database together from knocking
    on it again all at the same instant."""

    def __init__(
        self,
        initial_s: float = 0.2,
        max_s: float = 10.0,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.failures = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        """The wait after one more failure."""
        base = min(self.initial_s * 2.0**self.failures, self.max_s)
        self.failures += 1
        return base * self._rng.uniform(0.75, 1.25)

    def reset(self) -> None:
        self.failures = 0


__all__ = ["Backoff", "DbFault", "db_fault", "is_outage"]
