"""Settings for the installer, driven by environment variables.

Every value has an embedded default so that a fresh checkout runs: SQLite for our own
database, folders under ``INSTALLATRON_DATA`` for package store, backups and keys, and a
broker transport that needs no server. Production sets the variables documented in README.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("INSTALLATRON_DATA", BASE_DIR / "var")).resolve()
# Private (0700) whatever the umask; lib/private.py keeps what is inside private too.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _read_or_create_secret(name: str, generate) -> str:
    """A secret kept in a 0600 file under DATA_DIR, never in the database."""
    path = DATA_DIR / "etc" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


SECRET_KEY = os.environ.get("SECRET_KEY") or _read_or_create_secret(
    "secret_key", lambda: secrets.token_urlsafe(50)
)
# Encrypts website paths (they carry FTP/SSH credentials) and database passwords at rest.
# Comma-separated: the first key encrypts, all of them decrypt (rotation).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or [
    _read_or_create_secret("field_key", _fernet_key)
]

DEBUG = env_bool("INSTALLATRON_DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Where the GUI is reached from a browser; guixfer replies point there.
# Empty means "the host the API request came to".
GUI_URL = os.environ.get("INSTALLATRON_GUI_URL", "").rstrip("/")
# The browser API's link_installersupport: where customers report a problem with an
# application's packaging here (the hosting company's support page); empty: none.
INSTALLER_SUPPORT_URL = os.environ.get("INSTALLATRON_SUPPORT_URL", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "apps.accounts",
    "apps.tasks",
    "apps.catalog",
    "apps.panels",
    "apps.transports",
    "apps.installs",
    "apps.backups",
    "apps.updates",
    "apps.api",
    "apps.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.AccountLanguageMiddleware",
    "apps.accounts.middleware.IdleSignOutMiddleware",
    "apps.accounts.middleware.SessionActivityMiddleware",
    "apps.accounts.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.accounts.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "installatron_gui.urls"
WSGI_APPLICATION = "installatron_gui.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.principal",
            ],
        },
    }
]

# Our own database. SQLite by default; DB=mysql (mysqlclient) for anything shared.
if os.environ.get("DB", "sqlite") == "mysql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": os.environ.get("DB_NAME", "installatron"),
            "USER": os.environ.get("DB_USER", "root"),
            "PASSWORD": os.environ.get("DB_PASSWORD", ""),
            "HOST": os.environ.get("DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("DB_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"NAME": os.environ.get("DB_TEST_NAME", "test_installatron")},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("DB_NAME", str(DATA_DIR / "installatron.sqlite3")),
            # Web and worker processes share the file: wait for locks instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.Account"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The main administrator's account name (Installatron's settings.ini "admin=").
ADMIN_USERNAME = os.environ.get("INSTALLATRON_ADMIN", "admin")
# Installatron's settings.ini: key=, key2=. Environment variables win over the file.
SETTINGS_INI = Path(os.environ.get("INSTALLATRON_SETTINGS_INI", DATA_DIR / "etc" / "settings.ini"))
# One-time GUI hand-off ids: lifetime in seconds.
HANDOFF_TTL = int(os.environ.get("INSTALLATRON_HANDOFF_TTL", "120"))
# Failed password logins: this many per username (or per address) in the window lock it.
LOGIN_FAILURE_LIMIT = int(os.environ.get("INSTALLATRON_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW = int(os.environ.get("INSTALLATRON_LOGIN_FAILURE_WINDOW", "900"))
# Unknown or spent sign-in links (s=) from one address within that window before it gets 429.
HANDOFF_FAILURE_LIMIT = int(os.environ.get("INSTALLATRON_HANDOFF_FAILURE_LIMIT", "20"))
# API calls with a wrong key from one address within that window before it gets 429.
API_KEY_FAILURE_LIMIT = int(os.environ.get("INSTALLATRON_API_KEY_FAILURE_LIMIT", "30"))
# Largest API request body we parse.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("INSTALLATRON_MAX_BODY", str(4 * 1024 * 1024)))
# A synchronous API call (no ``background``) waits this long for a worker to claim its task
# (else: 503 failed_no_worker, the task stays queued), then up to INSTALLATRON_API_WAIT
# seconds for it to end. Workers write their heartbeat row every ..._WORKER_BEAT_EVERY s.
INSTALLATRON_API_CLAIM_WAIT = float(os.environ.get("INSTALLATRON_API_CLAIM_WAIT", "30"))
INSTALLATRON_API_WAIT = float(os.environ.get("INSTALLATRON_API_WAIT", "900"))
INSTALLATRON_WORKER_BEAT_EVERY = float(os.environ.get("INSTALLATRON_WORKER_BEAT_EVERY", "15"))

LANGUAGE_CODE = "en"
# The GUI's languages (locale/<code>/LC_MESSAGES/django.po), each named in itself.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español"), ("fr", "Français"),
             ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Serving under a path prefix (https://host:8080/installatron/) behind a proxy: links and
# redirects carry it (Django's FORCE_SCRIPT_NAME); the proxy may strip it or not (wsgi.py).
URL_PREFIX = os.environ.get("INSTALLATRON_URL_PREFIX", "").strip("/")
URL_PREFIX = f"/{URL_PREFIX}" if URL_PREFIX else ""
if URL_PREFIX:
    FORCE_SCRIPT_NAME = URL_PREFIX
STATIC_URL = f"{URL_PREFIX}/static/"
# Each recipe's own static files (its icon) live in its folder, served as catalog/<id>/.
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    (f"catalog/{folder.parent.name}", folder)
    for folder in sorted((BASE_DIR / "apps" / "recipes").glob("*/static"))]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing folder
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG or env_bool("INSTALLATRON_TESTING"):
    STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
WHITENOISE_USE_FINDERS = DEBUG or env_bool("INSTALLATRON_TESTING")

# Security baseline. INSTALLATRON_HTTPS=1 is production behind TLS.
HTTPS = env_bool("INSTALLATRON_HTTPS")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("INSTALLATRON_SESSION_AGE", str(8 * 3600)))
SESSION_COOKIE_NAME = "itron_session"
# A GUI session with no request for this long is signed out (the page says so).
SESSION_IDLE_TIMEOUT = int(os.environ.get("INSTALLATRON_SESSION_IDLE", str(3600)))
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("INSTALLATRON_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
X_FRAME_OPTIONS = "DENY"
# Panels that embed the GUI in a frame: their origins (https://panel.example.com:8083).
FRAME_ANCESTORS = env_list("INSTALLATRON_FRAME_ANCESTORS")

# Celery. No broker configured: a file-system broker that needs no server, shared by the
# web process and the worker through DATA_DIR: kombu's filesystem transport with atomic
# writes and claimed reads (installatron_gui/lib/broker.py).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "installatron_gui.lib.broker:Transport"
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "tmp", "processing", "broken", "control"):
        (_broker_dir / _sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        # same file system as queue/: a rename from one to the other is atomic
        "tmp_folder": str(_broker_dir / "tmp"),
        "processing_folder": str(_broker_dir / "processing"),
        "broken_folder": str(_broker_dir / "broken"),
        # kombu's default is ./control in the current directory
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.1,
    }
# Outcomes live on our Task rows, never in a result backend.
# A running task's thread writes its heartbeat every TASK_HEARTBEAT_EVERY seconds, however long
# its step; the reaper (every minute) ends a task silent for TASK_STALE_AFTER seconds: its
# worker was killed (OOM, SIGKILL, a reboot). Five missed beats by default.
TASK_HEARTBEAT_EVERY = float(os.environ.get("INSTALLATRON_TASK_HEARTBEAT_EVERY", "60"))
TASK_STALE_AFTER = int(os.environ.get("INSTALLATRON_TASK_STALE_AFTER", "300"))
# A restore whose database server stopped mid-import waits this long for it to answer
# again (a restart) before giving up on putting the tables back (they are kept in a file).
DB_RECOVERY_WAIT = float(os.environ.get("INSTALLATRON_DB_RECOVERY_WAIT", "60"))
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False

# The mail server set in the admin console (apps/accounts/mail.py); without one, mail is
# handed to EMAIL_FALLBACK_BACKEND (printed by the console backend).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "apps.accounts.mail.ConfiguredEmailBackend")
EMAIL_FALLBACK_BACKEND = os.environ.get(
    "EMAIL_FALLBACK_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "installer@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Query strings may carry the API key, sign-in tokens or passwords: masked.
    "filters": {"redact": {"()": "installatron_gui.lib.accesslog.RedactQueryFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # runserver's request lines, through the redacting handler
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "paramiko": {"level": "WARNING"},
    },
}

# Package store: application archives with their sha256 (apps.catalog).
PACKAGE_STORE = Path(os.environ.get("INSTALLATRON_PACKAGES", DATA_DIR / "packages"))
# Folders of application recipes besides apps/recipes (one recipe folder each inside;
# the tests add their own application this way, outside the product's catalog).
RECIPE_DIRS = [Path(d) for d in env_list("INSTALLATRON_RECIPE_DIRS")]
# Local backups, outside any web root (apps.backups).
BACKUP_DIR = Path(os.environ.get("INSTALLATRON_BACKUPS", DATA_DIR / "backups"))
# How new backups are compressed: "zstd" (<id>.tar.zst) or "gzip" (<id>.tar.gz). Either
# kind (and plain tar) is read back whatever this says.
BACKUP_COMPRESSION = os.environ.get("INSTALLATRON_BACKUP_COMPRESSION", "zstd").strip().lower()

# The panel class: creates and removes databases (Installatron's generateDB/createDB/removeDB).
PANEL_BACKENDS = {
    "mysql": "apps.panels.mysql.MysqlPanel",
    "hestia": "apps.panels.hestia.HestiaPanel",
    "ispmanager": "apps.panels.ispmanager.IspmanagerPanel",
    "php": "apps.panels.php.PhpPanel",
}
PANEL_BACKENDS.update(
    {k: v for k, v in (item.split("=", 1) for item in env_list("INSTALLATRON_PANEL_BACKENDS"))}
)
PANEL = {
    "BACKEND": os.environ.get("INSTALLATRON_PANEL", "mysql"),
    # Backend options as JSON, e.g. {"url": "https://hestia:8083", "hash": "..."}
    "OPTIONS": json.loads(os.environ.get("INSTALLATRON_PANEL_OPTIONS", "{}")),
}
# Path hooks (reference 4.1): a path enabled on demand is released after this many idle
# seconds (clamped to 30 minutes .. 4 hours).
PATH_IDLE_RELEASE = int(os.environ.get("INSTALLATRON_PATH_IDLE_RELEASE", "1800"))
# The MySQL/MariaDB admin account the built-in "mysql" panel connects with.
MYSQL_ADMIN = {
    "host": os.environ.get("INSTALLATRON_MYSQL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("INSTALLATRON_MYSQL_PORT", "3306")),
    "user": os.environ.get("INSTALLATRON_MYSQL_USER", "root"),
    "password": os.environ.get("INSTALLATRON_MYSQL_PASSWORD", ""),
    # Host part of created database users, and the db_host written into applications.
    "client_host": os.environ.get("INSTALLATRON_MYSQL_CLIENT_HOST", "127.0.0.1"),
}

# Website transports, by path scheme (apps.transports).
TRANSPORT_BACKENDS = {
    # as root, a website with its own uid/gid: file work runs as its owner (agent.py)
    "local": "apps.transports.agent.local_transport",
    "ftp": "apps.transports.ftp.FtpTransport",
    "ftps": "apps.transports.ftp.FtpsTransport",
    "sftp": "apps.transports.sftp.SftpTransport",
    "ssh": "apps.transports.ssh.SshTransport",
    # backup locations only (website paths refuse it: accounts.validation.PATH_SCHEMES)
    "s3": "apps.transports.s3.S3Transport",
}
# Remote websites: seconds per network wait, connection attempts (only unreachable hosts
# are retried), FTP connections used in parallel by put_tree.
REMOTE_TIMEOUT = float(os.environ.get("INSTALLATRON_REMOTE_TIMEOUT", "30"))
REMOTE_CONNECT_ATTEMPTS = int(os.environ.get("INSTALLATRON_REMOTE_CONNECT_ATTEMPTS", "3"))
FTP_CONNECTIONS = int(os.environ.get("INSTALLATRON_FTP_CONNECTIONS", "4"))
# FTPS certificates are verified against the system CAs, or this CA file; turning
# verification off is the administrator's explicit choice.
FTPS_CA_FILE = os.environ.get("INSTALLATRON_FTPS_CA_FILE", "")
# s3:// backup locations: a private CA for a compatible store, and the region used when
# the endpoint is not an AWS host name that names one.
S3_CA_FILE = os.environ.get("INSTALLATRON_S3_CA_FILE", "")
S3_REGION = os.environ.get("INSTALLATRON_S3_REGION", "us-east-1")
FTPS_VERIFY_CERTIFICATE = env_bool("INSTALLATRON_FTPS_VERIFY_CERTIFICATE", True)
# ftp/ftps/sftp websites that a web server with PHP also serves (their vhosts reach the
# folder) get one archive plus a one-time PHP unpacker or packer called over HTTP instead
# of a transfer file by file (apps/transports/web.py); anything else falls back by itself.
# Over an encrypted transport (ftps, sftp) only an https:// vhost is used unless plain
# http is allowed here.
WEB_ARCHIVE = env_bool("INSTALLATRON_WEB_ARCHIVE", True)
WEB_ARCHIVE_PLAIN_HTTP = env_bool("INSTALLATRON_WEB_ARCHIVE_PLAIN_HTTP")
# An unknown SSH host key is refused unless this is on (or the website allows it with
# its _trust_host_key member); a changed key is always refused.
SSH_TRUST_FIRST_USE = env_bool("INSTALLATRON_SSH_TRUST_FIRST_USE")
# Connections a website owner can make us open (backup locations, migration sources) go
# only to public addresses, plus these networks (CIDR, comma-separated); the test suite
# allows loopback for its own servers (lib/outbound.py). Seconds to connect.
OUTBOUND_ALLOW = env_list("INSTALLATRON_OUTBOUND_ALLOW",
                          "127.0.0.0/8,::1/128" if env_bool("INSTALLATRON_TESTING") else "")
OUTBOUND_TIMEOUT = float(os.environ.get("INSTALLATRON_OUTBOUND_TIMEOUT", "10"))
# A directory speaking the WordPress.org plugin/theme API (https://api.wordpress.org);
# empty: plugins and themes are added from the package store only (apps/catalog/directory.py).
ADDON_DIRECTORY_URL = os.environ.get("INSTALLATRON_ADDON_DIRECTORY_URL", "").rstrip("/")
# This server's own key, used for sftp:// and ssh:// website paths that carry no password.
SSH_KEY_FILE = os.environ.get("INSTALLATRON_SSH_KEY_FILE", "")
SSH_KEY_PASSPHRASE = os.environ.get("INSTALLATRON_SSH_KEY_PASSPHRASE", "")
# How dumps/restores reach a remote website's database: auto (here when its server
# answers from here, else through the website's SSH), local or ssh (apps/sites/database.py).
DB_ACCESS = os.environ.get("INSTALLATRON_DB_ACCESS", "auto")
