#!/usr/bin/env python
"""Load: the run command under bursts a hosting company sees, bounded in count and time.

Usage: .venv/bin/python benchmarks/load.py [--handoff-seconds 60] [--handoff-rate 200]
       [--installs 50] [--pollers 100] [--backup-rounds 1]

Runs ``scripts/run.sh`` in a scratch data folder on loopback (as benchmarks/soak.py does) and
then, one after the other:

1. hand-offs: ``cmd=guixfer`` and the redemption of its ``/index.php?s=`` link, paced at
   ``--handoff-rate`` per second for ``--handoff-seconds`` by 32 threads;
2. installs queued at once: ``--installs`` WordPress installs sent with ``background`` in one
   burst, while ``--pollers`` signed-in browsers poll the Tasks page every second (what the
   GUI's progress bars do); the time until the last one is done;
3. scheduled backups falling due together: every install gets a daily automatic backup and
   the scheduler runs once (``--backup-rounds`` times), queuing them all at the same moment.

For each it prints throughput, median and p95 latency, errors, and the worker's largest
resident memory (sampled every second). Every number comes from this run; nothing is
compared with a stored figure. Needs MariaDB and php like the run command. The scratch
folder is removed at the end unless something failed.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from soak import NoRedirect, Soak  # noqa: E402


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values or [0])[0]


def summary(name: str, latencies: list[float], errors: list[str], seconds: float,
            unit: str = "calls") -> dict:
    done = len(latencies)
    return {"scenario": name, unit: done, "errors": len(errors), "seconds": round(seconds, 1),
            "per_second": round(done / seconds, 1) if seconds else 0,
            "median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "p95_ms": round(p95(latencies) * 1000, 1) if latencies else None,
            "first_errors": errors[:3]}


class MemoryWatch:
    """The worker's resident memory (its process and children), sampled every second."""

    def __init__(self, load: "Load"):
        self.load, self.peak_kb, self.stop = load, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def rss_kb(self) -> int:
        try:
            pid = self.load.worker_pid()
        except (OSError, ValueError):
            return 0
        pids = [pid]
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        total = 0
        for one in pids:
            try:
                for line in Path(f"/proc/{one}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def run(self) -> None:
        while not self.stop.wait(1):
            self.peak_kb = max(self.peak_kb, self.rss_kb())

    def __enter__(self):
        self.peak_kb = self.rss_kb()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


class Load(Soak):
    def __init__(self, args):
        super().__init__(minutes=0, kill_at=2)
        self.args = args
        self.results: list[dict] = []

    def redeem(self, link: str) -> urllib.request.OpenerDirector:
        """Open a hand-off link in a fresh cookie jar; returns the signed-in opener."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        try:
            opener.open(link, timeout=30)
        except urllib.error.HTTPError as exc:
            if exc.code != 302:
                raise AssertionError(f"hand-off answered {exc.code}") from None
        else:
            raise AssertionError("the hand-off link did not redirect")
        return opener

    # 1 -------------------------------------------------------------------------------------
    def handoffs(self) -> None:
        rate, seconds = self.args.handoff_rate, self.args.handoff_seconds
        latencies: list[float] = []
        errors: list[str] = []
        start = time.monotonic()

        skipped = []

        def one(n: int) -> None:
            due = start + n / rate
            time.sleep(max(0.0, due - time.monotonic()))
            t0 = time.monotonic()
            if t0 > start + seconds:  # the server is slower than the rate: bounded in time
                skipped.append(n)
                return
            try:
                link = self.api("guixfer")["data"]
                self.redeem(link)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(str(exc)[:200])
                return
            latencies.append(time.monotonic() - t0)

        with MemoryWatch(self) as memory, ThreadPoolExecutor(32) as pool:
            list(pool.map(one, range(int(rate * seconds))))
        result = summary("hand-offs (guixfer + redeem)", latencies, errors,
                         time.monotonic() - start, unit="hand-offs")
        result["target_per_second"] = rate
        result["not_sent_in_time"] = len(skipped)
        result["worker_peak_mb"] = round(memory.peak_kb / 1024, 1)
        self.report(result)

    # 2 -------------------------------------------------------------------------------------
    def installs(self) -> list[str]:
        count, pollers = self.args.installs, self.args.pollers
        sent, errors, ids = [], [], []
        polls: list[float] = []
        poll_errors: list[str] = []
        stop = threading.Event()
        openers = [self.redeem(self.api("guixfer")["data"]) for _ in range(pollers)]

        def poll(opener) -> None:
            while not stop.is_set():
                t0 = time.monotonic()
                try:
                    with opener.open(f"{self.gui}/gui/tasks/", timeout=30) as page:
                        page.read()
                    polls.append(time.monotonic() - t0)
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    poll_errors.append(str(exc)[:200])
                stop.wait(1)

        threads = [threading.Thread(target=poll, args=(o,), daemon=True) for o in openers]
        start = time.monotonic()
        with MemoryWatch(self) as memory:
            for thread in threads:
                thread.start()
            for n in range(count):
                t0 = time.monotonic()
                reply = self.api("install", background="1", application="wordpress",
                                 url=f"{self.demo}/load{n}", sitetitle=f"Load {n}")
                sent.append(time.monotonic() - t0)
                if reply.get("result") and reply.get("task"):
                    ids.append(reply["task"]["id"])
                else:
                    errors.append(f"{reply.get('errcode')}: {reply.get('message')}")
            done = self.wait_tasks(ids, errors, timeout=60 * count)
            stop.set()
            for thread in threads:
                thread.join()
        elapsed = time.monotonic() - start
        queued = summary("installs queued at once (the API call)", sent, errors, elapsed,
                         unit="installs")
        queued["all_done_seconds"] = round(elapsed, 1)
        queued["installs_per_minute"] = round(len(done) / elapsed * 60, 1)
        queued["worker_peak_mb"] = round(memory.peak_kb / 1024, 1)
        self.report(queued)
        self.report(summary(f"{pollers} browsers polling Tasks every second", polls,
                            poll_errors, elapsed, unit="polls"))
        return done

    def wait_tasks(self, ids: list[str], errors: list[str], timeout: float) -> list[str]:
        """Wait until every task in ``ids`` ended; returns the install ids that completed."""
        pending, installs = set(ids), []
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for task in self.api("tasks", limit="500").get("data") or []:
                if task["id"] in pending and task["status"] in {"completed", "failed"}:
                    pending.discard(task["id"])
                    if task["status"] == "completed":
                        installs.append(task.get("install") or "")
                    else:
                        errors.append(f"task {task['id']}: {task['errcode']} {task['message']}")
            time.sleep(1)
        errors.extend(f"task {task_id} not done in time" for task_id in pending)
        return installs

    # 3 -------------------------------------------------------------------------------------
    def scheduled_backups(self, installs: list[str]) -> None:
        errors: list[str] = []
        for install in installs:
            reply = self.api("edit", id=install, autobk="custom", autobk_daily="2")
            if not reply.get("result"):
                errors.append(f"edit {install}: {reply.get('errcode')} {reply.get('message')}")
        for round_ in range(self.args.backup_rounds):
            before = {t["id"] for t in self.api("tasks", limit="500").get("data") or []}
            start = time.monotonic()
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c",
                            "from apps.backups.schedules import run_autobackups;"
                            f"run_autobackups(now=__import__('django.utils.timezone').utils."
                            f"timezone.now() + __import__('datetime').timedelta(days={round_}))"],
                           cwd=str(ROOT), env=self.env, check=True, capture_output=True)
            queued = [t["id"] for t in self.api("tasks", limit="500").get("data") or []
                      if t["id"] not in before and t["cmd"] == "backup"]
            with MemoryWatch(self) as memory:
                done = self.wait_tasks(queued, errors, timeout=60 * max(1, len(queued)))
            elapsed = time.monotonic() - start
            result = summary(f"scheduled backups falling due together (round {round_ + 1})",
                             [], errors, elapsed, unit="backups")
            result.update(queued=len(queued), completed=len(done),
                          all_done_seconds=round(elapsed, 1),
                          backups_per_minute=round(len(done) / elapsed * 60, 1))
            result["worker_peak_mb"] = round(memory.peak_kb / 1024, 1)
            self.report(result)

    def report(self, result: dict) -> None:
        self.results.append(result)
        print(json.dumps(result), flush=True)
        if result["errors"]:
            self.failures.append(f"{result['scenario']}: {result['errors']} errors")

    def main(self) -> int:
        self.start()
        print(f"scratch {self.scratch}; GUI {self.gui}; demo site {self.demo}", flush=True)
        self.handoffs()
        done = self.installs()
        self.scheduled_backups([i for i in done if i])
        for install in done:
            self.api("uninstall", background="1", id=install)  # clean-up; not measured
        self.stop()
        print(json.dumps({"results": self.results, "failures": self.failures,
                          "scratch": str(self.scratch)}, indent=2))
        if self.failures:
            return 1
        shutil.rmtree(self.scratch, ignore_errors=True)
        return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handoff-seconds", type=float, default=60)
    parser.add_argument("--handoff-rate", type=float, default=200)
    parser.add_argument("--installs", type=int, default=50)
    parser.add_argument("--pollers", type=int, default=100)
    parser.add_argument("--backup-rounds", type=int, default=1)
    load = Load(parser.parse_args())
    try:
        sys.exit(load.main())
    finally:
        load.stop()
