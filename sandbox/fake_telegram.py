"""An in-process fake of the Telegram Bot API that the real aiogram talks to over HTTP.

Why a fake server rather than a mocked session: the alert path of Otklik fails in production
in ways that only show up on the wire — HTML that Telegram refuses to parse (citizen comments
full of ``<`` and ``&``), flood limits answered with 429 and ``retry_after``, users who blocked
the bot, edits that change nothing, callback data longer than 64 bytes.  Pointing the real
``AiohttpSession`` at this server exercises aiogram's form encoding, JSON decoding and error
mapping (``TelegramRetryAfter``, ``TelegramForbiddenError``, ``TelegramBadRequest``,
``TelegramServerError``, ``TelegramNetworkError``) exactly as production does::

    fake = FakeTelegram(clock)
    await fake.start()
    bot = Bot("42:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))

Rate limits are measured on the injected :class:`~config.clock.Clock`'s ``monotonic()`` scale,
so a ``VirtualClock`` running 60x faster makes "20 messages per minute" last one real second
and a ``ManualClock`` makes limits fully deterministic in unit tests.

The server runs on the caller's event loop; all public methods must be called from that loop.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from aiohttp.web_request import FileField

from config.clock import Clock
from sandbox.fake_common import FakeServer, Fault, Window, utf16_len

__all__ = [
    "FakeTelegram",
    "HtmlParseError",
    "LocalAiohttpSession",
    "TelegramLimits",
    "TgCall",
    "parse_html",
]

FaultKind = Literal["http500", "http502", "timeout", "http429"]

#: Telegram answers 4096 characters (Unicode code points after entity parsing) at most.
MAX_TEXT_LEN = 4096
#: Captions of photos and documents are limited to 1024 characters.
MAX_CAPTION_LEN = 1024
#: ``callback_data`` of an inline button is limited to 64 bytes (UTF-8).
MAX_CALLBACK_DATA_BYTES = 64

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")

#: Methods that put something in front of a user; they count toward flood limits (Telegram
#: counts edits as well) and are what :meth:`FakeTelegram.sent` reports.
_RATE_LIMITED = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
_USER_VISIBLE = _RATE_LIMITED | {"deleteMessage"}

# Form fields that aiogram serialises as JSON strings.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)

# Scalar form fields decoded to int / bool, so tests can compare ``params`` with Python values.
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "user_id",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
    }
)

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass
class TelegramLimits:
    """Flood limits the fake enforces, in virtual seconds of the injected clock.

    Defaults follow Telegram's published guidance: about one message per second to a private
    chat, 20 messages per minute to a group, 30 messages per second overall.
    """

    per_chat_per_s: float = 1.0
    per_group_per_min: int = 20
    global_per_s: int = 30
    enforce: bool = True
    burst: int = 1


@dataclass(frozen=True)
class TgCall:
    """One request the fake received, kept so tests can assert on what the bot did."""

    at: datetime
    method: str
    chat_id: int | None
    text: str | None
    params: dict[str, Any]
    status: int
    message_id: int | None
    error: str | None
    #: Issue 14: the files uploaded with the call (field, file name, bytes), so what was
    #: sent (a digest's PNG, a week's xlsx) can be kept and opened.
    files: tuple[tuple[str, str, bytes], ...] = ()


#: The request's uploaded files, kept for the call's record.
_UPLOADS = web.RequestKey("otklik_uploads", list[tuple[str, str, bytes]])


class LocalAiohttpSession(AiohttpSession):
    """aiogram's real HTTP session, minus the 250 ms pause in ``close()``.

    aiogram sleeps after closing so TLS connections can shut down gracefully; the fake is plain
    HTTP on localhost, and that pause would otherwise add a quarter second to every test.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


# --------------------------------------------------------------------------------------------
# HTML parse mode
# --------------------------------------------------------------------------------------------


class HtmlParseError(ValueError):
    """Text is not valid Telegram HTML; the message is what Telegram puts after "can't parse
    entities: "."""


_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "code", "pre", "span", "blockquote"})
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the plain text
    language: str | None = None  # set by a nested <code class="language-x"> inside <pre>


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, index: int) -> tuple[str, int] | None:
    """Decode the HTML entity starting at ``text[index] == '&'``; None when it is not one."""
    match = _ENTITY_RE.match(text, index)
    if match is None:
        return None
    dec, hexa, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES[name], match.end()
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _decode_attr(value: str) -> str:
    """Decode entities in an attribute value, keeping a bare '&' (URLs often contain one)."""
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity(value, i)) is not None:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _parse_attrs(text: str, i: int, tag_at: int) -> tuple[dict[str, str], int]:
    """Parse attributes from ``text[i]`` up to and including the closing '>'."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, tag_at)}")
        if text[i] == ">":
            return attrs, i + 1
        if text[i] == "/":
            i += 1
            continue
        name_start = i
        while i < n and not text[i].isspace() and text[i] not in "=>/":
            i += 1
        name = text[name_start:i].lower()
        while i < n and text[i].isspace():
            i += 1
        value = ""
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i].isspace():
                i += 1
            if i < n and text[i] in "\"'":
                quote = text[i]
                end = text.find(quote, i + 1)
                if end < 0:
                    raise HtmlParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, tag_at)}"
                    )
                value = text[i + 1 : end]
                i = end + 1
            else:
                value_start = i
                while i < n and not text[i].isspace() and text[i] != ">":
                    i += 1
                value = text[value_start:i]
        attrs[name] = _decode_attr(value)


def _close_entity(tag: _OpenTag, end: int, stack: list[_OpenTag]) -> dict[str, Any] | None:
    """Turn a closed tag into a MessageEntity dict (None for tags that make no entity)."""
    length = end - tag.start
    entity: dict[str, Any]
    if tag.name in _SIMPLE_TAGS:
        entity = {"type": _SIMPLE_TAGS[tag.name]}
    elif tag.name == "span":
        entity = {"type": "spoiler"}
    elif tag.name == "a":
        href = tag.attrs.get("href")
        if not href:
            return None
        entity = {"type": "text_link", "url": href}
    elif tag.name == "blockquote":
        expandable = "expandable" in tag.attrs
        entity = {"type": "expandable_blockquote" if expandable else "blockquote"}
    elif tag.name == "pre":
        entity = {"type": "pre"}
        if tag.language:
            entity["language"] = tag.language
    else:  # code
        language = tag.attrs.get("class", "")
        if stack and stack[-1].name == "pre" and language.startswith("language-"):
            stack[-1].language = language.removeprefix("language-")
            return None
        entity = {"type": "code"}
    if length <= 0:
        return None
    entity.update(offset=tag.start, length=length)
    return entity


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text and MessageEntity dicts, like the Bot API does.

    Stricter than Telegram in one deliberate way: a bare ``&`` that does not start a supported
    entity (``&lt; &gt; &amp; &quot; &#N; &#xN;``) is rejected, so unescaped citizen text is
    caught in tests even when it happens to contain no ``<``.  Raises :class:`HtmlParseError`.
    """
    out: list[str] = []
    pos = 0  # UTF-16 length of ``out``
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_entity(text, i)
            if decoded is None:
                raise HtmlParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(text, i)}; use "&amp;"'
                )
            out.append(decoded[0])
            pos += utf16_len(decoded[0])
            i = decoded[1]
        elif ch == "<" and text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, i)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            if stack[-1].name != name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                    f'expected "</{stack[-1].name}>", found "</{name}>"'
                )
            tag = stack.pop()
            entity = _close_entity(tag, pos, stack)
            if entity is not None:
                entities.append(entity)
            i = end + 1
        elif ch == "<":
            j = i + 1
            while j < n and not text[j].isspace() and text[j] not in "/>":
                j += 1
            name = text[i + 1 : j].lower()
            if name not in _ALLOWED_TAGS:
                raise HtmlParseError(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
                )
            attrs, i = _parse_attrs(text, j, i)
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise HtmlParseError('Tag "span" must have class "tg-spoiler"')
            stack.append(_OpenTag(name, attrs, pos))
        else:
            out.append(ch)
            pos += 2 if ord(ch) > 0xFFFF else 1
            i += 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --------------------------------------------------------------------------------------------
# Internal state
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """An error answer: HTTP status, Telegram description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


class _TimeoutFault(_ApiError):
    """Raised by an injected ``timeout`` fault: record 504, then drop the connection."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(504, f"Gateway Timeout (injected: no answer after {delay_s} s)")


@dataclass
class _Message:
    """A message in a chat as Telegram stores it (bot's own or a user's)."""

    message_id: int
    chat_id: int
    date: int
    from_bot: bool
    method: str
    raw_text: str | None  # text or caption as the bot sent it (HTML included)
    plain_text: str | None  # after entity parsing
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    media: dict[str, Any] | None = None  # {"photo": [...]} or {"document": {...}}
    edit_date: int | None = None
    from_user: dict[str, Any] | None = None


@dataclass
class _Chat:
    obj: dict[str, Any]  # Telegram Chat object
    user: dict[str, Any] | None  # Telegram User object for private chats
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, _Message] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return int(self.obj["id"])

    def allocate_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1"}
    return bool(value)


def _decode_field(key: str, value: Any, raw: dict[str, Any]) -> Any:
    """Decode one form field: JSON objects, ``attach://`` file references, ints and flags."""
    if key in _JSON_FIELDS and isinstance(value, str):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    if isinstance(value, str) and value.startswith("attach://"):
        return raw.get(value.removeprefix("attach://"), value)
    if key in _INT_FIELDS and (number := _as_int(value)) is not None:
        return number
    if key in _BOOL_FIELDS and isinstance(value, str):
        return _as_bool(value)
    return value


def _scope_key(scope: Any) -> tuple[str, int | str | None, int | None]:
    if not isinstance(scope, dict):
        scope = {"type": "default"}
    chat_id = scope.get("chat_id")
    chat_key = _as_int(chat_id) if _as_int(chat_id) is not None else chat_id
    return str(scope.get("type", "default")), chat_key, _as_int(scope.get("user_id"))


_Handler = Callable[[dict[str, Any]], Awaitable[Any]]


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeTelegram(FakeServer[TgCall]):
    """A stateful fake Bot API: users, chats, messages with edits, updates queue, limits."""

    _SERVICE = "Telegram"
    _ROUTE = "/bot{token}/{method}"
    _POLL_METHOD = "getUpdates"

    def __init__(
        self,
        clock: Clock,
        *,
        limits: TelegramLimits | None = None,
        bot_id: int = 42,
        bot_username: str = "otklik_test_bot",
    ) -> None:
        super().__init__(clock)
        self.limits = limits if limits is not None else TelegramLimits()
        self.bot_id = bot_id
        self.bot_username = bot_username

        self._chats: dict[int, _Chat] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 100_000_001
        self._next_callback_id = 7_000_000_001
        self._next_file_id = 1
        self._callbacks: dict[str, bool] = {}  # id -> answered
        self._commands: dict[tuple[tuple[str, int | str | None, int | None], str], Any] = {}

        self._chat_windows: dict[int, Window] = {}
        self._group_windows: dict[int, Window] = {}
        self._global_window = Window(1, 1.0)
        self._poll_generation = 0
        self._handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
        }
        # Telegram matches method names case-insensitively; calls are recorded canonically.
        self._canonical = {name.lower(): name for name in self._handlers}

    # ---- lifecycle (start, stop, base_url: FakeServer) ----------------------------------

    def make_bot(self, token: str | None = None, **bot_kwargs: Any) -> Bot:
        """A real aiogram ``Bot`` wired to this fake; the caller closes ``bot.session``."""
        session = LocalAiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(token or f"{self.bot_id}:TEST", session=session, **bot_kwargs)

    # ---- world set-up ------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
    ) -> None:
        """Make a private chat with ``user_id`` known, as if the user had pressed /start."""
        if user_id <= 0:
            raise ValueError("user ids are positive; use add_group for group chats")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value is not None:
                user[key] = value
                chat[key] = value
        user["language_code"] = "ru"
        existing = self._chats.get(user_id)
        if existing is None:
            self._chats[user_id] = _Chat(obj=chat, user=user)
        else:
            existing.obj, existing.user = chat, user

    def add_group(self, chat_id: int, title: str) -> None:
        """Make a group chat (negative id) known, as if the bot had been added to it."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        self._chats[chat_id] = _Chat(obj={"id": chat_id, "type": kind, "title": title}, user=None)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: further sends to that chat answer 403."""
        self._known_user_chat(user_id).blocked = True

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot again."""
        self._known_user_chat(user_id).blocked = False

    def push_message(self, from_id: int, text: str) -> int:
        """Queue a private-chat message from a user for getUpdates; returns its update_id.

        An unknown user is registered with a generated name (anyone can write to a bot), and a
        user who had blocked the bot unblocks it by writing.  A leading ``/command`` gets a
        ``bot_command`` entity so aiogram's ``Command`` filter matches.
        """
        chat = self._chats.get(from_id)
        if chat is None:
            self.add_user(from_id, f"User{from_id}")
            chat = self._chats[from_id]
        chat.blocked = False
        assert chat.user is not None
        message_id = chat.allocate_id()
        date = self._unix_now()
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": date,
            "chat": dict(chat.obj),
            "from": dict(chat.user),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        chat.messages[message_id] = _Message(
            message_id=message_id,
            chat_id=chat.id,
            date=date,
            from_bot=False,
            method="user",
            raw_text=text,
            plain_text=text,
            entities=list(message.get("entities", [])),
            reply_markup=None,
            from_user=dict(chat.user),
        )
        return self._push_update({"message": message})

    def push_callback(self, from_id: int, message_id: int, data: str) -> str:
        """Queue a button press on a message the bot sent to ``from_id``; returns the query id."""
        chat = self._chats.get(from_id)
        stored = chat.messages.get(message_id) if chat is not None else None
        if chat is None or chat.user is None or stored is None or not stored.from_bot:
            raise LookupError(f"the bot has no message {message_id} in chat {from_id}")
        callback_id = str(self._next_callback_id)
        self._next_callback_id += 1
        self._callbacks[callback_id] = False
        query = {
            "id": callback_id,
            "from": dict(chat.user),
            "message": self._message_obj(chat, stored),
            "chat_instance": str(-chat.id * 7919),
            "data": data,
        }
        self._push_update({"callback_query": query})
        return callback_id

    def inject_fault(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        count: int = 1,
        delay_s: float = 30.0,
        retry_after: int = 5,
    ) -> None:
        """Make the next ``count`` matching calls fail.

        ``method=None`` matches any method except ``getUpdates`` (so a polling dispatcher does
        not swallow a fault meant for a send); name ``getUpdates`` explicitly to break polling.
        ``http500``/``http502`` answer a JSON error with that status (aiogram raises
        ``TelegramServerError``).  ``timeout`` waits ``delay_s`` seconds of the injected clock
        and then drops the connection without an answer, which aiogram reports as
        ``TelegramNetworkError`` just like a real timeout; the call is not executed.
        ``http429`` refuses with ``retry_after`` (aiogram raises ``TelegramRetryAfter``), as
        Telegram does under flood control whatever the bot's own pacing.
        """
        self._add_fault(kind, method, count, delay_s, retry_after)

    def _fault_key(self, method: str) -> str:
        return method.lower()  # Telegram matches method names case-insensitively

    # ---- inspection --------------------------------------------------------------------

    @property
    def last_update_id(self) -> int:
        """The id of the update queued last (by :meth:`push_message` or
        :meth:`push_callback`), to wait until the bot has handled it."""
        return self._next_update_id - 1

    def sent(self, chat_id: int | None = None) -> list[TgCall]:
        """Successful user-visible calls (sends, edits, deletes), optionally for one chat."""
        return [
            call
            for call in self.calls
            if call.status == 200
            and call.method in _USER_VISIBLE
            and (chat_id is None or call.chat_id == chat_id)
        ]

    def messages(self, chat_id: int) -> dict[int, dict[str, Any]]:
        """The bot's messages in a chat as the user now sees them (after edits and deletes).

        Values: ``text`` (text or caption exactly as sent, HTML included), ``plain_text``
        (after entity parsing), ``reply_markup``, ``method`` (the sending method) and
        ``edited``.
        """
        chat = self._chats.get(chat_id)
        if chat is None:
            return {}
        return {
            message_id: {
                "text": m.raw_text,
                "plain_text": m.plain_text,
                "reply_markup": m.reply_markup,
                "method": m.method,
                "edited": m.edit_date is not None,
            }
            for message_id, m in sorted(chat.messages.items())
            if m.from_bot
        }

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands stored by setMyCommands for exactly this scope (``[]`` if none).

        ``scope`` is a BotCommandScope dict, e.g. ``{"type": "chat", "chat_id": 5}``.
        """
        return list(self._commands.get((_scope_key(scope), language_code), []))

    def menu_for(self, chat_id: int, language_code: str = "") -> list[dict[str, str]]:
        """The command menu a private chat actually shows, resolving scopes like Telegram:
        chat, then all_private_chats, then default; language-specific lists first."""
        scopes: list[dict[str, Any]] = [
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
        for scope in scopes:
            for lang in dict.fromkeys((language_code, "")):
                stored = self._commands.get((_scope_key(scope), lang))
                if stored:
                    return list(stored)
        return []

    # ---- HTTP layer --------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received_at = self._clock.now()
        raw_method = request.match_info["method"]
        method = self._canonical.get(raw_method.lower(), raw_method)
        params = await self._read_params(request)
        chat_id = _as_int(params.get("chat_id"))
        text = params.get("text", params.get("caption"))
        text = text if isinstance(text, str) else None
        status, result, error, retry_after = 200, None, None, None
        drop_connection = False
        try:
            if not _TOKEN_RE.fullmatch(request.match_info["token"]):
                raise _ApiError(401, "Unauthorized")
            fault = self._take_fault(method)
            if fault is not None:
                await self._apply_fault(fault)
            handler = self._handlers.get(method)
            if handler is None:
                raise _ApiError(404, "Not Found: method not found")
            result = await handler(params)
        except _ApiError as exc:
            status, error, retry_after = exc.status, exc.description, exc.retry_after
            drop_connection = isinstance(exc, _TimeoutFault)
        message_id = None
        if status == 200 and method in _USER_VISIBLE:
            if isinstance(result, dict):
                message_id = _as_int(result.get("message_id"))
            else:
                message_id = _as_int(params.get("message_id"))
        call = TgCall(
            at=received_at,
            method=method,
            chat_id=chat_id,
            text=text,
            params=params,
            status=status,
            message_id=message_id,
            error=error,
            files=tuple(request.get(_UPLOADS, ())),
        )
        await self._record(call)
        if drop_connection:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=504)
        if status == 200:
            return web.json_response({"ok": True, "result": result})
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": error}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Decode query, urlencoded, multipart or JSON bodies into one dict.

        JSON-carrying fields (reply_markup, commands, scope...) are parsed, ids and flags become
        int / bool, and uploaded files are replaced by ``{"filename", "size"}``.
        """
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, FileField):
                    content = value.file.read()
                    raw[key] = {"filename": value.filename, "size": len(content)}
                    request.setdefault(_UPLOADS, []).append((key, value.filename, content))
                elif isinstance(value, bytes):
                    raw[key] = value.decode("utf-8", "replace")
                else:
                    raw[key] = value
        params = {key: _decode_field(key, value, raw) for key, value in raw.items()}
        # The multipart parts that carried files are now referenced from the real fields.
        for value in raw.values():
            if isinstance(value, str) and value.startswith("attach://"):
                params.pop(value.removeprefix("attach://"), None)
        return params

    async def _apply_fault(self, fault: Fault) -> None:
        """Fail the current call as the injected fault says (always raises)."""
        if fault.kind == "http500":
            raise _ApiError(500, "Internal Server Error")
        if fault.kind == "http502":
            raise _ApiError(502, "Bad Gateway")
        if fault.kind == "http429":
            retry = fault.retry_after
            raise _ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        await self._sleep_unless_stopped(fault.delay_s)
        raise _TimeoutFault(fault.delay_s)

    # ---- helpers -----------------------------------------------------------------------

    def _unix_now(self) -> int:
        return int(self._clock.now().timestamp())

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Otklik",
            "username": self.bot_username,
        }

    def _push_update(self, payload: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **payload})
        self._updates_event.set()
        return update_id

    def _known_user_chat(self, user_id: int) -> _Chat:
        chat = self._chats.get(user_id)
        if chat is None or chat.user is None:
            raise LookupError(f"unknown user {user_id}")
        return chat

    def _target_chat(self, params: dict[str, Any]) -> _Chat:
        """The chat a call addresses; 400 when unknown, 403 when the user blocked the bot."""
        chat_id = _as_int(params.get("chat_id"))
        if params.get("chat_id") in (None, ""):
            raise _ApiError(400, "Bad Request: chat_id is empty")
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise _ApiError(400, "Bad Request: chat not found")
        if chat.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _target_message(self, chat: _Chat, params: dict[str, Any], missing: str) -> _Message:
        if params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: inline messages are not supported by the fake")
        message_id = _as_int(params.get("message_id"))
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise _ApiError(400, f"Bad Request: {missing}")
        return message

    def _check_rate(self, chat_id: int) -> None:
        """Refuse with 429 when a send would exceed a limit; otherwise count it.

        Window sizes are read from :attr:`limits` on every call, so a test may relax or
        tighten the limits of a running fake.
        """
        now = self._clock.monotonic()
        limits = self.limits
        self._global_window.capacity = max(1, limits.global_per_s)
        windows: list[Window] = [self._global_window]
        if chat_id < 0:
            group = self._group_windows.setdefault(chat_id, Window(1, 60.0))
            group.capacity = max(1, limits.per_group_per_min)
            windows.append(group)
        else:
            rate = max(limits.per_chat_per_s, 1e-9)
            private = self._chat_windows.setdefault(chat_id, Window(1, 1.0))
            private.window = max(1.0, 1.0 / rate)
            private.capacity = max(1, limits.burst, int(rate * private.window))
            windows.append(private)
        if limits.enforce:
            waits = [w for window in windows if (w := window.wait(now)) is not None]
            if waits:
                retry_after = max(1, math.ceil(max(waits) - 1e-9))
                raise _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for window in windows:
            window.add(now)

    def _render(
        self, text: Any, parse_mode: Any, limit: int, empty_error: str, long_error: str
    ) -> tuple[str, list[dict[str, Any]]]:
        if not isinstance(text, str) or not text:
            raise _ApiError(400, empty_error)
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            try:
                plain, entities = parse_html(text)
            except HtmlParseError as exc:
                raise _ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        else:
            plain, entities = text, []
        if not plain.strip():
            raise _ApiError(400, empty_error)
        if len(plain) > limit:
            raise _ApiError(400, long_error)
        return plain, entities

    def _render_caption(self, params: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
        caption = params.get("caption")
        if caption in (None, ""):
            return None, []
        return self._render(
            caption,
            params.get("parse_mode"),
            MAX_CAPTION_LEN,
            "Bad Request: message caption is empty",
            "Bad Request: message caption is too long",
        )

    @staticmethod
    def _validate_markup(markup: Any) -> dict[str, Any] | None:
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
        actions = ("url", "callback_data", "switch_inline_query", "web_app", "login_url", "pay")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
                data = button.get("callback_data")
                if data is not None and (
                    not data or len(str(data).encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
                ):
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not any(key in button for key in actions) and not any(
                    key.startswith(("switch_inline", "copy_", "callback_game")) for key in button
                ):
                    raise _ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
        return markup

    def _message_obj(self, chat: _Chat, message: _Message) -> dict[str, Any]:
        """A Telegram Message object for the current state of ``message``."""
        obj: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": dict(chat.obj),
            "from": self._bot_user() if message.from_bot else message.from_user,
        }
        if message.edit_date is not None:
            obj["edit_date"] = message.edit_date
        if message.media is None:
            obj["text"] = message.plain_text
            if message.entities:
                obj["entities"] = message.entities
        else:
            obj.update(message.media)
            if message.plain_text is not None:
                obj["caption"] = message.plain_text
                if message.entities:
                    obj["caption_entities"] = message.entities
        if message.reply_markup is not None and "inline_keyboard" in message.reply_markup:
            obj["reply_markup"] = message.reply_markup
        return obj

    def _new_file_ids(self) -> tuple[str, str]:
        number = self._next_file_id
        self._next_file_id += 1
        return f"FAKEFILE{number:08d}", f"U{number:08d}"

    # ---- method handlers ---------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        offset = _as_int(params.get("offset")) or 0
        limit = min(100, max(1, _as_int(params.get("limit")) or 100))
        timeout = max(0.0, float(_as_int(params.get("timeout")) or 0))
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        # A newer getUpdates terminates an older one still waiting, like Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_event.set()
        self._updates_event.clear()

        def superseded() -> None:
            if generation != self._poll_generation:
                raise _ApiError(409, _CONFLICT)

        await self._long_poll(lambda: bool(self._updates), timeout, superseded)
        return self._updates[:limit]

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        if _as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _commands_key(
        self, params: dict[str, Any]
    ) -> tuple[tuple[str, int | str | None, int | None], str]:
        scope = params.get("scope")
        key = _scope_key(scope)
        if key[0] in {"chat", "chat_administrators", "chat_member"}:
            chat_id = key[1]
            if not isinstance(chat_id, int) or chat_id not in self._chats:
                raise _ApiError(400, "Bad Request: chat not found")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise _ApiError(400, "Bad Request: invalid language code specified")
        return key, str(language)

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise _ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        cleaned: list[dict[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise _ApiError(400, "Bad Request: can't parse BotCommand")
            command = str(item.get("command", ""))
            description = str(item.get("description", ""))
            if not _COMMAND_RE.fullmatch(command):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": command, "description": description})
        key = self._commands_key(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _delete_my_commands(self, params: dict[str, Any]) -> Any:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> Any:
        return list(self._commands.get(self._commands_key(params), []))

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        plain, entities = self._render(
            params.get("text"),
            params.get("parse_mode"),
            MAX_TEXT_LEN,
            "Bad Request: message text is empty",
            "Bad Request: message is too long",
        )
        markup = self._validate_markup(params.get("reply_markup"))
        self._check_rate(chat.id)
        message = _Message(
            message_id=chat.allocate_id(),
            chat_id=chat.id,
            date=self._unix_now(),
            from_bot=True,
            method="sendMessage",
            raw_text=str(params["text"]),
            plain_text=plain,
            entities=entities,
            reply_markup=markup,
        )
        chat.messages[message.message_id] = message
        return self._message_obj(chat, message)

    async def _send_media(self, params: dict[str, Any], field_name: str, method: str) -> Any:
        chat = self._target_chat(params)
        source = params.get(field_name)
        if source in (None, ""):
            raise _ApiError(400, f"Bad Request: there is no {field_name} in the request")
        plain, entities = self._render_caption(params)
        markup = self._validate_markup(params.get("reply_markup"))
        self._check_rate(chat.id)
        file_id, unique_id = self._new_file_ids()
        size = source.get("size", 0) if isinstance(source, dict) else 0
        media: dict[str, Any]
        if field_name == "photo":
            media = {
                "photo": [
                    {
                        "file_id": file_id,
                        "file_unique_id": unique_id,
                        "width": 1280,
                        "height": 720,
                        "file_size": size,
                    }
                ]
            }
        else:
            document: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id}
            if isinstance(source, dict):
                document.update(file_name=source.get("filename"), file_size=size)
            media = {"document": document}
        message = _Message(
            message_id=chat.allocate_id(),
            chat_id=chat.id,
            date=self._unix_now(),
            from_bot=True,
            method=method,
            raw_text=params.get("caption") or None,
            plain_text=plain,
            entities=entities,
            reply_markup=markup,
            media=media,
        )
        chat.messages[message.message_id] = message
        return self._message_obj(chat, message)

    async def _send_photo(self, params: dict[str, Any]) -> Any:
        return await self._send_media(params, "photo", "sendPhoto")

    async def _send_document(self, params: dict[str, Any]) -> Any:
        return await self._send_media(params, "document", "sendDocument")

    def _apply_edit(
        self,
        chat: _Chat,
        message: _Message,
        raw: str | None,
        plain: str | None,
        entities: list[dict[str, Any]],
        markup: dict[str, Any] | None,
    ) -> Any:
        if (plain, entities, markup) == (
            message.plain_text,
            message.entities,
            message.reply_markup,
        ):
            raise _ApiError(400, _NOT_MODIFIED)
        self._check_rate(chat.id)
        message.raw_text, message.plain_text, message.entities = raw, plain, entities
        message.reply_markup = markup
        message.edit_date = self._unix_now()
        return self._message_obj(chat, message)

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        message = self._target_message(chat, params, "message to edit not found")
        if not message.from_bot:
            raise _ApiError(400, "Bad Request: message can't be edited")
        if message.media is not None:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        plain, entities = self._render(
            params.get("text"),
            params.get("parse_mode"),
            MAX_TEXT_LEN,
            "Bad Request: message text is empty",
            "Bad Request: MESSAGE_TOO_LONG",
        )
        markup = self._validate_markup(params.get("reply_markup"))
        return self._apply_edit(chat, message, str(params["text"]), plain, entities, markup)

    async def _edit_message_caption(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        message = self._target_message(chat, params, "message to edit not found")
        if not message.from_bot:
            raise _ApiError(400, "Bad Request: message can't be edited")
        if message.media is None:
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        plain, entities = self._render_caption(params)
        markup = self._validate_markup(params.get("reply_markup"))
        raw = params.get("caption") or None
        return self._apply_edit(chat, message, raw, plain, entities, markup)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        message = self._target_message(chat, params, "message to edit not found")
        if not message.from_bot:
            raise _ApiError(400, "Bad Request: message can't be edited")
        markup = self._validate_markup(params.get("reply_markup"))
        return self._apply_edit(
            chat, message, message.raw_text, message.plain_text, message.entities, markup
        )

    async def _delete_message(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        message = self._target_message(chat, params, "message to delete not found")
        del chat.messages[message.message_id]
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        callback_id = str(params.get("callback_query_id", ""))
        if self._callbacks.get(callback_id, True):
            raise _ApiError(400, _QUERY_TOO_OLD)
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._callbacks[callback_id] = True
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> Any:
        self._target_chat(params)
        return True
