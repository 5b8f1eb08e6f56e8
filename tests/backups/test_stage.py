"""A stage clone (clone with stage=1) and its push back onto the live site (sync with
push=1): real WordPress on MariaDB served by php -S; the tasks' bodies run here."""

from __future__ import annotations

import pytest

from apps.api import shapes

from .conftest import (
    assert_nowhere_in_tables,
    db_rows,
    fetch,
    listing,
    new_post,
    run_install,
    table_snapshot,
)

pytestmark = pytest.mark.slow


def _stage_of(live, url: str):
    from apps.backups import services, tasks
    from apps.installs.models import Install

    stage, task = services.start_clone(live, services.check_clone(live, {"url": url}),
                                       stage=True)
    tasks.clone_install(task.id, live.id)
    task.refresh_from_db()
    assert task.status == "completed", task.message
    stage = Install.objects.select_related("account", "website").get(pk=stage.pk)
    assert stage.stage_of == live.id and shapes.install(stage, True)["stage_of"] == live.id
    return stage


def _push(stage):
    from apps.backups import services, tasks

    live, task = services.start_push(stage)
    tasks.push_stage(task.id, stage.id)
    task.refresh_from_db()
    return task


def test_changes_made_on_a_stage_are_pushed_onto_the_live_site(site, wordpress_package,
                                                              backup_dir):
    from apps.backups.models import Backup
    from apps.installs.models import Install

    live = run_install(site, f"{site.url}/blog", title="Live Site")
    stage = _stage_of(live, f"{site.url}/stage")
    live_config = (site.docroot / "blog" / "wp-config.php").read_bytes()
    (site.docroot / "blog" / "owner-notes.txt").write_text("the owner's, not WordPress's\n")

    # Work on the stage: a post linking to the stage's own address, a new file.
    new_post(stage, "Written on the stage", content=f"See {stage.url}/about/ for more.",
             guid=f"{stage.url}/?p=999")
    (site.docroot / "stage" / "wp-content" / "staged.txt").write_text("from the stage\n")
    assert "Written on the stage" not in fetch(f"{site.url}/blog/")[1]

    task = _push(stage)
    assert task.status == "completed", task.message

    status, home = fetch(f"{site.url}/blog/")
    assert status == 200 and "Written on the stage" in home and "<title>Live Site" in home
    assert f"{site.url}/stage" not in home
    blog = site.docroot / "blog"
    assert (blog / "wp-content" / "staged.txt").read_text() == "from the stage\n"
    assert (blog / "wp-config.php").read_bytes() == live_config  # its database, its keys
    assert (blog / "owner-notes.txt").exists()
    assert not [p for p in blog.iterdir() if p.name.startswith(".itron-")]
    # Every link in the live tables is the live site's.
    live = Install.objects.get(pk=live.pk)
    assert_nowhere_in_tables(live, f"{site.url}/stage")
    assert db_rows(live, "SELECT post_content FROM wp_posts WHERE post_title = %s",
                   ("Written on the stage",))[0][0] == f"See {site.url}/blog/about/ for more."
    # The live site as it was is kept as a backup; the stage is unchanged and free.
    safety = Backup.objects.get(pk=task.result["backup"])
    assert safety.install_id == live.id and "Before the push" in safety.title
    assert fetch(f"{site.url}/stage/")[0] == 200
    assert not Install.objects.get(pk=stage.pk).busy and not live.busy


def test_a_push_whose_result_does_not_answer_leaves_the_live_site_as_it_was(
        site, wordpress_package, backup_dir):
    live = run_install(site, f"{site.url}/blog", title="Keep Me")
    stage = _stage_of(live, f"{site.url}/stage")
    # The stage breaks WordPress (a fatal error on every page) before it is pushed.
    functions = site.docroot / "stage" / "wp-includes" / "functions.php"
    functions.write_text(functions.read_text() + "\nitron_no_such_function_for_the_test();\n")
    files_before = listing(site.docroot / "blog")
    tables_before = table_snapshot(live)

    task = _push(stage)
    assert task.status == "failed" and "HTTP 500" in task.message, task.message
    assert listing(site.docroot / "blog") == files_before
    assert table_snapshot(live) == tables_before
    status, home = fetch(f"{site.url}/blog/")  # served at once: the rollback waited
    assert status == 200 and "<title>Keep Me" in home


def test_only_a_stage_can_be_pushed_and_the_api_says_why(api, site, wordpress_package,
                                                          backup_dir):
    live = run_install(site, f"{site.url}/blog", title="Not A Stage")
    body = api.v1("sync", id=live.id, push="1").json()
    assert (body["result"], body["errcode"]) == (False, "invalid_argument_push")
    assert api.v2("POST", f"/installs/{live.id}/sync", {"push": "1"}).json()["errcode"] == \
        "invalid_argument_push"
    # clone with stage=1 through the API marks the new install as a stage of this one.
    from apps.installs.models import Install

    body = api.v1("clone", user=site.account.username, id=live.id,
                  url=f"{site.url}/stage", stage="1", background="1").json()
    assert body["result"] is True, body
    assert Install.objects.get(pk=body["task"]["install"]).stage_of == live.id


def test_the_install_page_offers_backup_clone_and_push_with_a_confirmation(
        client, site, wordpress_package, backup_dir):
    live = run_install(site, f"{site.url}/blog", title="Buttons")
    client.force_login(site.account)
    page = client.get(f"/gui/installs/{live.id}/").content.decode()
    for href in (f"/gui/backups/install/{live.id}/backup/",
                 f"/gui/backups/install/{live.id}/clone/", f"/gui/backups/?install={live.id}"):
        assert href in page, href
    assert "Push to live" not in page
    response = client.post(f"/gui/backups/install/{live.id}/clone/",
                           {"base": site.url, "folder": "stage", "stage": "yes"})
    assert response.status_code == 302
    from apps.backups import tasks
    from apps.installs.models import Install
    from apps.tasks.models import Task

    stage = Install.objects.get(stage_of=live.id)
    tasks.clone_install(Task.objects.get(install=stage.id).id, live.id)
    page = client.get(f"/gui/installs/{stage.id}/").content.decode()
    assert f"/gui/backups/install/{stage.id}/push/" in page and live.url in page
    confirm = client.get(f"/gui/backups/install/{stage.id}/push/")
    assert confirm.status_code == 200 and b"A backup of" in confirm.content
    assert not Install.objects.get(pk=live.pk).busy  # nothing happens before the POST
    assert client.get(f"/gui/backups/install/{live.id}/push/").content.count(
        b"not a stage") == 1
