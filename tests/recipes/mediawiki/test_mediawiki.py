"""MediaWiki's recipe against real PHP and MariaDB: the package built from Debian's tree,
its CLI installer, the wiki served under open_basedir, the admin's login, a copy's
LocalSettings.php and import's detection."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tarfile
import urllib.request
from pathlib import Path

import pytest

from apps.recipes.base import InstallError, get_recipe
from apps.recipes.mediawiki import build
from apps.transports.local import LocalTransport
from tests.fixtures.services import free_port, stop_group, wait_for_port

from .conftest import WikiSession

pytestmark = pytest.mark.django_db

PASSWORD = "Wiki-pass-12345!"


def _context(transport, url, db, prefix, mysql_admin, **fields):
    from apps.installs.services import AppContext

    host = f"{mysql_admin['host']}:{mysql_admin['port']}"
    return AppContext(transport=transport, target="", url=url, url_ip="", version="1.39.17",
                      language="en", locale="", db_host=host, db_host_ip="",
                      db_name=db["name"], db_user=db["user"], db_pass=db["pass"],
                      db_prefix=prefix,
                      fields={"login": "Admin", "passwd": PASSWORD, "email": "a@example.com",
                              "sitetitle": "Test Wiki Zebra", **fields})


@pytest.fixture
def database(mysql_query):
    """A database and its own account, as the engine makes them before an install."""
    name = "mwt_" + secrets.token_hex(4)
    values = {"name": name, "user": name, "pass": secrets.token_hex(12)}
    mysql_query(f"CREATE DATABASE `{name}`")
    for host in ("127.0.0.1", "localhost"):
        mysql_query(f"CREATE USER '{name}'@'{host}' IDENTIFIED BY %s", (values["pass"],))
        mysql_query(f"GRANT ALL ON `{name}`.* TO '{name}'@'{host}'")
    yield values
    mysql_query(f"DROP DATABASE IF EXISTS `{name}`")
    for host in ("127.0.0.1", "localhost"):
        mysql_query(f"DROP USER IF EXISTS '{name}'@'{host}'")


@pytest.fixture
def served(tmp_path):
    """Serve a folder with PHP confined to it (open_basedir, include_path=.), so nothing
    is read from /usr/share/php."""
    procs = []

    def start(tree: Path, port: int) -> str:
        proc = subprocess.Popen(
            ["php", "-d", "include_path=.", "-d", f"open_basedir={tree}:/tmp",
             "-S", f"127.0.0.1:{port}", "-t", str(tree)],
            cwd=str(tree), env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(proc)
        wait_for_port(port)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        stop_group(proc)


def test_package_is_standalone(mediawiki_package):
    """No Debian indirection, extensions-core as extensions, only the listed languages."""
    with tarfile.open(mediawiki_package.path) as tar:
        names = set(tar.getnames())
        assert all(m.isfile() or m.isdir() for m in tar.getmembers())
    assert mediawiki_package.version.startswith("1.39.")
    assert "LocalSettings.php" not in names
    assert "mw-config/overrides/DebianOverrides.php" not in names
    assert "extensions/Cite/extension.json" in names
    assert not any(n.startswith("extensions-core") for n in names)
    assert "languages/i18n/de.json" in names and "languages/i18n/fi.json" not in names
    manifest = json.loads((Path(build.__file__).parent / "manifest.json").read_text())
    assert sorted(manifest["languages"]) == sorted(build.KEPT_LANGUAGES)
    shipped = {n.rsplit("/", 1)[1][:-5] for n in names
               if n.startswith("languages/i18n/") and n.endswith(".json")}
    assert shipped == set(build.KEPT_LANGUAGES)


def test_install_serve_login_copy_detect(mediawiki_package, database, mysql_admin, served,
                                         tmp_path, mysql_query):
    recipe = get_recipe("mediawiki")
    tree = tmp_path / "site"
    tree.mkdir()
    with tarfile.open(mediawiki_package.path) as tar:
        tar.extractall(tree, filter="data")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    transport = LocalTransport(str(tree))
    app = _context(transport, url, database, "mw_", mysql_admin)
    assert recipe.write_config(app) == ["LocalSettings.php"]
    recipe.run_installer(app)
    # The one-time password files are gone; the passwords are not in the folder's names.
    assert not [p for p in tree.iterdir() if p.name.startswith(".mw-install-")]
    tables = {r[0] for r in mysql_query(f"SHOW TABLES FROM `{database['name']}`")}
    assert "mw_page" in tables and "mw_user" in tables

    base = served(tree, port)
    page = urllib.request.urlopen(f"{base}/index.php?title=Main_Page").read().decode()
    assert "Test Wiki Zebra" in page
    assert WikiSession(base).login("Admin", PASSWORD)["status"] == "PASS"
    assert WikiSession(base).login("Admin", PASSWORD + "x")["status"] == "FAIL"

    assert recipe.read_version(transport, lambda n: n) == mediawiki_package.version
    found = recipe.detect_install(transport, "")
    assert (found.db_name, found.db_user, found.db_pass, found.db_prefix) == (
        database["name"], database["user"], database["pass"], "mw_")

    # A copy at another URL (in a subfolder) and database: LocalSettings.php follows,
    # with fresh secrets and no trace of the old URL.
    old = (tree / "LocalSettings.php").read_text()
    moved = _context(transport, "http://copy.example.test:8080/wiki", {
        "name": "other_db", "user": "other_user", "pass": "other-pass"}, "cp_", mysql_admin)
    assert recipe.repoint(moved, old_url=url, old_prefix="mw_", renew_secrets=True) == [
        "LocalSettings.php"]
    new = (tree / "LocalSettings.php").read_text()
    assert url not in new and f"127.0.0.1:{port}" not in new
    assert '$wgServer = "http://copy.example.test:8080"' in new.replace("'", '"')
    assert '$wgScriptPath = "/wiki"' in new.replace("'", '"')
    found = recipe.detect_install(transport, "")
    assert (found.db_name, found.db_user, found.db_pass, found.db_prefix) == (
        "other_db", "other_user", "other-pass", "cp_")
    for key in ("wgSecretKey", "wgUpgradeKey"):
        line_old = [ln for ln in old.splitlines() if ln.startswith(f"${key}")]
        line_new = [ln for ln in new.splitlines() if ln.startswith(f"${key}")]
        assert line_old and line_new and line_old != line_new


def test_website_without_shell_is_refused(database, mysql_admin, tmp_path):
    """FTP/SFTP-only websites: a clear errcode before the installer runs."""

    class NoShell:
        has_shell = False

    app = _context(NoShell(), "http://example.test", database, "mw_", mysql_admin)
    with pytest.raises(InstallError) as caught:
        get_recipe("mediawiki").write_config(app)
    assert caught.value.errcode == "unsupported_install_shell"
