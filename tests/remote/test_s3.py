"""s3:// backup locations against a real S3 endpoint on loopback (moto's server, over TLS
with its own certificate): streamed up whole, verified back, removed; clear errors."""

from __future__ import annotations

import io
import os

import pytest

from apps.api import shapes
from apps.transports.base import TransportError, open_transport
from tests.fixtures.locations import add_location

from .conftest import db_rows, run_backup, run_install, table_snapshot

pytestmark = pytest.mark.slow


def test_the_s3_transport_does_what_a_backup_location_needs(s3d, settings):
    data = os.urandom(12 * 1024 * 1024 + 3)  # above boto3's multipart threshold
    with open_transport(s3d.url("site1")) as t:
        t.write(".big.part", io.BytesIO(data))
        assert t.size(".big.part") == len(data) and t.exists(".big.part")
        t.rename(".big.part", "big.tar.gz")
        assert not t.exists(".big.part")
        out = io.BytesIO()
        assert t.read_to("big.tar.gz", out) == len(data) and out.getvalue() == data
        assert s3d.keys() == {"site1/big.tar.gz": data}
        t.remove("big.tar.gz")
        t.remove("big.tar.gz")  # missing is fine
        with pytest.raises(TransportError) as missing:
            t.size("big.tar.gz")
        assert missing.value.errcode == "failed_filesystem_missing"
    assert s3d.keys() == {}

    with pytest.raises(TransportError) as no_bucket:
        open_transport(s3d.url(bucket="nope")).connect()
    assert no_bucket.value.errcode == "failed_filesystem_missing"
    assert s3d.secret_key not in no_bucket.value.message
    settings.S3_CA_FILE = ""  # the system CAs do not know this endpoint's certificate
    with pytest.raises(TransportError) as untrusted:
        open_transport(s3d.url()).connect()
    assert untrusted.value.errcode == "failed_filesystem_host"
    assert "certificate" in untrusted.value.message
    assert s3d.secret_key not in untrusted.value.message


def test_a_backup_goes_to_s3_and_comes_back(site, s3d, wordpress_package):
    from apps.backups import services as backups
    from apps.backups import tasks as backup_tasks
    from apps.backups.models import BackupLocation
    from apps.tasks.models import Task

    bkloc = s3d.url("blog")
    install = run_install(site, f"{site.url}/blog", title="S3 Blog", bkloc=bkloc)
    assert s3d.secret_key not in shapes.install(install, False)["bkloc"]
    assert BackupLocation.objects.get(account=site.account).scheme == "s3"
    backup = run_backup(install)
    task = Task.objects.filter(install=install.id, cmd="backup").latest("created")
    assert "A copy was stored at" in task.message and s3d.secret_key not in task.message
    assert s3d.keys() == {f"blog/{backup.archive_path.name}": backup.archive_path.read_bytes()}

    tables = table_snapshot(install)
    db_rows(install, "UPDATE wp_options SET option_value = 'Changed' WHERE option_name = "
                     "'blogname'")
    backup.archive_path.unlink()
    task = backups.start_restore(backup)
    backup_tasks.restore_backup(task.id, backup.id, "")
    task.refresh_from_db()
    assert task.status == "completed", task.message
    assert table_snapshot(install) == tables
    backups.delete_backup(backup)
    assert s3d.keys() == {}


def test_an_s3_location_is_saved_from_the_gui(client, site, s3d):
    from apps.backups.models import BackupLocation

    client.force_login(site.account)
    fields = {"name": "Bucket", "scheme": "s3", "host": "127.0.0.1", "port": str(s3d.port),
              "username": s3d.access_key, "password": s3d.secret_key, "folder": "/nope/x"}
    _, refused = add_location(client, fields)
    assert refused.status == "failed" and "bucket 'nope'" in refused.message
    assert s3d.secret_key not in refused.message and not BackupLocation.objects.exists()
    _, saved = add_location(client, {**fields, "folder": "/backups/site"})
    assert saved.status == "completed", saved.message
    assert BackupLocation.objects.get(account=site.account).uri == s3d.url("site")
    assert s3d.keys() == {}  # the test object was removed again
