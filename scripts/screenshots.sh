#!/usr/bin/env bash
# Screenshots of every catalog application from the real installed app (headless Chromium):
# apps/recipes/<id>/static/screenshot.png. Runs through the test command (it brings up
# MariaDB, PHP and the package builds): scripts/screenshots.sh [-k APP]
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/test.sh tests/recipes/screenshots.py -p no:randomly "$@"
