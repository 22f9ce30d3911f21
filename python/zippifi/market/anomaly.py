"""Anomaly detection over sliding windows of one pair's data, with thresholds from
:class:`zippifi.settings.AnomalySettings`. Each detector takes one observation at a time and
returns the typed events it raised (an empty list when all is well).

* :class:`ReturnZScoreDetector` -- the newest log return's z-score against the previous
  ``window`` returns (population standard deviation). A return that differs from a perfectly
  flat window scores infinity, so a jump after a constant series alerts on its own tick.
* :class:`EwmaVolatilityDetector` -- RiskMetrics EWMA variance of log returns,
  ``s2[t] = lam * s2[t-1] + (1 - lam) * r[t]**2`` from ``s2 = 0``, alerting once warmed up when
  ``sqrt(s2)`` exceeds the threshold.
* :func:`oracle_deviation` -- ``|pool - oracle| / oracle`` in basis points above the threshold.
* :class:`LiquidityDropDetector` -- liquidity below ``(1 - fraction)`` times the mean of the
  previous ``window`` readings.

Analytics run in float64 (prices come in as Decimal or float and are converted once).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np

from zippifi.errors import InvalidInputError
from zippifi.settings import AnomalySettings

Number = Decimal | float | int


def _positive(value: Number, what: str) -> float:
    if isinstance(value, bool):
        raise InvalidInputError(f"{what} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x) or x <= 0:
        raise InvalidInputError(f"{what} must be a finite number > 0, got {value!r}")
    return x


# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnomalyEvent:
    ts: datetime
    pair: str
    source: str


@dataclass(frozen=True, slots=True)
class ReturnZScoreAlert(AnomalyEvent):
    log_return: float
    zscore: float
    threshold: float


@dataclass(frozen=True, slots=True)
class VolatilityAlert(AnomalyEvent):
    volatility: float  # per observation, not annualized
    threshold: float


@dataclass(frozen=True, slots=True)
class OracleDeviationAlert(AnomalyEvent):
    oracle_price: float
    pool_price: float
    deviation_bps: float
    threshold_bps: float


@dataclass(frozen=True, slots=True)
class LiquidityDropAlert(AnomalyEvent):
    liquidity: float
    baseline: float  # mean of the previous window
    drop_fraction: float  # 1 - liquidity / baseline
    threshold: float


# --- detectors ----------------------------------------------------------------------------


class _Returns:
    """Log returns of a price series, one per price after the first."""

    def __init__(self) -> None:
        self._last: float | None = None

    def next(self, price: Number) -> float | None:
        x = _positive(price, "price")
        last, self._last = self._last, x
        return None if last is None else math.log(x / last)


class ReturnZScoreDetector:
    def __init__(self, window: int, threshold: float) -> None:
        if window < 2:
            raise InvalidInputError(f"z-score window must be >= 2 returns, got {window}")
        if not threshold > 0:
            raise InvalidInputError(f"z-score threshold must be > 0, got {threshold}")
        self.window = window
        self.threshold = threshold
        self._returns = _Returns()
        self._window: deque[float] = deque(maxlen=window)
        self.last_zscore: float | None = None

    def update(self, ts: datetime, pair: str, source: str, price: Number) -> list[AnomalyEvent]:
        r = self._returns.next(price)
        if r is None:
            return []
        z = None
        if len(self._window) == self.window:
            z = zscore(r, np.fromiter(self._window, np.float64, self.window))
        self._window.append(r)
        self.last_zscore = z
        if z is not None and abs(z) > self.threshold:
            return [ReturnZScoreAlert(ts, pair, source, r, z, self.threshold)]
        return []


def zscore(value: float, window: np.ndarray) -> float:
    """``(value - mean) / std`` over ``window`` (population std); a flat window gives 0 for
    its own mean and +-infinity for anything else."""
    mean = float(window.mean())
    std = float(window.std())
    diff = value - mean
    if std == 0.0:
        # a flat window: no deviation is 0, any deviation is unboundedly unusual (returns of a
        # constant series are all exactly 0.0, so float noise cannot fake a difference)
        return 0.0 if diff == 0.0 else math.copysign(math.inf, diff)
    return diff / std


class EwmaVolatilityDetector:
    def __init__(self, lam: float, threshold: float, warmup: int) -> None:
        if not 0 < lam < 1:
            raise InvalidInputError(f"EWMA lambda must be in (0, 1), got {lam}")
        if not threshold > 0:
            raise InvalidInputError(f"volatility threshold must be > 0, got {threshold}")
        if warmup < 1:
            raise InvalidInputError(f"EWMA warm-up must be >= 1 return, got {warmup}")
        self.lam = lam
        self.threshold = threshold
        self.warmup = warmup
        self._returns = _Returns()
        self.variance = 0.0
        self.count = 0

    @property
    def volatility(self) -> float:
        return math.sqrt(self.variance)

    def update(self, ts: datetime, pair: str, source: str, price: Number) -> list[AnomalyEvent]:
        r = self._returns.next(price)
        if r is None:
            return []
        self.variance = self.lam * self.variance + (1.0 - self.lam) * r * r
        self.count += 1
        if self.count >= self.warmup and self.volatility > self.threshold:
            return [VolatilityAlert(ts, pair, source, self.volatility, self.threshold)]
        return []


def oracle_deviation(
    ts: datetime,
    pair: str,
    source: str,
    oracle_price: Number,
    pool_price: Number,
    threshold_bps: float,
) -> list[AnomalyEvent]:
    oracle = _positive(oracle_price, "oracle price")
    pool = _positive(pool_price, "pool price")
    bps = abs(pool - oracle) / oracle * 10_000
    if bps > threshold_bps:
        return [OracleDeviationAlert(ts, pair, source, oracle, pool, bps, threshold_bps)]
    return []


class LiquidityDropDetector:
    def __init__(self, window: int, drop_fraction: float) -> None:
        if window < 1:
            raise InvalidInputError(f"liquidity window must be >= 1, got {window}")
        if not 0 < drop_fraction < 1:
            raise InvalidInputError(f"liquidity drop fraction must be in (0, 1): {drop_fraction}")
        self.window = window
        self.drop_fraction = drop_fraction
        self._window: deque[float] = deque(maxlen=window)

    def update(self, ts: datetime, pair: str, source: str, liquidity: Number) -> list[AnomalyEvent]:
        if isinstance(liquidity, bool):
            raise InvalidInputError(f"liquidity must be a number, got {liquidity!r}")
        x = float(liquidity)
        if not math.isfinite(x) or x < 0:
            raise InvalidInputError(f"liquidity must be a finite number >= 0, got {liquidity!r}")
        events: list[AnomalyEvent] = []
        if len(self._window) == self.window:
            baseline = float(np.fromiter(self._window, np.float64, self.window).mean())
            if baseline > 0 and x < (1.0 - self.drop_fraction) * baseline:
                drop = 1.0 - x / baseline
                events.append(LiquidityDropAlert(ts, pair, source, x, baseline, drop,
                                                 self.drop_fraction))  # fmt: skip
        self._window.append(x)
        return events


class AnomalyMonitor:
    """All detectors for one pair, thresholds from settings; prices and liquidity are tracked
    per source (each source its own return series)."""

    def __init__(self, pair: str, settings: AnomalySettings | None = None) -> None:
        self.pair = pair
        self.settings = settings or AnomalySettings()
        self._zscore: dict[str, ReturnZScoreDetector] = {}
        self._ewma: dict[str, EwmaVolatilityDetector] = {}
        self._liquidity: dict[str, LiquidityDropDetector] = {}

    def on_price(self, ts: datetime, source: str, price: Number) -> list[AnomalyEvent]:
        s = self.settings
        _positive(price, "price")  # checked before any detector changes
        z = self._zscore.get(source)
        if z is None:
            z = self._zscore[source] = ReturnZScoreDetector(s.zscore_window, s.zscore_threshold)
        e = self._ewma.get(source)
        if e is None:
            e = EwmaVolatilityDetector(s.ewma_lambda, s.ewma_vol_threshold, s.ewma_warmup)
            self._ewma[source] = e
        return z.update(ts, self.pair, source, price) + e.update(ts, self.pair, source, price)

    def on_liquidity(self, ts: datetime, source: str, liquidity: Number) -> list[AnomalyEvent]:
        s = self.settings
        d = self._liquidity.get(source)
        if d is None:
            d = LiquidityDropDetector(s.liquidity_window, s.liquidity_drop_fraction)
            self._liquidity[source] = d
        return d.update(ts, self.pair, source, liquidity)

    def on_oracle_and_pool(
        self, ts: datetime, source: str, oracle_price: Number, pool_price: Number
    ) -> list[AnomalyEvent]:
        return oracle_deviation(
            ts, self.pair, source, oracle_price, pool_price, self.settings.oracle_deviation_bps
        )


__all__ = [
    "AnomalyEvent",
    "AnomalyMonitor",
    "EwmaVolatilityDetector",
    "LiquidityDropAlert",
    "LiquidityDropDetector",
    "OracleDeviationAlert",
    "ReturnZScoreAlert",
    "ReturnZScoreDetector",
    "VolatilityAlert",
    "oracle_deviation",
    "zscore",
]
