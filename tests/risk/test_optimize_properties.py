"""Properties of every objective on random problems that are feasible by construction: the
answer satisfies every constraint to solver tolerance, its reported parts are what its weights
give, and it scores at least as well as the portfolio the problem was built around (so a
feasible but poor answer fails too)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from zippifi.risk import (
    MaxSharpe,
    MeanVariance,
    MinCVaR,
    TradingCosts,
    sqrt_impact_coefficients,
)

from .optimizer_cases import (
    TOL,
    Case,
    cases,
    check_allocation,
    check_constraints,
    examples,
    floats,
    paid,
    with_costs,
)


def utility(case: Case, w: np.ndarray, gamma: float) -> float:
    return float(case.mu @ w - gamma / 2 * w @ case.cov @ w - sum(paid(case, w)))


def ru_cvar(losses: np.ndarray, beta: float) -> float:
    """Rockafellar-Uryasev's function minimised over its level; its minimum lies at one of the
    losses (it is piecewise linear with breaks there). Independent of the optimizer's sort."""
    s = len(losses)
    excess = np.clip(losses[None, :] - losses[:, None], 0, None).sum(axis=1)
    return float((losses + excess / ((1 - beta) * s)).min())


@settings(max_examples=examples(40))
@given(case=cases(), gamma=floats(0.5, 20.0), as_factor=st.booleans())
def test_mean_variance_respects_constraints_and_beats_the_known_point(
    case: Case, gamma: float, as_factor: bool
) -> None:
    mv = MeanVariance(case.n, constraints=case.constraints, costs=case.costs)
    risk = {"factor": case.factor} if as_factor else {"cov": case.cov}
    a = mv.solve(case.mu, w0=case.w0, risk_aversion=gamma, **risk)
    check_constraints(case, a.weights)
    check_allocation(case, a)
    assert a.parts.expected_return == np.float64(case.mu @ a.weights)
    assert utility(case, a.weights, gamma) >= utility(case, case.point, gamma) - TOL
    assert abs(a.parts.value - utility(case, a.weights, gamma)) <= 1e-12


@settings(max_examples=examples(30))
@given(case=cases(), slack=floats(0.0, 0.01))
def test_mean_variance_target_return_meets_it_with_least_variance(case: Case, slack: float) -> None:
    target = float(case.mu @ case.point) - sum(paid(case, case.point)) - slack
    mv = MeanVariance(case.n, constraints=case.constraints, costs=case.costs, target_return=True)
    a = mv.solve(case.mu, case.cov, w0=case.w0, target_return=target)
    check_constraints(case, a.weights)
    check_allocation(case, a)
    w = a.weights
    assert case.mu @ w - sum(paid(case, w)) >= target - TOL
    assert w @ case.cov @ w <= case.point @ case.cov @ case.point + TOL


@settings(max_examples=examples(30))
@given(
    case=cases(),
    data=st.data(),
    beta=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_min_cvar_respects_constraints_and_beats_the_known_point(
    case: Case, data: st.DataObject, beta: float
) -> None:
    s = data.draw(st.integers(5, 60), label="scenarios")
    scenarios = data.draw(arrays(np.float64, (s, case.n), elements=floats(-0.2, 0.2)))
    cv = MinCVaR(case.n, s, constraints=case.constraints, costs=case.costs)
    a = cv.solve(scenarios, beta=beta, w0=case.w0)
    check_constraints(case, a.weights)
    check_allocation(case, a)
    cvar = ru_cvar(-(scenarios @ a.weights), beta)
    assert abs(a.parts.risk - cvar) <= 1e-9 * max(1.0, abs(cvar))
    best_known = ru_cvar(-(scenarios @ case.point), beta) + sum(paid(case, case.point))
    assert cvar + sum(paid(case, a.weights)) <= best_known + TOL


@settings(max_examples=examples(40))
@given(case=cases(impact=False), rf=floats(-0.005, 0.01))
def test_max_sharpe_respects_constraints_and_beats_the_known_point(case: Case, rf: float) -> None:
    ms = MaxSharpe(case.n, constraints=case.constraints, costs=case.costs)
    a = ms.solve(case.mu, case.cov, w0=case.w0, risk_free_rate=rf)
    check_constraints(case, a.weights)
    check_allocation(case, a)

    def sharpe(w: np.ndarray) -> float:
        return float((case.mu @ w - rf - paid(case, w)[0]) / np.sqrt(w @ case.cov @ w))

    known = sharpe(case.point)
    if a.fallback is None:
        assert abs(a.parts.value - sharpe(a.weights)) <= 1e-9 * max(1.0, abs(known))
        assert sharpe(a.weights) >= known - TOL * max(1.0, abs(known))
    else:
        # only when nothing feasible earns more than the risk-free rate, the known point
        # included; then the answer is the least-variance portfolio
        assert a.fallback == "min_variance"
        assert known <= 1e-9, (a.reason, known)
        w = a.weights
        assert w @ case.cov @ w <= case.point @ case.cov @ case.point + TOL


@settings(max_examples=examples(20))
@given(case=cases(long_only=True, costs=False), depth=floats(1e5, 1e9))
def test_deeper_pools_never_give_a_worse_optimum(case: Case, depth: float) -> None:
    """Impact coefficients from pool depth: 100x the depth is 10x cheaper impact on every
    trade, so the best utility net of impact can only rise."""
    best = []
    for d in (depth, depth * 100):
        k = sqrt_impact_coefficients(1e6, [d] * case.n)
        np.testing.assert_allclose(k, np.sqrt(1e6 / d))
        priced = with_costs(case, TradingCosts(impact=k))
        mv = MeanVariance(case.n, constraints=case.constraints, costs=priced.costs)
        a = mv.solve(case.mu, case.cov, w0=case.w0, risk_aversion=5.0)
        check_constraints(priced, a.weights)
        check_allocation(priced, a)
        best.append(utility(priced, a.weights, 5.0))
    assert best[1] >= best[0] - TOL
