"""The ``otklik`` command line.

Every command that fails because of something the operator can fix (a setting, a file, the
database, an argument) prints one line per problem, ``otklik <command>: what is wrong; fix: what
to do``, and exits non-zero; a traceback only with ``--debug``.  An error we did not expect is
reported in one line too, with a pointer to ``--debug``.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the settings and the registry (pydantic: 0.2 s) load only where used, so
    # that `otklik classify` and `otklik --help` start without them; so do asyncio and the
    # clock (40 ms of a classify run's start)
    from config.settings import Settings

DEMO_SCENARIO = Path(__file__).resolve().parent.parent / "sandbox" / "scenarios" / "demo.yaml"

HOW_TO_CONFIGURE = """\
Otklik needs, in the environment or in a .env file next to where you run it:
  OTKLIK__TELEGRAM__TOKEN=123456:ABC...      a bot token: talk to @BotFather in Telegram,
                                             send /newbot, copy the token it gives you
  OTKLIK__VK__SERVICE_TOKENS=...             a VK service key: create an app at
                                             https://dev.vk.com (My apps → create),
                                             open it, copy its service key («Сервисный ключ»);
                                             several keys: separate them with commas
  OTKLIK__REGISTRY_PATH=registry.yaml        agencies, pages, people and routing rules
                                             (see registry.example.yaml)
Optional: OTKLIK__DB__URL (default sqlite+aiosqlite:///./data/otklik.db).
Try it without any of these: `otklik demo` runs a built-in region on fake VK and Telegram."""


class CliError(Exception):
    """A problem the operator can fix: each line is printed as ``otklik <command>: line``."""

    def __init__(self, *lines: str, code: int = 2) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.code = code


def _settings() -> Settings:
    """Settings from the environment, .env and secret files; a bad value is a CliError naming
    the variable and what it must look like."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from config.settings import Settings, settings_problems

    try:
        return Settings()
    except (ValidationError, SettingsError) as exc:
        raise CliError(
            *(f"{p}; fix: set it in the environment or in .env" for p in settings_problems(exc))
        ) from None


def _bad_db_url(exc: Exception) -> CliError:
    return CliError(
        f"OTKLIK__DB__URL is not a database URL Otklik can use ({type(exc).__name__}); "
        "fix: e.g. sqlite+aiosqlite:///./data/otklik.db or postgresql+asyncpg://user@host/db"
    )


def _prepare_database_place(url: str) -> None:
    """``otklik run`` creates a SQLite file's directory; say which setting to change when it
    cannot, and refuse a URL SQLAlchemy cannot read, before anything starts."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from storage.db import ensure_sqlite_dir, make_engine

    try:
        make_url(url)
        make_engine(url)  # loads the driver; nothing connects yet
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise _bad_db_url(exc) from None
    try:
        ensure_sqlite_dir(url)
    except OSError as exc:
        raise CliError(
            f"cannot create the database directory {exc.filename}: {exc.strerror}; "
            "fix: set OTKLIK__DB__URL to a writable place"
        ) from None


def _database_engine(settings: Settings) -> Any:
    """An engine for OTKLIK__DB__URL; a SQLite file must already exist.

    Maintenance commands read what ``otklik run`` wrote: a database that does not exist yet is
    an operator's mistake (wrong directory or OTKLIK__DB__URL), not something to create."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from storage.db import make_engine

    url = settings.db.url
    try:
        parsed = make_url(url)
        engine = make_engine(url, busy_timeout_s=settings.db.busy_timeout_s)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise _bad_db_url(exc) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "").expanduser()
        if not path.is_file():
            raise CliError(
                f"no database at {path}: Otklik has not run with this OTKLIK__DB__URL yet; "
                "fix: run this where `otklik run` runs (same directory and .env), or set "
                "OTKLIK__DB__URL to the existing database"
            )
    return engine


async def _open_database(settings: Settings) -> Any:
    """The engine of an existing Otklik database, brought to the latest schema."""
    from alembic.runtime.migration import MigrationContext
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import DBAPIError

    from storage.migrate import upgrade

    engine = _database_engine(settings)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        async with engine.connect() as conn:
            revision = await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
        if revision is None:
            raise CliError(
                f"the database {shown} has no Otklik tables; fix: start Otklik once with "
                "`otklik run` (it creates them), or set OTKLIK__DB__URL to the right database"
            )
        await upgrade(engine)
    except (DBAPIError, OSError, TimeoutError) as exc:
        await engine.dispose()
        text = str(getattr(exc, "orig", None) or exc)
        raise CliError(
            f"cannot use the database {shown}: {text.splitlines()[0] if text else ''}; "
            "fix: check OTKLIK__DB__URL and that the database server runs and lets this user in"
        ) from None
    except CommandError:
        await engine.dispose()
        raise CliError(
            f"the database {shown} was written by a newer Otklik; fix: upgrade this installation"
        ) from None
    except BaseException:
        await engine.dispose()
        raise
    return engine


def _output_file(path: Path) -> Path:
    """Fail before the work, not after it, when ``path`` cannot be written."""
    if path.is_dir():
        raise CliError(f"{path} is a directory; fix: give a file name, e.g. {path / 'out'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create the directory {path.parent}: {exc.strerror}") from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(f"cannot write {path}: permission denied; fix: choose a writable place")
    return path


def _strip_html(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _app_clock() -> Any:
    """The system clock; or, for multi-process sandbox runs (tests, bench/scale.py), a virtual
    clock anchored to the wall clock: ``OTKLIK__CLOCK__START`` (ISO instant),
    ``OTKLIK__CLOCK__SPEED`` and ``OTKLIK__CLOCK__EPOCH`` (Unix time of ``START``), so that
    every process, the fakes' included, shows the same virtual time."""
    from datetime import datetime

    from config.clock import SystemClock, VirtualClock

    start = os.environ.get("OTKLIK__CLOCK__START")
    if not start:
        return SystemClock()
    return VirtualClock.anchored(
        datetime.fromisoformat(start),
        float(os.environ.get("OTKLIK__CLOCK__SPEED", "1")),
        float(os.environ["OTKLIK__CLOCK__EPOCH"]),
    )


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from bot.collecting import limit_malloc_arenas
    from bot.roles import Role, needs_telegram, needs_vk

    limit_malloc_arenas()  # before any worker thread has its own heap

    settings = _settings()
    role = Role(args.role)
    missing = [
        m
        for m in settings.missing_for_real_mode()
        if (needs_telegram(role) or "TELEGRAM" not in m) and (needs_vk(role) or "VK" not in m)
    ]
    if role is not Role.ALL and settings.db.url.startswith("sqlite"):
        print(
            f"--role {role} needs PostgreSQL (OTKLIK__DB__URL): on SQLite one process runs "
            "every part (--role all)",
            file=sys.stderr,
        )
        return 2
    if missing:
        print("Otklik is not configured for real mode. Missing: " + ", ".join(missing))
        print(HOW_TO_CONFIGURE)
        if args.demo_if_unconfigured:
            print(
                "\nRunning the built-in sandbox demo instead (fake VK, fake Telegram, SQLite).\n"
            )
            return cmd_demo(argparse.Namespace(scenario=DEMO_SCENARIO, speed=args.speed))
        return 2
    from config.registry import RegistryError, load_registry

    try:
        registry = load_registry(settings.registry_path)
    except RegistryError as exc:
        raise CliError(*str(exc).splitlines()) from None
    _prepare_database_place(settings.db.url)
    from bot.logging_setup import setup_logging

    setup_logging(settings.log_level, settings.log_format)
    from bot.lean_types import install as lean_telegram_types

    lean_telegram_types()  # before aiogram is imported: ~90 MB less (issue 11)
    from bot.app import OtklikApp

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await OtklikApp(settings, registry, _app_clock(), role=role).run(stop)

    asyncio.run(main())
    return 0


def _load_scenario_or_exit(path: Path) -> Any:
    from sandbox.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        raise CliError(*str(exc).splitlines()) from None


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import datetime

    from sandbox.fake_max import MaxCall
    from sandbox.fake_telegram import TgCall
    from sandbox.runner import Sandbox

    scenario = _load_scenario_or_exit(Path(args.scenario))
    people = {p.telegram_id: p for p in scenario.people}
    on_max = {p.max_user_id: p for p in scenario.people if p.max_user_id is not None}
    from bot.core.texts import ROLE_NAMES

    tz = ZoneInfo(scenario.agencies[0].tz if scenario.agencies else "Europe/Moscow")
    printed: dict[str, int] = {}  # what the summary counts: exactly what was printed

    def show(call: TgCall) -> None:
        if call.method == "answerCallbackQuery" or call.chat_id is None:
            return
        who = people.get(call.chat_id)
        name = f"{who.name} ({ROLE_NAMES.get(who.role, who.role)})" if who else str(call.chat_id)
        verb = {
            "editMessageText": "обновлено сообщение",
            "sendPhoto": "фото",
            "sendDocument": "файл",
        }.get(call.method, "сообщение")
        emit(call.at, name, verb, call.text)

    def show_max(call: MaxCall) -> None:
        """Issue 13: what someone on MAX was shown, marked «в MAX»."""
        if call.method == "DELETE /messages" or call.user_id is None:
            return
        who = on_max.get(call.user_id)
        name = f"{who.name} ({ROLE_NAMES.get(who.role, who.role)})" if who else str(call.user_id)
        body = call.body if isinstance(call.body, dict) else {}
        kinds = {a.get("type") for a in body.get("attachments") or [] if isinstance(a, dict)}
        verb = (
            "обновлено сообщение"
            if call.method == "PUT /messages"
            else "фото"
            if "image" in kinds
            else "файл"
            if "file" in kinds
            else "сообщение"
        )
        emit(call.at, f"{name} в MAX", verb, call.text)

    def emit(at: datetime, name: str, verb: str, text: str | None) -> None:
        stamp = at.astimezone(tz).strftime("%d.%m %H:%M")
        body = _strip_html(text or "").strip().replace("\n", "\n      ")
        print(f"\n[{stamp}] → {name}: {verb}\n      {body}", flush=True)
        printed[verb] = printed.get(verb, 0) + 1

    start, end = (
        at.astimezone(tz).strftime("%d.%m.%Y %H:%M") for at in (scenario.start, scenario.end)
    )
    span = f"{start} — {end}"
    print(
        f"Сценарий: {args.scenario}\nВиртуальное время {span}, ускорение ×{args.speed:g}.",
        flush=True,
    )

    async def main() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="otklik-demo-") as tmp:
            async with Sandbox(
                scenario, workdir=Path(tmp), speed=args.speed, on_call=show, on_max_call=show_max
            ) as sandbox:
                await sandbox.run_app(scenario.end)
                await asyncio.sleep(0.1)
                return await sandbox.report()

    report = asyncio.run(main())
    _print_summary(report, printed)
    return 0


#: The demo's last words: what to do to run Otklik for real (issue 14).
NEXT_STEPS = """Дальше:
  1. Создайте .env с токенами: OTKLIK__MAX__TOKEN (бот MAX) и/или OTKLIK__TELEGRAM__TOKEN
     (бот от @BotFather) и OTKLIK__VK__SERVICE_TOKENS (сервисный ключ приложения ВКонтакте);
     подробно — README.
  2. Опишите ведомства, страницы и людей в registry.yaml (образец — registry.example.yaml).
  3. otklik check — проверит настройки, реестр, базу данных и токены.
  4. otklik run — запуск; otklik status — охват страниц ВКонтакте."""


def _print_summary(report: dict[str, Any], printed: dict[str, int] | None = None) -> None:
    complaints = report["complaints"]
    answered = [c for c in complaints if c["answered_at"]]
    times = [c["response_seconds"] for c in answered if c["response_seconds"] is not None]
    from matcher.sla import format_duration_ru

    print("\n=== Итог ===")
    print(
        f"Жалоб найдено: {len(complaints)}; с ответом: {len(answered)}; "
        f"отписок: {sum(1 for c in answered if c['otpiska'])}; "
        f"закрыто: {sum(1 for c in complaints if c['status'] in ('resolved', 'dismissed'))}"
    )
    if times:
        print(f"Медианное время ответа: {format_duration_ru(int(statistics.median(times)))}")
    counts = printed or {}
    parts = ", ".join(f"{verb}: {n}" for verb, n in sorted(counts.items()))
    print(
        f"Показано выше: {sum(counts.values())} ({parts or 'ничего'}); "
        f"запросов к ВКонтакте: {report['vk']['http_requests']}"
    )
    print("\n" + NEXT_STEPS)


def cmd_sandbox_run(args: argparse.Namespace) -> int:
    import asyncio

    from sandbox.runner import Sandbox

    scenario = _load_scenario_or_exit(Path(args.scenario))
    _output_file(Path(args.report))

    async def main() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="otklik-sandbox-") as tmp:
            async with Sandbox(scenario, workdir=Path(tmp), speed=args.speed) as sandbox:
                # Sent files beside the report, named from it (issue 14).
                report_path = Path(args.report)
                return await sandbox.run(report_path.parent / f"{report_path.stem}-files")

    report = asyncio.run(main())
    Path(args.report).write_text(
        json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    print(
        f"report written to {args.report}: {len(report['complaints'])} complaints, "
        f"{len(report['telegram'])} Telegram calls"
    )
    return 0


def _lenient_stdin() -> None:
    """Bytes that are not UTF-8 become U+FFFD instead of ending the run with a traceback."""
    reconfigure = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")


def cmd_classify(args: argparse.Namespace) -> int:
    from matcher.textcli import run_classify, settle_process

    _lenient_stdin()
    settle_process()
    return run_classify(sys.stdin, sys.stdout, explain=getattr(args, "explain", False))


def cmd_rate_answer(_: argparse.Namespace) -> int:
    from matcher.textcli import run_rate_answer, settle_process

    _lenient_stdin()
    settle_process(answers=True)
    return run_rate_answer(sys.stdin, sys.stdout)


def cmd_backup(args: argparse.Namespace) -> int:
    from storage.maintenance import backup_sqlite

    settings = _settings()
    target = _output_file(Path(args.file))
    try:
        path = backup_sqlite(settings.db.url, target)
    except FileNotFoundError as exc:
        raise CliError(
            f"backup failed: {exc}; fix: run it where `otklik run` runs, or set OTKLIK__DB__URL"
        ) from None
    except (ValueError, OSError, sqlite3.Error) as exc:
        raise CliError(f"backup failed: {exc}") from None
    print(f"backup written to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from storage.maintenance import restore_sqlite

    settings = _settings()
    backup = Path(args.file)
    if not backup.is_file():
        raise CliError(f"restore failed: no backup file at {backup}; fix: give the backup's path")
    try:
        path = restore_sqlite(settings.db.url, backup)
    except (ValueError, OSError, sqlite3.Error) as exc:
        raise CliError(
            f"restore failed: {exc}; fix: give a file written by otklik backup"
        ) from None
    print(f"database {path} restored from {args.file}")
    return 0


def cmd_erase_old(args: argparse.Namespace) -> int:
    import asyncio

    from config.clock import SystemClock
    from storage.db import make_session_factory
    from storage.maintenance import erase_personal_data

    settings = _settings()
    days = args.days if args.days is not None else settings.retention_days

    async def main() -> int:
        engine = await _open_database(settings)
        try:
            async with make_session_factory(engine)() as session, session.begin():
                result = await erase_personal_data(
                    session, now=SystemClock().now(), retention_days=days
                )
        finally:
            await engine.dispose()
        return result.erased_comments

    erased = asyncio.run(main())
    print(f"erased texts and author names of {erased} comments older than {days} days")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print per-page VK coverage from the database, in Russian and local time for a person,
    or as JSON (``--json``) for a machine (issue 14: ``bot/status_report.py``)."""
    import asyncio

    from bot.status_report import render_status, status_data
    from config.clock import SystemClock
    from storage.db import make_session_factory

    settings = _settings()
    if args.tz is not None:
        try:
            ZoneInfo(args.tz)
        except (ValueError, KeyError) as exc:
            raise CliError(f"--tz {args.tz}: no such time zone; fix: e.g. Europe/Moscow") from exc

    async def main() -> Any:
        engine = await _open_database(settings)
        try:
            return await status_data(
                make_session_factory(engine),
                SystemClock().now(),
                threshold_s=settings.metrics.collector_stale_s,
                tz=args.tz,
            )
        finally:
            await engine.dispose()

    data = asyncio.run(main())
    if args.json:
        print(json.dumps(data.as_json(), ensure_ascii=False, indent=2))
    else:
        print(render_status(data))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate settings, registry, database and tokens; a ✓/✗ checklist, exit 0 or 1."""
    import asyncio

    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from bot.check import describe_settings_error, format_items, run_checks
    from config.settings import Settings

    try:
        settings = Settings()
    except (ValidationError, SettingsError) as exc:
        print("✗ settings: " + describe_settings_error(exc))
        return 1
    items = asyncio.run(run_checks(settings, timeout_s=args.timeout))
    print(format_items(items))
    return 0 if all(it.ok for it in items) else 1


def cmd_export_labels(args: argparse.Namespace) -> int:
    import asyncio

    from storage.db import make_session_factory
    from storage.maintenance import export_labels

    settings = _settings()
    _output_file(Path(args.file))

    async def main() -> int:
        engine = await _open_database(settings)
        try:
            async with make_session_factory(engine)() as session:
                return await export_labels(session, Path(args.file))
        finally:
            await engine.dispose()

    n = asyncio.run(main())
    print(
        f"{n} moderator labels written to {args.file}; retrain with: "
        f"python -m matcher.train --extra {args.file}"
    )
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the fix rather than the usage block."""

    def error(self, message: str) -> Any:  # argparse's signature: NoReturn
        self.exit(2, f"{self.prog}: {message}; fix: see {self.prog} --help\n")


def _positive(kind: type[int] | type[float], example: str) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number (expected e.g. {example})"
            ) from None
        if not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be above 0, e.g. {example} (got {text})")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


DESCRIPTION = """\
Otklik watches the VK pages of government bodies for residents' questions and complaints and
tells the right officials in Telegram.

Start with: otklik demo (no setup), then otklik check and otklik run with a .env and a
registry.yaml (see registry.example.yaml)."""

EPILOG = """\
otklik COMMAND --help shows a command's options. A failing command prints what is wrong and
how to fix it; add --debug to see the traceback as well."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="otklik",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    debug_help = "show the traceback when the command fails"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, example: str) -> argparse.ArgumentParser:
        """A command whose --help ends with an example (issue 14)."""
        cmd = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # Also after the command (otklik status --debug); SUPPRESS keeps the global value.
        cmd.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help
        )
        return cmd

    speed = _positive(float, "600")
    run = command(
        "run",
        "run against real VK and Telegram (tokens from .env)",
        "otklik run\n  otklik run --role collector   # one of several processes (PostgreSQL)",
    )
    run.add_argument(
        "--demo-if-unconfigured",
        action="store_true",
        help="run the sandbox demo when tokens are missing",
    )
    run.add_argument(
        "--speed", type=speed, default=1500.0, help="demo speed when falling back, e.g. 1500"
    )
    run.add_argument(
        "--role",
        choices=["all", "collector", "bot", "scheduler"],
        default="all",
        help="which parts this process runs (several processes need PostgreSQL), e.g. bot",
    )
    run.set_defaults(func=cmd_run)
    demo = command(
        "demo",
        "a built-in region on fake VK and Telegram (no setup needed)",
        "otklik demo\n  otklik demo --scenario sandbox/scenarios/tour.yaml --speed 3000",
    )
    demo.add_argument(
        "--scenario",
        type=Path,
        default=DEMO_SCENARIO,
        help="a scenario YAML, e.g. sandbox/scenarios/tour.yaml",
    )
    demo.add_argument(
        "--speed", type=speed, default=1500.0, help="times faster than real time, e.g. 1500"
    )
    demo.set_defaults(func=cmd_demo)
    sandbox = command(
        "sandbox",
        "scenario runs on the fake VK and Telegram (sandbox run ...)",
        "otklik sandbox run sandbox/scenarios/demo.yaml --speed 600 --report report.json",
    )
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION")
    srun = sandbox_sub.add_parser(
        "run",
        help="run a scenario and write a JSON report (files sent beside it)",
        description="run a scenario and write a JSON report; the files sent (charts, "
        "workbooks) go to <report>-files next to it",
        epilog="example:\n  otklik sandbox run sandbox/scenarios/demo.yaml --report r.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    srun.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    srun.add_argument(
        "scenario", type=Path, help="a scenario YAML, e.g. sandbox/scenarios/demo.yaml"
    )
    srun.add_argument(
        "--speed", type=speed, default=600.0, help="times faster than real time, e.g. 600"
    )
    srun.add_argument(
        "--report", type=Path, required=True, help="where to write the report, e.g. r.json"
    )
    srun.set_defaults(func=cmd_sandbox_run)
    classify = command(
        "classify",
        "JSON lines {id,text} to {id,needs_answer,topic,score,urgent,reasons}",
        """echo '{"id": 1, "text": "Яма у дома 5, когда заделаете?"}' | otklik classify""",
    )
    classify.add_argument(
        "--explain",
        action="store_true",
        help="add the rules, cue words and weighted features behind each decision, "
        "e.g. otklik classify --explain < comments.jsonl",
    )
    classify.set_defaults(func=cmd_classify)
    rate = command(
        "rate-answer",
        "JSON lines {id,complaint,answer} to an answer's rating",
        "otklik rate-answer < pairs.jsonl > ratings.jsonl",
    )
    rate.set_defaults(func=cmd_rate_answer)
    backup = command(
        "backup", "consistent copy of the SQLite database", "otklik backup backup-2026-11-23.db"
    )
    backup.add_argument("file", type=Path, help="the copy to write, e.g. backup.db")
    backup.set_defaults(func=cmd_backup)
    restore = command(
        "restore",
        "replace the SQLite database with a backup",
        "otklik restore backup-2026-11-23.db",
    )
    restore.add_argument("file", type=Path, help="a file written by otklik backup, e.g. backup.db")
    restore.set_defaults(func=cmd_restore)
    erase = command(
        "erase-old",
        "erase personal data past the retention period",
        "otklik erase-old --days 365",
    )
    erase.add_argument(
        "--days",
        type=_positive(int, "365"),
        default=None,
        help="keep this many days (default: OTKLIK__RETENTION_DAYS), e.g. --days 365",
    )
    erase.set_defaults(func=cmd_erase_old)
    labels = command(
        "export-labels",
        "moderators' marks as JSON lines for matcher.train",
        "otklik export-labels marks.jsonl && python -m matcher.train --extra marks.jsonl",
    )
    labels.add_argument("file", type=Path, help="the JSON lines file to write, e.g. marks.jsonl")
    labels.set_defaults(func=cmd_export_labels)
    status = command(
        "status",
        "VK coverage per page: last check, lag (past the threshold marked), quota",
        "otklik status            # in Russian, local time\n  otklik status --json",
    )
    status.add_argument("--json", action="store_true", help="JSON for machines, e.g. --json")
    status.add_argument(
        "--tz",
        default=None,
        help="time zone of the times shown (default: the agencies'), e.g. --tz Asia/Novosibirsk",
    )
    status.set_defaults(func=cmd_status)
    check = command(
        "check",
        "validate settings, registry, database and tokens",
        "otklik check --timeout 20",
    )
    check.add_argument(
        "--timeout",
        type=_positive(float, "10"),
        default=10.0,
        help="seconds per network check, e.g. --timeout 20",
    )
    check.set_defaults(func=cmd_check)
    return parser


def _explain(exc: BaseException) -> tuple[list[str], int]:
    """What to print (one line per problem) and the exit code for a failed command."""
    from sqlalchemy.exc import DBAPIError

    from config.registry import RegistryError

    if isinstance(exc, CliError):
        return list(exc.lines), exc.code
    if isinstance(exc, RegistryError):
        return str(exc).splitlines(), 2
    if isinstance(exc, KeyboardInterrupt):
        return ["interrupted"], 130
    if isinstance(exc, DBAPIError):
        first = str(exc.orig or exc).splitlines()[0] if str(exc.orig or exc) else ""
        return [
            f"database error: {first}; fix: check OTKLIK__DB__URL, that the database runs, "
            "and that its disk is not full"
        ], 1
    if isinstance(exc, OSError) and exc.filename is not None:
        return [f"{exc.filename}: {exc.strerror or exc}; fix: check that path"], 2
    text = str(exc).splitlines()[0] if str(exc) else ""
    return [
        f"unexpected error: {type(exc).__name__}: {text} (a bug: run again with --debug and "
        "report the traceback)"
    ], 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = " ".join(filter(None, [args.command, getattr(args, "sandbox_command", None)]))
    try:
        code: int = args.func(args)
    except SystemExit:
        raise
    except BrokenPipeError:
        # The reader went away (otklik classify | head): stop quietly, as other tools do.
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), sys.stdout.fileno())
        return 1
    except (Exception, KeyboardInterrupt) as exc:
        if args.debug:
            raise
        lines, code = _explain(exc)
        for line in lines:
            print(f"otklik {name}: {line}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
