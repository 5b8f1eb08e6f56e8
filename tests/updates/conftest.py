"""WordPress installed for real from a derived older release (tests/fixtures/versions.py),
ready to be updated to the real 6.1.9; backups kept in a per-test folder."""

from __future__ import annotations

import pytest

from tests.backups.conftest import backup_dir, db_rows, run_install, table_snapshot  # noqa: F401
from tests.installs.conftest import ADMIN_PASS, fetch, listing, owner, site  # noqa: F401


@pytest.fixture
def old_install(site, wordpress_older_package):
    """WordPress 6.1.8 (derived) installed at ``<site>/blog``, notifying every event."""
    return run_install(site, f"{site.url}/blog", title="Update Test Blog", version="6.1.8",
                       notification="all")


def run_update(install, **params):
    """check_update + start_update, then the Celery task's body in this process."""
    from apps.updates import services as updates
    from apps.updates import tasks
    from apps.installs.models import Install

    plan = updates.check_update(install, params)
    task = updates.start_update(plan)
    tasks.update_app(task.id, "" if plan.package is None else plan.version, plan.revert,
                     plan.plugins, plan.themes, plan.automatic)
    task.refresh_from_db()
    return task, Install.objects.select_related("account", "website").get(pk=install.pk)


def option(install, name: str) -> str:
    rows = db_rows(install, f"SELECT option_value FROM `{install.db_prefix}options` "
                            "WHERE option_name = %s", (name,))
    return rows[0][0] if rows else None
