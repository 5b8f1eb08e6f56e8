"""What both panel doubles share: a threaded http.server on 127.0.0.1 (optionally TLS) and
real database work on MariaDB through its admin account."""

from __future__ import annotations

import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import MySQLdb

IDENT = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class MariaDB:
    """Creates and drops databases and users the way a panel's scripts do, and remembers
    them so a test run leaves nothing behind."""

    def __init__(self, admin: dict):
        self.admin = admin
        self.created_dbs: set[str] = set()
        self.created_users: set[tuple[str, str]] = set()
        self.lock = threading.Lock()

    def _run(self, *statements: tuple[str, tuple]) -> None:
        conn = MySQLdb.connect(host=self.admin["host"], port=self.admin["port"],
                               user=self.admin["user"], passwd=self.admin["password"])
        try:
            cur = conn.cursor()
            for sql, args in statements:
                cur.execute(sql, args or None)
            conn.commit()
        finally:
            conn.close()

    def database_exists(self, name: str) -> bool:
        conn = MySQLdb.connect(host=self.admin["host"], port=self.admin["port"],
                               user=self.admin["user"], passwd=self.admin["password"])
        try:
            cur = conn.cursor()
            cur.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name=%s", (name,))
            return cur.fetchone() is not None
        finally:
            conn.close()

    def create(self, name: str, user: str, password: str, hosts: tuple[str, ...],
               charset: str = "utf8mb4") -> None:
        assert IDENT.match(name) and IDENT.match(user) and re.match(r"^[a-z0-9]+$", charset)
        statements = [(f"CREATE DATABASE `{name}` CHARACTER SET {charset}", ())]
        for host in hosts:
            statements.append(("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s",
                               (user, host, password)))
            statements.append((f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@%s", (user, host)))
        with self.lock:
            self._run(*statements)
            self.created_dbs.add(name)
            self.created_users.update((user, h) for h in hosts)

    def drop(self, name: str, users: list[tuple[str, str]]) -> None:
        assert IDENT.match(name)
        statements = [(f"DROP DATABASE IF EXISTS `{name}`", ())]
        statements += [("DROP USER IF EXISTS %s@%s", (u, h)) for u, h in users]
        with self.lock:
            self._run(*statements)
            self.created_dbs.discard(name)
            self.created_users.difference_update(users)

    def cleanup(self) -> None:
        for name in list(self.created_dbs):
            self.drop(name, [])
        users = list(self.created_users)
        if users:
            self._run(*[("DROP USER IF EXISTS %s@%s", u) for u in users])
        self.created_users.clear()


class FakeServer:
    """Serves ``handle(method, path, fields, headers) -> (status, headers, body)`` of a
    subclass on 127.0.0.1, on a free port, in a thread; https when given a certificate."""

    def __init__(self, *, certfile: str | None = None, keyfile: str | None = None):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                parts = urlsplit(self.path)
                fields = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    body = self.rfile.read(length).decode()
                    fields.update({k: v[-1] for k, v in
                                   parse_qs(body, keep_blank_values=True).items()})
                status, headers, payload = server.handle(self.command, parts.path, fields,
                                                         dict(self.headers))
                data = payload.encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if certfile:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile, keyfile)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, method, path, fields, headers):  # pragma: no cover - subclasses
        raise NotImplementedError


def restore_after_the_panel_dropped_it(install, tmp_path, settings, mysql_query) -> None:
    """Back ``install`` up, have the panel drop its database and user (what a panel's own
    "delete database" does), restore: the panel makes both again and the tables return."""
    from apps.backups import services, tasks
    from apps.backups.models import Backup
    from apps.panels.base import get_panel
    from apps.tasks.models import Task

    settings.BACKUP_DIR = tmp_path / "backups"
    task = services.start_backup(install)
    tasks.create_backup(task.id, "")
    task = Task.objects.get(pk=task.pk)
    assert task.status == Task.Status.COMPLETED, task.message
    get_panel().remove_db(install.db_name, "mysql", install.website.as_session())
    assert not mysql_query("SHOW DATABASES LIKE %s", (install.db_name,))
    restore = services.start_restore(Backup.objects.get(pk=task.result["backup"]))
    tasks.restore_backup(restore.id, task.result["backup"])
    restore = Task.objects.get(pk=restore.pk)
    assert restore.status == Task.Status.COMPLETED, restore.message
    tables = {r[0] for r in mysql_query(f"SHOW TABLES FROM `{install.db_name}`")}
    assert f"{install.db_prefix}options" in tables
    assert mysql_query("SELECT 1 FROM mysql.user WHERE User = %s", (install.db_user,))
