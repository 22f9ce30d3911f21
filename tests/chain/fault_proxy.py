"""A JSON-RPC proxy on loopback that misbehaves on purpose, with seeded probabilities.

Each request, by one seeded draw: dropped (no answer until the client gives up), delayed,
answered 429 or 500 without reaching the node, its connection reset, or forwarded to the node
and *then* failed (500 or reset) so the client never learns that the node acted on it. The
last is the case that makes senders double-spend or lose track. ``Faults.first_sends``
scripts the faults of the first sends, for tests that send only a few. Counts per fault are
kept, and ``missing()`` names each configured fault that never happened, so a test can require
that every one really did.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from .hardhat import free_port


@dataclass
class Faults:
    drop: float = 0.0
    delay: float = 0.0
    too_many: float = 0.0  # 429
    server_error: float = 0.0  # 500
    reset: float = 0.0
    after_forward: float = 0.0  # forward, then 500 or reset
    max_delay_s: float = 0.05
    drop_s: float = 2.0  # how long a dropped request hangs before its connection is closed
    # faults for the first eth_sendRawTransaction requests, in order, before any draw: a test
    # with a handful of sends still meets every kind of failure on them
    first_sends: tuple[str, ...] = ()

    def kinds(self) -> tuple[tuple[str, float], ...]:
        """Each fault's name (its key in ``FaultProxy.counts``) and probability, in draw order."""
        return (("drop", self.drop), ("too_many", self.too_many),
                ("server_error", self.server_error), ("reset", self.reset),
                ("after_forward", self.after_forward), ("delay", self.delay))  # fmt: skip


@dataclass
class FaultProxy:
    upstream: str
    faults: Faults
    seed: int
    counts: Counter[str] = field(default_factory=Counter)
    methods: Counter[str] = field(default_factory=Counter)
    url: str = ""
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    async def start(self) -> FaultProxy:
        self._rng = random.Random(self.seed)
        self._scripted = 0
        unknown = set(self.faults.first_sends) - {name for name, _ in self.faults.kinds()}
        if unknown:
            raise ValueError(f"fault proxy: unknown faults in first_sends: {sorted(unknown)}")
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def configured(self) -> tuple[str, ...]:
        """The faults this proxy may inject: those with a probability above 0 or scripted."""
        return tuple(
            name for name, p in self.faults.kinds() if p > 0 or name in self.faults.first_sends
        )

    def missing(self) -> list[str]:
        """The configured faults that were never injected: a test asserts this is empty, so a
        run whose requests all happened to pass cleanly cannot claim to have survived them."""
        return [name for name in self.configured() if self.counts[name] == 0]

    def _pick(self, method: str) -> str:
        script = self.faults.first_sends
        if method == "eth_sendRawTransaction" and self._scripted < len(script):
            self._scripted += 1
            return script[self._scripted - 1]
        roll = self._rng.random()
        for name, p in self.faults.kinds():
            if roll < p:
                return name
            roll -= p
        return "ok"

    def _reset(self, request: web.Request) -> web.Response:
        transport = request.transport
        if transport is not None:
            transport.abort()  # RST, not a graceful close
        raise ConnectionResetError("fault proxy: reset")

    async def _forward(self, body: bytes) -> bytes:
        assert self._session is not None
        async with self._session.post(
            self.upstream, data=body, headers={"content-type": "application/json"}
        ) as upstream:
            return await upstream.read()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            method = str((await request.json()).get("method"))
        except Exception:
            method = "?"
        self.methods[method] += 1
        fault = self._pick(method)
        self.counts[fault] += 1
        if method == "eth_sendRawTransaction":
            self.counts[f"{fault}:send"] += 1
        if fault == "drop":
            await asyncio.sleep(self.faults.drop_s)
            return self._reset(request)
        if fault == "too_many":
            return web.Response(status=429, text="rate limited")
        if fault == "server_error":
            return web.Response(status=500, text="internal error")
        if fault == "reset":
            return self._reset(request)
        if fault == "delay":
            await asyncio.sleep(self._rng.uniform(0, self.faults.max_delay_s))
        answer = await self._forward(body)
        if fault == "after_forward":
            if self._rng.random() < 0.5:
                return web.Response(status=500, text="lost after forwarding")
            return self._reset(request)
        return web.Response(body=answer, content_type="application/json")
