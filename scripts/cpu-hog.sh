#!/usr/bin/env bash
# Keep N cores busy (default 2) while a command runs, to prove the tests do not need an idle
# machine (issue 11: a fresh clone's CI failed on a loaded machine).
#
#   bash scripts/cpu-hog.sh                          # busy until Ctrl-C
#   bash scripts/cpu-hog.sh -- bash scripts/test.sh  # the whole suite beside 2 busy loops
#   HOG_CORES=4 bash scripts/cpu-hog.sh -- .venv/bin/pytest -q tests/test_e2e.py
#
# Exits with the command's status; the busy loops end with it.
set -euo pipefail
cores="${HOG_CORES:-2}"
pids=()
stop() {
  if [ "${#pids[@]}" -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$cores"); do
  (while :; do :; done) &
  pids+=("$!")
done
echo "cpu-hog: $cores busy loop(s): ${pids[*]}" >&2
if [ "${1:-}" = "--" ]; then
  shift
fi
if [ "$#" -eq 0 ]; then
  wait
else
  set +e
  "$@"
  code=$?
  set -e
  exit "$code"
fi
