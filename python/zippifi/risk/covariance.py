"""Covariance and correlation of asset returns: the sample matrix, the EWMA matrix, and the
Ledoit-Wolf shrinkage estimate, which stays well conditioned when assets are many and
observations few."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zippifi.errors import InvalidRiskInputError
from zippifi.risk import inputs
from zippifi.risk.inputs import FloatArray
from zippifi.risk.volatility import RISKMETRICS_LAMBDA


@dataclass(frozen=True)
class ShrunkCovariance:
    """``covariance`` = shrinkage * target * I + (1 - shrinkage) * S, with S the maximum
    likelihood (1/n) covariance and ``target`` its mean variance, trace(S) / p."""

    covariance: FloatArray
    shrinkage: float
    target: float


def sample_covariance(returns: npt.ArrayLike) -> FloatArray:
    """The unbiased (ddof=1) covariance of a (periods, assets) array."""
    r = inputs.panel(returns)
    centered = r - r.mean(axis=0)
    cov: FloatArray = centered.T @ centered / (len(r) - 1)
    return cov


def ewma_covariance(
    returns: npt.ArrayLike, lam: float = RISKMETRICS_LAMBDA, seed: npt.ArrayLike | None = None
) -> FloatArray:
    """The EWMA covariance after the last observation, about a zero mean: the matrix form of
    :func:`~zippifi.risk.volatility.ewma_variance` (its diagonal is that variance's last value),
    C = lam^n C0 + (1 - lam) sum_t lam^(n-1-t) r[t] r[t]', with C0 = ``seed`` or r[0] r[0]'."""
    r = inputs.panel(returns, at_least=1)
    lam = inputs.decay(lam)
    n, p = r.shape
    start = np.outer(r[0], r[0]) if seed is None else inputs.matrix(seed, "seed", p)
    weights = (1.0 - lam) * lam ** np.arange(n - 1, -1, -1, dtype=np.float64)
    cov: FloatArray = (r * weights[:, None]).T @ r + lam**n * start
    return cov


def ledoit_wolf(returns: npt.ArrayLike) -> ShrunkCovariance:
    """Ledoit and Wolf (2004), "A well-conditioned estimator for large-dimensional covariance
    matrices", shrinking toward a multiple of the identity. With X the centered returns
    (n x p), S = X'X / n, m = trace(S) / p, and Frobenius norms:
    d^2 = |S - m I|^2, b^2 = min(d^2, sum_k |x_k x_k' - S|^2 / n^2), shrinkage = b^2 / d^2.
    The sum is computed as sum_k |x_k|^4 - n |S|^2 (the cross terms sum to n |S|^2), so no
    n x p x p array is built. A matrix that is already m I (d = 0) is not shrunk."""
    r = inputs.panel(returns)
    n, p = r.shape
    x = r - r.mean(axis=0)
    s = x.T @ x / n
    m = float(np.trace(s)) / p
    d2 = float(((s - m * np.eye(p)) ** 2).sum())
    sq_norms = (x * x).sum(axis=1)
    b2_bar = (float((sq_norms**2).sum()) - n * float((s * s).sum())) / n**2
    b2 = min(max(b2_bar, 0.0), d2)
    shrinkage = b2 / d2 if d2 > 0 else 0.0
    cov: FloatArray = shrinkage * m * np.eye(p) + (1.0 - shrinkage) * s
    return ShrunkCovariance(cov, shrinkage, m)


def correlation(covariance: npt.ArrayLike) -> FloatArray:
    """The correlation matrix of a covariance matrix; an asset of zero variance has none."""
    cov = inputs.matrix(covariance, "covariance")
    var = np.diag(cov)
    if (var <= 0).any():
        raise InvalidRiskInputError(
            f"covariance: asset {int(np.argmax(var <= 0))} has variance {float(var.min())!r}; "
            "correlation needs every variance > 0"
        )
    sd = np.sqrt(var)
    corr: FloatArray = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    return corr
