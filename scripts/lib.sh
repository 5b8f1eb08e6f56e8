# Shared set-up steps for scripts/run.sh and scripts/test.sh. Source it; don't run it.
# Everything a fresh Debian/Ubuntu machine needs is installed here when we are root;
# otherwise we say exactly what is missing.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31mError:\033[0m %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

APT_UPDATED=""
apt_install() {
  # apt_install PKG...: install the Debian packages not installed yet.
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if is_root && command -v debconf-set-selections >/dev/null; then
    # The catalog's Debian packages are sources of application files only: no database
    # set-up by dbconfig-common, no web server configured for them.
    local app
    for app in roundcube-core phpmyadmin postfixadmin tt-rss; do
      printf '%s %s/dbconfig-install boolean false\n%s %s/reconfigure-webserver multiselect\n' \
        "$app" "$app" "$app" "$app"
    done | debconf-set-selections 2>/dev/null || true
  fi
  if ! is_root || ! command -v apt-get >/dev/null; then
    die "missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install ${missing[*]})"
  fi
  if [ -z "$APT_UPDATED" ]; then
    say "apt-get update"
    apt-get update -q >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
  fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

ensure_system_packages() {
  # $1: run | test
  local pkgs=(gcc pkg-config libmariadb-dev mariadb-client php-cli php-mysql php-curl php-gd
              php-mbstring php-xml php-intl wordpress wordpress-theme-twentytwentythree wordpress-l10n
              wordpress-plugin-http-authentication wordpress-theme-twentytwentytwo
              wordpress-theme-twentytwentyone
              # the catalog's other applications, built into packages from these
              dokuwiki mediawiki phpmyadmin adminer roundcube postfixadmin tt-rss)
  # e2fsprogs: chattr, for the test of a folder not even root can write to
  # gettext: makemessages and msgfmt, for the test that every string is translated
  [ "$1" = test ] && pkgs+=(chromium fonts-dejavu-core openssh-server e2fsprogs gettext)
  if command -v dpkg-query >/dev/null; then
    apt_install "${pkgs[@]}"
  else
    say "not a Debian-like system: make sure these are installed: ${pkgs[*]}"
  fi
  if ! pick_python >/dev/null; then
    apt_install python3 python3-venv python3-dev
  fi
}

ensure_venv() {
  local py
  py="$(pick_python)" || die "Python 3.11 or newer is needed"
  if [ ! -x "$PY" ]; then
    say "creating virtualenv $VENV"
    "$py" -m venv "$VENV" || die "cannot create a virtualenv (install python3-venv)"
  fi
  # Re-install only when pyproject.toml changed; a test install also serves the run command.
  local hash; hash="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
  if [ -f "$VENV/.installed-$hash-test" ] || [ -f "$VENV/.installed-$hash-$1" ]; then
    return 0
  fi
  say "installing Python packages"
  "$PY" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  local target="$ROOT"
  [ "$1" = test ] && target="$ROOT[test]"
  local log="$VENV/pip-install.log"
  if ! "$PY" -m pip install -q -e "$target" >"$log" 2>&1; then
    tail -30 "$log" >&2
    die "pip install failed (full log: $log)"
  fi
  rm -f "$VENV"/.installed-*; touch "$VENV/.installed-$hash-$1"
}

mysql_ping() {
  "$PY" - "$@" <<'PYEOF' 2>/dev/null
import os, sys, MySQLdb
try:
    MySQLdb.connect(host=os.environ.get("INSTALLATRON_MYSQL_HOST", "127.0.0.1"),
                    port=int(os.environ.get("INSTALLATRON_MYSQL_PORT", "3306")),
                    user=os.environ.get("INSTALLATRON_MYSQL_USER", "root"),
                    passwd=os.environ.get("INSTALLATRON_MYSQL_PASSWORD", ""), connect_timeout=3).close()
except Exception as exc:
    sys.exit(1)
PYEOF
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_mariadb() {
  # A MariaDB the installer can create databases in. Uses INSTALLATRON_MYSQL_* if set,
  # else 127.0.0.1:3306 as root, else an admin account we create through the local socket.
  local port="${INSTALLATRON_MYSQL_PORT:-3306}"
  if ! port_open "$port"; then
    if ! command -v mariadbd >/dev/null && ! command -v mysqld >/dev/null; then
      apt_install mariadb-server
    fi
    say "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    local daemon; daemon="$(command -v mariadbd || command -v mysqld)"
    if command -v start-stop-daemon >/dev/null; then
      start-stop-daemon --start --oknodo --background --exec "$daemon" -- --user=mysql >/dev/null 2>&1 || true
    else
      ("$daemon" --user=mysql >/dev/null 2>&1 &)
    fi
    for _ in $(seq 1 60); do port_open "$port" && break; sleep 0.5; done
    port_open "$port" || die "MariaDB did not start on port $port (is mariadb-server installed and configured?)"
  fi
  if mysql_ping; then return 0; fi
  # root over TCP refused (fresh Debian: root uses unix_socket). Make our own admin account.
  local cnf="$INSTALLATRON_DATA/etc/mysql-admin.env"
  if [ -f "$cnf" ]; then
    # shellcheck disable=SC1090
    . "$cnf"; export INSTALLATRON_MYSQL_USER INSTALLATRON_MYSQL_PASSWORD
    mysql_ping && return 0
  fi
  is_root || die "cannot sign in to MariaDB: set INSTALLATRON_MYSQL_USER and INSTALLATRON_MYSQL_PASSWORD to an account that may create databases and users"
  local pw; pw="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')"
  say "creating MariaDB admin account itron_admin"
  mariadb -uroot <<SQL || die "cannot create the MariaDB admin account through the local socket"
CREATE USER IF NOT EXISTS 'itron_admin'@'127.0.0.1' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS 'itron_admin'@'localhost' IDENTIFIED BY '$pw';
ALTER USER 'itron_admin'@'127.0.0.1' IDENTIFIED BY '$pw';
ALTER USER 'itron_admin'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'itron_admin'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'itron_admin'@'localhost' WITH GRANT OPTION;
SQL
  mkdir -p "$(dirname "$cnf")"
  ( umask 077; printf 'INSTALLATRON_MYSQL_USER=itron_admin\nINSTALLATRON_MYSQL_PASSWORD=%s\n' "$pw" > "$cnf" )
  export INSTALLATRON_MYSQL_USER=itron_admin INSTALLATRON_MYSQL_PASSWORD="$pw"
  mysql_ping || die "MariaDB refuses the itron_admin account"
}

ensure_redis() {
  port_open 6379 && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null \
    || die "Redis did not start"
  for _ in $(seq 1 40); do port_open 6379 && return 0; sleep 0.25; done
  die "Redis did not start on 127.0.0.1:6379"
}
