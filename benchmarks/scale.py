#!/usr/bin/env python
"""Lists at scale: the pages and API lists people page through, on 10,000 installs.

Usage: .venv/bin/python benchmarks/scale.py [--installs 10000] [--users 1000]
       [--resellers 50] [--repeat 30] [--sqlite]

Builds a scratch database with
``--resellers`` resellers, ``--users`` website owners spread over them (a third of them
under a sub-reseller) and ``--installs`` installs spread over the owners, then requests
each list ``--repeat`` times in process (Django's test client: the whole middleware stack,
no network) and prints the median and p95, the queries each request made, and the ratio
against the raw baseline measured in the same run: the bare SQL that reads the same rows
(one SELECT of the page's installs, by the same order and offset).

The database is MySQL/MariaDB, as in production: a scratch database ``itron_bench_<hex>`` on
the server the DB_* variables name (default 127.0.0.1:3306, root), dropped at the end.
``--sqlite``, or a server that does not answer, uses a scratch SQLite file instead (said so).
Nothing else is touched (benchmarks/scratch.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _scratch_mysql() -> str:
    """Make a scratch MySQL database for this run; '' if the server does not answer."""
    if "--sqlite" in sys.argv:
        return ""
    import secrets

    import MySQLdb

    name = "itron_bench_" + secrets.token_hex(4)
    try:
        conn = MySQLdb.connect(host=os.environ.get("DB_HOST", "127.0.0.1"),
                               port=int(os.environ.get("DB_PORT", "3306")),
                               user=os.environ.get("DB_USER", "root"),
                               password=os.environ.get("DB_PASSWORD", ""), connect_timeout=5)
    except MySQLdb.Error as exc:
        print(f"MySQL does not answer ({exc}); measuring on SQLite instead")
        return ""
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn.close()
    return name


os.environ["BENCH_MYSQL_DB"] = MYSQL_DB = _scratch_mysql()

import scratch  # noqa: E402,F401  (Django on the scratch database)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402


def populate(installs: int, users: int, resellers: int):
    from apps.accounts.models import Account
    from apps.installs.models import Install, new_install_id

    admin = Account.objects.main_admin()
    tops = Account.objects.bulk_create(
        Account(username=f"res{i}", kind="reseller", owner=admin) for i in range(resellers))
    subs = Account.objects.bulk_create(
        Account(username=f"sub{i}", kind="reseller", owner=tops[i]) for i in range(resellers))
    owners = Account.objects.bulk_create(
        Account(username=f"user{i}", kind="user", email=f"u{i}@example.com",
                owner=(subs if i % 3 == 0 else tops)[i % resellers]) for i in range(users))
    now = timezone.now()
    Install.objects.bulk_create(
        (Install(id=new_install_id(), account=owners[i % users], installer="wordpress",
                 version="6.1.9", url=f"http://site{i}.example/blog",
                 url_domain=f"site{i}.example", path="public_html/blog",
                 title=f"Blog number {i}", status=Install.Status.INSTALLED,
                 time=now - timezone.timedelta(minutes=i))
         for i in range(installs)), batch_size=1000)
    return admin, tops[0], owners[0]


def measure(call, repeat: int) -> tuple[list[float], int]:
    call()  # warm: templates compiled, session row written
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = call()
            if response.streaming:  # a whole v1 list: read to its end
                b"".join(response.streaming_content)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (response.status_code, response.content[:300])
        queries = len(ctx.captured_queries)
    return times, queries


def raw_page(limit: int | None, offset: int, account_ids: list[int] | None = None, *,
             table: str = "installs_install", order: str = "time DESC",
             column: str = "account_id"):
    """The baseline: the page's rows by one SELECT, nothing else (limit None: every row)."""
    where = ""
    if account_ids is not None:
        where = f"WHERE {column} IN ({','.join(str(int(a)) for a in account_ids)})"
    window = f"LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""

    def run():
        with connection.cursor() as cur:
            cur.execute(f"SELECT * FROM {table} {where} ORDER BY {order} {window}")  # noqa: S608
            cur.fetchall()
    return run


def timed(fn, repeat: int) -> list[float]:
    fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--installs", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--resellers", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--sqlite", action="store_true",
                        help="measure on a scratch SQLite file instead of MySQL")
    args = parser.parse_args()
    try:
        run(args)
    finally:
        if MYSQL_DB:
            with connection.cursor() as cur:
                cur.execute(f"DROP DATABASE `{MYSQL_DB}`")


def run(args) -> None:

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # as scripts/run.sh does
    from apps.accounts.models import Account
    from apps.accounts import keys

    started = time.perf_counter()
    admin, reseller, owner = populate(args.installs, args.users, args.resellers)
    print(f"{args.installs} installs, {args.users} owners, {2 * args.resellers} resellers "
          f"made in {time.perf_counter() - started:.1f} s "
          f"({'MySQL database ' + MYSQL_DB if MYSQL_DB else 'SQLite in ' + str(scratch.SCRATCH)})")
    key = keys.ensure_keys()["key"]
    gui_admin, gui_reseller, gui_owner, api = (Client(HTTP_HOST="127.0.0.1") for _ in range(4))
    gui_admin.force_login(admin)
    gui_reseller.force_login(reseller)
    gui_owner.force_login(owner)
    tree = [reseller.pk, *reseller.descendant_ids()]
    last_page = max(1, args.installs // 50)
    own = list(Account.objects.filter(pk=owner.pk).values_list("pk", flat=True))

    cases = [
        ("admin: My installs, page 1", lambda: gui_admin.get("/gui/installs/"),
         raw_page(50, 0)),
        (f"admin: My installs, page {last_page}",
         lambda: gui_admin.get("/gui/installs/", {"page": last_page}),
         raw_page(50, (last_page - 1) * 50)),
        ("reseller: My installs, page 1", lambda: gui_reseller.get("/gui/installs/"),
         raw_page(50, 0, tree)),
        ("owner: My installs", lambda: gui_owner.get("/gui/installs/"), raw_page(50, 0, own)),
        ("owner: Backups", lambda: gui_owner.get("/gui/backups/"),
         raw_page(50, 0, own, table="backups_backup", order="id")),
        ("admin: Users, page 1", lambda: gui_admin.get("/gui/users/"),
         raw_page(50, 0, table="accounts_account", order="username")),
        ("API GET /installs?limit=100", lambda: api.get(
            "/installs", {"limit": 100}, HTTP_X_API_KEY=key), raw_page(100, 0)),
        ("API GET /users?limit=100", lambda: api.get(
            "/users", {"limit": 100}, HTTP_X_API_KEY=key),
         raw_page(100, 0, table="accounts_account", order="username")),
        ("API GET /installs?limit=50", lambda: api.get(
            "/installs", {"limit": 50}, HTTP_X_API_KEY=key), raw_page(50, 0)),
        (f"API GET /installs?limit=50&offset={args.installs - 1000}", lambda: api.get(
            "/installs", {"limit": 50, "offset": args.installs - 1000}, HTTP_X_API_KEY=key),
         raw_page(50, args.installs - 1000)),
        (f"API GET /installs?user={owner.username}&limit=100", lambda: api.get(
            "/installs", {"user": owner.username, "limit": 100}, HTTP_X_API_KEY=key),
         raw_page(100, 0, own)),
        (f"API v1 installs, whole ({args.installs} rows, streamed)", lambda: api.post(
            "/index.php", {"key": key, "cmd": "installs"}), raw_page(None, 0)),
    ]
    print(f"{'list':<52} {'median ms':>9} {'p95 ms':>8} {'queries':>7} {'raw ms':>7} "
          f"{'ratio':>6}")
    for name, call, baseline in cases:
        times, queries = measure(call, args.repeat)
        raw = statistics.median(timed(baseline, args.repeat))
        median = statistics.median(times)
        print(f"{name:<52} {median * 1000:>9.1f} {p95(times) * 1000:>8.1f} {queries:>7} "
              f"{raw * 1000:>7.2f} {median / raw:>6.0f}x")


if __name__ == "__main__":
    main()
