"""The administrator's SSH host keys page, driven by what a website owner sees: a backup
location on a server with an unknown key is refused with its fingerprint; the admin
confirms that fingerprint (a wrong one records nothing); then the location is saved."""

from __future__ import annotations

import os
import re
import subprocess

from apps.transports.models import KnownHost
from tests.fixtures.locations import add_location


def test_an_unknown_key_shown_to_a_user_is_confirmed_on_the_admin_page(
        client, admin, user, stranger, sshd, remote_site):
    os.chmod(remote_site, 0o700)
    fields = {"name": "Keyed", "scheme": "sftp", "host": "127.0.0.1", "port": str(sshd.port),
              "username": sshd.user, "password": sshd.password, "folder": str(remote_site)}
    client.force_login(user)
    _, task = add_location(client, fields)
    refused = task.message
    shown = subprocess.run(["ssh-keygen", "-lf", str(sshd.host_key_pub)], capture_output=True,
                           text=True, check=True).stdout.split()[1]
    assert "is not known yet" in refused and shown in refused
    assert "Settings → SSH host keys" in refused and sshd.password not in refused
    assert not KnownHost.objects.exists()
    assert client.get("/gui/hostkeys/").status_code == 404  # owners and resellers: 404
    client.force_login(stranger)
    assert client.post("/gui/hostkeys/", {"host": "127.0.0.1", "port": str(sshd.port),
                                          "fingerprint": shown}).status_code == 404
    assert not KnownHost.objects.exists()

    client.force_login(admin)
    assert "/gui/hostkeys/" in client.get("/gui/settings/").content.decode()
    assert "No host key is trusted yet" in client.get("/gui/hostkeys/").content.decode()
    wrong = client.post("/gui/hostkeys/", {"host": "127.0.0.1", "port": str(sshd.port),
                                           "fingerprint": "SHA256:" + "A" * 43})
    assert "nothing was recorded" in wrong.content.decode() and not KnownHost.objects.exists()
    done = client.post("/gui/hostkeys/", {"host": "127.0.0.1", "port": str(sshd.port),
                                          "fingerprint": shown})
    assert done.status_code == 302
    row = KnownHost.objects.get()
    assert (row.host, row.port, row.fingerprint) == ("127.0.0.1", sshd.port, shown)
    page = client.get("/gui/hostkeys/").content.decode()
    assert shown in page and f"127.0.0.1:{sshd.port}" in page

    client.force_login(user)
    _, saved = add_location(client, fields)
    assert saved.status == "completed", saved.message

    client.force_login(admin)
    confirm = client.get(f"/gui/hostkeys/{row.pk}/forget/").content.decode()
    assert "stop connecting" in confirm and re.search(r"127\.0\.0\.1:\d+\?", confirm)
    assert client.post(f"/gui/hostkeys/{row.pk}/forget/").status_code == 302
    assert not KnownHost.objects.exists()
    assert client.get(f"/gui/hostkeys/{row.pk}/forget/").status_code == 404
