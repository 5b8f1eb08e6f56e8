#!/usr/bin/env python
"""Benchmark: WordPress installed onto a local website by the real engine, split by step.

Usage: .venv/bin/python benchmarks/install_wordpress.py [--runs 5]

Needs MariaDB (settings.MYSQL_ADMIN, root@127.0.0.1:3306 by default) and php. Uses its own
scratch data folder (SQLite, filesystem broker, package store), so it touches nothing else.
Each run installs into a fresh URL of one ``php -S`` site (4 workers), timing every step
through the engine's own progress callback, then uninstalls. The baseline is what the
raw tools need for the same result: ``tar -xzf`` of the same archive plus CREATE
DATABASE/USER/GRANT. Prints median (min-max) per step and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import SCRATCH, local_site, wordpress_package  # noqa: E402  (sets Django up on a scratch folder)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tests.fixtures.processes import stop_group  # noqa: E402


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):7.3f} ({min(values):.3f}-{max(values):.3f})"


def admin_conn():
    import MySQLdb

    cfg = settings.MYSQL_ADMIN
    return MySQLdb.connect(host=cfg["host"], port=cfg["port"], user=cfg["user"],
                           passwd=cfg["password"])


def baseline(archive: Path, runs: int) -> dict[str, list[float]]:
    """tar -xzf into a fresh folder; CREATE DATABASE + CREATE USER + GRANT."""
    times: dict[str, list[float]] = {"tar -xzf": [], "create db+user+grant": []}
    for _ in range(runs):
        dest = SCRATCH / f"raw-{secrets.token_hex(4)}"
        dest.mkdir()
        t0 = time.perf_counter()
        subprocess.run(["tar", "-xzf", str(archive), "-C", str(dest)], check=True)
        times["tar -xzf"].append(time.perf_counter() - t0)
        shutil.rmtree(dest)
        name = "itrbench_raw_" + secrets.token_hex(4)
        conn = admin_conn()
        cur = conn.cursor()
        t0 = time.perf_counter()
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        cur.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (name, secrets.token_hex(8)))
        cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@'127.0.0.1'", (name,))
        times["create db+user+grant"].append(time.perf_counter() - t0)
        cur.execute(f"DROP DATABASE `{name}`")
        cur.execute("DROP USER %s@'127.0.0.1'", (name,))
        conn.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from apps.installs import services

    call_command("migrate", verbosity=0)
    print(f"scratch: {SCRATCH}")
    archive = wordpress_package()

    url, server, owner = local_site()

    steps: dict[str, list[float]] = {}
    totals: list[float] = []
    uninstalls: list[float] = []
    try:
        for run in range(args.runs):
            marks: list[tuple[float, str]] = []
            t_start = time.perf_counter()
            plan = services.check_install(owner, {
                "application": "wordpress", "url": f"{url}/run{run}", "sitetitle": "Bench",
                "passwd": "Bench-pass-123"})
            install, _task = services.start_install(plan)
            marks.append((time.perf_counter(), "install_app setup (package listing)"))

            def report(_lo, _hi, message, marks=marks):
                marks.append((time.perf_counter(), message))

            services.install_app(install, report=report)
            marks.append((time.perf_counter(), "end"))
            totals.append(marks[-1][0] - t_start)
            previous = t_start
            label = "check_install + start_install"
            for when, message in marks:
                steps.setdefault(label, []).append(when - previous)
                previous, label = when, message
            t0 = time.perf_counter()
            services.uninstall_app(install, report=lambda *a: None)
            uninstalls.append(time.perf_counter() - t0)
            print(f"run {run + 1}/{args.runs}: install {totals[-1]:.2f} s, "
                  f"uninstall {uninstalls[-1]:.2f} s", flush=True)
    finally:
        stop_group(server)

    raw = baseline(archive, args.runs)
    raw_total = statistics.median(raw["tar -xzf"]) + statistics.median(raw["create db+user+grant"])
    print(f"\n{args.runs} runs, seconds: median (min-max)\n")
    print(f"{'engine step':42} {'seconds':>24}")
    for label, values in steps.items():
        print(f"{label:42} {fmt(values):>24}")
    print(f"{'TOTAL install':42} {fmt(totals):>24}")
    print(f"{'uninstall (files, database)':42} {fmt(uninstalls):>24}")
    print(f"\n{'raw baseline':42} {'seconds':>24}")
    for label, values in raw.items():
        print(f"{label:42} {fmt(values):>24}")
    copy = statistics.median(steps.get("Copying files", [0.0]))
    db = statistics.median(steps.get("Creating the database", [0.0]))
    print(f"\nratio files step / tar -xzf:             {copy / statistics.median(raw['tar -xzf']):6.2f}")
    print(f"ratio database step / create+grant:      "
          f"{db / statistics.median(raw['create db+user+grant']):6.2f}")
    print(f"ratio whole install / (tar + create):    {statistics.median(totals) / raw_total:6.2f}")
    shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
