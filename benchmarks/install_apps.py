#!/usr/bin/env python
"""Benchmark: every application of the catalog installed onto a local website by the real
engine, against ``tar -xzf`` of its own package, in one run.

Usage: .venv/bin/python benchmarks/install_apps.py [--runs 3] [--apps wordpress,dokuwiki]

Needs MariaDB (settings.MYSQL_ADMIN) and php, and the catalog's Debian packages (the set-up
installs them). Uses its own scratch data folder (SQLite, filesystem broker, package store):
each application's package is built there by its recipe (``build_package``), then installed
``--runs`` times into fresh URLs of one ``php -S`` site and uninstalled. The baseline is the
same archive unpacked by ``tar -xzf`` into a fresh folder. Prints, per application, the
package's size and files, the median (min-max) install and ``tar -xzf`` times and their
ratio. An application whose installer needs a shell the local website lacks, or that cannot
be built here, is reported as such and the others go on.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import SCRATCH, local_site  # noqa: E402  (sets Django up on a scratch folder)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tests.fixtures.processes import stop_group  # noqa: E402

PASSWORD = "Bench-pass-" + secrets.token_hex(4)


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})"


def params_for(recipe, url: str) -> dict:
    """What a person would type: the URL, a password and an email where the app asks."""
    params = {"application": recipe.id, "url": url}
    for name, field in recipe.fields.items():
        if field.get("type") == "password":
            params[name] = PASSWORD
        elif field.get("type") == "email":
            params[name] = "bench@example.com"
    return params


def build(recipe, store: Path):
    from apps.catalog import services as catalog

    with tempfile.TemporaryDirectory(prefix="build-", dir=SCRATCH) as tmp:
        built = recipe.build_package(Path(tmp))[0]
        package = catalog.add_package(recipe.id, built.version, built.path)
    with tarfile.open(package.path) as tar:
        files = sum(1 for m in tar if m.isfile())
    return package, files


def untar(archive: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        dest = SCRATCH / f"raw-{secrets.token_hex(4)}"
        dest.mkdir()
        t0 = time.perf_counter()
        subprocess.run(["tar", "-xzf", str(archive), "-C", str(dest)], check=True)
        times.append(time.perf_counter() - t0)
        shutil.rmtree(dest)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--apps", help="comma-separated ids (default: every application)")
    args = parser.parse_args()

    from apps.installs import services
    from apps.installs.plan import check_install
    from apps.recipes import all_recipes
    from installatron_gui.lib.errors import InstallatronError

    call_command("migrate", verbosity=0)
    Path(settings.PACKAGE_STORE).mkdir(parents=True, exist_ok=True)
    wanted = set(args.apps.split(",")) if args.apps else None
    recipes = [r for r in all_recipes() if r.supports("build_package")
               and (wanted is None or r.id in wanted)]

    url, server, owner = local_site()
    print(f"scratch: {SCRATCH}\n", flush=True)
    rows = []
    try:
        for recipe in recipes:
            try:
                t0 = time.perf_counter()
                package, files = build(recipe, Path(settings.PACKAGE_STORE))
                built_in = time.perf_counter() - t0
            except InstallatronError as exc:
                print(f"{recipe.name}: not built here: {exc.message}", flush=True)
                continue
            installs: list[float] = []
            try:
                for run in range(args.runs):
                    t0 = time.perf_counter()
                    plan = check_install(owner, params_for(recipe, f"{url}/{recipe.id}{run}"))
                    install, _task = services.start_install(plan)
                    services.install_app(install, report=lambda *a: None)
                    installs.append(time.perf_counter() - t0)
                    services.uninstall_app(install, report=lambda *a: None)
            except InstallatronError as exc:
                print(f"{recipe.name}: {exc.errcode}: {exc.message}", flush=True)
                continue
            raw = untar(package.path, args.runs)
            ratio = statistics.median(installs) / statistics.median(raw)
            rows.append((recipe.name, package.size / 1e6, files, installs, raw, ratio))
            print(f"{recipe.name}: {package.version}, {files} files, "
                  f"{package.size / 1e6:.1f} MB, built in {built_in:.1f} s; install "
                  f"{fmt(installs)} s, tar -xzf {fmt(raw)} s, ratio {ratio:.1f}", flush=True)
    finally:
        stop_group(server)
    print(f"\n{args.runs} runs each, seconds: median (min-max)\n")
    print(f"{'application':16} {'MB':>6} {'files':>6} {'install':>22} {'tar -xzf':>22} {'ratio':>6}")
    for name, mb, files, installs, raw, ratio in rows:
        print(f"{name:16} {mb:6.1f} {files:6d} {fmt(installs):>22} {fmt(raw):>22} {ratio:6.1f}")
    shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
