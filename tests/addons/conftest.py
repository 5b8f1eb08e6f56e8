"""A real WordPress install (MariaDB, files on disk, php -S) and add-on archives built from
Debian's packages by ``build_package wordpress --addons``, in the test's package store."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.backups.conftest import db_rows, run_install  # noqa: F401
from tests.installs.conftest import Site, fetch, listing, owner, site  # noqa: F401

AKISMET = Path("/usr/share/wordpress/wp-content/plugins/akismet")


@pytest.fixture
def addon_store(wordpress_package):
    """The four add-ons of the build command in the store (wordpress_package points
    PACKAGE_STORE at the session's store folder)."""
    from django.core.management import call_command

    from apps.catalog.models import AddonPackage

    call_command("build_package", "wordpress", "--addons", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return {(p.kind, p.slug): p for p in AddonPackage.objects.all()}


@pytest.fixture
def wp(site, wordpress_package, addon_store):
    """WordPress installed at the site's root."""
    return run_install(site, site.url, title="Addons Blog")


def derive_plugin(tmp_path, version: str, *, break_it: bool = False):
    """A newer akismet in the store: its Version header rewritten (and, with ``break_it``,
    a call to an undefined function added: a fatal error whenever WordPress loads it)."""
    from apps.recipes.wordpress.build import build_addon_archive
    from apps.catalog.services import add_addon_package

    source = AKISMET
    if break_it:
        source = tmp_path / f"src-{version}" / "akismet"
        shutil.copytree(AKISMET, source)
        with open(source / "akismet.php", "a") as fh:
            fh.write("\nitron_no_such_function_for_the_test();\n")
    built = build_addon_archive(source, tmp_path / f"akismet-{version}.tar.gz",
                                kind="wp-plugin", version=version)
    return add_addon_package(built.kind, built.slug, built.version, built.path,
                             main=built.main, name=built.name)


def wp_php(install, code: str) -> str:
    """Run PHP with WordPress loaded from the install's folder (wp-load.php): what
    WordPress itself says, not what we wrote."""
    docroot = Path(install.website.path) / install.path
    prelude = ("$_SERVER['HTTP_HOST'] = parse_url(" + repr(install.url) + ", PHP_URL_HOST);"
               "define('WP_USE_THEMES', false); require 'wp-load.php';"
               "require_once ABSPATH . 'wp-admin/includes/plugin.php';")
    result = subprocess.run(["php", "-d", "display_errors=stderr", "-r", prelude + code],
                            cwd=docroot, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def php_unserialize_dump(value: str) -> str:
    result = subprocess.run(["php", "-r", "var_export(unserialize($argv[1]));", "--", value],
                            capture_output=True, text=True, timeout=30, check=True)
    return result.stdout
