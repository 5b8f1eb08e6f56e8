#!/usr/bin/env bash
# Runs the Celery worker (with --beat: automatic updates and backups, expired backups, the
# reaper) and starts it again whenever it exits, until this script is told to stop
# (SIGTERM/SIGINT). Used by scripts/run.sh and benchmarks/soak.py.
#
# The worker's output goes to $INSTALLATRON_DATA/log/worker.log. When it exits, a line saying
# so (exit status, how long it ran) goes to that log and to this script's stderr (the run
# command's console), and it is started again after a pause: 1 s, doubled after each exit
# that comes less than a minute after its start, at most 60 s. Its process id is kept in
# $INSTALLATRON_DATA/run/worker.pid.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

: "${INSTALLATRON_DATA:?INSTALLATRON_DATA must be set}"
umask 077  # the log and the pid file are ours alone (installatron_gui/lib/private.py)
LOG="$INSTALLATRON_DATA/log/worker.log"
PIDFILE="$INSTALLATRON_DATA/run/worker.pid"
mkdir -p "$INSTALLATRON_DATA/log" "$INSTALLATRON_DATA/run"

child=""
# The worker runs in its own process group (setsid): a signal to this script's group
# reaches this script only, which stops the worker the way Celery expects: SIGTERM to its
# main process (a warm shutdown: running tasks finish, its pool and beat stop), and SIGKILL
# to what is left of its group after STOP_TIMEOUT seconds. Signalling the pool processes
# directly can leave a lock held that the main process then waits for forever.
STOP_TIMEOUT="${INSTALLATRON_WORKER_STOP_TIMEOUT:-60}"
stop() {
  trap - TERM INT
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    ( sleep "$STOP_TIMEOUT"; kill -KILL -- "-$child" 2>/dev/null ) &
    local timer=$!
    wait "$child" 2>/dev/null
    kill "$timer" 2>/dev/null
    kill -KILL -- "-$child" 2>/dev/null
  fi
  rm -f "$PIDFILE"
  exit 0
}
trap stop TERM INT

describe() {
  # describe STATUS: "status 1" or "status 137 (killed by SIGKILL)"
  if [ "$1" -gt 128 ] && [ "$1" -lt 160 ]; then
    echo "status $1 (killed by SIG$(kill -l "$(($1 - 128))"))"
  else
    echo "status $1"
  fi
}

delay=1
restarts=0
while true; do
  started=$SECONDS
  setsid "$PY" -m celery -A installatron_gui worker --loglevel INFO --concurrency 2 \
    --beat --schedule "$INSTALLATRON_DATA/celerybeat-schedule" >>"$LOG" 2>&1 &
  child=$!
  echo "$child" >"$PIDFILE"
  wait "$child" 2>/dev/null
  status=$?
  # a worker killed hard may leave pool processes or its beat behind
  kill -KILL -- "-$child" 2>/dev/null
  child=""
  ran=$((SECONDS - started))
  [ "$ran" -ge 60 ] && delay=1
  restarts=$((restarts + 1))
  line="the Celery worker exited with $(describe "$status") after ${ran} s;"
  line+=" starting it again in ${delay} s (restart ${restarts})"
  printf '[%s: WARNING/supervisor] %s\n' "$(date '+%Y-%m-%d %H:%M:%S,%3N')" "$line" >>"$LOG"
  say "$line"
  sleep "$delay" & wait $!
  delay=$((delay * 2 > 60 ? 60 : delay * 2))
done
