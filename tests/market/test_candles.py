"""Candles: the streaming Decimal builder and the vectorized numpy rollup, each against pandas'
own resampling (``resample(origin="epoch")``, first/max/min/last/sum/count per bucket: a
reference nobody here wrote) and against a straightforward pure-Python rollup written here
(group ticks by epoch-aligned bucket with a dict), with hypothesis drawing the ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zippifi.errors import InvalidInputError
from zippifi.market import CandleBuilder, bucket_start, rollup, rollup_many
from zippifi.store import Candle

T0_NS = 1_717_000_000_123_456_789  # mid-2024, deliberately not on a bucket boundary


def reference_rollup(
    ticks: list[tuple[int, Any, Any]], interval_s: int
) -> list[tuple[int, Any, Any, Any, Any, Any, int]]:
    """(open_ns, open, high, low, close, volume, trades) per non-empty bucket, oldest first."""
    width = interval_s * 1_000_000_000
    buckets: dict[int, list[tuple[Any, Any]]] = {}
    for t, price, size in ticks:
        buckets.setdefault((t // width) * width, []).append((price, size))
    out = []
    for start in sorted(buckets):
        rows = buckets[start]
        prices = [p for p, _ in rows]
        volume = rows[0][1] * 0
        for _, s in rows:
            volume += s
        out.append((start, prices[0], max(prices), min(prices), prices[-1], volume, len(rows)))
    return out


def pandas_rollup(
    ts_ns: list[int], prices: list[Any], sizes: list[Any], interval_s: int, *, resample: bool = True
) -> list[tuple[int, Any, Any, Any, Any, Any, int]]:
    """The same rows as :func:`reference_rollup`, by pandas: ``resample`` with epoch-aligned
    buckets closed and labelled on the left, empty buckets (count 0) dropped; or, with
    ``resample=False``, ``groupby`` on the times floored to the interval (also epoch-aligned),
    which makes no empty buckets: for Decimal (object) columns, where resampling three hours
    into 1 s buckets costs half a second per example."""
    frame = pd.DataFrame(
        {"price": prices, "size": sizes}, index=pd.to_datetime(ts_ns, unit="ns", utc=True)
    )
    freq = f"{interval_s}s"
    buckets = (
        frame.resample(freq, origin="epoch", closed="left", label="left")
        if resample
        else frame.groupby(frame.index.floor(freq))
    )
    out = buckets.agg(
        open=("price", "first"), high=("price", "max"), low=("price", "min"),
        close=("price", "last"), volume=("size", "sum"), trades=("price", "count"),
    )  # fmt: skip
    out = out[out["trades"] > 0]
    starts = out.index.as_unit("ns").asi8.tolist()
    return [
        (start, row.open, row.high, row.low, row.close, row.volume, int(row.trades))
        for start, row in zip(starts, out.itertuples(index=False), strict=True)
    ]


# Times: sorted offsets (ties allowed) around T0, some negative epoch values too; sizes are
# multiples of 1/256 below 2**20, so every float sum of them is exact in any order.
TIMES = st.lists(st.integers(-(10**12), 4 * 3600 * 10**9), min_size=0, max_size=300).map(sorted)
INTERVALS = st.sampled_from([1, 5, 60, 300, 3600, 86400])


@st.composite
def float_ticks(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    offsets = draw(TIMES)
    n = len(offsets)
    prices = draw(
        st.lists(
            st.floats(1e-6, 1e9, allow_nan=False, allow_infinity=False), min_size=n, max_size=n
        )
    )
    sizes = draw(st.lists(st.integers(0, 2**28), min_size=n, max_size=n))
    ts = np.array([T0_NS + o for o in offsets], dtype=np.int64)
    return ts, np.array(prices, dtype=np.float64), np.array(sizes, dtype=np.float64) / 256


@given(ticks=float_ticks(), interval=INTERVALS)
def test_rollup_equals_pure_python(ticks: tuple[np.ndarray, ...], interval: int) -> None:
    ts, price, size = ticks
    got = rollup(ts, price, size, interval)
    want = reference_rollup(
        list(zip(ts.tolist(), price.tolist(), size.tolist(), strict=True)), interval
    )
    assert len(got) == len(want)
    rows = list(
        zip(
            got.ts.tolist(), got.open.tolist(), got.high.tolist(), got.low.tolist(),
            got.close.tolist(), got.volume.tolist(), got.trades.tolist(), strict=True,
        )
    )  # fmt: skip
    assert rows == want
    assert got.trades.sum() == len(ts)


@given(ticks=float_ticks(), interval=INTERVALS)
def test_rollup_equals_pandas_resample(ticks: tuple[np.ndarray, ...], interval: int) -> None:
    ts, price, size = ticks
    got = rollup(ts, price, size, interval)
    rows = list(
        zip(
            got.ts.tolist(), got.open.tolist(), got.high.tolist(), got.low.tolist(),
            got.close.tolist(), got.volume.tolist(), got.trades.tolist(), strict=True,
        )
    )  # fmt: skip
    assert rows == pandas_rollup(ts.tolist(), price.tolist(), size.tolist(), interval)


@given(ticks=float_ticks())
def test_rollup_many_equals_one_interval_at_a_time(ticks: tuple[np.ndarray, ...]) -> None:
    ts, price, size = ticks
    many = rollup_many(ts, price, size, [1, 60, 3600])
    for interval, arrays in many.items():
        one = rollup(ts, price, size, interval)
        for field in ("ts", "open", "high", "low", "close", "volume", "trades"):
            assert np.array_equal(getattr(arrays, field), getattr(one, field))


def test_rollup_accepts_datetime64_and_no_sizes() -> None:
    ts = np.array(["2024-05-01T00:00:59.9", "2024-05-01T00:01:00", "2024-05-01T00:01:30"],
                  dtype="datetime64[ms]")  # fmt: skip
    out = rollup(ts, [10.0, 11.0, 9.0], None, 60)
    opens = np.array(["2024-05-01T00:00", "2024-05-01T00:01"], dtype="datetime64[ns]")
    assert out.ts.tolist() == opens.view(np.int64).tolist()
    assert out.open.tolist() == [10.0, 11.0]
    assert out.low.tolist() == [10.0, 9.0]
    assert out.volume.tolist() == [0.0, 0.0]
    assert out.trades.tolist() == [1, 2]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([2, 1], [1.0, 1.0], None, 60), r"time order: ts\[1\]=1 < ts\[0\]=2"),
        (([1, 2], [1.0], None, 60), "price must be 1-D with 2 items"),
        (([1, 2], [1.0, float("nan")], None, 60), r"price\[1\] is not finite"),
        (([1, 2], [1.0, 0.0], None, 60), r"price\[1\] must be > 0"),
        (([1, 2], [1.0, 2.0], [1.0, -1.0], 60), r"size\[1\] must be >= 0"),
        (([1, 2], [1.0, 2.0], None, 0), "positive int"),
        (([1.5, 2.5], [1.0, 2.0], None, 60), "epoch nanoseconds"),
        (([1, 2], ["a", "b"], None, 60), "not an array of numbers"),
    ],
)
def test_rollup_rejects_bad_input(args: tuple[Any, ...], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        rollup(*args)


# --- the streaming, exact builder ---------------------------------------------------------

DEC_PRICES = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(10**9), places=8)
DEC_SIZES = st.one_of(st.none(), st.decimals(min_value=0, max_value=Decimal(10**6), places=8))


INTERVALS_BUILT = [1, 60, 300, 3600]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
OFFSETS_US = st.lists(st.integers(0, 3 * 3600 * 10**6), max_size=200).map(sorted)


def built(
    offsets: list[int], data: st.DataObject
) -> tuple[list[Candle], list[tuple[int, Decimal, Decimal]]]:
    """Decimal ticks at ``offsets`` (µs) fed to a CandleBuilder of INTERVALS_BUILT: the candles
    it emitted (flushed at the end) and the ticks as (epoch ns, price, size or 0)."""
    t0 = datetime(2024, 5, 1, 11, 59, 58, 123456, tzinfo=UTC)
    ticks = [
        (t0 + timedelta(microseconds=o), data.draw(DEC_PRICES), data.draw(DEC_SIZES))
        for o in offsets
    ]
    builder = CandleBuilder("binance", "ETH/USDC", INTERVALS_BUILT)
    emitted: list[Candle] = []
    for ts, price, size in ticks:
        closed = builder.add(ts, price, size)
        # a candle closes exactly when a tick of a later bucket of its interval arrives
        for c in closed:
            assert c.ts < bucket_start(ts, c.interval_s)
        emitted += closed
    emitted += builder.flush()
    assert builder.open_candles() == []
    for c in emitted:
        assert (c.source, c.pair) == ("binance", "ETH/USDC")
    as_ns = [
        ((ts - EPOCH) // timedelta(microseconds=1) * 1000, p, Decimal(0) if s is None else s)
        for ts, p, s in ticks
    ]
    return emitted, as_ns


def rows_of(emitted: list[Candle], interval: int) -> list[tuple[Any, ...]]:
    return [
        (
            (c.ts - EPOCH) // timedelta(microseconds=1) * 1000,
            c.open, c.high, c.low, c.close, c.volume, c.trades,
        )
        for c in emitted
        if c.interval_s == interval
    ]  # fmt: skip


@given(offsets=OFFSETS_US, data=st.data())
def test_builder_equals_pure_python_exactly(offsets: list[int], data: st.DataObject) -> None:
    emitted, as_ns = built(offsets, data)
    for interval in INTERVALS_BUILT:
        assert rows_of(emitted, interval) == reference_rollup(as_ns, interval)


# pandas on object (Decimal) columns costs ~30 ms an example: fewer examples than the profile's
@settings(max_examples=100)
@given(offsets=OFFSETS_US, data=st.data())
def test_builder_equals_pandas_exactly(offsets: list[int], data: st.DataObject) -> None:
    emitted, as_ns = built(offsets, data)
    times, prices, sizes = (list(c) for c in zip(*as_ns, strict=True)) if as_ns else ([], [], [])
    for interval in INTERVALS_BUILT:
        want = pandas_rollup(times, prices, sizes, interval, resample=False)
        assert rows_of(emitted, interval) == want


def test_builder_closes_on_a_later_bucket_and_keeps_order() -> None:
    b = CandleBuilder("pool", "ETH/USDC", [60, 1])
    assert b.intervals_s == (60, 1)
    t = datetime(2024, 5, 1, 0, 0, 0, tzinfo=timezone(timedelta(hours=2)))  # aware, not UTC
    assert b.add(t, Decimal("10.5"), Decimal(1)) == []
    assert b.add(t, Decimal("11"), Decimal(2)) == []  # same instant is fine
    closed = b.add(t + timedelta(seconds=1), Decimal("9"))
    assert [c.interval_s for c in closed] == [1]
    assert closed[0].ts == datetime(2024, 4, 30, 22, 0, tzinfo=UTC)
    assert (closed[0].open, closed[0].high, closed[0].low, closed[0].close) == (
        Decimal("10.5"), Decimal(11), Decimal("10.5"), Decimal(11)
    )  # fmt: skip
    assert closed[0].volume == Decimal(3)
    assert closed[0].trades == 2
    with pytest.raises(InvalidInputError, match="older than the last"):
        b.add(t, Decimal(1))
    open_before = b.open_candles()
    with pytest.raises(InvalidInputError, match="price"):
        b.add(t + timedelta(seconds=5), Decimal(-1))
    with pytest.raises(InvalidInputError, match="size"):
        b.add(t + timedelta(seconds=5), Decimal(1), Decimal(-1))
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        b.add(datetime(2024, 5, 1), Decimal(1))
    assert b.open_candles() == open_before  # refused ticks changed nothing


@pytest.mark.parametrize(
    ("intervals", "match"),
    [([], "empty"), ([0], "positive"), ([60, 60], "distinct"), ([1.5], "positive")],
)
def test_builder_rejects_bad_intervals(intervals: list[Any], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        CandleBuilder("s", "p", intervals)
