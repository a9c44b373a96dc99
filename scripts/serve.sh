#!/usr/bin/env bash
# Serve the app with gunicorn (settings in gunicorn.conf.py): http://127.0.0.1:${PORT:-8000}/. Needs scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/gunicorn app:app
