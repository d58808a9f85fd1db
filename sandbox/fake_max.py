"""An in-process fake of the MAX Bot API that the real ``maxapi`` client talks to over HTTP.

Why a fake server rather than a mocked client: the ways a MAX alert fails in production show
up on the wire — an edit that drops the card's buttons (``PUT /messages`` with
``attachments: []``), a client retry that sends the same alert twice after a 504, a 429 when a
burst exceeds 2 messages a second in one chat, a user who stopped the bot (403
``chat.denied``), an image token used before the upload finished.  Pointing the real
``maxapi.Bot`` at this server (``bot.set_api_url``) exercises its JSON encoding, its pydantic
parsing of answers and updates, and its error mapping (``MaxApiError``, ``InvalidToken``,
``MaxConnection``) exactly as production does::

    fake = FakeMax(clock)
    await fake.start()
    bot = fake.make_bot()          # a real maxapi.Bot, its own retries off

Shapes follow the official OpenAPI schema (GitHub max-messenger-bot/max-bot-api-schemas,
``schema_2026_07_01.json``, API 0.0.32) where it is right, and the real payloads where the
schema is known to be wrong (``chat_type: "dialog"`` for a private chat, which the schema's
``ChatType`` enum omits); ``tests/test_conformance_max.py`` checks every answer and update
against that schema and against maxapi's own models.  What the schema does not say (error
codes, the 429 body, what a blocked user looks like) is taken from client libraries' code and
marked in ``docs/max-design.md`` as such.

Like the fake Telegram, limits are measured on the injected :class:`~config.clock.Clock`'s
``monotonic()`` scale, so a ``VirtualClock`` makes "2 messages a second per chat" last a
fraction of a real second and a ``ManualClock`` makes them fully deterministic.

The server runs on the caller's event loop; all public methods must be called from that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, Literal

import aiohttp
from aiohttp import web
from aiohttp.web_request import FileField
from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties

from config.clock import Clock
from sandbox.fake_common import FakeServer, Fault, Window, utf16_len

__all__ = [
    "SECRET_HEADER",
    "FakeMax",
    "MaxCall",
    "MaxLimits",
    "Upload",
    "WebhookDelivery",
    "parse_max_html",
    "parse_max_markdown",
]

FaultKind = Literal[
    "http500",
    "http502",
    "http503",
    "http504",
    "http429",
    "timeout",
    "done_then_504",
    "done_then_drop",
    "attachment_not_ready",
]

#: ``NewMessageBody.text`` maxLength in the schema (maxapi itself refuses 4000 and more).
MAX_TEXT_LEN = 4000
#: ``CallbackButton.payload`` maxLength.
MAX_CALLBACK_PAYLOAD = 1024
#: ``Button.text`` length bounds.
MAX_BUTTON_TEXT = 128
#: ``LinkButton.url`` maxLength.
MAX_LINK_URL = 2048
#: Inline keyboard: 210 buttons, 30 rows of up to 7, link buttons up to 3 in a row
#: (dev.max.ru, InlineKeyboardAttachment).
MAX_BUTTONS = 210
MAX_ROWS = 30
MAX_ROW_BUTTONS = 7
MAX_ROW_LINK_BUTTONS = 3
#: ``PATCH /me/commands``: at most 32 commands per bot.
MAX_COMMANDS = 32
#: A deep-link payload longer than this is not passed to the bot at all (schema "Deep linking").
MAX_START_PAYLOAD = 512
#: ``GET /updates``: timeout 0..90 s (default 30), limit 1..1000 (default 100).
MAX_POLL_TIMEOUT = 90
MAX_POLL_LIMIT = 1000
#: Webhook deliveries are retried for 8 hours, then the subscription is dropped.
WEBHOOK_GIVE_UP_S = 8 * 3600.0
#: Seconds between webhook delivery attempts (MAX: "from 30 to 60 seconds").
WEBHOOK_RETRY_S = 30.0
#: Long-poll events older than this are gone (maxapi GetUpdates: TTL 24 h).
UPDATE_TTL_S = 24 * 3600.0
#: The header a webhook delivery carries when the subscription has a secret.
SECRET_HEADER = "X-Max-Bot-Api-Secret"

_SECRET_RE = re.compile(r"[a-zA-Z0-9_-]{5,256}")
_BODY_KEYS = frozenset({"text", "attachments", "link", "notify", "format"})
_LOCALE = "ru"

#: Calls that put something in front of a user: they count toward the per-chat limit and are
#: what :meth:`FakeMax.sent` reports.
_USER_VISIBLE = frozenset({"POST /messages", "PUT /messages", "DELETE /messages", "POST /answers"})
#: Not counted toward the overall 30 requests a second: the long poll has limits of its own
#: (not enforced here) and the upload host is another server.
_UNMETERED = frozenset({"GET /updates", "POST /upload"})


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass
class MaxLimits:
    """Limits the fake enforces, in virtual seconds of the injected clock.

    MAX: 2 messages a second in one chat (sends, edits, deletes and callback answers,
    dev.max.ru POST /answers) and 30 requests a second overall per bot.
    """

    per_chat_per_s: float = 2.0
    global_per_s: int = 30
    enforce: bool = True


@dataclass(frozen=True)
class MaxCall:
    """One request the fake received, kept so tests can assert on what the bot did.

    ``method`` is the verb and path, e.g. ``"POST /messages"``; ``user_id`` the person the
    call is about (the addressee of a send or edit, the presser for a callback answer);
    ``text`` the message text exactly as the bot sent it (markup included) or a callback
    notification; ``error`` MAX's error ``code`` (``"chat.denied"``, ``"too.many.requests"``…).
    ``done`` tells a call that took effect although its answer was lost (an injected
    ``done_then_504``) from one that did not.
    """

    at: datetime
    method: str
    user_id: int | None
    chat_id: int | None
    text: str | None
    query: dict[str, str]
    body: Any
    status: int
    mid: str | None
    error: str | None
    done: bool = True  # the call took effect (True also when its answer then failed)
    answer: Any = None  # the JSON answered (None: an HTML page or no answer at all)

    def report(self) -> dict[str, Any]:
        """The sandbox report's entry for this call (issue 13: the report's ``max`` list)."""
        return {
            "user_id": self.user_id,
            "method": self.method,
            "at": self.at.isoformat(),
            "text": self.text,
            "status": self.status,
        }


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded, by the token MAX gave for it."""

    kind: str  # image, file, video, audio
    filename: str
    size: int
    data: bytes
    content_type: str


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to push an update to the bot's webhook."""

    at: datetime
    url: str
    update_type: str
    seq: int
    status: int | None  # None: the connection failed
    secret_sent: bool
    update: dict[str, Any]


# --------------------------------------------------------------------------------------------
# Text formats: MAX's HTML and Markdown subsets → plain text plus markup
# --------------------------------------------------------------------------------------------


_HTML_STYLES = {
    "b": "strong",
    "strong": "strong",
    "i": "emphasized",
    "em": "emphasized",
    "s": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "code": "monospaced",
    "pre": "monospaced",
    "mark": "highlighted",
    "h1": "heading",
    "a": "link",
}


class _MaxHtml(HTMLParser):
    """MAX's HTML: the listed tags become markup, "all others will be stripped" (schema
    "HTML support") — their text stays, so an unescaped ``<`` in a resident's comment eats
    the words after it instead of failing, and tests see it in the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pos = 0
        self.markup: list[dict[str, Any]] = []
        self._open: list[tuple[str, int, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_STYLES:
            href = dict(attrs).get("href") if tag == "a" else None
            self._open.append((tag, self.pos, href))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                name, start, href = self._open.pop(i)
                self._close(name, start, href)
                return

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.pos += utf16_len(data)

    def _close(self, tag: str, start: int, href: str | None) -> None:
        length = self.pos - start
        if length <= 0 or (tag == "a" and not href):
            return
        element: dict[str, Any] = {"type": _HTML_STYLES[tag], "from": start, "length": length}
        if tag == "a":
            element["url"] = href
        self.markup.append(element)

    def finish(self) -> tuple[str, list[dict[str, Any]]]:
        self.close()
        while self._open:
            name, start, href = self._open.pop()
            self._close(name, start, href)
        self.markup.sort(key=lambda m: (m["from"], -m["length"]))
        return "".join(self.parts), self.markup


def parse_max_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and MAX markup elements (UTF-16 offsets) of ``format: html`` text."""
    parser = _MaxHtml()
    parser.feed(text)
    return parser.finish()


_MD_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)"), "link"),
    (re.compile(r"`([^`\n]+)`"), "monospaced"),
    (re.compile(r"\*\*(.+?)\*\*", re.S), "strong"),
    (re.compile(r"__(.+?)__", re.S), "strong"),
    (re.compile(r"~~(.+?)~~", re.S), "strikethrough"),
    (re.compile(r"\+\+(.+?)\+\+", re.S), "underline"),
    (re.compile(r"\^\^(.+?)\^\^", re.S), "highlighted"),
    (re.compile(r"\*([^*\n]+)\*"), "emphasized"),
    (re.compile(r"_([^_\n]+)_"), "emphasized"),
]


def _markdown(text: str, offset: int, markup: list[dict[str, Any]]) -> str:
    out: list[str] = []
    pos = offset
    rest = text
    while rest:
        found = [(m, kind) for pattern, kind in _MD_PATTERNS if (m := pattern.search(rest))]
        if not found:
            out.append(rest)
            break
        match, kind = min(found, key=lambda f: f[0].start())
        before = rest[: match.start()]
        out.append(before)
        pos += utf16_len(before)
        inner = match.group(1)
        plain = inner if kind == "monospaced" else _markdown(inner, pos, markup)
        element: dict[str, Any] = {"type": kind, "from": pos, "length": utf16_len(plain)}
        if kind == "link":
            element["url"] = match.group(2)
        if element["length"] > 0:
            markup.append(element)
        out.append(plain)
        pos += utf16_len(plain)
        rest = rest[match.end() :]
    return "".join(out)


def parse_max_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and markup of ``format: markdown`` text: MAX's documented subset
    (``**strong**``, ``*em*``, ``~~strike~~``, ``++underline++``, `` `code` ``, ``^^mark^^``,
    ``[text](url)``); an unpaired delimiter stays literal."""
    markup: list[dict[str, Any]] = []
    plain = _markdown(text, 0, markup)
    markup.sort(key=lambda m: (m["from"], -m["length"]))
    return plain, markup


# --------------------------------------------------------------------------------------------
# Internal state
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """An error answer: HTTP status and MAX's ``{"code", "message"}`` body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class _Bare(_ApiError):
    """An error a gateway in front of MAX answers: an HTML page, not MAX's JSON."""


class _Dropped(Exception):
    """The connection is dropped without an answer (``status`` is what the record shows)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def _bad(message: str) -> _ApiError:
    return _ApiError(400, "proto.payload", message)


@dataclass
class _Message:
    mid: str
    seq: int
    user_id: int  # the dialog's user
    from_bot: bool
    timestamp: int  # ms
    raw_text: str | None  # as sent, markup included
    format: str | None
    plain_text: str | None
    markup: list[dict[str, Any]]
    attachments: list[dict[str, Any]]  # request shapes, as the bot sent them
    edited: bool = False


@dataclass
class _Dialog:
    user: dict[str, Any]  # the MAX User object
    chat_id: int
    blocked: bool = False
    messages: dict[str, _Message] = field(default_factory=dict)

    @property
    def user_id(self) -> int:
        return int(self.user["user_id"])


@dataclass
class _Callback:
    user_id: int
    mid: str
    payload: str
    answered: bool = False


@dataclass
class _Subscription:
    url: str
    time: int  # ms
    update_types: list[str] | None
    secret: str | None


@dataclass
class _Req:
    """One request being handled, and what its record should say."""

    method: str
    query: dict[str, str]
    body: Any
    match: dict[str, str]
    user_id: int | None = None
    chat_id: int | None = None
    text: str | None = None
    mid: str | None = None
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)


_Handler = Callable[[_Req], Awaitable[Any]]


def _int_param(req: _Req, name: str, *, low: int, high: int, default: int) -> int:
    raw = req.query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(f"{name}: not a number") from None
    if not low <= value <= high:
        raise _bad(f"{name}: must be between {low} and {high}")
    return value


def _is_image(data: bytes) -> bool:
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"BM")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeMax(FakeServer[MaxCall]):
    """A stateful fake MAX Bot API: users and dialogs, messages with edits, callbacks,
    uploads, long polling and webhook delivery, limits and injected faults."""

    _SERVICE = "MAX"
    _ROUTE = "/{path:.*}"
    _POLL_METHOD = "GET /updates"

    #: Dialog chat ids are not user ids on MAX (unlike Telegram's private chats): code that
    #: mixes them up must fail against the fake too.
    DIALOG_ID_BASE = 10_000_000_000

    def __init__(
        self,
        clock: Clock,
        *,
        limits: MaxLimits | None = None,
        token: str = "max-test-token",
        bot_id: int = 900_000_001,
        bot_username: str = "otklik_test_bot",
        require_https_webhook: bool = False,
        webhook_retry_s: float = WEBHOOK_RETRY_S,
    ) -> None:
        super().__init__(clock)
        self.limits = limits if limits is not None else MaxLimits()
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        #: MAX accepts only HTTPS webhooks with a trusted certificate since 25 May 2026;
        #: tests serve plain HTTP on localhost, so the check is off unless asked for.
        self.require_https_webhook = require_https_webhook
        #: Virtual seconds between attempts to deliver an update the webhook refused.
        self.webhook_retry_s = webhook_retry_s
        self.uploads: dict[str, Upload] = {}
        self.notifications: list[tuple[int, str]] = []  # (user_id, callback notification)
        self.deliveries: list[WebhookDelivery] = []
        #: The bot-wide command menu (``PATCH /me/commands``; MAX has no per-chat menus).
        self.commands: list[dict[str, Any]] = []

        self._dialogs: dict[int, _Dialog] = {}  # by user id
        self._by_chat: dict[int, int] = {}  # dialog chat id -> user id
        self._by_mid: dict[str, _Message] = {}
        self._callbacks: dict[str, _Callback] = {}
        self._subscriptions: dict[str, _Subscription] = {}
        self._slots: dict[str, tuple[str, str | None]] = {}  # upload slot -> (kind, token)

        self._updates: list[tuple[int, dict[str, Any]]] = []  # (seq, update), oldest first
        self._next_seq = 1
        self._pointer = 1  # where a poll without a marker starts
        self._acked = 1  # every update below this was confirmed by the bot
        self._next_message_seq = 116_000_000_000_000_001
        self._next_mid = 1
        self._next_callback = 1
        self._next_upload = 1

        self._chat_windows: dict[int, Window] = {}
        self._global_window = Window(30, 1.0)
        self._http: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._handlers: dict[tuple[str, str], _Handler] = {
            ("GET", "me"): self._get_me,
            ("PATCH", "me/commands"): self._set_commands,
            ("GET", "updates"): self._get_updates,
            ("GET", "subscriptions"): self._get_subscriptions,
            ("POST", "subscriptions"): self._subscribe,
            ("DELETE", "subscriptions"): self._unsubscribe,
            ("GET", "messages"): self._get_messages,
            ("POST", "messages"): self._send_message,
            ("PUT", "messages"): self._edit_message,
            ("DELETE", "messages"): self._delete_message,
            ("POST", "answers"): self._answer,
            ("POST", "uploads"): self._upload_url,
            ("GET", "chats/{id}"): self._get_chat,
            ("POST", "upload/{id}"): self._upload,
        }

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (port 0 picks a free one) and return the base URL."""
        base_url = await super().start(host, port)
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return base_url

    async def stop(self) -> None:
        """Release long polls and injected delays, stop webhook delivery, shut down."""
        if self._runner is None:
            return
        self._stop_event.set()
        self._updates_event.set()
        await self._stop_webhook()
        await super().stop()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def make_bot(self, *, retries: int = 0, **bot_kwargs: Any) -> Bot:
        """A real ``maxapi.Bot`` wired to this fake; the caller closes it (``close_session``).

        ``retries=0`` turns maxapi's own retries off (it repeats a request after 502/503/504
        or a dropped connection, which duplicates a message the server already delivered):
        Otklik's outbox owns retries.  ``auto_requests`` is off unless asked for, so events
        do not cost an extra ``GET /chats/{id}`` each.
        """
        bot_kwargs.setdefault("auto_requests", False)
        connection = DefaultConnectionProperties(max_retries=retries, retry_backoff_factor=0.01)
        bot = Bot(self.token, default_connection=connection, **bot_kwargs)
        bot.set_api_url(self.base_url)
        # maxapi sleeps 2 s after uploading media "so the file is ready"; the fake is ready
        # at once (inject ``attachment_not_ready`` to test the other case).
        bot.after_input_media_delay = 0.0
        return bot

    # ---- world set-up ------------------------------------------------------------------

    def dialog_id(self, user_id: int) -> int:
        """The chat id of the bot's dialog with ``user_id``."""
        return self.DIALOG_ID_BASE + user_id

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
    ) -> None:
        """Make a user known with an open dialog, as if they had started the bot before."""
        if user_id <= 0:
            raise ValueError("MAX user ids are positive")
        name = f"{first_name} {last_name}" if last_name else first_name
        user = {
            "user_id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "is_bot": False,
            "last_activity_time": self._ms(),
            "name": name,
        }
        existing = self._dialogs.get(user_id)
        if existing is not None:
            existing.user = user
            return
        chat_id = self.dialog_id(user_id)
        self._dialogs[user_id] = _Dialog(user=user, chat_id=chat_id)
        self._by_chat[chat_id] = user_id

    def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user stops the bot: sends to them answer 403 ``chat.denied``; with ``notify``
        the bot gets a ``bot_stopped`` update, as MAX sends."""
        dialog = self._known(user_id)
        dialog.blocked = True
        if notify:
            self._push_update(
                "bot_stopped",
                {"chat_id": dialog.chat_id, "user": dict(dialog.user), "user_locale": _LOCALE},
            )

    def unblock(self, user_id: int) -> None:
        """The user allows the bot again (without an update; see :meth:`push_bot_started`)."""
        self._known(user_id).blocked = False

    def push_bot_started(
        self,
        user_id: int,
        payload: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> int:
        """The user presses «Начать», or opens the deep link ``https://max.ru/<bot>?start=
        <payload>``; returns the update's sequence number.  A payload over 512 characters is
        dropped, as MAX drops it.  An unknown user is registered (anyone can start a bot)."""
        dialog = self._touch(user_id, first_name, last_name)
        dialog.blocked = False
        update: dict[str, Any] = {"chat_id": dialog.chat_id, "user": dict(dialog.user)}
        if payload is not None and len(payload) <= MAX_START_PAYLOAD:
            update["payload"] = payload
        update["user_locale"] = _LOCALE
        return self._push_update("bot_started", update)

    def push_message(self, user_id: int, text: str) -> int:
        """A message from the user in their dialog with the bot; returns the update's
        sequence number.  Writing to the bot unblocks it."""
        dialog = self._touch(user_id, None, None)
        dialog.blocked = False
        message = self._new_message(dialog, from_bot=False)
        message.raw_text = message.plain_text = text
        dialog.messages[message.mid] = message
        return self._push_update(
            "message_created",
            {"message": self._message_obj(message), "user_locale": _LOCALE},
        )

    def push_callback(self, user_id: int, mid: str, payload: str, *, forged: bool = False) -> str:
        """The user presses the callback button carrying ``payload`` on the bot's message
        ``mid``; returns the callback id.  Only payloads that are on the message's keyboard
        can be pressed, unless ``forged`` (a crafted request: the bot must re-check it)."""
        dialog = self._known(user_id)
        message = dialog.messages.get(mid)
        if message is None or not message.from_bot:
            raise LookupError(f"the bot has no message {mid} in the dialog with {user_id}")
        if not forged and payload not in self.button_payloads(mid):
            raise LookupError(f"message {mid} has no callback button {payload!r}")
        callback_id = f"cb.{self._next_callback:012d}"
        self._next_callback += 1
        self._callbacks[callback_id] = _Callback(user_id=user_id, mid=mid, payload=payload)
        dialog.user["last_activity_time"] = self._ms()
        self._push_update(
            "message_callback",
            {
                "callback": {
                    "timestamp": self._ms(),
                    "callback_id": callback_id,
                    "payload": payload,
                    "user": dict(dialog.user),
                },
                "message": self._message_obj(message),
                "user_locale": _LOCALE,
            },
        )
        return callback_id

    def inject_fault(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        count: int = 1,
        delay_s: float = 30.0,
    ) -> None:
        """Make the next ``count`` matching calls fail.

        ``method`` is e.g. ``"POST /messages"``; None matches any call except the long poll.
        ``http5xx``: the call is not executed (502 and 504 answer a gateway's HTML page, 500
        and 503 MAX's JSON).  ``done_then_504`` / ``done_then_drop``: the call IS executed
        (the message reaches the user), then a gateway answers 504 or the connection drops —
        the case where a client's retry duplicates a message.  ``timeout``: wait ``delay_s``
        virtual seconds, drop the connection, not executed.  ``http429``: refused as over
        the limit.  ``attachment_not_ready``: a send or edit is refused with
        ``attachment.not.ready``, as MAX answers while an upload is being processed.
        """
        self._add_fault(kind, method, count, delay_s)

    # ---- inspection --------------------------------------------------------------------

    @property
    def last_update_seq(self) -> int:
        """The sequence number of the update queued last."""
        return self._next_seq - 1

    def handled(self, seq: int) -> bool:
        """The bot confirmed update ``seq``: a later long poll carried a marker past it (maxapi
        moves its marker only after handling a batch) or the webhook answered 200."""
        return seq < self._acked

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot, oldest first."""
        return [update for seq, update in self._updates if seq >= self._acked]

    def sent(self, user_id: int | None = None) -> list[MaxCall]:
        """User-visible calls that took effect (sends, edits, deletes, callback answers),
        including those whose answer was then lost."""
        return [
            call
            for call in self.calls
            if call.done
            and call.method in _USER_VISIBLE
            and (user_id is None or call.user_id == user_id)
        ]

    def messages(self, user_id: int) -> dict[str, dict[str, Any]]:
        """The bot's messages in the dialog with ``user_id`` as the user now sees them.

        Values: ``text`` (as sent, markup included), ``plain_text``, ``format``,
        ``keyboard`` (rows of button dicts, or None), ``attachments`` (request shapes) and
        ``edited``.
        """
        dialog = self._dialogs.get(user_id)
        if dialog is None:
            return {}
        return {
            mid: {
                "text": m.raw_text,
                "plain_text": m.plain_text,
                "format": m.format,
                "keyboard": self._keyboard(m),
                "attachments": list(m.attachments),
                "edited": m.edited,
            }
            for mid, m in dialog.messages.items()
            if m.from_bot
        }

    def button_payloads(self, mid: str) -> list[str]:
        """The callback payloads on message ``mid``'s keyboard, row by row."""
        message = self._by_mid.get(mid)
        rows = self._keyboard(message) if message is not None else None
        return [
            str(button["payload"])
            for row in rows or []
            for button in row
            if button.get("type") == "callback"
        ]

    def subscriptions(self) -> list[dict[str, Any]]:
        """Webhook subscriptions: ``url``, ``update_types`` and ``secret``."""
        return [
            {"url": s.url, "update_types": s.update_types, "secret": s.secret}
            for s in self._subscriptions.values()
        ]

    def report(self) -> list[dict[str, Any]]:
        """Every call except the long polls, for the sandbox report's ``max`` list."""
        return [call.report() for call in self.calls if call.method != "GET /updates"]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait (real seconds) until ``predicate()`` holds; it is re-checked after every call
        and every webhook delivery.  Raises ``TimeoutError``."""
        try:
            async with asyncio.timeout(timeout), self._calls_cond:
                await self._calls_cond.wait_for(predicate)
        except TimeoutError:
            raise TimeoutError(f"the fake MAX did not get there within {timeout} s") from None

    async def wait_handled(self, seq: int, timeout: float = 10.0) -> None:
        """Wait (real seconds) until the bot confirmed update ``seq``; ``TimeoutError``."""
        await self.wait_until(lambda: self.handled(seq), timeout)

    # ---- HTTP layer --------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received_at = self._clock.now()
        path = request.match_info["path"].strip("/")
        verb, name, match = self._route(request.method, path)
        method = "POST /upload" if name == "upload/{id}" else f"{verb} /{name}"
        req = _Req(method=method, query=dict(request.query), body=None, match=match)
        status, result = 200, None
        error: str | None = None
        message = ""
        done = dropped = bare = False
        try:
            await self._read_body(request, req)
            if method != "POST /upload":
                self._authorize(request)
            fault = self._take_fault(method)
            if fault is not None and fault.kind not in ("done_then_504", "done_then_drop"):
                await self._apply_fault(fault)
            if method not in _UNMETERED:
                self._check_global_rate()
            handler = self._handlers.get((verb, name))
            if handler is None:
                raise _ApiError(404, "not.found", f"Path /{path} not found")
            result = await handler(req)
            done = True
            if fault is not None and fault.kind == "done_then_504":
                raise _Bare(504, "gateway.timeout", "Gateway Time-out (after the call was done)")
            if fault is not None and fault.kind == "done_then_drop":
                raise _Dropped(502, "connection dropped after the call was done")
        except _ApiError as exc:
            status, error, message = exc.status, exc.code, exc.message
            bare = isinstance(exc, _Bare)
        except _Dropped as exc:
            status, error, dropped = exc.status, exc.error, True
        answer: Any = None
        if not (dropped or bare):
            answer = result if status == 200 else {"code": error, "message": message}
        call = MaxCall(
            at=received_at,
            method=method,
            user_id=req.user_id,
            chat_id=req.chat_id,
            text=req.text,
            query=req.query,
            body=req.body,
            status=status,
            mid=req.mid,
            error=error,
            done=done,
            answer=answer,
        )
        await self._record(call)
        if dropped:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=status)
        if bare:
            page = f"<html><body><center><h1>{status} {message}</h1></center></body></html>"
            return web.Response(status=status, text=page, content_type="text/html")
        return web.json_response(answer, status=status)

    @staticmethod
    def _route(verb: str, path: str) -> tuple[str, str, dict[str, str]]:
        parts = path.split("/")
        if len(parts) == 2 and parts[0] in ("chats", "upload"):
            return verb, f"{parts[0]}/{{id}}", {"id": parts[1]}
        return verb, path, {}

    async def _read_body(self, request: web.Request, req: _Req) -> None:
        if not request.can_read_body:
            return
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, FileField):
                    data = value.file.read()
                    req.files[key] = (value.filename, data, value.content_type)
            req.body = {k: {"filename": f, "size": len(d)} for k, (f, d, _) in req.files.items()}
            return
        raw = await request.read()
        if not raw:
            return
        try:
            req.body = json.loads(raw)
        except ValueError:
            raise _bad("Request body is not JSON") from None

    def _authorize(self, request: web.Request) -> None:
        """The token goes in the ``Authorization`` header; ``?access_token=`` is refused since
        MAX stopped accepting query-string tokens (dev.max.ru)."""
        if request.headers.get("Authorization") != self.token:
            raise _ApiError(401, "verify.token", "Invalid access_token")

    async def _apply_fault(self, fault: Fault) -> None:
        """Fail the current call as the injected fault says (always raises)."""
        if fault.kind == "http500":
            raise _ApiError(500, "internal.error", "Internal error")
        if fault.kind == "http503":
            raise _ApiError(503, "service.unavailable", "Service unavailable")
        if fault.kind == "http502":
            raise _Bare(502, "bad.gateway", "Bad Gateway")
        if fault.kind == "http504":
            raise _Bare(504, "gateway.timeout", "Gateway Time-out")
        if fault.kind == "http429":
            raise _ApiError(429, "too.many.requests", "Too many requests")
        if fault.kind == "attachment_not_ready":
            raise _ApiError(400, "attachment.not.ready", "")
        await self._sleep_unless_stopped(fault.delay_s)
        raise _Dropped(504, f"no answer after {fault.delay_s} s (injected timeout)")

    def _check_global_rate(self) -> None:
        window = self._global_window
        window.capacity = max(1, self.limits.global_per_s)
        now = self._clock.monotonic()
        if self.limits.enforce and window.wait(now) is not None:
            raise _ApiError(429, "too.many.requests", "Too many requests")
        window.add(now)

    def _check_chat_rate(self, chat_id: int) -> None:
        """Refuse with 429 when one more message in ``chat_id`` would exceed 2 a second."""
        rate = max(self.limits.per_chat_per_s, 1e-9)
        window = self._chat_windows.setdefault(chat_id, Window(2, 1.0))
        window.window = max(1.0, 1.0 / rate)
        window.capacity = max(1, int(rate * window.window))
        now = self._clock.monotonic()
        if self.limits.enforce and window.wait(now) is not None:
            raise _ApiError(429, "too.many.requests", "Too many requests")
        window.add(now)

    # ---- helpers -----------------------------------------------------------------------

    def _ms(self) -> int:
        return math.floor(self._clock.now().timestamp() * 1000)

    def _bot_user(self) -> dict[str, Any]:
        return {
            "user_id": self.bot_id,
            "first_name": "Отклик",
            "last_name": None,
            "username": self.bot_username,
            "is_bot": True,
            "last_activity_time": self._ms(),
            "name": "Отклик",
        }

    def _known(self, user_id: int) -> _Dialog:
        dialog = self._dialogs.get(user_id)
        if dialog is None:
            raise LookupError(f"unknown MAX user {user_id}")
        return dialog

    def _touch(self, user_id: int, first_name: str | None, last_name: str | None) -> _Dialog:
        if user_id not in self._dialogs or first_name is not None:
            current = self._dialogs.get(user_id)
            default = current.user["first_name"] if current else f"User{user_id}"
            self.add_user(user_id, first_name or default, last_name)
        dialog = self._dialogs[user_id]
        dialog.user["last_activity_time"] = self._ms()
        return dialog

    def _push_update(self, update_type: str, payload: dict[str, Any]) -> int:
        seq = self._next_seq
        self._next_seq += 1
        self._updates.append(
            (seq, {"update_type": update_type, "timestamp": self._ms(), **payload})
        )
        self._updates_event.set()
        return seq

    def _new_message(self, dialog: _Dialog, *, from_bot: bool) -> _Message:
        mid = f"mid.{self._next_mid:032x}"
        self._next_mid += 1
        seq = self._next_message_seq
        self._next_message_seq += 1
        message = _Message(
            mid=mid,
            seq=seq,
            user_id=dialog.user_id,
            from_bot=from_bot,
            timestamp=self._ms(),
            raw_text=None,
            format=None,
            plain_text=None,
            markup=[],
            attachments=[],
        )
        self._by_mid[mid] = message
        return message

    def _message_obj(self, message: _Message) -> dict[str, Any]:
        """A MAX ``Message`` object for the current state of ``message``."""
        dialog = self._dialogs[message.user_id]
        body: dict[str, Any] = {
            "mid": message.mid,
            "seq": message.seq,
            "text": message.plain_text,
            "attachments": [self._attachment_obj(a) for a in message.attachments],
        }
        if message.markup:
            body["markup"] = [dict(m) for m in message.markup]
        return {
            "sender": self._bot_user() if message.from_bot else dict(dialog.user),
            "recipient": {
                "chat_id": dialog.chat_id,
                "chat_type": "dialog",
                "user_id": dialog.user_id if message.from_bot else self.bot_id,
            },
            "timestamp": message.timestamp,
            "body": body,
        }

    def _attachment_obj(self, request: dict[str, Any]) -> dict[str, Any]:
        """The ``Attachment`` a message shows for an ``AttachmentRequest`` the bot sent."""
        kind = request["type"]
        payload = request.get("payload") or {}
        if kind == "inline_keyboard":
            rows = [[self._button_obj(b) for b in row] for row in payload["buttons"]]
            return {"type": kind, "payload": {"buttons": rows}}
        token = str(payload.get("token") or "")
        url = f"{self.base_url}/files/{token}"
        if kind == "image":
            photo_id = int(token.rsplit(".", 1)[-1]) if token.startswith("img.") else 0
            if not token:
                url = str(payload.get("url"))
            return {"type": kind, "payload": {"photo_id": photo_id, "token": token, "url": url}}
        upload = self.uploads[token]
        return {
            "type": kind,
            "payload": {"url": url, "token": token},
            "filename": upload.filename,
            "size": upload.size,
        }

    @staticmethod
    def _button_obj(button: dict[str, Any]) -> dict[str, Any]:
        """A button as MAX shows it: the schema's fields only (maxapi sends ``intent`` too,
        which the July 2026 schema no longer lists on a callback button)."""
        key = "payload" if button["type"] == "callback" else "url"
        return {"type": button["type"], "text": button["text"], key: button[key]}

    @staticmethod
    def _keyboard(message: _Message) -> list[list[dict[str, Any]]] | None:
        for attachment in message.attachments:
            if attachment["type"] == "inline_keyboard":
                rows: list[list[dict[str, Any]]] = attachment["payload"]["buttons"]
                return rows
        return None

    def _addressee(self, req: _Req) -> _Dialog:
        """The dialog ``POST /messages`` is for (``user_id`` or ``chat_id``); 404 when
        unknown, 403 ``chat.denied`` when the user stopped the bot."""
        raw_user, raw_chat = req.query.get("user_id"), req.query.get("chat_id")
        try:
            user_id = int(raw_user) if raw_user else None
            chat_id = int(raw_chat) if raw_chat else None
        except ValueError:
            raise _bad("user_id / chat_id: not a number") from None
        if chat_id is not None:
            user_id = self._by_chat.get(chat_id)
            req.chat_id = chat_id
            if user_id is None:
                raise _ApiError(404, "chat.not.found", f"Chat {chat_id} not found")
        if user_id is None:
            raise _bad("user_id or chat_id is required")
        req.user_id = user_id
        dialog = self._dialogs.get(user_id)
        if dialog is None:
            raise _ApiError(404, "chat.not.found", f"Dialog with user {user_id} not found")
        req.chat_id = dialog.chat_id
        self._check_reachable(dialog)
        return dialog

    def _dialog_in_chat(self, req: _Req, raw: str, name: str) -> _Dialog:
        """The dialog whose chat id is ``raw`` (the call is recorded as about it); 404 when
        no dialog has that chat."""
        try:
            chat_id = int(raw)
        except ValueError:
            raise _bad(f"{name}: not a number") from None
        user_id = self._by_chat.get(chat_id)
        if user_id is None:
            raise _ApiError(404, "chat.not.found", f"Chat {chat_id} not found")
        req.user_id, req.chat_id = user_id, chat_id
        return self._dialogs[user_id]

    @staticmethod
    def _check_reachable(dialog: _Dialog) -> None:
        if dialog.blocked:
            raise _ApiError(
                403, "chat.denied", f"Key: error.dialog.suspended, args: [{dialog.chat_id},]."
            )

    def _target_message(self, req: _Req) -> _Message:
        mid = req.query.get("message_id", "")
        if not mid:
            raise _bad("message_id is required")
        message = self._by_mid.get(mid)
        if message is None:
            raise _ApiError(404, "not.found", f"Message {mid} not found")
        req.mid, req.user_id = mid, message.user_id
        req.chat_id = self._dialogs[message.user_id].chat_id
        if not message.from_bot:
            raise _ApiError(403, "access.denied", "The bot can edit only its own messages")
        return message

    # ---- request bodies ----------------------------------------------------------------

    def _content(self, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
        """Check a ``NewMessageBody``; return it and its attachments (None: not given)."""
        if not isinstance(body, dict):
            raise _bad("Request body must be a NewMessageBody object")
        unknown = sorted(set(body) - _BODY_KEYS)
        if unknown:
            raise _bad(f"Unknown field(s) {', '.join(unknown)}")
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise _bad("text: must be a string")
        if isinstance(text, str) and len(text) > MAX_TEXT_LEN:
            raise _bad(f"text: size must be between 0 and {MAX_TEXT_LEN}")
        if body.get("format") not in (None, "html", "markdown"):
            raise _bad("format: must be html or markdown")
        if "notify" in body and not isinstance(body["notify"], bool):
            raise _bad("notify: must be a boolean")
        link = body.get("link")
        if link is not None and (
            not isinstance(link, dict)
            or link.get("type") not in ("reply", "forward")
            or not isinstance(link.get("mid"), str)
        ):
            raise _bad("link: must be {type: reply|forward, mid}")
        attachments = body.get("attachments")
        if attachments is None:
            return body, None
        if not isinstance(attachments, list):
            raise _bad("attachments: must be an array")
        checked = [self._check_attachment(a) for a in attachments]
        if sum(1 for a in checked if a["type"] == "inline_keyboard") > 1:
            raise _bad("attachments: only one inline keyboard per message")
        return body, checked

    def _check_attachment(self, attachment: Any) -> dict[str, Any]:
        if not isinstance(attachment, dict) or not isinstance(attachment.get("type"), str):
            raise _bad("attachments: each must be an object with a type")
        kind = attachment["type"]
        payload = attachment.get("payload")
        if kind == "inline_keyboard":
            if not isinstance(payload, dict):
                raise _bad("inline_keyboard: payload.buttons is required")
            self._check_keyboard(payload.get("buttons"))
            return {"type": kind, "payload": {"buttons": payload["buttons"]}}
        if kind in ("image", "file"):
            if not isinstance(payload, dict):
                raise _bad(f"{kind}: payload is required")
            token = payload.get("token")
            if kind == "image" and token is None and isinstance(payload.get("url"), str):
                return {"type": kind, "payload": {"url": payload["url"]}}
            upload = self.uploads.get(str(token)) if token is not None else None
            if upload is None or upload.kind != kind:
                raise _ApiError(400, "attachment.not.found", f"{kind}: unknown token {token!r}")
            return {"type": kind, "payload": {"token": token}}
        raise _bad(f"attachments: type {kind!r} is not supported by the fake")

    @staticmethod
    def _check_keyboard(rows: Any) -> None:
        if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
            raise _bad("inline_keyboard: buttons must be a non-empty array of rows")
        if len(rows) > MAX_ROWS:
            raise _bad(f"inline_keyboard: at most {MAX_ROWS} rows")
        if sum(len(row) for row in rows) > MAX_BUTTONS:
            raise _bad(f"inline_keyboard: at most {MAX_BUTTONS} buttons")
        for row in rows:
            if not row or len(row) > MAX_ROW_BUTTONS:
                raise _bad(f"inline_keyboard: 1 to {MAX_ROW_BUTTONS} buttons in a row")
            links = 0
            for button in row:
                if not isinstance(button, dict):
                    raise _bad("inline_keyboard: a button must be an object")
                text = button.get("text")
                if not isinstance(text, str) or not 1 <= len(text) <= MAX_BUTTON_TEXT:
                    raise _bad(f"button.text: size must be between 1 and {MAX_BUTTON_TEXT}")
                kind = button.get("type")
                if kind == "callback":
                    payload = button.get("payload")
                    if not isinstance(payload, str) or not payload:
                        raise _bad("callback button: payload is required")
                    if len(payload) > MAX_CALLBACK_PAYLOAD:
                        raise _bad(f"callback button: payload over {MAX_CALLBACK_PAYLOAD}")
                elif kind == "link":
                    links += 1
                    url = button.get("url")
                    if not isinstance(url, str) or not url or len(url) > MAX_LINK_URL:
                        raise _bad(f"link button: url of 1 to {MAX_LINK_URL} characters")
                else:
                    # MAX also has request_contact, request_geo_location, open_app, message
                    # and clipboard buttons; Otklik uses none, so the fake refuses them.
                    raise _bad(f"button: type {kind!r} is not supported by the fake")
            if links > MAX_ROW_LINK_BUTTONS:
                raise _bad(f"inline_keyboard: at most {MAX_ROW_LINK_BUTTONS} link buttons a row")

    @staticmethod
    def _render(text: str | None, fmt: str | None) -> tuple[str | None, list[dict[str, Any]]]:
        if text is None:
            return None, []
        if fmt == "html":
            return parse_max_html(text)
        if fmt == "markdown":
            return parse_max_markdown(text)
        return text, []

    def _apply(
        self, message: _Message, body: dict[str, Any], attachments: list[dict[str, Any]] | None
    ) -> None:
        """Edit semantics: a missing or null ``text`` / ``attachments`` keeps what the
        message has; ``attachments: []`` removes them all (buttons included)."""
        if body.get("text") is not None:
            message.raw_text = body["text"]
            message.format = body.get("format")
            message.plain_text, message.markup = self._render(message.raw_text, message.format)
        if attachments is not None:
            message.attachments = attachments
        message.edited = True

    # ---- method handlers ---------------------------------------------------------------

    async def _get_me(self, req: _Req) -> Any:
        me = self._bot_user()
        if self.commands:
            me["commands"] = [dict(c) for c in self.commands]
        return me

    async def _set_commands(self, req: _Req) -> Any:
        """``PATCH /me/commands`` (maxapi ``set_commands``; dev.max.ru, not in the July
        schema): the whole list replaced, up to 32, ``[]`` removes them all."""
        body = req.body if req.body is not None else {}
        if not isinstance(body, dict) or set(body) - {"commands"}:
            raise _bad("Request body must be {commands}")
        commands = body.get("commands")
        if commands is None:
            return {"commands": [dict(c) for c in self.commands]}
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise _bad(f"commands: an array of at most {MAX_COMMANDS}")
        checked: list[dict[str, Any]] = []
        for command in commands:
            if not isinstance(command, dict) or set(command) - {"name", "description"}:
                raise _bad("command: {name, description}")
            name, description = command.get("name"), command.get("description")
            if not isinstance(name, str) or not 1 <= len(name) <= 64:
                raise _bad("command.name: 1 to 64 characters")
            if description is not None and (
                not isinstance(description, str) or not 1 <= len(description) <= 128
            ):
                raise _bad("command.description: 1 to 128 characters")
            checked.append({"name": name, "description": description})
        self.commands = checked
        return {"commands": [dict(c) for c in checked]}

    async def _get_updates(self, req: _Req) -> Any:
        limit = _int_param(req, "limit", low=1, high=MAX_POLL_LIMIT, default=100)
        timeout = _int_param(req, "timeout", low=0, high=MAX_POLL_TIMEOUT, default=30)
        marker: int | None = None
        if req.query.get("marker") not in (None, "", "null"):
            marker = _int_param(req, "marker", low=0, high=2**63 - 1, default=0)
        raw_types = req.query.get("types", "")
        types = {t for t in raw_types.split(",") if t} or None
        if marker is not None:
            self._confirm(marker)
            self._pointer = marker
            await self._wake_waiters()  # the bot has handled what came before: say so now
        cutoff = self._ms() - UPDATE_TTL_S * 1000
        self._updates = [(s, u) for s, u in self._updates if u["timestamp"] >= cutoff]

        def batch() -> list[tuple[int, dict[str, Any]]]:
            if self._subscriptions:
                return []  # updates go to the webhook; a poll gets nothing
            return [
                (s, u)
                for s, u in self._updates
                if s >= self._pointer and (types is None or u["update_type"] in types)
            ][:limit]

        await self._long_poll(lambda: bool(batch()), timeout)
        found = batch()
        if found:
            self._pointer = found[-1][0] + 1
        elif not self._subscriptions:
            self._pointer = self._next_seq if types is not None else self._pointer
        return {"updates": [u for _, u in found], "marker": self._pointer}

    def _confirm(self, marker: int) -> None:
        """The bot has handled every update below ``marker``: forget them."""
        self._acked = max(self._acked, marker)
        self._updates = [(s, u) for s, u in self._updates if s >= self._acked]

    async def _get_subscriptions(self, req: _Req) -> Any:
        return {
            "subscriptions": [
                {"url": s.url, "time": s.time, "update_types": s.update_types}
                for s in self._subscriptions.values()
            ]
        }

    async def _subscribe(self, req: _Req) -> Any:
        body = req.body
        if not isinstance(body, dict) or not isinstance(body.get("url"), str) or not body["url"]:
            raise _bad("url is required")
        unknown = sorted(set(body) - {"url", "update_types", "secret", "version"})
        if unknown:
            raise _bad(f"Unknown field(s) {', '.join(unknown)}")
        url = body["url"]
        if self.require_https_webhook and not url.startswith("https://"):
            raise _bad("url: only HTTPS webhooks with a trusted certificate are accepted")
        secret = body.get("secret")
        if secret is not None and (
            not isinstance(secret, str) or not _SECRET_RE.fullmatch(secret)
        ):
            raise _bad("secret: 5 to 256 characters of a-z, A-Z, 0-9, _ and -")
        types = body.get("update_types")
        if types is not None and (
            not isinstance(types, list) or not all(isinstance(t, str) and t for t in types)
        ):
            raise _bad("update_types: must be an array of strings")
        self._subscriptions[url] = _Subscription(url, self._ms(), types or None, secret)
        self._start_webhook()
        return {"success": True}

    async def _unsubscribe(self, req: _Req) -> Any:
        url = req.query.get("url", "")
        if not url:
            raise _bad("url is required")
        if self._subscriptions.pop(url, None) is None:
            return {"success": False, "message": f"No subscription for {url}"}
        if not self._subscriptions:
            await self._stop_webhook()
        return {"success": True}

    async def _get_messages(self, req: _Req) -> Any:
        """``GET /messages`` by ``message_ids`` or by ``chat_id`` (newest first, ``count`` of
        them): how a sender finds out whether a send whose answer was lost got through."""
        if "from" in req.query or "to" in req.query:
            raise _bad("from / to: not supported by the fake")
        count = _int_param(req, "count", low=1, high=100, default=50)
        ids = [m for m in req.query.get("message_ids", "").split(",") if m]
        if ids:
            found = [self._by_mid[m] for m in ids if m in self._by_mid]
        elif req.query.get("chat_id"):
            dialog = self._dialog_in_chat(req, req.query["chat_id"], "chat_id")
            self._check_reachable(dialog)
            found = sorted(dialog.messages.values(), key=lambda m: m.seq, reverse=True)[:count]
        else:
            raise _bad("chat_id or message_ids is required")
        return {"messages": [self._message_obj(m) for m in found]}

    async def _send_message(self, req: _Req) -> Any:
        dialog = self._addressee(req)
        body, attachments = self._content(req.body)
        text = body.get("text")
        req.text = text if isinstance(text, str) else None
        if not text and not attachments:
            raise _bad("text or attachments are required")
        self._check_chat_rate(dialog.chat_id)
        message = self._new_message(dialog, from_bot=True)
        message.raw_text = text
        message.format = body.get("format")
        message.plain_text, message.markup = self._render(text, message.format)
        message.attachments = attachments or []
        dialog.messages[message.mid] = message
        req.mid = message.mid
        return {"message": self._message_obj(message)}

    async def _edit_message(self, req: _Req) -> Any:
        message = self._target_message(req)
        dialog = self._dialogs[message.user_id]
        self._check_reachable(dialog)
        body, attachments = self._content(req.body)
        text = body.get("text")
        req.text = text if isinstance(text, str) else None
        self._check_chat_rate(dialog.chat_id)
        self._apply(message, body, attachments)
        return {"success": True}

    async def _delete_message(self, req: _Req) -> Any:
        message = self._target_message(req)
        dialog = self._dialogs[message.user_id]
        self._check_chat_rate(dialog.chat_id)
        del dialog.messages[message.mid]
        del self._by_mid[message.mid]
        return {"success": True}

    async def _answer(self, req: _Req) -> Any:
        callback_id = req.query.get("callback_id", "")
        callback = self._callbacks.get(callback_id)
        if callback is None or callback.answered:
            raise _ApiError(400, "callback.not.found", "Callback is answered or expired")
        dialog = self._dialogs[callback.user_id]
        req.user_id, req.chat_id, req.mid = callback.user_id, dialog.chat_id, callback.mid
        body = req.body if req.body is not None else {}
        if not isinstance(body, dict) or set(body) - {"message", "notification"}:
            raise _bad("Request body must be a CallbackAnswer {message, notification}")
        notification = body.get("notification")
        if notification is not None and not isinstance(notification, str):
            raise _bad("notification: must be a string")
        new_message = body.get("message")
        if new_message is None and not notification:
            raise _bad("message or notification is required")
        content = self._content(new_message) if new_message is not None else None
        req.text = notification or (content[0].get("text") if content else None)
        self._check_chat_rate(dialog.chat_id)
        if content is not None:
            message = self._by_mid.get(callback.mid)
            if message is None:
                raise _ApiError(404, "not.found", f"Message {callback.mid} not found")
            self._apply(message, content[0], content[1])
        if notification:
            self.notifications.append((callback.user_id, notification))
        callback.answered = True
        return {"success": True}

    async def _upload_url(self, req: _Req) -> Any:
        kind = req.query.get("type", "")
        if kind not in ("image", "file", "video", "audio"):
            raise _bad("type: must be one of image, video, audio, file")
        slot = f"{self._next_upload:08d}"
        self._next_upload += 1
        token = f"{kind}.{slot}" if kind in ("video", "audio") else None
        self._slots[slot] = (kind, token)
        answer: dict[str, Any] = {"url": f"{self.base_url}/upload/{slot}"}
        if token is not None:
            answer["token"] = token
        return answer

    async def _upload(self, req: _Req) -> Any:
        """The upload host: a multipart ``data`` part; answers the token(s) to attach."""
        slot = self._slots.pop(req.match["id"], None)
        if slot is None:
            raise _ApiError(404, "not.found", "Upload URL is unknown or used")
        kind, token = slot
        part = req.files.get("data")
        if part is None:
            raise _bad("multipart field 'data' is required")
        filename, data, content_type = part
        if kind == "image" and not _is_image(data):
            raise _bad("Unsupported image format")
        if kind == "image":
            photo_id = int(req.match["id"])
            token = f"img.{photo_id}"
            answer: dict[str, Any] = {"photos": {str(photo_id): {"token": token}}}
        else:
            token = token or f"file.{req.match['id']}"
            answer = {"token": token}
        self.uploads[token] = Upload(kind, filename, len(data), data, content_type)
        return answer

    async def _get_chat(self, req: _Req) -> Any:
        """``GET /chats/{chatId}`` (maxapi asks it for every event unless ``auto_requests``
        is off).  ``GET /chats``, the list, is gone since June 2026 (maxapi 1.2.3
        deprecates ``get_chats``; the July schema gives it no answer): the fake has no route
        for it, a bot keeps its chats from ``bot_started`` / ``bot_stopped`` itself."""
        dialog = self._dialog_in_chat(req, req.match["id"], "chatId")
        return {
            "chat_id": dialog.chat_id,
            "type": "dialog",
            "status": "active",
            "title": None,
            "icon": None,
            "last_event_time": self._ms(),
            "participants_count": 2,
            "is_public": False,
            "description": None,
            "dialog_with_user": dict(dialog.user),
        }

    # ---- webhook delivery --------------------------------------------------------------

    def _start_webhook(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_loop())
        self._updates_event.set()

    async def _stop_webhook(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver_loop(self) -> None:
        """Push confirmed-in-order updates to every subscription, one update per request,
        retrying each every :data:`WEBHOOK_RETRY_S` virtual seconds until it gets 200; a
        subscription failing for 8 hours of an update's life is dropped, as MAX does."""
        while self._subscriptions and not self._stop_event.is_set():
            pending = [(s, u) for s, u in self._updates if s >= self._acked]
            if not pending:
                self._updates_event.clear()
                await self._updates_event.wait()
                continue
            seq, update = pending[0]
            delivered = True
            for sub in list(self._subscriptions.values()):
                if sub.update_types is not None and update["update_type"] not in sub.update_types:
                    continue
                if not await self._post_update(sub, seq, update):
                    delivered = False
                    age_s = (self._ms() - update["timestamp"]) / 1000
                    if age_s >= WEBHOOK_GIVE_UP_S:
                        self._subscriptions.pop(sub.url, None)
            if delivered or not self._subscriptions:
                self._confirm(seq + 1)
                await self._wake_waiters()
                continue
            await self._sleep_unless_stopped(self.webhook_retry_s)

    async def _post_update(self, sub: _Subscription, seq: int, update: dict[str, Any]) -> bool:
        assert self._http is not None
        headers = {SECRET_HEADER: sub.secret} if sub.secret else {}
        status: int | None = None
        try:
            async with self._http.post(sub.url, json=update, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = None
        self.deliveries.append(
            WebhookDelivery(
                at=self._clock.now(),
                url=sub.url,
                update_type=update["update_type"],
                seq=seq,
                status=status,
                secret_sent=bool(sub.secret),
                update=update,
            )
        )
        await self._wake_waiters()
        return status == 200
