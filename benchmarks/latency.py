"""A TCP proxy that adds a fixed delay each way: network latency for the benchmarks on a
machine without ``tc netem``. Bytes are forwarded in order, unchanged and unthrottled;
each chunk is held ``rtt/2`` before it is sent on, in both directions, so a request and
its reply cost one ``rtt`` more than on loopback.

``DelayProxy("127.0.0.2", [22022, ...], "127.0.0.1", rtt=0.02).start()`` listens on each
port of 127.0.0.2 and forwards it to the same port of 127.0.0.1 (all of 127/8 is
loopback on Linux); an FTP client using the control connection's peer for passive data
then goes through the proxy too, for every port of the server's passive range.
"""

from __future__ import annotations

import asyncio
import threading
import time

CHUNK = 65536


class DelayProxy:
    def __init__(self, listen_host: str, ports: list[int], target_host: str, *, rtt: float):
        self.listen_host, self.ports, self.target_host = listen_host, ports, target_host
        self.one_way = rtt / 2
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> DelayProxy:
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("the delay proxy did not start")
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        for port in self.ports:
            self.loop.run_until_complete(asyncio.start_server(
                lambda r, w, port=port: self._connection(r, w, port), self.listen_host, port,
                reuse_address=True))
        self.ready.set()
        self.loop.run_forever()

    async def _connection(self, client_r, client_w, port: int) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(self.target_host, port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w),
                             return_exceptions=True)
        for writer in (client_w, server_w):  # only once both ways ended (half-closes)
            writer.close()

    async def _pipe(self, reader, writer) -> None:
        """Read as fast as data comes; write each chunk once it is ``one_way`` old."""
        held: asyncio.Queue = asyncio.Queue()

        async def send() -> None:
            while (item := await held.get()) is not None:
                due, data = item
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
            await asyncio.sleep(max(0.0, self.one_way))
            if writer.can_write_eof():
                writer.write_eof()

        sender = asyncio.ensure_future(send())
        try:
            while data := await reader.read(CHUNK):
                held.put_nowait((time.monotonic() + self.one_way, data))
        except OSError:
            pass
        held.put_nowait(None)
        try:
            await sender
        except OSError:
            pass
