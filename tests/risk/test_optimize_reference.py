"""The optimizer against formulations nobody here wrote: PyPortfolioOpt (its own cvxpy models:
``max_quadratic_utility``, ``efficient_return``, ``max_sharpe``, ``min_volatility``,
``EfficientCVaR``) and scipy (SLSQP on a smooth split of the trades; least squares on the
definition of equal risk contributions), on the same random problems."""

from __future__ import annotations

import warnings
from typing import Any

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pypfopt import EfficientCVaR, EfficientFrontier
from pypfopt.exceptions import OptimizationError
from scipy.optimize import minimize

from zippifi.risk import (
    Constraints,
    MaxSharpe,
    MeanVariance,
    MinCVaR,
    RiskParity,
    TradingCosts,
)

from .optimizer_cases import Case, cases, check_constraints, examples, floats, paid

# Both sides solve to a duality gap of 1e-10 on data scaled to order 1 (the optimizer scales
# its own; PyPortfolioOpt is handed the same problem scaled, below). Ours must score at least
# as well as theirs to OBJ_TOL in those units; theirs may trail by up to LOOSE (PyPortfolioOpt
# was seen 3e-6 short where the utility was ~40, its costs in cp.abs terms). Weights are a
# weaker witness: on degenerate optima (a bound active with a zero multiplier) and near-
# singular covariances, which the generators make often, the objective is so flat that
# answers optimal to tolerance differ by ~1e-5 in weight; W_TOL only catches another optimum.
OBJ_TOL = 1e-7
LOOSE = 1e-5
W_TOL = 1e-3


def at_least_as_good(ours: float, theirs: float) -> None:
    """``ours`` (to be maximised) is no worse than ``theirs`` and not suspiciously better."""
    scale = max(1.0, abs(theirs))
    assert ours >= theirs - OBJ_TOL * scale, (ours, theirs)
    assert ours - theirs <= LOOSE * scale, (ours, theirs)


FAR = 1e4
TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10}


def unit_variance(case: Case) -> float:
    """1 / the mean variance: PyPortfolioOpt gets the covariance (and the utility's other
    terms) times this, which leaves the answer unchanged and makes its absolute tolerances
    meaningful."""
    return float(case.n / np.trace(case.cov))


def pypfopt_frontier(case: Case, cls: Any = EfficientFrontier, **kw: Any) -> Any:
    """PyPortfolioOpt with the case's bounds, leverage, categories and turnover."""
    c = case.constraints
    n = case.n
    # an absent bound is one nothing here reaches (PyPortfolioOpt's own "none", infinity,
    # breaks its max_sharpe, which rescales every bound)
    far = FAR if c.leverage is None else c.leverage  # |w_i| <= leverage anyway
    lo = np.zeros(n) if c.long_only else np.full(n, -far)
    if c.lower is not None:
        lo = np.maximum(lo, np.asarray(c.lower)) if c.long_only else np.asarray(c.lower)
    hi = np.full(n, far) if c.upper is None else np.asarray(c.upper, dtype=float)
    bounds = [(float(a), float(b)) for a, b in zip(lo, hi, strict=True)]
    ef = cls(weight_bounds=bounds, solver="CLARABEL", solver_options=TIGHT, **kw)
    if c.leverage is not None:
        ef.add_constraint(lambda w: cp.norm1(w) <= c.leverage)
    if c.turnover is not None:
        ef.add_constraint(lambda w: cp.norm1(w - case.w0) <= c.turnover)
    for cat in c.categories:
        mapper = {i: ("in" if i in cat.assets else "out") for i in range(n)}
        lower = {} if cat.lower is None else {"in": cat.lower}
        upper = {} if cat.upper is None else {"in": cat.upper}
        with warnings.catch_warnings():  # it warns that shorts may surprise: not here
            warnings.simplefilter("ignore", UserWarning)
            ef.add_sector_constraints(mapper, lower, upper)
    return ef


def add_costs(ef: Any, case: Case, scale: float) -> None:
    if case.costs is None:
        return
    if case.costs.linear is not None:
        c = np.asarray(case.costs.linear) * scale
        ef.add_objective(lambda w: c @ cp.abs(w - case.w0))
    if case.costs.impact is not None:
        k = np.asarray(case.costs.impact) * scale
        ef.add_objective(lambda w: k @ cp.power(cp.abs(w - case.w0), 1.5))


def weights(ef: Any) -> np.ndarray:
    return np.array(list(ef.weights), dtype=float)


@settings(max_examples=examples(40))
@given(case=cases(), gamma=floats(0.5, 20.0))
def test_quadratic_utility_matches_pypfopt(case: Case, gamma: float) -> None:
    ours = MeanVariance(case.n, constraints=case.constraints, costs=case.costs).solve(
        case.mu, case.cov, w0=case.w0, risk_aversion=gamma
    )
    s = unit_variance(case)
    ef = pypfopt_frontier(case, expected_returns=case.mu * s, cov_matrix=case.cov * s)
    add_costs(ef, case, s)
    ef.max_quadratic_utility(risk_aversion=gamma)
    theirs = weights(ef)
    check_constraints(case, theirs)

    def utility(w: np.ndarray) -> float:  # in PyPortfolioOpt's scaled units
        return s * float(case.mu @ w - gamma / 2 * w @ case.cov @ w - sum(paid(case, w)))

    at_least_as_good(utility(ours.weights), utility(theirs))
    np.testing.assert_allclose(ours.weights, theirs, atol=W_TOL, rtol=0)


@settings(max_examples=examples(30))
# PyPortfolioOpt refuses a target within its own solver's tolerance of the largest return
@given(case=cases(costs=False), slack=floats(1e-6, 0.005))
def test_target_return_matches_pypfopt(case: Case, slack: float) -> None:
    target = float(case.mu @ case.point) - slack
    mv = MeanVariance(case.n, constraints=case.constraints, target_return=True)
    ours = mv.solve(case.mu, case.cov, w0=case.w0, target_return=target)
    s = unit_variance(case)
    ef = pypfopt_frontier(case, expected_returns=case.mu, cov_matrix=case.cov * s)
    ef.efficient_return(target)
    theirs = weights(ef)
    check_constraints(case, theirs)
    assert case.mu @ theirs >= target - 1e-6
    at_least_as_good(-s * ours.parts.risk, -s * float(theirs @ case.cov @ theirs))
    np.testing.assert_allclose(ours.weights, theirs, atol=W_TOL, rtol=0)


@settings(max_examples=examples(30))
@given(case=cases(costs=False), rf=floats(-0.005, 0.01))
def test_max_sharpe_matches_pypfopt(case: Case, rf: float) -> None:
    # PyPortfolioOpt's max_sharpe rescales constant right-hand sides only, so it cannot take a
    # turnover limit (its w0 is not rescaled): the comparison leaves turnover out
    from dataclasses import replace

    case = replace(case, constraints=replace(case.constraints, turnover=None))
    ours = MaxSharpe(case.n, constraints=case.constraints).solve(
        case.mu, case.cov, risk_free_rate=rf
    )
    # the ratio's optimum is unchanged by scaling the excess returns and the covariance
    biggest = float(np.abs(case.mu - rf).max())
    a = 1 / biggest if biggest > 0 else 1.0
    ef = pypfopt_frontier(
        case, expected_returns=case.mu * a, cov_matrix=case.cov * unit_variance(case)
    )
    if ours.fallback is not None:
        # nothing feasible earns more than rf (1e-12 counts as nothing): PyPortfolioOpt fails,
        # or finds no more than that either
        try:
            ef.max_sharpe(risk_free_rate=rf * a)
        except (ValueError, OptimizationError, cp.error.SolverError):
            return
        assert case.mu @ weights(ef) - rf <= 1e-12
        return
    if (case.mu <= rf).all():
        # PyPortfolioOpt refuses whenever no asset beats rf, though shorting one may: ours
        # must then be a short-selling portfolio with a positive ratio
        with pytest.raises(ValueError, match="exceeding the risk-free rate"):
            ef.max_sharpe(risk_free_rate=rf * a)
        assert not case.constraints.long_only
        assert ours.parts.value > 0
        assert ours.weights.min() < 0
        return
    try:
        ef.max_sharpe(risk_free_rate=rf * a)
        theirs = weights(ef)
    except (OptimizationError, cp.error.SolverError):
        # PyPortfolioOpt's solve fails (a weight pinned by equal bounds on a near-singular
        # covariance leaves no interior): SLSQP from several starts stands in
        theirs = scipy_max_sharpe(case, rf)
    check_constraints(case, theirs)
    ratio = float((case.mu @ theirs - rf) / np.sqrt(theirs @ case.cov @ theirs))
    at_least_as_good(ours.parts.value, ratio)
    np.testing.assert_allclose(ours.weights, theirs, atol=W_TOL, rtol=0)


def test_max_sharpe_all_negative_returns_falls_back_where_pypfopt_fails() -> None:
    rng = np.random.default_rng(7)
    n = 6
    g = rng.normal(0, 0.02, (40, n))
    cov = g.T @ g
    mu = -rng.uniform(0.001, 0.01, n)
    bounds = Constraints(upper=0.4)
    ef = EfficientFrontier(mu, cov, weight_bounds=(0, 0.4), solver="CLARABEL")
    with pytest.raises(ValueError, match="risk-free"):
        ef.max_sharpe()
    a = MaxSharpe(n, constraints=bounds).solve(mu, cov)
    assert a.fallback == "min_variance"
    assert a.reason is not None
    assert "risk-free rate" in a.reason
    assert a.parts.value < 0  # its Sharpe ratio, negative as every return is
    ref = EfficientFrontier(mu, cov, weight_bounds=(0, 0.4), solver="CLARABEL")
    ref.min_volatility()
    theirs = weights(ref)
    assert a.parts.risk == pytest.approx(float(theirs @ cov @ theirs), rel=1e-7)
    np.testing.assert_allclose(a.weights, theirs, atol=W_TOL, rtol=0)


def test_max_sharpe_falls_back_when_costs_eat_every_excess_return() -> None:
    """Positive expected returns, but buying from cash costs more than any of them earns: no
    portfolio has a positive excess return net of costs (found by the LP, not the shortcut)."""
    n = 4
    rng = np.random.default_rng(3)
    g = rng.normal(0, 0.02, (30, n))
    mu = np.array([0.001, 0.002, 0.0005, 0.0015])
    a = MaxSharpe(n, costs=TradingCosts(linear=0.01)).solve(mu, g.T @ g, w0=np.zeros(n))
    assert a.fallback == "min_variance"
    assert a.reason is not None
    assert "net of costs" in a.reason
    # with the cost gone the same problem has a proper answer
    b = MaxSharpe(n).solve(mu, g.T @ g, w0=np.zeros(n))
    assert b.fallback is None
    assert b.parts.value > 0


def test_max_sharpe_shorts_past_negative_returns() -> None:
    """All expected returns negative but shorts allowed within a leverage limit: shorting the
    worst asset earns a positive excess return, so there is no fallback."""
    n = 3
    cov = np.diag([0.04, 0.04, 0.0001])
    mu = np.array([-0.05, -0.001, -0.0001])
    spec = Constraints(long_only=False, leverage=2.0)
    a = MaxSharpe(n, constraints=spec).solve(mu, cov)
    assert a.fallback is None
    assert a.weights[0] < 0
    assert a.parts.value > 0
    assert np.abs(a.weights).sum() <= 2.0 + 1e-7


@settings(max_examples=examples(25))
@given(
    case=cases(long_only=True, costs=False),
    data=st.data(),
    beta=st.sampled_from([0.8, 0.9, 0.95]),
)
def test_min_cvar_matches_pypfopt(case: Case, data: st.DataObject, beta: float) -> None:
    s = data.draw(st.integers(10, 60), label="scenarios")
    scenarios = data.draw(arrays(np.float64, (s, case.n), elements=floats(-0.2, 0.2)))
    ours = MinCVaR(case.n, s, constraints=case.constraints).solve(scenarios, beta=beta, w0=case.w0)
    ef = pypfopt_frontier(
        case, cls=EfficientCVaR, expected_returns=scenarios.mean(axis=0), returns=scenarios,
        beta=beta,
    )  # fmt: skip
    ef.min_cvar()
    theirs = weights(ef)
    # an LP's optimum need not be unique: compare the CVaR each reaches
    from zippifi.risk.optimizer import scenario_cvar

    assert ours.parts.risk == pytest.approx(
        scenario_cvar(-(scenarios @ theirs), beta), rel=1e-6, abs=1e-8
    )


def test_min_cvar_target_return_matches_pypfopt() -> None:
    rng = np.random.default_rng(11)
    n, s = 8, 300
    scenarios = rng.standard_t(4, (s, n)) * 0.02 + rng.uniform(-0.001, 0.003, n)
    mu = scenarios.mean(axis=0)
    target = float(np.quantile(mu, 0.7))
    cv = MinCVaR(n, s, constraints=Constraints(upper=0.5), target_return=True)
    ours = cv.solve(scenarios, beta=0.95, target_return=target)
    assert ours.parts.expected_return is not None
    assert ours.parts.expected_return >= target - 1e-8
    ef = EfficientCVaR(mu, scenarios, beta=0.95, weight_bounds=(0, 0.5), solver="CLARABEL")
    ef.efficient_return(target)
    from zippifi.risk.optimizer import scenario_cvar

    theirs = scenario_cvar(-(scenarios @ weights(ef)), 0.95)
    assert ours.parts.risk == pytest.approx(theirs, rel=1e-6)


def scipy_constraints(case: Case, weights_of: Any) -> list[dict[str, Any]]:
    """The case's constraints on ``weights_of(x)`` as SLSQP dictionaries (bounds aside)."""
    c = case.constraints
    n = case.n
    cons: list[dict[str, Any]] = [{"type": "eq", "fun": lambda x: weights_of(x).sum() - 1}]
    if c.leverage is not None:
        limit = c.leverage
        cons.append({"type": "ineq", "fun": lambda x: limit - np.abs(weights_of(x)).sum()})
    for cat in c.categories:
        member = np.isin(np.arange(n), cat.assets)
        for bound, sign in ((cat.lower, 1.0), (cat.upper, -1.0)):
            if bound is not None:
                cons.append(
                    {
                        "type": "ineq",
                        "fun": lambda x, m=member, b=bound, s=sign: s * (weights_of(x) @ m - b),
                    }
                )
    return cons


def scipy_max_sharpe(case: Case, rf: float) -> np.ndarray:
    """SLSQP on the ratio itself from the known point and ten random starts; the best."""
    c = case.constraints
    n = case.n
    lo = np.zeros(n) if c.long_only else np.full(n, -FAR)
    if c.lower is not None:
        lo = np.maximum(lo, np.asarray(c.lower)) if c.long_only else np.asarray(c.lower)
    hi = np.full(n, FAR) if c.upper is None else np.asarray(c.upper, dtype=float)
    lo, hi = np.maximum(lo, -3.0), np.minimum(hi, 3.0)  # leverage or bounds keep |w| small

    def ratio(w: np.ndarray) -> float:
        return float((case.mu @ w - rf) / np.sqrt(w @ case.cov @ w))

    starts = [case.point] + [np.random.default_rng(i).uniform(lo, hi) for i in range(10)]
    found = []
    for x0 in starts:
        r = minimize(
            lambda w: -ratio(w), x0, method="SLSQP", bounds=list(zip(lo, hi, strict=True)),
            constraints=scipy_constraints(case, lambda w: w),
            options={"ftol": 1e-15, "maxiter": 1000},
        )  # fmt: skip
        if r.success:
            found.append(r.x)
    assert found, "SLSQP found nothing either"
    return max(found, key=ratio)


def scipy_utility(case: Case, gamma: float) -> np.ndarray:
    """SLSQP on x = [buys, sells] >= 0, w = w0 + buys - sells: |dw| = buys + sells at the
    optimum, which makes costs and impact smooth; constraints as scipy dictionaries."""
    n, c = case.n, case.constraints
    lin = np.zeros(n) if case.costs is None or case.costs.linear is None else case.costs.linear
    k = np.zeros(n) if case.costs is None or case.costs.impact is None else case.costs.impact
    lin, k = np.asarray(lin), np.asarray(k)

    def split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return case.w0 + x[:n] - x[n:], x[:n] + x[n:]

    def objective(x: np.ndarray) -> float:
        w, moved = split(x)
        return -(case.mu @ w - gamma / 2 * w @ case.cov @ w - lin @ moved - k @ moved**1.5)

    cons = scipy_constraints(case, lambda x: split(x)[0])
    lo = np.zeros(n) if c.lower is None else np.maximum(np.asarray(c.lower), 0)
    cons.append({"type": "ineq", "fun": lambda x: split(x)[0] - lo})
    if c.upper is not None:
        hi = np.asarray(c.upper)
        cons.append({"type": "ineq", "fun": lambda x: hi - split(x)[0]})
    if c.turnover is not None:
        limit = c.turnover
        cons.append({"type": "ineq", "fun": lambda x: limit - split(x)[1].sum()})
    # from the known point, then from the current weights: SLSQP's line search sometimes
    # fails from one start and not another
    found = []
    for target in (case.point, case.w0):
        buys = np.clip(target - case.w0, 0, None)
        start = np.concatenate([buys, buys - (target - case.w0)])
        res = minimize(
            objective, start, method="SLSQP", bounds=[(0, 2)] * (2 * n), constraints=cons,
            options={"ftol": 1e-14, "maxiter": 2000},
        )  # fmt: skip
        if res.success:
            found.append(res)
    assert found, "SLSQP failed from every start"
    return split(min(found, key=lambda r: r.fun).x)[0]


@settings(max_examples=examples(25))
@given(
    case=cases(long_only=True, sizes=(2, 3, 5), slack=0.01), gamma=floats(1.0, 20.0), data=st.data()
)
def test_costs_and_impact_match_scipy(case: Case, gamma: float, data: st.DataObject) -> None:
    n = case.n
    costs = TradingCosts(
        linear=data.draw(arrays(np.float64, n, elements=floats(0.0001, 0.01))),
        impact=data.draw(arrays(np.float64, n, elements=floats(0.0001, 0.05))),
    )
    from dataclasses import replace

    case = replace(case, costs=costs)
    ours = MeanVariance(n, constraints=case.constraints, costs=costs).solve(
        case.mu, case.cov, w0=case.w0, risk_aversion=gamma
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SLSQP probes 0 ** 0.5 derivatives
        theirs = scipy_utility(case, gamma)

    def u(w: np.ndarray) -> float:
        return float(case.mu @ w - gamma / 2 * w @ case.cov @ w - sum(paid(case, w)))

    # SLSQP stops earlier than an interior-point method: ours is at least as good, and close
    assert u(ours.weights) >= u(theirs) - 1e-8
    assert u(ours.weights) - u(theirs) <= 1e-6
    np.testing.assert_allclose(ours.weights, theirs, atol=1e-3, rtol=0)


@settings(max_examples=examples(30))
@given(
    n=st.integers(2, 10),
    data=st.data(),
    equal=st.booleans(),
)
def test_risk_parity_matches_the_definition_solved_by_scipy(
    n: int, data: st.DataObject, equal: bool
) -> None:
    g = data.draw(arrays(np.float64, (n + 3, n), elements=floats(-0.1, 0.1)))
    cov = g.T @ g + 1e-4 * np.eye(n)
    budgets = None if equal else data.draw(arrays(np.float64, n, elements=floats(0.05, 1.0)))
    b = np.full(n, 1 / n) if budgets is None else budgets / budgets.sum()
    a = RiskParity(n).solve(cov, budgets=budgets)
    w = a.weights

    def shares(x: np.ndarray) -> np.ndarray:
        rc = x * (cov @ x)
        return rc / rc.sum()

    # the definition: each asset's share of the risk is its budget
    np.testing.assert_allclose(shares(w), b, atol=1e-9, rtol=0)
    assert w.min() > 0
    assert abs(w.sum() - 1) < 1e-9
    # scipy's L-BFGS-B from inverse-volatility weights on the convex program whose optimum is
    # the only long-only portfolio with those shares (least squares on the shares themselves
    # stalls at the boundary on strongly correlated assets)
    inv = 1 / np.sqrt(np.diag(cov))
    res = minimize(
        lambda y: (0.5 * y @ cov @ y - b @ np.log(y), cov @ y - b / y),
        inv / inv.sum(), jac=True, method="L-BFGS-B", bounds=[(1e-12, None)] * n,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000},
    )  # fmt: skip
    np.testing.assert_allclose(w, res.x / res.x.sum(), atol=1e-6, rtol=0)
