#!/usr/bin/env bash
# Fresh clone -> running app on the default data: http://127.0.0.1:${PORT:-8000}/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
PORT=${PORT:-8000}
echo "NTM map (Bến Tre) at: http://127.0.0.1:${PORT}/   (Ctrl+C stops it)"
export PORT
exec scripts/serve.sh  # gunicorn with gevent workers (gunicorn.conf.py): slow clients cannot stall it
