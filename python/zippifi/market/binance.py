"""Binance spot order book over aiohttp: the REST depth snapshot plus the diff depth stream.

Wire format (Binance spot API docs):

* ``GET {rest}/api/v3/depth?symbol=BTCUSDT&limit=N`` ->
  ``{"lastUpdateId": 1027024, "bids": [["4.00000000", "431.00000000"]], "asks": [...]}``
* ``{ws}/ws/btcusdt@depth@100ms`` (or ``@depth``, 1000 ms) pushes
  ``{"e": "depthUpdate", "E": ms, "s": "BTCUSDT", "U": first, "u": final, "b": [...], "a": [...]}``;
  a combined-stream connection wraps it as ``{"stream": ..., "data": {...}}``.

Prices and sizes are decimal strings and stay exact (:class:`~decimal.Decimal`). The sequence
rules live in :mod:`zippifi.market.depth_sync`; :class:`BinanceDepthFeed` connects, buffers,
snapshots, resyncs on gaps and reconnects with exponential backoff when the connection drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp

from zippifi.errors import (
    InvalidInputError,
    MalformedMarketDataError,
    MarketDataError,
    OrderBookSyncError,
)
from zippifi.log import get_logger
from zippifi.market.book import Level, LocalOrderBook
from zippifi.market.depth_sync import (
    DepthEvent,
    DepthSnapshot,
    DepthSynchronizer,
    Outcome,
    SyncState,
)
from zippifi.settings import MarketSettings

log = get_logger(__name__)

MAX_DEPTH_LIMIT = 5000


# --- parsing ------------------------------------------------------------------------------


def _decimal(value: object, what: str) -> Decimal:
    # Decimal strings only: a JSON number would already have been through a float.
    if not isinstance(value, str):
        raise MalformedMarketDataError(f"{what} must be a decimal string, got {value!r}")
    try:
        dec = Decimal(value)
    except InvalidOperation:
        raise MalformedMarketDataError(f"{what} is not a decimal number: {value!r}") from None
    if not dec.is_finite():
        raise MalformedMarketDataError(f"{what} must be finite, got {value!r}")
    return dec


def _levels(raw: object, what: str) -> tuple[Level, ...]:
    if not isinstance(raw, list):
        raise MalformedMarketDataError(f"{what} must be a list of [price, quantity], got {raw!r}")
    out = []
    for i, entry in enumerate(raw):
        # Old payloads carried a third, ignored element; only the first two mean anything.
        if not isinstance(entry, list) or len(entry) < 2:
            raise MalformedMarketDataError(f"{what}[{i}] must be [price, quantity]: {entry!r}")
        price = _decimal(entry[0], f"{what}[{i}] price")
        size = _decimal(entry[1], f"{what}[{i}] quantity")
        if price <= 0:
            raise MalformedMarketDataError(f"{what}[{i}] price must be > 0, got {entry[0]!r}")
        if size < 0:
            raise MalformedMarketDataError(f"{what}[{i}] quantity must be >= 0: {entry[1]!r}")
        out.append((price, size))
    return tuple(out)


def _int(doc: dict[str, Any], key: str, what: str) -> int:
    value = doc.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MalformedMarketDataError(f"{what} field {key!r} must be an int >= 0, got {value!r}")
    return value


def _object(raw: str | bytes | dict[str, Any], what: str) -> dict[str, Any]:
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise MalformedMarketDataError(f"{what} is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise MalformedMarketDataError(f"{what} must be a JSON object, got {raw!r}")
    return raw


def parse_snapshot(raw: str | bytes | dict[str, Any]) -> DepthSnapshot:
    """The REST ``/api/v3/depth`` document."""
    doc = _object(raw, "depth snapshot")
    return DepthSnapshot(
        last_update_id=_int(doc, "lastUpdateId", "depth snapshot"),
        bids=_levels(doc.get("bids"), "snapshot bids"),
        asks=_levels(doc.get("asks"), "snapshot asks"),
    )


def parse_depth_event(raw: str | bytes | dict[str, Any]) -> DepthEvent:
    """One ``depthUpdate`` frame, raw or wrapped as a combined-stream ``{"stream", "data"}``."""
    doc = _object(raw, "depth event")
    if "stream" in doc and "data" in doc:
        doc = _object(doc["data"], "depth event data")
    if doc.get("e") != "depthUpdate":
        raise MalformedMarketDataError(f"not a depthUpdate event: e={doc.get('e')!r}")
    symbol = doc.get("s")
    if not isinstance(symbol, str) or not symbol:
        raise MalformedMarketDataError(f"depth event symbol 's' must be a string: {symbol!r}")
    first, final = _int(doc, "U", "depth event"), _int(doc, "u", "depth event")
    if first > final:
        raise MalformedMarketDataError(f"depth event has U={first} > u={final}")
    return DepthEvent(
        symbol=symbol,
        event_time_ms=_int(doc, "E", "depth event"),
        first_update_id=first,
        final_update_id=final,
        bids=_levels(doc.get("b"), "event bids"),
        asks=_levels(doc.get("a"), "event asks"),
    )


# --- the feed -----------------------------------------------------------------------------


@dataclass
class FeedStats:
    """Counters of what the feed has done since it was created."""

    connects: int = 0
    disconnects: int = 0
    snapshots: int = 0
    stale_snapshots: int = 0
    gaps: int = 0
    dropped: int = 0
    applied: int = 0
    malformed: int = 0


class _ConnectionClosedError(MarketDataError):
    pass


BookListener = Callable[[LocalOrderBook], None]


class BinanceDepthFeed:
    """A local, exact copy of one Binance spot order book.

    ``await feed.run()`` keeps it in sync until :meth:`stop` (or cancellation): it reconnects
    after any disconnect, malformed frame or failed snapshot, waiting ``reconnect_initial_s``
    then doubling up to ``reconnect_max_s`` (with jitter); a connection that reached sync resets
    the delay. ``listener`` is called with the book after every change while synced.
    """

    def __init__(
        self,
        symbol: str,
        *,
        rest_url: str = "https://api.binance.com",
        ws_url: str = "wss://stream.binance.com:9443",
        depth_limit: int = 1000,
        speed_ms: int = 100,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        max_stale_snapshots: int = 5,
        heartbeat_s: float | None = 30.0,
        session: aiohttp.ClientSession | None = None,
        listener: BookListener | None = None,
    ) -> None:
        if not symbol or not symbol.isalnum():
            raise InvalidInputError(f"symbol must be alphanumeric like BTCUSDT, got {symbol!r}")
        if not 1 <= depth_limit <= MAX_DEPTH_LIMIT:
            raise InvalidInputError(f"depth_limit must be 1..{MAX_DEPTH_LIMIT}, got {depth_limit}")
        if speed_ms not in (100, 1000):
            raise InvalidInputError(f"speed_ms must be 100 or 1000, got {speed_ms}")
        if not 0 < reconnect_initial_s <= reconnect_max_s:
            raise InvalidInputError(
                "reconnect delays must satisfy 0 < reconnect_initial_s <= reconnect_max_s, got "
                f"{reconnect_initial_s} and {reconnect_max_s}"
            )
        self.symbol = symbol.upper()
        self.depth_limit = depth_limit
        stream = f"{symbol.lower()}@depth" + ("@100ms" if speed_ms == 100 else "")
        self.stream_url = f"{ws_url.rstrip('/')}/ws/{stream}"
        self.snapshot_url = f"{rest_url.rstrip('/')}/api/v3/depth"
        self.reconnect_initial_s = reconnect_initial_s
        self.reconnect_max_s = reconnect_max_s
        self.max_stale_snapshots = max_stale_snapshots
        self.heartbeat_s = heartbeat_s
        self.stats = FeedStats()
        self._sync = DepthSynchronizer(self.symbol)
        self._session = session
        self._listeners: list[BookListener] = [listener] if listener else []
        self._want_snapshot = asyncio.Event()
        self._changed = asyncio.Condition()
        self._stopping = False
        self._delay = reconnect_initial_s
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.event_time_ms: int | None = None  # latest venue time (E) received

    @classmethod
    def from_settings(
        cls, symbol: str, settings: MarketSettings, **kwargs: Any
    ) -> BinanceDepthFeed:
        return cls(
            symbol,
            rest_url=settings.binance_rest_url,
            ws_url=settings.binance_ws_url,
            depth_limit=settings.depth_limit,
            speed_ms=settings.depth_speed_ms,
            reconnect_initial_s=settings.reconnect_initial_s,
            reconnect_max_s=settings.reconnect_max_s,
            **kwargs,
        )

    # --- reads --------------------------------------------------------------------------

    @property
    def book(self) -> LocalOrderBook:
        """The live book; read it only while :attr:`synced` (it is cleared on a gap)."""
        return self._sync.book

    @property
    def synced(self) -> bool:
        return self._sync.synced

    @property
    def state(self) -> SyncState:
        return self._sync.state

    @property
    def event_time(self) -> datetime | None:
        """The venue's time of the last event received (for stamping quotes from the book)."""
        ms = self.event_time_ms
        return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)

    def add_listener(self, listener: BookListener) -> None:
        self._listeners.append(listener)

    async def wait_until(
        self, predicate: Callable[[LocalOrderBook], bool], timeout: float | None = None
    ) -> LocalOrderBook:
        """Wait until the book is synced and ``predicate(book)`` holds."""

        def ready() -> bool:
            return self.synced and predicate(self.book)

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(ready)
        return self.book

    # --- running ------------------------------------------------------------------------

    async def run(self) -> None:
        own_session = self._session is None
        session = self._session or aiohttp.ClientSession()
        try:
            while not self._stopping:
                try:
                    await self._connection(session)
                except (aiohttp.ClientError, TimeoutError, MarketDataError) as exc:
                    if isinstance(exc, MalformedMarketDataError):
                        self.stats.malformed += 1
                    log.warning("depth feed disconnected", symbol=self.symbol, error=str(exc))
                self.stats.disconnects += 1
                self._sync.reset()
                await self._notify()
                if self._stopping:
                    break
                # full jitter keeps many clients from reconnecting in lockstep
                await asyncio.sleep(self._delay * (0.5 + random.random() / 2))  # noqa: S311
                self._delay = min(self._delay * 2, self.reconnect_max_s)
        finally:
            if own_session:
                await session.close()

    async def stop(self) -> None:
        """Close the connection and make :meth:`run` return."""
        self._stopping = True
        self._want_snapshot.set()
        if self._ws is not None:
            await self._ws.close()

    async def _connection(self, session: aiohttp.ClientSession) -> None:
        self._sync.reset()
        self._want_snapshot.clear()
        async with session.ws_connect(
            self.stream_url, heartbeat=self.heartbeat_s, autoping=True
        ) as ws:
            self._ws = ws
            self.stats.connects += 1
            log.info("depth feed connected", symbol=self.symbol, url=self.stream_url)
            reader = asyncio.create_task(self._read(ws))
            syncer = asyncio.create_task(self._snapshots(session))
            tasks = {reader, syncer}
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                self._ws = None
            for task in done:
                task.result()  # the failure that ended the connection

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if self._stopping:
                await ws.close()
                return
            if msg.type == aiohttp.WSMsgType.TEXT or msg.type == aiohttp.WSMsgType.BINARY:
                await self._on_frame(msg.data)
            elif msg.type == aiohttp.WSMsgType.ERROR:
                raise _ConnectionClosedError(f"websocket error: {ws.exception()}")
        if not self._stopping:
            raise _ConnectionClosedError(f"stream closed by the venue (code {ws.close_code})")

    async def _on_frame(self, data: str | bytes) -> None:
        doc = _object(data, "stream frame")
        if "result" in doc and "id" in doc:  # answer to a (un)subscribe request: not data
            return
        event = parse_depth_event(doc)
        if event.symbol.upper() != self.symbol:
            raise MalformedMarketDataError(
                f"depth event for {event.symbol!r} on the {self.symbol} stream"
            )
        # replays carry old times; the book's time only moves forward
        if self.event_time_ms is None or event.event_time_ms > self.event_time_ms:
            self.event_time_ms = event.event_time_ms
        outcome = self._sync.on_event(event)
        await self._count(outcome)
        if self._sync.needs_snapshot:
            self._want_snapshot.set()

    async def _snapshots(self, session: aiohttp.ClientSession) -> None:
        stale = 0
        while not self._stopping:
            await self._want_snapshot.wait()
            self._want_snapshot.clear()
            if self._stopping or not self._sync.needs_snapshot:
                continue
            snapshot = await self._fetch_snapshot(session)
            self.stats.snapshots += 1
            outcome = self._sync.on_snapshot(snapshot)
            if outcome is Outcome.STALE_SNAPSHOT:
                stale += 1
                self.stats.stale_snapshots += 1
                if stale > self.max_stale_snapshots:
                    raise OrderBookSyncError(
                        f"{self.symbol}: {stale} snapshots in a row were older than the stream"
                    )
                await asyncio.sleep(min(self.reconnect_initial_s * stale, self.reconnect_max_s))
                self._want_snapshot.set()
                continue
            stale = 0
            if self._sync.synced:
                self._delay = self.reconnect_initial_s  # this connection works
            await self._count(outcome)
            if self._sync.needs_snapshot:
                self._want_snapshot.set()

    async def _fetch_snapshot(self, session: aiohttp.ClientSession) -> DepthSnapshot:
        params = {"symbol": self.symbol, "limit": str(self.depth_limit)}
        async with session.get(self.snapshot_url, params=params) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise MarketDataError(
                    f"{self.symbol}: depth snapshot HTTP {resp.status}: {body[:200]!r}"
                )
        return parse_snapshot(body)

    async def _count(self, outcome: Outcome) -> None:
        stats, counts = self.stats, self._sync.counts
        stats.applied = counts[Outcome.APPLIED]
        stats.dropped = counts[Outcome.DROPPED]
        stats.gaps = counts[Outcome.GAP]
        if outcome is Outcome.GAP:
            log.info("depth feed gap, resyncing", symbol=self.symbol)
        if outcome in (Outcome.APPLIED, Outcome.WAITING, Outcome.GAP):
            if self.synced:
                for listener in self._listeners:
                    try:
                        listener(self.book)
                    except Exception as exc:  # a consumer's failure must not end the feed
                        log.warning(
                            "depth feed listener failed", symbol=self.symbol, error=repr(exc)
                        )
            await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


__all__ = [
    "BinanceDepthFeed",
    "BookListener",
    "FeedStats",
    "parse_depth_event",
    "parse_snapshot",
]
