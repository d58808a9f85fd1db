#!/usr/bin/env bash
# Create .venv (if missing) and install Otklik into it; "$1" is the extras spec, e.g. "[test]".
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${1:-}"
# The matcher's hot path compiled with mypyc (matcher/compiled.py); without a C compiler it
# says so and the matcher runs as plain Python, the same decisions ~15-20% slower.
.venv/bin/python -m matcher.build_native || true
