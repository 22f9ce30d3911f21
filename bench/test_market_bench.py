"""OHLCV rollup of 10,000,000 ticks (times ZIPPIFI_BENCH_SCALE): zippifi.market.rollup against
the peer a user would otherwise pick, pandas ``resample().ohlc()``, same ticks, same run.

zippifi builds the coarser intervals from the finer candles (``rollup_many``); pandas resamples
the ticks once per interval, as its users do.

Ticks: one pair, a random walk rounded to cents, random sizes, time gaps averaging 10 ms (so
10M ticks span ~28 hours). Two workloads: 1-minute candles, and the four intervals the monitor
keeps (1s, 1m, 5m, 1h). Both sides produce open/high/low/close, volume and the tick count per
candle from arrays already in memory (numpy arrays for zippifi, a Series with a DatetimeIndex
for pandas, built outside the timed region); each row checks that the two agree.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bench.conftest import ROUNDS, scaled
from zippifi.market import CandleArrays, rollup, rollup_many

N_TICKS = scaled(10_000_000)
INTERVALS = (1, 60, 300, 3600)
T0_NS = 1_714_521_600_000_000_000  # 2024-05-01T00:00:00Z


@functools.cache
def _ticks() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    ts = T0_NS + np.cumsum(rng.integers(1, 20_000_000, N_TICKS, dtype=np.int64))
    price = np.round(3000.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-5, N_TICKS))), 2)
    size = np.round(rng.exponential(0.5, N_TICKS), 4)
    return ts, price, size


@functools.cache
def _series() -> tuple[pd.Series, pd.Series]:
    ts, price, size = _ticks()
    index = pd.DatetimeIndex(ts.view("datetime64[ns]"))
    return pd.Series(price, index=index), pd.Series(size, index=index)


def _pandas(interval_s: int) -> pd.DataFrame:
    price, size = _series()
    rule = f"{interval_s}s"
    frame = price.resample(rule).ohlc()
    sized = size.resample(rule)
    frame["volume"] = sized.sum()
    frame["trades"] = sized.count()
    return frame


def _agree(ours: CandleArrays, theirs: pd.DataFrame) -> None:
    theirs = theirs[theirs["trades"] > 0]  # pandas keeps empty buckets as NaN rows
    assert len(ours) == len(theirs)
    assert np.array_equal(ours.ts, theirs.index.asi8)
    for field in ("open", "high", "low", "close"):
        assert np.array_equal(getattr(ours, field), theirs[field].to_numpy())
    assert np.array_equal(ours.trades, theirs["trades"].to_numpy())
    # float sums in different orders: equal to the last bits only
    assert np.allclose(ours.volume, theirs["volume"].to_numpy(), rtol=1e-12, atol=0)


def _run(benchmark: Any, workload: str, role: str, fn: Any) -> Any:
    benchmark.extra_info.update(
        {"suite": "market", "workload": workload, "role": role, "n_ticks": N_TICKS}
    )
    _ticks(), _series()  # built before timing
    return benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)


@pytest.mark.benchmark(group=f"rollup {N_TICKS} ticks to 1m candles")
def test_rollup_1m_zippifi(benchmark: Any) -> None:
    ts, price, size = _ticks()
    out = _run(benchmark, "rollup_1m", "zippifi", lambda: rollup(ts, price, size, 60))
    _agree(out, _pandas(60))


@pytest.mark.benchmark(group=f"rollup {N_TICKS} ticks to 1m candles")
def test_rollup_1m_pandas(benchmark: Any) -> None:
    out = _run(benchmark, "rollup_1m", "pandas", lambda: _pandas(60))
    ts, price, size = _ticks()
    _agree(rollup(ts, price, size, 60), out)


@pytest.mark.benchmark(group=f"rollup {N_TICKS} ticks to 1s/1m/5m/1h candles")
def test_rollup_4_intervals_zippifi(benchmark: Any) -> None:
    ts, price, size = _ticks()
    out = _run(
        benchmark, "rollup_4_intervals", "zippifi", lambda: rollup_many(ts, price, size, INTERVALS)
    )
    for interval in INTERVALS:
        _agree(out[interval], _pandas(interval))


@pytest.mark.benchmark(group=f"rollup {N_TICKS} ticks to 1s/1m/5m/1h candles")
def test_rollup_4_intervals_pandas(benchmark: Any) -> None:
    out = _run(
        benchmark, "rollup_4_intervals", "pandas", lambda: {i: _pandas(i) for i in INTERVALS}
    )
    ts, price, size = _ticks()
    for interval in INTERVALS:
        _agree(rollup(ts, price, size, interval), out[interval])
