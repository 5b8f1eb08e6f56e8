"""An application's fields are data: a wiki with fields of its own (no database, no email,
its own title field and an ACL policy) goes through check_install, its values reach the
plan, the recipe's AppContext, the stored install and the API; bad values get
``invalid_argument_<name>``. The data migration moves WordPress's old columns.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from apps.api import shapes
from apps.recipes import fields as app_fields
from apps.recipes import get_recipe
from tests.catalog.test_recipes import recipes_dir, write_app  # noqa: F401
from tests.installs.conftest import owner, site  # noqa: F401

# Like DokuWiki: no mysql requirement, a superuser in a file, an ACL policy.
WIKI_FIELDS = {
    "language": {"type": "select", "default": "en", "sort_order": 1},
    "title": {"type": "text", "label": "Wiki title", "role": "title", "required": True,
              "sort_order": 2},
    "login": {"type": "text", "label": "Superuser", "generate": "login", "sort_order": 3},
    "passwd": {"type": "password", "label": "Superuser password", "gettable": False,
               "sort_order": 4},
    "acl_policy": {"type": "select", "label": "Initial ACL policy", "default": "1",
                   "options": {"0": "Open wiki", "1": "Public wiki", "2": "Closed wiki"},
                   "sort_order": 5},
    "allowreg": {"type": "checkbox", "label": "Allow users to register", "default": True,
                 "sort_order": 6},
    "salt": {"type": "generated", "length": 24, "sort_order": 7},
}

WIKI_RECIPE = '''
import json

from apps.recipes.base import Recipe


class MiniWiki(Recipe):
    """Writes every field it is given, as DokuWiki writes conf/local.php."""

    extra_files = ("conf.json", "users.auth.php")

    def write_config(self, app):
        values = dict(app.fields)
        app.transport.write(app.path("users.auth.php"),
                            f"{values.pop('login')}:{values.pop('passwd')}\\n".encode(),
                            mode=0o640)
        app.transport.write(app.path("conf.json"),
                            json.dumps({**values, "language": app.language}).encode())
        return ["conf.json", "users.auth.php"]
'''


def wiki_archive(path):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("doku.php", b"<?php echo 'wiki';\n"),
                           ("index.php", b"<?php echo 'a wiki';\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def wiki(db, recipes_dir, tmp_path):  # noqa: F811
    from apps.catalog import services

    write_app(recipes_dir, "miniwiki", recipe_py=WIKI_RECIPE, requirements={"php": "7.4-"},
              package={"marker": "doku.php"}, fields=WIKI_FIELDS)
    services.add_package("miniwiki", "1.0", wiki_archive(tmp_path / "wiki.tar.gz"))
    return get_recipe("miniwiki")


@pytest.fixture
def no_email(site):  # noqa: F811
    """The owner and the website have no email address at all."""
    site.account.email = ""
    site.account.save(update_fields=["email"])
    site.website.email = ""
    site.website.save(update_fields=["email"])
    return site


GOOD = {"title": "Team wiki", "login": "boss", "passwd": "a-long-secret", "acl_policy": "2"}


def check(site, **params):  # noqa: F811
    from apps.installs.services import check_install

    return check_install(site.account, {"application": "miniwiki", "url": f"{site.url}/wiki",
                                        **params}, dryrun=1)


def test_a_wiki_is_accepted_without_an_email_and_keeps_its_own_fields(wiki, no_email):
    plan = check(no_email, **GOOD, allowreg="0")
    assert plan.db.mode == "none"
    assert "email" not in plan.fields  # not asked for: the manifest does not name one
    assert plan.title == "Team wiki"
    assert {k: v for k, v in plan.fields.items() if k != "salt"} == {
        "title": "Team wiki", "login": "boss", "passwd": "a-long-secret", "acl_policy": "2",
        "allowreg": False}
    assert len(plan.fields["salt"]) == 24
    shown = shapes.install_plan(plan, v2=False)
    assert (shown["cf-title"], shown["cf-acl_policy"], shown["cf-allowreg"]) == (
        "Team wiki", "2", "0")
    assert not {"cf-passwd", "cf-salt", "cf-email", "cf-sitetitle"} & set(shown)
    assert shapes.install_plan(plan, v2=True)["acl_policy"] == "2"
    # Defaults from the manifest, never WordPress's.
    plan = check(no_email, title="Docs")
    assert plan.fields["acl_policy"] == "1" and plan.fields["allowreg"] is True
    assert plan.fields["login"].startswith("admin_") and len(plan.fields["passwd"]) >= 16


def test_wordpress_still_asks_for_an_email_its_manifest_requires(wiki):
    from apps.installs.errors import InstallError

    manifest = json.loads((Path(app_fields.__file__).parent / "wordpress" / "manifest.json")
                          .read_text())
    email = manifest["fields"]["email"]
    with pytest.raises(InstallError) as exc:
        app_fields.check_value("email", email, None, owner_email="")
    assert exc.value.errcode == "invalid_argument_email"
    assert app_fields.check_value("email", email, None, owner_email="o@x.org") == "o@x.org"
    assert "email" not in app_fields.app_fields(wiki)


@pytest.mark.parametrize("params, name", [
    ({"title": "   "}, "title"),                       # required
    ({"title": ["a", "list"]}, "title"),               # not text
    ({"title": "tab\there"}, "title"),                 # a control character
    ({"acl_policy": "7"}, "acl_policy"),               # not one of the options
    ({"allowreg": "perhaps"}, "allowreg"),             # not yes/no
    ({"passwd": "short"}, "passwd"),                   # under 8 characters
    ({"salt": "mine"}, "salt"),                        # generated: never given
])
def test_a_value_of_the_wrong_type_or_option_gets_its_errcode(wiki, no_email, params, name):
    from apps.installs.errors import InstallError

    with pytest.raises(InstallError) as exc:
        check(no_email, **{**GOOD, **params})
    assert (exc.value.errcode, exc.value.field) == (f"invalid_argument_{name}", name)


def test_a_manifest_field_with_a_reserved_name_is_refused(recipes_dir):  # noqa: F811
    write_app(recipes_dir, "clashapp", fields={"db_name": {"type": "text"}})
    with pytest.raises(ValueError, match="reserved"):
        get_recipe("clashapp")


def test_the_wiki_installs_with_every_field_reaching_its_installer(wiki, no_email):
    from apps.installs import services, tasks
    from apps.installs.models import Install

    plan = check(no_email, **GOOD)
    plan.dryrun = 0
    install, task = services.start_install(plan)
    # Secrets wait encrypted on the row for the worker, never on the stored fields.
    assert set(install.fields) == {"title", "login", "acl_policy", "allowreg"}
    tasks.install_app(task.id)

    install = Install.objects.get(pk=install.pk)
    task.refresh_from_db()
    assert task.status == "completed", task.message
    assert install.status == Install.Status.INSTALLED and install.pending_secrets is None
    folder = no_email.docroot / "wiki"
    assert (folder / "users.auth.php").read_text() == "boss:a-long-secret\n"
    conf = json.loads((folder / "conf.json").read_text())
    assert conf.pop("salt") == plan.fields["salt"]
    assert conf == {"title": "Team wiki", "acl_policy": "2", "allowreg": True,
                    "language": "en"}
    assert install.title == "Team wiki" and install.admin_login == "boss"
    assert install.fields == {"title": "Team wiki", "login": "boss", "acl_policy": "2",
                              "allowreg": True}
    shown = shapes.install(install, v2=False)
    # Password fields follow, present and empty (001's cf-passwd: never kept nor shown).
    assert [k for k in shown if k.startswith("cf-")] == [
        "cf-title", "cf-login", "cf-acl_policy", "cf-allowreg", "cf-passwd"]
    assert shown["cf-passwd"] == ""
    assert shapes.install(install, v2=True)["acl_policy"] == "2"


def test_the_install_form_and_edit_form_come_from_the_manifest(wiki, no_email):
    from apps.installs.forms import EditForm, InstallForm
    from apps.installs.models import Install

    form = InstallForm(account=no_email.account, recipe=wiki, versions=["1.0"],
                       websites=[no_email.website])
    assert form.app_fields == ["language", "title", "login", "passwd", "acl_policy",
                               "allowreg"]
    assert "db_mode" not in form.fields and "email" not in form.fields
    install = Install.objects.create(
        account=no_email.account, website=no_email.website, installer="miniwiki",
        version="1.0", path="public_html/wiki", url=f"{no_email.url}/wiki",
        fields={"title": "Team wiki", "login": "boss", "acl_policy": "2"},
        status=Install.Status.INSTALLED)
    edit = EditForm(install=install, recipe=wiki)
    assert [f.name for f in edit.application_fields] == [
        "title", "login", "passwd", "acl_policy", "allowreg", "language"]
    assert edit["acl_policy"].value() == "2" and edit["title"].value() == "Team wiki"


def test_the_migration_moves_the_old_columns_into_fields(transactional_db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("installs", "0006_reattach_orphans")]
    after = [("installs", "0007_install_fields")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Account = old.get_model("accounts", "Account")
    Install = old.get_model("installs", "Install")
    account = Account.objects.create(username="migrated", kind="user")
    Install.objects.create(id="a" * 25, account=account, installer="wordpress",
                           url="http://a.test", cf_login="chief", cf_email="c@a.test",
                           cf_sitetitle="Old title", cf_sitetagline="", cf_content="no")
    Install.objects.create(id="b" * 25, account=account, installer="wordpress",
                           url="http://b.test")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("installs", "Install")
    first, second = new.objects.get(pk="a" * 25), new.objects.get(pk="b" * 25)
    assert first.fields == {"login": "chief", "email": "c@a.test", "sitetitle": "Old title"}
    assert first.content == "no"
    assert second.fields == {} and second.content == "yes"

    # And back: the values return to their columns.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    back = executor.loader.project_state(before).apps.get_model("installs", "Install")
    row = back.objects.get(pk="a" * 25)
    assert (row.cf_login, row.cf_email, row.cf_sitetitle, row.cf_content) == (
        "chief", "c@a.test", "Old title", "no")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
