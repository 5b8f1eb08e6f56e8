"""A protocol double of the HestiaCP API, not HestiaCP.

It speaks what Hestia's API reference documents: ``POST /api/`` with either ``hash``
(an access key ``ACCESS_KEY:SECRET``) or ``user`` + ``password``, ``returncode=yes`` (the
body is the numeric return code) or ``no`` (the body is the command's output), ``cmd`` and
``arg1..argN``, and Hestia's return codes. Like Hestia 1.6+ it also answers a refused
login with HTTP 401 and a ``Hestia-Exit-Code`` header. The commands it knows behave like
Hestia's scripts of the same name, down to the ``<user>_`` prefix on database and database
user names and the 32-character limit of the latter:

- ``v-add-database USER DATABASE DBUSER DBPASS [TYPE] [HOST] [CHARSET]``
- ``v-delete-database USER DATABASE``
- ``v-list-web-domains USER [FORMAT]`` (json as Hestia prints it)

Databases are really created and dropped on MariaDB, with users at ``%`` and ``localhost``
as Hestia's ``add_mysql_database`` does.
"""

from __future__ import annotations

import json
import re

from .common import FakeServer, MariaDB

OK, E_ARGS, E_INVALID, E_NOTEXIST, E_EXISTS, E_SUSPENDED = 0, 1, 2, 3, 4, 5
E_LIMIT, E_PASSWORD, E_FORBIDEN, E_DB = 8, 9, 10, 17
USER_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


class FakeHestia(FakeServer):
    def __init__(self, mariadb: MariaDB, *, access_keys=(), admins=None, **tls):
        super().__init__(**tls)
        self.db = mariadb
        self.access_keys = set(access_keys)  # "ACCESS_KEY:SECRET"
        self.admins = dict(admins or {})  # user -> password
        # Hestia users: name -> {"databases": {db: dbuser}, "limit": n, "suspended": bool,
        # "web": {domain: {...web.conf values}}}
        self.users: dict[str, dict] = {}
        self.calls: list[dict] = []

    def add_user(self, name: str, *, limit: int = 10, suspended: bool = False, web=None):
        self.users[name] = {"databases": {}, "limit": limit, "suspended": suspended,
                            "web": dict(web or {})}

    # -- protocol -----------------------------------------------------------------------
    def handle(self, method, path, fields, headers):
        if path != "/api/" or method != "POST":
            return 404, {}, "Not found"
        self.calls.append(dict(fields))
        returncode = fields.get("returncode") == "yes"
        if not self._authenticated(fields):
            return 401, {"Hestia-Exit-Code": str(E_PASSWORD)}, (
                str(E_PASSWORD) if returncode else "Error: authentication failed")
        cmd = fields.get("cmd", "")
        args = []
        for index in range(1, 10):
            if f"arg{index}" not in fields:
                break
            args.append(fields[f"arg{index}"])
        handler = {"v-add-database": self.add_database,
                   "v-delete-database": self.delete_database,
                   "v-list-web-domains": self.list_web_domains}.get(cmd)
        if handler is None:
            code, output = E_INVALID, f"Error: command {cmd} not found"
        else:
            code, output = handler(*args)
        if returncode:
            return 200, {}, str(code)
        if code != OK:
            return 200, {}, output or f"Error: return code {code}"
        return 200, {}, output or "OK"

    def _authenticated(self, fields) -> bool:
        if "hash" in fields:
            return fields["hash"] in self.access_keys
        user, password = fields.get("user"), fields.get("password")
        return bool(user) and self.admins.get(user) == password

    # -- commands -----------------------------------------------------------------------
    def _user(self, name):
        if not USER_RE.match(name or ""):
            return E_INVALID, None
        if name not in self.users:
            return E_NOTEXIST, None
        return OK, self.users[name]

    def add_database(self, *args):
        if len(args) < 4:
            return E_ARGS, "Error: Usage: v-add-database USER DATABASE DBUSER DBPASS"
        user, database, dbuser, password = args[:4]
        db_type = args[4] if len(args) > 4 and args[4] else "mysql"
        charset = (args[6] if len(args) > 6 and args[6] else "utf8").lower().replace("-", "")
        code, record = self._user(user)
        if code:
            return code, f"Error: user {user} doesn't exist"
        database, dbuser = f"{user}_{database}", f"{user}_{dbuser}"
        if not NAME_RE.match(database) or len(database) > 64:
            return E_INVALID, "Error: invalid database format"
        if not NAME_RE.match(dbuser) or len(dbuser) > 32:
            return E_INVALID, "Error: mysql username can be up to 32 characters long"
        if db_type != "mysql":
            return E_INVALID, f"Error: {db_type} is not a valid database type"
        if record["suspended"]:
            return E_SUSPENDED, f"Error: user {user} is suspended"
        if database in record["databases"] or self.db.database_exists(database):
            return E_EXISTS, f"Error: db {database} exists"
        if len(record["databases"]) >= record["limit"]:
            return E_LIMIT, "Error: Package limit reached"
        if len(password) < 6:
            return E_INVALID, "Error: invalid password format"
        try:
            self.db.create(database, dbuser, password, ("%", "localhost"),
                           charset="utf8mb4" if charset.startswith("utf8") else charset)
        except Exception as exc:  # the double reports any server failure as Hestia does
            return E_DB, f"Error: database server failed: {type(exc).__name__}"
        record["databases"][database] = dbuser
        return OK, ""

    def delete_database(self, *args):
        if len(args) < 2:
            return E_ARGS, "Error: Usage: v-delete-database USER DATABASE"
        user, database = args[:2]
        code, record = self._user(user)
        if code:
            return code, f"Error: user {user} doesn't exist"
        if database not in record["databases"]:
            return E_NOTEXIST, f"Error: db {database} doesn't exist"
        dbuser = record["databases"].pop(database)
        self.db.drop(database, [(dbuser, "%"), (dbuser, "localhost")])
        return OK, ""

    def list_web_domains(self, *args):
        if len(args) < 1:
            return E_ARGS, "Error: Usage: v-list-web-domains USER [FORMAT]"
        code, record = self._user(args[0])
        if code:
            return code, f"Error: user {args[0]} doesn't exist"
        fmt = args[1] if len(args) > 1 else "shell"
        if fmt != "json":
            lines = ["DOMAIN   IP   TPL   SSL   DISK   BW   SPND   DATE"]
            lines += [f"{d} {v.get('IP', '')} default {v.get('SSL', 'no')} 0 0 "
                      f"{v.get('SUSPENDED', 'no')} 2024-01-01" for d, v in record["web"].items()]
            return OK, "\n".join(lines)
        keys = ["IP", "IP6", "U_DISK", "U_BANDWIDTH", "TPL", "ALIAS", "STATS", "STATS_USER",
                "SSL", "SSL_HOME", "LETSENCRYPT", "FTP_USER", "FTP_PATH", "AUTH_USER",
                "BACKEND", "PROXY", "PROXY_EXT", "SUSPENDED", "TIME", "DATE"]
        defaults = {"IP": "127.0.0.1", "TPL": "default", "SSL": "no", "SSL_HOME": "same",
                    "SUSPENDED": "no", "U_DISK": "0", "U_BANDWIDTH": "0"}
        data = {domain: {k: str(values.get(k, defaults.get(k, ""))) for k in keys}
                for domain, values in record["web"].items()}
        return OK, json.dumps(data, indent=4)
