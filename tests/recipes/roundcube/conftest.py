"""Roundcube built once per session from Debian's roundcube-core into a package store;
``roundcube_package`` registers it for one test; ``worker`` is the real Celery worker
told where that store is. The website fixtures are the install tests' own."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.backups.conftest import backup_dir  # noqa: F401  (autouse: per-test backups)
from tests.fixtures.services import free_port, stop_group, wait_for_port
from tests.installs.conftest import drop_databases_of, make_site, owner  # noqa: F401


@dataclass(frozen=True)
class Built:
    store: Path
    archive: str
    version: str
    sha256: str
    size: int


@pytest.fixture(scope="session")
def roundcube_archive(tmp_path_factory) -> Built:
    from apps.catalog import services
    from apps.recipes import get_recipe

    store = tmp_path_factory.mktemp("roundcube-store")
    recipe = get_recipe("roundcube")
    (built,) = recipe.build_package(store)
    path = built.path.rename(store / f"roundcube-{built.version}.tar.gz")
    services.check_archive(path, marker=recipe.archive_marker)
    return Built(store=store, archive=path.name, version=built.version,
                 sha256=services.file_sha256(path), size=path.stat().st_size)


@pytest.fixture
def roundcube_package(db, settings, roundcube_archive):
    from apps.catalog.models import Package

    settings.PACKAGE_STORE = roundcube_archive.store
    return Package.objects.create(
        application="roundcube", version=roundcube_archive.version, branch="current",
        archive=roundcube_archive.archive, sha256=roundcube_archive.sha256,
        size=roundcube_archive.size)


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
