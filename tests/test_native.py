"""The matcher compiled with mypyc (matcher.compiled): used only when built from the sources of
now, and deciding every comment exactly as the plain Python does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from matcher import compiled
from matcher.build_native import build

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "matcher" / "data"
REAL_SETS = (
    DATA / "real" / "vk_news_comments.jsonl",
    DATA / "real" / "kz_akimat_complaints.jsonl",
    DATA / "second_author" / "city_chat.jsonl",
    DATA / "second_author" / "emergencies.jsonl",
)


def _current_build() -> None:
    """A build of the sources of now in build/native, as `scripts/setup-venv.sh` leaves it
    (skips where no C compiler exists: there the matcher runs as plain Python, which every
    other test checks)."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(os.environ.get("CC", compiler)) is None:
        pytest.skip(f"no C compiler ({compiler}) to build the compiled matcher with")
    if not compiled.is_current():
        build()


def _python(code: str, args: list[str], stdin: str, *, pure: bool) -> str:
    """The output of ``python -c code args`` with the compiled matcher on or off."""
    env = {**os.environ, compiled.PURE_ENV: "1" if pure else "0"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    return done.stdout


def _otklik(args: list[str], stdin: str, *, pure: bool) -> str:
    return _python("from bot.cli import main; raise SystemExit(main())", args, stdin, pure=pure)


def _runs_compiled(*, pure: bool) -> bool:
    code = "from matcher.compiled import is_compiled; print(is_compiled())"
    return _python(code, [], "", pure=pure).strip() == "True"


def test_the_compiled_matcher_decides_every_real_comment_as_the_plain_one() -> None:
    _current_build()
    assert _runs_compiled(pure=False), "a build of the current sources was not used"
    assert not _runs_compiled(pure=True)
    texts = [
        json.loads(line)["text"]
        for path in REAL_SETS
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(texts) > 2_500
    lines = "".join(
        json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)
    )
    plain = _otklik(["classify"], lines, pure=True)
    native = _otklik(["classify"], lines, pure=False)
    assert plain.count("\n") == len(texts)
    assert native == plain
    # the reasons a moderator reads: every feature, rule and keyword behind each decision
    some = "".join(lines.splitlines(keepends=True)[::10])
    assert _otklik(["classify", "--explain"], some, pure=False) == _otklik(
        ["classify", "--explain"], some, pure=True
    )


def test_a_build_of_other_sources_is_never_used(tmp_path: Path) -> None:
    build_dir = tmp_path / "native"
    (build_dir / "matcher").mkdir(parents=True)
    path: list[str] = []
    assert not compiled.enable(path, build_dir)  # never built
    (build_dir / compiled.STAMP).write_text("0" * 32 + "\n", encoding="ascii")
    assert not compiled.enable(path, build_dir)  # built from other sources: an edited module
    assert path == []
    (build_dir / compiled.STAMP).write_text(compiled.sources_digest() + "\n", encoding="ascii")
    assert compiled.enable(path, build_dir)
    assert path == [str(build_dir / "matcher")]


def test_the_build_can_be_turned_off_for_a_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_dir = tmp_path / "native"
    build_dir.mkdir()
    (build_dir / compiled.STAMP).write_text(compiled.sources_digest() + "\n", encoding="ascii")
    monkeypatch.setenv(compiled.PURE_ENV, "1")
    path: list[str] = []
    assert not compiled.enable(path, build_dir)
    assert path == []


def test_a_failed_build_says_how_to_fix_it_and_keeps_the_matcher_working() -> None:
    _current_build()
    before = (compiled.BUILD_DIR / compiled.STAMP).read_text(encoding="ascii")
    env = {**os.environ, "CC": "false"}  # a C compiler that fails: as on a machine with none
    done = subprocess.run(
        [sys.executable, "-m", "matcher.build_native", "--force"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert "could not compile the matcher" in done.stderr
    assert "fix: install a C compiler" in done.stderr
    assert (compiled.BUILD_DIR / compiled.STAMP).read_text(encoding="ascii") == before
    out = _otklik(["classify"], '{"id": 1, "text": "яма во дворе"}\n', pure=False)
    assert json.loads(out)["needs_answer"] is True
