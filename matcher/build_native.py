"""``python -m matcher.build_native``: compile the matcher's hot path (matcher.compiled)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from matcher.compiled import (
    BUILD_DIR,
    COMPILED,
    GROUP,
    PACKAGE_DIR,
    ROOT,
    STAMP,
    is_current,
    sources_digest,
)


def build(build_dir: Path = BUILD_DIR) -> None:
    """Compile ``COMPILED`` into ``build_dir`` (replaced whole, only once the build succeeded)."""
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    digest = sources_digest()
    with tempfile.TemporaryDirectory(prefix="otklik-native-") as tmp:
        staging = Path(tmp) / "out"
        # setuptools reads a pyproject.toml in the working directory: run where there is none
        script = (
            "import sys\n"
            "from mypyc.build import mypycify\n"
            "from setuptools import setup\n"
            "paths, out, tmp = sys.argv[1:-2], sys.argv[-2], sys.argv[-1]\n"
            f"ext = mypycify(paths, opt_level='3', group_name={GROUP!r}, target_dir=tmp + '/c')\n"
            "setup(name='otklik-native', ext_modules=ext, script_args=["
            "'-q', 'build_ext', '--build-lib', out, '--build-temp', tmp + '/o'])\n"
        )
        paths = [str(PACKAGE_DIR / f"{name}.py") for name in COMPILED]
        config = ["--config-file", str(ROOT / "pyproject.toml")]
        subprocess.run(
            [sys.executable, "-c", script, *config, *paths, str(staging), tmp],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (staging / STAMP).write_text(digest + "\n", encoding="ascii")
        old = build_dir.with_name(build_dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if build_dir.exists():
            build_dir.rename(old)
        shutil.move(str(staging), build_dir)
        shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Build unless a build of the current sources exists; a failed build leaves plain Python."""
    args = sys.argv[1:] if argv is None else argv
    if is_current() and "--force" not in args:
        print("matcher.build_native: the compiled matcher is up to date")
        return 0
    try:
        build()
    except (OSError, subprocess.CalledProcessError) as exc:
        print(
            f"matcher.build_native: could not compile the matcher ({exc}); it runs as plain "
            "Python, about 15-20% slower; fix: install a C compiler and the Python headers, "
            "then run `.venv/bin/python -m matcher.build_native`",
            file=sys.stderr,
        )
        return 1
    print(f"matcher.build_native: compiled {len(COMPILED)} modules into {BUILD_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
