"""The recipe contract: declared hooks, supports(), clear "not supported" errors, and a copy
(clone, restore-to) re-pointed by ``repoint``, never configured anew by ``write_config``.

The dummy application below keeps its admin account in a file, as DokuWiki does
(``users.auth.php``): a ``write_config`` run on a copy would overwrite it.
"""

from __future__ import annotations

import json

import pytest

from apps.recipes import base, get_recipe
from apps.recipes.base import CAPABILITIES, Recipe, UnsupportedError
from tests.catalog.test_recipes import recipes_dir, write_app  # noqa: F401
from tests.installs.conftest import owner, site  # noqa: F401

DUMMY_RECIPE = '''
import json

from apps.recipes.base import InstallError, Recipe


class DummyWiki(Recipe):
    """No database; the admin account in users.auth.php, the address in conf.json."""

    extra_files = ("users.auth.php", "conf.json")

    def write_config(self, app):
        if not app.fields.get("passwd"):
            raise InstallError("write_config without a password", errcode="failed_install")
        app.transport.write(app.path("users.auth.php"),
                            f"{app.fields['login']}:{app.fields['passwd']}\\n".encode(), mode=0o640)
        app.transport.write(app.path("conf.json"), json.dumps({"url": app.url}).encode())
        return ["users.auth.php", "conf.json"]

    def repoint(self, app, *, old_url, old_prefix, conn=None, config=True,
                renew_secrets=False):
        conf = json.loads(app.transport.read(app.path("conf.json")))
        conf.update(url=app.url, moved_from=old_url, renewed=renew_secrets)
        app.transport.write(app.path("conf.json"), json.dumps(conf).encode())
        return ["conf.json"]
'''

ADMIN_LINE = b"wikiboss:the-real-password\n"


@pytest.fixture
def dummy(recipes_dir):  # noqa: F811
    write_app(recipes_dir, "dummywiki", recipe_py=DUMMY_RECIPE,
              requirements={"php": "8.0-"}, fields={"login": {"type": "text"}})
    return get_recipe("dummywiki")


def test_supports_is_false_for_what_a_recipe_does_not_declare(dummy):
    assert dummy.supports("install") and dummy.supports("repoint")
    for capability in set(CAPABILITIES) - {"install", "repoint"}:
        assert not dummy.supports(capability), capability
    plain = Recipe({"id": "plain", "name": "Plain"}, dummy.folder)
    assert not any(plain.supports(c) for c in CAPABILITIES)
    with pytest.raises(ValueError):
        dummy.supports("sso_supported")  # a typo in the engine is a bug, not a "no"


def test_wordpress_declares_what_the_engine_uses():
    base.get_recipe.cache_clear()
    wordpress = get_recipe("wordpress")
    for capability in ("install", "repoint", "read_version", "read_settings",
                       "apply_settings", "list_addons", "sso", "update", "detect",
                       "addons", "build_package"):
        assert wordpress.supports(capability), capability


def test_an_unsupported_hook_raises_a_clear_error(dummy):
    calls = {
        "sso": lambda: dummy.sso_file("token", 0, "admin"),
        "update": lambda: dummy.update_steps(None, None, {}),
        "apply_settings": lambda: dummy.apply_settings(None, "", "admin", {}),
        "detect": lambda: dummy.detect_install(None, ""),
        "build_package": lambda: dummy.build_package(None),
        "addons": lambda: dummy.addons(None),
    }
    for capability, call in calls.items():
        with pytest.raises(UnsupportedError) as exc:
            call()
        assert exc.value.errcode == f"unsupported_{capability}"
        assert exc.value.status == 501
        assert "Dummywiki" in exc.value.message
    # The defaults that are safe for every application answer "nothing known".
    assert dummy.read_version(None, None) is None
    assert dummy.read_settings(None, "", "admin") == {}
    assert dummy.check_fields({"login": "x"}) is None


def test_a_copy_is_repointed_and_its_admin_account_left_alone(dummy, site):  # noqa: F811
    from apps.backups import services as backups
    from apps.backups import tasks
    from apps.installs.models import Install
    from apps.tasks.models import Task

    folder = site.docroot / "wiki"
    folder.mkdir()
    (folder / "index.php").write_text("<?php echo 'a wiki';\n")
    (folder / "users.auth.php").write_bytes(ADMIN_LINE)
    (folder / "conf.json").write_text(json.dumps({"url": f"{site.url}/wiki", "theme": "dark"}))
    source = Install.objects.create(
        account=site.account, website=site.website, installer="dummywiki", version="1.0",
        path="public_html/wiki", url=f"{site.url}/wiki", url_domain="127.0.0.1",
        fields={"login": "wikiboss"}, title="Wiki", status=Install.Status.INSTALLED,
        list_files=["conf.json", "index.php", "users.auth.php"])

    plan = backups.check_clone(source, {"url": f"{site.url}/copy"})
    assert plan.db.name == ""  # no database: nothing to re-point there
    copy, task = backups.start_clone(source, plan)
    tasks.clone_install(task.id, source.id)

    task = Task.objects.get(pk=task.pk)
    assert task.status == "completed", task.message
    copy = Install.objects.get(pk=copy.pk)
    assert copy.status == Install.Status.INSTALLED
    target = site.docroot / "copy"
    # write_config would have refused (no password) or rewritten the account: it did not run.
    assert (target / "users.auth.php").read_bytes() == ADMIN_LINE
    conf = json.loads((target / "conf.json").read_text())
    assert conf == {"url": f"{site.url}/copy", "theme": "dark",
                    "moved_from": f"{site.url}/wiki", "renewed": True}
    assert (folder / "users.auth.php").read_bytes() == ADMIN_LINE  # the source untouched


def test_a_recipe_that_cannot_repoint_cannot_be_cloned(recipes_dir, site):  # noqa: F811
    from apps.backups import services as backups
    from apps.backups.errors import BackupError
    from apps.installs.models import Install

    write_app(recipes_dir, "stiffapp", recipe_py=(
        "from apps.recipes.base import Recipe\n"
        "class Stiff(Recipe):\n"
        "    def write_config(self, app):\n"
        "        return []\n"))
    source = Install.objects.create(
        account=site.account, website=site.website, installer="stiffapp", version="1.0",
        path="public_html/stiff", url=f"{site.url}/stiff", url_domain="127.0.0.1",
        status=Install.Status.INSTALLED, list_files=["index.php"])
    with pytest.raises(BackupError) as exc:
        backups.check_clone(source, {"url": f"{site.url}/copy"})
    assert exc.value.errcode == "unsupported_repoint"
    assert "Stiffapp cannot be moved" in exc.value.message
