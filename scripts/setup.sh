#!/usr/bin/env bash
# Create .venv, install the pinned requirements and build the default data (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r "${1:-requirements.txt}"
.venv/bin/flask --app app data build
