"""Website owners cannot borrow this server's SSH key (issue 15, finding 2).

The attack: with ``INSTALLATRON_SSH_KEY_FILE`` set, an owner's ``sftp://`` backup location
without a password logged in with the server's key to whatever user@host the owner named
(sshd logged ``Accepted publickey``). Here the server's key is authorized at a real sshd,
the owner names that account without a password, and sshd must see no key at all.
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


def test_a_gui_location_without_a_password_is_refused_and_the_key_never_offered(
        client, user, known_sshd, server_key, remote_site):
    from apps.backups.models import BackupLocation

    os.chmod(remote_site, 0o700)
    offset = len(known_sshd.log_text())
    client.force_login(user)
    page = client.post("/gui/backups/locations/", {
        "name": "Borrowed", "scheme": "sftp", "host": "127.0.0.1", "port": str(known_sshd.port),
        "username": known_sshd.user, "password": "", "folder": str(remote_site)})

    assert page.status_code == 200
    assert "SFTP and SSH locations need the password of that account." in page.content.decode()
    assert not BackupLocation.objects.exists()
    assert list(remote_site.iterdir()) == []  # no probe file was ever written there
    seen = sshd_log_since(known_sshd, offset)
    assert "publickey" not in seen and "Accepted" not in seen, seen


@pytest.mark.parametrize("scheme", ["sftp", "ssh"])
def test_a_saved_location_without_a_password_never_logs_in_with_the_servers_key(
        scheme, user, known_sshd, server_key, remote_site):
    """A location saved through the API's bkloc (or before this fix) is used by backups,
    restores and removals: each refuses it with a clear error before connecting."""
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
