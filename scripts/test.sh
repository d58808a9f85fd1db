#!/usr/bin/env bash
# Install what the tests need, then lint, type-check and run the whole suite on SQLite,
# and every database test again on a real PostgreSQL started by scripts/postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh "[test]"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

run_pytest() {
  set +e
  .venv/bin/pytest "$@"
  local code=$?
  set -e
  if [ "$code" -eq 5 ]; then
    echo "pytest collected no tests: failing on purpose" >&2
    return 1
  fi
  return "$code"
}

# Tests in parallel processes (pytest-xdist): most of them wait on a clock or a socket, not
# the CPU.  The heavy ones (tests/conftest.py: XDIST_GROUPS) share one process, one at a time.
PARALLEL=(-n "${OTKLIK_TEST_WORKERS:-3}" --dist loadgroup --durations=10)
echo "== all tests (SQLite) =="
run_pytest -q "${PARALLEL[@]}"
echo "== database tests on PostgreSQL =="
PG_DSN=$(bash scripts/postgres.sh)
OTKLIK_TEST_PG="$PG_DSN" run_pytest -q -m db "${PARALLEL[@]}"
