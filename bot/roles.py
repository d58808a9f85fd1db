"""Process roles (issue 7): which parts of the app one ``otklik run`` process runs.

* ``all``: every part below (the default; the only role on SQLite, one process).
* ``collector``: VK polling and Long Poll into storage, on the pages it leases.
* ``bot``: Telegram commands (one poller at a time) and the outbox sender.
* ``scheduler``: SLA watch, digests, weekly reports, spikes (one leader, others stand by).

On PostgreSQL, collectors share the pages by leases (``storage/leases.py``), outbox senders
split the chats and claim each row atomically, and the scheduler and the Telegram poller run in
one process at a time (advisory locks); the others stand by and take over within a minute.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ALL = "all"
    COLLECTOR = "collector"
    BOT = "bot"
    SCHEDULER = "scheduler"


PARTS: dict[Role, frozenset[str]] = {
    Role.ALL: frozenset({"collector", "outbox", "polling", "scheduler"}),
    Role.COLLECTOR: frozenset({"collector"}),
    Role.BOT: frozenset({"outbox", "polling"}),
    Role.SCHEDULER: frozenset({"scheduler"}),
}

#: Roles whose processes send from the outbox (they split chats and settle dead senders' rows).
SENDER_ROLES = (Role.ALL.value, Role.BOT.value)


def parts_of(role: str | Role) -> frozenset[str]:
    return PARTS[Role(role)]


def needs_telegram(role: str | Role) -> bool:
    return bool(parts_of(role) & {"outbox", "polling"})


def needs_vk(role: str | Role) -> bool:
    return "collector" in parts_of(role)
