"""Stress the embedded file-system broker: a worker with beat, producers in other processes.

    python -m tests.broker.stress [--seconds 30] [--producers 3] [--rate 5] [--beat 0.5]
                                  [--transport ours|kombu]

Starts, in a scratch data folder with ``CELERY_BROKER_URL=filesystem://``, a Celery worker
the way scripts/run.sh does (prefork, ``--beat``), with a beat job every ``--beat`` seconds,
and ``--producers`` processes that send messages of 1 KB to 1 MB at random moments
(``--rate`` a second each, on average) for ``--seconds``: the queue stays short, so the
worker keeps reading files that were just created. Each message's task creates a file named
after the message, so every message is counted once. Passes when the worker is alive at the
end, every message sent was run exactly once, and no message was set aside as broken.

``--transport kombu`` runs kombu's own filesystem transport instead (the old default). It
consumes only a few messages a second (with every prefetch slot taken, Celery acks
finished tasks only when a 2 s poll ends) and the race shows only on a short queue, so:
``--seconds 300 --producers 3 --rate 0.2 --beat 2 --transport kombu``; on 2026-12-04 its
worker died with "Unrecoverable error: JSONDecodeError" after 82 s (46 messages and 40 beat
jobs run) and, in a second run, after 33 s (16 messages, 15 beat jobs).

This module is also the Celery app the worker and producers load (``-A tests.broker.stress``):
the project's app with two extra tasks and a fast beat schedule.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KOMBU = "kombu.transport.filesystem:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "installatron_gui.settings")
if os.environ.get("STRESS_DONE"):  # loaded as the app of the worker or a producer
    from installatron_gui.celery import app

    if os.environ.get("STRESS_TRANSPORT") == "kombu":
        app.conf.CELERY_BROKER_TRANSPORT = KOMBU  # the namespaced key wins
    app.conf.beat_schedule = {"stress.tick": {"task": "stress.tick",
                                              "schedule": float(os.environ["STRESS_BEAT"])}}

    @app.task(name="stress.note")
    def note(ident: str, pad: str) -> None:
        done = Path(os.environ["STRESS_DONE"])
        try:
            os.close(os.open(done / ident, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            (done.parent / "duplicates").mkdir(exist_ok=True)
            (done.parent / "duplicates" / f"{ident}.{time.time_ns()}").touch()

    @app.task(name="stress.tick")
    def tick() -> None:
        pass


def produce(seconds: float, rate: float) -> None:
    """Producer process: send ``stress.note`` messages at random moments, ``rate`` a second
    on average, until the time is up; print the count."""
    sent = 0
    deadline = time.monotonic() + seconds
    rng = random.Random(os.getpid())
    while time.monotonic() < deadline:
        pad = "x" * rng.choice((1024, 64 * 1024, 1024 * 1024))
        app.send_task("stress.note", args=[f"{os.getpid()}-{sent}", pad])
        sent += 1
        time.sleep(rng.expovariate(rate))
    print(sent, flush=True)


def _env(scratch: Path, transport: str, beat: float) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DB", "DB_NAME", "DB_TEST_NAME", "CELERY_BROKER_URL")}
    env.update(INSTALLATRON_DATA=str(scratch / "data"), CELERY_BROKER_URL="filesystem://",
               STRESS_DONE=str(scratch / "done"), STRESS_TRANSPORT=transport, STRESS_BEAT=str(beat),
               PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="installatron_gui.settings")
    return env


def _start_worker(scratch: Path, env: dict, log) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.broker.stress", "worker", "--loglevel",
         "INFO", "--concurrency", "2", "--beat", "--schedule", str(scratch / "beat-schedule"),
         "--without-gossip", "--without-mingle"],
        cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if "ready." in (scratch / "worker.log").read_text(errors="replace"):
            return proc
        time.sleep(0.2)
    raise RuntimeError("the worker did not start:\n"
                       + (scratch / "worker.log").read_text(errors="replace")[-3000:])


def _count(folder: Path) -> int:
    return len(os.listdir(folder)) if folder.is_dir() else 0


def run(seconds: float = 30, producers: int = 3, transport: str = "ours", rate: float = 5,
        beat: float = 0.5, drain: float = 30) -> dict:
    """Run the stress; returns a summary with ``ok``."""
    scratch = Path(tempfile.mkdtemp(prefix="itron-broker-stress-"))
    (scratch / "done").mkdir()
    env = _env(scratch, transport, beat)
    summary: dict = {"transport": transport, "seconds": seconds, "producers": producers,
                     "rate": rate, "beat": beat}
    with open(scratch / "worker.log", "ab") as log:
        worker = _start_worker(scratch, env, log)
        started = time.monotonic()
        produce_cmd = [sys.executable, "-m", "tests.broker.stress", "produce",
                       "--seconds", str(seconds), "--rate", str(rate)]
        procs = [subprocess.Popen(produce_cmd, cwd=str(ROOT), env=env, stdout=subprocess.PIPE,
                                  text=True, start_new_session=True)
                 for _ in range(producers)]
        crashed = None
        while any(p.poll() is None for p in procs):
            if crashed is None and worker.poll() is not None:
                crashed = time.monotonic() - started
                for p in procs:  # nothing consumes any more: stop now
                    p.send_signal(signal.SIGINT)
            time.sleep(0.1)
        sent = sum(int((p.stdout.read().strip() or "0").splitlines()[-1])
                   for p in procs if p.returncode == 0)
        summary["sent"] = sent if crashed is None else None
        deadline = time.monotonic() + drain
        while (crashed is None and worker.poll() is None and time.monotonic() < deadline
               and _count(scratch / "done") < sent):
            time.sleep(0.2)
        if crashed is None and worker.poll() is not None:
            crashed = time.monotonic() - started
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
    text = (scratch / "worker.log").read_text(errors="replace")
    summary.update(
        run=scratch.name,
        consumed=_count(scratch / "done"),
        duplicates=_count(scratch / "duplicates"),
        broken=_count(scratch / "data" / "broker" / "broken"),
        beat_sent=text.count("Sending due task stress.tick"),
        crashed_after=None if crashed is None else round(crashed, 1),
        unrecoverable=[line for line in text.splitlines() if "Unrecoverable error" in line][:1],
    )
    summary["ok"] = (crashed is None and summary["sent"] == summary["consumed"]
                     and not summary["duplicates"] and not summary["broken"])
    if summary["ok"]:
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        summary["scratch"] = str(scratch)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="run", choices=("run", "produce"))
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--producers", type=int, default=3)
    parser.add_argument("--rate", type=float, default=5,
                        help="messages a second per producer, on average")
    parser.add_argument("--beat", type=float, default=0.5, help="seconds between beat jobs")
    parser.add_argument("--transport", choices=("ours", "kombu"), default="ours")
    args = parser.parse_args()
    if args.mode == "produce":
        produce(args.seconds, args.rate)
        return
    summary = run(args.seconds, args.producers, args.transport, args.rate, args.beat)
    print(json.dumps(summary, indent=2))
    sys.exit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
