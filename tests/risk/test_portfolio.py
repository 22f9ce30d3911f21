"""VaR and CVaR against references nobody here wrote: scipy's normal distribution and numerical
integration, numpy's empirical quantile, pandas' rolling sums, and large normal samples whose
true VaR is known in closed form (within the estimator's own sampling error)."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from zippifi.errors import InsufficientDataError, InvalidInputError, InvalidRiskInputError
from zippifi.risk import (
    cornish_fisher_from_moments,
    cornish_fisher_var,
    historical_var,
    normal_var,
    parametric_var,
    portfolio_returns,
    var_contributions,
)
from zippifi.risk.portfolio import sample_skew_kurtosis

confidences = st.sampled_from([0.9, 0.95, 0.975, 0.99, 0.995, 0.999]) | st.floats(0.5, 0.999)
horizons = st.integers(1, 30)
means = st.floats(-0.01, 0.01)
stds = st.floats(1e-4, 0.2)


def normal_reference(mean: float, std: float, c: float, h: int) -> tuple[float, float]:
    """scipy: the c-quantile of the h-period loss, and the mean loss beyond it by integration."""
    loc, scale = mean * h, std * math.sqrt(h)
    z = stats.norm.ppf(1 - c)
    tail_z = stats.norm.expect(lambda x: x, ub=z, conditional=True)  # standardised: quad is
    return -(loc + scale * z), -(loc + scale * tail_z)  # unreliable on a scale of 1e-4


@settings(max_examples=100)  # scipy's quadrature per example
@given(mean=means, std=stds, c=confidences, h=horizons)
def test_normal_var_equals_scipy(mean: float, std: float, c: float, h: int) -> None:
    got = normal_var(mean, std, c, h)
    var, cvar = normal_reference(mean, std, c, h)
    scale = std * math.sqrt(h)
    assert got.var == pytest.approx(var, rel=1e-12, abs=1e-12 * scale)
    assert got.cvar == pytest.approx(cvar, rel=1e-8, abs=1e-9 * scale)
    assert got.cvar >= got.var


@settings(max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 500), c=confidences, h=horizons)
def test_parametric_var_is_the_normal_at_the_sample_moments(
    seed: int, n: int, c: float, h: int
) -> None:
    r = np.random.default_rng(seed).standard_t(5, size=n) * 0.02
    var, cvar = normal_reference(float(np.mean(r)), float(np.std(r, ddof=1)), c, h)
    got = parametric_var(r, c, h)
    assert got.var == pytest.approx(var, rel=1e-9, abs=1e-12)
    assert got.cvar == pytest.approx(cvar, rel=1e-7, abs=1e-12)
    flat = parametric_var(r, c, h, include_mean=False)
    assert flat.var == pytest.approx(normal_reference(0.0, float(np.std(r, ddof=1)), c, h)[0])


# --- historical -------------------------------------------------------------------------------


def tail_whole(n: int, c: float) -> bool:
    return (n * (1 - Fraction(repr(c)))).denominator == 1


@settings(max_examples=150)
@given(
    data=st.lists(st.floats(-1, 1), min_size=10, max_size=400),
    c=st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99]),
    h=st.integers(1, 5),
)
def test_historical_var_is_numpys_inverted_cdf_quantile_of_rolling_sums(
    data: list[float], c: float, h: int
) -> None:
    sums = pd.Series(data).rolling(h).sum().dropna().to_numpy()
    if len(sums) * (1 - c) < 1 - 1e-9:
        with pytest.raises(InsufficientDataError):
            historical_var(data, c, h)
        return
    got = historical_var(data, c, h)
    assert got.var == pytest.approx(np.quantile(-sums, c, method="inverted_cdf"), abs=1e-12)
    assert got.cvar >= got.var - 1e-12
    if tail_whole(len(sums), c):  # CVaR is then the mean of the n (1 - c) largest losses
        k = round(len(sums) * (1 - c))
        assert got.cvar == pytest.approx(np.sort(-sums)[-k:].mean(), abs=1e-12)


@settings(max_examples=150)
@given(
    data=st.lists(st.floats(-1, 1), min_size=20, max_size=200),
    c=st.sampled_from([0.9, 0.93, 0.95, 0.97]) | st.floats(0.9, 0.95),
)
def test_historical_cvar_is_the_tail_mean_of_a_sample_replicated_to_a_whole_tail(
    data: list[float], c: float
) -> None:
    """Repeating every observation D times leaves the empirical distribution unchanged; with D
    the denominator of 1 - c the tail holds a whole number of losses, whose plain mean is the
    CVaR of the original sample."""
    tail = 1 - Fraction(repr(c))
    reps = tail.denominator
    if len(data) * tail < 1 or reps > 10**4:
        return
    losses = np.sort(-np.repeat(np.asarray(data), reps))
    k = int(len(losses) * tail)
    got = historical_var(data, c)
    assert got.cvar == pytest.approx(losses[-k:].mean(), rel=1e-9, abs=1e-12)
    assert got.var == pytest.approx(np.quantile(losses, c, method="inverted_cdf"), abs=1e-12)


@pytest.mark.parametrize(("c", "h"), [(0.95, 1), (0.99, 1), (0.975, 1), (0.99, 10)])
def test_historical_var_converges_to_the_normal_closed_form(c: float, h: int) -> None:
    """A large normal sample (fixed seed): the empirical VaR and CVaR lie within five of their
    asymptotic standard errors of the closed form; overlapping h-period windows are inflated
    by sqrt(h) (they share observations)."""
    n, mean, std = 200_000, 0.0005, 0.02
    r = np.random.default_rng(20240616).normal(mean, std, n)
    var, cvar = normal_reference(mean, std, c, h)
    got = historical_var(r, c, h)
    a, scale = 1 - c, std * math.sqrt(h)
    z = stats.norm.ppf(c)
    se_var = math.sqrt(a * c / n) / stats.norm.pdf(z) * scale
    tail_var = stats.truncnorm(z, np.inf).var() * scale**2  # loss variance beyond VaR
    se_cvar = math.sqrt((tail_var + c * (cvar - var) ** 2) / (n * a))
    inflate = math.sqrt(h)
    assert abs(got.var - var) < 5 * se_var * inflate, (got.var, var, se_var)
    assert abs(got.cvar - cvar) < 5 * se_cvar * inflate, (got.cvar, cvar, se_cvar)


# --- Cornish-Fisher ---------------------------------------------------------------------------


@settings(max_examples=150)
@given(mean=means, std=stds, c=confidences, h=horizons)
def test_cornish_fisher_without_skew_or_kurtosis_is_the_normal(
    mean: float, std: float, c: float, h: int
) -> None:
    cf = cornish_fisher_from_moments(mean, std, 0.0, 0.0, c, h)
    normal = normal_var(mean, std, c, h)
    assert cf.var == pytest.approx(normal.var, rel=1e-12, abs=1e-15)
    assert cf.cvar == pytest.approx(normal.cvar, rel=1e-12, abs=1e-15)


def cf_quantile(u: float, mean: float, std: float, s: float, k: float) -> float:
    x = stats.norm.ppf(u)
    z = x + (x * x - 1) * s / 6 + (x**3 - 3 * x) * k / 24 - (2 * x**3 - 5 * x) * s * s / 36
    return float(mean + std * z)


@settings(max_examples=60)
@given(
    mean=means,
    std=stds,
    s=st.floats(-1.5, 1.5),
    k=st.floats(-1.0, 6.0),
    c=st.sampled_from([0.9, 0.95, 0.99]),
    h=st.integers(1, 10),
)
def test_cornish_fisher_cvar_is_the_tail_integral_of_its_quantile(
    mean: float, std: float, s: float, k: float, c: float, h: int
) -> None:
    """The closed form against scipy's quadrature of the expansion over the tail."""
    got = cornish_fisher_from_moments(mean, std, s, k, c, h)
    args = (mean * h, std * math.sqrt(h), s / math.sqrt(h), k / h)
    a = 1 - c
    assert got.var == pytest.approx(-cf_quantile(a, *args), rel=1e-10, abs=1e-14)
    integral, _ = integrate.quad(cf_quantile, 0, a, args=args, epsabs=1e-14, limit=200)
    assert got.cvar == pytest.approx(-integral / a, rel=1e-7, abs=1e-12)


@settings(max_examples=150)
@given(
    data=st.lists(st.floats(-1, 1), min_size=4, max_size=300).filter(
        lambda xs: float(np.std(xs)) > 1e-6
    )
)
def test_sample_skew_and_kurtosis_match_scipy_bias_corrected(data: list[float]) -> None:
    r = np.asarray(data)
    skew, kurt = sample_skew_kurtosis(r)
    assert skew == pytest.approx(stats.skew(r, bias=False), rel=1e-9, abs=1e-9)
    assert kurt == pytest.approx(stats.kurtosis(r, bias=False), rel=1e-9, abs=1e-9)


def test_cornish_fisher_horizon_scaling_tracks_an_exact_skewed_sum() -> None:
    """Per-period losses Gamma(4) (skew 1, excess kurtosis 1.5): a sum of h of them is exactly
    Gamma(4h). Scaling the cumulants as iid sums do puts the Cornish-Fisher VaR within 1% of
    that exact quantile at every horizon, and nearer to it than the normal VaR."""
    shape, theta = 4.0, 0.01
    mean, std = -shape * theta, math.sqrt(shape) * theta  # of returns = -loss
    skew, kurt = -2 / math.sqrt(shape), 6 / shape  # returns are the negated losses
    for h in (1, 5, 20, 60):
        exact = stats.gamma(shape * h, scale=theta).ppf(0.99)
        cf = cornish_fisher_from_moments(mean, std, skew, kurt, 0.99, h).var
        normal = normal_var(mean, std, 0.99, h).var
        assert abs(cf - exact) < 0.01 * exact, (h, cf, exact)
        assert abs(cf - exact) < abs(normal - exact), (h, cf, normal, exact)


def test_cornish_fisher_from_a_sample_uses_its_moments() -> None:
    r = np.random.default_rng(7).gamma(3.0, 0.01, 5000) * -1
    got = cornish_fisher_var(r, 0.99, 3)
    want = cornish_fisher_from_moments(
        float(r.mean()), float(r.std(ddof=1)), stats.skew(r, bias=False),
        stats.kurtosis(r, bias=False), 0.99, 3,
    )  # fmt: skip
    assert got.var == pytest.approx(want.var, rel=1e-12)
    assert got.cvar == pytest.approx(want.cvar, rel=1e-12)
    constant = cornish_fisher_var([0.01] * 10, 0.95)
    assert constant.var == pytest.approx(-0.01)
    assert constant.cvar == pytest.approx(-0.01)


# --- contributions ----------------------------------------------------------------------------


@st.composite
def books(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    n = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    factors = rng.normal(size=(n, n + 2)) * 0.02
    cov = factors @ factors.T
    positions = rng.normal(size=n) * 10 ** draw(st.integers(0, 6))
    mean = rng.normal(size=n) * 1e-3 if draw(st.booleans()) else None
    return positions, cov, mean


@settings(max_examples=100)
@given(book=books(), c=confidences, h=horizons)
def test_euler_components_sum_to_the_total_and_marginals_are_derivatives(
    book: tuple[np.ndarray, np.ndarray, np.ndarray | None], c: float, h: int
) -> None:
    x, cov, mean = book
    got = var_contributions(x, cov, c, h, mean)
    mu = np.zeros_like(x) if mean is None else mean
    var, cvar = normal_reference(float(mu @ x), math.sqrt(float(x @ cov @ x)), c, h)
    assert got.var == pytest.approx(var, rel=1e-9)
    assert got.cvar == pytest.approx(cvar, rel=1e-7)
    assert got.component_var.sum() == pytest.approx(got.var, rel=1e-9, abs=1e-9 * abs(var))
    assert got.component_cvar.sum() == pytest.approx(got.cvar, rel=1e-9, abs=1e-9 * abs(cvar))
    for i in range(len(x)):  # central differences of the total
        step = 1e-5 * max(abs(x[i]), 1.0)
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        slope = (
            var_contributions(up, cov, c, h, mean).var
            - var_contributions(down, cov, c, h, mean).var
        ) / (2 * step)
        scale = max(abs(slope), float(np.abs(got.marginal_var).max()))
        assert got.marginal_var[i] == pytest.approx(slope, rel=1e-4, abs=1e-5 * scale)


def test_portfolio_returns_weights_the_assets() -> None:
    r = np.array([[0.01, -0.02], [0.03, 0.00], [-0.01, 0.05]])
    assert portfolio_returns(r, [2, 1]).tolist() == pytest.approx([0.0, 0.06, 0.03])


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: historical_var([0.1, float("nan"), 0.2] * 50), InvalidRiskInputError, "NaN"),
        (lambda: parametric_var([0.1, float("inf")] * 5), InvalidRiskInputError, "infinite"),
        (lambda: historical_var([0.01] * 50, 0.99), InsufficientDataError, "100 needed"),
        (lambda: historical_var([0.01] * 100, 0.99, 5), InsufficientDataError, "104 needed"),
        (lambda: parametric_var([0.01]), InsufficientDataError, "at least 2"),
        (lambda: cornish_fisher_var([0.01, 0.02, 0.03]), InsufficientDataError, "at least 4"),
        (lambda: parametric_var([0.1, 0.2], 1.0), InvalidRiskInputError, "confidence"),
        (lambda: parametric_var([0.1, 0.2], 0), InvalidRiskInputError, "confidence"),
        (lambda: parametric_var([0.1, 0.2], 99), InvalidRiskInputError, "confidence"),
        (lambda: parametric_var([0.1, 0.2], float("nan")), InvalidRiskInputError, "confidence"),
        (lambda: parametric_var([0.1, 0.2], "0.9"), InvalidRiskInputError, "confidence"),  # type: ignore[arg-type]
        (lambda: parametric_var([0.1, 0.2], 0.9, 0), InvalidRiskInputError, "horizon"),
        (lambda: parametric_var([0.1, 0.2], 0.9, 1.5), InvalidRiskInputError, "horizon"),  # type: ignore[arg-type]
        (lambda: parametric_var([[0.1, 0.2]] * 3), InvalidRiskInputError, "1-D"),
        (lambda: parametric_var(["a", "b"]), InvalidRiskInputError, "not an array"),
        (lambda: normal_var(0.0, -1.0), InvalidRiskInputError, "std"),
        (lambda: normal_var(float("nan"), 1.0), InvalidRiskInputError, "mean"),
        (lambda: var_contributions([1, 2], [[1, 0], [0.5, 1]]), InvalidRiskInputError, "symmetric"),
        (lambda: var_contributions([1, 2], [[1.0]]), InvalidRiskInputError, "shape (2, 2)"),
        (lambda: var_contributions([0, 0], np.eye(2)), InvalidRiskInputError, "without risk"),
        (lambda: var_contributions([1], [[1]], mean=[0, 1]), InvalidRiskInputError, "mean"),
        (lambda: portfolio_returns([[0.1, 0.2]], [1]), InvalidRiskInputError, "weights"),
    ],
)
def test_bad_input_is_named(call: object, error: type[Exception], words: str) -> None:
    assert callable(call)
    with pytest.raises(error, match=re.escape(words)) as info:
        call()
    assert isinstance(info.value, InvalidInputError)
