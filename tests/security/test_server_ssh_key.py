"""Website owners cannot borrow this server's SSH key (issue 15, finding 2).

The attack: with ``INSTALLATRON_SSH_KEY_FILE`` set, an owner's ``sftp://`` backup location
without a password logged in with the server's key to whatever user@host the owner named
(sshd logged ``Accepted publickey``). Here the server's key is authorized at a real sshd,
the owner names that account without a password, and sshd must never see that key: the
owner's location logs in with its own password or the owner's own key pair.
"""

from __future__ import annotations

import os
import subprocess

import pytest


@pytest.fixture
def server_key(known_sshd, settings, tmp_path):
    """This server's SSH key, authorized for the sshd test account (what the attack needs)."""
    key = tmp_path / "server_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    authorized = known_sshd.authorized_keys
    authorized.write_bytes((tmp_path / "server_key.pub").read_bytes())
    os.chmod(authorized, 0o644)
    settings.SSH_KEY_FILE, settings.SSH_KEY_PASSPHRASE = str(key), ""
    yield key
    authorized.unlink(missing_ok=True)


def sshd_log_since(sshd, offset: int) -> str:
    return sshd.log_text()[offset:]


def fingerprint(public_key_file) -> str:
    return subprocess.run(["ssh-keygen", "-lf", str(public_key_file)], capture_output=True,
                          text=True, check=True).stdout.split()[1]


def test_a_gui_location_without_a_password_logs_in_with_the_owners_own_key_only(
        client, user, known_sshd, server_key, remote_site, tmp_path):
    """The attack of finding 2 through the GUI: the server's key is authorized for the
    account the owner names, no password given. The owner's own key pair is offered
    (refused: not authorized there), the server's key never; once the owner authorizes
    the public key the page shows them, the same location works."""
    from apps.backups.models import BackupLocation, OwnerSshKey
    from tests.fixtures.locations import add_location

    os.chmod(remote_site, 0o700)
    server_fp = fingerprint(tmp_path / "server_key.pub")
    offset = len(known_sshd.log_text())
    client.force_login(user)
    fields = {"name": "Borrowed", "scheme": "sftp", "host": "127.0.0.1",
              "port": str(known_sshd.port), "username": known_sshd.user, "password": "",
              "folder": str(remote_site)}
    _, task = add_location(client, fields)

    assert task.status == "failed" and "rejected the login" in task.message, task.message
    assert not BackupLocation.objects.exists()
    assert list(remote_site.iterdir()) == []  # no probe file was ever written there
    seen = sshd_log_since(known_sshd, offset)
    own = OwnerSshKey.objects.get(account=user)
    (tmp_path / "own.pub").write_text(own.public_key + "\n")
    own_fp = fingerprint(tmp_path / "own.pub")
    assert server_fp not in seen and "Accepted" not in seen, seen
    assert own_fp in seen, seen  # what was offered: the owner's key (refused)

    page = client.get("/gui/backups/locations/").content.decode()
    assert own.public_key in page and 'data-copies="public-key"' in page
    assert "PRIVATE KEY" not in page and "PRIVATE KEY" not in own.public_key
    known_sshd.authorized_keys.write_text(own.public_key + "\n")  # the owner authorizes it
    offset = len(known_sshd.log_text())
    _, task = add_location(client, fields)
    assert task.status == "completed", task.message
    seen = sshd_log_since(known_sshd, offset)
    assert f"Accepted publickey for {known_sshd.user}" in seen and own_fp in seen, seen
    assert server_fp not in seen
    assert BackupLocation.objects.get(account=user).pending is False


def test_the_owners_private_key_is_stored_encrypted(user):
    from django.db import connection

    from apps.backups import locations

    key = locations.owner_key(user)
    assert key.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM backups_ownersshkey WHERE id = %s", [key.pk])
        stored = cursor.fetchone()[0]
    assert "PRIVATE KEY" not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert locations.owner_key(user).pk == key.pk  # one pair per owner


@pytest.mark.parametrize("scheme", ["sftp", "ssh"])
def test_a_saved_location_without_a_password_never_logs_in_with_the_servers_key(
        scheme, user, known_sshd, server_key, remote_site):
    """Without its owner (an address checked on its own) a location without a password
    is refused with a clear error before connecting; the server's key is never tried."""
    from apps.backups import locations
    from apps.backups.models import Backup
    from apps.transports.base import TransportError

    os.chmod(remote_site, 0o700)
    uri = f"{scheme}://{known_sshd.user}@127.0.0.1:{known_sshd.port}{remote_site}"
    offset = len(known_sshd.log_text())

    with pytest.raises(TransportError) as refused:
        locations.check_location(uri)
    assert refused.value.errcode == "invalid_argument_bkloc" and refused.value.status == 400
    assert f"An {scheme}:// address needs its password" in refused.value.message
    assert locations.remove_remote_copy(Backup(id="b1"), uri) is False

    assert list(remote_site.iterdir()) == []
    seen = sshd_log_since(known_sshd, offset)
    assert "publickey" not in seen and "Accepted" not in seen, seen


def test_the_panels_website_path_still_logs_in_with_the_servers_key(known_sshd, server_key,
                                                                     remote_site):
    """The key stays what it is for: a website path the panel gives without a password."""
    from apps.transports.base import open_transport
    from apps.transports.remote import ssh_key_options

    path = f"sftp://{known_sshd.user}@127.0.0.1:{known_sshd.port}{remote_site}"
    offset = len(known_sshd.log_text())
    with open_transport(path, **ssh_key_options(path)) as t:
        t.write("hello.txt", b"hi\n", mode=0o644)
    assert (remote_site / "hello.txt").read_bytes() == b"hi\n"
    assert "Accepted publickey" in sshd_log_since(known_sshd, offset)
