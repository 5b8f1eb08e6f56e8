"""Our data folder is 0700 and its files 0600 whatever the umask (issue 15, finding 1).

The attack: ``var/installatron.sqlite3`` was created 0644 and ``django_session`` holds live
keys; a key read as ``nobody`` opened the admin's settings page. Here the product runs
for real (manage.py, the Celery worker) under a permissive umask 022, in a data folder
whose parent every user may enter, and ``nobody`` then tries to read what it wrote.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from .conftest import ROOT, as_nobody, manage, mode, product_env


def test_the_database_keys_and_settings_are_private_under_a_permissive_umask(open_parent):
    data = open_parent / "var"
    manage(data, "migrate", "--noinput", "-v0")
    manage(data, "bootstrap")
    database = data / "installatron.sqlite3"

    assert mode(data) == 0o700
    assert mode(database) == 0o600
    assert mode(data / "etc") == 0o700
    for name in ("secret_key", "field_key", "settings.ini"):
        assert mode(data / "etc" / name) == 0o600, name
    assert mode(data / "broker") == 0o700 and mode(data / "broker" / "queue") == 0o700

    # What the attacker did: read the sessions table as another local user.
    for target in (database, data / "etc" / "settings.ini", data / "etc" / "secret_key"):
        seen = as_nobody("cat", str(target))
        assert seen.returncode != 0 and "Permission denied" in seen.stderr, target
    listing = as_nobody("ls", str(data))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr


def test_files_an_earlier_version_left_readable_are_made_private_at_start_up(open_parent):
    data = open_parent / "var"
    manage(data, "migrate", "--noinput", "-v0")
    left = [data / "installatron.sqlite3", data / "installatron.sqlite3-journal",
            data / "backups" / "alice" / "7.tar.gz", data / "log" / "worker.log",
            data / "etc" / "settings.ini", data / "packages" / "wordpress-6.5.tar.gz"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(b"private")
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    website = data / "demo" / "site" / "index.php"  # a website's file is not ours to change
    website.parent.mkdir(parents=True)
    website.write_text("<?php echo 1;")
    website.chmod(0o644)

    manage(data, "check")

    assert mode(data) == 0o700
    for path in left:
        assert mode(path) == 0o600, path
        assert mode(path.parent) == 0o700 or path.parent == data, path.parent
    assert mode(website) == 0o644
    assert as_nobody("cat", str(data / "installatron.sqlite3")).returncode != 0


def test_the_celery_worker_writes_private_files(open_parent):
    data = open_parent / "var"
    manage(data, "migrate", "--noinput", "-v0")
    data.chmod(0o755)
    schedule = data / "celerybeat-schedule"
    log = open_parent / "worker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "installatron_gui", "worker", "--beat",
             "--schedule", str(schedule), "--concurrency", "1", "--loglevel", "INFO"],
            cwd=ROOT, env=product_env(data), umask=0o022, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(data.glob("celerybeat-schedule*")):
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        written = list(data.glob("celerybeat-schedule*"))
        assert written, log.read_text()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=60)
    assert mode(data) == 0o700
    for path in written:
        assert mode(path) == 0o600, path
