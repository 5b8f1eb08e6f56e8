#!/usr/bin/env python
"""Soak: the run command left running under a stream of installs, backups and hand-offs.

Usage: .venv/bin/python benchmarks/soak.py --minutes 30 [--kill-at 0.5]

Runs ``scripts/run.sh`` itself in a scratch data folder (SQLite, the default file-system
broker, the demo website served by ``php -S``, the supervised worker with beat, gunicorn)
on free ports, then until the time is up repeats, through the HTTP API as a panel would:
install WordPress on the demo website (``cmd=install``, real MariaDB) and open it; back it
up (``cmd=backup``); hand the owner over (``cmd=guixfer``) and redeem the
``/index.php?s=`` link in a fresh cookie jar; uninstall it. Every step must succeed.

At ``--kill-at`` (a fraction of the time) the worker is killed with SIGKILL between two
rounds: the run command must say on its console that the worker exited (status 137) and
was started again, the worker log must say so too, and the next round is sent as soon as
a new worker process exists (before it is ready) and must complete like the others.

Prints a summary (rounds, steps, failures, restarts, timings) and exits non-zero on any
failure. Needs MariaDB and php like the run command; uses the venv it runs in. Backups are
kept until the end (about 25 MB a round); the scratch folder is removed after a soak
without failures and kept for a look otherwise.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.processes import free_port, wait_for_port  # noqa: E402

RESTART_LINE = re.compile(r"the Celery worker exited with status (\d+)[^;]*; starting it again")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Soak:
    def __init__(self, minutes: float, kill_at: float):
        self.minutes = minutes
        self.kill_at = kill_at
        self.scratch = Path(tempfile.mkdtemp(prefix="itron-soak-"))
        self.data = self.scratch / "data"
        self.port, self.demo_port = free_port(), free_port()
        self.gui = f"http://127.0.0.1:{self.port}"
        self.demo = f"http://127.0.0.1:{self.demo_port}"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("DB", "CELERY_")) and k != "INSTALLATRON_TESTING"}
        self.env.update(INSTALLATRON_DATA=str(self.data), INSTALLATRON_PORT=str(self.port),
                        INSTALLATRON_DEMO_PORT=str(self.demo_port), VENV=sys.prefix,
                        INSTALLATRON_ADMIN_PASSWORD=secrets.token_urlsafe(16))
        self.counts = {"install": 0, "site": 0, "backup": 0, "handoff": 0, "uninstall": 0}
        self.durations: dict[str, list[float]] = {name: [] for name in self.counts}
        self.failures: list[str] = []
        self.kill: dict = {}
        self.key = ""
        self.run = None
        self.console = open(self.scratch / "console.log", "wb")

    # -- the run command ------------------------------------------------------------------
    def start(self) -> None:
        self.run = subprocess.Popen([str(ROOT / "scripts" / "run.sh")], cwd=str(ROOT),
                                    env=self.env, stdout=self.console,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 900  # the first run builds the WordPress package
        while "Stop with Ctrl-C" not in self.console_text():
            if self.run.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("scripts/run.sh did not start:\n" + self.console_text()[-4000:])
            time.sleep(1)
        wait_for_port(self.port, timeout=60)
        out = subprocess.run([sys.executable, str(ROOT / "manage.py"), "apikey"], cwd=str(ROOT),
                             env=self.env, capture_output=True, text=True, check=True).stdout
        self.key = re.search(r"^key=(\S+)", out, re.M).group(1)

    def stop(self) -> None:
        if self.run is not None and self.run.poll() is None:
            os.killpg(self.run.pid, signal.SIGTERM)
            try:
                self.run.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.run.pid, signal.SIGKILL)
        if not self.console.closed:
            self.console.close()

    def console_text(self) -> str:
        return (self.scratch / "console.log").read_text(errors="replace")

    def worker_log(self) -> str:
        return (self.data / "log" / "worker.log").read_text(errors="replace")

    def worker_pid(self) -> int:
        return int((self.data / "run" / "worker.pid").read_text())

    # -- the API --------------------------------------------------------------------------
    def api(self, cmd: str, **params) -> dict:
        body = json.dumps({"key": self.key, "cmd": cmd, "user": "demo", **params}).encode()
        request = urllib.request.Request(f"{self.gui}/index.php", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            return json.load(exc)

    def task(self, cmd: str, timeout: float = 300, **params) -> dict:
        """Send ``cmd`` in the background and wait for its task; raises with the reason."""
        reply = self.api(cmd, background="1", **params)
        if not reply.get("result") or not reply.get("task"):
            raise AssertionError(f"{cmd} refused: {reply.get('errcode')} {reply.get('message')}")
        task_id = reply["task"]["id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            listed = self.api("tasks", limit="50").get("data") or []
            task = next((t for t in listed if t["id"] == task_id), None)
            if task and task["status"] == "completed":
                return task
            if task and task["status"] == "failed":
                raise AssertionError(f"{cmd} task {task_id} failed: {task['errcode']} "
                                     f"{task['message']}")
            time.sleep(0.5)
        raise AssertionError(f"{cmd} task {task_id} not done after {timeout:.0f} s "
                             f"({task and task['status']})")

    def step(self, name: str, fn) -> bool:
        t0 = time.monotonic()
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            self.failures.append(f"{time.strftime('%H:%M:%S')} {name}: {exc}")
            print(f"  FAILED {name}: {exc}", flush=True)
            return False
        self.counts[name] += 1
        self.durations[name].append(time.monotonic() - t0)
        return True

    # -- one round --------------------------------------------------------------------------
    def round(self, n: int) -> None:
        url = f"{self.demo}/soak{n}"
        title = f"Soak {n} {secrets.token_hex(3)}"
        found: dict = {}

        def install():
            found["task"] = self.task("install", application="wordpress", url=url,
                                      sitetitle=title)
            found["id"] = found["task"]["install"]

        def site():
            with urllib.request.urlopen(url + "/", timeout=60) as response:
                page = response.read().decode(errors="replace")
            assert response.status == 200 and title in page, "the new site does not show its title"

        def handoff():
            link = self.api("guixfer")["data"]
            assert "/index.php?s=" in link, f"no hand-off link: {link}"
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                                 NoRedirect)
            try:
                opener.open(link, timeout=30)
                raise AssertionError("the hand-off link did not redirect")
            except urllib.error.HTTPError as exc:
                assert exc.code == 302, f"hand-off answered {exc.code}"
                target = urllib.parse.urljoin(link, exc.headers["Location"])
            assert "s=" not in target, "the redirect keeps the id"
            with opener.open(target, timeout=30) as page:
                assert page.status == 200 and "demo" in page.read().decode(errors="replace")

        if not self.step("install", install):
            return
        self.step("site", site)
        self.step("backup", lambda: self.task("backup", id=found["id"]))
        self.step("handoff", handoff)
        self.step("uninstall", lambda: self.task("uninstall", id=found["id"]))

    def kill_worker(self) -> None:
        """SIGKILL the worker; wait until the run command says so and a new one exists."""
        pid = self.worker_pid()
        restarts_before = len(RESTART_LINE.findall(self.console_text()))
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        self.kill = {"pid": pid, "at": time.strftime("%H:%M:%S")}
        print(f"killed the worker (pid {pid}) with SIGKILL", flush=True)
        deadline = killed + 120
        while time.monotonic() < deadline:
            lines = RESTART_LINE.findall(self.console_text())
            if len(lines) > restarts_before:
                self.kill["console_after_s"] = round(time.monotonic() - killed, 1)
                self.kill["status"] = int(lines[-1])
                break
            time.sleep(0.2)
        else:
            self.failures.append("the run command did not say that the worker exited")
            return
        if self.kill["status"] != 137:
            self.failures.append(f"the worker exit status was {self.kill['status']}, not 137")
        if "WARNING/supervisor] the Celery worker exited with status 137" not in self.worker_log():
            self.failures.append("the worker log does not say that the worker exited")
        while time.monotonic() < deadline:
            try:
                new = self.worker_pid()
                os.kill(new, 0)
            except (OSError, ValueError):
                new = pid
            if new != pid:
                self.kill["new_pid"] = new
                self.kill["restarted_after_s"] = round(time.monotonic() - killed, 1)
                return
            time.sleep(0.2)
        self.failures.append("no new worker process after the kill")

    # -- the whole soak ---------------------------------------------------------------------
    def main(self) -> int:
        t_setup = time.monotonic()
        self.start()
        print(f"scratch {self.scratch}; run command up in {time.monotonic() - t_setup:.0f} s; "
              f"GUI {self.gui}, demo site {self.demo}", flush=True)
        started = time.monotonic()
        deadline = started + self.minutes * 60
        n = 0
        while time.monotonic() < deadline:
            n += 1
            if not self.kill and time.monotonic() >= started + self.kill_at * self.minutes * 60:
                self.kill_worker()
                self.kill["round"] = n
            self.round(n)
            if n % 10 == 0:
                print(f"{(time.monotonic() - started) / 60:5.1f} min: {n} rounds, "
                      f"{self.counts}, {len(self.failures)} failures", flush=True)
        elapsed = time.monotonic() - started
        text = self.worker_log()
        restarts = len(RESTART_LINE.findall(self.console_text()))
        if not self.kill:
            self.failures.append("the soak ended before the worker was killed")
        if restarts != 1:
            self.failures.append(f"{restarts} worker restarts; expected 1 (the kill)")
        if "Unrecoverable error" in text:
            self.failures.append("the worker log has an Unrecoverable error")
        broken = os.listdir(self.data / "broker" / "broken")
        if broken:
            self.failures.append(f"{len(broken)} broker messages set aside as broken")
        self.stop()
        summary = {
            "minutes": round(elapsed / 60, 1), "rounds": n, "succeeded": self.counts,
            "median_seconds": {k: round(statistics.median(v), 2) for k, v in self.durations.items()
                               if v},
            "beat_jobs_sent": text.count("Scheduler: Sending due task"),
            "worker_restarts": restarts, "kill": self.kill, "failures": self.failures,
            "scratch": str(self.scratch),
        }
        print(json.dumps(summary, indent=2))
        if self.failures:
            return 1
        shutil.rmtree(self.scratch, ignore_errors=True)
        return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--kill-at", type=float, default=0.5,
                        help="when to SIGKILL the worker, as a fraction of the time")
    args = parser.parse_args()
    soak = Soak(args.minutes, args.kill_at)
    try:
        sys.exit(soak.main())
    finally:
        soak.stop()
