"""Vectorized OHLCV rollup for bulk history: millions of ticks in a few numpy passes.

Ticks come as arrays: times as int64 nanoseconds since the Unix epoch (or ``datetime64``),
prices and sizes as float64, in time order. Candles use the same buckets as
:class:`zippifi.market.candles.CandleBuilder` (epoch-aligned, ``[start, start + interval)``,
empty buckets omitted). Open, high, low and close are the ticks' own values, bit for bit;
volume is numpy's float64 sum of the bucket's sizes (``np.add.reduceat``, whose summation order
can differ from a left-to-right sum in the last bits). The exact Decimal path is
``CandleBuilder``.

How: one integer division gives each tick's bucket; since ticks are sorted, buckets are runs,
and their first indices feed ``ufunc.reduceat`` for high, low and volume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zippifi.errors import InvalidInputError
from zippifi.market.candles import check_intervals

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class CandleArrays:
    """One row per non-empty bucket, oldest first; ``ts`` is the open time in epoch ns."""

    interval_s: int
    ts: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64
    trades: I64

    def __len__(self) -> int:
        return len(self.ts)


def _times(ts: npt.ArrayLike) -> I64:
    arr = np.asarray(ts)
    if np.issubdtype(arr.dtype, np.datetime64):
        arr = arr.astype("datetime64[ns]").view(np.int64)
    elif not np.issubdtype(arr.dtype, np.integer):
        raise InvalidInputError(
            f"ts must be int64 epoch nanoseconds or datetime64, got dtype {arr.dtype}"
        )
    return np.ascontiguousarray(arr, dtype=np.int64)


def _values(values: npt.ArrayLike, name: str, n: int) -> F64:
    try:
        arr = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name}: not an array of numbers: {exc}") from None
    if arr.ndim != 1 or len(arr) != n:
        raise InvalidInputError(f"{name} must be 1-D with {n} items like ts, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise InvalidInputError(f"{name}[{bad}] is not finite: {arr[bad]}")
    return arr


def _validated(
    ts: npt.ArrayLike, price: npt.ArrayLike, size: npt.ArrayLike | None
) -> tuple[I64, F64, F64 | None]:
    times = _times(ts)
    if times.ndim != 1:
        raise InvalidInputError(f"ts must be 1-D, got shape {times.shape}")
    n = len(times)
    prices = _values(price, "price", n)
    sizes = None if size is None else _values(size, "size", n)
    if n > 1:
        back = times[1:] < times[:-1]
        if back.any():
            i = int(np.flatnonzero(back)[0]) + 1
            raise InvalidInputError(
                f"ts must be in time order: ts[{i}]={times[i]} < ts[{i - 1}]={times[i - 1]}"
            )
    if (prices <= 0).any():
        i = int(np.flatnonzero(prices <= 0)[0])
        raise InvalidInputError(f"price[{i}] must be > 0, got {prices[i]}")
    if sizes is not None and (sizes < 0).any():
        i = int(np.flatnonzero(sizes < 0)[0])
        raise InvalidInputError(f"size[{i}] must be >= 0, got {sizes[i]}")
    return times, prices, sizes


def _rollup(times: I64, prices: F64, sizes: F64 | None, interval_s: int) -> CandleArrays:
    width = interval_s * NS_PER_S
    n = len(times)
    if n == 0:
        empty_f, empty_i = np.empty(0, np.float64), np.empty(0, np.int64)
        return CandleArrays(interval_s, empty_i, empty_f, empty_f, empty_f, empty_f, empty_f,
                            empty_i)  # fmt: skip
    bucket = times // width  # floor division: right for times before 1970 too
    starts = np.flatnonzero(bucket[1:] != bucket[:-1]) + 1
    starts = np.concatenate((np.zeros(1, np.int64), starts))
    ends = np.append(starts[1:], n)
    volume = (
        np.add.reduceat(sizes, starts) if sizes is not None else np.zeros(len(starts), np.float64)
    )
    return CandleArrays(
        interval_s=interval_s,
        ts=bucket[starts] * width,
        open=prices[starts],
        high=np.maximum.reduceat(prices, starts),
        low=np.minimum.reduceat(prices, starts),
        close=prices[ends - 1],
        volume=volume,
        trades=(ends - starts).astype(np.int64),
    )


def rollup(
    ts: npt.ArrayLike, price: npt.ArrayLike, size: npt.ArrayLike | None, interval_s: int
) -> CandleArrays:
    """Candles of ``interval_s`` seconds from time-ordered ticks (``size`` None: volume 0)."""
    (interval,) = check_intervals([interval_s])
    times, prices, sizes = _validated(ts, price, size)
    return _rollup(times, prices, sizes, interval)


def _coarsen(fine: CandleArrays, interval_s: int) -> CandleArrays:
    """Candles of ``interval_s`` from finer candles whose interval divides it: the same buckets
    as rolling the ticks up directly, at the cost of the (far fewer) fine candles."""
    width = interval_s * NS_PER_S
    if len(fine) == 0:
        return _rollup(fine.ts, fine.open, None, interval_s)
    bucket = fine.ts // width
    starts = np.flatnonzero(bucket[1:] != bucket[:-1]) + 1
    starts = np.concatenate((np.zeros(1, np.int64), starts))
    ends = np.append(starts[1:], len(fine))
    return CandleArrays(
        interval_s=interval_s,
        ts=bucket[starts] * width,
        open=fine.open[starts],
        high=np.maximum.reduceat(fine.high, starts),
        low=np.minimum.reduceat(fine.low, starts),
        close=fine.close[ends - 1],
        volume=np.add.reduceat(fine.volume, starts),
        trades=np.add.reduceat(fine.trades, starts),
    )


def rollup_many(
    ts: npt.ArrayLike, price: npt.ArrayLike, size: npt.ArrayLike | None, intervals_s: Sequence[int]
) -> dict[int, CandleArrays]:
    """:func:`rollup` for several intervals, validating the ticks once. An interval that is a
    multiple of a smaller one is built from that one's candles (open/high/low/close and counts
    are identical to a direct rollup; volume is summed in another order)."""
    intervals = check_intervals(intervals_s)
    times, prices, sizes = _validated(ts, price, size)
    out: dict[int, CandleArrays] = {}
    for interval in sorted(intervals):
        finer = [i for i in out if interval % i == 0]
        if finer:
            out[interval] = _coarsen(out[max(finer)], interval)
        else:
            out[interval] = _rollup(times, prices, sizes, interval)
    return {i: out[i] for i in intervals}


__all__ = ["CandleArrays", "rollup", "rollup_many"]
