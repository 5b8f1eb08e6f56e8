"""Outbound connections an owner can trigger (issue 15, finding 3: SSRF and port scans).

The attack: the backup-location form connected to any host and port, loopback included
(``127.0.0.1``, ``2130706433``, ``[::ffff:127.0.0.1]``); a listener received ``USER`` and
``PASS``; error texts told open from closed ports; the test ran inside the web request.
Here a real listener on 127.0.0.1 must receive nothing while the policy refuses (the
production default), every failure reads the same, and the GUI's test runs in a real
worker while the page polls its progress.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from apps.backups import locations
from apps.transports.base import TransportError

SPELLINGS = ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "0177.0.0.1",
             "[::ffff:127.0.0.1]", "localhost"]


class Listener:
    """A TCP server on 127.0.0.1 that records every connection and every byte. With
    ``greeting`` it talks first like an FTP server, so a client would send USER/PASS."""

    def __init__(self, greeting: bytes = b""):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.greeting = greeting
        self.accepted = 0
        self.received = b""
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        try:
            if self.greeting:
                conn.sendall(self.greeting)
            while data := conn.recv(4096):
                self.received += data
                if self.greeting and data.startswith(b"USER"):
                    conn.sendall(b"331 Password required\r\n")
                elif self.greeting:
                    conn.sendall(b"530 Login incorrect\r\n")
        except OSError:
            return

    def close(self) -> None:
        self.sock.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture
def listener():
    found = Listener(greeting=b"220 a service on this server's own loopback\r\n")
    yield found
    found.close()


@pytest.fixture
def silent():
    found = Listener()
    yield found
    found.close()


@pytest.fixture
def refuse_private(settings):
    """The production default: nothing but public addresses."""
    settings.OUTBOUND_ALLOW = []
    settings.OUTBOUND_TIMEOUT = 1


@pytest.mark.parametrize("scheme", ["ftp", "sftp", "ftps"])
@pytest.mark.parametrize("host", SPELLINGS)
def test_every_spelling_of_loopback_is_refused_and_the_listener_gets_nothing(
        scheme, host, listener, refuse_private):
    uri = f"{scheme}://victim:secret@{host}:{listener.port}/"
    with pytest.raises(TransportError) as refused:
        locations.check_location(uri)
    assert refused.value.errcode == "failed_filesystem_host"
    assert refused.value.message == f"Cannot connect to {host}:{listener.port}."
    time.sleep(0.2)
    assert listener.accepted == 0 and listener.received == b""


def test_the_listener_does_hear_a_client_the_admin_allows(listener, settings):
    """The control: with 127.0.0.0/8 allowed, the same check reaches the listener (so the
    test above would see a connection if the policy let one through)."""
    settings.OUTBOUND_ALLOW = ["127.0.0.0/8"]
    with pytest.raises(TransportError) as rejected:
        locations.check_location(f"ftp://victim:secret@2130706433:{listener.port}/")
    assert "rejected the login" in rejected.value.message
    assert listener.accepted == 1 and b"USER victim" in listener.received


@pytest.mark.parametrize("scheme", ["ftp", "sftp"])
def test_closed_silent_and_refused_ports_read_the_same_and_take_as_long(
        scheme, silent, settings):
    """A port scan learns nothing: a closed port, a port that accepts and says nothing
    and an address the policy refuses give one text and errcode, and a closed port fails
    no sooner than the connect timeout."""
    settings.OUTBOUND_ALLOW = ["127.0.0.0/8"]
    settings.OUTBOUND_TIMEOUT = settings.REMOTE_TIMEOUT = 1
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed = probe.getsockname()[1]
    probe.close()

    def attempt(host: str, port: int) -> tuple[str, str, float]:
        started = time.monotonic()
        with pytest.raises(TransportError) as failed:
            locations.check_location(f"{scheme}://u:p@{host}:{port}/")
        text = failed.value.message.replace(f"{host}:{port}", "HOST")
        return text, failed.value.errcode, time.monotonic() - started

    closed_text, closed_code, closed_time = attempt("127.0.0.1", closed)
    silent_text, silent_code, _ = attempt("127.0.0.1", silent.port)
    private_text, private_code, _ = attempt("10.255.255.1", 22)
    assert closed_text == silent_text == private_text == "Cannot connect to HOST."
    assert closed_code == silent_code == private_code == "failed_filesystem_host"
    assert closed_time >= 0.95


def test_the_host_is_looked_up_once_and_that_address_is_used(ftpd, settings, monkeypatch):
    """No second lookup a rebinding DNS server could answer differently: one lookup of
    the name for the whole FTP check (passive data connections go to the peer address)."""
    settings.OUTBOUND_ALLOW = ["127.0.0.0/8"]
    real = socket.getaddrinfo
    names: list[str] = []

    def counting(host, *args, **kwargs):
        names.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    locations.check_location(ftpd.url("ftp", "/").replace("@127.0.0.1:", "@localhost:"))
    assert names.count("localhost") == 1, names


def test_every_connection_of_one_transport_goes_to_the_address_checked_first(
        ftpd, settings, monkeypatch, tmp_path):
    """put_tree opens a pool of FTP connections: the name is looked up once for all."""
    from apps.transports.base import open_transport
    from tests.transports.test_local import make_archive

    settings.OUTBOUND_ALLOW = ["127.0.0.0/8"]
    archive = make_archive(tmp_path / "a.tar.gz", [("app", None)] + [
        (f"app/f{i}.txt", b"x" * 10) for i in range(40)])
    real = socket.getaddrinfo
    names: list[str] = []

    def counting(host, *args, **kwargs):
        names.append(host)
        return real(host, *args, **kwargs)

    from installatron_gui.lib import outbound

    connected = []
    real_connect = outbound.connect

    def spied(host, port, **kwargs):
        sock = real_connect(host, port, **kwargs)
        connected.append(sock.getpeername()[0])
        return sock

    (ftpd.root / "site").mkdir()
    monkeypatch.setattr(socket, "getaddrinfo", counting)
    monkeypatch.setattr(outbound, "connect", spied)
    url = ftpd.url("ftp", "/site").replace("@127.0.0.1:", "@localhost:")
    with open_transport(url, connections=4) as t:
        assert t.put_tree(archive, "") == ["app"]
    assert names.count("localhost") == 1, names
    assert len(connected) > 1 and len(set(connected)) == 1, connected  # the pool, one address
    assert len(list((ftpd.root / "site/app").iterdir())) == 40


def test_a_migration_source_is_checked_too(listener, refuse_private, user):
    """source_ftu, and source_url_ip that replaces its host, go through the same policy."""
    from apps.backups import migration as imports
    from apps.installs.errors import InstallError
    from apps.recipes.base import get_recipe

    recipe = get_recipe("wordpress")
    for ftu, ip in ((f"ftp://victim:secret@2130706433:{listener.port}/", ""),
                    (f"ftp://victim:secret@example.com:{listener.port}/", "::ffff:127.0.0.1")):
        plan = imports.MigrationPlan(account=user, recipe=recipe, location=None,
                                     source_url="http://example.com", source_ftu=ftu,
                                     source_ip=ip)
        with pytest.raises(InstallError) as refused, imports._open_source(plan):
            pass
        assert refused.value.errcode == "failed_filesystem_host"
        assert re.search(r"Cannot connect to \S+:\d+\.", refused.value.message)
    time.sleep(0.2)
    assert listener.accepted == 0 and listener.received == b""


@pytest.fixture
def strict_worker(transactional_db, monkeypatch, request):
    """A real worker with the production default (no private network allowed)."""
    monkeypatch.setenv("INSTALLATRON_OUTBOUND_ALLOW", "")
    monkeypatch.setenv("INSTALLATRON_OUTBOUND_TIMEOUT", "2")
    return request.getfixturevalue("celery_worker")


@pytest.mark.slow
def test_the_gui_test_runs_in_the_worker_and_reaches_nothing(strict_worker, client, user,
                                                             listener):
    from apps.backups.models import BackupLocation
    from apps.tasks.models import Task

    client.force_login(user)
    started = time.monotonic()
    response = client.post("/gui/backups/locations/", {
        "name": "Scan", "scheme": "ftp", "host": "2130706433", "port": str(listener.port),
        "username": "victim", "password": "secret", "folder": "/"})
    assert response.status_code == 302 and "/gui/backups/task/" in response["Location"]
    assert time.monotonic() - started < 2  # the web request does not connect anywhere
    task_url = response["Location"]
    task = Task.objects.get(pk=task_url.rstrip("/").rsplit("/", 1)[1])
    assert task.cmd == "location" and "secret" not in task.url
    deadline = time.monotonic() + 60
    while not task.done and time.monotonic() < deadline:
        time.sleep(0.3)
        task.refresh_from_db()
    assert task.status == "failed" and task.worker, (task.status, task.message)
    assert task.message == f"Cannot connect to 2130706433:{listener.port}."
    # The progress page (htmx polls it every second while the task runs) shows the end.
    polled = client.get(task_url, HTTP_HX_REQUEST="true").content.decode()
    assert task.message in polled and "every 1s" not in polled and "<html" not in polled
    assert not BackupLocation.objects.exists()  # a location that failed is not kept
    assert listener.accepted == 0 and listener.received == b""
