"""Which constraints conflict, when the solver says a problem is infeasible.

The constraints are linear (the impact term aside), so feasibility is an LP, solved here by
HiGHS through scipy, independently of the optimizer's own formulation. A deletion filter drops
each constraint group whose absence leaves the rest still infeasible; what remains is a set
that conflicts, and every member of it is needed for the conflict."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from zippifi.risk.optimizer_inputs import (
    FULLY_INVESTED,
    LEVERAGE,
    LONG_ONLY,
    TARGET_RETURN,
    TURNOVER,
    WEIGHT_BOUNDS,
    FloatArray,
    Resolved,
    category_name,
)


@dataclass(frozen=True)
class ReturnFloor:
    """``mu @ w - linear @ |w - w0| >= floor``."""

    mu: FloatArray
    linear: FloatArray | None
    floor: float


class _Lp:
    """Feasibility LP over x = [w, t, g]: t >= |w - w0| (trades), g >= |w| (gross exposure)."""

    def __init__(self, spec: Resolved, w0: FloatArray, target: ReturnFloor | None) -> None:
        n = len(w0)
        self.n = n
        eye, zero = np.eye(n), np.zeros((n, n))
        # the definitions of t and g restrict nothing on their own
        self.base_ub = [
            (np.hstack([eye, -eye, zero]), w0),
            (np.hstack([-eye, -eye, zero]), -w0),
            (np.hstack([eye, zero, -eye]), np.zeros(n)),
            (np.hstack([-eye, zero, -eye]), np.zeros(n)),
        ]
        w_row = np.concatenate([np.ones(n), np.zeros(2 * n)])
        self.groups: dict[str, tuple[list[tuple[FloatArray, FloatArray]], bool]] = {}
        self.groups[FULLY_INVESTED] = ([(w_row[None, :], np.ones(1))], True)
        if spec.long_only:
            self.groups[LONG_ONLY] = ([(np.hstack([-eye, zero, zero]), np.zeros(n))], False)
        bounds = []
        if spec.given_lower is not None:
            bounds.append((np.hstack([-eye, zero, zero]), -spec.given_lower))
        if spec.upper is not None:
            bounds.append((np.hstack([eye, zero, zero]), spec.upper))
        if bounds:
            self.groups[WEIGHT_BOUNDS] = (bounds, False)
        if spec.leverage is not None:
            row = np.concatenate([np.zeros(2 * n), np.ones(n)])
            self.groups[LEVERAGE] = ([(row[None, :], np.array([spec.leverage]))], False)
        if spec.turnover is not None:
            row = np.concatenate([np.zeros(n), np.ones(n), np.zeros(n)])
            self.groups[TURNOVER] = ([(row[None, :], np.array([spec.turnover]))], False)
        for cat in spec.categories:
            member = np.zeros(3 * n)
            member[cat.members] = 1.0
            rows = []
            if cat.upper is not None:
                rows.append((member[None, :], np.array([cat.upper])))
            if cat.lower is not None:
                rows.append((-member[None, :], np.array([-cat.lower])))
            self.groups[category_name(cat.name)] = (rows, False)
        if target is not None:
            costs = np.zeros(n) if target.linear is None else target.linear
            row = -np.concatenate([target.mu, -costs, np.zeros(n)])
            self.groups[TARGET_RETURN] = ([(row[None, :], np.array([-target.floor]))], False)

    def solve(self, names: list[str], objective: FloatArray | None = None) -> tuple[int, float]:
        """linprog's status (0 solved, 2 infeasible) and the optimum of min objective @ x."""
        ub = list(self.base_ub)
        eq: list[tuple[FloatArray, FloatArray]] = []
        for name in names:
            rows, is_eq = self.groups[name]
            (eq if is_eq else ub).extend(rows)
        c = np.zeros(3 * self.n) if objective is None else objective
        res = linprog(
            c,
            A_ub=np.vstack([a for a, _ in ub]),
            b_ub=np.concatenate([b for _, b in ub]),
            A_eq=np.vstack([a for a, _ in eq]) if eq else None,
            b_eq=np.concatenate([b for _, b in eq]) if eq else None,
            bounds=(None, None),
            method="highs",
        )
        return int(res.status), float(res.fun) if res.status == 0 else float("nan")


def conflicting(
    spec: Resolved, w0: FloatArray, target: ReturnFloor | None = None
) -> tuple[str, ...]:
    """A set of constraint names that cannot hold together, each needed for the conflict;
    empty if the linear constraints are feasible (the conflict then involves the impact term,
    or the solver was wrong)."""
    lp = _Lp(spec, w0, target)
    keep = list(lp.groups)
    if lp.solve(keep)[0] != 2:
        return ()
    for name in list(keep):
        trial = [k for k in keep if k != name]
        if lp.solve(trial)[0] == 2:
            keep = trial
    return tuple(keep)


def best_excess_return(
    spec: Resolved, w0: FloatArray, excess: FloatArray, linear: FloatArray | None
) -> float | None:
    """The largest ``excess @ w - linear @ |w - w0|`` over the constraints; None when they are
    infeasible."""
    lp = _Lp(spec, w0, None)
    n = len(w0)
    costs = np.zeros(n) if linear is None else linear
    status, fun = lp.solve(
        list(lp.groups), objective=-np.concatenate([excess, -costs, np.zeros(n)])
    )
    if status == 2:
        return None
    return -fun if status == 0 else float("inf")  # 3: unbounded above
