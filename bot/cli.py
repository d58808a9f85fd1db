"""The ``otklik`` command: run, demo, sandbox run, classify, rate-answer."""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import re
import signal
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from config.clock import SystemClock
from config.registry import RegistryError, load_registry
from config.settings import Settings

DEMO_SCENARIO = Path(__file__).resolve().parent.parent / "sandbox" / "scenarios" / "demo.yaml"

HOW_TO_CONFIGURE = """\
Otklik needs, in the environment or in a .env file next to where you run it:
  OTKLIK__TELEGRAM__TOKEN=123456:ABC...      a bot token: talk to @BotFather in Telegram,
                                             send /newbot, copy the token it gives you
  OTKLIK__VK__SERVICE_TOKENS='["..."]'       a VK service key: create an app at
                                             https://dev.vk.com (My apps → create),
                                             open it, copy its service key («Сервисный ключ»)
  OTKLIK__REGISTRY_PATH=registry.yaml        agencies, pages, people and routing rules
                                             (see registry.example.yaml)
Optional: OTKLIK__DB__URL (default sqlite+aiosqlite:///./data/otklik.db).
Try it without any of these: `otklik demo` runs a built-in region on fake VK and Telegram."""


def _strip_html(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _app_clock() -> Any:
    """The system clock; or, for multi-process sandbox runs (tests, bench/scale.py), a virtual
    clock anchored to the wall clock: ``OTKLIK__CLOCK__START`` (ISO instant),
    ``OTKLIK__CLOCK__SPEED`` and ``OTKLIK__CLOCK__EPOCH`` (Unix time of ``START``), so that
    every process, the fakes' included, shows the same virtual time."""
    import os
    from datetime import datetime

    from config.clock import VirtualClock

    start = os.environ.get("OTKLIK__CLOCK__START")
    if not start:
        return SystemClock()
    return VirtualClock.anchored(
        datetime.fromisoformat(start),
        float(os.environ.get("OTKLIK__CLOCK__SPEED", "1")),
        float(os.environ["OTKLIK__CLOCK__EPOCH"]),
    )


def cmd_run(args: argparse.Namespace) -> int:
    from bot.roles import Role, needs_telegram, needs_vk

    settings = Settings()
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
    try:
        registry = load_registry(settings.registry_path)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 2
    from bot.logging_setup import setup_logging

    setup_logging(settings.log_level, settings.log_format)
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
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def cmd_demo(args: argparse.Namespace) -> int:
    from sandbox.fake_telegram import TgCall
    from sandbox.runner import Sandbox

    scenario = _load_scenario_or_exit(Path(args.scenario))
    people = {p.telegram_id: p for p in scenario.people}
    from bot.texts import ROLE_NAMES

    tz = ZoneInfo(scenario.agencies[0].tz if scenario.agencies else "Europe/Moscow")

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
        stamp = call.at.astimezone(tz).strftime("%d.%m %H:%M")
        body = _strip_html(call.text or "").strip().replace("\n", "\n      ")
        print(f"\n[{stamp}] → {name}: {verb}\n      {body}", flush=True)

    print(
        f"Сценарий: {args.scenario}\nВиртуальное время с {scenario.start} по {scenario.end}, "
        f"ускорение ×{args.speed:g}.",
        flush=True,
    )

    async def main() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="otklik-demo-") as tmp:
            async with Sandbox(
                scenario, workdir=Path(tmp), speed=args.speed, on_call=show
            ) as sandbox:
                await sandbox.run_app(scenario.end)
                await asyncio.sleep(0.1)
                return await sandbox.report()

    report = asyncio.run(main())
    _print_summary(report)
    return 0


def _print_summary(report: dict[str, Any]) -> None:
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
    sent = [
        t
        for t in report["telegram"]
        if t["method"] in ("sendMessage", "editMessageText") and t["status"] == 200
    ]
    print(f"Сообщений в Telegram: {len(sent)}; запросов к VK: {report['vk']['http_requests']}")


def cmd_sandbox_run(args: argparse.Namespace) -> int:
    from sandbox.runner import Sandbox

    scenario = _load_scenario_or_exit(Path(args.scenario))

    async def main() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="otklik-sandbox-") as tmp:
            async with Sandbox(scenario, workdir=Path(tmp), speed=args.speed) as sandbox:
                return await sandbox.run()

    report = asyncio.run(main())
    Path(args.report).write_text(
        json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    print(
        f"report written to {args.report}: {len(report['complaints'])} complaints, "
        f"{len(report['telegram'])} Telegram calls"
    )
    return 0


def cmd_classify(_: argparse.Namespace) -> int:
    from matcher.textcli import run_classify

    return run_classify(sys.stdin, sys.stdout)


def cmd_rate_answer(_: argparse.Namespace) -> int:
    from matcher.textcli import run_rate_answer

    return run_rate_answer(sys.stdin, sys.stdout)


def cmd_backup(args: argparse.Namespace) -> int:
    from storage.maintenance import backup_sqlite

    settings = Settings()
    try:
        path = backup_sqlite(settings.db.url, Path(args.file))
    except (ValueError, FileNotFoundError) as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 2
    print(f"backup written to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from storage.maintenance import restore_sqlite

    settings = Settings()
    try:
        path = restore_sqlite(settings.db.url, Path(args.file))
    except (ValueError, OSError) as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 2
    print(f"database {path} restored from {args.file}")
    return 0


def cmd_erase_old(args: argparse.Namespace) -> int:
    from storage.db import make_engine, make_session_factory
    from storage.maintenance import erase_personal_data

    settings = Settings()
    days = args.days or settings.retention_days

    async def main() -> int:
        engine = make_engine(settings.db.url)
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


def cmd_status(_: argparse.Namespace) -> int:
    """Print per-page VK coverage from the database (what /status shows in the bot)."""
    from bot.collecting import coverage_report
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade

    settings = Settings()

    async def main() -> str:
        engine = make_engine(settings.db.url)
        try:
            await upgrade(engine)
            return await coverage_report(make_session_factory(engine), SystemClock().now())
        finally:
            await engine.dispose()

    print(asyncio.run(main()))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate settings, registry, database and tokens; a ✓/✗ checklist, exit 0 or 1."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from bot.check import describe_settings_error, format_items, run_checks

    try:
        settings = Settings()
    except (ValidationError, SettingsError) as exc:
        print("✗ settings: " + describe_settings_error(exc))
        return 1
    items = asyncio.run(run_checks(settings, timeout_s=args.timeout))
    print(format_items(items))
    return 0 if all(it.ok for it in items) else 1


def cmd_export_labels(args: argparse.Namespace) -> int:
    from storage.db import make_engine, make_session_factory
    from storage.maintenance import export_labels

    settings = Settings()

    async def main() -> int:
        engine = make_engine(settings.db.url)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="otklik", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run against real VK and Telegram (tokens from .env)")
    run.add_argument(
        "--demo-if-unconfigured",
        action="store_true",
        help="run the sandbox demo when tokens are missing",
    )
    run.add_argument("--speed", type=float, default=1500.0, help="demo speed when falling back")
    run.add_argument(
        "--role",
        choices=["all", "collector", "bot", "scheduler"],
        default="all",
        help="which parts this process runs (several processes need PostgreSQL)",
    )
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="a built-in region on fake VK and Telegram")
    demo.add_argument("--scenario", type=Path, default=DEMO_SCENARIO)
    demo.add_argument("--speed", type=float, default=1500.0)
    demo.set_defaults(func=cmd_demo)
    sandbox = sub.add_parser("sandbox", help="scenario runs on the fakes")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True)
    srun = sandbox_sub.add_parser("run", help="run a scenario and write a JSON report")
    srun.add_argument("scenario", type=Path)
    srun.add_argument("--speed", type=float, default=600.0)
    srun.add_argument("--report", type=Path, required=True)
    srun.set_defaults(func=cmd_sandbox_run)
    classify = sub.add_parser(
        "classify", help="JSON lines {id,text} → {id,needs_answer,topic,score}"
    )
    classify.set_defaults(func=cmd_classify)
    rate = sub.add_parser("rate-answer", help="JSON lines {id,complaint,answer} → rating")
    rate.set_defaults(func=cmd_rate_answer)
    backup = sub.add_parser("backup", help="consistent copy of the SQLite database")
    backup.add_argument("file", type=Path)
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="replace the SQLite database with a backup")
    restore.add_argument("file", type=Path)
    restore.set_defaults(func=cmd_restore)
    erase = sub.add_parser("erase-old", help="erase personal data past the retention period")
    erase.add_argument("--days", type=int, default=None, help="default: OTKLIK__RETENTION_DAYS")
    erase.set_defaults(func=cmd_erase_old)
    labels = sub.add_parser("export-labels", help="moderators' marks as JSONL for matcher.train")
    labels.add_argument("file", type=Path)
    labels.set_defaults(func=cmd_export_labels)
    status = sub.add_parser("status", help="VK coverage per page: last check, lag, quota")
    status.set_defaults(func=cmd_status)
    check = sub.add_parser("check", help="validate settings, registry, database and tokens")
    check.add_argument("--timeout", type=float, default=10.0, help="seconds per network check")
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
