"""The portfolio optimizer (zippifi.risk) side by side with PyPortfolioOpt on the same problems,
same run, both answers checked equal.

Rows (suite "risk" in extra_info, read by bench/report_risk.py):
- ``mv_build``: building ``MeanVariance`` for 50 assets (cvxpy's DPP compile, the fast path's
  map and its check against cvxpy's own problem data), once;
- ``mv_resolve``: re-solving it on new data (expected returns, covariance, current weights):
  long-only, weights <= 10%, a stablecoin category <= 30%, turnover <= 0.5 from the current
  weights, linear costs of 10 bps; per-solve latencies;
- ``mv_pypfopt``: PyPortfolioOpt on each of the same problems (``EfficientFrontier`` built per
  problem, as its API needs for new data: ``max_quadratic_utility`` with a ``transaction_cost``
  objective, sector and turnover constraints), Clarabel at the same tolerances on the same
  scaled data (see ``_scaled``); every answer checked equal to ours;
- ``cvar_build`` / ``cvar_resolve`` / ``cvar_pypfopt``: min-CVaR (95%) over 5,000 scenarios of
  50 assets, same constraints, against ``EfficientCVaR.min_cvar``; CVaR values checked equal.

Scaled by ZIPPIFI_BENCH_SCALE: the number of re-solves, and the scenarios (short mode: 150).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

import cvxpy as cp
import numpy as np
from pypfopt import EfficientCVaR, EfficientFrontier, objective_functions

from bench.conftest import ROUNDS, scaled
from zippifi.risk import Category, Constraints, MeanVariance, MinCVaR, TradingCosts
from zippifi.risk.optimizer import scenario_cvar

N_ASSETS = 50
N_PROBLEMS = max(3, scaled(100))  # re-solves per round
N_SCENARIOS = scaled(5_000)
N_CVAR_PROBLEMS = 2
STABLES = (0, 1, 2, 3, 4)
SPEC = Constraints(
    upper=0.1, categories=(Category("stablecoins", STABLES, upper=0.3),), turnover=0.5
)
COST = 0.001
# the tolerances zippifi uses (optimizer_compiled.CLARABEL_OPTIONS), given to PyPortfolioOpt
TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10}
W_TOL = 1e-5  # weights checked equal to this


def _info(benchmark: Any, row: str, **extra: Any) -> None:
    benchmark.extra_info.update(
        {"suite": "risk", "row": row, "n_assets": N_ASSETS, "cpu_count": os.cpu_count(), **extra}
    )


@functools.cache
def _problems() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(mu, cov, w0): a year of daily returns from a 5-factor model, re-estimated on a window
    that rolls forward a week per problem; the current weights drift from the last target."""
    rng = np.random.default_rng(42)
    days = 250 + 5 * N_PROBLEMS
    loadings = rng.normal(0, 1, (5, N_ASSETS))
    factors = rng.normal(0, 0.01, (days, 5))
    returns = factors @ loadings * 0.5 + rng.normal(0, 0.015, (days, N_ASSETS))
    returns[:, list(STABLES)] *= 0.05  # stablecoins barely move
    out = []
    w0 = np.full(N_ASSETS, 1 / N_ASSETS)
    for k in range(N_PROBLEMS):
        window = returns[5 * k : 5 * k + 250]
        mu = window.mean(axis=0) + rng.normal(0, 0.001, N_ASSETS)
        out.append((mu, np.cov(window.T), w0.copy()))
        w0 = np.abs(w0 + rng.normal(0, 0.004, N_ASSETS))
        w0 /= w0.sum()
    return out


def _scaled(mu: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The same problem with the covariance at unit average variance (mu and the cost scaled
    alike): the optimum does not change, and Clarabel's absolute tolerances then mean what
    they mean to zippifi, which scales internally. Unscaled, PyPortfolioOpt's answers were off
    by up to 1e-3 in weight."""
    s = N_ASSETS / float(np.trace(cov))
    return mu * s, cov * s, s


def _pypfopt_mv(mu: np.ndarray, cov: np.ndarray, w0: np.ndarray) -> np.ndarray:
    mu_s, cov_s, s = _scaled(mu, cov)
    ef = EfficientFrontier(mu_s, cov_s, weight_bounds=(0, 0.1), solver="CLARABEL",
                           solver_options=TIGHT)  # fmt: skip
    ef.add_objective(objective_functions.transaction_cost, w_prev=w0, k=COST * s)
    ef.add_constraint(lambda w: cp.norm1(w - w0) <= 0.5)
    mapper = {i: "stable" if i in STABLES else "other" for i in range(N_ASSETS)}
    ef.add_sector_constraints(mapper, {}, {"stable": 0.3})
    ef.max_quadratic_utility(risk_aversion=GAMMA)
    return np.array(list(ef.weights))


GAMMA = 5.0


def test_risk_mv_build(benchmark: Any) -> None:
    built: list[MeanVariance] = []
    benchmark.pedantic(
        lambda: built.append(MeanVariance(N_ASSETS, constraints=SPEC, costs=TradingCosts(COST))),
        rounds=ROUNDS,
        iterations=1,
    )
    assert built[-1].compiled.fast is not None, built[-1].compiled.fallback_reason
    _info(benchmark, "mv_build")


def _latencies(run: Any, items: list[Any]) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        run(*item)
        out.append(time.perf_counter() - t)
    return out


def test_risk_mv_resolve(benchmark: Any) -> None:
    mv = MeanVariance(N_ASSETS, constraints=SPEC, costs=TradingCosts(COST))
    problems = _problems()
    answers: list[Any] = []
    lat: list[float] = []

    def solve(mu: np.ndarray, cov: np.ndarray, w0: np.ndarray) -> None:
        answers.append(mv.solve(mu, cov, w0=w0, risk_aversion=GAMMA))

    def run() -> None:
        answers.clear()
        lat[:] = _latencies(solve, problems)

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert all(a.status == "optimal" for a in answers)
    lat.sort()
    _info(
        benchmark,
        "mv_resolve",
        n_items=len(problems),
        p50_ms=lat[len(lat) // 2] * 1e3,
        p99_ms=lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
        iterations=float(np.mean([a.iterations for a in answers])),
        solver_ms=float(np.mean([a.solve_seconds for a in answers])) * 1e3,
    )


def test_risk_mv_pypfopt(benchmark: Any) -> None:
    problems = _problems()
    theirs: list[np.ndarray] = []

    def run() -> None:
        theirs.clear()
        theirs.extend(_pypfopt_mv(*p) for p in problems)

    benchmark.pedantic(run, rounds=max(1, min(ROUNDS, 3)), iterations=1, warmup_rounds=1)
    # ours on the same problems, timed here too so the ratio compares like with like
    mv = MeanVariance(N_ASSETS, constraints=SPEC, costs=TradingCosts(COST))
    ours_s = []
    worst = 0.0
    for (mu, cov, w0), w in zip(problems, theirs, strict=True):
        t = time.perf_counter()
        a = mv.solve(mu, cov, w0=w0, risk_aversion=GAMMA)
        ours_s.append(time.perf_counter() - t)
        worst = max(worst, float(np.abs(a.weights - w).max()))
    assert worst <= W_TOL, f"zippifi and PyPortfolioOpt differ by {worst:.2e} in weight"
    _info(
        benchmark,
        "mv_pypfopt",
        n_items=len(problems),
        ours_s=float(np.sum(ours_s)),
        max_weight_diff=worst,
        tolerance=W_TOL,
    )


@functools.cache
def _scenarios() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    out = []
    for _ in range(N_CVAR_PROBLEMS):
        r = rng.standard_t(4, (N_SCENARIOS, N_ASSETS)) * 0.02 + rng.normal(0.0005, 0.001, N_ASSETS)
        r[:, list(STABLES)] *= 0.05
        out.append(r)
    return out


def test_risk_cvar_build(benchmark: Any) -> None:
    built: list[MinCVaR] = []
    benchmark.pedantic(
        lambda: built.append(MinCVaR(N_ASSETS, N_SCENARIOS, constraints=SPEC)),
        rounds=1,
        iterations=1,
    )
    assert built[-1].compiled.fast is not None, built[-1].compiled.fallback_reason
    _info(benchmark, "cvar_build", n_scenarios=N_SCENARIOS)


def test_risk_cvar_resolve(benchmark: Any) -> None:
    cv = MinCVaR(N_ASSETS, N_SCENARIOS, constraints=SPEC, costs=TradingCosts(COST))
    w0 = np.full(N_ASSETS, 1 / N_ASSETS)
    answers: list[Any] = []

    def run() -> None:
        answers.clear()
        answers.extend(cv.solve(r, beta=0.95, w0=w0) for r in _scenarios())

    benchmark.pedantic(run, rounds=1 if N_SCENARIOS >= 1000 else ROUNDS, iterations=1)
    assert all(a.status == "optimal" for a in answers)
    _info(
        benchmark,
        "cvar_resolve",
        n_items=N_CVAR_PROBLEMS,
        n_scenarios=N_SCENARIOS,
        iterations=float(np.mean([a.iterations for a in answers])),
        solver_ms=float(np.mean([a.solve_seconds for a in answers])) * 1e3,
    )


def test_risk_cvar_pypfopt(benchmark: Any) -> None:
    w0 = np.full(N_ASSETS, 1 / N_ASSETS)
    theirs: list[np.ndarray] = []

    def one(r: np.ndarray) -> np.ndarray:
        ef = EfficientCVaR(r.mean(axis=0), r, beta=0.95, weight_bounds=(0, 0.1),
                           solver="CLARABEL", solver_options=TIGHT)  # fmt: skip
        ef.add_objective(objective_functions.transaction_cost, w_prev=w0, k=COST)
        ef.add_constraint(lambda w: cp.norm1(w - w0) <= 0.5)
        ef.add_constraint(lambda w: cp.sum(w[list(STABLES)]) <= 0.3)
        ef.min_cvar()
        return np.array(list(ef.weights))

    def run() -> None:
        theirs.clear()
        theirs.extend(one(r) for r in _scenarios())

    benchmark.pedantic(run, rounds=1, iterations=1)
    cv = MinCVaR(N_ASSETS, N_SCENARIOS, constraints=SPEC, costs=TradingCosts(COST))
    worst = 0.0
    ours_s = 0.0
    for r, w in zip(_scenarios(), theirs, strict=True):
        t = time.perf_counter()
        a = cv.solve(r, beta=0.95, w0=w0)
        ours_s += time.perf_counter() - t
        # an LP's optimum need not be unique: the objective each reaches must agree
        mine = a.parts.value
        other = scenario_cvar(-(r @ w), 0.95) + COST * float(np.abs(w - w0).sum())
        worst = max(worst, abs(mine - other) / abs(other))
    assert worst <= 1e-6, f"CVaR + costs differ by {worst:.2e} (relative)"
    _info(
        benchmark,
        "cvar_pypfopt",
        n_items=N_CVAR_PROBLEMS,
        n_scenarios=N_SCENARIOS,
        ours_s=ours_s,
        max_rel_objective_diff=worst,
    )
