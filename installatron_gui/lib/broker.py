"""The embedded broker: kombu's file-system transport, made safe to read while it is written.

kombu's own ``filesystem`` transport creates a message file under its final name and writes
it afterwards, and its consumer moves and reads whatever it lists without a lock: a message
caught in between reads as empty, ``json.loads`` raises and the Celery worker stops with
"Unrecoverable error". This transport keeps kombu's folders and file names and changes how
files move:

* **put**: the message is written to ``tmp/`` (same file system, not listed by consumers),
  fsynced, then renamed into ``queue/``; a rename is atomic, so a consumer sees a whole
  message or none.
* **get**: the consumer claims a file by renaming it into ``processing/`` under its own
  process id (one rename wins; a consumer that loses moves on). A file that cannot be
  parsed is moved to ``broken/`` with a log line; it never stops the worker.
* **ack**: the claimed file is removed only when Celery acknowledges the message
  (``acks_late``: after the task ran). A worker killed before that (SIGKILL, OOM) leaves
  its claimed files behind; any consumer on this machine puts those of dead processes back
  into ``queue/``, so a message that was waiting in a dead worker's prefetch still runs, and
  one that was running is redelivered and refused by ``claim_task`` (the reaper ends its
  task, apps/tasks/reaper.py).
* **bindings** (``control/*.exchange``) are rewritten whole under a lock and renamed into
  place, so a reader never sees a half-written table.

It is a single-machine broker (one data folder, processes on one host). Production with
several machines uses Redis or RabbitMQ (``CELERY_BROKER_URL``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
import uuid
from pathlib import Path
from queue import Empty

from kombu.transport import filesystem
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)

# How often a consumer looks for claimed files of dead processes (seconds).
RECOVER_EVERY = 10.0


def _process_token(pid: int) -> str | None:
    """A process's start time (Linux /proc), so a reused pid is not taken for the dead one."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # the command name (field 2) may hold spaces; fields after ")" are fixed
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def _alive(pid: int, token: str) -> bool:
    if os.path.isdir("/proc"):
        return _process_token(pid) == token
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def write_atomically(path: Path, data: bytes, tmp_folder: Path) -> None:
    """Write ``data`` to a file in ``tmp_folder``, fsync it, rename it to ``path``."""
    tmp = tmp_folder / f"{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class Channel(filesystem.Channel):
    """kombu's filesystem channel with atomic puts, claimed gets and acks that delete."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._claimed: dict[str, Path] = {}  # delivery tag -> file in processing/
        self._no_ack: set[str] = set()  # queues consumed without acks (pidbox, replies)
        self._next_recover = 0.0
        pid = os.getpid()
        self._owner = f"{socket.gethostname()}~{pid}~{_process_token(pid) or 0}~"
        for folder in (self.tmp_folder, self.processing_folder, self.broken_folder,
                       Path(self.data_folder_out), self.control_folder):
            folder.mkdir(parents=True, exist_ok=True)

    # -- folders ------------------------------------------------------------------------
    def _sibling(self, option: str, name: str) -> Path:
        value = self.transport_options.get(option)
        return Path(value) if value else Path(self.data_folder_in).parent / name

    @property
    def tmp_folder(self) -> Path:
        return self._sibling("tmp_folder", "tmp")

    @property
    def processing_folder(self) -> Path:
        return self._sibling("processing_folder", "processing")

    @property
    def broken_folder(self) -> Path:
        return self._sibling("broken_folder", "broken")

    # -- messages -----------------------------------------------------------------------
    def _put(self, queue, payload, **kwargs):
        """Put ``payload`` onto ``queue``: written aside, then renamed in."""
        # Wall-clock nanoseconds, zero-padded: names sort in sending order across processes.
        name = f"{time.time_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        try:
            write_atomically(Path(self.data_folder_out) / name, dumps(payload).encode(),
                             self.tmp_folder)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add a message to {self.data_folder_out}: "
                                          f"{exc}") from exc

    def _queue_files(self, queue) -> list[str]:
        suffix = f".{queue}.msg"
        return sorted(name for name in os.listdir(self.data_folder_in) if name.endswith(suffix))

    def _get(self, queue):
        """Claim, read and return the oldest whole message of ``queue``."""
        if time.monotonic() >= self._next_recover:
            self._next_recover = time.monotonic() + RECOVER_EVERY
            self.recover_orphans()
        for name in self._queue_files(queue):
            claimed = self.processing_folder / (self._owner + name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except FileNotFoundError:
                continue  # another consumer took it
            try:
                payload = loads(claimed.read_bytes().decode())
                tag = payload["properties"]["delivery_tag"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self._set_aside(claimed, name, exc)
                continue
            if queue in self._no_ack:
                claimed.unlink(missing_ok=True)
            else:
                self._claimed[tag] = claimed
            return payload
        raise Empty()

    def _set_aside(self, claimed: Path, name: str, exc: Exception) -> None:
        try:
            os.rename(claimed, self.broken_folder / name)
        except OSError:
            claimed.unlink(missing_ok=True)
        log.error("broker: message %s cannot be read (%s: %s); moved to %s", name,
                  type(exc).__name__, exc, self.broken_folder)

    def _done(self, delivery_tag) -> None:
        claimed = self._claimed.pop(delivery_tag, None)
        if claimed is not None:
            claimed.unlink(missing_ok=True)

    def basic_consume(self, queue, no_ack, *args, **kwargs):
        if no_ack:
            self._no_ack.add(queue)
        return super().basic_consume(queue, no_ack, *args, **kwargs)

    def basic_get(self, queue, no_ack=False, **kwargs):
        if no_ack:
            self._no_ack.add(queue)
        return super().basic_get(queue, no_ack=no_ack, **kwargs)

    def basic_ack(self, delivery_tag, multiple=False):
        super().basic_ack(delivery_tag, multiple=multiple)
        self._done(delivery_tag)

    def basic_reject(self, delivery_tag, requeue=False):
        super().basic_reject(delivery_tag, requeue=requeue)  # requeue: put again first
        self._done(delivery_tag)

    def _restore(self, message):
        """Unacked message put back (warm shutdown, recover): its claim is dropped after."""
        super()._restore(message)
        self._done(message.delivery_tag)

    def recover_orphans(self) -> int:
        """Put claimed files of dead processes on this machine back into the queue."""
        host = socket.gethostname()
        count = 0
        try:
            names = os.listdir(self.processing_folder)
        except FileNotFoundError:
            return 0
        for name in names:
            parts = name.split("~", 3)
            if len(parts) != 4 or parts[0] != host or not parts[1].isdigit():
                continue
            if _alive(int(parts[1]), parts[2]):
                continue
            try:
                os.rename(self.processing_folder / name,
                          os.path.join(self.data_folder_in, parts[3]))
            except FileNotFoundError:
                continue  # another consumer was first
            count += 1
        if count:
            log.warning("broker: %d message(s) claimed by a stopped worker put back in the "
                        "queue", count)
        return count

    def _size(self, queue):
        return len(self._queue_files(queue))

    def _purge(self, queue):
        count = 0
        for name in self._queue_files(queue):
            try:
                os.remove(os.path.join(self.data_folder_in, name))
                count += 1
            except FileNotFoundError:
                pass
        return count

    # -- bindings -----------------------------------------------------------------------
    def get_table(self, exchange):
        path = self.control_folder / f"{exchange}.exchange"
        try:
            table = json.loads(path.read_bytes() or b"[]")
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise filesystem.ChannelError(f"Cannot read {path}: {exc}") from exc
        return [filesystem.exchange_queue_t(*row) for row in table]

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self.control_folder.mkdir(parents=True, exist_ok=True)
        with open(self.control_folder / f"{exchange}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            table = self.get_table(exchange)
            if row not in table:
                table.insert(0, row)
                write_atomically(self.control_folder / f"{exchange}.exchange",
                                 dumps(table).encode(), self.tmp_folder)


class Transport(filesystem.Transport):
    """The embedded default broker (``CELERY_BROKER_URL=filesystem://``)."""

    Channel = Channel

    def drain_events(self, connection, timeout=None):
        """Wait one polling interval at most.

        Celery's loop for transports without an event loop (``synloop``) sends the acks of
        finished tasks only between two calls, and calls with a 2 s timeout: with every
        prefetch slot taken, the worker sat idle up to 2 s per task. Returning after one
        poll lets it ack and take the next message at once.
        """
        if timeout is not None and self.polling_interval:
            timeout = min(timeout, self.polling_interval)
        return super().drain_events(connection, timeout=timeout)
