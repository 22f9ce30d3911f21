"""Volatility of a return series: the sample standard deviation, and the RiskMetrics
exponentially weighted moving average (EWMA) of squared returns, which reacts to a shock the
day after and forgets it geometrically. Horizons scale the variance by h (sqrt-time)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from zippifi.errors import InvalidRiskInputError
from zippifi.risk import inputs
from zippifi.risk.inputs import FloatArray

RISKMETRICS_LAMBDA = 0.94  # J.P. Morgan/Reuters RiskMetrics (1996), daily data


def volatility(returns: npt.ArrayLike, horizon: int = 1) -> float:
    """The sample standard deviation (ddof=1) per period, times sqrt(horizon)."""
    r = inputs.series(returns)
    return float(r.std(ddof=1)) * math.sqrt(inputs.horizon(horizon))


def ewma_variance(
    returns: npt.ArrayLike, lam: float = RISKMETRICS_LAMBDA, seed: float | None = None
) -> FloatArray:
    """The EWMA variance after each observation: v[t] = lam v[t-1] + (1 - lam) r[t]^2 about a
    zero mean, with v[-1] = ``seed``. v[t] is the forecast for the period after t, using data up
    to t only (no look-ahead). The default seed is r[0]^2, so v[0] = r[0]^2. Unrolled:
    v[t] = lam^(t+1) seed + (1 - lam) sum_k lam^(t-k) r[k]^2."""
    r = inputs.series(returns, at_least=1)
    lam = inputs.decay(lam)
    start = float(r[0] ** 2) if seed is None else _seed(seed)
    variance = np.empty(len(r), dtype=np.float64)
    previous = start
    for t, square in enumerate((r * r).tolist()):
        previous = lam * previous + (1.0 - lam) * square
        variance[t] = previous
    return variance


def ewma_volatility(
    returns: npt.ArrayLike,
    lam: float = RISKMETRICS_LAMBDA,
    horizon: int = 1,
    seed: float | None = None,
) -> float:
    """The latest EWMA volatility (the forecast for the next period), times sqrt(horizon)."""
    h = inputs.horizon(horizon)
    return math.sqrt(float(ewma_variance(returns, lam, seed)[-1]) * h)


def _seed(seed: float) -> float:
    if isinstance(seed, bool) or not isinstance(seed, int | float):
        raise InvalidRiskInputError(f"seed: expected a variance >= 0, got {seed!r}")
    if not math.isfinite(seed) or seed < 0:
        raise InvalidRiskInputError(f"seed: expected a finite variance >= 0, got {seed!r}")
    return float(seed)
