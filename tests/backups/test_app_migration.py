"""Migration with the WordPress administrator's login (source_ftu=app://user:pass): a real
WordPress on this machine is the source, copied through the one-time worker plugin."""

from __future__ import annotations

import pytest

from .conftest import ADMIN_PASS, fetch, run_install

pytestmark = pytest.mark.slow


def _plan(site, ftu: str, dryrun: int = 0):
    from apps.backups import migration

    return migration.check_migrate(site.account, {
        "application": "wordpress", "source_url": f"{site.url}/src", "source_ftu": ftu,
        "url": f"{site.url}/copy"}, dryrun=dryrun)


def test_it_migrates_wordpress_with_the_administrators_login(site, wordpress_package):
    from apps.backups import migration
    from apps.installs.errors import InstallError
    from apps.tasks.services import wait_for_task

    run_install(site, f"{site.url}/src", title="App Source Blog")
    plan = _plan(site, f"app://boss:{ADMIN_PASS}", dryrun=2)
    assert ADMIN_PASS not in str(plan.as_api(False))
    for ftu, errcode in ((f"app://nobody:{ADMIN_PASS}", "cannot_find_uid"),
                         ("app://boss:wrong-pass", "invalid_password")):
        with pytest.raises(InstallError) as exc:
            _plan(site, ftu, dryrun=2)
        assert exc.value.errcode == errcode

    install, task = migration.start_migrate(_plan(site, f"app://boss:{ADMIN_PASS}"))
    migration.migrate_app_task(task.id)
    task = wait_for_task(task.id, timeout=300)
    assert task.status == "completed", task.message
    status, body = fetch(f"{site.url}/copy/")
    assert status == 200 and "App Source Blog" in body
    plugins = site.docroot / "src" / "wp-content" / "plugins"
    assert not [p for p in plugins.iterdir() if p.name.startswith("itron-")]
