"""HestiaCP panel backend: databases through Hestia's REST API (``POST /api/``).

Options (settings.PANEL["OPTIONS"], from INSTALLATRON_PANEL_OPTIONS):

``url``         ``https://hestia.example.com:8083`` (port 8083 and path ``/api/`` are added
                when missing)
``hash``        an access key ``ACCESS_KEY:SECRET`` (``v-add-access-key``; a user's own key
                acts for that user only) or a legacy API key; or ``user`` ``admin`` and
                its ``password`` (Hestia allows no other user to sign in with one)
``verify_tls``  default true; ``ca_file`` trusts a private CA instead of turning it off
``timeout``     seconds per call, default 30
``db_host``     the host applications connect to (DatabaseSpec.host), default "localhost"
``db_server``   Hestia's database host to create on (``arg6``), default: Hestia chooses
``charset``     ``arg7``, default Hestia's (UTF8)

Hestia names a user's databases and database users ``<user>_<name>``: it adds the prefix
itself, so we send the short name and hand the prefixed one to the application. The Hestia
user is the website's ``user``, or the custom member ``_hestia_user`` when the two differ.
"""

from __future__ import annotations

import json
import secrets
import string
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from .base import BasePanel, DatabaseSpec, PanelError
from .http import DEFAULT_TIMEOUT, post_form, tls_context

DEFAULT_PORT = 8083
# Hestia refuses database user names over 32 characters (E_INVALID), MySQL's classic limit.
MAX_DBUSER = 32
MAX_DATABASE = 64

# Return codes, from Hestia's API reference. A sentence a customer (or their host) can act on.
RETURN_CODES: dict[int, tuple[str, str]] = {
    1: ("E_ARGS", "The panel was called with too few arguments."),
    2: ("E_INVALID", "The panel refused the database name or password as invalid."),
    3: ("E_NOTEXIST", "The panel account or database does not exist."),
    4: ("E_EXISTS", "A database with that name already exists in the panel account."),
    5: ("E_SUSPENDED", "The panel account is suspended."),
    6: ("E_UNSUSPENDED", "The panel object is already unsuspended."),
    7: ("E_INUSE", "The database is in use by another object and cannot be removed."),
    8: ("E_LIMIT", "The hosting package allows no more databases. Remove one or upgrade the "
                   "package."),
    9: ("E_PASSWORD", "The panel refused the installer's credentials. Ask the server "
                      "administrator to check the panel settings."),
    10: ("E_FORBIDEN", "The installer's panel credentials may not do this. Ask the server "
                       "administrator to check the access key's permissions."),
    11: ("E_DISABLED", "Databases are disabled on this server."),
    12: ("E_PARSING", "The panel's configuration is broken."),
    13: ("E_DISK", "There is not enough disk space to create the database."),
    14: ("E_LA", "The server is too busy right now. Try again in a few minutes."),
    15: ("E_CONNECT", "The panel could not connect to the database host."),
    16: ("E_FTP", "The panel's FTP server is not responding."),
    17: ("E_DB", "The database server is not responding. Try again later."),
    18: ("E_RRD", "The panel failed to update its statistics."),
    19: ("E_UPDATE", "The panel's update operation failed."),
    20: ("E_RESTART", "The panel failed to restart a service."),
}
E_NOTEXIST = 3


class HestiaError(PanelError):
    """A Hestia return code other than 0; ``code`` and ``name`` say which."""

    def __init__(self, code: int, what: str):
        name, sentence = RETURN_CODES.get(code, (f"code {code}", "The panel reported an error."))
        super().__init__(f"{sentence} (HestiaCP {what}: {name})")
        self.code = code
        self.name = name


def api_url(url: str) -> str:
    """``https://host`` -> ``https://host:8083/api/``; an explicit port or path is kept."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured("The hestia panel option 'url' must be an http(s) URL.")
    netloc = parts.netloc if parts.port else f"{parts.netloc}:{DEFAULT_PORT}"
    path = parts.path if parts.path not in ("", "/") else "/api/"
    return urlunsplit((parts.scheme, netloc, path, "", ""))


class HestiaPanel(BasePanel):
    def __init__(self, **options):
        super().__init__(**options)
        if not options.get("url"):
            raise ImproperlyConfigured("The hestia panel needs the option 'url'.")
        self.url = api_url(options["url"])
        self.hash = options.get("hash") or ""
        self.admin_user = options.get("user") or ""
        self.admin_password = options.get("password") or ""
        if not self.hash and self.admin_user and self.admin_user != "admin":
            # Hestia's /api/ checks the name itself: any other user gets E_FORBIDEN.
            raise ImproperlyConfigured(
                "HestiaCP's API accepts user/password sign-in only for admin; give another "
                "user an access key (v-add-access-key) in the option 'hash'."
            )
        if not self.hash and not (self.admin_user and self.admin_password):
            raise ImproperlyConfigured(
                "The hestia panel needs the option 'hash' (ACCESS_KEY:SECRET) or "
                "'user' and 'password'."
            )
        self.timeout = float(options.get("timeout") or DEFAULT_TIMEOUT)
        self.context = tls_context(
            verify_tls=options.get("verify_tls", True) is not False,
            ca_file=options.get("ca_file"),
        )
        self.db_host = options.get("db_host") or "localhost"
        self.db_server = options.get("db_server") or ""
        self.charset = options.get("charset") or ""

    # -- the wire ---------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        found = [self.hash, self.admin_password]
        # An access key's secret half must vanish even if only it is echoed.
        if ":" in self.hash:
            found.extend(self.hash.split(":", 1))
        return [s for s in found if s]

    def _auth(self) -> dict[str, str]:
        if self.hash:
            return {"hash": self.hash}
        return {"user": self.admin_user, "password": self.admin_password}

    def call(self, cmd: str, *args: str, output: bool = False, hide: tuple[str, ...] = ()):
        """Run one ``v-`` command. With ``output`` the command's text is returned
        (``returncode=no``); otherwise its return code is checked (``returncode=yes``).
        Any non-zero code raises HestiaError. ``hide`` lists more values to scrub."""
        fields = {**self._auth(), "returncode": "no" if output else "yes", "cmd": cmd}
        for index, value in enumerate(args, start=1):
            fields[f"arg{index}"] = value
        reply = post_form(
            self.url, fields, context=self.context, timeout=self.timeout,
            secrets=self._secrets() + [h for h in hide if h], what=cmd,
        )
        # Hestia >= 1.6 also reports the code in a header, with a 4xx status.
        header_code = reply.headers.get("hestia-exit-code", "").strip()
        body = reply.body.strip()
        if header_code.isdigit() and int(header_code) != 0:
            raise HestiaError(int(header_code), cmd)
        if not output:
            if not body.lstrip("-").isdigit():
                raise PanelError(
                    f"The panel answered {cmd} with something other than a return code "
                    f"(HTTP {reply.status})."
                )
            if int(body) != 0:
                raise HestiaError(int(body), cmd)
            return None
        if reply.status >= 400:
            if body.isdigit():
                raise HestiaError(int(body), cmd)
            raise PanelError(f"The panel refused {cmd} (HTTP {reply.status}).")
        if body.startswith("Error:"):
            # returncode=no puts Hestia's own sentence in the body; it names no secret of ours
            # but may echo arguments, so it goes through the scrubber as well.
            from .http import scrub

            raise PanelError(scrub(f"HestiaCP {cmd}: {body[:300]}", self._secrets()))
        return body

    # -- the panel class --------------------------------------------------------------

    def hestia_user(self, website: dict) -> str:
        user = str(website.get("_hestia_user") or website.get("user") or "")
        if not user:
            raise PanelError("The website has no HestiaCP user to create the database for.")
        return user

    def generate_db(self, db_type: str, website: dict) -> DatabaseSpec:
        """``<user>_<random>``, the same for database and database user, within Hestia's
        32-character user limit; a random password that meets Hestia's rules."""
        if db_type not in ("mysql", "mariadb"):
            raise PanelError(f"HestiaCP databases of type '{db_type}' are not supported here.")
        prefix = f"{self.hestia_user(website)}_"
        room = min(MAX_DBUSER, MAX_DATABASE) - len(prefix)
        if room < 4:
            raise PanelError(
                "The HestiaCP user name is too long to leave room for a database name."
            )
        alphabet = string.ascii_lowercase + string.digits
        short = "wp" + "".join(secrets.choice(alphabet) for _ in range(min(room, 10) - 2))
        return DatabaseSpec(
            name=prefix + short,
            user=prefix + short,
            password=_password(),
            host=self.db_host,
            type="mysql",
        )

    def _short(self, full: str, prefix: str, what: str) -> str:
        if not full.startswith(prefix) or len(full) == len(prefix):
            raise PanelError(
                f"The database {what} '{full}' does not start with '{prefix}' as HestiaCP "
                "requires."
            )
        return full[len(prefix):]

    def create_db(self, spec: DatabaseSpec, website: dict) -> None:
        """``v-add-database USER DATABASE DBUSER DBPASS [TYPE] [HOST] [CHARSET]``."""
        user = self.hestia_user(website)
        prefix = f"{user}_"
        if not spec.password:
            raise PanelError("A database password is needed to create a HestiaCP database.")
        args = [
            user,
            self._short(spec.name, prefix, "name"),
            self._short(spec.user, prefix, "user"),
            spec.password,
            "mysql" if spec.type in ("mysql", "mariadb") else spec.type,
        ]
        if self.db_server or self.charset:
            args.append(self.db_server)
        if self.charset:
            args.append(self.charset)
        self.call("v-add-database", *args, hide=(spec.password,))

    def remove_db(self, name: str, db_type: str, website: dict) -> None:
        """``v-delete-database USER DATABASE`` (the full, prefixed name). Hestia drops the
        database user with it. A database that is already gone counts as removed."""
        try:
            self.call("v-delete-database", self.hestia_user(website), name)
        except HestiaError as exc:
            if exc.code != E_NOTEXIST:
                raise

    def database_exists(self, name: str, db_type: str, website: dict) -> bool | None:
        """Whether ``v-list-databases USER json`` (``{database: {...}}``) holds ``name``."""
        text = self.call("v-list-databases", self.hestia_user(website), "json", output=True)
        try:
            data = json.loads(text) if text not in ("", "OK") else {}
        except ValueError:
            raise PanelError("HestiaCP sent a database list that is not JSON.") from None
        if not isinstance(data, dict):
            raise PanelError("HestiaCP sent a database list of an unexpected shape.")
        return name in data

    # -- websites for the hand-off ----------------------------------------------------

    def list_web_domains(self, user: str) -> dict:
        """``v-list-web-domains USER json``: Hestia's ``{domain: {IP, ALIAS, SSL, ...}}``."""
        text = self.call("v-list-web-domains", user, "json", output=True)
        if text in ("", "OK"):
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            raise PanelError("HestiaCP sent a web domain list that is not JSON.") from None
        if not isinstance(data, dict):
            raise PanelError("HestiaCP sent a web domain list of an unexpected shape.")
        return data

    def websites_for(self, user: str) -> list[dict]:
        """The request header's ``websites`` for a Hestia user (see build_websites)."""
        return build_websites(
            user, self.list_web_domains(user),
            path_template=self.options.get("path_template") or DEFAULT_PATH_TEMPLATE,
        )


# Where a domain's files are on a Hestia server; local when the installer runs there.
# ``sftp://{user}@host/home/{user}/web/{domain}`` works when keys are set up instead.
DEFAULT_PATH_TEMPLATE = "/home/{user}/web/{domain}"


def build_websites(user: str, domains: dict, *, path_template: str = DEFAULT_PATH_TEMPLATE,
                   ) -> list[dict]:
    """Our ``websites`` header members from ``v-list-web-domains USER json``.

    One website per domain (suspended ones left out): id and label are the domain, path
    follows ``path_template``, vhosts map http (and https when SSL is on) for the domain
    and each alias to ``public_html`` (``public_shtml`` when Hestia keeps a separate SSL
    home). The "_hestia_user" member tells the panel class whose databases these are.
    """
    websites = []
    for domain, info in domains.items():
        info = info if isinstance(info, dict) else {}
        if str(info.get("SUSPENDED", "no")).lower() == "yes":
            continue
        names = [domain] + [
            a for a in str(info.get("ALIAS") or "").replace(",", " ").split() if a != domain
        ]
        vhosts = {f"http://{name}": "public_html" for name in names}
        if str(info.get("SSL", "no")).lower() == "yes":
            ssl_home = "public_shtml" if info.get("SSL_HOME") == "single" else "public_html"
            vhosts.update({f"https://{name}": ssl_home for name in names})
        websites.append(
            {
                "id": domain,
                "label": domain,
                "path": path_template.format(user=user, domain=domain),
                "vhosts": vhosts,
                "_hestia_user": user,
            }
        )
    return websites


def _password() -> str:
    # Hestia wants letters and digits; the mix of classes satisfies its checks.
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(24))
        if any(c.isdigit() for c in value) and any(c.islower() for c in value) and any(
            c.isupper() for c in value
        ):
            return value
