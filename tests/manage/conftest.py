"""A real WordPress to manage: MariaDB through the mysql panel, files on disk, php -S.

The installs and backups tests' fixtures (site, owner, backup_dir) are reused as they are.
"""

from __future__ import annotations

import pytest

from tests.backups.conftest import (  # noqa: F401
    backup_dir, db_rows, run_backup, run_install, table_snapshot,
)
from tests.installs.conftest import (  # noqa: F401
    ADMIN_PASS, fetch, owner, site, wp_login,
)


def run_edit(install, params: dict):
    """An edit as the API and the GUI make it; a task's body runs in this process."""
    from apps.installs import editing, tasks
    from apps.installs.models import Install

    result, task = editing.edit(install, params)
    if task is not None:
        tasks.edit_install(task.id)
        task.refresh_from_db()
    found = Install.objects.select_related("account", "website").filter(pk=install.pk).first()
    return found, task


def logs_in(url: str, login: str, password: str) -> bool:
    """wp-login.php accepts the pair: a redirect into wp-admin with the auth cookie."""
    status, location, cookies = wp_login(url, login, password)
    return status == 302 and "wp-admin" in location and any(
        c.startswith("wordpress_logged_in_") for c in cookies)


@pytest.fixture
def worker(transactional_db, wordpress_package, wordpress_archive, monkeypatch, request):
    monkeypatch.setenv("INSTALLATRON_PACKAGES", str(wordpress_archive.store))
    return request.getfixturevalue("celery_worker")
