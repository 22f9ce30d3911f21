"""The portfolio optimizer: target weights from expected returns and risk, under constraints,
net of trading costs, and the trades that reach them.

Objectives (one class each, built once and re-solved with new data; :func:`optimize` for a
single solve):

- :class:`MeanVariance`: maximise ``mu'w - (risk_aversion/2) w'Σw - costs - impact``; or,
  built with ``target_return=True``, minimise ``w'Σw`` subject to
  ``mu'w - costs - impact >= target``.
- :class:`MinCVaR`: minimise the CVaR of scenario losses at confidence ``beta`` plus costs
  and impact (Rockafellar-Uryasev), optionally subject to a target return.
- :class:`MaxSharpe`: maximise ``(mu'w - rf - costs) / sqrt(w'Σw)``. When no feasible
  portfolio has a positive expected excess return (every expected return below the risk-free
  rate, where PyPortfolioOpt raises), it returns the minimum-variance portfolio with
  ``fallback="min_variance"`` and the reason.
- :class:`RiskParity`: long-only weights whose risk contributions ``w_i (Σw)_i`` are
  proportional to the budgets (equal by default), by Spinu's convex program.

Constraints (:class:`Constraints`): fully invested always; long-only or a leverage bound;
per-asset weight bounds; category bounds; a turnover limit from the current weights. Costs
(:class:`TradingCosts`): linear ``c_i |dw_i|`` and price impact ``k_i |dw_i|^(3/2)``.

Each optimizer builds its cvxpy problem once, with Parameters for all data (DPP), and solves
it through :class:`~zippifi.risk.optimizer_compiled.CompiledProblem` (Clarabel; see there for
the solver choice and its measurements). Which constraints and cost terms exist is fixed at
construction; their numbers, the market data and the current weights change per solve.
Infeasible constraints raise :class:`~zippifi.errors.OptimizerInfeasibleError` naming them.
An optimizer holds its solver's state: one per thread.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import cvxpy as cp
import numpy as np

from zippifi.errors import (
    OptimizerInfeasibleError,
    OptimizerInputError,
    OptimizerSolverError,
)
from zippifi.risk.allocation import Allocation, ObjectiveParts
from zippifi.risk.optimizer_compiled import (
    INFEASIBLE_STATUSES,
    SOLVED,
    UNBOUNDED_STATUSES,
    CompiledProblem,
    Outcome,
)
from zippifi.risk.optimizer_diagnose import ReturnFloor, best_excess_return, conflicting
from zippifi.risk.optimizer_inputs import (
    ANSWER_TOL,
    TARGET_RETURN,
    Constraints,
    Costs,
    FloatArray,
    Resolved,
    TradingCosts,
    count,
    current_weights,
    matrix,
    number,
    precheck,
    resolve,
    resolve_costs,
    risk_factor,
    vector,
    violation,
)
from zippifi.risk.optimizer_model import RiskFactor, WeightModel

DEFAULT_SOLVER = "CLARABEL"


class _Optimizer:
    objective = ""

    def __init__(
        self,
        n_assets: int,
        constraints: Constraints | None,
        costs: TradingCosts | None,
        solver: str,
    ) -> None:
        self.n = count(n_assets, "n_assets")
        self.spec = resolve(Constraints() if constraints is None else constraints, self.n)
        self.costs = resolve_costs(costs, self.n)
        self.solver = solver

    def _inputs(
        self, constraints: Constraints | None, costs: TradingCosts | None, w0: object
    ) -> tuple[Resolved, Costs, FloatArray]:
        spec = self.spec if constraints is None else resolve(constraints, self.n)
        if spec.structure != self.spec.structure:
            raise OptimizerInputError(
                "constraints: not the structure this optimizer was built with (which "
                "constraints and categories exist, and which bounds); build another optimizer"
            )
        cost = self.costs if costs is None else resolve_costs(costs, self.n)
        if cost.structure != self.costs.structure:
            raise OptimizerInputError(
                "costs: not the cost terms this optimizer was built with (linear and impact "
                "present or not); build another optimizer"
            )
        start = current_weights(w0, self.n)
        reason = precheck(spec, start)
        if reason is not None:
            names = conflicting(spec, start)
            if names:  # else the LP's tolerance accepts it: the solver decides
                raise OptimizerInfeasibleError(
                    f"infeasible: {', '.join(names)} conflict: {reason}", names
                )
        return spec, cost, start

    def _weights(
        self,
        outcome: Outcome,
        var: cp.Variable,
        spec: Resolved,
        w0: FloatArray,
        floor: ReturnFloor | None = None,
        costs: Costs | None = None,
    ) -> FloatArray:
        impact = costs is not None and costs.impact is not None
        if outcome.status in SOLVED:
            w = outcome.values[var.id]
            self._check(w, spec, w0, outcome.status, floor, costs)
            return w
        if outcome.status in INFEASIBLE_STATUSES:
            raise _infeasible(spec, w0, floor, impact, outcome.status)
        if outcome.status in UNBOUNDED_STATUSES:
            raise OptimizerSolverError(
                f"{self.objective}: unbounded ({outcome.status}): bound the weights "
                "(long-only, weight bounds or a leverage limit)",
                outcome.status,
            )
        raise OptimizerSolverError(
            f"{self.objective}: {self.solver} stopped with status {outcome.status!r}",
            outcome.status,
        )

    def _check(
        self,
        w: FloatArray,
        spec: Resolved,
        w0: FloatArray,
        status: str,
        floor: ReturnFloor | None = None,
        costs: Costs | None = None,
    ) -> None:
        """Never hand out weights that break a constraint: a solver reporting success on data
        whose scale is beyond double precision can still be wrong."""
        broken = violation(spec, w, w0)
        if broken is None and floor is not None and costs is not None:
            net = float(floor.mu @ w) - sum(costs.of(w - w0))
            short = floor.floor - net
            if short > ANSWER_TOL * max(1.0, abs(floor.floor)):
                broken = (TARGET_RETURN, short)
        if broken is not None:
            raise OptimizerSolverError(
                f"{self.objective}: {self.solver} reported {status!r} but its answer breaks "
                f"{broken[0]} by {broken[1]:.3g} (more than {ANSWER_TOL:g}): the solver's "
                "accuracy, or data whose scale defeats it (numbers far below the others, like "
                "a variance of 1e-30 beside costs of 1e-3)",
                status,
            )


def _infeasible(
    spec: Resolved, w0: FloatArray, floor: ReturnFloor | None, impact: bool, status: str
) -> OptimizerInfeasibleError:
    names = conflicting(spec, w0, floor)
    if names:
        return OptimizerInfeasibleError(
            f"infeasible: no portfolio satisfies {', '.join(names)} together", names
        )
    why = "the solver reports the problem infeasible"
    if floor is not None and impact:
        why += (
            "; the linear constraints are feasible, so the target return cannot be met net "
            "of the impact term"
        )
    return OptimizerInfeasibleError(f"infeasible ({status}): {why}")


def _parts(
    measure: str,
    risk: float,
    expected: float | None,
    costs: tuple[float, float],
    value: float,
) -> ObjectiveParts:
    return ObjectiveParts(expected, risk, measure, costs[0], costs[1], value)


def _variance(r: FloatArray, w: FloatArray) -> float:
    return float(np.sum((r @ w) ** 2))


# Terms this much smaller than the largest other one do not set the scale (see _unit).
_RANGE = 1e6


def _unit(size: float, *others: float) -> float:
    """The factor that brings the magnitude ``size`` of the objective's main term to 1 (1 when
    everything is zero).

    Every objective is scaled so that its terms are of order 1 before solving: the weights do
    not change, but the solver's absolute tolerances then mean the same thing for daily returns
    (variances near 1e-4) as for annual ones. Unscaled, a flat optimum was located only to
    about 1e-2 in weight. ``others`` are the other terms' magnitudes (returns, costs): ``size``
    counts as at least 1e-6 of the largest, so that a vanishing variance next to real costs
    does not scale those costs past what a double-precision solver can use."""
    size = max(size, max((abs(o) for o in others), default=0.0) / _RANGE)
    # within [1e-12, 1e12]: past that the data is noise (subnormal returns from a generator)
    # and its reciprocal would overflow
    return float(np.clip(1.0 / size, 1e-12, 1e12)) if size > 0 else 1.0


def _largest(*arrays: FloatArray | None) -> list[float]:
    return [float(np.abs(a).max()) for a in arrays if a is not None and a.size]


def _mean_variance(r: FloatArray) -> float:
    return float(np.sum(r**2)) / int(r.shape[1])


class MeanVariance(_Optimizer):
    """Mean-variance for ``n_assets``: the quadratic utility
    ``mu'w - (risk_aversion/2) w'Σw - costs - impact`` (PyPortfolioOpt's
    ``max_quadratic_utility`` plus costs), or, with ``target_return=True``, the least variance
    with ``mu'w - costs - impact >= target_return``. ``parts.value`` is the utility, or the
    variance."""

    objective = "mean_variance"

    def __init__(
        self,
        n_assets: int,
        *,
        constraints: Constraints | None = None,
        costs: TradingCosts | None = None,
        target_return: bool = False,
        solver: str = DEFAULT_SOLVER,
    ) -> None:
        super().__init__(n_assets, constraints, costs, solver)
        n = self.n
        self.model = WeightModel(n, self.spec, self.costs)
        self.risk = RiskFactor(self.model.w, n)
        self.mu = cp.Parameter(n, name="mu")
        self.targeted = bool(target_return)
        constraints_ = [*self.model.constraints, self.risk.constraint]
        self.target = cp.Parameter(name="target_return")
        self.half_aversion = cp.Parameter(nonneg=True, name="half_risk_aversion")
        if self.targeted:
            constraints_.append(self.mu @ self.model.w - self.model.cost >= self.target)
            goal = cp.Minimize(self.risk.variance)
        else:
            goal = cp.Minimize(
                -self.mu @ self.model.w + self.half_aversion * self.risk.variance + self.model.cost
            )
        self.problem = cp.Problem(goal, constraints_)
        self.compiled = CompiledProblem(self.problem, [self.model.w], solver)

    def solve(
        self,
        mu: object,
        cov: object | None = None,
        *,
        factor: object | None = None,
        w0: object | None = None,
        risk_aversion: float = 1.0,
        target_return: float | None = None,
        constraints: Constraints | None = None,
        costs: TradingCosts | None = None,
    ) -> Allocation:
        """Target weights for expected returns ``mu`` and the covariance (``cov``, or
        ``factor`` G with G'G the covariance), from the current weights ``w0`` (zeros when
        None)."""
        spec, cost, start = self._inputs(constraints, costs, w0)
        mu_ = vector(mu, "mu", self.n)
        r = risk_factor(cov, factor, self.n)
        # the utility is scaled by s; a target's constraint keeps its own units
        if self.targeted:
            s = _unit(_mean_variance(r))
        else:
            s = _unit(_mean_variance(r), *_largest(mu_, cost.linear, cost.impact))
        in_objective = 1.0 if self.targeted else s
        values = self.model.values(spec, cost, start, in_objective)
        values[self.mu] = mu_ * in_objective
        values[self.risk.param] = self.risk.value(r * np.sqrt(s))
        gamma = number(risk_aversion, "risk_aversion")
        if gamma < 0:
            raise OptimizerInputError(f"risk_aversion: must be >= 0, got {risk_aversion!r}")
        values[self.half_aversion] = gamma / 2
        floor = None
        if self.targeted:
            if target_return is None:
                raise OptimizerInputError("target_return: this optimizer was built to meet one")
            values[self.target] = number(target_return, "target_return")
            floor = ReturnFloor(mu_, cost.linear, values[self.target])
        elif target_return is not None:
            raise OptimizerInputError(
                "target_return: build MeanVariance(..., target_return=True) to meet a target"
            )
        else:
            values[self.target] = 0.0
        outcome = self.compiled.solve(values)
        w = self._weights(outcome, self.model.w, spec, start, floor, cost)
        variance = _variance(r, w)
        paid = cost.of(w - start)
        ret = float(mu_ @ w)
        value = variance if self.targeted else ret - gamma / 2 * variance - sum(paid)
        return Allocation(
            self.objective,
            w,
            start,
            outcome.status,
            self.solver,
            _parts("variance", variance, ret, paid, value),
            outcome.iterations,
            outcome.seconds,
        )


def scenario_cvar(losses: FloatArray, beta: float) -> float:
    """CVaR at confidence ``beta`` of equally likely ``losses``: the mean of the worst
    ``(1 - beta)`` share, the boundary scenario counted fractionally."""
    tail = (1 - beta) * len(losses)
    worst = np.sort(losses)[::-1]
    whole = int(np.floor(tail))
    total = float(worst[:whole].sum())
    if whole < len(worst):
        total += (tail - whole) * float(worst[whole])
    return total / tail


class MinCVaR(_Optimizer):
    """Least CVaR of the losses ``-scenarios @ w`` at confidence ``beta`` (Rockafellar and
    Uryasev's LP over ``n_scenarios`` equally likely scenarios), plus costs and impact;
    with ``target_return=True`` subject to ``mu'w - costs - impact >= target_return``, ``mu``
    defaulting to the scenarios' mean. ``parts.value`` is CVaR + costs + impact."""

    objective = "min_cvar"

    def __init__(
        self,
        n_assets: int,
        n_scenarios: int,
        *,
        constraints: Constraints | None = None,
        costs: TradingCosts | None = None,
        target_return: bool = False,
        solver: str = DEFAULT_SOLVER,
    ) -> None:
        super().__init__(n_assets, constraints, costs, solver)
        self.n_scenarios = count(n_scenarios, "n_scenarios")
        n, s = self.n, self.n_scenarios
        self.model = WeightModel(n, self.spec, self.costs)
        w = self.model.w
        self.scenarios = cp.Parameter((s, n), name="scenarios")
        self.tail = cp.Parameter(nonneg=True, name="tail_weight")  # 1 / ((1 - beta) S)
        self.mu = cp.Parameter(n, name="mu")
        self.target = cp.Parameter(name="target_return")
        self.targeted = bool(target_return)
        var_level = cp.Variable(name="var_level")
        excess = cp.Variable(s, name="tail_excess")
        constraints_ = [
            *self.model.constraints,
            excess >= 0,
            excess >= -self.scenarios @ w - var_level,
        ]
        if self.targeted:
            constraints_.append(self.mu @ w - self.model.cost >= self.target)
        goal = cp.Minimize(var_level + self.tail * cp.sum(excess) + self.model.cost)
        self.problem = cp.Problem(goal, constraints_)
        self.compiled = CompiledProblem(self.problem, [w], solver)

    def solve(
        self,
        scenarios: object,
        *,
        beta: float = 0.95,
        mu: object | None = None,
        w0: object | None = None,
        target_return: float | None = None,
        constraints: Constraints | None = None,
        costs: TradingCosts | None = None,
    ) -> Allocation:
        """Target weights for ``scenarios`` (n_scenarios x n_assets returns), from ``w0``."""
        spec, cost, start = self._inputs(constraints, costs, w0)
        returns = matrix(scenarios, "scenarios", (self.n_scenarios, self.n))
        level = number(beta, "beta")
        if not 0 < level < 1:
            raise OptimizerInputError(f"beta: the confidence must be in (0, 1), got {beta!r}")
        mu_ = returns.mean(axis=0) if mu is None else vector(mu, "mu", self.n)
        # objective and target both scaled by s
        s = _unit(float(np.abs(returns).mean()), *_largest(cost.linear, cost.impact))
        values = self.model.values(spec, cost, start, s)
        values[self.scenarios] = returns * s
        values[self.tail] = 1.0 / ((1 - level) * self.n_scenarios)
        values[self.mu] = mu_ * s
        floor = None
        if self.targeted:
            if target_return is None:
                raise OptimizerInputError("target_return: this optimizer was built to meet one")
            target = number(target_return, "target_return")
            values[self.target] = target * s
            floor = ReturnFloor(mu_, cost.linear, target)
        elif target_return is not None:
            raise OptimizerInputError(
                "target_return: build MinCVaR(..., target_return=True) to meet a target"
            )
        else:
            values[self.target] = 0.0
        outcome = self.compiled.solve(values)
        w = self._weights(outcome, self.model.w, spec, start, floor, cost)
        cvar = scenario_cvar(-(returns @ w), level)
        paid = cost.of(w - start)
        return Allocation(
            self.objective,
            w,
            start,
            outcome.status,
            self.solver,
            _parts("cvar", cvar, float(mu_ @ w), paid, cvar + sum(paid)),
            outcome.iterations,
            outcome.seconds,
        )


class MaxSharpe(_Optimizer):
    """The largest Sharpe ratio net of linear costs, ``(mu'w - rf - costs) / sqrt(w'Σw)``,
    solved as a QP in ``y = kappa * w`` (Cornuejols and Tutuncu). ``parts.value`` is that
    ratio.

    When no feasible portfolio has a positive expected excess return (PyPortfolioOpt raises
    there) the answer is the minimum-variance portfolio under the same constraints, with
    ``fallback="min_variance"`` and the reason. The impact term is not accepted (it is not
    homogeneous in the weights, so the transformation does not hold), nor are unbounded
    shorts: without long-only, a leverage limit or both weight bounds, a ratio can be
    approached by positions of unbounded size."""

    objective = "max_sharpe"

    def __init__(
        self,
        n_assets: int,
        *,
        constraints: Constraints | None = None,
        costs: TradingCosts | None = None,
        solver: str = DEFAULT_SOLVER,
    ) -> None:
        super().__init__(n_assets, constraints, costs, solver)
        if self.costs.impact is not None:
            raise OptimizerInputError(
                "max_sharpe: costs.impact is not supported (the 3/2 power is not homogeneous, "
                "so the ratio cannot be made convex); use MeanVariance for impact-aware targets"
            )
        spec = self.spec
        unbounded = spec.lower is None or spec.upper is None
        if not spec.long_only and spec.leverage is None and unbounded:
            raise OptimizerInputError(
                "max_sharpe: needs long-only, a leverage limit or both weight bounds; "
                "otherwise positions of unbounded size approach the best ratio"
            )
        n = self.n
        self.model = WeightModel(n, spec, self.costs, homogeneous=True)
        if self.model.kappa is None:  # pragma: no cover - homogeneous models always have one
            raise AssertionError("homogeneous model without a scale")
        self.kappa: cp.Variable = self.model.kappa
        self.risk = RiskFactor(self.model.w, n)
        self.mu = cp.Parameter(n, name="mu")
        self.rf = cp.Parameter(name="risk_free_rate")
        excess = self.mu @ self.model.w - self.rf * self.model.kappa - self.model.cost
        self.problem = cp.Problem(
            cp.Minimize(self.risk.variance),
            [*self.model.constraints, self.risk.constraint, excess >= 1],
        )
        self.compiled = CompiledProblem(self.problem, [self.model.w, self.kappa], solver)
        self._min_variance: MeanVariance | None = None
        self._constraints = constraints

    def solve(
        self,
        mu: object,
        cov: object | None = None,
        *,
        factor: object | None = None,
        w0: object | None = None,
        risk_free_rate: float = 0.0,
        constraints: Constraints | None = None,
        costs: TradingCosts | None = None,
    ) -> Allocation:
        spec, cost, start = self._inputs(constraints, costs, w0)
        mu_ = vector(mu, "mu", self.n)
        rf = number(risk_free_rate, "risk_free_rate")
        r = risk_factor(cov, factor, self.n)
        excess = mu_ - rf
        if spec.long_only and excess.max() <= 0:
            return self._fallback(
                mu_, r, rf, cost, start, constraints,
                f"every expected return is at or below the risk-free rate (best "
                f"{mu_.max():.6g} <= {rf:.6g}): no long-only portfolio has a positive Sharpe "
                "ratio",
            )  # fmt: skip
        # the ratio does not change when the excess returns (and costs) are scaled by a and
        # the factor by b: both brought to order 1
        a = _unit(float(np.abs(excess).max()), *_largest(cost.linear))
        values = self.model.values(spec, cost, start, a)
        values[self.mu] = mu_ * a
        values[self.rf] = rf * a
        values[self.risk.param] = self.risk.value(r * np.sqrt(_unit(_mean_variance(r))))
        outcome = self.compiled.solve(values)
        kappa = float(outcome.values[self.kappa.id]) if outcome.status in SOLVED else 0.0
        if outcome.status not in SOLVED or kappa <= 0:
            best = best_excess_return(spec, start, excess, cost.linear)
            if best is None:
                raise _infeasible(spec, start, None, False, outcome.status)
            if best <= 1e-12:
                return self._fallback(
                    mu_, r, rf, cost, start, constraints,
                    f"no feasible portfolio has a positive expected excess return net of "
                    f"costs (best {best:.6g})",
                )  # fmt: skip
            self._weights(outcome, self.model.w, spec, start)  # raises with the status
            raise OptimizerSolverError(f"max_sharpe: degenerate scale {kappa!r}", outcome.status)
        w = outcome.values[self.model.w.id] / kappa
        self._check(w, spec, start, outcome.status)
        return self._allocation(w, mu_, r, rf, cost, start, outcome)

    def _allocation(
        self,
        w: FloatArray,
        mu: FloatArray,
        r: FloatArray,
        rf: float,
        cost: Costs,
        start: FloatArray,
        outcome: Outcome,
        fallback: str | None = None,
        reason: str | None = None,
    ) -> Allocation:
        variance = _variance(r, w)
        paid = cost.of(w - start)
        ret = float(mu @ w)
        excess = ret - rf - paid[0]
        ratio = excess / np.sqrt(variance) if variance > 0 else float(np.copysign(np.inf, excess))
        return Allocation(
            self.objective,
            w,
            start,
            outcome.status,
            self.solver,
            _parts("variance", variance, ret, paid, float(ratio)),
            outcome.iterations,
            outcome.seconds,
            fallback,
            reason,
        )

    def _fallback(
        self,
        mu: FloatArray,
        r: FloatArray,
        rf: float,
        cost: Costs,
        start: FloatArray,
        constraints: Constraints | None,
        reason: str,
    ) -> Allocation:
        if self._min_variance is None:  # built on first need, with the same constraints
            self._min_variance = MeanVariance(
                self.n, constraints=self._constraints, solver=self.solver
            )
        least = self._min_variance.solve(
            np.zeros(self.n), factor=r, w0=start, risk_aversion=2.0, constraints=constraints
        )
        return self._allocation(
            least.weights,
            mu,
            r,
            rf,
            cost,
            start,
            Outcome(least.status, {}, least.iterations, least.solve_seconds),
            "min_variance",
            reason + "; returned the minimum-variance portfolio instead",
        )


class RiskParity:
    """Long-only, fully invested weights whose risk contributions ``w_i (Σw)_i`` are
    proportional to ``budgets`` (equal when None): ``w = y / sum(y)`` for the ``y`` minimising
    ``y'Σy / 2 - budgets' log(y)`` (Spinu 2013). No other constraint applies: bounds, categories
    or turnover would break the proportionality. Costs, when given, are reported for the trades,
    not optimised. ``parts.value`` is the variance."""

    objective = "risk_parity"

    def __init__(
        self, n_assets: int, *, costs: TradingCosts | None = None, solver: str = DEFAULT_SOLVER
    ) -> None:
        self.n = count(n_assets, "n_assets")
        self.costs = resolve_costs(costs, self.n)
        self.solver = solver
        self.y = cp.Variable(self.n, name="y")
        self.risk = RiskFactor(self.y, self.n)
        self.budgets = cp.Parameter(self.n, nonneg=True, name="budgets")
        goal = cp.Minimize(0.5 * self.risk.variance - self.budgets @ cp.log(self.y))
        self.problem = cp.Problem(goal, [self.risk.constraint])
        self.compiled = CompiledProblem(self.problem, [self.y], solver)

    def solve(
        self,
        cov: object | None = None,
        *,
        factor: object | None = None,
        budgets: object | None = None,
        w0: object | None = None,
        mu: object | None = None,
        costs: TradingCosts | None = None,
    ) -> Allocation:
        n = self.n
        r = risk_factor(cov, factor, n)
        vols = np.linalg.norm(r, axis=0)
        if (vols <= 1e-12 * max(float(vols.max()), 1e-300)).any():
            i = int(np.argmin(vols))
            raise OptimizerInputError(
                f"risk_parity: asset {i} has no variance, so no weight gives it a risk share"
            )
        b = np.full(n, 1.0 / n) if budgets is None else vector(budgets, "budgets", n)
        if (b <= 0).any():
            raise OptimizerInputError("budgets: every risk budget must be positive")
        b = b / b.sum()
        start = current_weights(w0, n)
        cost = self.costs if costs is None else resolve_costs(costs, n)
        mu_ = None if mu is None else vector(mu, "mu", n)
        # the weights do not depend on the covariance's scale: solve at unit average variance
        scale = float(np.sqrt(np.mean(vols**2)))
        outcome = self.compiled.solve(
            {self.budgets: b, self.risk.param: self.risk.value(r / scale)}
        )
        if outcome.status not in SOLVED:
            raise OptimizerSolverError(
                f"risk_parity: {self.solver} stopped with status {outcome.status!r} (a singular "
                "covariance can leave a direction with no risk, which has no parity portfolio)",
                outcome.status,
            )
        y = _newton_polish(r / scale, b, outcome.values[self.y.id])
        w = y / y.sum()
        variance = _variance(r, w)
        return Allocation(
            self.objective,
            w,
            start,
            outcome.status,
            self.solver,
            _parts(
                "variance",
                variance,
                None if mu_ is None else float(mu_ @ w),
                cost.of(w - start),
                variance,
            ),
            outcome.iterations,
            outcome.seconds,
        )


def _newton_polish(r: FloatArray, b: FloatArray, y: FloatArray, steps: int = 3) -> FloatArray:
    """Newton steps on the optimality condition of Spinu's program, ``Σy = b / y``, from the
    solver's answer: it is smooth there, so each step squares the error and a few reach
    machine precision, where the interior-point stop leaves ~1e-6 in risk share on highly
    correlated assets. A step is taken only if it keeps y positive and shrinks the residual."""
    sigma = r.T @ r

    def residual(x: FloatArray) -> FloatArray:
        return np.asarray(sigma @ x - b / x, dtype=np.float64)

    res = residual(y)
    for _ in range(steps):
        step = np.linalg.solve(sigma + np.diag(b / y**2), res)
        trial = y - step
        if (trial <= 0).any():
            break
        trial_res = residual(trial)
        if np.linalg.norm(trial_res) >= np.linalg.norm(res):
            break
        y, res = trial, trial_res
    return y


Objective = Literal["mean_variance", "min_cvar", "max_sharpe", "risk_parity"]


def optimize(
    objective: Objective,
    *,
    mu: object | None = None,
    cov: object | None = None,
    factor: object | None = None,
    scenarios: object | None = None,
    w0: object | None = None,
    constraints: Constraints | None = None,
    costs: TradingCosts | None = None,
    risk_aversion: float = 1.0,
    target_return: float | None = None,
    beta: float = 0.95,
    risk_free_rate: float = 0.0,
    budgets: object | None = None,
    solver: str = DEFAULT_SOLVER,
) -> Allocation:
    """One solve of ``objective``. Building the problem is most of the time of a single solve:
    for repeated solves keep an optimizer (:class:`MeanVariance`, :class:`MinCVaR`,
    :class:`MaxSharpe`, :class:`RiskParity`) and call its ``solve``."""
    n = _asset_count(mu, cov, factor, scenarios)
    if objective == "mean_variance":
        mv = MeanVariance(
            n,
            constraints=constraints,
            costs=costs,
            target_return=target_return is not None,
            solver=solver,
        )
        return mv.solve(
            _required(mu, "mu", objective),
            cov,
            factor=factor,
            w0=w0,
            risk_aversion=risk_aversion,
            target_return=target_return,
        )
    if objective == "min_cvar":
        returns = matrix(_required(scenarios, "scenarios", objective), "scenarios", (None, n))
        cv = MinCVaR(
            n,
            returns.shape[0],
            constraints=constraints,
            costs=costs,
            target_return=target_return is not None,
            solver=solver,
        )
        return cv.solve(returns, beta=beta, mu=mu, w0=w0, target_return=target_return)
    if objective == "max_sharpe":
        ms = MaxSharpe(n, constraints=constraints, costs=costs, solver=solver)
        return ms.solve(
            _required(mu, "mu", objective), cov, factor=factor, w0=w0, risk_free_rate=risk_free_rate
        )
    if objective == "risk_parity":
        c = constraints
        if c is not None and not (
            c.long_only
            and c.lower is None
            and c.upper is None
            and c.leverage is None
            and not c.categories
            and c.turnover is None
        ):
            raise OptimizerInputError(
                "risk_parity: takes no constraints beyond long-only and fully invested"
            )
        rp = RiskParity(n, costs=costs, solver=solver)
        return rp.solve(cov, factor=factor, budgets=budgets, w0=w0, mu=mu)
    raise OptimizerInputError(
        f"objective: expected mean_variance, min_cvar, max_sharpe or risk_parity, got {objective!r}"
    )


def _required(value: Any, name: str, objective: str) -> Any:
    if value is None:
        raise OptimizerInputError(f"{objective}: needs {name}")
    return value


def _asset_count(*arrays: object | None) -> int:
    """The number of assets, from the last axis of the first array given."""
    for a in arrays:
        if a is not None:
            shape = np.shape(cast(Any, a))
            if not shape or shape[-1] == 0:
                raise OptimizerInputError(f"expected an array with one entry per asset, got {a!r}")
            return int(shape[-1])
    raise OptimizerInputError("give the market data: mu, cov, factor or scenarios")


__all__ = ["MaxSharpe", "MeanVariance", "MinCVaR", "RiskParity", "optimize"]
