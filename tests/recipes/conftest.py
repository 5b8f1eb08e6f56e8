"""Recipes kept for the tests (``tests/recipes/apps``), loaded through RECIPE_DIRS so
they never show in the product's catalog, and their packages built once a session."""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from installatron_gui.lib.archives import sha256_of
from tests.backups.conftest import backup_dir  # noqa: F401  (autouse: a per-test BACKUP_DIR)
from tests.installs.conftest import ADMIN_PASS, Site, fetch, listing, owner, site  # noqa: F401

TEST_RECIPES = Path(__file__).resolve().parent / "apps"


@dataclass(frozen=True)
class BuiltApp:
    store: Path
    archive: str
    version: str
    sha256: str
    size: int


def pack_tree(tree: Path, out: Path) -> None:
    """A package archive of ``tree``: its files at the root, no wrapping folder."""
    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(tree.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(tree)), recursive=False)


@pytest.fixture(scope="session")
def notebook_archive(tmp_path_factory) -> BuiltApp:
    from apps.catalog import services

    store = tmp_path_factory.mktemp("notebook-store")
    path = store / "notebook-1.2.0.tar.gz"
    pack_tree(TEST_RECIPES / "notebook" / "app", path)
    services.check_archive(path, marker="version.php")
    return BuiltApp(store=store, archive=path.name, version="1.2.0",
                    sha256=sha256_of(path), size=path.stat().st_size)


@pytest.fixture
def test_recipes(settings, monkeypatch):
    """The tests' recipes visible here and to a worker started afterwards."""
    from apps.recipes.base import get_recipe

    settings.RECIPE_DIRS = [TEST_RECIPES]
    monkeypatch.setenv("INSTALLATRON_RECIPE_DIRS", str(TEST_RECIPES))
    get_recipe.cache_clear()
    yield TEST_RECIPES
    get_recipe.cache_clear()


_BUILT: dict[tuple[str, str | None], BuiltApp] = {}


def build_app(tmp_path_factory, app_id: str, marker: str | None = None) -> BuiltApp:
    """``app_id``'s package built by its recipe into a session-wide store folder and checked
    (``marker``: a file the archive must hold; the recipe's own by default). Built once per
    session: every test module that asks gets the same archive (read-only)."""
    if (app_id, marker) in _BUILT:
        return _BUILT[app_id, marker]
    _BUILT[app_id, marker] = built = _build_app(tmp_path_factory, app_id, marker)
    return built


def _build_app(tmp_path_factory, app_id: str, marker: str | None) -> BuiltApp:
    from apps.catalog import services
    from apps.recipes.base import get_recipe

    recipe = get_recipe(app_id)
    store = tmp_path_factory.mktemp(f"{app_id}-store")
    (built,) = recipe.build_package(store)
    path = built.path.rename(store / f"{app_id}-{built.version}.tar.gz")
    services.check_archive(path, marker=marker or recipe.archive_marker)
    return BuiltApp(store=store, archive=path.name, version=built.version,
                    sha256=sha256_of(path), size=path.stat().st_size)


def register_package(settings, monkeypatch, application: str, built: BuiltApp):
    """The Package row of a session-built archive, PACKAGE_STORE pointing at its store
    (here and for a worker started afterwards)."""
    from apps.catalog.models import Package

    settings.PACKAGE_STORE = built.store
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(built.store))
    return Package.objects.create(application=application, version=built.version,
                                  branch="current", archive=built.archive,
                                  sha256=built.sha256, size=built.size)


@pytest.fixture
def notebook_package(db, settings, monkeypatch, test_recipes, notebook_archive):
    return register_package(settings, monkeypatch, "notebook", notebook_archive)


def ok(response) -> dict:
    """The ``data`` of a successful API reply (fails the test with the reply otherwise)."""
    body = response.json()
    assert response.status_code == 200 and body["result"] is True, body
    return body["data"]


def assert_import_database_left_empty(mysql_query, account, db_name: str) -> None:
    """After uninstalling an imported install: an imported install's database is not ours
    to drop (the panel did not make it for the import), so its tables are gone and the
    empty database stays for its owner, the account's only one."""
    from tests.installs.conftest import databases_of

    assert databases_of(mysql_query, account) == [db_name]
    assert mysql_query("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                       "TABLE_SCHEMA = %s", (db_name,))[0][0] == 0
