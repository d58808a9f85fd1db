"""Answering a MAX event where it came from: the :class:`~bot.core.handling.Conversation` the
neutral dispatcher hands to the handlers, and the glue from inbound events to it.

Replies to a command are new messages in the person's dialog (through the port: paced,
classified, a lost answer settled).  A button press on MAX is answered once
(``POST /answers``) with the new card and/or a notice together, and a second answer is
refused; handlers may both edit the card and say something, in any order, so the
conversation keeps both and :meth:`MaxConversation.finish` sends them in one answer.  If that
answer is refused (the press expired), the card is edited directly (``PUT /messages``, its
keyboard included) and the notice is lost: MAX has no later toast.  A typed command's notice
becomes an ordinary reply, as on Telegram.  MAX has one command list for the whole bot, so
there is no per-person menu to refresh.  A reply MAX refuses is logged by id and outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.core.inbound import ButtonPress, Inbound, InboundEvent
from bot.core.types import Card, Channel, Delivery
from bot.max.port import MaxPort
from bot.max.updates import EventHandler

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.core.handling import Conversation
    from storage.models import Person

__all__ = ["TOAST_LIMIT", "MaxConversation", "serve_events"]

log = logging.getLogger(__name__)

#: A callback notification is a short line; longer ones are cut.
TOAST_LIMIT = 200


class MaxConversation:
    """One MAX event's way back to the person (``Conversation``); call :meth:`finish` after
    the handler (``serve_events`` does)."""

    channel = Channel.MAX

    def __init__(self, port: MaxPort, event: Inbound) -> None:
        self.port = port
        self.event = event
        self.press = event if isinstance(event, ButtonPress) else None
        self._card: Card | None = None
        self._notice: str | None = None
        self.answered = self.press is None
        port.learn_dialog(event.user_id, event.chat_id)  # a lost reply can be looked up

    @property
    def sender_id(self) -> int:
        return self.event.user_id

    @property
    def sender_name(self) -> str:
        return self.event.name

    async def reply(self, card: Card) -> str | None:
        outcome = await self.port.send(self.event.user_id, card)
        if outcome.delivery is not Delivery.SENT:
            log.warning(
                "max reply to %s not sent: %s (%s)",
                self.event.user_id,
                outcome.delivery,
                outcome.reason,
            )
            return None
        return outcome.ref

    async def toast(self, text: str, *, alert: bool = False) -> None:
        """A press: a notice sent with the press's answer (MAX shows every one the same
        way, so ``alert`` changes nothing); a typed command: a reply."""
        if self.press is None or self.answered:
            await self.reply(Card(text))
            return
        self._notice = text[:TOAST_LIMIT]

    async def edit(self, card: Card) -> bool:
        """Replace the pressed card (sent with the press's answer); False for a typed
        command or a press whose message is gone."""
        if self.press is None or self.press.message_ref is None:
            return False
        if self.answered:
            outcome = await self.port.edit(self.event.user_id, self.press.message_ref, card)
            return outcome.delivery is Delivery.SENT
        self._card = card
        return True

    async def invite_link(self, code: str) -> str:
        """``https://max.ru/<bot>?start=<code>``: MAX hands the code to ``bot_started``."""
        me = await self.port.bot.get_me()
        return f"https://max.ru/{me.username or me.user_id}?start={code}"

    async def refresh_menu(self, session: AsyncSession, person: Person) -> None:
        """Nothing per person on MAX: the command list is bot-wide (``MaxPort.set_commands``)."""

    async def finish(self) -> None:
        """Answer the press with what the handler said, once; nothing said, no answer (MAX
        refuses an empty one, and does not wait for it)."""
        if self.press is None or self.answered:
            return
        self.answered = True
        if self._card is None and not self._notice:
            return
        outcome = await self.port.answer_callback(
            self.press.callback_id, self._notice, self._card, user_id=self.event.user_id
        )
        if outcome.delivery is Delivery.SENT:
            return
        log.info("max press %s not answered: %s", self.press.callback_id, outcome.reason)
        if self._card is not None and self.press.message_ref is not None:
            await self.port.edit(self.event.user_id, self.press.message_ref, self._card)


def serve_events(
    port: MaxPort, handle: Callable[[InboundEvent, Conversation], Awaitable[None]]
) -> EventHandler:
    """The callback for the webhook and the poller: hand the event and its conversation to
    ``handle`` (the neutral dispatcher), then answer a press."""

    async def on_event(event: InboundEvent) -> None:
        answering = MaxConversation(port, event)
        convo: Conversation = answering  # checked by mypy against the protocol
        try:
            await handle(event, convo)
        finally:
            await answering.finish()

    return on_event
