#!/usr/bin/env python
"""Benchmark: a WordPress put_tree onto each kind of website against raw tar.

Usage: .venv/bin/python benchmarks/transports.py [--runs 5] [--rtt-ms 20]

Needs root (it runs its own OpenSSH server for a test Unix user, as the test fixtures do),
PHP's CLI and pyftpdlib; not pytest (tests/fixtures/servers.py and processes.py are plain
code). Uses a scratch data folder (SQLite for the known host key), so it touches nothing
else. For each kind of website the same WordPress package is put into a fresh folder
``--runs`` times, then read back as a tar stream (get_tree, what backups and clones of
that website do):

* local, ssh:// (one remote tar);
* sftp://, ftp:// and ftps:// through the website's PHP (``+php``: ``php -S`` serves the
  folder, as the website's user for sftp, reached through a vhost pinned to the proxy's
  address with ``vhost_ip``), and the same with the vhost served by a PHP that does not
  reach the folder (``fallback``: the archive path is tried, then file by file).

The baselines are ``tar -xzf`` of the archive here, and the archive streamed into
``tar -xzf -`` through an exec channel of the same SSH connection the ssh:// transport
uses. Prints median (min-max) seconds and each median as a ratio to both baselines.

``--rtt-ms N`` puts every connection (SSH, FTP control and passive data, HTTP to PHP and
the raw stream baseline) through benchmarks/latency.py's proxy, which holds each chunk
N/2 ms each way: a distant server, on a machine without ``tc netem``.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRATCH = Path(tempfile.mkdtemp(prefix="itron-bench-tr-"))
SCRATCH.chmod(0o755)
# Its own Unix user: the test fixtures' user (and its home) may be in use meanwhile.
BENCH_USER = "itronbench"
BENCH_PASSWORD = "Bench-p@ss:" + secrets.token_hex(4)
os.environ.update({"INSTALLATRON_DATA": str(SCRATCH / "data"),
                   "INSTALLATRON_PACKAGES": str(SCRATCH / "packages"),
                   "DJANGO_SETTINGS_MODULE": "installatron_gui.settings"})
for name in ("DB", "DB_NAME", "CELERY_BROKER_URL"):
    os.environ.pop(name, None)  # SQLite and the filesystem broker inside SCRATCH

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from tests.fixtures import servers as fx  # noqa: E402
from tests.fixtures.processes import free_port, stop_group, wait_for_port  # noqa: E402


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):7.3f} ({min(values):.3f}-{max(values):.3f})"


def start_sshd(home: Path) -> tuple[subprocess.Popen, int, int, int, str]:
    conf = SCRATCH / "sshd"
    conf.mkdir(mode=0o700)
    uid, gid = fx.ensure_user(BENCH_USER, home, BENCH_PASSWORD)
    os.chown(home, uid, gid)
    key = conf / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port = free_port()
    (conf / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {key}\nPidFile {conf}/pid\n"
        "PasswordAuthentication yes\nKbdInteractiveAuthentication no\nUsePAM no\n"
        f"PermitRootLogin no\nAllowUsers {BENCH_USER}\nMaxSessions 20\n"
        "Subsystem sftp internal-sftp\n")
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", str(conf / "sshd_config"),
                             "-E", str(conf / "log")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_port(port)
    pub = (conf / "host_ed25519.pub").read_text().split()[1]
    import base64
    import hashlib

    fp = "SHA256:" + base64.b64encode(hashlib.sha256(base64.b64decode(pub)).digest()
                                      ).decode().rstrip("=")
    return proc, port, uid, gid, fp


PASSIVE_PORTS = 32


def free_range(count: int, hosts: tuple[str, ...]) -> int:
    """The first of ``count`` consecutive ports free on every host."""
    import random
    import socket

    for _ in range(200):
        base = random.randrange(20000, 60000 - count)
        socks = []
        try:
            for port in range(base, base + count):
                for host in hosts:
                    sock = socket.socket()
                    socks.append(sock)
                    sock.bind((host, port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free port range")


def start_ftpd(root: Path, passive: str = "") -> tuple[subprocess.Popen, int, str]:
    cert, key = fx.make_certificate(SCRATCH)
    port, password = free_port(), "Bench-" + secrets.token_hex(4)
    proc = subprocess.Popen([sys.executable, fx.__file__, "ftpd", str(port), str(root),
                             password, "unused-" + secrets.token_hex(3), str(cert), str(key),
                             "mlsd", passive], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return proc, port, password


class WebLog(logging.Handler):
    """Counts the archive path's reports: a ``+php`` run must not fall back."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rtt-ms", type=float, default=0.0,
                        help="added round-trip time for the remote kinds (default: none)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root: it runs sshd for a test user")

    from urllib.parse import quote

    from django.conf import settings

    from apps.recipes.wordpress import debian
    from apps.transports.base import open_transport

    call_command("migrate", verbosity=0)
    settings.WEB_ARCHIVE_PLAIN_HTTP = True  # php -S has no TLS
    settings.FTPS_VERIFY_CERTIFICATE = False  # its certificate names 127.0.0.1, not the proxy
    weblog = WebLog()
    logging.getLogger("apps.transports.web").addHandler(weblog)
    logging.getLogger("apps.transports.web").setLevel(logging.INFO)
    store = SCRATCH / "packages"
    store.mkdir(parents=True)
    built = debian.build_wordpress_archive(store / "build.tar.gz")
    archive = built.path
    print(f"package: WordPress {built.version}, {built.files} files, "
          f"{archive.stat().st_size / 1e6:.1f} MB; {args.runs} runs each; scratch {SCRATCH}")

    home = SCRATCH / "home"
    home.mkdir(mode=0o755)
    ftp_root = SCRATCH / "ftp"
    ftp_root.mkdir()
    elsewhere = SCRATCH / "elsewhere"  # what the fallback's vhost serves instead
    elsewhere.mkdir()
    sshd, ssh_port, uid, gid, fp = start_sshd(home)
    php_home, home_port = fx.start_php(home, user=BENCH_USER)
    php_ftp, ftp_web_port = fx.start_php(ftp_root)  # pyftpdlib writes as root: so does PHP
    php_other, other_port = fx.start_php(elsewhere)
    host, proxy = "127.0.0.1", None
    web_ports = [home_port, ftp_web_port, other_port]
    if args.rtt_ms:
        from benchmarks.latency import DelayProxy

        host = "127.0.0.2"  # the proxy's side of loopback
        low = free_range(PASSIVE_PORTS, ("127.0.0.1", host))
        ftpd, ftp_port, ftp_pass = start_ftpd(ftp_root, f"{low}-{low + PASSIVE_PORTS - 1}")
        proxy = DelayProxy(host, [ssh_port, ftp_port, *range(low, low + PASSIVE_PORTS),
                                  *web_ports], "127.0.0.1", rtt=args.rtt_ms / 1000).start()
        print(f"every remote connection goes through a proxy adding {args.rtt_ms:g} ms of "
              "round-trip time")
    else:
        ftpd, ftp_port, ftp_pass = start_ftpd(ftp_root)
    auth = f"{quote(BENCH_USER, safe='')}:{quote(BENCH_PASSWORD, safe='')}"
    ftp_auth = f"{fx.FTP_USER}:{quote(ftp_pass, safe='')}"

    def web(port: int) -> dict:
        # A host name dialled at the proxy's address: the vhost_ip pinning of a website.
        return {"vhosts": {f"http://bench.test:{port}": ""}, "vhost_ip": host}

    kinds = {
        "local": (str(SCRATCH / "local"), {}),
        "ssh": (f"ssh://{auth}@{host}:{ssh_port}{home}", {}),
        "sftp+php": (f"sftp://{auth}@{host}:{ssh_port}{home}", web(home_port)),
        "sftp fallback": (f"sftp://{auth}@{host}:{ssh_port}{home}", web(other_port)),
        "ftp+php": (f"ftp://{ftp_auth}@{host}:{ftp_port}/", web(ftp_web_port)),
        "ftp fallback": (f"ftp://{ftp_auth}@{host}:{ftp_port}/", web(other_port)),
        "ftps+php": (f"ftps://{ftp_auth}@{host}:{ftp_port}/", web(ftp_web_port)),
        "ftps fallback": (f"ftps://{ftp_auth}@{host}:{ftp_port}/", web(other_port)),
    }
    Path(kinds["local"][0]).mkdir()
    times: dict[str, list[float]] = {}
    try:
        for run in range(args.runs):
            target = f"run{run}-{secrets.token_hex(3)}"
            # Baseline 1: tar here.
            dest = SCRATCH / "tar" / target
            dest.mkdir(parents=True)
            t0 = time.perf_counter()
            subprocess.run(["tar", "-xzf", str(archive), "-C", str(dest)], check=True)
            times.setdefault("tar -xzf (local)", []).append(time.perf_counter() - t0)
            for kind, (path, options) in kinds.items():
                folder = f"{target}-{kind.replace(' ', '-').replace('+', '-')}"
                with open_transport(path, trust_host_key=fp, **options) as t:
                    weblog.messages.clear()
                    t0 = time.perf_counter()
                    t.put_tree(archive, folder)
                    times.setdefault(f"put_tree {kind}", []).append(time.perf_counter() - t0)
                    # Reading it back, as a backup or a clone of that website does.
                    t0 = time.perf_counter()
                    with open(os.devnull, "wb") as sink:
                        t.get_tree(folder, sink)
                    times.setdefault(f"get_tree {kind}", []).append(time.perf_counter() - t0)
                    by_php = sum("by the website's PHP" in m for m in weblog.messages)
                    if by_php != (2 if kind.endswith("+php") else 0):
                        sys.exit(f"{kind}: the archive path was {'not ' * (by_php == 0)}"
                                 f"used: {weblog.messages}")
                    if kind == "ssh":
                        # Baseline 2: the raw stream on the same connection.
                        raw = f"{target}-raw"
                        t.mkdir(raw)
                        t0 = time.perf_counter()
                        chan = t._session(["tar", "-x", "-z", "-f", "-", "-C", t.url.path(raw)])
                        with chan, open(archive, "rb") as fh:
                            while block := fh.read(262144):
                                chan.sendall(block)
                            chan.shutdown_write()
                            status = chan.recv_exit_status()
                        assert status == 0
                        times.setdefault("tar stream over ssh", []).append(
                            time.perf_counter() - t0)
            for folder in (home, ftp_root, Path(kinds["local"][0]), SCRATCH / "tar"):
                for entry in folder.iterdir():
                    shutil.rmtree(entry)
    finally:
        if proxy is not None:
            proxy.stop()
        for proc in (sshd, ftpd):
            proc.terminate()
            proc.wait(timeout=10)
        for proc in (php_home, php_ftp, php_other):
            stop_group(proc)
    local = statistics.median(times["tar -xzf (local)"])
    stream = statistics.median(times["tar stream over ssh"])
    print(f"{'method':24} {'seconds: median (min-max)':30} {'x local tar':>12} "
          f"{'x ssh tar stream':>17}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:24} {fmt(values):30} {med / local:12.2f} {med / stream:17.2f}")
    shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
