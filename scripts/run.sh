#!/usr/bin/env bash
# Set up and run Otklik: real mode when .env has tokens, otherwise the sandbox demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
exec .venv/bin/otklik run --demo-if-unconfigured "$@"
