"""The no-personal-data mode, per messenger (issue 13).

A centre may be barred from sending residents' personal data through one messenger (an alert
carries a resident's name and words).  With ``OTKLIK__PRIVACY__<CHANNEL>=no_personal_data``
everything Otklik renders for that messenger (alerts, card edits, summaries, lists, notices)
carries the page, topic, deadline, complaint number and a link to the comment in VK, but no
resident's name and no comment text; the buttons are the same.

It is one render option, chosen by the channel a message goes to: the outbox passes it for
each row (``OutboxSender(privacy=...)``), and a command or button press answered in a chat
renders for that chat's messenger: :class:`bot.core.handling.Request` sets
:func:`hiding` for the handler it runs, so handlers need not pass it along.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.types import Channel

if TYPE_CHECKING:
    from config.settings import PrivacySettings

NO_PERSONAL_DATA = "no_personal_data"

_HIDING: ContextVar[bool] = ContextVar("otklik_hiding_personal_data", default=False)


@dataclass(frozen=True)
class Privacy:
    """Which messengers get no residents' personal data."""

    hidden: frozenset[Channel] = frozenset()

    @classmethod
    def from_settings(cls, settings: PrivacySettings | None) -> Privacy:
        if settings is None:
            return cls()
        modes = {Channel.TELEGRAM: settings.telegram, Channel.MAX: settings.max}
        return cls(frozenset(c for c, mode in modes.items() if mode == NO_PERSONAL_DATA))

    def hides(self, channel: Channel | str) -> bool:
        """Messages to ``channel`` carry no resident's name or words."""
        return Channel(channel) in self.hidden


def hiding() -> bool:
    """What is being rendered now goes to a messenger in the no-personal-data mode."""
    return _HIDING.get()


def hide_for(private: bool) -> None:
    """Render for a messenger that ``private`` says hides personal data, from here on in
    this task (a request's handler)."""
    _HIDING.set(private)


@contextmanager
def rendering(private: bool) -> Iterator[None]:
    """Render for such a messenger within the block."""
    token = _HIDING.set(private)
    try:
        yield
    finally:
        _HIDING.reset(token)
