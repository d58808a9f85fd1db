"""``otklik check``: validate settings, registry, database and every token before the first run.

Why a separate command: a wrong token or a mistyped page id otherwise shows up as a quiet
collector or a bot that never answers, minutes after start, in a log line.  This prints a
checklist an administrator can act on — each failure names what is wrong and how to fix it —
and exits 1 if anything failed, so deployment scripts can gate on it.

Nothing here writes: the database is probed and its migration state read, not upgraded.
Tokens are named by position and their last four characters only.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from config.registry import Registry, RegistryError, load_registry
from config.settings import Settings
from storage.db import make_engine
from storage.migrate import alembic_config

#: VK error codes that mean "this token is no good" and what to do about each.
VK_TOKEN_FIXES = {
    5: "the token is invalid or revoked: copy the service key again from dev.vk.com",
    27: "this is a community token: put it in OTKLIK__VK__COMMUNITY_TOKENS, not SERVICE_TOKENS",
    28: "this is a service (app) token where a community token is needed",
    14: "VK asks for a captcha: wait an hour or use another token",
    17: "VK asks to validate the account behind the token",
}


@dataclass
class Item:
    """One line of the checklist."""

    ok: bool
    title: str
    detail: str = ""
    fix: str = ""
    warn: bool = False  # passes, but the administrator should know (``!``)


def hint(token: str) -> str:
    return f"…{token[-4:]}" if len(token) > 8 else "…"


def format_items(items: Sequence[Item]) -> str:
    lines = []
    for it in items:
        mark = "✗" if not it.ok else "!" if it.warn else "✓"
        detail = it.detail.replace("\n", "\n    ")  # several registry problems, one a line
        lines.append(f"{mark} {it.title}" + (f": {detail}" if detail else ""))
        if (not it.ok or it.warn) and it.fix:
            lines.append(f"    fix: {it.fix}")
    failed = sum(1 for it in items if not it.ok)
    warned = sum(1 for it in items if it.ok and it.warn)
    summary = "all checks passed" if not failed else f"{failed} check(s) failed"
    lines.append(summary + (f" ({warned} warning(s))" if warned else ""))
    return "\n".join(lines)


# ---- registry and database ---------------------------------------------------------------


def check_registry(settings: Settings) -> tuple[Item, Registry | None]:
    path = settings.registry_path
    if not path.exists():
        return Item(
            False,
            "registry",
            f"{path} does not exist",
            "create it from registry.example.yaml or set OTKLIK__REGISTRY_PATH",
        ), None
    try:
        reg = load_registry(path)
    except RegistryError as exc:
        return Item(
            False, "registry", str(exc), "correct that entry and run the check again"
        ), None
    detail = (
        f"{path}: {len(reg.agencies)} agencies, {len(reg.pages)} pages, {len(reg.people)} people"
    )
    return Item(True, "registry", detail), reg


def _migration_state(conn: Connection) -> tuple[str | None, str | None]:
    current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return current, head


def _new_sqlite_file(url: str) -> Item | None:
    """A SQLite file that does not exist yet is fine if ``otklik run`` may create it; the
    check itself creates nothing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database or "").expanduser()
    if path.exists():
        return None
    existing = next((p for p in path.parents if p.exists()), Path("."))
    if os.access(existing, os.W_OK):
        return Item(True, "database", f"{path} does not exist yet; `otklik run` creates it")
    return Item(
        False,
        "database",
        f"{path} does not exist and {existing} is not writable",
        "set OTKLIK__DB__URL to a writable place",
    )


async def check_database(settings: Settings, timeout_s: float) -> list[Item]:
    url = settings.db.url
    try:
        if (fresh := _new_sqlite_file(url)) is not None:
            return [fresh]
        engine = make_engine(url, busy_timeout_s=min(settings.db.busy_timeout_s, timeout_s))
    except (ArgumentError, NoSuchModuleError) as exc:  # unreadable URL or a missing driver
        return [
            Item(
                False,
                "database",
                f"OTKLIK__DB__URL is not a database URL Otklik can use ({type(exc).__name__})",
                "e.g. sqlite+aiosqlite:///./data/otklik.db or postgresql+asyncpg://user@host/db",
            )
        ]
    shown = engine.url.render_as_string(hide_password=True)
    try:

        async def probe() -> tuple[str | None, str | None]:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                return await conn.run_sync(_migration_state)

        current, head = await asyncio.wait_for(probe(), timeout_s)
    except Exception as exc:
        return [
            Item(
                False,
                "database",
                f"{shown}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                "check OTKLIK__DB__URL, that the server runs and the user may connect "
                "(SQLite: the directory must be writable)",
            )
        ]
    finally:
        await engine.dispose()
    items = [Item(True, "database", f"{shown} answers")]
    if current == head:
        items.append(Item(True, "database schema", f"at the latest migration {head}"))
    elif current is None:
        items.append(Item(True, "database schema", f"empty; `otklik run` creates it ({head})"))
    else:
        known = {
            s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
        }
        if current in known:
            items.append(
                Item(True, "database schema", f"at {current}; `otklik run` upgrades it to {head}")
            )
        else:
            items.append(
                Item(
                    False,
                    "database schema",
                    f"at {current}, unknown to this version (latest is {head})",
                    "the database was used by a newer Otklik: upgrade this installation",
                )
            )
    return items


# ---- who hears of each agency's complaints -----------------------------------------------


@dataclass
class _Staff:
    role: str
    agencies: tuple[str, ...]
    region: str | None
    active: bool = True
    unreachable: bool = False


def _who(telegram_id: int | None, max_user_id: int | None) -> str:
    """One key for a person whether the registry or the database names them."""
    return f"tg:{telegram_id}" if telegram_id is not None else f"max:{max_user_id}"


async def _stored_people(settings: Settings, timeout_s: float) -> dict[str, _Staff]:
    """People as the database knows them (invited ones, who blocked the bot); nothing when
    there is no database yet or it cannot be read (its own check says why)."""
    try:
        if _new_sqlite_file(settings.db.url) is not None:
            return {}
        engine = make_engine(
            settings.db.url, busy_timeout_s=min(settings.db.busy_timeout_s, timeout_s)
        )
    except (ArgumentError, NoSuchModuleError):  # a bad OTKLIK__DB__URL: check_database says so
        return {}
    # ``SELECT *``: a database not yet upgraded has no MAX columns (issue 13), only Telegram.
    query = text("SELECT * FROM people")
    try:

        async def read() -> dict[str, _Staff]:
            async with engine.connect() as conn:
                rows = (await conn.execute(query)).mappings().all()
            out = {}
            for row in rows:
                agencies = row["agencies"]
                if isinstance(agencies, str):  # SQLite hands JSON back as text
                    agencies = json.loads(agencies or "[]")
                tg, max_id = row["telegram_id"], row.get("max_user_id")
                # Reached nowhere: blocked (or absent) on every messenger.
                unreachable = (tg is None or bool(row["unreachable"])) and (
                    max_id is None or bool(row.get("max_unreachable"))
                )
                out[_who(tg, max_id)] = _Staff(
                    str(row["role"]),
                    tuple(agencies or ()),
                    row["region"],
                    bool(row["active"]),
                    unreachable,
                )
            return out

        return await asyncio.wait_for(read(), timeout_s)
    except Exception:
        return {}
    finally:
        await engine.dispose()


def _covers(person: _Staff, agency_id: str, region: str | None) -> bool:
    """``storage.scope`` for a moderator or admin: their agencies, narrowed to their region."""
    if person.agencies and agency_id not in person.agencies:
        return False
    return person.region is None or person.region == region


async def check_officials(settings: Settings, registry: Registry, timeout_s: float) -> Item:
    """Every agency has an official the bot can reach (registry people and, when the database
    exists, those invited and those who blocked the bot).  Otherwise its complaints go to the
    moderators (a warning); with no moderator or admin either they reach nobody (a failure)."""
    people = {
        _who(p.telegram_id, p.max_user_id): _Staff(p.role.value, tuple(p.agencies), p.region)
        for p in registry.people
    }
    people.update(await _stored_people(settings, timeout_s))
    active = [p for p in people.values() if p.active]
    staff = [p for p in active if not p.unreachable and p.role in ("moderator", "admin")]
    missing: list[str] = []
    nobody: list[str] = []
    for agency in registry.agencies:
        officials = [p for p in active if p.role == "official" and agency.id in p.agencies]
        if any(not p.unreachable for p in officials):
            continue
        why = "every official blocked the bot or never opened it" if officials else "no official"
        missing.append(f"{agency.name} ({why})")
        if not any(p.role == "admin" or _covers(p, agency.id, agency.region) for p in staff):
            nobody.append(agency.name)
    title = "officials for every agency"
    if not missing:
        n = len(registry.agencies)
        return Item(True, title, f"all {n} agencies have a reachable official")
    fix = (
        f"add an official for it to {settings.registry_path}, or invite one in Telegram: "
        "/invite official <agency>"
    )
    if nobody:
        detail = (
            "; ".join(missing) + ". No moderator or admin either: complaints of "
            f"{', '.join(nobody)} would reach nobody"
        )
        return Item(False, title, detail, fix + "; and add a moderator or an admin")
    detail = "; ".join(missing) + ". Their complaints go to the moderators (or admins) at once"
    return Item(True, title, detail, fix, warn=True)


# ---- Telegram ----------------------------------------------------------------------------


async def check_telegram(settings: Settings, timeout_s: float) -> Item:
    token = settings.telegram.token
    if token is None or not token.get_secret_value():
        return Item(
            False,
            "Telegram bot token",
            "not set",
            "set OTKLIK__TELEGRAM__TOKEN (from @BotFather, /newbot)",
        )
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_base))
    try:
        bot = Bot(token.get_secret_value(), session=session)
    except Exception:  # aiogram validates the token's shape before any request
        await session.close()
        return Item(
            False,
            "Telegram bot token",
            "malformed (expected 123456789:AA…)",
            "copy the whole token from @BotFather",
        )
    try:
        me = await asyncio.wait_for(bot.get_me(), timeout_s)
    except TelegramUnauthorizedError:
        return Item(
            False,
            "Telegram bot token",
            "rejected by Telegram (401 Unauthorized)",
            "the token was revoked or mistyped: get it again from @BotFather (/token)",
        )
    except (TelegramAPIError, TimeoutError, aiohttp.ClientError) as exc:
        return Item(
            False,
            "Telegram bot token",
            f"{settings.telegram.api_base} did not answer: {type(exc).__name__}",
            "check the network or OTKLIK__TELEGRAM__API_BASE",
        )
    finally:
        await session.close()
    return Item(True, "Telegram bot token", f"@{me.username} (id {me.id})")


# ---- VK ----------------------------------------------------------------------------------


class VkAnswerError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code


async def vk_call(
    http: aiohttp.ClientSession, settings: Settings, token: str, method: str, **params: Any
) -> Any:
    """One VK API call (POST, so the token is not in a URL); raises :class:`VkAnswerError`."""
    url = settings.vk.api_base.rstrip("/") + "/method/" + method
    data = {**params, "access_token": token, "v": settings.vk.api_version}
    async with http.post(url, data=data) as resp:
        body = await resp.json(content_type=None)
    if not isinstance(body, dict):
        raise VkAnswerError(-2, "malformed answer")
    if "error" in body:
        err = body["error"]
        raise VkAnswerError(int(err.get("error_code", 0)), str(err.get("error_msg", "")))
    return body.get("response")


def _groups(response: Any) -> list[dict[str, Any]]:
    groups = response.get("groups", []) if isinstance(response, dict) else response
    return [g for g in (groups or []) if isinstance(g, dict)]


def _vk_failure(title: str, exc: Exception, api_base: str) -> Item:
    if isinstance(exc, VkAnswerError):
        fix = VK_TOKEN_FIXES.get(exc.code, "see https://dev.vk.com/ru/reference/errors")
        return Item(False, title, f"VK answered {exc}", fix)
    return Item(
        False,
        title,
        f"{api_base} did not answer: {type(exc).__name__}",
        "check the network or OTKLIK__VK__API_BASE",
    )


async def check_pages(
    http: aiohttp.ClientSession, settings: Settings, token: str, registry: Registry
) -> Item:
    """Every registry page exists on VK and is open (a closed page cannot be read)."""
    ids = [p.group_id for p in registry.pages]
    found: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        try:
            response = await vk_call(
                http, settings, token, "groups.getById", group_ids=",".join(map(str, chunk))
            )
        except VkAnswerError as exc:
            if exc.code != 100:  # 100: none of them exists
                raise
            response = []
        found.update({int(g["id"]): g for g in _groups(response)})
    missing = [gid for gid in ids if gid not in found]
    closed = [
        gid
        for gid in ids
        if gid in found and (found[gid].get("is_closed") or found[gid].get("deactivated"))
    ]
    if not missing and not closed:
        return Item(True, "registry pages on VK", f"all {len(ids)} exist and are open")
    parts = []
    if missing:
        parts.append("not found: " + ", ".join(map(str, missing[:20])))
    if closed:
        parts.append("closed or deleted: " + ", ".join(map(str, closed[:20])))
    return Item(
        False,
        "registry pages on VK",
        "; ".join(parts),
        f"fix the group_id in {settings.registry_path} or remove the page "
        "(a closed page cannot be read with a service token)",
    )


async def check_vk(settings: Settings, registry: Registry | None, timeout_s: float) -> list[Item]:
    vk = settings.vk
    items: list[Item] = []
    if not vk.service_tokens:
        items.append(
            Item(
                False,
                "VK service tokens",
                "none set",
                "set OTKLIK__VK__SERVICE_TOKENS=<key> (several: key1,key2; dev.vk.com → "
                "your app → service key)",
            )
        )
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        pages_checked = False
        # wall.getById of one post: cheap, and it tells a service token from a community
        # token filed in the wrong place (error 27), which groups.getById would accept.
        probe = f"-{registry.pages[0].group_id}_1" if registry and registry.pages else "-1_1"
        for n, secret in enumerate(vk.service_tokens, 1):
            tok = secret.get_secret_value()
            title = f"VK service token #{n} ({hint(tok)})"
            try:
                await vk_call(http, settings, tok, "wall.getById", posts=probe)
            except VkAnswerError as exc:
                if exc.code not in (15, 18, 30, 100):  # these only say the post is unreadable
                    items.append(_vk_failure(title, exc, vk.api_base))
                    continue
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                items.append(_vk_failure(title, exc, vk.api_base))
                continue
            items.append(Item(True, title, "accepted"))
            if registry is not None and registry.pages and not pages_checked:
                pages_checked = True
                try:
                    items.append(await check_pages(http, settings, tok, registry))
                except (VkAnswerError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    items.append(_vk_failure("registry pages on VK", exc, vk.api_base))
        answerable: set[int] = set()
        for gid, secret in vk.community_tokens.items():
            item, can_answer = await _check_community(http, settings, gid, secret)
            items.append(item)
            if can_answer:
                answerable.add(gid)
    if registry is not None and registry.pages:
        items.append(_answer_pages(registry, answerable, set(vk.community_tokens)))
    return items


#: The community-token right that lets Otklik publish answers as the page (issue 15).
ANSWER_RIGHT = "manage"


def _answer_pages(registry: Registry, answerable: set[int], with_token: set[int]) -> Item:
    """Issue 15: which registry pages can be answered from the messenger (their community
    token works and has the right to write as the page) and why the others cannot.  Not a
    warning: a page without a token is answered on VK as before."""
    can = [p for p in registry.pages if p.group_id in answerable]
    why = {True: "token refused or without the manage right", False: "no community token"}
    cannot = [
        f"{p.group_id} «{p.name}» ({why[p.group_id in with_token]})"
        for p in registry.pages
        if p.group_id not in answerable
    ]
    detail = f"{len(can)} of {len(registry.pages)} page(s)"
    if cannot:
        detail += "; not: " + ", ".join(cannot)
    return Item(
        True,
        "answers from the messenger",
        detail,
        "add OTKLIK__VK__COMMUNITY_TOKENS=<group_id>:<community key with the «Управление "
        "сообществом» (manage) right> for each page officials should answer from the alert; "
        "without it they answer on VK themselves",
    )


async def _check_community(
    http: aiohttp.ClientSession, settings: Settings, gid: int, secret: SecretStr
) -> tuple[Item, bool]:
    """The token's check, and whether answers can be published with it (issue 15)."""
    tok = secret.get_secret_value()
    title = f"VK community token for {gid} ({hint(tok)})"
    try:
        response = await vk_call(http, settings, tok, "groups.getById")
    except (VkAnswerError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return _vk_failure(title, exc, settings.vk.api_base), False
    groups = _groups(response)
    own = int(groups[0]["id"]) if groups else None
    if own != gid:
        return Item(
            False,
            title,
            f"the token belongs to community {own}, not {gid}",
            "put each community token under its own group id in OTKLIK__VK__COMMUNITY_TOKENS",
        ), False
    found = f"community {gid} «{groups[0].get('name', '')}»"
    try:
        rights = await vk_call(http, settings, tok, "groups.getTokenPermissions")
    except (VkAnswerError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return Item(True, title, f"{found}; its rights unknown ({exc})", warn=True), False
    names = {str(p.get("name")) for p in (rights or {}).get("permissions", [])}
    if ANSWER_RIGHT not in names:
        return Item(
            True,
            title,
            f"{found}; cannot publish answers: no «{ANSWER_RIGHT}» right",
            "issue a community key with «Управление сообществом» (manage) in the community's "
            "settings → API → access keys",
            warn=True,
        ), False
    return Item(True, title, f"{found}; answers can be published as the page"), True


# ---- all of it ---------------------------------------------------------------------------


async def run_checks(settings: Settings, *, timeout_s: float = 10.0) -> list[Item]:
    """The whole checklist (settings already loaded: the caller reports a failure there)."""
    items = [Item(True, "settings", "loaded")]
    reg_item, registry = check_registry(settings)
    items.append(reg_item)
    from bot.max.check import check_max  # issue 13: the token, the CA bundle, the webhook

    db_items, tg_item, max_items, vk_items = await asyncio.gather(
        check_database(settings, timeout_s),
        check_telegram(settings, timeout_s),
        check_max(settings.max, timeout_s),
        check_vk(settings, registry, timeout_s),
    )
    if registry is not None:
        db_items.append(await check_officials(settings, registry, timeout_s))
    return [*items, *db_items, tg_item, *max_items, *vk_items]


__all__ = ["Item", "describe_settings_error", "format_items", "run_checks"]


def describe_settings_error(exc: Exception) -> str:
    """A settings failure as lines naming the variable (and the files it may come from),
    the problem and the fix; never the offending value, which may be a secret."""
    from config.settings import settings_problems

    lines = []
    for problem in settings_problems(exc):
        name = problem.variable
        fix = (
            f"correct it in the environment, in .env, or in the file {name.lower()} of "
            "OTKLIK_SECRETS_DIR"
            if name.startswith("OTKLIK__")
            else "correct that value (environment, .env or secret file)"
        )
        lines.append(f"{problem}\n    fix: {fix}")
    return "\n".join(lines)
