#!/usr/bin/env bash
# Fresh clone -> running app on the default data: http://127.0.0.1:${PORT:-8000}/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
PORT=${PORT:-8000}
echo "NTM map (Bến Tre) at: http://127.0.0.1:${PORT}/   (Ctrl+C stops it)"
exec .venv/bin/gunicorn --workers 2 --timeout 120 --bind "127.0.0.1:${PORT}" app:app
