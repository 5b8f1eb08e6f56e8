"""ISPmanager panel backend: databases through the ISPmanager API (``func=`` calls).

Options (settings.PANEL["OPTIONS"], from INSTALLATRON_PANEL_OPTIONS):

``url``         ``https://isp.example.com:1500/ispmgr`` (``/ispmgr`` is added when missing)
``user``, ``password``   an ISPmanager admin or reseller
``auth``        ``authinfo`` (default: ``authinfo=user:pass`` on every call) or ``session``
                (one ``func=auth`` call, then ``auth=<session id>``, renewed when it expires)
``verify_tls``  default true; ``ca_file`` trusts a private CA instead of turning it off
``timeout``     seconds per call, default 30
``db_server``   the ISPmanager database server name (``server=``), default "MySQL"
``charset``     default "utf8mb4"
``db_host``     the host applications connect to (DatabaseSpec.host), default "localhost"

Every call is a POST with ``out=json``, so credentials are never part of a URL. The owning
ISPmanager user is the website's ``user`` or the custom member ``_ispmanager_user``; calls
are made on its behalf with ``su=``.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from .base import BasePanel, DatabaseSpec, PanelError
from .http import DEFAULT_TIMEOUT, post_form, scrub, tls_context

NAME_MAX = 32
SUFFIX_LEN = 8

# Error document types ("error" element's type attribute) and a sentence for each.
ERROR_TYPES = {
    "exists": "A database with that name already exists in the panel.",
    "limit": "The hosting package allows no more databases. Remove one or upgrade the package.",
    "quota": "The hosting package allows no more databases. Remove one or upgrade the package.",
    "value": "The panel refused a value of the database request as invalid.",
    "empty": "The panel is missing a value of the database request.",
    "missed": "The panel is missing a value of the database request.",
    "access": "The installer's panel account may not do this. Ask the server administrator "
              "to check the panel settings.",
    "auth": "The panel refused the installer's credentials. Ask the server administrator to "
            "check the panel settings.",
    "notfound": "The panel has no such object.",
}


class IspmanagerError(PanelError):
    """An ISPmanager error document; ``type`` and ``object`` are its attributes."""

    def __init__(self, message: str, *, type: str = "", object: str = ""):
        super().__init__(message)
        self.type = type
        self.object = object


def _text(value) -> str:
    """ISPmanager JSON puts an element's text in ``$``: {"name": {"$": "x"}}."""
    if isinstance(value, dict):
        return str(value.get("$", ""))
    return "" if value is None else str(value)


def _elems(doc: dict) -> list[dict]:
    elems = doc.get("elem") or []
    return [elems] if isinstance(elems, dict) else [e for e in elems if isinstance(e, dict)]


def panel_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured("The ispmanager panel option 'url' must be an http(s) URL.")
    path = parts.path if parts.path not in ("", "/") else "/ispmgr"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class IspmanagerPanel(BasePanel):
    def __init__(self, **options):
        super().__init__(**options)
        if not options.get("url"):
            raise ImproperlyConfigured("The ispmanager panel needs the option 'url'.")
        self.url = panel_url(options["url"])
        self.admin_user = options.get("user") or ""
        self.admin_password = options.get("password") or ""
        if not (self.admin_user and self.admin_password):
            raise ImproperlyConfigured("The ispmanager panel needs 'user' and 'password'.")
        self.auth_mode = options.get("auth") or "authinfo"
        if self.auth_mode not in {"authinfo", "session"}:
            raise ImproperlyConfigured("The ispmanager option 'auth' is 'authinfo' or 'session'.")
        self.timeout = float(options.get("timeout") or DEFAULT_TIMEOUT)
        self.context = tls_context(
            verify_tls=options.get("verify_tls", True) is not False,
            ca_file=options.get("ca_file"),
        )
        self.db_server = options.get("db_server") or "MySQL"
        self.charset = options.get("charset") or "utf8mb4"
        self.db_host = options.get("db_host") or "localhost"
        self._session: str | None = None

    # -- the wire ---------------------------------------------------------------------

    def _secrets(self, extra=()) -> list[str]:
        found = [self.admin_password, f"{self.admin_user}:{self.admin_password}", self._session]
        return [s for s in [*found, *extra] if s]

    def _post(self, fields: dict, what: str, hide=()) -> dict:
        reply = post_form(self.url, {**fields, "out": "json", "lang": "en"},
                          context=self.context, timeout=self.timeout,
                          secrets=self._secrets(hide), what=what)
        try:
            data = json.loads(reply.body)
        except ValueError:
            raise PanelError(
                f"The panel answered {what} with something other than JSON (HTTP {reply.status})."
            ) from None
        doc = data.get("doc") if isinstance(data, dict) else None
        if not isinstance(doc, dict):
            raise PanelError(f"The panel answered {what} with an unexpected document.")
        error = doc.get("error")
        if error is not None:
            raise self._error(error, what, hide)
        return doc

    def _error(self, error, what: str, hide) -> IspmanagerError:
        error = error if isinstance(error, dict) else {"msg": error}
        kind = str(error.get("$type", ""))
        obj = str(error.get("$object", ""))
        sentence = ERROR_TYPES.get(kind)
        if sentence is None:
            # Unknown types: the panel's own words, without anything secret in them.
            detail = scrub(_text(error.get("msg")), self._secrets(hide))[:300]
            sentence = f"The panel reported an error: {detail or kind or 'unknown'}."
        return IspmanagerError(f"{sentence} (ISPmanager {what}: {kind or 'error'})",
                               type=kind, object=obj)

    def _login(self) -> str:
        doc = self._post({"func": "auth", "username": self.admin_user,
                          "password": self.admin_password}, "auth")
        auth = doc.get("auth")
        session = (auth.get("$id") or auth.get("$")) if isinstance(auth, dict) else None
        if not session:
            raise PanelError("The panel's func=auth answer carried no session id.")
        return str(session)

    def call(self, func: str, *, su: str | None = None, hide=(), **params) -> dict:
        """One API function with ``params``; returns the ``doc``. Error documents raise
        IspmanagerError. ``su`` acts as that ISPmanager user."""
        fields = {"func": func, **{k: str(v) for k, v in params.items()}}
        if su and su != self.admin_user:
            fields["su"] = su
        if self.auth_mode == "authinfo":
            return self._post({**fields, "authinfo": f"{self.admin_user}:{self.admin_password}"},
                              func, hide)
        for attempt in (1, 2):
            if self._session is None:
                self._session = self._login()
            try:
                return self._post({**fields, "auth": self._session}, func, hide)
            except IspmanagerError as exc:
                # Sessions end after an hour idle: log in again once.
                if exc.type != "auth" or attempt == 2:
                    raise
                self._session = None
        raise AssertionError("unreachable")

    # -- the panel class --------------------------------------------------------------

    def owner(self, website: dict) -> str:
        owner = str(website.get("_ispmanager_user") or website.get("user") or "")
        if not owner:
            raise PanelError("The website has no ISPmanager user to own the database.")
        return owner

    def generate_db(self, db_type: str, website: dict) -> DatabaseSpec:
        """``<owner>_<random>`` for database and user (32 characters at most)."""
        if db_type not in ("mysql", "mariadb"):
            raise PanelError(f"ISPmanager databases of type '{db_type}' are not supported here.")
        cleaned = re.sub(r"[^a-z0-9_]", "", self.owner(website).lower()).strip("_")
        prefix = (cleaned[: NAME_MAX - SUFFIX_LEN - 1] or "site") + "_"
        alphabet = string.ascii_lowercase + string.digits
        name = prefix + "".join(secrets.choice(alphabet) for _ in range(SUFFIX_LEN))
        password = "".join(secrets.choice(string.ascii_letters + string.digits)
                           for _ in range(24))
        return DatabaseSpec(name=name, user=name, password=password, host=self.db_host)

    def create_db(self, spec: DatabaseSpec, website: dict) -> None:
        """``func=db.edit`` with ``sok=ok``: a new database with a new user (``user=*``)."""
        if not spec.password:
            raise PanelError("A database password is needed to create an ISPmanager database.")
        owner = self.owner(website)
        doc = self.call(
            "db.edit", su=owner, hide=(spec.password,), sok="ok",
            name=spec.name, owner=owner, server=self.db_server, charset=self.charset,
            user="*", username=spec.user, password=spec.password, confirm=spec.password,
            remote_access="off",
        )
        # Only <ok/> says it was done: a reply that is the edit form again made nothing.
        if "ok" not in doc:
            raise PanelError(f"ISPmanager answered db.edit without ok: the database "
                             f"{spec.name} was not created.")

    def _db_key(self, name: str, owner: str) -> str | None:
        for elem in _elems(self.call("db", su=owner)):
            if _text(elem.get("name")) == name:
                return _text(elem.get("key")) or name
        return None

    def database_exists(self, name: str, db_type: str, website: dict) -> bool | None:
        """Whether the website owner's database list (``func=db``) holds ``name``."""
        return self._db_key(name, self.owner(website)) is not None

    def remove_db(self, name: str, db_type: str, website: dict) -> None:
        """``func=db.delete`` with the database's ``elid`` (its list key). ISPmanager drops
        the users that belonged only to it. Already gone counts as removed."""
        owner = self.owner(website)
        key = self._db_key(name, owner)
        if key is None:
            return
        self.call("db.delete", su=owner, elid=key, sok="ok")

    # -- websites for the hand-off ----------------------------------------------------

    def websites_for(self, user: str) -> list[dict]:
        """The request header's ``websites`` for an ISPmanager user, from ``func=webdomain``."""
        return build_websites(user, _elems(self.call("webdomain", su=user)))


def build_websites(user: str, elems: list[dict]) -> list[dict]:
    """One website per active web domain owned by ``user``: id and label are the domain,
    path its document root, vhosts http (and https when ``secure`` is on) for the domain
    and its aliases, all pointing at the document root itself."""
    websites = []
    for elem in elems:
        name = _text(elem.get("name"))
        owner = _text(elem.get("owner"))
        if not name or (owner and owner != user) or _text(elem.get("active")) == "off":
            continue
        docroot = _text(elem.get("docroot")) or f"/var/www/{user}/data/www/{name}"
        names = [name] + [a for a in _text(elem.get("aliases")).replace(",", " ").split()
                          if a != name]
        vhosts = {f"http://{n}": "" for n in names}
        if _text(elem.get("secure")) == "on":
            vhosts.update({f"https://{n}": "" for n in names})
        websites.append({"id": name, "label": name, "path": docroot, "vhosts": vhosts,
                         "_ispmanager_user": user})
    return websites
