"""Streaming OHLCV candles, exact: ticks of one (source, pair) roll into candles of several
intervals at once, in :class:`~decimal.Decimal`, as :class:`zippifi.store.Candle` rows.

A candle covers ``[open time, open time + interval)``, open times aligned to the Unix epoch
(UTC), so 1m candles start on the minute and 1h candles on the hour. A candle is closed when a
tick of a later bucket arrives, or by :meth:`CandleBuilder.flush`; buckets without ticks produce
no candle. Ticks must come in time order (equal times are fine): a late tick would rewrite a
candle that may already have been stored, so it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from zippifi.errors import InvalidInputError
from zippifi.store import Candle, Tick

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_ZERO = Decimal(0)


def epoch_us(ts: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float)."""
    if not isinstance(ts, datetime) or ts.tzinfo is None or ts.utcoffset() is None:
        raise InvalidInputError(f"tick time must be a timezone-aware datetime, got {ts!r}")
    return (ts - EPOCH) // _US


def bucket_start(ts: datetime, interval_s: int) -> datetime:
    """Open time of the ``interval_s`` candle that contains ``ts``."""
    us = epoch_us(ts)
    width = interval_s * 1_000_000
    return EPOCH + timedelta(microseconds=us - us % width)


@dataclass(slots=True)
class _Open:
    start_us: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trades: int


def check_intervals(intervals_s: Sequence[int]) -> tuple[int, ...]:
    out = tuple(intervals_s)
    if not out:
        raise InvalidInputError("candle intervals must not be empty")
    for interval in out:
        if not isinstance(interval, int) or isinstance(interval, bool) or interval <= 0:
            raise InvalidInputError(
                f"candle interval must be a positive int of seconds: {interval!r}"
            )
    if len(set(out)) != len(out):
        raise InvalidInputError(f"candle intervals must be distinct: {out}")
    return out


class CandleBuilder:
    """Candles of one (source, pair) for every interval in ``intervals_s``."""

    def __init__(self, source: str, pair: str, intervals_s: Sequence[int]) -> None:
        if not source or not pair:
            raise InvalidInputError(f"source and pair must not be empty: {source!r}, {pair!r}")
        self.source = source
        self.pair = pair
        self.intervals_s = check_intervals(intervals_s)
        self._open: dict[int, _Open] = {}
        self._last_us: int | None = None

    def add(self, ts: datetime, price: Decimal, size: Decimal | None = None) -> list[Candle]:
        """Add one tick; returns the candles it closed (oldest interval first)."""
        us = epoch_us(ts)
        if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
            raise InvalidInputError(f"tick price must be a finite Decimal > 0, got {price!r}")
        volume = _ZERO if size is None else size
        if not isinstance(volume, Decimal) or not volume.is_finite() or volume < 0:
            raise InvalidInputError(f"tick size must be a finite Decimal >= 0, got {size!r}")
        if self._last_us is not None and us < self._last_us:
            raise InvalidInputError(
                f"{self.source} {self.pair}: tick at {ts.isoformat()} is older than the last "
                f"one at {(EPOCH + timedelta(microseconds=self._last_us)).isoformat()}"
            )
        self._last_us = us
        closed = []
        for interval in self.intervals_s:
            start = us - us % (interval * 1_000_000)
            candle = self._open.get(interval)
            if candle is not None and candle.start_us == start:
                if price > candle.high:
                    candle.high = price
                elif price < candle.low:
                    candle.low = price
                candle.close = price
                candle.volume += volume
                candle.trades += 1
                continue
            if candle is not None:
                closed.append(self._candle(interval, candle))
            self._open[interval] = _Open(start, price, price, price, price, volume, 1)
        return closed

    def add_tick(self, tick: Tick) -> list[Candle]:
        return self.add(tick.ts, tick.price, tick.size)

    def open_candles(self) -> list[Candle]:
        """The candles still open, as they stand (for showing or provisional storage)."""
        return [self._candle(i, c) for i, c in sorted(self._open.items())]

    def flush(self) -> list[Candle]:
        """Close and return every open candle."""
        out = self.open_candles()
        self._open.clear()
        return out

    def _candle(self, interval: int, c: _Open) -> Candle:
        return Candle(
            source=self.source,
            pair=self.pair,
            interval_s=interval,
            ts=EPOCH + timedelta(microseconds=c.start_us),
            open=c.open,
            high=c.high,
            low=c.low,
            close=c.close,
            volume=c.volume,
            trades=c.trades,
        )


__all__ = ["EPOCH", "CandleBuilder", "bucket_start", "check_intervals", "epoch_us"]
