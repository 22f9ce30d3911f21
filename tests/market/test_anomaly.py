"""Anomaly detectors: property tests against numpy recomputations over the same windows, flat
series that must never alert, and injected jumps/drops that must alert on exactly their tick."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from zippifi.errors import InvalidInputError
from zippifi.market import (
    AnomalyMonitor,
    EwmaVolatilityDetector,
    LiquidityDropAlert,
    LiquidityDropDetector,
    OracleDeviationAlert,
    ReturnZScoreAlert,
    ReturnZScoreDetector,
    VolatilityAlert,
    oracle_deviation,
)
from zippifi.settings import AnomalySettings

T0 = datetime(2024, 5, 1, tzinfo=UTC)
CENT_PRICES = st.lists(st.integers(1, 10**7), min_size=2, max_size=120).map(
    lambda xs: [x / 100 for x in xs]
)


def ts(i: int) -> datetime:
    return T0 + timedelta(seconds=i)


@given(prices=CENT_PRICES, window=st.integers(2, 30))
def test_rolling_zscore_equals_numpy_recomputation(prices: list[float], window: int) -> None:
    det = ReturnZScoreDetector(window, threshold=1e300)
    got = []
    for i, p in enumerate(prices):
        det.update(ts(i), "ETH/USDC", "cex", p)
        got.append(det.last_zscore)
    r = np.log(np.array(prices[1:]) / np.array(prices[:-1]))
    # the return at index k (price k+1) is scored against returns k-window .. k-1
    want: list[float | None] = [None] * min(len(prices), window + 1)
    if len(r) > window:
        past = sliding_window_view(r[:-1], window)
        mean, std = past.mean(axis=1), past.std(axis=1)
        current = r[window:]
        for cur, m, s in zip(current, mean, std, strict=True):
            if s == 0:
                want.append(0.0 if cur == m else math.copysign(math.inf, cur - m))
            else:
                want.append((cur - m) / s)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        if w is None or math.isinf(w):
            assert g == w
        else:
            assert g is not None
            assert math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9)


@given(prices=CENT_PRICES, lam=st.floats(0.5, 0.99))
def test_ewma_variance_equals_closed_form(prices: list[float], lam: float) -> None:
    det = EwmaVolatilityDetector(lam, threshold=1e300, warmup=1)
    for i, p in enumerate(prices):
        det.update(ts(i), "ETH/USDC", "cex", p)
    r = np.log(np.array(prices[1:]) / np.array(prices[:-1]))
    weights = (1 - lam) * lam ** np.arange(len(r))[::-1]  # newest return weighs (1 - lam)
    want = float(np.sum(weights * r**2))
    assert math.isclose(det.variance, want, rel_tol=1e-9, abs_tol=1e-300)
    assert det.count == len(r)


@given(
    price=st.integers(1, 10**9).map(lambda c: Decimal(c) / 100),
    n=st.integers(1, 300),
    liquidity=st.floats(0, 1e30, allow_nan=False),
)
def test_constant_series_never_alert(price: Decimal, n: int, liquidity: float) -> None:
    settings = AnomalySettings(zscore_window=5, ewma_warmup=1, liquidity_window=3)
    monitor = AnomalyMonitor("ETH/USDC", settings)
    for i in range(n):
        assert monitor.on_price(ts(i), "cex", price) == []
        assert monitor.on_liquidity(ts(i), "pool", liquidity) == []
        assert monitor.on_oracle_and_pool(ts(i), "pool", price, price) == []


@given(
    base=st.integers(100, 10**7).map(lambda c: c / 100),
    window=st.integers(2, 40),
    extra=st.integers(0, 40),
    after=st.integers(0, 40),
    jump=st.floats(0.001, 0.5) | st.floats(-0.5, -0.001),
)
def test_injected_jump_alerts_at_exactly_that_tick(
    base: float, window: int, extra: int, after: int, jump: float
) -> None:
    """A flat series, one level shift, flat again: exactly one z-score alert, on the shift."""
    det = ReturnZScoreDetector(window, threshold=3.0)
    shifted = base * (1 + jump)
    prices = [base] * (window + 1 + extra) + [shifted] * (1 + after)
    jump_tick = window + 1 + extra
    alerts = {}
    for i, p in enumerate(prices):
        events = det.update(ts(i), "ETH/USDC", "cex", p)
        if events:
            alerts[i] = events
    assert list(alerts) == [jump_tick]
    (event,) = alerts[jump_tick]
    assert isinstance(event, ReturnZScoreAlert)
    assert event.ts == ts(jump_tick)
    assert math.isinf(event.zscore)
    assert (event.zscore > 0) == (jump > 0)
    assert event.log_return == pytest.approx(math.log(shifted / base))


def test_jump_in_noise_alerts_on_the_jump() -> None:
    rng = np.random.default_rng(7)
    prices = list(2000 * np.exp(np.cumsum(rng.normal(0, 1e-4, 300))))
    prices[200:] = [p * 1.05 for p in prices[200:]]  # +5% at tick 200, ~500 sigma
    det = ReturnZScoreDetector(60, threshold=8.0)
    alerting = [i for i, p in enumerate(prices) if det.update(ts(i), "ETH/USDC", "cex", p)]
    assert alerting == [200]


@given(
    level=st.floats(1.0, 1e12),
    window=st.integers(1, 30),
    fraction=st.floats(0.05, 0.95),
    drop=st.floats(0.0, 1.0),
)
def test_liquidity_drop_alerts_exactly_when_below_the_threshold(
    level: float, window: int, fraction: float, drop: float
) -> None:
    det = LiquidityDropDetector(window, fraction)
    for i in range(window):
        assert det.update(ts(i), "ETH/USDC", "pool", level) == []
    new = level * (1 - drop)
    events = det.update(ts(window), "ETH/USDC", "pool", new)
    baseline = float(np.mean(np.full(window, level)))  # the window's mean, recomputed
    if new < (1 - fraction) * baseline:
        (event,) = events
        assert isinstance(event, LiquidityDropAlert)
        assert event.baseline == baseline
        assert event.drop_fraction == pytest.approx(1 - new / level)
    else:
        assert events == []


def test_ewma_alerts_after_warmup_on_high_volatility() -> None:
    det = EwmaVolatilityDetector(0.9, threshold=0.01, warmup=3)
    prices = [100, 110, 100, 110, 100]
    out = [det.update(ts(i), "ETH/USDC", "cex", p) for i, p in enumerate(prices)]
    assert out[:3] == [[], [], []]  # two returns: still warming up
    assert all(isinstance(e[0], VolatilityAlert) for e in out[3:])


def test_oracle_deviation_threshold_in_bps() -> None:
    assert oracle_deviation(T0, "ETH/USDC", "pool", Decimal(2000), Decimal(2029), 150) == []
    (event,) = oracle_deviation(T0, "ETH/USDC", "pool", Decimal(2000), Decimal(2031), 150)
    assert isinstance(event, OracleDeviationAlert)
    assert event.deviation_bps == pytest.approx(155)


def test_bad_inputs_raise_and_change_nothing() -> None:
    monitor = AnomalyMonitor("ETH/USDC", AnomalySettings(zscore_window=2))
    monitor.on_price(T0, "cex", Decimal(1))
    for bad in (Decimal(0), Decimal(-1), float("nan"), True):
        with pytest.raises(InvalidInputError, match="price"):
            monitor.on_price(T0, "cex", bad)
    with pytest.raises(InvalidInputError, match="liquidity"):
        monitor.on_liquidity(T0, "pool", -1)
    with pytest.raises(InvalidInputError, match="window"):
        ReturnZScoreDetector(1, 3.0)
    with pytest.raises(InvalidInputError, match="lambda"):
        EwmaVolatilityDetector(1.0, 0.1, 1)
    with pytest.raises(InvalidInputError, match="fraction"):
        LiquidityDropDetector(3, 1.5)
    # the series went on from the last good price
    assert monitor.on_price(T0, "cex", Decimal(1)) == []
