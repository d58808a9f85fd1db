"""Which chats this outbox sender serves, and at what share of the bot's overall rate
(issue 7: several ``bot`` processes on one PostgreSQL).

Live senders split the chats by ``chat_id mod n`` (one process paces each chat) and each keeps
``1/n`` of Telegram's overall budget.  Both are only right while every sender agrees on ``n``
and on its own index, and senders learn of a new or dead colleague at different moments.  So
a sender acts on a view of the live set only

* once the view has held for ``settle_s`` (every sender that is still sending has refreshed
  its view since, and so either holds too or uses the same view), unless it is alone, and
* while the view is younger than ``max_age_s``: a sender cut off from the database stops
  before the others declare it dead (their heartbeat TTL is longer) and take over its chats.

A new, restarted or reconnected sender therefore waits ``settle_s`` before its first message;
that is the price of never having two processes on one chat or above the overall limit.
This class is pure: the sender feeds it views and real monotonic times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class SenderShare:
    me: str
    settle_s: float
    max_age_s: float
    live: tuple[str, ...] = ()
    seen_at: float | None = None  # when the latest view was taken
    stable_since: float = 0.0  # when the current view was first seen

    def observe(self, live: Sequence[str], now: float) -> None:
        """A fresh view of the live senders (``me`` included once its heartbeat is in)."""
        view = tuple(sorted(set(live)))
        lapsed = self.seen_at is None or now - self.seen_at > self.max_age_s
        if view != self.live or lapsed:
            # Alone, nobody else can be sending (a sender whose heartbeat has lapsed has
            # stopped before it lapsed): no need to wait.
            alone = view == (self.me,)
            self.stable_since = now - self.settle_s if alone else now
        self.live = view
        self.seen_at = now

    def share(self, now: float) -> tuple[int, int] | None:
        """``(my index, live senders)`` when this sender may send now, else None."""
        if self.seen_at is None or self.me not in self.live:
            return None
        if now - self.seen_at > self.max_age_s or now - self.stable_since < self.settle_s:
            return None
        return self.live.index(self.me), len(self.live)

    def holds_for(self, now: float) -> float:
        """Seconds until a settling view may be acted on (0 when it may, or cannot tell)."""
        if self.seen_at is None or self.me not in self.live:
            return 0.0
        return max(0.0, self.stable_since + self.settle_s - now)


__all__ = ["SenderShare"]
