"""Every answer and update of the fake MAX conforms to what we did not write: the official
OpenAPI schema and the ``maxapi`` client's own pydantic models.

The schema (GitHub max-messenger-bot/max-bot-api-schemas, ``schema_2026_07_01.json``, Max Bot
API 0.0.32; Unlicense, the schema itself Apache 2.0) is vendored in part as
``tests/data/max_openapi_subset.json``: the components the fake's answers reach.  It is
checked strictly: a key the schema does not declare, a missing required key, a wrong JSON
type, a ``null`` where the schema does not allow it or an unknown enum or discriminator value
all fail.  The schema's own mistakes are corrected below, each with its reason, and nowhere
else.

maxapi (PyPI, MIT) is what the MAX adapter will parse answers with; its models accept unknown
keys and coerce types, so they are walked strictly too (``tests/conformance_support.py``),
then validated by pydantic as maxapi would.

The answers come from a session in which the real maxapi ``Bot`` calls every endpoint the
fake serves, meets every error it can answer, and receives every update type it emits, by
long polling and by webhook.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiohttp import web
from maxapi import Bot
from maxapi.enums.api_path import ApiPath
from maxapi.enums.http_method import HTTPMethod
from maxapi.exceptions.max import InvalidToken, MaxApiError
from maxapi.methods.types.deleted_message import DeletedMessage
from maxapi.methods.types.edited_message import EditedMessage
from maxapi.methods.types.getted_subscriptions import GettedSubscriptions
from maxapi.methods.types.getted_upload_url import GettedUploadUrl
from maxapi.methods.types.sended_callback import SendedCallback
from maxapi.methods.types.sended_message import SendedMessage
from maxapi.methods.types.subscribed import Subscribed
from maxapi.methods.types.unsubscribed import Unsubscribed
from maxapi.types import BotStarted, BotStopped, MessageCallback, MessageCreated
from maxapi.types.chats import Chat
from maxapi.types.input_media import InputMedia, InputMediaBuffer
from maxapi.types.message import Messages
from maxapi.types.users import User
from pydantic import BaseModel

from config.clock import ManualClock
from sandbox.fake_max import FakeMax, MaxCall
from tests.conformance_support import Dialect, assert_conforms, model_problems
from tests.test_fake_max import ANNA, BORIS, START, alert_keyboard, raw, tiny_png

SCHEMA_FILE = Path(__file__).parent / "data" / "max_openapi_subset.json"
SCHEMAS: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["schemas"]

# ---- corrections of the schema's own mistakes --------------------------------------------

#: ``ChatType`` lists only "chat", yet its description says "Тип чата: диалог, чат" and every
#: real private-chat payload says "dialog" (max-messenger/max-bot-api-client-go
#: stabs/update.message_callback.json, stabs/chats/dialog-with-user.json; maxapi's ChatType).
ENUM_EXTRA: dict[str, frozenset[str]] = {"ChatType": frozenset({"dialog"})}
#: Names in ``required`` that the object never declares in ``properties``: ``MessageBody``
#: requires "link" (a property of ``Message``, not of its body) and ``Chat`` "description".
#: They are taken as declared, optional and of any type.
REQUIRED_UNDECLARED: dict[str, frozenset[str]] = {
    "MessageBody": frozenset({"link"}),
    "Chat": frozenset({"description"}),
}

#: maxapi's models, walked strictly.  MAX sends ``null`` for absent optional fields (the
#: schema marks ``username`` or ``last_name`` nullable *and* required); ``User.name`` is in
#: the schema and in real payloads but not in maxapi's ``User``.
MAXAPI = Dialect("maxapi", nulls=True, extra={"User": frozenset({"name"})})

#: Per method: the schema component of a 200 answer and the maxapi model that parses it.
ANSWERS: dict[str, tuple[str, type[BaseModel] | None]] = {
    "GET /me": ("BotInfo", User),
    "GET /updates": ("UpdateList", None),  # maxapi parses each update on its own, below
    "GET /subscriptions": ("GetSubscriptionsResult", GettedSubscriptions),
    "POST /subscriptions": ("SimpleQueryResult", Subscribed),
    "DELETE /subscriptions": ("SimpleQueryResult", Unsubscribed),
    "GET /messages": ("MessageList", Messages),
    "POST /messages": ("SendMessageResult", SendedMessage),
    "PUT /messages": ("SimpleQueryResult", EditedMessage),
    "DELETE /messages": ("SimpleQueryResult", DeletedMessage),
    "POST /answers": ("SimpleQueryResult", SendedCallback),
    "POST /uploads": ("UploadEndpoint", GettedUploadUrl),
    "GET /chats/{id}": ("Chat", Chat),
    "POST /upload": ("", None),  # PhotoTokens or UploadedInfo; maxapi reads the token by hand
}
UPDATE_MODELS: dict[str, type[BaseModel]] = {
    "message_created": MessageCreated,
    "message_callback": MessageCallback,
    "bot_started": BotStarted,
    "bot_stopped": BotStopped,
}


# --------------------------------------------------------------------------------------------
# A strict walker for the OpenAPI 3.0 subset the schema uses
# --------------------------------------------------------------------------------------------


class OpenApi:
    """``$ref``, ``allOf``, ``discriminator``, ``nullable``, ``required``, ``type``,
    ``enum``, ``items``, ``additionalProperties`` and string lengths; unknown keys fail."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def _flatten(self, node: dict[str, Any]) -> dict[str, Any]:
        """One object with the merged ``allOf`` parts; ``names`` lists the components."""
        names: list[str] = []
        while "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            names.append(name)
            node = self.schemas[name]
        flat: dict[str, Any] = {"names": names, "properties": {}, "required": set()}
        for part in node.get("allOf", []):
            sub = self._flatten(part)
            flat["names"] = [*flat["names"], *sub["names"]]
            flat["properties"].update(sub["properties"])
            flat["required"] |= sub["required"]
            for key, value in sub.items():
                if key not in ("names", "properties", "required"):
                    flat.setdefault(key, value)
        flat["properties"].update(node.get("properties", {}))
        required = node.get("required", [])
        # MessageBody.attachments carries a Swagger-2 style ``"required": false``: not a list
        # of names, and it says nothing OpenAPI 3 reads.
        if isinstance(required, list):
            flat["required"] |= set(required)
        for key, value in node.items():
            if key not in ("allOf", "properties", "required", "$ref"):
                flat[key] = value
        for name in flat["names"]:
            for key in REQUIRED_UNDECLARED.get(name, ()):
                flat["properties"].setdefault(key, {"nullable": True})
                flat["required"].discard(key)
        return flat

    def problems(
        self, value: Any, node: dict[str, Any], path: str = "$", *, dispatched: bool = False
    ) -> list[str]:
        flat = self._flatten(node)
        what = "/".join(flat["names"]) or "schema"
        if value is None:
            return [] if flat.get("nullable") else [f"{path}: null where {what} is not nullable"]
        disc = flat.get("discriminator")
        if disc is not None and not dispatched:
            tag = value.get(disc["propertyName"]) if isinstance(value, dict) else None
            target = disc["mapping"].get(tag)
            if target is None:
                known = sorted(disc["mapping"])
                return [f"{path}.{disc['propertyName']}: {tag!r} is not one of {known}"]
            ref = target["$ref"] if isinstance(target, dict) else target
            return self.problems(value, {"$ref": ref}, path, dispatched=True)
        enum = flat.get("enum")
        if enum is not None:
            allowed = set(enum).union(*(ENUM_EXTRA.get(n, ()) for n in flat["names"]))
            if value not in allowed or isinstance(value, bool):
                return [f"{path}: {value!r} is not one of {sorted(allowed)} ({what})"]
        kind = flat.get("type") or ("object" if flat["properties"] else None)
        wrong = self._type_problem(value, kind, path)
        if wrong:
            return [wrong]
        if kind == "string":
            return self._length_problems(value, flat, path)
        if kind == "array":
            items = flat.get("items", {})
            out: list[str] = []
            for i, item in enumerate(value):
                out.extend(self.problems(item, items, f"{path}[{i}]"))
            return out
        if kind == "object":
            return self._object_problems(value, flat, path, what)
        return []

    @staticmethod
    def _type_problem(value: Any, kind: str | None, path: str) -> str | None:
        checks = {
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "string": lambda v: isinstance(v, str),
            "boolean": lambda v: isinstance(v, bool),
            "array": lambda v: isinstance(v, list),
            "object": lambda v: isinstance(v, dict),
        }
        if kind is None or checks[kind](value):
            return None
        return f"{path}: {type(value).__name__} {value!r} where {kind} is expected"

    @staticmethod
    def _length_problems(value: str, flat: dict[str, Any], path: str) -> list[str]:
        low, high = flat.get("minLength", 0), flat.get("maxLength")
        if len(value) < low or (high is not None and len(value) > high):
            return [f"{path}: length {len(value)} outside {low}..{high}"]
        return []

    def _object_problems(
        self, value: dict[str, Any], flat: dict[str, Any], path: str, what: str
    ) -> list[str]:
        props: dict[str, Any] = flat["properties"]
        extra = flat.get("additionalProperties")
        out: list[str] = []
        if not props and isinstance(extra, dict):
            for key, item in value.items():
                out.extend(self.problems(item, extra, f"{path}.{key}"))
            return out
        if not props:
            return []  # a free-form object
        out.extend(f"{path}.{k}: not a property of {what}" for k in value if k not in props)
        out.extend(
            f"{path}.{k}: required by {what} but missing"
            for k in sorted(flat["required"])
            if k not in value
        )
        for key, item in value.items():
            if key in props:
                out.extend(self.problems(item, props[key], f"{path}.{key}"))
        return out


OPENAPI = OpenApi(SCHEMAS)


def schema_problems(value: Any, component: str) -> list[str]:
    return OPENAPI.problems(value, {"$ref": f"#/components/schemas/{component}"})


# --------------------------------------------------------------------------------------------
# One session through every endpoint, error and update type
# --------------------------------------------------------------------------------------------


async def _webhook_sink() -> tuple[web.AppRunner, str]:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", ok)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"


async def exercise(fake: FakeMax, clock: ManualClock, tmp_path: Path) -> None:
    """Drive the real maxapi through everything the fake answers."""
    bot = fake.make_bot()
    try:
        await bot.get_me()
        await bot.get_subscriptions()
        await bot.get_chat_by_id(fake.dialog_id(ANNA))
        rich = (
            "<h1>Жалоба</h1> <b>б</b> <i>к</i> <u>п</u> <s>з</s> <code>к</code> <mark>в</mark> "
            '<a href="https://vk.com/wall-1_2">ссылка</a>'
        )
        card = await bot.send_message(
            user_id=ANNA, text=rich, format="html", attachments=[alert_keyboard()]
        )
        assert card is not None
        mid = card.message.body.mid
        await bot.send_message(user_id=BORIS, text="**Срок** _истёк_", format="markdown")
        clock.advance(1)
        await bot.edit_message(message_id=mid, text="Правка", attachments=[alert_keyboard()])
        await bot.send_message(
            user_id=BORIS, text="График", attachments=[InputMediaBuffer(buffer=tiny_png())]
        )
        clock.advance(1)
        path = tmp_path / "Отклик.xlsx"
        openpyxl.Workbook().save(path)
        await bot.send_message(user_id=BORIS, text="Выгрузка", attachments=[InputMedia(str(path))])

        fake.push_message(ANNA, "/my")
        first = fake.push_callback(ANNA, mid, "c:t:7")
        second = fake.push_callback(ANNA, mid, "c:r:7")
        fake.push_bot_started(603, "INV-1", first_name="Вера", last_name="Иванова")
        fake.push_bot_started(604)
        fake.block(BORIS)
        await bot.get_updates(timeout=0)
        await bot.send_callback(callback_id=first, notification="Взято в работу")
        clock.advance(1)
        answer = {"message": {"text": "Решено"}}
        await raw(bot, HTTPMethod.POST, ApiPath.ANSWERS, {"callback_id": second}, answer)
        clock.advance(1)
        extra = await bot.send_message(user_id=ANNA, text="Лишнее")
        assert extra is not None
        await bot.get_messages(chat_id=fake.dialog_id(ANNA), count=3)
        await bot.get_messages(message_ids=[mid, extra.message.body.mid])
        await bot.delete_message(extra.message.body.mid)

        runner, url = await _webhook_sink()
        try:
            with pytest.warns(UserWarning, match="HTTPS"):
                await bot.subscribe_webhook(url, secret="s3cret")
            await bot.get_subscriptions()
            seq = fake.push_message(ANNA, "по вебхуку")
            fake.push_callback(ANNA, mid, "c:t:7")
            fake.push_bot_started(605, "INV-2")
            fake.push_bot_started(605)  # started again
            fake.block(605)
            await fake.wait_handled(fake.last_update_seq)
            assert seq < fake.last_update_seq
            await bot.unsubscribe_webhook(url)
            await bot.unsubscribe_webhook(url)  # not subscribed any more: success false
        finally:
            await runner.cleanup()

        unknown_key = {"text": "x", "unknown": 1}
        errors: list[Any] = [
            bot.send_message(user_id=BORIS, text="заблокировал"),  # 403
            bot.delete_message("mid.unknown"),  # 404
            raw(bot, HTTPMethod.POST, ApiPath.MESSAGES, {"user_id": ANNA}, unknown_key),  # 400
        ]
        for call in errors:
            with pytest.raises(MaxApiError):
                await call
        clock.advance(1)
        await bot.send_message(user_id=ANNA, text="1")
        await bot.send_message(user_id=ANNA, text="2")
        with pytest.raises(MaxApiError):
            await bot.send_message(user_id=ANNA, text="3")  # 429
        for kind in ("http500", "http503"):
            fake.inject_fault(kind, method="GET /me")
            with pytest.raises(MaxApiError):
                await bot.get_me()
    finally:
        await bot.close_session()
    wrong = Bot("wrong-token")
    wrong.set_api_url(fake.base_url)
    try:
        with pytest.raises(InvalidToken):
            await wrong.get_me()  # 401
    finally:
        await wrong.close_session()


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[FakeMax]:
    clock = ManualClock(START)
    async with FakeMax(clock) as fake:
        fake.add_user(ANNA, "Анна", "Петрова", "anna_p")
        fake.add_user(BORIS, "Борис")
        await exercise(fake, clock, tmp_path)
        yield fake


def answered(fake: FakeMax) -> list[MaxCall]:
    return [call for call in fake.calls if call.answer is not None]


def updates(fake: FakeMax) -> list[dict[str, Any]]:
    """Every update the bot received, by long poll and by webhook."""
    polled = [
        update
        for call in fake.calls
        if call.method == "GET /updates" and call.status == 200
        for update in call.answer["updates"]
    ]
    return polled + [d.update for d in fake.deliveries]


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


async def test_the_session_reaches_every_endpoint_error_and_update(session: FakeMax) -> None:
    assert {c.method for c in session.calls} == set(ANSWERS)
    assert {c.status for c in session.calls} >= {200, 400, 401, 403, 404, 429, 500, 503}
    assert {u["update_type"] for u in updates(session)} == set(UPDATE_MODELS)
    assert {d.update["update_type"] for d in session.deliveries} == set(UPDATE_MODELS)
    bodies = {"photos" in c.answer for c in session.calls if c.method == "POST /upload"}
    assert bodies == {True, False}  # an image and a file


async def test_every_answer_conforms_to_the_official_schema(session: FakeMax) -> None:
    found: list[str] = []
    for call in answered(session):
        if call.status != 200:
            component = "Error"
        elif call.method == "POST /upload":
            component = "PhotoTokens" if "photos" in call.answer else "UploadedInfo"
        else:
            component = ANSWERS[call.method][0]
        found.extend(
            f"{call.method} {call.status}: {p}" for p in schema_problems(call.answer, component)
        )
    assert not found, "\n".join(found)


async def test_every_update_conforms_to_the_official_schema(session: FakeMax) -> None:
    found = [p for update in updates(session) for p in schema_problems(update, "Update")]
    assert not found, "\n".join(found)


async def test_every_answer_conforms_to_maxapi_models(session: FakeMax) -> None:
    checked = 0
    for call in answered(session):
        model = ANSWERS[call.method][1]
        if call.status == 200 and model is not None:
            assert_conforms(call.answer, model, MAXAPI, f"{call.method} answer")
            checked += 1
    assert checked >= 15


async def test_every_update_conforms_to_maxapi_models(session: FakeMax) -> None:
    for update in updates(session):
        model = UPDATE_MODELS[update["update_type"]]
        assert_conforms(update, model, MAXAPI, f"{update['update_type']} update")
    for call in session.calls:
        if call.method == "GET /updates" and call.status == 200:
            assert set(call.answer) == {"updates", "marker"}
            assert isinstance(call.answer["marker"], int)


# ---- the checks are not vacuous -----------------------------------------------------------


def _sent_answer(fake: FakeMax) -> dict[str, Any]:
    call = next(c for c in fake.calls if c.method == "POST /messages" and c.status == 200)
    return copy.deepcopy(call.answer)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda a: a["message"].update(surprise=1), "not a property of Message"),
        (lambda a: a["message"]["body"].pop("mid"), "required by MessageBody"),
        (lambda a: a["message"].update(timestamp="1"), "where integer is expected"),
        (lambda a: a["message"]["sender"].update(is_bot=None), "not nullable"),
        (lambda a: a["message"]["recipient"].update(chat_type="group"), "is not one of"),
        (
            lambda a: a["message"]["body"]["attachments"].append({"type": "sticker"}),
            "'sticker' is not one of",
        ),
        (
            lambda a: a["message"]["body"]["attachments"][0]["payload"]["buttons"][0][0].update(
                intent="default"
            ),
            "not a property of CallbackButton",
        ),
    ],
)
async def test_the_schema_check_catches_drift(
    session: FakeMax, mutate: Any, expected: str
) -> None:
    answer = _sent_answer(session)
    assert schema_problems(answer, "SendMessageResult") == []
    mutate(answer)
    assert any(expected in p for p in schema_problems(answer, "SendMessageResult"))


async def test_the_maxapi_check_catches_drift(session: FakeMax) -> None:
    answer = _sent_answer(session)
    answer["message"]["body"]["seq"] = "5"
    answer["message"]["sender"]["nickname"] = "x"
    found = model_problems(answer, SendedMessage, MAXAPI)
    assert any("seq" in p for p in found) and any("nickname" in p for p in found)
