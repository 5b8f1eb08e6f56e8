"""phpMyAdmin through its whole life with the real worker behind the API, on a local
website: install (config.inc.php with the chosen server and a fresh blowfish_secret), a
real cookie sign-in to MariaDB listing the databases, sync, backup, a change, restore,
clone (a new secret), import, uninstall."""

from __future__ import annotations

import shutil
import socket
import subprocess

import pytest

from tests.installs.conftest import fetch, listing
from tests.recipes.adminer.conftest import ok

from .conftest import phpmyadmin_login

pytestmark = pytest.mark.slow


@pytest.fixture
def worker(transactional_db, phpmyadmin_package, request):
    return request.getfixturevalue("celery_worker")


def secret_of(folder) -> str:
    from apps.recipes.phpmyadmin.recipe import read_config

    return read_config((folder / "config.inc.php").read_text())["blowfish_secret"]


def test_phpmyadmin_whole_life_on_a_local_website(site, db_account, worker, api):
    user = site.account.username
    before = listing(site.root)
    data = ok(api.v1("install", user=user, application="phpmyadmin", url=f"{site.url}/pma",
                     server_host=db_account.host, server_port=str(db_account.port)))
    pma_id, folder = data["id"], site.docroot / "pma"
    assert data["version"] == "5.2.1" and data["db-name"] == ""
    assert data["cf-server_host"] == db_account.host
    secret = secret_of(folder)
    assert len(secret) == 32 and secret not in str(data)
    assert (folder / "config.inc.php").stat().st_mode & 0o777 == 0o640
    status, page = fetch(f"{site.url}/pma/")
    assert status == 200 and 'name="pma_username"' in page

    # A real cookie sign-in lists the account's database; a wrong password does not.
    page = phpmyadmin_login(f"{site.url}/pma", db_account)
    assert db_account.database in page and "<title>" in page
    assert phpmyadmin_login(f"{site.url}/pma", db_account, password="wrong") == ""

    # Sync reads the version and the server from the files.
    ok(api.v1("sync", user=user, id=pma_id))
    from apps.installs.models import Install

    install = Install.objects.get(pk=pma_id)
    assert install.version == "5.2.1"
    assert install.fields["server_host"] == db_account.host
    assert install.fields["server_port"] == str(db_account.port)

    # Edit of the server reaches config.inc.php: another port and the sign-in fails,
    # back to the right one and it works; a value that is not a host changes nothing.
    # A port bound but not listening refuses every connection, and no other process can
    # take it while the check runs (a port found free may be taken again at once).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        ok(api.v1("edit", user=user, id=pma_id, server_port=str(port)))
        assert f"'{port}'" in (folder / "config.inc.php").read_text()
        assert phpmyadmin_login(f"{site.url}/pma", db_account) == ""
    ok(api.v1("edit", user=user, id=pma_id, server_port=str(db_account.port)))
    assert db_account.database in phpmyadmin_login(f"{site.url}/pma", db_account)
    config = (folder / "config.inc.php").read_bytes()
    refused = api.v1("edit", user=user, id=pma_id, server_host="x'; phpinfo(); //").json()
    assert refused["errcode"] == "invalid_argument_server_host", refused
    assert (folder / "config.inc.php").read_bytes() == config
    assert secret_of(folder) == secret

    # Backup, a change (the configuration is lost), restore brings it back.
    backup = ok(api.v1("backup", user=user, id=pma_id))
    config = (folder / "config.inc.php").read_bytes()
    (folder / "config.inc.php").unlink()
    ok(api.v1("restore", user=user, id=backup["id"]))
    assert (folder / "config.inc.php").read_bytes() == config
    assert db_account.database in phpmyadmin_login(f"{site.url}/pma", db_account)

    # Clone: answers at the new URL with its own blowfish_secret, same server.
    clone = ok(api.v1("clone", user=user, id=pma_id, url=f"{site.url}/copy"))
    copy = site.docroot / "copy"
    assert secret_of(copy) != secret and len(secret_of(copy)) == 32
    assert f"'{db_account.host}'" in (copy / "config.inc.php").read_text()
    assert db_account.database in phpmyadmin_login(f"{site.url}/copy", db_account)
    hits = subprocess.run(["grep", "-rlF", f"{site.url}/pma", str(copy)],
                          check=False, capture_output=True, text=True)
    assert hits.stdout == ""

    # Import of a copy made by hand.
    shutil.copytree(folder, site.docroot / "byhand")
    imported = ok(api.v1("import", user=user, application="phpmyadmin",
                         url=f"{site.url}/byhand"))
    assert imported["version"] == "5.2.1" and "config.inc.php" in imported["list-files"]

    for pk in (pma_id, clone["id"], imported["id"]):
        ok(api.v1("uninstall", user=user, id=pk))
    assert list((site.docroot / "byhand").iterdir()) == []
    (site.docroot / "byhand").rmdir()
    assert listing(site.root) == before
    assert not any(db_account.password in line or secret in line for line in worker.output)


def test_phpmyadmin_config_is_read_and_rewritten_in_place():
    from apps.recipes.phpmyadmin.recipe import config_text, read_config, rewrite_config

    src = config_text("db.example.com", "3307", "s" * 32)
    assert read_config(src) == {"blowfish_secret": "s" * 32, "server_host": "db.example.com",
                                "server_port": "3307"}
    src = rewrite_config(src + "// the owner's own line\n", {"blowfish_secret": "t" * 32})
    assert read_config(src)["blowfish_secret"] == "t" * 32 and "own line" in src
    twice = src + "$cfg['blowfish_secret'] = 'again';\n"
    assert "blowfish_secret" not in read_config(twice)
    from apps.recipes.base import InstallError

    with pytest.raises(InstallError):
        rewrite_config(twice, {"blowfish_secret": "u" * 32})


def test_phpmyadmin_refuses_a_bad_server_port(db):
    from apps.recipes.base import InstallError, get_recipe

    with pytest.raises(InstallError) as caught:
        get_recipe("phpmyadmin").check_fields({"server_port": "99999"})
    assert caught.value.errcode == "invalid_argument_server_port"


def test_phpmyadmin_tree_needs_nothing_from_usr_share_php(tmp_path, php_server, db):
    """The package runs with include_path=. and open_basedir on its own tree (no library
    picked up from /usr/share/php), up to the sign-in form."""
    import tarfile

    from apps.recipes.base import get_recipe
    from apps.recipes.phpmyadmin.recipe import config_text
    from tests.fixtures.services import free_port, stop_group, wait_for_port

    (built,) = get_recipe("phpmyadmin").build_package(tmp_path)
    tree = tmp_path / "tree"
    with tarfile.open(built.path) as tar:
        tar.extractall(tree, filter="data")
    (tree / "config.inc.php").write_text(config_text("127.0.0.1", "3306", "x" * 32))
    port = free_port()
    proc = subprocess.Popen(["php", "-d", "include_path=.", "-d",
                             f"open_basedir={tree}:/tmp", "-S", f"127.0.0.1:{port}"],
                            cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for_port(port)
        status, page = fetch(f"http://127.0.0.1:{port}/")
    finally:
        stop_group(proc)
    assert status == 200 and 'name="pma_username"' in page
