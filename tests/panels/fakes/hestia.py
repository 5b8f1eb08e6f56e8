"""A protocol double of the HestiaCP API, not HestiaCP.

It speaks what Hestia's API reference documents: ``POST /api/`` with either ``hash``
(an access key ``ACCESS_KEY:SECRET``) or ``user`` + ``password``, ``returncode=yes`` (the
body is the numeric return code) or ``no`` (the body is the command's output), ``cmd`` and
``arg1..argN``, and Hestia's return codes. Access keys, user/password sign-in (admin
only), the ``Hestia-Exit-Code`` header, HTTP statuses and 204 replies follow Hestia's
web/api/index.php (see ``handle``); a non-admin key may only name its own user. The commands it knows behave like
Hestia's scripts of the same name, down to the ``<user>_`` prefix on database and database
user names and the 32-character limit of the latter:

- ``v-add-database USER DATABASE DBUSER DBPASS [TYPE] [HOST] [CHARSET]``
- ``v-delete-database USER DATABASE``
- ``v-list-databases USER [FORMAT]`` (json: ``{DATABASE: {DATABASE, DBUSER, HOST, TYPE,
  CHARSET, U_DISK, SUSPENDED, TIME, DATE}}``)
- ``v-list-web-domains USER [FORMAT]`` (json as Hestia prints it)

Databases are really created and dropped on MariaDB, with users at ``%`` and ``localhost``
as Hestia's ``add_mysql_database`` does.
"""

from __future__ import annotations

import json
import re

from .common import FakeServer, MariaDB

OK, E_ARGS, E_INVALID, E_NOTEXIST, E_EXISTS, E_SUSPENDED = 0, 1, 2, 3, 4, 5
E_LIMIT, E_PASSWORD, E_FORBIDEN, E_DB, E_API_DISABLED = 8, 9, 10, 17, 21


def http_status(code: int) -> int:
    """Hestia's exit_code_to_http_code (web/inc/helpers.php)."""
    if code == OK:
        return 200
    return {E_ARGS: 400, E_INVALID: 422, E_PASSWORD: 401, E_SUSPENDED: 401, 6: 401,
            E_FORBIDEN: 401, E_API_DISABLED: 401, 11: 400}.get(code, 400)
USER_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


class FakeHestia(FakeServer):
    def __init__(self, mariadb: MariaDB, *, access_keys=(), admins=None, **tls):
        super().__init__(**tls)
        self.db = mariadb
        # "ACCESS_KEY:SECRET" (or a legacy hash) -> the Hestia user it belongs to; a plain
        # collection of keys makes admin keys.
        self.access_keys = (dict(access_keys) if isinstance(access_keys, dict)
                            else dict.fromkeys(access_keys, "admin"))
        self.admins = dict(admins or {})  # user -> password
        # Hestia users: name -> {"databases": {db: dbuser}, "limit": n, "suspended": bool,
        # "web": {domain: {...web.conf values}}}
        self.users: dict[str, dict] = {}
        self.calls: list[dict] = []

    def add_user(self, name: str, *, limit: int = 10, suspended: bool = False, web=None):
        self.users[name] = {"databases": {}, "limit": limit, "suspended": suspended,
                            "web": dict(web or {})}

    # -- protocol -----------------------------------------------------------------------
    # As hestiacp/hestiacp web/api/index.php does it: a ``hash`` of the form
    # <20 chars>:<40 chars> (or access_key + secret_key) is an access key, answered with a
    # Hestia-Exit-Code header, HTTP statuses from exit_code_to_http_code and 204 for an
    # empty success; anything else is the legacy API (a legacy hash, or user/password,
    # which only ``admin`` may use), which has no header on a command's own result.
    def handle(self, method, path, fields, headers):
        if path != "/api/" or method != "POST":
            return 404, {}, "Not found"
        self.calls.append(dict(fields))
        code_only = fields.get("returncode") == "yes"
        fields = dict(fields)
        key_id, _, secret = fields.get("hash", "").partition(":")
        if "access_key" not in fields and len(key_id) == 20 and len(secret) == 40:
            fields.update(access_key=key_id, secret_key=secret)
            del fields["hash"]
        if "access_key" in fields and "secret_key" in fields:
            return self._keyed(fields, code_only)
        if "user" in fields or "hash" in fields:
            return self._legacy(fields, code_only)
        return self._error(405, "data received is null or invalid", code_only)

    @staticmethod
    def _error(code: int, message: str, code_only: bool):
        status = code if code >= 100 else http_status(code)
        body = str(code) if code_only else (
            message if message.startswith("Error:") else f"Error: {message}")
        return status, {"Hestia-Exit-Code": str(code)}, body

    def _legacy(self, fields, code_only: bool):
        if not fields.get("hash"):
            if fields.get("user") != "admin":
                return self._error(E_FORBIDEN, "Error: authentication failed", code_only)
            if "password" not in fields or self.admins.get("admin") != fields["password"]:
                return self._error(E_PASSWORD, "Error: authentication failed", code_only)
        elif self.access_keys.get(fields["hash"]) != "admin":
            return self._error(E_PASSWORD, "Error: authentication failed", code_only)
        code, output = self._run(fields)
        if code_only:
            return 200, {}, str(code)
        return 200, {}, (output + "\n") if output else ("OK" if code == OK else "")

    def _keyed(self, fields, code_only: bool):
        key = f"{fields['access_key']}:{fields['secret_key']}"
        if not fields.get("cmd"):
            return self._error(E_INVALID, "Command not provided", code_only)
        key_user = self.access_keys.get(key)
        if key_user is None:
            return self._error(E_PASSWORD, "Error: authentication failed", code_only)
        # Every command we speak has the user as arg1 (USER_ARG_POSITION 1).
        if key_user != "admin" and fields.get("arg1") != key_user:
            return self._error(E_FORBIDEN, f"Key {fields['access_key']} - the \"user\" "
                               "argument doesn't match the key's user", code_only)
        code, output = self._run(fields)
        output = output.strip()
        exit_header = {"Hestia-Exit-Code": str(code)}
        if code_only:
            return 200, exit_header, str(code)
        if code != OK:
            return http_status(code), exit_header, output
        return (200 if output else 204), exit_header, output

    def _run(self, fields) -> tuple[int, str]:
        cmd = fields.get("cmd", "")
        args = []
        for index in range(1, 14):
            if f"arg{index}" not in fields:
                break
            args.append(fields[f"arg{index}"])
        handler = {"v-add-database": self.add_database,
                   "v-delete-database": self.delete_database,
                   "v-list-databases": self.list_databases,
                   "v-list-web-domains": self.list_web_domains}.get(cmd)
        if handler is None:
            return E_INVALID, f"Error: command {cmd} not found"
        return handler(*args)

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

    def list_databases(self, *args):
        if len(args) < 1:
            return E_ARGS, "Error: Usage: v-list-databases USER [FORMAT]"
        code, record = self._user(args[0])
        if code:
            return code, f"Error: user {args[0]} doesn't exist"
        rows = {name: {"DATABASE": name, "DBUSER": dbuser, "HOST": "localhost", "TYPE": "mysql",
                       "CHARSET": "utf8mb4", "U_DISK": "0", "SUSPENDED": "no",
                       "TIME": "00:00:00", "DATE": "2024-01-01"}
                for name, dbuser in record["databases"].items()}
        if (args[1] if len(args) > 1 else "shell") == "json":
            return OK, json.dumps(rows, indent=4) if rows else "{}"
        lines = ["DATABASE   USER   HOST   TYPE   CHARSET   DISK   SPND   DATE"]
        lines += [f"{n} {r['DBUSER']} localhost mysql utf8mb4 0 no 2024-01-01"
                  for n, r in rows.items()]
        return OK, "\n".join(lines)

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
