"""Installs recorded before list-files kept top-level names only also list a config
inside a listed folder (``config/config.inc.php``): uninstall removes the folder with it;
a nested name whose folder is not listed, or that climbs, is still refused."""

from __future__ import annotations

import pytest


def _install(owner, tmp_path, names):
    from apps.accounts.models import Website
    from apps.installs.models import Install

    root = tmp_path / "site"
    (root / "public_html" / "mail" / "config").mkdir(parents=True)
    (root / "public_html" / "mail" / "config" / "config.inc.php").write_text("<?php\n")
    (root / "public_html" / "mail" / "index.php").write_text("<?php\n")
    (root / "public_html" / "keep.txt").write_text("the owner's")
    website = Website.objects.create(account=owner, ws_id="ws1", path=str(root),
                                     vhosts={"http://nested.test": "public_html"})
    return root, Install.objects.create(
        account=owner, website=website, installer="adminer", version="4.8.1",
        path="public_html/mail", url="http://nested.test/mail", url_domain="nested.test",
        status="installed", list_files=names, path_created=["public_html/mail"])


@pytest.mark.django_db
def test_a_listed_config_inside_a_listed_folder_goes_with_it(owner, tmp_path):
    from apps.installs import services

    root, install = _install(owner, tmp_path, ["config", "config/config.inc.php", "index.php"])
    services.uninstall_app(install, report=lambda *a: None)
    assert sorted(p.name for p in (root / "public_html").iterdir()) == ["keep.txt"]


@pytest.mark.django_db
@pytest.mark.parametrize("names", [["index.php", "config/config.inc.php"],
                                   ["config", "config/../../keep.txt"]])
def test_other_nested_names_are_still_refused(owner, tmp_path, names):
    from apps.installs import services
    from apps.installs.errors import InstallError

    root, install = _install(owner, tmp_path, names)
    with pytest.raises(InstallError, match="unsafe file name"):
        services.uninstall_app(install, report=lambda *a: None)
    assert (root / "public_html" / "mail" / "index.php").exists()
