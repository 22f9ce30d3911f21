"""Random optimizer problems that are feasible by construction (a known portfolio ``point``
satisfies every constraint), the checks every answer must pass, and the example budget."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from zippifi.risk import Allocation, Category, Constraints, TradingCosts

LONG = os.environ.get("ZIPPIFI_LONG_TESTS") == "1"
# what "to solver tolerance" means here: Clarabel stops at 1e-8 relative residuals
TOL = 1e-6


def examples(normal: int) -> int:
    """Examples per property: ``normal`` in a normal run, 10x under ZIPPIFI_LONG_TESTS=1."""
    return normal * 10 if LONG else normal


@dataclass(frozen=True)
class Case:
    n: int
    mu: np.ndarray
    factor: np.ndarray  # G, covariance G'G
    w0: np.ndarray
    constraints: Constraints
    costs: TradingCosts | None
    point: np.ndarray  # satisfies every constraint

    @property
    def cov(self) -> np.ndarray:
        return self.factor.T @ self.factor


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def vec(n: int, lo: float, hi: float) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float64, n, elements=floats(lo, hi))


@st.composite
def cases(
    draw: st.DrawFn,
    *,
    long_only: bool | None = None,
    costs: bool = True,
    impact: bool = True,
    sizes: tuple[int, ...] = (2, 3, 5, 8),
    slack: float = 0.0,
) -> Case:
    """``slack``: the least room every constraint leaves around the known point (0 lets
    hypothesis pin it exactly, the hardest case for a solver; scipy's SLSQP needs some)."""
    n = draw(st.sampled_from(sizes))
    long = draw(st.booleans()) if long_only is None else long_only
    raw = draw(vec(n, 0.02, 1.0))
    point = raw / raw.sum()
    if not long:  # some shorts, still summing to 1
        shift = draw(vec(n, -0.4, 0.4))
        point = point + shift - shift.mean()
    lower = upper = None
    if long or draw(st.booleans()):
        lower = point - draw(vec(n, slack, 0.3))
    if long or draw(st.booleans()):
        upper = point + draw(vec(n, slack, 0.3))
    leverage = None
    if not long and (draw(st.booleans()) or lower is None or upper is None):
        leverage = float(np.abs(point).sum()) + draw(floats(slack, 0.5))
    cats = []
    for i in range(draw(st.integers(0, 2))):
        members = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
        total = float(point[members].sum())
        lo = total - draw(floats(slack, 0.2)) if draw(st.booleans()) else None
        hi = total + draw(floats(slack, 0.2)) if lo is None or draw(st.booleans()) else None
        cats.append(Category(f"c{i}", tuple(members), lo, hi))
    w0 = draw(vec(n, 0.0, 1.0))
    if draw(st.booleans()):
        w0 = w0 / w0.sum() if w0.sum() > 0 else np.full(n, 1 / n)
    turnover = None
    if draw(st.booleans()):
        turnover = float(np.abs(point - w0).sum()) + draw(floats(slack, 0.5))
    cost = None
    if costs and draw(st.booleans()):
        linear = draw(st.none() | vec(n, 0.0, 0.01))
        k = draw(st.none() | vec(n, 0.0, 0.05)) if impact else None
        cost = TradingCosts(linear=linear, impact=k)
    mu = draw(vec(n, -0.01, 0.03))
    factor = draw(arrays(np.float64, (n + 2, n), elements=floats(-0.1, 0.1)))
    # a floor on each variance keeps the covariance positive definite
    factor = np.vstack([factor, 0.01 * np.eye(n)])
    constraints = Constraints(
        long_only=long,
        lower=lower,
        upper=upper,
        leverage=leverage,
        categories=tuple(cats),
        turnover=turnover,
    )
    return Case(n, mu, factor, w0, constraints, cost, point)


def with_costs(case: Case, costs: TradingCosts | None) -> Case:
    return replace(case, costs=costs)


def paid(case: Case, w: np.ndarray) -> tuple[float, float]:
    """(linear costs, impact) of moving from case.w0 to w, from the case's own numbers."""
    if case.costs is None:
        return 0.0, 0.0
    dw = np.abs(w - case.w0)
    linear = 0.0 if case.costs.linear is None else float(np.asarray(case.costs.linear) @ dw)
    impact = 0.0 if case.costs.impact is None else float(np.asarray(case.costs.impact) @ dw**1.5)
    return linear, impact


def check_constraints(case: Case, w: np.ndarray, tol: float = TOL) -> None:
    """Every constraint of the case holds at w, to tolerance; the message names the first
    that does not."""
    c = case.constraints
    assert abs(w.sum() - 1) <= tol, f"fully invested: sum {w.sum()!r}"
    if c.long_only:
        assert w.min() >= -tol, f"long-only: {w.min()!r}"
    if c.lower is not None:
        assert (w >= np.asarray(c.lower) - tol).all(), f"lower bounds: {w} vs {c.lower}"
    if c.upper is not None:
        assert (w <= np.asarray(c.upper) + tol).all(), f"upper bounds: {w} vs {c.upper}"
    if c.leverage is not None:
        assert np.abs(w).sum() <= c.leverage + tol, f"leverage: {np.abs(w).sum()!r}"
    for cat in c.categories:
        total = w[list(cat.assets)].sum()
        if cat.lower is not None:
            assert total >= cat.lower - tol, f"category {cat.name} lower: {total!r}"
        if cat.upper is not None:
            assert total <= cat.upper + tol, f"category {cat.name} upper: {total!r}"
    if c.turnover is not None:
        moved = np.abs(w - case.w0).sum()
        assert moved <= c.turnover + tol, f"turnover: {moved!r} > {c.turnover!r}"


def check_allocation(case: Case, a: Allocation) -> None:
    """The answer's own bookkeeping: trades, parts, status."""
    assert a.status in ("optimal", "optimal_inaccurate"), a.status
    np.testing.assert_allclose(a.current, case.w0, rtol=0, atol=0)
    np.testing.assert_allclose(a.trades, a.weights - case.w0, rtol=0, atol=1e-15)
    linear, impact = paid(case, a.weights)
    assert a.parts.costs == np.float64(linear) or abs(a.parts.costs - linear) <= 1e-12
    assert abs(a.parts.impact - impact) <= 1e-12
    if a.parts.risk_measure == "variance":
        w = a.weights
        assert abs(a.parts.risk - w @ case.cov @ w) <= 1e-9 * max(1.0, a.parts.risk)
