#!/usr/bin/env python
"""Benchmark: backup and restore of WordPress with 100 MB of uploads, against raw tools.

Usage: .venv/bin/python benchmarks/backup.py [--runs 3] [--uploads-mb 100]

Needs MariaDB (settings.MYSQL_ADMIN, root@127.0.0.1:3306 by default), php, GNU tar and the
zstd CLI; not pytest. Uses its own scratch data folder (SQLite, filesystem broker, package
store, backups), so it touches nothing else. WordPress (Debian's /usr/share/wordpress) is
installed by the real engine onto a local website served by ``php -S``, with a real
database; then ``--uploads-mb`` of uploads go into wp-content/uploads (six parts in seven
random bytes, which no compressor shrinks, the rest text) and 2,000 posts into its tables.

Each run takes our backup (``create_backup``, zstd and gzip) and restores it
(``restore_backup``, in place), and measures in the same run what the raw tools need for
the same result: ``tar --zstd -cf`` (or ``tar -czf``) of the install's folder plus
``mysqldump`` of its tables (the engine's own client options), and ``mysql`` loading that
dump plus ``tar -xf`` into a fresh folder. Prints median (min-max) seconds, archive sizes,
each median as a ratio to its baseline, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import SCRATCH, local_site, wordpress_package  # noqa: E402  (sets Django up)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tests.fixtures.processes import stop_group  # noqa: E402

WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed",
         "tempor", "incididunt", "labore", "magna", "aliqua", "backup", "restore", "archive",
         "website", "install", "database", "table", "row", "column", "stream", "frame"]


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):7.3f} ({min(values):.3f}-{max(values):.3f})"


def text(rng: random.Random, size: int) -> bytes:
    out: list[str] = []
    length = 0
    while length < size:
        line = " ".join(rng.choices(WORDS, k=12)) + "\n"
        out.append(line)
        length += len(line)
    return "".join(out).encode()[:size]


def add_uploads(folder: Path, megabytes: int) -> None:
    """``megabytes`` of uploads: 6/7 random (photos, zips), 1/7 text, 1 MB files."""
    rng = random.Random(16)
    uploads = folder / "wp-content" / "uploads" / "2026" / "12"
    uploads.mkdir(parents=True, exist_ok=True)
    for n in range(megabytes):
        if n % 7 == 6:
            (uploads / f"notes-{n}.txt").write_bytes(text(rng, 1 << 20))
        else:
            (uploads / f"photo-{n}.jpg").write_bytes(os.urandom(1 << 20))


def add_posts(install, count: int = 2000) -> None:
    from apps.installs.services import connect_db

    rng = random.Random(7)
    conn = connect_db(install.db_host, install.db_user, install.db_pass, install.db_name)
    try:
        cur = conn.cursor()
        rows = [(text(rng, 2000).decode(), f"Post {n}", f"post-{n}") for n in range(count)]
        cur.executemany(
            f"INSERT INTO `{install.db_prefix}posts` (post_author, post_date, post_date_gmt, "
            "post_content, post_title, post_excerpt, post_status, post_name, to_ping, pinged, "
            "post_modified, post_modified_gmt, post_content_filtered, guid, post_type) VALUES "
            "(1, NOW(), UTC_TIMESTAMP(), %s, %s, '', 'publish', %s, '', '', NOW(), "
            "UTC_TIMESTAMP(), '', '', 'post')", rows)
        conn.commit()
    finally:
        conn.close()


def timed(argv: list[str], **kwargs) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, **kwargs)
    return time.perf_counter() - t0


def baseline(install, folder: Path, times: dict[str, list[float]], sizes: dict) -> None:
    """The raw tools on the same install: tar + mysqldump, then mysql + tar -x."""
    from apps.sites.database import DUMP_OPTIONS, LOAD_OPTIONS, MYSQL, MYSQLDUMP, option_file

    work = SCRATCH / f"raw-{secrets.token_hex(4)}"
    work.mkdir()
    defaults = work / "client.cnf"
    defaults.write_bytes(option_file(install.db_host, install.db_user, install.db_pass))
    defaults.chmod(0o600)
    client = [f"--defaults-extra-file={defaults}"]
    dump = work / "dump.sql"
    with open(dump, "wb") as out:
        times["mysqldump"].append(timed([MYSQLDUMP, *client, *DUMP_OPTIONS, "--",
                                         install.db_name, *install.list_tables], stdout=out))
    for label, flag, name in (("tar --zstd -cf", "--zstd", "raw.tar.zst"),
                              ("tar -czf", "--gzip", "raw.tar.gz")):
        archive = work / name
        times[label].append(timed(["tar", flag, "-cf", str(archive), "-C", str(folder),
                                   *install.list_files]))
        sizes[label] = archive.stat().st_size
        dest = work / f"x-{name}"
        dest.mkdir()
        times[label.replace("-c", "-x")].append(
            timed(["tar", flag, "-xf", str(archive), "-C", str(dest)]))
    with open(dump, "rb") as src:
        times["mysql < dump"].append(timed([MYSQL, *client, *LOAD_OPTIONS, "--",
                                            install.db_name], stdin=src))
    shutil.rmtree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--uploads-mb", type=int, default=100)
    args = parser.parse_args()

    from apps.backups.restore import restore_backup
    from apps.backups.services import create_backup, delete_backup
    from apps.installs import services
    from apps.installs.models import Install

    call_command("migrate", verbosity=0)
    print(f"scratch: {SCRATCH}")
    wordpress_package()
    url, server, owner = local_site()
    ours: dict[str, list[float]] = {}
    raw: dict[str, list[float]] = {k: [] for k in (
        "mysqldump", "tar --zstd -cf", "tar --zstd -xf", "tar -czf", "tar -xzf",
        "mysql < dump")}
    sizes: dict[str, int] = {}
    noop = (lambda *a: None)
    install = None
    try:
        plan = services.check_install(owner, {
            "application": "wordpress", "url": f"{url}/blog", "sitetitle": "Bench",
            "passwd": "Bench-pass-123"})
        install, _task = services.start_install(plan)
        services.install_app(install, report=noop)
        install = Install.objects.select_related("account", "website").get(pk=install.pk)
        folder = Path(install.website.path) / install.path
        add_uploads(folder, args.uploads_mb)
        add_posts(install)
        files = sum(1 for _ in folder.rglob("*"))
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"install: {files} files, {size / 1e6:.1f} MB, {len(install.list_tables)} tables")
        for run in range(args.runs):
            for kind in ("zstd", "gzip"):
                settings.BACKUP_COMPRESSION = kind
                t0 = time.perf_counter()
                backup = create_backup(install, report=noop)
                ours.setdefault(f"backup {kind}", []).append(time.perf_counter() - t0)
                sizes[f"backup {kind}"] = backup.size
                t0 = time.perf_counter()
                install = restore_backup(backup, install, report=noop)
                ours.setdefault(f"restore {kind}", []).append(time.perf_counter() - t0)
                delete_backup(backup)
            baseline(install, folder, raw, sizes)
            print(f"run {run + 1}/{args.runs}: " + ", ".join(
                f"{k} {v[-1]:.2f} s" for k, v in ours.items()), flush=True)
    finally:
        if install is not None:  # its database and database user too
            services.uninstall_app(install, report=noop)
        stop_group(server)

    med = {k: statistics.median(v) for k, v in {**ours, **raw}.items()}
    print(f"\n{args.runs} runs, seconds: median (min-max)\n")
    for label, values in {**ours, **raw}.items():
        print(f"{label:28} {fmt(values):>24}")
    print()
    for label, value in sizes.items():
        print(f"size {label:23} {value / 1e6:9.1f} MB")
    rows = [
        ("backup zstd / (tar --zstd -cf + mysqldump)", med["backup zstd"],
         med["tar --zstd -cf"] + med["mysqldump"]),
        ("backup gzip / (tar -czf + mysqldump)", med["backup gzip"],
         med["tar -czf"] + med["mysqldump"]),
        ("restore zstd / (mysql + tar --zstd -xf)", med["restore zstd"],
         med["mysql < dump"] + med["tar --zstd -xf"]),
        ("restore gzip / (mysql + tar -xzf)", med["restore gzip"],
         med["mysql < dump"] + med["tar -xzf"]),
    ]
    print()
    for label, value, base in rows:
        print(f"ratio {label:46} {value / base:6.2f}  ({value:.2f} s / {base:.2f} s)")
    # Linux reports kilobytes: streaming keeps it far below the install's size.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this process (Django, backups, restores): {peak:.0f} MB")
    shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
