"""MediaWiki's tests: the package is built once per session from Debian's tree.

``mediawiki_package`` (session): the BuiltPackage the recipe's hook makes.
``mediawiki_archive`` (session): the same archive in a package store folder of its own.
``mediawiki_store`` (function): its Package row, PACKAGE_STORE pointing at it (here and
for a worker started afterwards)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import urllib.parse
import urllib.request

import pytest

from installatron_gui.lib.archives import sha256_of
from tests.recipes.conftest import BuiltApp, register_package


@pytest.fixture(scope="session")
def mediawiki_package(tmp_path_factory):
    """The standalone MediaWiki archive (BuiltPackage), built by the recipe's hook."""
    from apps.recipes.base import get_recipe

    out = tmp_path_factory.mktemp("mediawiki-package")
    (built,) = get_recipe("mediawiki").build_package(out)
    return built


@pytest.fixture(scope="session")
def mediawiki_archive(tmp_path_factory, mediawiki_package) -> BuiltApp:
    from apps.catalog import services
    from apps.recipes.base import get_recipe

    store = tmp_path_factory.mktemp("mediawiki-store")
    path = store / f"mediawiki-{mediawiki_package.version}.tar.gz"
    # A second name for the same file: the package's own path stays valid for the
    # recipe's tests.
    os.link(mediawiki_package.path, path)
    services.check_archive(path, marker=get_recipe("mediawiki").archive_marker)
    return BuiltApp(store=store, archive=path.name, version=mediawiki_package.version,
                    sha256=sha256_of(path), size=path.stat().st_size)


@pytest.fixture
def mediawiki_store(db, settings, monkeypatch, mediawiki_archive):
    return register_package(settings, monkeypatch, "mediawiki", mediawiki_archive)


class WikiSession:
    """A client of one wiki's api.php with its own cookie jar, as a browser keeps one."""

    def __init__(self, base: str):
        self.api = f"{base.rstrip('/')}/api.php"
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, params: dict, *, post: bool = False) -> dict:
        query = urllib.parse.urlencode({**params, "format": "json"})
        if post:
            response = self.opener.open(self.api, query.encode(), timeout=60)
        else:
            response = self.opener.open(f"{self.api}?{query}", timeout=60)
        return json.load(response)

    def token(self, kind: str) -> str:
        tokens = self.call({"action": "query", "meta": "tokens", "type": kind})
        return tokens["query"]["tokens"][f"{kind}token"]

    def login(self, user: str, password: str) -> dict:
        """MediaWiki's clientlogin (the API form of its login page): its reply, whose
        ``status`` is PASS when the password was right."""
        return self.call({"action": "clientlogin", "username": user, "password": password,
                          "logintoken": self.token("login"),
                          "loginreturnurl": self.base + "/"}, post=True)["clientlogin"]

    def whoami(self) -> str:
        """The name the wiki knows this session by (an IP address when signed out)."""
        return self.call({"action": "query", "meta": "userinfo"})["query"]["userinfo"]["name"]

    def edit(self, title: str, text: str) -> dict:
        """Save ``text`` as page ``title`` (a signed-in session's csrf token)."""
        return self.call({"action": "edit", "title": title, "text": text,
                          "summary": "test", "token": self.token("csrf")}, post=True)["edit"]
