from __future__ import annotations

import hashlib

import pytest
from django.core.management import CommandError, call_command

from apps.catalog import services
from apps.catalog.errors import CatalogError
from apps.catalog.models import AppSet, Package
from installatron_gui.lib.versions import compare, upgrade_kind, version_key
from tests.catalog.conftest import VERSION_PHP


def test_it_stores_an_archive_under_its_name_with_its_sha256(db, store, make_archive):
    archive = make_archive("wp.tar.gz", version="6.1.9")
    package = services.add_package("wordpress", "6.1.9", archive)
    assert package.archive == "wordpress-6.1.9.tar.gz"
    assert package.sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert package.size == archive.stat().st_size
    assert sorted(p.name for p in store.iterdir()) == ["wordpress-6.1.9.tar.gz"]
    services.verify_package(package)


@pytest.mark.parametrize("bad_member", [
    ("../evil.php", "file", b"x"),
    ("wp-content/../../evil.php", "file", b"x"),
    ("/etc/cron.d/evil", "file", b"x"),
    ("wp-content/link", "symlink", b"/etc/passwd"),
    ("wp-content/hard", "hardlink", b"index.php"),
    ("wp-content/dev", "chr", b""),
    ("wp-content/pipe", "fifo", b""),
])
def test_it_refuses_unsafe_archive_members_and_writes_nothing(db, store, make_archive,
                                                              bad_member):
    members = [("wp-includes/version.php", "file", b"<?php $wp_version = '1';"),
               ("index.php", "file", b"<?php"), bad_member]
    archive = make_archive("bad.tar.gz", members)
    with pytest.raises(CatalogError) as exc:
        services.add_package("wordpress", "1.0", archive)
    assert exc.value.errcode == "invalid_argument_archive"
    assert list(store.iterdir()) == []
    assert not Package.objects.exists()


def test_it_refuses_an_archive_wrapped_in_a_folder(db, store, make_archive):
    archive = make_archive("wrapped.tar.gz", [
        ("wordpress/wp-includes/version.php", "file", b"<?php"),
        ("wordpress/index.php", "file", b"<?php")])
    with pytest.raises(CatalogError, match="wrapped"):
        services.add_package("wordpress", "1.0", archive)
    assert list(store.iterdir()) == []


def test_it_refuses_a_file_that_is_not_a_tar_gz(db, store, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive at all")
    with pytest.raises(CatalogError):
        services.add_package("wordpress", "1.0", junk)
    assert list(store.iterdir()) == []


def test_it_refuses_an_archive_whose_sha256_differs_from_the_one_given(db, store,
                                                                        make_archive):
    archive = make_archive("wp.tar.gz")
    with pytest.raises(CatalogError) as exc:
        services.add_package("wordpress", "1.0", archive, sha256="0" * 64)
    assert exc.value.errcode == "invalid_argument_sha256"
    assert list(store.iterdir()) == []
    right = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert services.add_package("wordpress", "1.0", archive, sha256=right.upper()).sha256 == right


def test_it_detects_a_stored_archive_that_changed(db, store, make_archive):
    package = services.add_package("wordpress", "1.0", make_archive("wp.tar.gz"))
    data = bytearray(package.path.read_bytes())
    data[-1] ^= 0xFF
    package.path.write_bytes(bytes(data))
    with pytest.raises(CatalogError) as exc:
        services.verify_package(package)
    assert exc.value.errcode == "failed_package_checksum"
    package.path.unlink()
    with pytest.raises(CatalogError) as exc:
        services.verify_package(package)
    assert exc.value.errcode == "failed_package_missing"


def test_it_refuses_the_same_version_twice_and_unknown_applications(db, make_archive):
    archive = make_archive("wp.tar.gz")
    services.add_package("wordpress", "1.0", archive)
    with pytest.raises(CatalogError) as exc:
        services.add_package("wordpress", "1.0", archive)
    assert exc.value.errcode == "invalid_argument_version"
    with pytest.raises(CatalogError) as exc:
        services.add_package("nosuchapp", "1.0", archive)
    assert exc.value.errcode == "invalid_argument_application"
    with pytest.raises(CatalogError) as exc:
        services.add_package("wordpress", "../1.0", archive)
    assert exc.value.errcode == "invalid_argument_version"


def test_versions_compare_as_numbers_not_strings():
    ordered = ["6.1-beta1", "6.1-RC2", "6.1", "6.1.2", "6.1.9", "6.1.10", "6.2", "10.0"]
    assert sorted(reversed(ordered), key=version_key) == ordered
    assert compare("6.1", "6.1.0") == 0
    assert upgrade_kind("6.1.2", "6.1.10", depth=2) == "minor"
    assert upgrade_kind("6.0.5", "6.1.1", depth=2) == "major"
    assert upgrade_kind("6.1.9", "6.1.9", depth=2) == "none"
    assert upgrade_kind("6.1.9", "6.2", depth=2, upgradable=False) == "manual"


def test_package_for_picks_the_highest_version_not_the_last_added(db, make_archive):
    for version in ("6.1.10", "6.1.9", "6.0.2"):
        services.add_package("wordpress", version, make_archive(f"{version}.tar.gz"))
    assert services.package_for("wordpress").version == "6.1.10"
    assert services.package_for("wordpress", "6.1.9").version == "6.1.9"
    with pytest.raises(CatalogError) as exc:
        services.package_for("wordpress", "5.0")
    assert exc.value.errcode == "invalid_argument_version"
    assert services.versions_available_from("wordpress", "6.0.2") == {
        "versions-available": ["6.1.9", "6.1.10"], "versions-available-minor": []}
    assert services.versions_available_from("wordpress", "6.1.9") == {
        "versions-available": ["6.1.10"], "versions-available-minor": ["6.1.10"]}


def test_an_app_set_limits_what_an_account_sees(db, user, make_archive):
    assert services.applications_for(user) == []  # nothing stored yet
    services.add_package("wordpress", "1.0", make_archive("wp.tar.gz"))
    assert [r.id for r in services.applications_for(user)] == ["wordpress"]
    AppSet.objects.create(name="nothing_yet", applications=["joomla"])
    AppSet.objects.create(name="wordpress_only", applications=["wordpress"])
    user.package = "nothing_yet"
    user.save()
    assert services.applications_for(user) == []
    assert not services.can_use(user, "wordpress")
    user.package = "wordpress_only"
    user.save()
    assert services.can_use(user, "wordpress")


def test_the_appset_command_makes_the_package_a_panel_names(db, user, make_archive):
    import io

    services.add_package("wordpress", "1.0", make_archive("wp.tar.gz"))
    user.package = "wordpress_only"
    user.save()
    with pytest.raises(CommandError, match="no_such_app|not"):
        call_command("appset", "wordpress_only", "no_such_app")
    assert not AppSet.objects.exists()
    call_command("appset", "wordpress_only", "wordpress", "--description", "Just WordPress",
                 stdout=io.StringIO())
    assert services.can_use(user, "wordpress")
    out = io.StringIO()
    call_command("appset", stdout=out)
    assert out.getvalue() == "wordpress_only\twordpress\tJust WordPress\n"
    with pytest.raises(CommandError, match="letters"):
        call_command("appset", "bad name!", "wordpress")
    call_command("appset", "wordpress_only", "--delete", stdout=io.StringIO())
    assert not AppSet.objects.exists()
    with pytest.raises(CommandError, match="no application set"):
        call_command("appset", "wordpress_only", "--delete")


def test_add_package_command_adds_a_file_and_checks_the_given_sha256(db, store, make_archive):
    archive = make_archive("wp.tar.gz")
    with pytest.raises(CommandError, match="sha256"):
        call_command("add_package", "wordpress", "2.0", str(archive), "--sha256", "1" * 64)
    call_command("add_package", "wordpress", "2.0", str(archive), "--branch", "lts",
                 "--date", "2024-10-03")
    package = Package.objects.get()
    assert (package.branch, str(package.released)) == ("lts", "2024-10-03")
    assert package.path.is_file()
    with pytest.raises(CommandError, match="sha256"):
        call_command("add_package", "wordpress", "3.0", "--url", "http://127.0.0.1:9/x.tar.gz")


def test_a_package_records_the_languages_it_holds_the_files_of(db, store, make_archive):
    base = [("wp-includes/version.php", "file", VERSION_PHP % b"6.1.9"),
            ("index.php", "file", b"<?php")]
    english = services.add_package("wordpress", "6.1.9", make_archive("en.tar.gz", base))
    assert english.languages == ["en"]
    assert english.has_language("en") and not english.has_language("de")
    german = services.add_package("wordpress", "6.1.10", make_archive("de.tar.gz", [
        *base, ("wp-content/languages/de_DE.mo", "file", b"\xde\x12\x04\x95"),
        ("wp-content/languages/fr_FR.po", "file", b"# only the source, not the .mo")]))
    assert sorted(german.languages) == ["de", "en"]
    assert not german.has_language("fr")
    # Rows recorded before languages were (None): every language of the manifest.
    assert Package(application="wordpress", version="1").has_language("fr")
