"""What the engine benchmarks share: a scratch data folder (SQLite or a scratch MySQL
database, the filesystem broker and a package store inside it, so nothing else is touched), Django set up on it, and a local
website served by ``php -S`` for a throw-away owner. Import it before anything of Django's."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRATCH = Path(tempfile.mkdtemp(prefix="itron-bench-"))
os.environ.update({"INSTALLATRON_DATA": str(SCRATCH / "data"),
                   "INSTALLATRON_PACKAGES": str(SCRATCH / "packages"),
                   "DJANGO_SETTINGS_MODULE": "installatron_gui.settings"})
# A benchmark that wants MySQL names a scratch database it made (BENCH_MYSQL_DB, reached
# with the DB_* settings); otherwise SQLite inside SCRATCH. The broker is always the
# filesystem one inside SCRATCH.
MYSQL_DB = os.environ.pop("BENCH_MYSQL_DB", "")
for name in ("DB", "DB_NAME", "CELERY_BROKER_URL"):
    os.environ.pop(name, None)
if MYSQL_DB:
    os.environ.update({"DB": "mysql", "DB_NAME": MYSQL_DB})

import django  # noqa: E402

django.setup()

from tests.fixtures.processes import free_port, wait_for_port  # noqa: E402


def wordpress_package():
    """WordPress from Debian's /usr/share/wordpress in the scratch package store, with its
    Package row; returns the archive's path."""
    import time

    from django.conf import settings

    from apps.catalog.models import Package
    from apps.recipes.wordpress import debian
    from installatron_gui.lib.archives import sha256_of

    store = Path(settings.PACKAGE_STORE)
    store.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    built = debian.build_wordpress_archive(store / "build.tar.gz")
    archive = built.path.rename(store / f"wordpress-{built.version}.tar.gz")
    print(f"package: WordPress {built.version}, {built.files} files, "
          f"{archive.stat().st_size / 1e6:.1f} MB, built in {time.perf_counter() - t0:.1f} s")
    Package.objects.create(application="wordpress", version=built.version, archive=archive.name,
                           sha256=sha256_of(archive), size=archive.stat().st_size)
    return archive


def local_site():
    """A website folder served by ``php -S`` (4 workers) and an owner who has it; returns
    (url, the server process: stop it with processes.stop_group, the owner)."""
    from apps.accounts.models import Account, Website

    site = SCRATCH / "site"
    docroot = site / "public_html"
    docroot.mkdir(parents=True)
    port = free_port()
    server = subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "-t", str(docroot)],
                              env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    wait_for_port(port)
    url = f"http://127.0.0.1:{port}"
    owner = Account.objects.create(username="itrbench" + secrets.token_hex(2), kind="user",
                                   email="bench@example.com")
    Website.objects.create(account=owner, ws_id="ws1", path=str(site), vhosts={url: "public_html"})
    return url, server, owner
