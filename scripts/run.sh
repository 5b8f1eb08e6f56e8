#!/usr/bin/env bash
# Runs the product: installs what is missing, migrates, creates the admin, starts a demo
# website (PHP + MariaDB), a Celery worker and the web server, and prints sign-in links.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

export INSTALLATRON_DATA="${INSTALLATRON_DATA:-$ROOT/var}"
BIND="${INSTALLATRON_BIND:-127.0.0.1}"
PORT="${INSTALLATRON_PORT:-8000}"
DEMO_PORT="${INSTALLATRON_DEMO_PORT:-8081}"
GUI="http://$BIND:$PORT"
export INSTALLATRON_GUI_URL="${INSTALLATRON_GUI_URL:-$GUI}"
# The demo's own servers are on loopback: allow it (a production server sets what it needs).
export INSTALLATRON_OUTBOUND_ALLOW="${INSTALLATRON_OUTBOUND_ALLOW-127.0.0.0/8,::1/128}"

ensure_system_packages run
ensure_venv run
# Our data folder is private (0700), and so is everything we write once MariaDB is up
# (umask 077): the database holds live sessions, etc/ the keys (installatron_gui/lib/private.py).
mkdir -p "$INSTALLATRON_DATA"
chmod 700 "$INSTALLATRON_DATA"
DB_NOTE=""
if ! (ensure_mariadb); then
  DB_NOTE="MariaDB is not available: installs that need a database will fail until INSTALLATRON_MYSQL_* point to one."
else
  ensure_mariadb
fi
umask 077
mkdir -p "$INSTALLATRON_DATA/log"

manage() { "$PY" "$ROOT/manage.py" "$@"; }
say "preparing the database and static files"
manage migrate --noinput -v0
manage collectstatic --noinput -v0
manage bootstrap
# Every application whose recipe builds its package from Debian's files, once (kept in the
# package store); one that cannot be built is named and the others are still offered.
say "building the applications' packages (once; kept in the package store)"
manage build_package --missing --l10n || say "some applications could not be built (see above)"

DEMO_HOME="$INSTALLATRON_DATA/demo/demo.test"
manage demo_website --path "$DEMO_HOME" --url "http://127.0.0.1:$DEMO_PORT"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

if port_open "$DEMO_PORT"; then
  die "port $DEMO_PORT is taken; set INSTALLATRON_DEMO_PORT"
fi
say "demo website: php -S 127.0.0.1:$DEMO_PORT"
# Four workers: WordPress's loopback requests deadlock a single-worker php -S.
setsid env PHP_CLI_SERVER_WORKERS=4 php -S "127.0.0.1:$DEMO_PORT" -t "$DEMO_HOME/public_html" \
  >>"$INSTALLATRON_DATA/log/demo-site.log" 2>&1 &
PIDS+=($!)

say "Celery worker (broker: ${CELERY_BROKER_URL:-filesystem, no server needed})"
# With --beat (the periodic jobs), started again whenever it exits: scripts/worker.sh.
setsid env VENV="$VENV" "$ROOT/scripts/worker.sh" &
PIDS+=($!)

cat <<MSG

  The installer runs at  $GUI/
  Demo website           http://127.0.0.1:$DEMO_PORT/  (files in $DEMO_HOME/public_html)

  Sign in as the demo website owner (one-time link, valid 1 hour):
    $(manage handoff demo --base "$GUI" --ttl 3600)
  Sign in as the admin (one-time link, valid 1 hour):
    $(manage handoff "${INSTALLATRON_ADMIN:-admin}" --base "$GUI" --ttl 3600)
  or at $GUI/gui/login/ with the admin password printed above.
  A new link any time: .venv/bin/python manage.py handoff demo
  API keys: .venv/bin/python manage.py apikey
${DB_NOTE:+
  $DB_NOTE}
  Logs: $INSTALLATRON_DATA/log/   Stop with Ctrl-C.

MSG

setsid "$PY" -m gunicorn installatron_gui.wsgi --bind "$BIND:$PORT" --workers 2 --threads 4 \
  --timeout 900 --access-logfile - --error-logfile - \
  --logger-class installatron_gui.lib.accesslog.AccessLogger &
PIDS+=($!)
wait "${PIDS[-1]}"
