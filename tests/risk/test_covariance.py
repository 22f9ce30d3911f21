"""Volatility, EWMA and covariance estimators against references nobody here wrote: scikit-learn's
LedoitWolf, pandas' exponentially weighted mean, numpy's std, cov and corrcoef; and the EWMA
recursion against its unrolled weighted sum."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.covariance import LedoitWolf

from zippifi.errors import InsufficientDataError, InvalidRiskInputError
from zippifi.risk import (
    correlation,
    ewma_covariance,
    ewma_variance,
    ewma_volatility,
    ledoit_wolf,
    sample_covariance,
    volatility,
)

series = st.lists(st.floats(-0.5, 0.5), min_size=1, max_size=300)
decays = st.floats(0.5, 0.999) | st.just(0.94)


@st.composite
def panels(draw: st.DrawFn, min_n: int = 2, max_n: int = 80, max_p: int = 12) -> np.ndarray:
    n, p = draw(st.integers(min_n, max_n)), draw(st.integers(1, max_p))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    mix = rng.normal(size=(p, p)) * 10 ** draw(st.floats(-3, 1))
    return rng.standard_t(4, size=(n, p)) @ mix + rng.normal(size=p)


@settings(max_examples=150)
@given(r=series, lam=decays, seed=st.none() | st.floats(0, 0.1))
def test_ewma_recursion_equals_the_unrolled_weighted_sum(
    r: list[float], lam: float, seed: float | None
) -> None:
    """v[t] = lam^(t+1) v[-1] + (1 - lam) sum_{k<=t} lam^(t-k) r[k]^2, each t summed afresh."""
    got = ewma_variance(r, lam, seed)
    x = np.asarray(r)
    start = x[0] ** 2 if seed is None else seed
    for t in range(len(x)):
        k = np.arange(t + 1)
        direct = lam ** (t + 1) * start + (1 - lam) * np.sum(lam ** (t - k) * x[k] ** 2)
        assert got[t] == pytest.approx(direct, rel=1e-10, abs=1e-300)


@settings(max_examples=150)
@given(r=series, lam=decays)
def test_ewma_variance_equals_pandas_ewm(r: list[float], lam: float) -> None:
    """pandas' ewm(adjust=False) starts at the first value: the default seed r[0]^2."""
    want = pd.Series(np.square(r)).ewm(alpha=1 - lam, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(ewma_variance(r, lam), want, rtol=1e-10, atol=1e-300)


@settings(max_examples=60)
@given(returns=panels(min_n=1, max_n=60, max_p=5), lam=decays)
def test_ewma_covariance_is_the_matrix_recursion(returns: np.ndarray, lam: float) -> None:
    cov = np.outer(returns[0], returns[0])
    for row in returns:
        cov = lam * cov + (1 - lam) * np.outer(row, row)
    got = ewma_covariance(returns, lam)
    np.testing.assert_allclose(got, cov, rtol=1e-9, atol=1e-12 * np.abs(cov).max())
    for j in range(returns.shape[1]):
        assert got[j, j] == pytest.approx(ewma_variance(returns[:, j], lam)[-1], rel=1e-9)


def test_ewma_volatility_reacts_to_a_shock_and_decays() -> None:
    calm = [0.01, -0.01] * 200
    before = ewma_volatility(calm)
    after = ewma_volatility([*calm, -0.10])
    assert after == pytest.approx(math.sqrt(0.94 * before**2 + 0.06 * 0.01))
    later = ewma_volatility([*calm, -0.10, *[0.01] * 50])
    assert before < later < after
    assert ewma_volatility(calm, horizon=10) == pytest.approx(before * math.sqrt(10))


@settings(max_examples=100)
@given(returns=panels())
def test_ledoit_wolf_equals_scikit_learn(returns: np.ndarray) -> None:
    ref = LedoitWolf().fit(returns)
    got = ledoit_wolf(returns)
    assert got.shrinkage == pytest.approx(ref.shrinkage_, rel=1e-7, abs=1e-9)
    scale = np.abs(ref.covariance_).max()
    np.testing.assert_allclose(got.covariance, ref.covariance_, rtol=1e-7, atol=1e-10 * scale)
    assert 0 <= got.shrinkage <= 1
    # the target is the mean variance of the 1/n covariance
    assert got.target == pytest.approx(np.trace(np.cov(returns.T, ddof=0).reshape(
        returns.shape[1], returns.shape[1])) / returns.shape[1])  # fmt: skip


def test_ledoit_wolf_shrinks_more_when_observations_are_few() -> None:
    rng = np.random.default_rng(3)
    mix = rng.normal(size=(30, 30))  # a true covariance far from a multiple of I

    def draw(n: int) -> np.ndarray:
        return rng.normal(size=(n, 30)) @ mix

    few, many = ledoit_wolf(draw(15)), ledoit_wolf(draw(5000))
    assert many.shrinkage < few.shrinkage
    # few observations of many assets: the sample matrix is singular, the shrunk one is not
    assert np.linalg.matrix_rank(sample_covariance(draw(15))) < 30
    assert np.linalg.eigvalsh(few.covariance).min() > 0


@settings(max_examples=150)
@given(returns=panels(), h=st.integers(1, 30))
def test_sample_statistics_equal_numpy(returns: np.ndarray, h: int) -> None:
    np.testing.assert_allclose(
        sample_covariance(returns), np.cov(returns.T, ddof=1).reshape(
            returns.shape[1], returns.shape[1]), rtol=1e-9, atol=1e-15,
    )  # fmt: skip
    assert volatility(returns[:, 0], h) == pytest.approx(np.std(returns[:, 0], ddof=1) * h**0.5)
    if returns.shape[1] > 1 and (np.std(returns, axis=0) > 0).all():
        np.testing.assert_allclose(
            correlation(sample_covariance(returns)), np.corrcoef(returns.T), atol=1e-9
        )


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: ewma_variance([0.1, float("nan")]), InvalidRiskInputError, "NaN"),
        (lambda: ewma_variance([]), InsufficientDataError, "at least 1"),
        (lambda: ewma_variance([0.1], lam=1.0), InvalidRiskInputError, "lam"),
        (lambda: ewma_variance([0.1], lam=0), InvalidRiskInputError, "lam"),
        (lambda: ewma_variance([0.1], seed=-1.0), InvalidRiskInputError, "seed"),
        (lambda: ewma_volatility([0.1], horizon=0), InvalidRiskInputError, "horizon"),
        (lambda: ledoit_wolf([[0.1, 0.2]]), InsufficientDataError, "at least 2"),
        (lambda: ledoit_wolf(np.zeros((3, 2, 2))), InvalidRiskInputError, "(periods, assets)"),
        (lambda: sample_covariance([[1.0, float("inf")]] * 3), InvalidRiskInputError, "infinite"),
        (lambda: correlation([[1.0, 0.0], [0.0, 0.0]]), InvalidRiskInputError, "asset 1"),
        (lambda: correlation([1.0, 2.0]), InvalidRiskInputError, "square"),
        (lambda: ewma_covariance([[0.1, 0.2]], seed=np.eye(3)), InvalidRiskInputError, "seed"),
        (lambda: volatility([0.1]), InsufficientDataError, "at least 2"),
    ],
)
def test_bad_input_is_named(call: object, error: type[Exception], words: str) -> None:
    assert callable(call)
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
