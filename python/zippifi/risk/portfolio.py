"""Value at Risk and expected shortfall (CVaR) of a portfolio's returns, three ways, and each
position's share of the parametric VaR.

Conventions, the same for every method:

- Inputs are per-period returns (or PnL) of the portfolio, as floats; losses are their
  negatives, and VaR and CVaR are reported as positive losses in the same units (a fraction of
  value for returns, currency for PnL).
- ``confidence`` c in (0, 1): VaR is the loss that is exceeded with probability at most 1 - c;
  CVaR is the mean loss over the worst 1 - c of outcomes (the integral of VaR over the tail,
  so CVaR >= VaR always).
- ``horizon`` h in whole periods. Parametric and Cornish-Fisher scale iid moments: mean * h,
  std * sqrt(h), skew / sqrt(h), excess kurtosis / h (the cumulants of a sum of h iid
  periods; so the normal VaR scales by sqrt(h) once the mean is left out). Historical VaR uses
  the overlapping h-period sums of the series (every window of h consecutive periods), not
  sqrt-time scaling: it keeps the data's own fat tails and autocorrelation, at the price of
  n - h + 1 windows that are not independent. Sums are exact aggregation for log returns and
  PnL; for simple returns they ignore compounding.
- ``include_mean``: the parametric methods subtract the mean return over the horizon; pass
  False to measure against zero (the usual choice over a day, where the mean is noise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from zippifi.errors import InvalidRiskInputError
from zippifi.risk import inputs
from zippifi.risk.inputs import FloatArray

# Cornish-Fisher needs the bias-corrected sample kurtosis, defined from four observations
CF_MIN_OBSERVATIONS = 4
STANDARD_NORMAL = NormalDist()


@dataclass(frozen=True)
class VarEstimate:
    """VaR and CVaR at one confidence and horizon, as positive losses."""

    var: float
    cvar: float
    confidence: float
    horizon: int
    method: str


@dataclass(frozen=True)
class VarContributions:
    """Parametric (normal) VaR and CVaR of a portfolio of positions and each position's part.
    ``marginal_*[i]`` is the change of the measure per unit added to position i; the
    ``component_*[i]`` = position i x its marginal sum to the totals exactly (Euler's theorem:
    both measures are homogeneous of degree one in the positions)."""

    var: float
    cvar: float
    marginal_var: FloatArray
    component_var: FloatArray
    marginal_cvar: FloatArray
    component_cvar: FloatArray


def portfolio_returns(returns: npt.ArrayLike, weights: npt.ArrayLike) -> FloatArray:
    """The portfolio's per-period returns (or PnL): a (periods, assets) array of asset returns
    times the weights (or position values) per asset."""
    r = inputs.panel(returns, at_least=1)
    w = inputs.vector(weights, "weights", r.shape[1])
    out: FloatArray = r @ w
    return out


def historical_var(
    returns: npt.ArrayLike, confidence: float = 0.99, horizon: int = 1
) -> VarEstimate:
    """VaR and CVaR of the empirical distribution of the h-period losses (overlapping sums).

    With n losses sorted ascending L(1) <= ... <= L(n) and k = ceil(n * c): VaR = L(k), the
    smallest loss whose empirical CDF reaches c (numpy's ``inverted_cdf`` quantile). CVaR is
    the integral of the empirical quantile function over (c, 1) divided by 1 - c:
    ((k - n c) L(k) + L(k+1) + ... + L(n)) / (n (1 - c)); when n (1 - c) is whole it is the mean
    of the n (1 - c) largest losses. At least one loss must lie beyond VaR: n (1 - c) >= 1."""
    c, h = inputs.confidence(confidence), inputs.horizon(horizon)
    r = inputs.series(returns, at_least=h)
    sums = np.convolve(r, np.ones(h), mode="valid") if h > 1 else r
    n = len(sums)
    tail = 1 - c
    if n * tail < 1:  # no loss would lie beyond the VaR
        inputs.observations(
            len(r),
            math.ceil(1 / tail) + h - 1,
            f"returns (for a historical VaR at confidence {float(c)} over {h} period(s))",
        )
    losses = np.sort(-sums)
    k = math.ceil(n * c)  # 1-based order statistic, < n since n * tail >= 1
    var = float(losses[k - 1])
    weight = float((k - n * c) / (n * tail))
    cvar = weight * var + float(losses[k:].sum()) / float(n * tail)
    return VarEstimate(var, cvar, float(c), h, "historical")


def normal_var(mean: float, std: float, confidence: float = 0.99, horizon: int = 1) -> VarEstimate:
    """Closed form for normal per-period returns N(mean, std**2) over h iid periods:
    VaR = std sqrt(h) z - mean h and CVaR = std sqrt(h) pdf(z) / (1 - c) - mean h, with
    z = the standard normal quantile at c."""
    c, h = inputs.confidence(confidence), inputs.horizon(horizon)
    mu, sigma = _moment(mean, "mean"), _moment(std, "std")
    if sigma < 0:
        raise InvalidRiskInputError(f"std must be >= 0, got {std!r}")
    z = STANDARD_NORMAL.inv_cdf(float(c))
    scale = sigma * math.sqrt(h)
    var = scale * z - mu * h
    cvar = scale * STANDARD_NORMAL.pdf(z) / float(1 - c) - mu * h
    return VarEstimate(var, cvar, float(c), h, "normal")


def parametric_var(
    returns: npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    *,
    include_mean: bool = True,
) -> VarEstimate:
    """:func:`normal_var` at the sample mean and standard deviation (ddof=1) of ``returns``."""
    r = inputs.series(returns)
    mean = float(r.mean()) if include_mean else 0.0
    return _named(normal_var(mean, float(r.std(ddof=1)), confidence, horizon), "parametric")


def cornish_fisher_from_moments(
    mean: float,
    std: float,
    skew: float,
    excess_kurtosis: float,
    confidence: float = 0.99,
    horizon: int = 1,
) -> VarEstimate:
    """VaR from the Cornish-Fisher quantile of the per-period moments (scaled to h periods as
    iid cumulants), and CVaR as that quantile's mean over the tail, in closed form.

    With a = 1 - c, z = the standard normal quantile at a, S and K the h-period skew and excess
    kurtosis: z_cf(x) = x + (x^2 - 1) S/6 + (x^3 - 3x) K/24 - (2x^3 - 5x) S^2/36, and
    VaR = -(mean_h + std_h z_cf(z)). The tail mean of z_cf(Z) for Z <= z integrates term by
    term against the normal density: -pdf(z) (1 + z S/6 - (1 - z^2) K/24 + (1 - 2z^2) S^2/36)
    / a, so CVaR = -(mean_h + std_h * that). With S = K = 0 both are the normal ones. The
    expansion is only a valid (monotone) quantile for moderate S and K; outside that region it
    can give a VaR below the normal one for a fatter tail, so treat extreme inputs with care."""
    c, h = inputs.confidence(confidence), inputs.horizon(horizon)
    mu, sigma = _moment(mean, "mean"), _moment(std, "std")
    s, k = _moment(skew, "skew"), _moment(excess_kurtosis, "excess_kurtosis")
    if sigma < 0:
        raise InvalidRiskInputError(f"std must be >= 0, got {std!r}")
    mu_h, sigma_h, s_h, k_h = mu * h, sigma * math.sqrt(h), s / math.sqrt(h), k / h
    a = float(1 - c)
    z = STANDARD_NORMAL.inv_cdf(a)
    z_cf = z + (z * z - 1) * s_h / 6 + (z**3 - 3 * z) * k_h / 24 - (2 * z**3 - 5 * z) * s_h**2 / 36
    tail_mean = (
        -STANDARD_NORMAL.pdf(z)
        * (1 + z * s_h / 6 - (1 - z * z) * k_h / 24 + (1 - 2 * z * z) * s_h**2 / 36)
        / a
    )
    return VarEstimate(
        -(mu_h + sigma_h * z_cf), -(mu_h + sigma_h * tail_mean), float(c), h, "cornish-fisher"
    )


def cornish_fisher_var(
    returns: npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    *,
    include_mean: bool = True,
) -> VarEstimate:
    """:func:`cornish_fisher_from_moments` at the sample moments of ``returns``: mean, std
    (ddof=1), and the bias-corrected skew and excess kurtosis (scipy's ``bias=False``). A
    constant series has no skew or kurtosis; it is taken as a point mass (both zero)."""
    r = inputs.series(returns, at_least=CF_MIN_OBSERVATIONS)
    std = float(r.std(ddof=1))
    skew = kurt = 0.0
    if std > 0:
        skew, kurt = sample_skew_kurtosis(r)
    mean = float(r.mean()) if include_mean else 0.0
    return cornish_fisher_from_moments(mean, std, skew, kurt, confidence, horizon)


def sample_skew_kurtosis(returns: FloatArray) -> tuple[float, float]:
    """The bias-corrected sample skew G1 and excess kurtosis G2 (as Excel's SKEW and KURT, and
    scipy's ``bias=False``): with central moments m_k (1/n) and g1 = m3 / m2^1.5,
    g2 = m4 / m2^2 - 3: G1 = g1 sqrt(n (n-1)) / (n-2), G2 = ((n+1) g2 + 6) (n-1) / ((n-2)(n-3)).
    Needs n >= 4 and a series that is not constant."""
    n = len(returns)
    d = returns - returns.mean()
    m2, m3, m4 = (float((d**k).mean()) for k in (2, 3, 4))
    g1, g2 = m3 / m2**1.5, m4 / m2**2 - 3
    return (
        g1 * math.sqrt(n * (n - 1)) / (n - 2),
        ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3)),
    )


def var_contributions(
    positions: npt.ArrayLike,
    covariance: npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    mean: npt.ArrayLike | None = None,
) -> VarContributions:
    """Normal VaR and CVaR of positions (value held per asset, in currency) whose per-period
    returns have this covariance (and mean, if given), with each position's marginal and
    component (Euler) contribution. With sigma_p = sqrt(x' S x):
    marginal VaR_i = z sqrt(h) (S x)_i / sigma_p - mean_i h, and the same with pdf(z) / (1 - c)
    in place of z for CVaR. A portfolio of zero variance has no marginal VaR (the derivative
    of sigma_p does not exist there): that is an error."""
    c, h = inputs.confidence(confidence), inputs.horizon(horizon)
    x = inputs.vector(positions, "positions")
    cov = inputs.matrix(covariance, "covariance", len(x))
    mu = np.zeros_like(x) if mean is None else inputs.vector(mean, "mean", len(x))
    cov_x = cov @ x
    variance = float(x @ cov_x)
    if variance <= 0:
        raise InvalidRiskInputError(
            f"the positions' variance x' S x is {variance!r}: a portfolio without risk has no "
            "marginal VaR (and a negative value means the covariance is not positive "
            "semi-definite)"
        )
    sigma = math.sqrt(variance)
    z = STANDARD_NORMAL.inv_cdf(float(c))
    tail_z = STANDARD_NORMAL.pdf(z) / float(1 - c)
    direction = cov_x / sigma * math.sqrt(h)
    marginal_var = z * direction - mu * h
    marginal_cvar = tail_z * direction - mu * h
    drift = float(mu @ x) * h
    return VarContributions(
        var=z * sigma * math.sqrt(h) - drift,
        cvar=tail_z * sigma * math.sqrt(h) - drift,
        marginal_var=marginal_var,
        component_var=x * marginal_var,
        marginal_cvar=marginal_cvar,
        component_cvar=x * marginal_cvar,
    )


def _moment(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction | np.number):
        raise InvalidRiskInputError(f"{name}: expected a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise InvalidRiskInputError(f"{name}: expected a finite number, got {value!r}")
    return out


def _named(estimate: VarEstimate, method: str) -> VarEstimate:
    return VarEstimate(estimate.var, estimate.cvar, estimate.confidence, estimate.horizon, method)
