"""The matcher's hot path compiled to C with mypyc, used only when built from these sources.

``python -m matcher.build_native`` (run by ``scripts/setup-venv.sh``) compiles ``COMPILED``
with mypyc, the compiler inside mypy: the code is already strictly typed, so one source runs
either way and nothing is written twice.  The extension modules go to ``build/native`` with a
digest of the sources they came from; ``matcher/__init__.py`` puts that directory first on
the package's path only when the digest matches the sources of now, so an edited module is
never shadowed by an older build (it runs as plain Python until the next build).
``OTKLIK_PURE_PYTHON=1`` turns the build off for a process.

Why: ``otklik classify`` spends its time in short Python loops over a comment's words (dict
look-ups, small lists); compiled, a comment costs ~15-20% less CPU time with every decision
identical (tests/test_native.py compares both over real comments).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
BUILD_DIR = ROOT / "build" / "native"
STAMP = "SOURCES"
GROUP = "otklik_matcher"  # the name of mypyc's shared library: otklik_matcher__mypyc.*.so
PURE_ENV = "OTKLIK_PURE_PYTHON"

# What a comment passes through in ``otklik classify`` and in the ingest; the rest of the
# package (training, answers' quality, the SLA calendar) stays plain Python.
COMPILED = (
    "text",
    "spelling",
    "rules",
    "features",
    "model",
    "classifier",
    "urgency",
    "vectors",
    "textcli",
)


def sources_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """A digest of the compiled modules' sources and of the interpreter that runs them."""
    h = hashlib.blake2b(digest_size=16)
    h.update(sys.implementation.cache_tag.encode())
    for name in COMPILED:
        h.update(name.encode())
        h.update((package_dir / f"{name}.py").read_bytes())
    return h.hexdigest()


def is_current(build_dir: Path = BUILD_DIR) -> bool:
    """Whether ``build_dir`` holds a build of the sources of now (for this Python)."""
    try:
        stamp = (build_dir / STAMP).read_text(encoding="ascii").strip()
    except OSError:
        return False
    return stamp == sources_digest()


def enable(package_path: list[str], build_dir: Path = BUILD_DIR) -> bool:
    """Put a build of the current sources first on the package's path; False when there is
    none (never built, built from other sources or another Python, or turned off)."""
    if os.environ.get(PURE_ENV, "") not in ("", "0") or not is_current(build_dir):
        return False
    package_path.insert(0, str(build_dir / "matcher"))
    if str(build_dir) not in sys.path:
        sys.path.append(str(build_dir))  # the compiled modules import the shared library by name
    return True


def is_compiled() -> bool:
    """Whether this process runs the compiled modules (checked on one of them)."""
    from matcher import rules

    return not (rules.__file__ or "").endswith(".py")
