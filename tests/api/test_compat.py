"""Issue 13's second pass: the reference documents' own requests, answered as documented.

001's header makes ``user`` optional; v2's enum replies are accepted back as input; v1
lists come whole; reads that carry a header apply it.
"""

from __future__ import annotations

import json

import pytest

from apps.accounts.models import Account, Website
from apps.tasks.models import Task


def _body(response) -> dict:
    return json.loads(response.content)


# 001 3.3's header, as its curl example sends it (a local folder for the ftp:// path).
def _header(site) -> dict:
    return {"websites": [{"id": "ws124", "email": "user@mail.com", "path": str(site),
                          "vhosts": {"http://company.com": "httpdocs",
                                     "http://www.company.com": "httpdocs"}}]}


def test_a_header_without_user_is_keyed_by_its_website_id(api, admin, tmp_path):
    site = tmp_path / "company.com"
    (site / "httpdocs").mkdir(parents=True)
    body = _body(api.v1("guixfer", **_header(site), language="en"))
    assert body["result"] is True, body
    website = Website.objects.get(ws_id="ws124")
    assert website.account.username == "ws124" and website.account.kind == "user"
    # the same website id again, in another call without user: the same account
    body = _body(api.v1("installs", **_header(site)))
    assert body["result"] is True and body["data"] == []
    assert Account.objects.filter(websites__ws_id="ws124").count() == 1
    # a website id that is the administrator's name never reaches the administrator
    header = _header(site)
    header["websites"][0]["id"] = "admin"
    assert _body(api.v1("guixfer", **header))["result"] is True
    owner = Website.objects.get(ws_id="admin").account
    assert owner.kind == "user" and owner.username.startswith("ws-")


def test_v2_install_routes_take_calls_without_user(api, install):
    """002: POST /installs/{id}/backup|update|clone and DELETE /installs/{id} need no
    ``user``: the install id names its owner."""
    body = _body(api.v2("POST", f"/installs/{install.id}/backup", {"background": "1"}))
    assert body["result"] is True, body
    assert Task.objects.get(pk=body["task"]["id"]).account == install.account
    body = _body(api.v2("POST", f"/installs/{install.id}/clone",
                        {"url": "http://alice.test/copy", "dryrun": "1"}))
    assert body["errcode"] != "empty_argument_user" and body["errcode"] != "invalid_argument_user"
    body = _body(api.v2("POST", f"/installs/{install.id}/update", {"dryrun": "1"}))
    assert body.get("errcode") not in {"empty_argument_user", "invalid_argument_user"}, body
    Task.objects.all().delete()
    body = _body(api.v2("DELETE", f"/installs/{install.id}", {"background": "1"}))
    assert body["result"] is True, body
    assert body["task"]["cmd"] == "uninstall"


def test_install_without_user_and_without_websites_is_still_refused(api):
    body = _body(api.v1("install", application="wordpress", url="http://x.test/"))
    assert (body["result"], body["errcode"]) == (False, "empty_argument_user")


@pytest.mark.parametrize(("value", "stored"), [("none", 0), ("custom", 1), ("all", 2)])
def test_v2_accepts_the_autoup_values_it_returns(api, install, value, stored):
    body = _body(api.v2("POST", f"/installs/{install.id}", {"autoup": value}))
    assert body["result"] is True, body
    assert body["data"]["autoup"] == value
    install.refresh_from_db()
    assert install.autoup == stored


def test_v2_accepts_the_autobk_values_it_returns(api, install):
    body = _body(api.v2("POST", f"/installs/{install.id}",
                        {"autobk": "custom", "autobk_daily": 2}))
    assert body["result"] is True and body["data"]["autobk"] == "custom", body
    body = _body(api.v2("POST", f"/installs/{install.id}", {"autobk": "none"}))
    assert body["result"] is True and body["data"]["autobk"] == "none", body
    body = _body(api.v2("POST", f"/installs/{install.id}",
                        {"autobk": "schedule", "autobk_schedule": "nosuch"}))
    assert body["errcode"] == "invalid_argument_autobk_schedule"
    body = _body(api.v2("POST", f"/installs/{install.id}", {"autoup_backup": "none"}))
    assert body["result"] is True and body["data"]["autoup_backup"] == "none", body


def test_v1_lists_are_whole_and_v2_lists_paged(api, admin):
    Account.objects.bulk_create(Account(username=f"u{n:03}", kind="user", owner=admin)
                                for n in range(106))
    body = _body(api.v1("users"))
    assert body["result"] is True and len(body["data"]) == 106
    body = _body(api.v1("users", limit="10"))
    assert len(body["data"]) == 10 and body["has_more"] is True
    body = _body(api.v2("GET", "/users"))
    assert len(body["data"]) == 100 and body["total_count"] == 106 and body["has_more"] is True
    body = _body(api.v2("GET", "/users", {"page": "2"}))
    assert len(body["data"]) == 6 and body["has_more"] is False


def test_reads_with_an_unknown_user_and_websites_create_the_user(api, tmp_path):
    site = tmp_path / "company.com"
    (site / "httpdocs").mkdir(parents=True)
    body = _body(api.v1("installs", user="dev1", **_header(site)))
    assert body["result"] is True and body["data"] == []
    assert Website.objects.get(ws_id="ws124").account.username == "dev1"
    body = _body(api.v1("browser", user="dev2", **_header(site)))
    assert body["result"] is True
    assert Account.objects.filter(username="dev2").exists()


def test_v2_single_record_routes_answer_objects(api, user, install, tmp_path):
    from apps.installs.models import Template

    body = _body(api.v2("GET", f"/users/{user.username}"))
    assert body["result"] is True and isinstance(body["data"], dict), body
    assert body["data"]["id"] == user.username and body["data"]["websites"][0]["id"] == "ws1"
    template = Template.objects.create(account=user, installer="wordpress", version="6.4.2",
                                       title="Shop", file="t.tar.gz", checksum="0" * 64)
    body = _body(api.v2("GET", f"/templates/{template.id}"))
    assert body["result"] is True and body["data"]["id"] == template.id, body
    assert body["data"]["title"] == "Shop"
    body = _body(api.v2("DELETE", f"/templates/{template.id}"))
    assert body["result"] is True and body["data"] == {"id": template.id}, body
    assert _body(api.v2("GET", f"/templates/{template.id}"))["status"] == 404
    # v1 keeps its list
    body = _body(api.v1("users", user=user.username))
    assert isinstance(body["data"], list) and body["data"][0]["id"] == user.username


def test_edit_delete_true_replies_with_the_install_id(api, install):
    install_id = install.id
    body = _body(api.v1("edit", id=install_id, delete="true"))
    assert body["result"] is True and body["data"] == {"id": install_id}, body


def test_tasks_spell_the_backup_label_as_the_documents_and_count_backups(api, install):
    body = _body(api.v2("POST", f"/installs/{install.id}/backup", {"background": "1"}))
    assert body["task"]["label"] == "_tasks_backuping"
    tasks = _body(api.v1("tasks"))["data"]
    # 001 3.16's members
    assert set(tasks[0]) >= {"id", "user", "ws_label", "url", "title", "label", "status",
                             "percentMin", "percentMax", "message", "cmd", "install", "time"}
    assert tasks[0]["label"] == "_tasks_backuping"
    assert _body(api.v1("installs"))["data"][0]["cache-numbackups"] == "0"
    from apps.backups.models import Backup

    for n in range(2):
        Backup.objects.create(account=install.account, install=install, file=f"b{n}.tar.gz",
                              installer="wordpress", checksum="0" * 64)
    assert _body(api.v1("installs"))["data"][0]["cache-numbackups"] == "2"
    assert _body(api.v2("GET", "/installs"))["data"][0]["cache_numbackups"] == 2


@pytest.mark.parametrize("plugin", ["akismet/akismet.php", "akismet%2Fakismet.php"])
def test_v2_plugin_routes_take_plugin_ids_with_a_slash(api, plugin):
    """002's plugin routes with the ids the plugins list shows: the call reaches the
    edit command (here: 404 for an install id that does not exist, not an unknown route)."""
    for method in ("POST", "DELETE"):
        body = _body(api.v2(method, f"/installs/nosuchinstall/plugins/{plugin}",
                            {"activated": "true"}))
        assert (body["errcode"], body["data"]) == ("invalid_argument_id", "id"), body
    # a theme id never holds a slash: that path is no route
    body = _body(api.v2("POST", "/installs/nosuchinstall/themes/a/b"))
    assert body["errcode"] != "invalid_argument_id"


def test_edit_stores_autoup_plugins_and_themes_and_returns_them(api, install):
    """002: autoup_plugins/autoup_themes 0/1/2 in v1, none/all/custom in v2, both ways."""
    body = _body(api.v1("edit", id=install.id, autoup_plugins="1", autoup_themes="2"))
    assert body["result"] is True, body
    assert (body["data"]["autoup-plugins"], body["data"]["autoup-themes"]) == ("1", "2")
    install.refresh_from_db()
    assert (install.autoup_plugins, install.autoup_themes) == (1, 2)
    body = _body(api.v2("POST", f"/installs/{install.id}", {"autoup_plugins": "custom",
                                                          "autoup_themes": "none"}))
    assert (body["data"]["autoup_plugins"], body["data"]["autoup_themes"]) == ("custom", "none")
    listed = _body(api.v1("installs"))["data"][0]
    assert (listed["autoup-plugins"], listed["autoup-themes"]) == ("2", "0")
    body = _body(api.v1("edit", id=install.id, autoup_plugins="7"))
    assert body["errcode"] == "invalid_argument_autoup_plugins"


def test_install_records_have_agent_and_an_empty_cf_passwd(api, install):
    from installatron_gui import __version__

    data = _body(api.v1("installs"))["data"][0]
    assert data["agent"] == __version__
    # 001 3.6/3.7 show cf-passwd empty: a password is never kept nor shown.
    assert data["cf-passwd"] == "" and "s3cret-db" not in json.dumps(data)
    assert _body(api.v2("GET", "/installs"))["data"][0]["passwd"] == ""


def test_tasks_give_a_message_key_the_sentence_and_a_rate(api, install):
    """001 3.16: ``message`` is a key such as ``_tasks_shared_copyingfiles``, ``rate`` a
    number; our sentence stays in ``text``."""
    task = Task.objects.create(account=install.account, cmd="backup", label="_tasks_backuping",
                               install=install.id, status="processing", percent_min=50,
                               percent_max=99, message="Copying files", rate=10150)
    shown = next(t for t in _body(api.v1("tasks"))["data"] if t["id"] == task.id)
    assert (shown["message"], shown["text"], shown["rate"]) == (
        "_tasks_shared_copyingfiles", "Copying files", 10150)
    Task.objects.filter(pk=task.pk).update(status="failed", message="The disk is full.")
    shown = next(t for t in _body(api.v2("GET", "/tasks"))["data"] if t["id"] == task.id)
    assert (shown["message"], shown["text"]) == ("_tasks_shared_failed", "The disk is full.")


def test_backup_records_show_the_install_as_it_was(api, install):
    """001 3.6's backup members: path-created, autoup, autobk, cf-*, version-*,
    backup-schedule, from what the backup kept (``members``)."""
    from apps.backups.models import Backup
    from apps.installs.record import kept_by_backups, record

    kept = kept_by_backups(record(install))
    assert {"path-created", "autoup", "autobk", "cf-login", "cf-email", "version-available",
            "version-notified", "cf-passwd"} <= set(kept) and "db-pass" not in kept
    Backup.objects.create(account=install.account, install=install, file="b.tar.gz",
                          installer="wordpress", checksum="0" * 64,
                          members={**kept, "backup-schedule": "custom"})
    data = _body(api.v1("backups"))["data"][0]
    assert (data["path-created"], data["autoup"], data["autobk"]) == ("1", "2", "custom")
    assert (data["cf-login"], data["backup-schedule"]) == ("admin", "custom")
    v2 = _body(api.v2("GET", "/backups"))["data"][0]
    assert (v2["path_created"], v2["autoup"], v2["login"]) == (True, "all", "admin")


def test_delete_with_background_queues_a_task_and_answers_with_it(api, install, settings,
                                                                 tmp_path):
    """001 3.13: ``background`` makes delete a task, the reply carrying its table (as
    the other background calls); without it the backup goes at once."""
    from apps.backups import tasks
    from apps.backups.models import Backup

    settings.BACKUP_DIR = tmp_path
    backups = []
    for n in range(2):
        (tmp_path / f"b{n}.tar.gz").write_bytes(b"archive")
        backups.append(Backup.objects.create(account=install.account, install=install,
                                             file=f"b{n}.tar.gz", installer="wordpress",
                                             checksum="0" * 64, url=install.url))
    body = _body(api.v1("delete", id=backups[0].id, background="1"))
    assert body["result"] is True and body["data"] is None, body
    task = body["task"]
    assert {"id", "user", "ws_label", "url", "title", "label", "status", "rate", "percentMin",
            "percentMax", "message", "cmd", "install", "time"} <= set(task)
    assert (task["cmd"], task["status"]) == ("delete", "queued")
    assert Backup.objects.filter(pk=backups[0].id).exists()  # not yet: the task does it
    tasks.delete_backup(task["id"], backups[0].id)
    assert Task.objects.get(pk=task["id"]).status == "completed"
    assert not Backup.objects.filter(pk=backups[0].id).exists()
    assert not (tmp_path / "b0.tar.gz").exists()
    body = _body(api.v2("DELETE", f"/backups/{backups[1].id}"))
    assert body["result"] is True and body["data"] == {"id": backups[1].id}
    assert not (tmp_path / "b1.tar.gz").exists()
