"""The outbox's way to MAX: :class:`MaxPort` implements :class:`~bot.core.types.MessengerPort`
on the real maxapi ``Bot``; every maxapi exception becomes an :class:`~bot.core.types.Outcome`.

What MAX needs beyond Telegram (``docs/max-design.md`` §2–§3):

* **Edits resend the keyboard.**  ``PUT /messages`` with ``attachments: []`` removes the
  buttons, and maxapi's ``edit_message`` always sends the list, so every edit carries the
  card's keyboard again.
* **Files go by path.**  maxapi's in-memory upload renames an ``.xlsx`` to ``.xlsx.docx``
  (its type guess), so a chart or a report is written to a temporary file with its real name.
* **A lost answer is settled, not resent.**  A 5xx from a gateway, a dropped connection or a
  timeout after the request left may hide a delivered message.  The port then lists the
  dialog's newest messages (``GET /messages?chat_id=``) and adopts the bot's message with
  the same text and buttons sent since the attempt began; only when it is not there is the
  send worth repeating (RETRY).  If the dialog cannot be listed, the send stays AMBIGUOUS
  and the next send of the same card to the same person looks again before sending.
* **No ``retry_after`` on a 429**: the pacer's back-off (1 s doubling to 30 s) is the wait.

Logs name ids and outcomes, never a card's text.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from maxapi import Bot
from maxapi.enums.parse_mode import TextFormat
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection, MaxUploadFileFailed
from maxapi.types.attachments.buttons.attachment_button import AttachmentButton
from maxapi.types.command import BotCommand
from maxapi.types.input_media import InputMedia
from maxapi.types.message import Message
from maxapi.types.updates.message_callback import MessageForCallback
from pydantic import ValidationError

from bot.core.types import Card, Channel, Delivery, Media, Outcome
from bot.max.markup import check_text, keyboard_attachment, plain_text
from bot.max.pacer import MaxPacer, about
from config.clock import Clock

__all__ = ["MaxPort", "Report", "classify"]

log = logging.getLogger(__name__)

#: Told what became of each request that shows a person something: ``kind`` is message,
#: image, file, edit or answer.
Report = Callable[[str, Outcome], None]

#: How far the server's clock may run behind ours when a lost send is looked for.
CLOCK_SKEW = timedelta(seconds=60)


def _later(pacer: MaxPacer | None, user_id: int | None, error: str) -> Outcome:
    wait = pacer.ready_in(user_id) if pacer is not None and user_id is not None else 0.0
    return Outcome(
        Delivery.LATER, retry_after_s=max(wait, 1.0), error=error, reason="rate_limited"
    )


def classify(
    exc: BaseException,
    *,
    delivered_maybe: bool,
    pacer: MaxPacer | None = None,
    user_id: int | None = None,
) -> Outcome:
    """What a maxapi exception means for the outbox.  ``delivered_maybe``: the request would
    put a new message in the dialog, so a fault after it left is AMBIGUOUS (an edit or an
    answer repeated does no harm: RETRY)."""
    error = f"{type(exc).__name__}: {exc}"[:500]
    unsure = Delivery.AMBIGUOUS if delivered_maybe else Delivery.RETRY
    if isinstance(exc, MaxApiError):
        code = exc.raw.get("code") if isinstance(exc.raw, dict) else None
        if exc.code == 429:
            return _later(pacer, user_id, error)
        if exc.code == 403 and code == "chat.denied":
            return Outcome(Delivery.BLOCKED, error=error, reason="blocked")
        if exc.code == 404 and code == "chat.not.found":
            # No dialog: the person never started the bot here; as unreachable as blocked.
            return Outcome(Delivery.BLOCKED, error=error, reason="no_dialog")
        if code == "attachment.not.ready":
            return Outcome(Delivery.RETRY, error=error, reason="attachment_not_ready")
        if exc.code >= 500:
            return Outcome(unsure, error=error, reason="server_error")
        return Outcome(Delivery.REJECTED, error=error, reason="rejected")
    if isinstance(exc, MaxUploadFileFailed):
        # The upload failed before any message was sent: nothing to settle.
        cause = exc.__cause__
        if isinstance(cause, MaxApiError) and cause.code == 429:
            return _later(pacer, None, error)
        return Outcome(Delivery.RETRY, error=error, reason="upload_failed")
    if isinstance(exc, InvalidToken):
        return Outcome(Delivery.RETRY, error=error, reason="auth")
    if isinstance(exc, MaxConnection):
        cause = exc.__cause__
        if isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
            return Outcome(Delivery.RETRY, error=error, reason="network")  # never left
        return Outcome(unsure, error=error, reason="network")
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return Outcome(unsure, error=error, reason="network")
    if isinstance(exc, ValidationError):
        return Outcome(unsure, error=error, reason="bad_answer")  # it went, the answer is odd
    if isinstance(exc, ValueError):
        return Outcome(Delivery.REJECTED, error=error, reason="rejected")  # refused client-side
    if isinstance(exc, RuntimeError):
        # maxapi's bare "Не удалось отправить сообщение" after its attachment.not.ready
        # attempts: MAX refused each one, so nothing arrived.
        return Outcome(Delivery.RETRY, error=error, reason="attachment_not_ready")
    return Outcome(unsure, error=error, reason="unexpected")


def _payloads(message: Message) -> list[str]:
    """The callback payloads on a listed message's keyboard, row by row."""
    out: list[str] = []
    for attachment in (message.body.attachments if message.body else None) or []:
        if getattr(attachment, "type", None) != "inline_keyboard":
            continue
        buttons: list[list[Any]] = getattr(attachment.payload, "buttons", None) or []
        for row in buttons:
            out.extend(str(b.payload) for b in row if getattr(b, "type", None) == "callback")
    return out


def _has_media(message: Message, kind: str) -> bool:
    attachments = (message.body.attachments if message.body else None) or []
    return any(getattr(a, "type", None) == kind for a in attachments)


class MaxPort:
    """The MAX side of the outbox (``MessengerPort``); address = the person's MAX user id."""

    channel = Channel.MAX

    def __init__(
        self,
        bot: Bot,
        clock: Clock,
        *,
        pacer: MaxPacer | None = None,
        reconcile_count: int = 20,
        tmp_dir: Path | None = None,
        report: Report | None = None,
    ) -> None:
        self.bot = bot
        self.clock = clock
        self.pacer = pacer
        #: Told every send, edit and answer's outcome (the app's ``otklik_max_*`` metrics).
        self.report = report
        #: Told each dialog learned or changed (the app stores it: ``bot.max.dialogs``).
        self.on_dialog: Callable[[int, int], None] | None = None
        self.reconcile_count = reconcile_count
        self.tmp_dir = tmp_dir
        self._dialogs: dict[int, int] = {}  # user id -> dialog chat id
        self._unsettled: dict[tuple[int, str], datetime] = {}  # lost sends: when they began
        # Messages this port knows it sent or adopted: never adopted (again) for a lost send.
        self._known: deque[str] = deque(maxlen=1000)

    # ---- dialogs ---------------------------------------------------------------------------

    def learn_dialog(self, user_id: int, chat_id: int, *, stored: bool = False) -> None:
        """``chat_id`` is the bot's dialog with ``user_id`` (from a send's answer, any
        update, or the database at start: ``stored``): what :meth:`reconcile` lists."""
        known = self._dialogs.get(user_id)
        self._dialogs[user_id] = chat_id
        if self.pacer is not None:
            self.pacer.alias(chat_id, user_id)
        if known != chat_id and not stored and self.on_dialog is not None:
            self.on_dialog(user_id, chat_id)

    def _told(self, kind: str, outcome: Outcome) -> Outcome:
        if self.report is not None:
            self.report(kind, outcome)
        return outcome

    def dialog_of(self, user_id: int) -> int | None:
        return self._dialogs.get(user_id)

    # ---- MessengerPort -------------------------------------------------------------------

    async def send(self, address: int, card: Card) -> Outcome:
        """A new message (with its chart or file, if any) to ``address``'s dialog."""
        kind = card.media.kind if card.media is not None else "message"
        return self._told(kind, await self._send(address, card))

    async def _send(self, address: int, card: Card) -> Outcome:
        try:
            text = check_text(card)
            keyboard = keyboard_attachment(card.keyboard) if card.keyboard else None
        except ValueError as exc:
            return classify(exc, delivered_maybe=False)
        key = (address, plain_text(text))
        if key in self._unsettled:
            found = await self.reconcile(address, card, since=self._unsettled[key])
            if found.delivery is not Delivery.RETRY:
                return found  # SENT: adopted; AMBIGUOUS: still cannot tell
        started = self.clock.now()
        try:
            with about(address):
                sent = await self._post(address, text, keyboard, card)
        except Exception as exc:
            outcome = classify(exc, delivered_maybe=True, pacer=self.pacer, user_id=address)
            if outcome.delivery is not Delivery.AMBIGUOUS:
                log.info("max send to %s: %s (%s)", address, outcome.delivery, outcome.reason)
                return outcome
            self._unsettled.setdefault(key, started)
            found = await self.reconcile(address, card, since=self._unsettled[key])
            if found.delivery is Delivery.SENT:
                return found
            log.warning(
                "max send to %s: answer lost (%s); %s",
                address,
                outcome.reason,
                "not in the dialog" if found.delivery is Delivery.RETRY else "unsettled",
            )
            return Outcome(
                found.delivery, error=outcome.error, reason=outcome.reason or found.reason
            )
        self._unsettled.pop(key, None)
        if sent is None:
            return Outcome(Delivery.AMBIGUOUS, error="empty answer", reason="bad_answer")
        message = sent.message
        if message.recipient.chat_id is not None:
            self.learn_dialog(address, message.recipient.chat_id)
        self._known.append(message.body.mid)
        return Outcome(Delivery.SENT, ref=message.body.mid)

    async def edit(self, address: int, ref: str, card: Card) -> Outcome:
        """Replace the text and buttons of message ``ref``; the keyboard is sent again (an
        edit without it would remove the buttons).  Attachments cannot be edited."""
        return self._told("edit", await self._edit(address, ref, card))

    async def _edit(self, address: int, ref: str, card: Card) -> Outcome:
        try:
            text = check_text(card)
            attachments = [keyboard_attachment(card.keyboard)] if card.keyboard else []
        except ValueError as exc:
            return classify(exc, delivered_maybe=False)
        try:
            with about(address):
                await self.bot.edit_message(
                    message_id=ref,
                    text=text,
                    attachments=attachments,  # type: ignore[arg-type]
                    format=TextFormat.HTML,
                    notify=False,
                )
        except MaxApiError as exc:
            if exc.code == 404:
                return Outcome(Delivery.REJECTED, error=str(exc)[:500], reason="message_gone")
            return classify(exc, delivered_maybe=False, pacer=self.pacer, user_id=address)
        except Exception as exc:
            return classify(exc, delivered_maybe=False, pacer=self.pacer, user_id=address)
        return Outcome(Delivery.SENT, ref=ref)

    # ---- beyond the outbox -----------------------------------------------------------------

    async def answer_callback(
        self,
        callback_id: str,
        toast_text: str | None,
        card: Card | None = None,
        *,
        user_id: int | None = None,
    ) -> Outcome:
        """Answer a button press: a short notification (``toast_text``) and/or the pressed
        card replaced by ``card`` (its keyboard sent again).  ``user_id``, the presser,
        paces the answer in their dialog (MAX counts answers toward its 2 a second)."""
        outcome = await self._answer(callback_id, toast_text, card, user_id)
        return self._told("answer", outcome)

    async def _answer(
        self, callback_id: str, toast_text: str | None, card: Card | None, user_id: int | None
    ) -> Outcome:
        message: MessageForCallback | None = None
        if card is not None:
            try:
                text = check_text(card)
                keyboard = [keyboard_attachment(card.keyboard)] if card.keyboard else []
            except ValueError as exc:
                return classify(exc, delivered_maybe=False)
            message = MessageForCallback(
                text=text,
                attachments=keyboard,
                format=TextFormat.HTML,
                notify=False,
            )
        if message is None and not toast_text:
            return Outcome(Delivery.REJECTED, error="nothing to answer", reason="rejected")
        try:
            with about(user_id):
                await self.bot.send_callback(
                    callback_id=callback_id, message=message, notification=toast_text or None
                )
        except Exception as exc:
            return classify(exc, delivered_maybe=False, pacer=self.pacer, user_id=user_id)
        return Outcome(Delivery.SENT)

    async def reconcile(self, address: int, card: Card, *, since: datetime) -> Outcome:
        """Whether the bot's message with ``card``'s text (and buttons, and attachment kind)
        reached ``address``'s dialog since ``since``: SENT with its ref (adopted; never one
        adopted before or sent by this port), RETRY when the dialog shows no such message,
        AMBIGUOUS when it cannot be listed (the dialog is unknown, or listing failed)."""
        chat_id = self._dialogs.get(address)
        if chat_id is None:
            return Outcome(Delivery.AMBIGUOUS, error="dialog unknown", reason="unsettled")
        want_text = plain_text(card.html)
        buttons = card.keyboard.buttons() if card.keyboard else []
        want_payloads = [b.payload for b in buttons if b.payload is not None]
        since_ms = int((since - CLOCK_SKEW).timestamp() * 1000)
        try:
            listed = await self.bot.get_messages(chat_id=chat_id, count=self.reconcile_count)
        except Exception as exc:
            outcome = classify(exc, delivered_maybe=True, pacer=self.pacer)
            return Outcome(Delivery.AMBIGUOUS, error=outcome.error, reason="unsettled")
        for message in listed.messages:
            body = message.body
            if (
                body is None
                or message.sender is None
                or not message.sender.is_bot
                or message.timestamp < since_ms
                or body.mid in self._known
                or (body.text or "") != want_text
                or _payloads(message) != want_payloads
                or (card.media is not None and not _has_media(message, card.media.kind))
            ):
                continue
            self._known.append(body.mid)
            self._unsettled.pop((address, want_text), None)
            log.info("max send to %s: lost answer settled, message %s adopted", address, body.mid)
            return Outcome(Delivery.SENT, ref=body.mid, reason="reconciled")
        return Outcome(Delivery.RETRY, error="not in the dialog", reason="not_delivered")

    async def set_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        """The bot-wide command menu (``PATCH /me/commands``; MAX has no per-chat menus, so
        rights are checked when a command is used).  Raises maxapi's errors."""
        await self.bot.set_commands(
            *(BotCommand(name=name, description=description) for name, description in commands)
        )

    # ---- the wire ------------------------------------------------------------------------

    async def _post(
        self, address: int, text: str, keyboard: AttachmentButton | None, card: Card
    ) -> Any:
        attachments: list[Any] = [keyboard] if keyboard is not None else []
        if card.media is None:
            return await self.bot.send_message(
                user_id=address,
                text=text,
                attachments=attachments,
                format=TextFormat.HTML,
                disable_link_preview=not card.link_preview,
            )
        folder = await asyncio.to_thread(tempfile.mkdtemp, prefix="otklik-max-", dir=self.tmp_dir)
        try:
            path = await asyncio.to_thread(_write, Path(folder), card.media)
            kind = UploadType.IMAGE if card.media.kind == "image" else UploadType.FILE
            return await self.bot.send_message(
                user_id=address,
                text=text,
                attachments=[InputMedia(str(path), type=kind), *attachments],
                format=TextFormat.HTML,
                disable_link_preview=not card.link_preview,
                sleep_after_input_media=False,
            )
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)


def _write(folder: Path, media: Media) -> Path:
    """The attachment as a file named as the person should see it (maxapi sends the name)."""
    name = Path(media.name).name or ("chart.png" if media.kind == "image" else "report")
    path = folder / name
    path.write_bytes(media.data)
    return path
