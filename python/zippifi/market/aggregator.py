"""One pair's market view: merges its sources (CEX books, pool prices, oracle rounds), tracks
how fresh each is, rolls every source -- and the merged price -- into OHLCV candles, runs the
anomaly detectors and persists ticks and candles through :class:`zippifi.store` 's market
repository.

The merged price is the median of the sources that are fresh at the moment of the update
(Decimal, exact; the mean of the two middle ones for an even count), recorded as ticks of the
source ``"merged"``. A source is stale when its latest quote is older than its
``stale_after_s``. Times are the quotes' own (exchange event time, block time, oracle
``updatedAt``), so replaying history gives the same candles as running live.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from zippifi.errors import InvalidInputError
from zippifi.market.anomaly import AnomalyEvent, AnomalyMonitor
from zippifi.market.book import LocalOrderBook
from zippifi.market.candles import CandleBuilder, check_intervals
from zippifi.settings import AnomalySettings, MarketSettings
from zippifi.store import Candle, MarketRepository, Tick

SourceKind = Literal["cex", "pool", "oracle"]
MERGED = "merged"


@dataclass(frozen=True, slots=True)
class SourceStatus:
    source: str
    kind: SourceKind
    ts: datetime
    price: Decimal
    age_s: float
    stale: bool


@dataclass(frozen=True, slots=True)
class PairView:
    pair: str
    at: datetime
    price: Decimal | None  # median of the fresh sources; None when none is fresh
    sources: Mapping[str, SourceStatus]

    @property
    def fresh(self) -> tuple[str, ...]:
        return tuple(name for name, s in self.sources.items() if not s.stale)


@dataclass(slots=True)
class _Latest:
    kind: SourceKind
    tick: Tick


def _aware(ts: object) -> datetime:
    if not isinstance(ts, datetime) or ts.tzinfo is None or ts.utcoffset() is None:
        raise InvalidInputError(f"time must be a timezone-aware datetime, got {ts!r}")
    return ts


def _price(value: object, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise InvalidInputError(f"{what} must be a finite Decimal > 0, got {value!r}")
    return value


class PairAggregator:
    """Sources are registered on first use with their kind; a name keeps its kind."""

    def __init__(
        self,
        pair: str,
        *,
        intervals_s: Sequence[int] = (1, 60, 300, 3600),
        stale_after_s: float = 30.0,
        stale_after_by_source: Mapping[str, float] | None = None,
        anomaly: AnomalySettings | None = None,
        repository: MarketRepository | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not pair:
            raise InvalidInputError("pair must not be empty")
        if not stale_after_s > 0:
            raise InvalidInputError(f"stale_after_s must be > 0, got {stale_after_s}")
        self.pair = pair
        self.intervals_s = check_intervals(intervals_s)
        self.stale_after_s = stale_after_s
        self.stale_after_by_source = dict(stale_after_by_source or {})
        self.monitor = AnomalyMonitor(pair, anomaly)
        self.repository = repository
        self._clock = clock or (lambda: datetime.now(UTC))
        self._latest: dict[str, _Latest] = {}
        self._builders: dict[str, CandleBuilder] = {MERGED: self._builder(MERGED)}
        self._last_merged: datetime | None = None
        self._pending_ticks: list[Tick] = []
        self._pending_candles: list[Candle] = []
        self.events: list[AnomalyEvent] = []  # every event raised, oldest first

    @classmethod
    def from_settings(
        cls, pair: str, settings: MarketSettings, repository: MarketRepository | None = None
    ) -> PairAggregator:
        return cls(
            pair,
            intervals_s=settings.candle_intervals_s,
            stale_after_s=settings.source_stale_after_s,
            anomaly=settings.anomaly,
            repository=repository,
        )

    def _builder(self, source: str) -> CandleBuilder:
        return CandleBuilder(source, self.pair, self.intervals_s)

    # --- inputs -------------------------------------------------------------------------

    def on_quote(
        self,
        source: str,
        kind: SourceKind,
        ts: datetime,
        price: Decimal,
        *,
        bid: Decimal | None = None,
        ask: Decimal | None = None,
        size: Decimal | None = None,
        liquidity: Decimal | int | None = None,
    ) -> list[AnomalyEvent]:
        """One price from one source; returns the anomaly events it raised."""
        if kind not in ("cex", "pool", "oracle"):
            raise InvalidInputError(f"source kind must be cex, pool or oracle, got {kind!r}")
        if not source or source == MERGED:
            raise InvalidInputError(f"source name must be non-empty and not {MERGED!r}")
        _aware(ts)
        _price(price, f"{source} price")
        if liquidity is not None and (
            isinstance(liquidity, bool)
            or not isinstance(liquidity, Decimal | int)
            or not Decimal(liquidity).is_finite()
            or liquidity < 0
        ):
            raise InvalidInputError(
                f"{source} liquidity must be a Decimal or int >= 0: {liquidity!r}"
            )
        latest = self._latest.get(source)
        if latest is not None and latest.kind != kind:
            raise InvalidInputError(f"source {source!r} is a {latest.kind} source, not {kind}")
        if latest is not None and ts < latest.tick.ts:
            raise InvalidInputError(
                f"{source} quote at {ts.isoformat()} is older than its last one "
                f"at {latest.tick.ts.isoformat()}"
            )
        if latest is not None and latest.tick.ts == ts and latest.tick.price == price:
            return []  # the same reading again (an oracle polled twice): nothing new
        tick = Tick(ts, source, self.pair, price, bid, ask, size)
        builder = self._builders.get(source) or self._builder(source)
        self._pending_candles += builder.add(ts, price, size)  # validates before changing
        self._builders[source] = builder
        self._latest[source] = _Latest(kind, tick)
        self._pending_ticks.append(tick)
        events = self.monitor.on_price(ts, source, price)
        if liquidity is not None:
            events += self.monitor.on_liquidity(ts, source, liquidity)
        events += self._oracle_checks(ts, source, kind)
        self._merge(ts)
        self.events += events
        return events

    def on_book(
        self, source: str, ts: datetime, book: LocalOrderBook, *, depth_bps: int = 100
    ) -> list[AnomalyEvent]:
        """A CEX book: its mid as the price, best bid/ask, and as liquidity the quote value
        resting within ``depth_bps`` of the mid on both sides."""
        mid = book.mid()
        if mid is None:
            return []
        best_bid, best_ask = book.best_bid(), book.best_ask()
        assert best_bid is not None
        assert best_ask is not None
        band = mid * depth_bps / 10_000
        depth = sum((p * s for p, s in book.bids() if p >= mid - band), Decimal(0)) + sum(
            (p * s for p, s in book.asks() if p <= mid + band), Decimal(0)
        )
        return self.on_quote(
            source, "cex", ts, mid, bid=best_bid[0], ask=best_ask[0], liquidity=depth
        )

    def on_pool(
        self, source: str, ts: datetime, price: Decimal, liquidity: Decimal | int | None = None
    ) -> list[AnomalyEvent]:
        return self.on_quote(source, "pool", ts, price, liquidity=liquidity)

    def on_oracle(self, source: str, ts: datetime, price: Decimal) -> list[AnomalyEvent]:
        return self.on_quote(source, "oracle", ts, price)

    def _stale_after(self, source: str) -> float:
        return self.stale_after_by_source.get(source, self.stale_after_s)

    def _fresh(self, now: datetime, kind: SourceKind | None = None) -> list[Tick]:
        out = []
        for name, latest in self._latest.items():
            if kind is not None and latest.kind != kind:
                continue
            age = (now - latest.tick.ts).total_seconds()
            if age <= self._stale_after(name):
                out.append(latest.tick)
        return out

    def _oracle_checks(self, ts: datetime, source: str, kind: SourceKind) -> list[AnomalyEvent]:
        """Pool vs oracle deviation, whenever either side moves and the other is fresh."""
        if kind == "pool":
            pools = [self._latest[source].tick]
            oracles = self._fresh(ts, "oracle")
        elif kind == "oracle":
            pools = self._fresh(ts, "pool")
            oracles = [self._latest[source].tick]
        else:
            return []
        events: list[AnomalyEvent] = []
        for pool in pools:
            for oracle in oracles:
                events += self.monitor.on_oracle_and_pool(ts, pool.source, oracle.price,
                                                          pool.price)  # fmt: skip
        return events

    def _merge(self, ts: datetime) -> None:
        # merged candles need time order; a source reporting a little late joins at the
        # latest time already merged
        at = ts if self._last_merged is None or ts > self._last_merged else self._last_merged
        price = _median([t.price for t in self._fresh(at)])
        if price is None:
            return
        self._last_merged = at
        self._pending_candles += self._builders[MERGED].add(at, price)

    # --- reads --------------------------------------------------------------------------

    def view(self, now: datetime | None = None) -> PairView:
        at = _aware(now) if now is not None else self._clock()
        sources = {}
        for name, latest in self._latest.items():
            age = (at - latest.tick.ts).total_seconds()
            sources[name] = SourceStatus(
                name, latest.kind, latest.tick.ts, latest.tick.price, age,
                age > self._stale_after(name),
            )  # fmt: skip
        fresh = [s.price for s in sources.values() if not s.stale]
        return PairView(self.pair, at, _median(fresh), sources)

    def open_candles(self) -> list[Candle]:
        return [c for b in self._builders.values() for c in b.open_candles()]

    @property
    def pending(self) -> tuple[int, int]:
        """(ticks, candles) waiting to be persisted."""
        return len(self._pending_ticks), len(self._pending_candles)

    def take_pending(self, *, close_open: bool = False) -> tuple[list[Tick], list[Candle]]:
        """Hand over what is waiting (``close_open``: close every open candle first)."""
        if close_open:
            for builder in self._builders.values():
                self._pending_candles += builder.flush()
        ticks, candles = self._pending_ticks, self._pending_candles
        self._pending_ticks, self._pending_candles = [], []
        return ticks, candles

    async def persist(self, *, close_open: bool = False) -> tuple[int, int]:
        """Write the waiting ticks and closed candles to the repository; with ``close_open``
        (a flush), close the open candles first. If the write fails, nothing is lost: the
        rows wait for the next call."""
        if self.repository is None:
            raise InvalidInputError(f"{self.pair}: no market repository to persist to")
        ticks, candles = self.take_pending(close_open=close_open)
        try:
            n_ticks = await self.repository.insert_ticks(ticks)
        except BaseException:
            self._pending_ticks[:0] = ticks
            self._pending_candles[:0] = candles
            raise
        try:  # candles are upserts: retrying them later is harmless
            n_candles = await self.repository.upsert_candles(candles)
        except BaseException:
            self._pending_candles[:0] = candles
            raise
        return n_ticks, n_candles

    async def flush(self) -> tuple[int, int]:
        return await self.persist(close_open=True)


def _median(prices: list[Decimal]) -> Decimal | None:
    if not prices:
        return None
    low, high = statistics.median_low(prices), statistics.median_high(prices)
    return low if low == high else (low + high) / 2


__all__ = ["MERGED", "PairAggregator", "PairView", "SourceKind", "SourceStatus"]
