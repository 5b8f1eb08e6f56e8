#!/usr/bin/env bash
# Runs the whole test suite on real services: MariaDB, Redis (Celery broker), PHP,
# headless Chromium. Installs and starts what is missing (as root), then runs pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/accounts -k handoff).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_system_packages test
ensure_venv test
export INSTALLATRON_DATA="${INSTALLATRON_TEST_DATA:-$(mktemp -d /tmp/itron-test.XXXXXX)}"
ensure_mariadb
ensure_redis

export DB=mysql
export DB_HOST="${INSTALLATRON_MYSQL_HOST:-127.0.0.1}" DB_PORT="${INSTALLATRON_MYSQL_PORT:-3306}"
export DB_USER="${INSTALLATRON_MYSQL_USER:-root}" DB_PASSWORD="${INSTALLATRON_MYSQL_PASSWORD:-}"
export CELERY_BROKER_URL="${TEST_BROKER_URL:-redis://127.0.0.1:6379/9}"
export INSTALLATRON_TESTING=1

say "running the tests (data in $INSTALLATRON_DATA)"
exec "$PY" -m pytest "$@"
