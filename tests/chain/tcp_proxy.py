"""A plain TCP relay on loopback whose connections a test can cut at will.

fault_proxy.py misbehaves per HTTP request; a WebSocket is one long connection, so what a ws
client must survive is that connection dying under it. This relay copies bytes both ways
(HTTP and ws alike) and :meth:`TcpProxy.cut` aborts every open connection (RST, no close
frame), as a node restart or a load balancer would; new connections are accepted again at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from .hardhat import free_port


@dataclass
class TcpProxy:
    upstream_host: str
    upstream_port: int
    port: int = 0
    accepted: int = 0  # connections taken, to check that a client reconnected
    _server: asyncio.Server | None = None
    _open: set[asyncio.StreamWriter] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> TcpProxy:
        self.port = free_port()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    def url(self, scheme: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            writer.close()
            return
        self._open.update((writer, up_writer))
        pipes = [asyncio.create_task(self._pipe(reader, up_writer)),
                 asyncio.create_task(self._pipe(up_reader, writer))]  # fmt: skip
        self._tasks.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            self._tasks.difference_update(pipes)
            self._open.difference_update((writer, up_writer))

    def cut(self) -> int:
        """Abort every open connection; how many were cut."""
        cut = 0
        for writer in list(self._open):
            transport = writer.transport
            if not transport.is_closing():
                transport.abort()
                cut += 1
        return cut

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
