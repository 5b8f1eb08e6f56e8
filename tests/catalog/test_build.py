from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.catalog import services
from apps.catalog.models import Package
from apps.recipes.wordpress import debian
from installatron_gui.lib.archives import sha256_of


@pytest.fixture(scope="module")
def members(wordpress_archive):
    with tarfile.open(wordpress_archive.store / wordpress_archive.archive) as tar:
        return tar.getmembers()


def test_the_wordpress_archive_is_standalone_with_files_at_its_root(wordpress_archive, members):
    names = [m.name for m in members]
    assert wordpress_archive.version == "6.1.9"
    assert wordpress_archive.files > 2500
    assert {"index.php", "wp-load.php", "wp-config-sample.php", "wp-admin",
            "wp-includes/version.php"} <= set(names)
    # Debian's dispatcher config and commented-out .htaccess stay out.
    assert "wp-config.php" not in names and ".htaccess" not in names
    # What upstream ships and Debian lacks is added.
    assert {"wp-content/index.php", "wp-content/themes/index.php", "wp-content/uploads",
            "wp-content/themes/twentytwentythree/style.css"} <= set(names)
    assert not any(n.startswith(("/", "./", "wordpress/")) or ".." in n.split("/")
                   for n in names)


def test_the_wordpress_archive_has_no_links_and_dereferences_debians_symlinks(members):
    assert all(m.isreg() or m.isdir() for m in members)
    by_name = {m.name: m for m in members}
    # These are symlinks into other Debian packages in /usr/share/wordpress.
    for name in ("wp-includes/js/underscore.min.js", "wp-includes/certificates/ca-bundle.crt",
                 "wp-includes/ID3/getid3.php"):
        assert Path("/usr/share/wordpress", name).is_symlink()
        assert by_name[name].isreg() and by_name[name].size > 1000


def test_the_wordpress_archive_is_sorted_with_fixed_owners_and_times(members):
    names = [m.name for m in members]
    assert names == sorted(names)
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert len({m.mtime for m in members}) == 1
    assert not any(n.startswith("wp-content/languages/") for n in names)


def test_rebuilding_wordpress_gives_the_same_bytes(wordpress_archive, tmp_path):
    again = debian.build_wordpress_archive(tmp_path / "again.tar.gz")
    assert sha256_of(again.path) == wordpress_archive.sha256


def test_the_build_command_adds_wordpress_with_debians_language_files(db, store):
    call_command("build_package", "wordpress", "--l10n", "--date", "2025-09-30")
    package = Package.objects.get(application="wordpress")
    assert package.version == "6.1.9" and str(package.released) == "2025-09-30"
    services.verify_package(package)
    with tarfile.open(package.path) as tar:
        names = set(tar.getnames())
    assert {"wp-content/languages/de_DE.mo", "wp-content/languages/admin-de_DE.mo",
            "wp-content/languages/continents-cities-fr_FR.mo"} <= names
    # Every language the manifest offers has its core translation in the archive.
    from apps.recipes import get_recipe

    recipe = get_recipe("wordpress")
    for code in recipe.languages:
        if code != "en":
            assert f"wp-content/languages/{recipe.locale_for(code)}.mo" in names, code


def test_the_wordpress_package_fixture_puts_a_verified_package_in_the_store(wordpress_package):
    assert services.package_for("wordpress") == wordpress_package
    services.verify_package(wordpress_package)


def test_build_missing_builds_what_is_not_stored_and_goes_on_past_a_failure(db, store,
                                                                             monkeypatch):
    from django.core.management.base import CommandError

    from apps.catalog.errors import CatalogError
    from apps.catalog.management.commands import build_package
    from apps.recipes import get_recipe

    class Broken(type(get_recipe("wordpress"))):
        def build_package(self, out_dir, **kwargs):
            raise CatalogError("no sources for this one")

    wordpress = get_recipe("wordpress")
    broken = Broken({**wordpress.manifest, "id": "brokenapp", "name": "Broken App"},
                    wordpress.folder)
    monkeypatch.setattr(build_package, "all_recipes", lambda: [broken, wordpress])
    with pytest.raises(CommandError, match="Not built: Broken App"):
        call_command("build_package", "--missing")
    assert Package.objects.filter(application="wordpress").count() == 1
    # A second run finds WordPress stored and tries only the one that failed.
    monkeypatch.setattr(build_package, "all_recipes", lambda: [wordpress])
    call_command("build_package", "--missing")
    assert Package.objects.filter(application="wordpress").count() == 1
