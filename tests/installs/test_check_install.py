"""Each errcode of the install call, with its HTTP status and field, through the API."""

from __future__ import annotations

import pytest

from tests.fixtures.services import free_port


@pytest.fixture
def target(owner, tmp_path, wordpress_package):
    """A website that is never served: these calls must fail (or dry-run) before that."""
    from apps.accounts.models import Website

    root = tmp_path / "site"
    (root / "public_html").mkdir(parents=True)
    Website.objects.create(account=owner, ws_id="ws1", path=str(root),
                           vhosts={"http://shop.test": "public_html"}, email="o@example.com")
    return root


def call(api, owner, **params):
    base = {"user": owner.username, "application": "wordpress", "url": "http://shop.test/blog"}
    return api.v1("install", **{**base, **params})


@pytest.mark.parametrize("params, errcode, field", [
    ({"application": "nosuchapp"}, "invalid_argument_application", "application"),
    ({"version": "0.0.1"}, "invalid_argument_version", "version"),
    ({"url": "ftp://shop.test/"}, "invalid_argument_url", "url"),
    ({"url": "http://other.test/"}, "invalid_argument_url", "url"),
    ({"url": "http://shop.test/a/../../etc"}, "invalid_argument_url", "url"),
    ({"url_ip": "not-an-ip"}, "invalid_argument_url", "url_ip"),
    ({"email": "not an email"}, "invalid_argument_email", "email"),
    ({"email": "me@localhost"}, "invalid_argument_email", "email"),
    ({"login": "bad/name"}, "invalid_argument_login", "login"),
    ({"passwd": "short"}, "invalid_argument_passwd", "passwd"),
    ({"passwd": "back\\slash-pass"}, "invalid_argument_passwd", "passwd"),
    ({"language": "xx"}, "invalid_argument_language", "language"),
    ({"sitetitle": "   "}, "invalid_argument_sitetitle", "sitetitle"),
    ({"sitetagline": "x" * 300}, "invalid_argument_sitetagline", "sitetagline"),
    ({"content": "maybe"}, "invalid_argument_content", "content"),
    ({"autoup": "7"}, "invalid_argument_autoup", "autoup"),
    ({"autobk": "custom", "autobk_daily": "x"}, "invalid_argument_autobk_custom_daily",
     "autobk_daily"),
    ({"autobk": "custom", "autobk_weekly": "-1"}, "invalid_argument_autobk_custom_weekly",
     "autobk_weekly"),
    ({"autobk": "custom", "autobk_monthly": "1000"}, "invalid_argument_autobk_custom_monthly",
     "autobk_monthly"),
    ({"autobk": "nightly7"}, "invalid_argument_autobk_schedule", "autobk"),
    ({"bkloc": "gopher://x/"}, "invalid_argument_bkloc", "bkloc"),
    ({"bkloc": "  "}, "empty_argument_bkloc", "bkloc"),
    ({"notification": "update,bogus"}, "invalid_argument_notification", "notification"),
    ({"db_prefix": "wp-;"}, "invalid_argument_db_prefix", "db_prefix"),
    ({"db_host": "127.0.0.1", "db_user": "u"}, "invalid_argument_db_name", "db_name"),
    ({"dryrun": "3"}, "invalid_argument_dryrun", "dryrun"),
])
def test_each_bad_argument_gets_its_errcode(api, owner, target, params, errcode, field):
    response = call(api, owner, dryrun=params.pop("dryrun", "1"), **params)
    body = response.json()
    assert (response.status_code, body["errcode"], body["data"]) == (400, errcode, field), body
    assert body["result"] is False and body["status"] == 400


def test_a_missing_user_is_empty_argument_user(api, target):
    response = api.v1("install", application="wordpress", url="http://shop.test/")
    assert (response.status_code, response.json()["errcode"]) == (400, "empty_argument_user")


def test_a_suspended_user_is_refused_with_403(api, owner, target):
    owner.suspended = True
    owner.save()
    response = call(api, owner, dryrun="1")
    assert (response.status_code, response.json()["errcode"]) == (403, "invalid_argument_user")


def test_rootonly_applications_refuse_a_subfolder(api, owner, target, monkeypatch):
    from apps.recipes.base import get_recipe

    monkeypatch.setitem(get_recipe("wordpress").manifest, "rootonly", True)
    response = call(api, owner, dryrun="1")
    assert response.json()["errcode"] == "invalid_argument_url_rootonly"
    assert call(api, owner, dryrun="1", url="http://shop.test").status_code == 200


@pytest.mark.parametrize("name", ["wp-login.php", "wp-admin", "index.html", "index.htm"])
def test_a_folder_with_the_apps_names_or_an_index_html_is_refused(api, owner, target, name):
    folder = target / "public_html" / "blog"
    folder.mkdir()
    (folder / name).write_text("x")
    response = call(api, owner, dryrun="2")
    body = response.json()
    assert (response.status_code, body["errcode"], body["data"]) == (
        400, "invalid_argument_url_alreadyexists", "url")
    assert name in body["message"]


def test_unrelated_files_in_the_folder_are_fine(api, owner, target, mysql_query):
    folder = target / "public_html" / "blog"
    (folder / "cgi-bin").mkdir(parents=True)
    (folder / "robots.txt").write_text("x")
    response = call(api, owner, dryrun="2")
    assert response.status_code == 200, response.json()
    assert sorted(p.name for p in folder.iterdir()) == ["cgi-bin", "robots.txt"]


def test_dryrun_1_does_not_look_at_the_folder_but_2_does(api, owner, target):
    (target / "public_html" / "index.html").write_text("old site")
    assert call(api, owner, dryrun="1", url="http://shop.test").status_code == 200
    response = call(api, owner, dryrun="2", url="http://shop.test")
    assert response.json()["errcode"] == "invalid_argument_url_alreadyexists"


def test_dryrun_changes_nothing_and_hides_the_password(api, owner, target, mysql_query):
    from apps.installs.models import Install
    from apps.tasks.models import Task

    from .conftest import databases_of

    response = call(api, owner, dryrun="2", passwd="Very-secret-99")
    assert response.status_code == 200, response.json()
    assert "Very-secret-99" not in response.content.decode()
    assert response.json()["data"]["cf-login"].startswith("admin_")  # random when omitted
    assert not Install.objects.exists() and not Task.objects.exists()
    assert databases_of(mysql_query, owner) == []
    assert sorted(p.name for p in (target / "public_html").iterdir()) == []


def test_a_database_server_that_refuses_is_failed_database_create(api, owner, target, settings):
    settings.MYSQL_ADMIN = {**settings.MYSQL_ADMIN, "port": free_port()}
    response = call(api, owner, dryrun="2")
    assert (response.status_code, response.json()["errcode"]) == (500, "failed_database_create")


def test_wrong_manual_database_credentials_are_refused_at_dryrun_2(api, owner, target):
    response = call(api, owner, dryrun="2", db_host="127.0.0.1", db_name="nope_db",
                    db_user="nope_user", db_pass="wrong-pass")
    body = response.json()
    assert response.status_code == 400 and body["errcode"] == "invalid_argument_db_user"
    assert "wrong-pass" not in body["message"]


def test_a_folder_that_cannot_be_written_is_failed_filesystem_permission(api, owner, tmp_path,
                                                                          wordpress_package):
    from apps.accounts.models import Website

    root = tmp_path / "ro"
    root.mkdir()
    (root / "public_html").write_text("a file where the web folder should be")
    Website.objects.create(account=owner, ws_id="ws2", path=str(root),
                           vhosts={"http://ro.test": "public_html"}, email="o@example.com")
    response = call(api, owner, dryrun="2", url="http://ro.test/blog")
    assert (response.status_code, response.json()["errcode"]) == (
        500, "failed_filesystem_permission")


def test_website_databases_hand_out_an_unused_one_then_share(owner, target, wordpress_package):
    """An unused listed database first; when every one is in use, the first is shared
    under a table prefix the worker picks (3.17.3), unless the caller chose the prefix."""
    from apps.accounts.models import Website
    from apps.installs import services

    Website.objects.filter(account=owner).update(db_mode="manual")
    website = Website.objects.get(account=owner)
    website.databases = [{"type": "mysql", "host": "localhost", "name": "db1", "user": "db1",
                          "pass": "p1"}]
    website.save()
    plan = services.check_install(owner, {"application": "wordpress",
                                          "url": "http://shop.test/"}, dryrun=1)
    assert (plan.db.mode, plan.db.name, plan.db.password) == ("website", "db1", "p1")
    assert plan.db.auto_prefix is True
    services.start_install(plan)
    shared = services.check_install(owner, {"application": "wordpress",
                                            "url": "http://shop.test/x"}, dryrun=1)
    assert (shared.db.mode, shared.db.name, shared.db.auto_prefix) == ("website", "db1", True)
    chosen = services.check_install(owner, {"application": "wordpress", "db_prefix": "shop_",
                                            "url": "http://shop.test/y"}, dryrun=1)
    assert (chosen.db.prefix, chosen.db.auto_prefix) == ("shop_", False)
    website.databases = []
    website.save()
    with pytest.raises(services.InstallError) as exc:
        services.check_install(owner, {"application": "wordpress", "url": "http://shop.test/z"},
                               dryrun=1)
    assert exc.value.errcode == "failed_database_create" and exc.value.status == 500


@pytest.mark.parametrize("requirement, words", [
    ({"php": "99.0-"}, "needs PHP 99.0-; this server runs PHP"),
    ({"php": "-5.0"}, "needs PHP -5.0"),
    ({"diskspace": "900000T"}, "needs 900000T of disk space"),
])
def test_unmet_requirements_are_refused_before_anything_is_written(
        api, owner, target, monkeypatch, requirement, words):
    from apps.recipes.base import get_recipe
    from apps.installs.requirements import local_php_version

    assert local_php_version(), "php-cli is installed by the test command"
    recipe = get_recipe("wordpress")
    monkeypatch.setitem(recipe.manifest, "requirements",
                        {**recipe.manifest["requirements"], **requirement})
    body = call(api, owner, dryrun="2").json()
    assert body["errcode"] == "invalid_argument_version_unmetrequirements", body
    assert body["status"] == 400 and words in body["message"]
    assert sorted(p.name for p in (target / "public_html").iterdir()) == []
    # The real requirements are met here.
    monkeypatch.undo()
    assert call(api, owner, dryrun="2").json()["result"] is True


def test_requirement_ranges_read_as_installatron_writes_them():
    from apps.installs.requirements import in_range, size_bytes

    assert in_range("8.2.7", "5.6.20-") and not in_range("5.6.19", "5.6.20-")
    assert in_range("7.4", "7.4-8.3") and not in_range("8.4.1", "7.4-8.3")
    assert in_range("5.0", "-5.0") and not in_range("5.1", "-5.0")
    assert size_bytes("70M") == 70 << 20 and size_bytes("1.5G") == 3 << 29
    assert size_bytes("lots") is None


def test_a_language_the_package_has_no_files_for_is_refused_before_anything_is_made(
        api, owner, target, wordpress_package):
    """The manifest knows German, but this WordPress archive was built without
    wordpress-l10n: the install is refused at once, not late by WordPress's installer."""
    from apps.installs.forms import InstallForm
    from apps.installs.models import Install
    from apps.tasks.models import Task

    wordpress_package.languages = ["en"]
    wordpress_package.save()
    response = call(api, owner, language="de")
    body = response.json()
    assert (response.status_code, body["errcode"], body["data"]) == (
        400, "invalid_argument_language", "language"), body
    assert not Install.objects.exists() and not Task.objects.exists()

    # The install form offers only what the package holds, and a German owner gets
    # English preselected instead of a language that would fail.
    from apps.recipes.base import get_recipe

    owner.language = "de"
    owner.save()
    form = InstallForm(account=owner, recipe=get_recipe("wordpress"),
                       versions=[wordpress_package.version],
                       websites=list(owner.websites.all()))
    assert [code for code, _label in form.fields["language"].choices] == ["en"]
    assert form.fields["language"].initial == "en"
    wordpress_package.languages = ["de", "en"]
    wordpress_package.save()
    form = InstallForm(account=owner, recipe=get_recipe("wordpress"),
                       versions=[wordpress_package.version],
                       websites=list(owner.websites.all()))
    assert form.fields["language"].initial == "de"
