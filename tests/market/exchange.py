"""A local stand-in for Binance spot's order book endpoints, for the depth feed's tests.

:class:`ExchangeModel` is the venue's matching-engine side: a true book changed one update id at
a time, every intermediate state remembered, and ``depthUpdate`` frames that merge several
consecutive updates (``U..u``) into final per-level sizes, as the venue does. It is written
independently of zippifi.market (plain dicts, no sequence logic), so its book is the reference
the client's book is compared with.

:class:`LocalBinance` serves it over aiohttp on 127.0.0.1 in the documented wire format:
``GET /api/v3/depth?symbol=X&limit=N`` and websocket ``/ws/<symbol>@depth[@100ms]``, with the
faults the feed must survive: dropped frames (gaps), duplicated and replayed frames, server-side
disconnects, stale or mid-event snapshots, held snapshots, HTTP errors and garbage frames.
"""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

Book = dict[Decimal, Decimal]


def fmt(value: Decimal) -> str:
    return f"{value:.8f}"  # the venue's fixed eight decimals


class ExchangeModel:
    """The true book of one symbol and its history by update id."""

    def __init__(
        self, symbol: str = "ETHUSDT", seed: int = 0, *, mid: str = "2000.00", width: int = 40
    ) -> None:
        self.symbol = symbol
        self.rng = random.Random(seed)
        self.mid = Decimal(mid)
        self.tick = Decimal("0.01")
        self.width = width  # price levels per side the model may touch
        self.bids: Book = {}
        self.asks: Book = {}
        self.last_id = 1_000
        for _ in range(width):
            self._one_update(allow_zero=False)
        self.history: dict[int, tuple[Book, Book]] = {
            self.last_id: (dict(self.bids), dict(self.asks))
        }

    def _size(self) -> Decimal:
        return Decimal(self.rng.randint(1, 10**6)) / 10**4

    def _one_update(self, allow_zero: bool = True) -> tuple[str, Decimal, Decimal]:
        side = self.rng.choice(("b", "a"))
        offset = self.tick * self.rng.randint(1, self.width)
        price = self.mid - offset if side == "b" else self.mid + offset
        size = Decimal(0) if allow_zero and self.rng.random() < 0.3 else self._size()
        book = self.bids if side == "b" else self.asks
        if size == 0:
            book.pop(price, None)  # removing an absent level happens on the venue too
        else:
            book[price] = size
        self.last_id += 1
        return side, price, size

    def emit(self, n_updates: int | None = None) -> dict[str, Any]:
        """Make ``n_updates`` single-level updates (ids last+1 ..) and return the frame that
        reports them: U = first id, u = last id, each touched level at its final size."""
        n = self.rng.randint(1, 4) if n_updates is None else n_updates
        first = self.last_id + 1
        merged: dict[str, dict[Decimal, Decimal]] = {"b": {}, "a": {}}
        for _ in range(n):
            side, price, size = self._one_update()
            merged[side][price] = size
            self.history[self.last_id] = (dict(self.bids), dict(self.asks))
        return {
            "e": "depthUpdate",
            "E": 1_700_000_000_000 + self.last_id,
            "s": self.symbol,
            "U": first,
            "u": self.last_id,
            "b": [[fmt(p), fmt(s)] for p, s in merged["b"].items()],
            "a": [[fmt(p), fmt(s)] for p, s in merged["a"].items()],
        }

    def snapshot(self, at_id: int | None = None, limit: int = 100) -> dict[str, Any]:
        """The REST document for the book at ``at_id`` (default: now), top ``limit`` levels."""
        update_id = self.last_id if at_id is None else at_id
        bids, asks = self.history[update_id]
        return {
            "lastUpdateId": update_id,
            "bids": [[fmt(p), fmt(s)] for p, s in sorted(bids.items(), reverse=True)[:limit]],
            "asks": [[fmt(p), fmt(s)] for p, s in sorted(asks.items())[:limit]],
        }


class LocalBinance:
    """The model served on 127.0.0.1. Test code drives it: :meth:`publish` sends a frame to
    every connected stream; the ``snapshot_*`` knobs shape the next REST answers."""

    def __init__(self, model: ExchangeModel) -> None:
        self.model = model
        self.clients: list[web.WebSocketResponse] = []
        self.connections = 0  # websocket connections ever accepted
        self.snapshot_requests: list[dict[str, str]] = []
        self.stale_snapshot_ids: list[int] = []  # served (oldest first) before current ones
        self.snapshot_gate: asyncio.Event | None = None  # hold REST answers until set
        self.snapshot_errors = 0  # answer this many requests with HTTP 500
        self._connected = asyncio.Condition()
        app = web.Application()
        app.router.add_get("/api/v3/depth", self._depth)
        app.router.add_get("/ws/{stream}", self._stream)
        self.server = TestServer(app, host="127.0.0.1")

    async def __aenter__(self) -> LocalBinance:
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect_all()
        await self.server.close()

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1)

    async def _depth(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.snapshot_requests.append(query)
        symbol, limit = query.get("symbol"), query.get("limit", "100")
        if symbol != self.model.symbol:
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        if not limit.isdigit() or not 1 <= int(limit) <= 5000:
            return web.json_response({"code": -1100, "msg": "Illegal characters"}, status=400)
        if self.snapshot_gate is not None:
            await self.snapshot_gate.wait()
        if self.snapshot_errors:
            self.snapshot_errors -= 1
            return web.json_response({"code": -1001, "msg": "Internal error"}, status=500)
        at = self.stale_snapshot_ids.pop(0) if self.stale_snapshot_ids else None
        return web.json_response(self.model.snapshot(at, int(limit)))

    async def _stream(self, request: web.Request) -> web.WebSocketResponse:
        expected = {
            f"{self.model.symbol.lower()}@depth",
            f"{self.model.symbol.lower()}@depth@100ms",
        }
        if request.match_info["stream"] not in expected:
            raise web.HTTPNotFound()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.clients.append(ws)
        async with self._connected:
            self.connections += 1
            self._connected.notify_all()
        try:
            async for msg in ws:  # clients only ping; keep reading until they go
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            if ws in self.clients:
                self.clients.remove(ws)
        return ws

    async def wait_connections(self, n: int, timeout: float = 10) -> None:
        """Wait until ``n`` websocket connections have been accepted in total."""
        async with asyncio.timeout(timeout), self._connected:
            await self._connected.wait_for(lambda: self.connections >= n and bool(self.clients))

    async def publish(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        for ws in list(self.clients):
            if not ws.closed:
                await ws.send_str(text)

    async def step(self, n_updates: int | None = None) -> dict[str, Any]:
        frame = self.model.emit(n_updates)
        await self.publish(frame)
        return frame

    async def disconnect_all(self) -> None:
        for ws in list(self.clients):
            await ws.close()
        self.clients.clear()
