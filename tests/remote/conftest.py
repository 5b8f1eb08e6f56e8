"""Websites on remote servers that are, in fact, on this machine: the sshd fixture's test
user's home (sftp://, ssh://) or the FTP server's root (ftp://). Their public_html is
served by ``php -S`` and the website's vhost points there, so an install over the
network answers over HTTP like any other."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.backups.conftest import backup_dir, db_rows, run_backup, run_install, table_snapshot  # noqa: F401
from tests.installs.conftest import ADMIN_PASS, databases_of, fetch, listing, owner, site  # noqa: F401


@dataclass
class RemoteSite:
    account: object
    website: object
    url: str
    root: Path  # the website folder, seen from this machine
    docroot: Path
    scheme: str
    server: object


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for sub in path.rglob("*"):
        os.lchown(sub, uid, gid)


def drop_databases_of(mysql_query, account) -> None:
    for (name,) in mysql_query("SHOW DATABASES LIKE %s", (account.username + r"\_%",)):
        mysql_query(f"DROP DATABASE IF EXISTS `{name}`")
    for user, host in mysql_query("SELECT User, Host FROM mysql.user WHERE User LIKE %s",
                                  (account.username + r"\_%",)):
        mysql_query("DROP USER IF EXISTS %s@%s", (user, host))


@pytest.fixture
def php_as():
    """``php -S`` serving a folder as a given Unix user (as a host runs PHP as the website
    owner): what WordPress writes at run time belongs to the owner, as it would there."""
    import subprocess

    from tests.fixtures.services import free_port, stop_group, wait_for_port

    started = []

    def start(docroot: Path, uid: int | None = None, gid: int | None = None) -> str:
        port = free_port()
        argv = ["php", "-S", f"127.0.0.1:{port}", "-t", str(docroot)]
        if uid is not None:
            argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *argv]
        proc = subprocess.Popen(argv, cwd=str(docroot), env={**os.environ,
                                "PHP_CLI_SERVER_WORKERS": "4"}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(proc)
        wait_for_port(port)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        stop_group(proc)


@pytest.fixture
def make_remote_site(owner, php_as, mysql_query, request):
    """``make_remote_site("sftp"|"ssh"|"ftp")``: a website of ``owner`` on that server."""
    made = []

    def make(scheme: str, *, ws_id: str | None = None) -> RemoteSite:
        from apps.accounts.models import Website

        if scheme in ("sftp", "ssh"):
            server = request.getfixturevalue("known_sshd")
            root = server.home / f"site-{secrets.token_hex(4)}"
            (root / "public_html").mkdir(parents=True)
            _chown_tree(root, server.uid, server.gid)
            path = server.url(scheme, root)
            url = php_as(root / "public_html", server.uid, server.gid)
        else:
            server = request.getfixturevalue("ftpd")
            root = server.root / f"site-{secrets.token_hex(4)}"
            (root / "public_html").mkdir(parents=True)
            path = server.url(scheme, f"/{root.name}")
            url = php_as(root / "public_html")  # pyftpdlib writes as root: so does PHP
        website = Website.objects.create(
            account=owner, ws_id=ws_id or f"ws-{scheme}-{len(made)}", label=f"{scheme}.test",
            path=path, vhosts={url: "public_html"}, email="owner@example.com")
        made.append(root)
        return RemoteSite(account=owner, website=website, url=url, root=root,
                          docroot=root / "public_html", scheme=scheme, server=server)

    yield make
    import shutil

    for root in made:
        shutil.rmtree(root, ignore_errors=True)
    drop_databases_of(mysql_query, owner)


def run_task(task, fn, *args):
    """Run a Celery task's body here for ``task`` and return the row as it ended."""
    fn(task.id, *args)
    task.refresh_from_db()
    return task


def title_of(html: str) -> str:
    import html as htmllib
    import re

    match = re.search(r"<title[^>]*>(.*?)</title>", html, re.S | re.I)
    return htmllib.unescape(match.group(1)).strip() if match else ""
