"""Build once, solve many: every optimizer's problem is DPP, the compiled Clarabel path is the
one in use, it gives what ``problem.solve()`` gives on the same problem, and re-solving never
goes back to cvxpy's compiler."""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from zippifi.risk import (
    Category,
    Constraints,
    MaxSharpe,
    MeanVariance,
    MinCVaR,
    RiskParity,
    TradingCosts,
    optimize,
)
from zippifi.risk.optimizer_compiled import CompiledProblem

from .optimizer_cases import Case, cases, examples, floats

SPEC = Constraints(upper=0.4, turnover=0.8, categories=(Category("stables", (0, 1), upper=0.5),))


def optimizers(n: int, scenarios: int) -> list[Any]:
    return [
        MeanVariance(n, constraints=SPEC, costs=TradingCosts(linear=0.001, impact=0.01)),
        MeanVariance(n, constraints=SPEC, target_return=True),
        MinCVaR(n, scenarios, constraints=SPEC, costs=TradingCosts(linear=0.001)),
        MaxSharpe(n, constraints=SPEC, costs=TradingCosts(linear=0.001)),
        RiskParity(n),
    ]


def test_every_problem_is_dpp_and_compiled_for_the_fast_path() -> None:
    for opt in optimizers(5, 30):
        assert opt.problem.is_dpp(), type(opt).__name__
        # if a cvxpy release changes its compiled form this fails, rather than every solve
        # quietly taking the slower path
        assert opt.compiled.fast is not None, opt.compiled.fallback_reason


@settings(max_examples=examples(30))
@given(case=cases(), gamma=floats(0.5, 20.0))
def test_fast_path_equals_problem_solve(case: Case, gamma: float) -> None:
    mv = MeanVariance(case.n, constraints=case.constraints, costs=case.costs)
    fast = mv.solve(case.mu, case.cov, w0=case.w0, risk_aversion=gamma)
    mv.compiled = CompiledProblem(mv.problem, [mv.model.w], fast=False)
    slow = mv.solve(case.mu, case.cov, w0=case.w0, risk_aversion=gamma)
    # the same conic data into the same solver with the same settings
    np.testing.assert_allclose(fast.weights, slow.weights, atol=1e-9, rtol=0)
    assert fast.status == slow.status


@settings(max_examples=examples(15))
@given(n=st.integers(2, 6), data=st.data())
def test_fast_path_equals_problem_solve_for_every_objective(n: int, data: st.DataObject) -> None:
    s = 25
    scenarios = data.draw(arrays(np.float64, (s, n), elements=floats(-0.1, 0.1)))
    g = data.draw(arrays(np.float64, (n + 2, n), elements=floats(-0.1, 0.1)))
    cov = g.T @ g + 1e-4 * np.eye(n)
    mu = data.draw(arrays(np.float64, n, elements=floats(0.001, 0.03)))
    spec = Constraints(upper=0.6)
    for make, call in (
        (lambda: MinCVaR(n, s, constraints=spec), lambda o: o.solve(scenarios, beta=0.9)),
        (lambda: MaxSharpe(n, constraints=spec), lambda o: o.solve(mu, cov)),
        (lambda: RiskParity(n), lambda o: o.solve(cov)),
    ):
        opt = make()
        fast = call(opt)
        outputs = [v for v in opt.problem.variables() if v.id in opt.compiled.fast.outputs]
        opt.compiled = CompiledProblem(opt.problem, outputs, fast=False)
        slow = call(opt)
        np.testing.assert_allclose(fast.weights, slow.weights, atol=1e-8, rtol=0)


def test_resolving_never_compiles_again(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 8
    rng = np.random.default_rng(5)
    opts = optimizers(n, 40)

    def refuse(*args: object, **kw: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(cp.Problem, "get_problem_data", refuse)
    monkeypatch.setattr(cp.Problem, "solve", refuse)
    for _ in range(3):
        g = rng.normal(0, 0.02, (40, n))
        cov, mu = g.T @ g, rng.uniform(0.001, 0.02, n)
        w0 = np.full(n, 1 / n)
        opts[0].solve(mu, cov, w0=w0, risk_aversion=3.0)
        opts[1].solve(mu, cov, w0=w0, target_return=float(np.median(mu)))
        opts[2].solve(g + mu, w0=w0)
        opts[3].solve(mu, cov, w0=w0)
        opts[4].solve(cov)


def test_another_solver_goes_through_cvxpy() -> None:
    """OSQP, on request, through problem.solve() at the tolerances that let its answer pass
    the optimizer's constraint check: Clarabel's answer, to a first-order method's accuracy."""
    rng = np.random.default_rng(2)
    n = 6
    g = rng.normal(0, 0.02, (30, n))
    mu = rng.uniform(0.001, 0.02, n)
    spec = Constraints(upper=0.4, turnover=1.0)
    osqp = MeanVariance(n, constraints=spec, solver="OSQP")
    assert osqp.compiled.fast is None
    a = osqp.solve(mu, g.T @ g, w0=np.full(n, 1 / n), risk_aversion=5.0)
    b = MeanVariance(n, constraints=spec).solve(
        mu, g.T @ g, w0=np.full(n, 1 / n), risk_aversion=5.0
    )
    assert a.solver == "OSQP"
    np.testing.assert_allclose(a.weights, b.weights, atol=1e-6, rtol=0)


@pytest.mark.parametrize("fast", [True, False])
def test_a_stalled_solve_is_retried_with_shorter_steps(fast: bool) -> None:
    """A weight pinned by equal bounds leaves the constraints no interior; on a near-singular
    covariance Clarabel stalls after a few iterations. The retry reaches the optimum, checked
    against SLSQP from many starts."""
    from scipy.optimize import minimize

    g = np.vstack([np.full((7, 5), 0.0625), 0.01 * np.eye(5)])
    cov = g.T @ g
    mu = np.array([0.0, -0.00585938, -0.00585938, 0.0, -0.00585938])
    rf = -0.0031149740868671514
    lo = np.array([0.17613636, 0.09090909, 0, 0, 0.17613636])
    hi = np.array([0.36363636, 0.09090909, 0.34090909, 0.34090909, 0.61363636])
    spec = Constraints(
        lower=lo,
        upper=hi,
        categories=(Category("c0", (1, 2), lower=2 / 11), Category("c1", (0,), upper=4 / 11)),
    )
    ms = MaxSharpe(5, constraints=spec)
    if not fast:
        ms.compiled = CompiledProblem(ms.problem, [ms.model.w, ms.kappa], fast=False)
    a = ms.solve(mu, cov, risk_free_rate=rf)

    def ratio(w: np.ndarray) -> float:
        return float((mu @ w - rf) / np.sqrt(w @ cov @ w))

    cons = [
        {"type": "eq", "fun": lambda w: w.sum() - 1},
        {"type": "ineq", "fun": lambda w: w[1] + w[2] - 2 / 11},
    ]
    best = max(
        ratio(r.x)
        for seed in range(10)
        if (
            r := minimize(
                lambda w: -ratio(w),
                np.random.default_rng(seed).uniform(lo, hi),
                method="SLSQP",
                bounds=list(zip(lo, hi, strict=True)),
                constraints=cons,
                options={"ftol": 1e-15, "maxiter": 1000},
            )
        ).success
    )
    assert a.parts.value == pytest.approx(best, rel=1e-8)


def test_optimize_is_one_solve_of_the_classes() -> None:
    rng = np.random.default_rng(9)
    n = 6
    g = rng.normal(0, 0.02, (60, n))
    cov, mu, w0 = g.T @ g, rng.uniform(0.001, 0.02, n), np.full(n, 1 / n)
    spec = Constraints(upper=0.4, turnover=1.0)
    costs = TradingCosts(linear=0.001)
    pairs = [
        (
            optimize("mean_variance", mu=mu, cov=cov, w0=w0, constraints=spec, costs=costs),
            MeanVariance(n, constraints=spec, costs=costs).solve(mu, cov, w0=w0),
        ),
        (
            optimize("mean_variance", mu=mu, factor=g, target_return=0.01, constraints=spec),
            MeanVariance(n, constraints=spec, target_return=True).solve(
                mu, factor=g, target_return=0.01
            ),
        ),
        (
            optimize("min_cvar", scenarios=g, beta=0.9, w0=w0, constraints=spec, costs=costs),
            MinCVaR(n, 60, constraints=spec, costs=costs).solve(g, beta=0.9, w0=w0),
        ),
        (
            optimize("max_sharpe", mu=mu, cov=cov, risk_free_rate=0.002, constraints=spec),
            MaxSharpe(n, constraints=spec).solve(mu, cov, risk_free_rate=0.002),
        ),
        (optimize("risk_parity", cov=cov), RiskParity(n).solve(cov)),
    ]
    for one, built in pairs:
        assert one.objective == built.objective
        np.testing.assert_allclose(one.weights, built.weights, atol=1e-12, rtol=0)
        assert one.parts == built.parts
