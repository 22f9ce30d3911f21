"""The cvxpy pieces the objectives share, written once with Parameters for every number so
that a problem compiles once (DPP) and is re-solved with new data.

:class:`WeightModel` holds the weights and every constraint of a structure. With
``homogeneous=True`` (max Sharpe) the variable is ``y = kappa * w`` for a free scale
``kappa >= 0``, and every right-hand side is multiplied by ``kappa``: the Charnes-Cooper
transformation that turns the Sharpe ratio's fraction into a QP."""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from zippifi.risk.optimizer_inputs import Costs, FloatArray, Resolved


class RiskFactor:
    """``z == R @ x`` for an upper-triangular Parameter ``R``, so ``sum_squares(z)`` is
    ``x' R'R x``, the variance; only the triangle's n(n+1)/2 entries are Parameters."""

    def __init__(self, x: cp.Variable | cp.Expression, n: int) -> None:
        rows, cols = np.triu_indices(n)
        self.index = (rows, cols)
        self.param = cp.Parameter(len(rows), name="risk_factor")
        # R in column-major order, as cvxpy reshapes
        select = sp.csc_array(
            (np.ones(len(rows)), (rows + cols * n, np.arange(len(rows)))), shape=(n * n, len(rows))
        )
        factor = cp.reshape(select @ self.param, (n, n), order="F")
        self.z = cp.Variable(n, name="z")
        self.constraint = self.z == factor @ x
        self.variance = cp.sum_squares(self.z)

    def value(self, r: FloatArray) -> FloatArray:
        return np.asarray(r[self.index], dtype=np.float64)


class WeightModel:
    def __init__(self, n: int, spec: Resolved, costs: Costs, *, homogeneous: bool = False):
        self.n = n
        self.spec = spec
        self.costs = costs
        self.w = cp.Variable(n, name="w")
        # variables get no sign attributes: cvxpy may hand those to a solver as bounds,
        # which the compiled path does not read
        self.kappa = cp.Variable(name="kappa") if homogeneous else None
        w = self.w
        self.params: dict[str, cp.Parameter] = {}
        self.constraints: list[Any] = [cp.sum(w) == self._scaled(1.0)]
        if self.kappa is not None:
            self.constraints.append(self.kappa >= 0)
        if spec.lower is not None:
            self.constraints.append(w >= self._scaled(self._param("lower", n)))
        if spec.upper is not None:
            self.constraints.append(w <= self._scaled(self._param("upper", n)))
        if spec.leverage is not None:
            self.constraints.append(cp.norm1(w) <= self._scaled(self._param("leverage")))
        for side in ("lower", "upper"):
            cats = [c for c in spec.categories if getattr(c, side) is not None]
            if not cats:
                continue
            member = np.zeros((len(cats), n))
            for i, cat in enumerate(cats):
                member[i, cat.members] = 1.0
            bound = self._scaled(self._param(f"category_{side}", len(cats)))
            total = member @ w
            self.constraints.append(total >= bound if side == "lower" else total <= bound)
        self.w0 = self._param("w0", n)
        self.t: cp.Variable | None = None
        if spec.turnover is not None or costs.linear is not None or costs.impact is not None:
            # t >= |w - w0| (tight where it is priced; the turnover limit only needs >=)
            self.t = cp.Variable(n, name="trades")
            start = self._scaled(self.w0)
            self.constraints += [self.t >= w - start, self.t >= start - w]
            if spec.turnover is not None:
                limit = self._scaled(self._param("turnover"))
                self.constraints.append(cp.sum(self.t) <= limit)
        self.cost = self._cost_expression()

    def _scaled(self, rhs: Any) -> Any:
        return rhs if self.kappa is None else rhs * self.kappa

    def _param(self, name: str, size: int | None = None, *, nonneg: bool = False) -> Any:
        p = cp.Parameter(() if size is None else size, name=name, nonneg=nonneg)
        self.params[name] = p
        return p

    def _cost_expression(self) -> Any:
        terms: list[Any] = []
        if self.costs.linear is not None:
            terms.append(self._param("linear_cost", self.n, nonneg=True) @ self.t)
        if self.costs.impact is not None:
            k = self._param("impact", self.n, nonneg=True)
            terms.append(k @ cp.power(self.t, 1.5))
        return cp.sum(cp.hstack(terms)) if terms else cp.Constant(0.0)

    def values(
        self, spec: Resolved, costs: Costs, w0: FloatArray, cost_scale: float = 1.0
    ) -> dict[cp.Parameter, Any]:
        """Every Parameter of the model, for these numbers (same structure as built); the
        costs multiplied by ``cost_scale``, the factor the objective is scaled by."""
        numbers: dict[str, Any] = {
            "lower": spec.lower,
            "upper": spec.upper,
            "leverage": spec.leverage,
            "turnover": spec.turnover,
            "w0": w0,
            "linear_cost": None if costs.linear is None else costs.linear * cost_scale,
            "impact": None if costs.impact is None else costs.impact * cost_scale,
        }
        for side in ("lower", "upper"):
            numbers[f"category_{side}"] = [
                getattr(c, side) for c in spec.categories if getattr(c, side) is not None
            ]
        return {p: np.asarray(numbers[name], dtype=np.float64) for name, p in self.params.items()}
