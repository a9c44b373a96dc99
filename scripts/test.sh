#!/usr/bin/env bash
# Fresh clone -> the whole test suite: installs Debian chromium (for browser tests), LibreOffice Impress and
# poppler-utils (the slide-fit test renders the deck to PDF and measures it), Python deps, builds data.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "DejaVu" || ! command -v soffice >/dev/null \
   || ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core libreoffice-impress poppler-utils >/dev/null
fi
scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest -q "$@"
