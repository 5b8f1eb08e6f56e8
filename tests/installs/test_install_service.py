"""WordPress installed and uninstalled in-process (services + the task runner), for real:
MariaDB through the mysql panel, files on disk, WordPress's installer over HTTP."""

from __future__ import annotations

import pytest

from .conftest import ADMIN_PASS, databases_of, fetch, listing, wp_login

pytestmark = pytest.mark.slow


def _run(task_id: str) -> None:
    from apps.installs import tasks

    tasks.install_app(task_id)  # the Celery task's body, run here


def test_it_installs_wordpress_into_a_subfolder_and_uninstalls_it_cleanly(
        site, wordpress_package, mysql_query):
    from apps.installs import services
    from apps.installs.models import Install
    from apps.tasks.models import Task

    (site.docroot / "keep.txt").write_text("the owner's file\n")
    (site.docroot / "cgi-bin").mkdir()
    before = listing(site.root)

    plan = services.check_install(site.account, {
        "application": "wordpress", "url": f"{site.url}/blog", "login": "boss",
        "passwd": ADMIN_PASS, "email": "boss@example.com", "sitetitle": "Ünïcode & 'Quotes'",
        "sitetagline": "Tag <line>"})
    install, task = services.start_install(plan)
    assert install.busy and install.status == Install.Status.INSTALLING
    assert "passwd" not in repr(plan) and ADMIN_PASS not in repr(plan)

    _run(task.id)

    task.refresh_from_db()
    install.refresh_from_db()
    assert task.status == Task.Status.COMPLETED, task.message
    assert task.percent_min == 100
    assert install.status == Install.Status.INSTALLED and not install.busy
    assert install.pending_secrets is None
    assert install.path == "public_html/blog"
    assert install.path_created == ["public_html/blog"]
    assert "wp-config.php" in install.list_files and "wp-admin" in install.list_files
    assert "wp_options" in install.list_tables and "wp_users" in install.list_tables
    assert install.db_created_by_panel and install.db_name.startswith(site.account.username)
    assert install.cache_files > 10_000_000 and install.cache_tables > 0

    status, home = fetch(f"{site.url}/blog/")
    assert status == 200
    assert "Ünïcode &amp; &#8216;Quotes&#8217;" in home or "Ünïcode" in home
    assert "Tag &lt;line&gt;" in home
    status, location, cookies = wp_login(f"{site.url}/blog", "boss", ADMIN_PASS)
    assert status == 302 and location.endswith("/blog/wp-admin/")
    assert any(name.startswith("wordpress_logged_in_") for name in cookies)
    status, _, cookies = wp_login(f"{site.url}/blog", "boss", ADMIN_PASS + "x")
    assert not any(name.startswith("wordpress_logged_in_") for name in cookies)
    config = (site.docroot / "blog" / "wp-config.php").read_text()
    assert "utf8mb4" in config and "put your unique phrase here" not in config
    assert (site.docroot / "blog" / "wp-config.php").stat().st_mode & 0o777 == 0o640

    uninstall_task = services.start_uninstall(install)
    from apps.installs import tasks

    tasks.uninstall_app(uninstall_task.id, False)
    uninstall_task.refresh_from_db()
    assert uninstall_task.status == Task.Status.COMPLETED, uninstall_task.message
    assert not Install.objects.filter(pk=install.pk).exists()
    assert listing(site.root) == before
    assert databases_of(mysql_query, site.account) == []
    assert not mysql_query("SELECT User FROM mysql.user WHERE User = %s", (install.db_user,))
