"""The install page offers "Update to X"; the confirmation page says a backup is taken
first and restored on failure; confirming queues the update and shows its progress."""

from __future__ import annotations


def test_the_install_page_offers_the_update_and_confirming_starts_it(client, site,
                                                                      old_install, stranger):
    from apps.installs.models import Install
    from apps.tasks.models import Task
    from apps.updates import tasks

    client.force_login(site.account)
    page = client.get(f"/gui/installs/{old_install.pk}/").content.decode()
    assert "Update to 6.1.9" in page and f"/gui/installs/{old_install.pk}/update/" in page
    confirm = client.get(f"/gui/installs/{old_install.pk}/update/").content.decode()
    assert "from 6.1.8 to 6.1.9" in confirm
    assert "A backup is taken first, and restored automatically if the update fails." in confirm

    response = client.post(f"/gui/installs/{old_install.pk}/update/", {"version": "6.1.9"})
    assert response.status_code == 302
    task = Task.objects.get(install=old_install.pk, cmd="upgrade")
    progress = client.get(f"/gui/installs/{old_install.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Updating WordPress" in progress and 'hx-trigger="every 1s"' in progress
    # A second confirmation while it runs is refused as busy, nothing queued twice.
    client.post(f"/gui/installs/{old_install.pk}/update/", {"version": "6.1.9"})
    assert Task.objects.filter(install=old_install.pk, cmd="upgrade").count() == 1

    tasks.update_app(task.id, "6.1.9", False, "", "", False)
    assert Install.objects.get(pk=old_install.pk).version == "6.1.9"
    page = client.get(f"/gui/installs/{old_install.pk}/").content.decode()
    assert "Update to" not in page and "every 1s" not in page

    client.force_login(stranger)
    assert client.get(f"/gui/installs/{old_install.pk}/update/").status_code == 404
    assert client.post(f"/gui/installs/{old_install.pk}/update/").status_code == 404
