"""Roundcube built once per session from Debian's roundcube-core into a package store;
``roundcube_package`` registers it for one test; ``worker`` is the real Celery worker
told where that store is. The website fixtures are the install tests' own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.backups.conftest import backup_dir  # noqa: F401  (autouse: per-test backups)
from tests.fixtures.services import free_port, stop_group, wait_for_port
from tests.installs.conftest import drop_databases_of, make_site, owner  # noqa: F401
from tests.recipes.conftest import BuiltApp, build_app, register_package


@pytest.fixture(scope="session")
def roundcube_archive(tmp_path_factory) -> BuiltApp:
    return build_app(tmp_path_factory, "roundcube")


@pytest.fixture
def roundcube_package(db, settings, monkeypatch, roundcube_archive):
    return register_package(settings, monkeypatch, "roundcube", roundcube_archive)


@pytest.fixture
def worker(transactional_db, roundcube_package, roundcube_archive, monkeypatch, request):
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(roundcube_archive.store))
    return request.getfixturevalue("celery_worker")


@pytest.fixture
def site(owner, tmp_path, mysql_query):  # noqa: F811
    """A website whose PHP may read nothing outside it (and /tmp) and has no include_path:
    the package must carry everything Roundcube loads."""
    root = tmp_path / "site"
    started = []

    def serve(docroot: Path) -> str:
        port = free_port()
        proc = subprocess.Popen(
            ["php", "-d", "include_path=.", "-d", f"open_basedir={root}:/tmp",
             "-S", f"127.0.0.1:{port}", "-t", str(docroot)],
            cwd=str(docroot), env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(proc)
        wait_for_port(port)
        return f"http://127.0.0.1:{port}"

    yield make_site(owner, root, serve)
    for proc in started:
        stop_group(proc)
    drop_databases_of(mysql_query, owner)
