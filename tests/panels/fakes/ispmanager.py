"""A protocol double of the ISPmanager API, not ISPmanager.

It speaks what ISPmanager's API documentation describes: ``/ispmgr`` (also
``/manager/ispmgr``), parameters in the query string or a POST body, ``func=``,
authentication by ``authinfo=user:pass`` or by a session from ``func=auth`` passed as
``auth=`` (ending after an hour idle), ``su=`` to act as another user (admins only),
``out=json`` documents (``{"doc": ...}``: element text in ``$``, attributes as ``$name``)
with list results in ``elem``, ``ok`` for a successful action and ``error`` (``$type``,
``$object``, ``msg``) for a failure. Functions:

- ``db`` (list: key, name, owner, server, charset), ``db.edit`` with ``sok=ok`` (name,
  owner, server, charset, ``user=*`` + username, password, confirm), ``db.delete`` (elid)
- ``webdomain`` (list: name, owner, docroot, aliases, secure, active)

Databases and users are really created on and dropped from MariaDB.
"""

from __future__ import annotations

import json
import re
import secrets
import time

from .common import FakeServer, MariaDB

NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
SESSION_TTL = 3600


def _t(value) -> dict:
    return {"$": str(value)}


def _error(kind: str, obj: str, msg: str) -> dict:
    return {"error": {"$type": kind, "$object": obj, "$lang": "en", "msg": _t(msg)}}


class FakeIspmanager(FakeServer):
    def __init__(self, mariadb: MariaDB, *, accounts=None, servers=("MySQL",), **tls):
        super().__init__(**tls)
        self.db = mariadb
        # name -> {"password", "level": "admin"|"user", "limit", "web": [elem dicts]}
        self.accounts: dict[str, dict] = {}
        for name, spec in (accounts or {}).items():
            self.add_account(name, **spec)
        self.servers = set(servers)
        self.databases: dict[str, dict] = {}  # name -> {"owner", "server", "charset", "users"}
        self.sessions: dict[str, dict] = {}  # id -> {"user", "seen"}
        self.calls: list[dict] = []

    def add_account(self, name, *, password, level="user", limit=10, web=()):
        self.accounts[name] = {"password": password, "level": level, "limit": limit,
                               "web": list(web)}

    def expire_sessions(self) -> None:
        for session in self.sessions.values():
            session["seen"] -= SESSION_TTL + 1

    # -- protocol -----------------------------------------------------------------------
    def handle(self, method, path, fields, headers):
        if path not in ("/ispmgr", "/manager/ispmgr"):
            return 404, {}, "Not found"
        self.calls.append(dict(fields))
        if fields.get("out") != "json":
            # Only the JSON flavour is spoken here; the browser HTML UI is not.
            return 200, {"Content-Type": "text/html"}, "<html>ISPmanager</html>"
        doc = self.dispatch(fields)
        return 200, {"Content-Type": "application/json"}, json.dumps({"doc": doc})

    def _login(self, fields):
        now = time.monotonic()
        if "authinfo" in fields:
            user, _, password = fields["authinfo"].partition(":")
        elif "auth" in fields:
            session = self.sessions.get(fields["auth"])
            if session is None or now - session["seen"] > SESSION_TTL:
                self.sessions.pop(fields["auth"], None)
                return None
            session["seen"] = now
            return session["user"]
        else:
            return None
        account = self.accounts.get(user)
        return user if account and secrets.compare_digest(account["password"], password) else None

    def dispatch(self, f):
        func = f.get("func", "")
        if func == "auth":
            account = self.accounts.get(f.get("username", ""))
            if not account or not secrets.compare_digest(account["password"],
                                                         f.get("password", "")):
                return _error("auth", "badpassword", "Invalid username or password")
            sid = secrets.token_hex(12)
            self.sessions[sid] = {"user": f["username"], "seen": time.monotonic()}
            return {"auth": {"$id": sid, "$": sid}}
        user = self._login(f)
        if user is None:
            return _error("auth", "", "Authorization failed")
        if f.get("su"):
            if self.accounts[user]["level"] != "admin":
                return _error("access", "su", "Access denied")
            if f["su"] not in self.accounts:
                return _error("missed", "user", f"User '{f['su']}' not found")
            user = f["su"]
        handler = {"db": self.db_list, "db.edit": self.db_edit, "db.delete": self.db_delete,
                   "webdomain": self.webdomain}.get(func)
        if handler is None:
            return _error("missed", "func", f"Function '{func}' not found")
        return handler(user, f)

    # -- functions ----------------------------------------------------------------------
    def _visible(self, user):
        admin = self.accounts[user]["level"] == "admin"
        return {n: d for n, d in self.databases.items() if admin or d["owner"] == user}

    def db_list(self, user, f):
        return {"elem": [
            {"key": _t(f"{name}->{d['server']}"), "name": _t(name), "owner": _t(d["owner"]),
             "server": _t(d["server"]), "charset": _t(d["charset"])}
            for name, d in self._visible(user).items()]}

    def db_edit(self, user, f):
        # form_again: like a panel that drops sok (a proxy, an old version), answer the form.
        if f.get("sok") != "ok" or getattr(self, "form_again", False):
            return {"name": _t(""), "server": _t(sorted(self.servers)[0])}  # the empty form
        name = f.get("name", "")
        owner = f.get("owner") or user
        if not name:
            return _error("empty", "name", "The 'Name' field is required")
        if not NAME_RE.match(name):
            return _error("value", "name", f"Invalid value of the 'Name' field: {name}")
        if owner != user and self.accounts[user]["level"] != "admin":
            return _error("access", "owner", "Access denied")
        if owner not in self.accounts:
            return _error("missed", "owner", f"User '{owner}' not found")
        if f.get("server") not in self.servers:
            return _error("value", "server", "Unknown database server")
        if name in self.databases or self.db.database_exists(name):
            return _error("exists", "db", f"Database '{name}' already exists")
        owned = sum(1 for d in self.databases.values() if d["owner"] == owner)
        if owned >= self.accounts[owner]["limit"]:
            return _error("limit", "db", "The limit of databases is reached")
        if f.get("user") != "*":
            return _error("value", "user", "Only new database users are supported here")
        username, password = f.get("username", ""), f.get("password", "")
        if not NAME_RE.match(username) or len(username) > 32:
            return _error("value", "username", "Invalid database user name")
        if not password or password != f.get("confirm"):
            return _error("value", "confirm", "Passwords do not match")
        charset = f.get("charset") or "utf8mb4"
        if not re.match(r"^[a-z0-9]+$", charset):
            return _error("value", "charset", "Invalid charset")
        hosts = ("localhost", "127.0.0.1") if f.get("remote_access") != "on" else ("%",)
        self.db.create(name, username, password, hosts, charset=charset)
        self.databases[name] = {"owner": owner, "server": f["server"], "charset": charset,
                                "users": [(username, h) for h in hosts]}
        return {"ok": _t("ok")}

    def db_delete(self, user, f):
        visible = self._visible(user)
        keys = [k.strip() for k in f.get("elid", "").split(",") if k.strip()]
        if not keys:
            return _error("empty", "elid", "Nothing selected")
        names = []
        for key in keys:
            name = key.split("->", 1)[0]
            if name not in visible or key != f"{name}->{visible[name]['server']}":
                return _error("missed", "db", f"Database '{key}' not found")
            names.append(name)
        for name in names:
            record = self.databases.pop(name)
            self.db.drop(name, record["users"])
        return {"ok": _t("ok")}

    def webdomain(self, user, f):
        admin = self.accounts[user]["level"] == "admin"
        elems = []
        for owner, account in self.accounts.items():
            if admin or owner == user:
                for web in account["web"]:
                    elems.append({k: _t(v) for k, v in {"owner": owner, **web}.items()})
        return {"elem": elems}
