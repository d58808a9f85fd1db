"""Commands handled once for every messenger (issue 13).

A feature module describes its commands as plain async functions of a :class:`Request`; each
messenger's adapter turns an incoming command into a ``Request`` whose :class:`Conversation`
knows how to answer on that messenger.  The handlers never see aiogram or maxapi types, so a
command works the same on Telegram and on MAX, and is tested once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.core.privacy import Privacy, hide_for
from bot.core.types import Card, Channel, Keyboard, Media
from bot.drawing import Drawing

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.metrics import Metrics
    from config.clock import Clock
    from config.registry import Registry
    from config.settings import Settings
    from storage.models import Person


class Conversation(Protocol):
    """Where one incoming command came from, and how to answer it there."""

    @property
    def channel(self) -> Channel: ...

    @property
    def sender_id(self) -> int:
        """The sender's id on this channel (Telegram user id, MAX user id)."""
        ...

    @property
    def sender_name(self) -> str: ...

    async def reply(self, card: Card) -> str | None:
        """Answer in the chat the event came from (text, buttons, a chart or a file); the
        sent message's ref (to remember a card by), None when it could not be sent."""
        ...

    async def toast(self, text: str, *, alert: bool = False) -> None:
        """Answer a button press with a short notice (``alert``: one the person must close);
        for a typed command, an ordinary reply."""
        ...

    async def edit(self, card: Card) -> bool:
        """Replace the message the pressed button is on; False when there is none (a typed
        command, or the message is gone)."""
        ...

    async def invite_link(self, code: str) -> str:
        """The deep link that opens this bot on this messenger with an invite ``code``."""
        ...

    async def refresh_menu(self, session: AsyncSession, person: Person) -> None:
        """Show the person the commands of their role, as this messenger allows (Telegram: a
        menu per chat; MAX: one list for the whole bot, so nothing per person)."""
        ...


@dataclass(frozen=True)
class Deps:
    """What handlers may need beyond the session and the person: built once by the app and
    handed to every request (never imported as a global)."""

    clock: Clock
    registry: Registry
    settings: Settings | None = None
    metrics: Metrics | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    draw: Drawing = field(default_factory=Drawing)  # charts and workbooks (bot.drawing)


@dataclass(frozen=True)
class Request:
    """One command from one person, with the unit of work it runs in."""

    convo: Conversation
    session: AsyncSession
    person: Person | None
    deps: Deps
    command: str = ""  # the command's name, without the slash
    args: str = ""  # what follows the command, stripped; a button press: its payload

    def __post_init__(self) -> None:
        # What the handler renders is for this messenger: its no-personal-data mode.
        privacy = Privacy.from_settings(getattr(self.deps.settings, "privacy", None))
        hide_for(privacy.hides(self.convo.channel))

    async def reply(
        self,
        html: str,
        *,
        keyboard: Keyboard | None = None,
        media: Media | None = None,
        link_preview: bool = True,
    ) -> None:
        """Shorthand for the usual answer: a text, optionally with buttons or an attachment."""
        await self.convo.reply(Card(html, keyboard, media, link_preview))


CommandFn = Callable[[Request], Awaitable[None]]
#: Plain text (no command): ``Request.args`` is the text; True when the feature took it (an
#: answer to a question it asked), False to let the next feature look at it.
TextFn = Callable[[Request], Awaitable[bool]]


@dataclass(frozen=True)
class Feature:
    """One feature's commands and buttons (the neutral counterpart of one aiogram router).

    ``buttons`` maps a payload prefix (what comes before the first ``:``) to its handler,
    which gets the whole payload in ``Request.args``: payloads come back from the client and
    may be forged or stale, so the handler decodes and re-checks them."""

    name: str
    commands: Mapping[str, CommandFn]
    buttons: Mapping[str, CommandFn] = field(default_factory=dict)
    texts: tuple[TextFn, ...] = ()
