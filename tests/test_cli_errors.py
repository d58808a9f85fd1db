"""Issue 11, defect 10: every ``otklik`` command fails with one clear line, not a traceback.

An operator who runs a command in the wrong directory, mistypes an argument or points a setting
at nothing gets ``otklik <command>: what is wrong; fix: …`` on stderr and a non-zero exit code;
the traceback only with ``--debug``.  Most cases call ``bot.cli.main`` in-process; the text
tools and ``--help`` run the installed ``otklik`` entry point in a subprocess.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.check import check_database
from bot.cli import CliError, main
from config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

SCENARIO = """\
start: 2026-11-23T08:00:00+03:00
end: 2026-11-23T10:00:00+03:00
agencies:
  - {id: city, name: Администрация}
pages:
  - {group_id: 1001, name: Администрация, agency: city}
people:
  - {telegram_id: 601, name: Ольга, role: moderator}
posts:
  - {page: 1001, id: 10, at: 2026-11-23T08:00:00+03:00, text: Итоги}
events:
  - at: 2026-11-23T08:05:00+03:00
    comment: {page: 1001, post: 10, id: 11, from_id: 7001, text: "Яма у дома 5"}
  - at: 2026-11-23T08:10:00+03:00
    comment: {page: 1003, post: 10, id: 12, from_id: 7002, text: "Когда починят?"}
"""

REGISTRY = """\
agencies:
  - {id: city, name: Администрация}
pages:
  - {group_id: 1001, name: Администрация, agency: city}
people:
  - {telegram_id: 601, name: Ольга, role: moderator}
  - {telegram_id: 601, name: Олег, role: lead}
"""


pytestmark = pytest.mark.usefixtures("clean_env")  # a fresh directory, no OTKLIK settings


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    """Exit code and the stderr lines of ``otklik ARGV`` (argparse errors exit via SystemExit)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err.splitlines()


def one_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, lines = run_cli(capsys, *argv)
    assert code != 0
    assert len(lines) == 1, lines
    command = " ".join(a for a in argv if not a.startswith("-"))
    assert lines[0].startswith(f"otklik {argv[0]}"), (command, lines)
    return lines[0]


def test_status_export_and_erase_before_the_database_exists(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for argv in (["status"], ["export-labels", "labels.jsonl"], ["erase-old"]):
        line = one_line(capsys, *argv)
        assert "no database at data/otklik.db" in line and "OTKLIK__DB__URL" in line
        assert "fix:" in line
    assert not (tmp_path / "data").exists()  # nothing was created on the way


def test_a_database_file_without_tables_and_a_bad_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite3.connect(tmp_path / "empty.db").close()
    monkeypatch.setenv("OTKLIK__DB__URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert "has no Otklik tables" in one_line(capsys, "status")
    monkeypatch.setenv("OTKLIK__DB__URL", "not a url")
    assert "OTKLIK__DB__URL is not a database URL" in one_line(capsys, "status")


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["erase-old", "--days", "-5"], "--days"),
        (["erase-old", "--days", "0"], "--days"),
        (["erase-old", "--days", "a year"], "--days"),
        (["demo", "--speed", "0"], "--speed"),
        (["sandbox", "run", "x.yaml", "--report", "r.json", "--speed", "-1"], "--speed"),
        (["check", "--timeout", "-1"], "--timeout"),
        (["status", "--bogus"], "--bogus"),
        (["bogus"], "bogus"),
    ],
)
def test_bad_arguments_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], names: str
) -> None:
    code, lines = run_cli(capsys, *argv)
    assert code == 2
    assert len(lines) == 1, lines
    assert names in lines[0] and "--help" in lines[0]


def test_no_command_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run_cli(capsys)
    assert code == 2 and len(lines) == 1 and "COMMAND" in lines[0]


def test_scenario_event_on_an_undeclared_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    for argv in (
        ["sandbox", "run", "s.yaml", "--report", "r.json"],
        ["demo", "--scenario", "s.yaml"],
    ):
        line = one_line(capsys, *argv)
        assert line.endswith(
            "s.yaml:15: events[1]: page 1003 is not declared under pages "
            "(fix: add it under pages, or use a declared one: 1001)"
        ), line
    assert not (tmp_path / "r.json").exists()


def test_scenario_files_that_cannot_be_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    line = one_line(capsys, "sandbox", "run", "missing.yaml", "--report", "r.json")
    assert "missing.yaml: cannot read the scenario: No such file or directory" in line
    (tmp_path / "bad.yaml").write_text("start: [2026\n", encoding="utf-8")
    line = one_line(capsys, "sandbox", "run", "bad.yaml", "--report", "r.json")
    assert "bad.yaml:2: not valid YAML" in line
    line = one_line(capsys, "demo", "--scenario", str(tmp_path))
    assert "cannot read the scenario: Is a directory" in line
    # The report place is checked before a long run, not after it.
    good = tmp_path / "good.yaml"
    good.write_text(SCENARIO.split("  - at: 2026-11-23T08:10")[0], encoding="utf-8")
    line = one_line(capsys, "sandbox", "run", "good.yaml", "--report", str(tmp_path))
    assert f"{tmp_path} is a directory" in line


def test_backup_and_restore_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "no backup file at nothere.bak" in one_line(capsys, "restore", "nothere.bak")
    (tmp_path / "plain").write_text("not a database", encoding="utf-8")
    assert "is not a SQLite database" in one_line(capsys, "restore", "plain")
    (tmp_path / "data").mkdir()
    sqlite3.connect(tmp_path / "data" / "otklik.db").close()
    line = one_line(capsys, "backup", "plain/copy.db")  # a file where a directory must be
    assert "cannot create the directory plain" in line


def test_run_with_a_broken_registry_names_the_entry_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("OTKLIK__TELEGRAM__TOKEN", "42:AAbcdefghijklmnopqrstuvwxyz0123456")
    monkeypatch.setenv("OTKLIK__VK__SERVICE_TOKENS", "abc123")  # a bare token is fine
    line = one_line(capsys, "run")
    assert line == (
        "otklik run: registry.yaml:7: people[1] (Олег): telegram_id 601 is already used by "
        "people[0] (Ольга) (fix: one entry per person; list all of an official's agencies in "
        "that entry)"
    )
    (tmp_path / "registry.yaml").unlink()
    (tmp_path / "registry.yaml").mkdir()
    line = one_line(capsys, "run")
    assert "registry.yaml: cannot read the registry file: Is a directory" in line
    assert "OTKLIK__REGISTRY_PATH" in line


def test_run_and_check_with_a_database_url_that_cannot_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "registry.yaml").write_text(REGISTRY.rsplit("  - ", 1)[0], encoding="utf-8")
    monkeypatch.setenv("OTKLIK__TELEGRAM__TOKEN", "42:AAbcdefghijklmnopqrstuvwxyz0123456")
    monkeypatch.setenv("OTKLIK__VK__SERVICE_TOKENS", "abc123")
    (tmp_path / "file").write_text("", encoding="utf-8")
    monkeypatch.setenv("OTKLIK__DB__URL", f"sqlite+aiosqlite:///{tmp_path / 'file' / 'o.db'}")
    line = one_line(capsys, "run")
    assert "cannot create the database directory" in line and "OTKLIK__DB__URL" in line
    monkeypatch.setenv("OTKLIK__DB__URL", "otklik.db")
    assert "OTKLIK__DB__URL is not a database URL" in one_line(capsys, "run")
    # otklik check lists it as a failed item rather than stopping there.
    [item] = asyncio.run(check_database(Settings(), timeout_s=2))
    assert not item.ok and "OTKLIK__DB__URL is not a database URL" in item.detail


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "OTKLIK__VK__SERVICE_TOKENS",
            '["sekret-abc123"',
            "OTKLIK__VK__SERVICE_TOKENS: starts with [ but is not a JSON list (expected: a VK "
            "service key, or several separated by commas",
        ),
        (
            "OTKLIK__VK__RPS_PER_TOKEN",
            "-3",
            "OTKLIK__VK__RPS_PER_TOKEN: input should be greater than 0 (expected: requests per "
            "second per token, e.g. 3)",
        ),
        ("OTKLIK__VK__QUOTAS", "wall.get:-1", "OTKLIK__VK__QUOTAS: input should be greater"),
        ("OTKLIK__VK__POLL_INTERVAL_S", "0", "OTKLIK__VK__POLL_INTERVAL_S: input should be"),
        ("OTKLIK__VK__REQUEST_TIMEOUT_S", "-1", "OTKLIK__VK__REQUEST_TIMEOUT_S: input should"),
        ("OTKLIK__VK", "{not json", "OTKLIK__VK: is not valid JSON"),
    ],
)
def test_bad_settings_name_the_variable_and_its_shape(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.setenv(variable, value)
    line = one_line(capsys, "status")
    assert line.startswith("otklik status: " + expected), line
    assert "sekret" not in line  # a token is never printed


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CliError, match="no database"):
        main(["--debug", "status"])
    with pytest.raises(CliError, match="no database"):
        main(["status", "--debug"])


def test_an_unexpected_failure_is_one_line_pointing_at_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: object) -> int:
        raise RuntimeError("something we did not foresee\nsecond line")

    monkeypatch.setattr(cli, "cmd_status", broken)
    code, lines = run_cli(capsys, "status")
    assert code == 1
    assert lines == [
        "otklik status: unexpected error: RuntimeError: something we did not foresee "
        "(a bug: run again with --debug and report the traceback)"
    ]


# ---- the installed entry point -------------------------------------------------------------


def otklik(*argv: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("otklik", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "bot.cli"]
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("OTKLIK")}
    return subprocess.run(
        [*cmd, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_help_lists_every_command_in_plain_text(tmp_path: Path) -> None:
    done = otklik("--help", cwd=tmp_path)
    assert done.returncode == 0
    commands = cli.build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"\n    {name}" in done.stdout, name
    assert "``" not in done.stdout and "--debug" in done.stdout


def test_classify_whose_first_text_has_no_words(tmp_path: Path) -> None:
    """The shipped model in a fresh process: the first text an emoji, then nothing, then
    punctuation, then a broken line; every line answered in order, and the run goes on."""
    lines = [
        json.dumps({"id": 1, "text": "👍👍"}),
        json.dumps({"id": 2, "text": ""}),
        json.dumps({"id": 3, "text": "?!..."}),
        "{broken",
        json.dumps(
            {"id": 5, "text": "Третий день нет горячей воды, когда дадут?"}, ensure_ascii=False
        ),
    ]
    done = otklik("classify", stdin="\n".join(lines) + "\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, None, 5]
    for row in rows[:3]:
        assert row["needs_answer"] is False and row["topic"] == "other", row
    assert "invalid JSON" in rows[3]["error"]
    assert {"id", "needs_answer", "topic", "score"} <= set(rows[4]) and "error" not in rows[4]


def test_status_without_a_database_through_the_entry_point(tmp_path: Path) -> None:
    done = otklik("status", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "otklik status: no database at data/otklik.db: Otklik has not run with this "
        "OTKLIK__DB__URL yet; fix: run this where `otklik run` runs (same directory and .env), "
        "or set OTKLIK__DB__URL to the existing database"
    ]
