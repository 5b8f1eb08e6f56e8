"""The embedded file-system broker (installatron_gui/lib/broker.py)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from kombu import Connection, Queue

from installatron_gui.lib.broker import Transport, _process_token

from . import stress


@pytest.fixture
def broker(tmp_path):
    folders = {name: tmp_path / name for name in ("queue", "tmp", "processing", "broken",
                                                    "control")}
    options = {"data_folder_in": str(folders["queue"]), "data_folder_out": str(folders["queue"]),
               "tmp_folder": str(folders["tmp"]), "processing_folder": str(folders["processing"]),
               "broken_folder": str(folders["broken"]),
               "control_folder": str(folders["control"]), "polling_interval": 0.05}
    conn = Connection("filesystem://", transport=Transport, transport_options=options)
    conn.folders = folders
    yield conn
    conn.release()


def names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_a_message_is_renamed_in_whole_and_its_file_removed_only_on_ack(broker):
    queue = Queue("jobs", routing_key="jobs")
    with broker.Producer() as producer:
        producer.publish({"n": 1}, routing_key="jobs", declare=[queue])
    assert names(broker.folders["tmp"]) == []
    [name] = names(broker.folders["queue"])
    assert name.endswith(".jobs.msg")
    message = queue(broker.default_channel).get()
    assert message.payload == {"n": 1}
    assert names(broker.folders["queue"]) == []
    [claimed] = names(broker.folders["processing"])
    assert claimed.endswith(name) and f"~{os.getpid()}~" in claimed
    message.ack()
    assert names(broker.folders["processing"]) == []


def test_an_unreadable_file_is_set_aside_and_the_next_message_delivered(broker, caplog):
    queue = Queue("jobs", routing_key="jobs")
    # what kombu's own transport left when a consumer came between create and write
    (broker.folders["queue"]).mkdir(parents=True, exist_ok=True)
    (broker.folders["queue"] / "000_half.jobs.msg").write_bytes(b"")
    (broker.folders["queue"] / "000_junk.jobs.msg").write_bytes(b'{"not": "a message"}')
    with broker.Producer() as producer:
        producer.publish({"n": 2}, routing_key="jobs", declare=[queue])
    with caplog.at_level(logging.ERROR, logger="installatron_gui.lib.broker"):
        message = queue(broker.default_channel).get()
    assert message.payload == {"n": 2}
    assert names(broker.folders["broken"]) == ["000_half.jobs.msg", "000_junk.jobs.msg"]
    assert "000_half.jobs.msg cannot be read" in caplog.text


def test_messages_claimed_by_a_dead_process_go_back_to_the_queue(broker):
    queue = Queue("jobs", routing_key="jobs")
    with broker.Producer() as producer:
        producer.publish({"n": 3}, routing_key="jobs", declare=[queue])
    [name] = names(broker.folders["queue"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = socket.gethostname()
    os.rename(broker.folders["queue"] / name,
              broker.folders["processing"] / f"{host}~{dead.pid}~1~{name}")
    # one held by a live process (this one) stays where it is
    live = f"{host}~{os.getpid()}~{_process_token(os.getpid())}~9_x.jobs.msg"
    (broker.folders["processing"] / live).write_bytes(b"{}")
    message = queue(broker.default_channel).get()
    assert message.payload == {"n": 3}
    message.ack()
    assert names(broker.folders["processing"]) == [live]


CONSUMER = """
import json, sys, time
from kombu import Connection, Queue
from installatron_gui.lib.broker import Transport
conn = Connection("filesystem://", transport=Transport, transport_options=json.loads(sys.argv[1]))
message = Queue("jobs", routing_key="jobs")(conn.default_channel).get()
print(message.payload["n"], flush=True)
time.sleep(60)
"""


def test_a_message_held_by_a_killed_consumer_is_delivered_again(broker):
    """A worker SIGKILLed before its ack (acks_late): the next consumer gets the message."""
    queue = Queue("jobs", routing_key="jobs")
    with broker.Producer() as producer:
        producer.publish({"n": 4}, routing_key="jobs", declare=[queue])
    consumer = subprocess.Popen([sys.executable, "-c", CONSUMER,
                                 json.dumps(broker.transport_options)],
                                stdout=subprocess.PIPE, text=True)
    assert consumer.stdout.readline().strip() == "4"
    assert names(broker.folders["queue"]) == []
    assert queue(broker.default_channel).get() is None  # held by a live process
    consumer.send_signal(signal.SIGKILL)
    consumer.wait()
    broker.default_channel._next_recover = 0  # looks again at once (every 10 s otherwise)
    message = queue(broker.default_channel).get()
    assert message.payload == {"n": 4}
    message.ack()
    assert names(broker.folders["processing"]) == []


def test_the_worker_survives_producers_and_beat_and_runs_every_message_once():
    """Bounded: about 20 s of sending plus the drain. ``python -m tests.broker.stress
    --transport kombu`` runs the same against kombu's own transport, which crashes."""
    summary = stress.run(seconds=20, producers=3, rate=5, drain=25)
    assert summary["ok"], summary
    assert summary["sent"] > 150 and summary["beat_sent"] > 25
