"""The core knows no messenger: nothing under ``bot/core`` imports aiogram or maxapi, neither
directly nor through what it imports (issue 13: Telegram and MAX are adapters beside it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
CORE = ROOT / "bot" / "core"
CLIENTS = ("aiogram", "maxapi")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _core_modules() -> list[str]:
    return sorted(
        "bot.core" if p.stem == "__init__" else f"bot.core.{p.stem}" for p in CORE.glob("*.py")
    )


def test_no_core_file_names_a_messenger_client() -> None:
    files = sorted(CORE.glob("*.py"))
    assert len(files) >= 6  # types, callbacks, keyboards, capabilities, markup, …
    for path in files:
        leaked = {m for m in _imports(path) if m.split(".")[0] in CLIENTS}
        assert not leaked, f"{path.relative_to(ROOT)} imports {sorted(leaked)}"


def test_importing_the_core_loads_no_messenger_client() -> None:
    """What the core imports in turn (texts, storage, config) must stay clear of them too."""
    code = (
        "import importlib, sys\n"
        f"for name in {_core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {CLIENTS!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_the_check_would_see_a_leak(tmp_path: Path) -> None:
    """The scan reads ``from x import``, ``import x`` and imports under TYPE_CHECKING."""
    leaky = tmp_path / "leaky.py"
    leaky.write_text(
        "from typing import TYPE_CHECKING\n"
        "import aiogram.types\n"
        "if TYPE_CHECKING:\n"
        "    from maxapi import Bot\n",
        encoding="utf-8",
    )
    assert {"aiogram.types", "maxapi"} <= _imports(leaky)
