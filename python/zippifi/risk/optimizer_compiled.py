"""A DPP cvxpy problem compiled once and re-solved with new parameter values.

cvxpy compiles a DPP problem into an affine map from the parameters' values to the conic
program's data (``P``, ``q``, ``A``, ``b``). ``problem.solve()`` re-applies that map on every
call, but spends most of a small problem's time around it: validating each Parameter's value,
building scipy matrices, then unpacking every variable. :class:`CompiledProblem` keeps the
compiled map and, for Clarabel, applies it itself: one sparse product per matrix into a fixed
sparsity pattern, then Clarabel directly. That path is checked against cvxpy's own problem data
when it is built (random parameter values, every matrix compared); if cvxpy's compiled form is
not what it expects (another cvxpy release, a cone it does not pass on), it logs why and solves
through ``problem.solve()`` instead, with the same answers, only slower.

Measured on bench/test_risk_bench.py's problems (process CPU time, median; a shared 2-core
machine). 50-asset mean-variance with bounds, a category, turnover and costs, per re-solve:
this compiled path into Clarabel 2.2 ms; ``problem.solve()`` with Clarabel 4.8 ms, with OSQP
6.7 ms and SCS 10.4 ms (both at 1e-9, which their answers need to pass the optimizer's 1e-6
check of every constraint: OSQP's default broke turnover by 2.5e-5); PyPortfolioOpt building
and solving the same problem 11.7 ms. Min-CVaR over 5,000 scenarios x 50 assets (an LP):
Clarabel 0.84 s, HiGHS 2.1 s. Clarabel is therefore the default: fastest on both, an
interior-point method accurate to its tolerance whatever the data, and it takes every cone
these objectives need (the 3/2 power of the impact term, the logarithm of risk parity), where
OSQP solves only QPs and HiGHS only LPs and QPs. Another solver can be asked for; it goes
through ``problem.solve()``.

Not thread-safe: one :class:`CompiledProblem` per thread.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import clarabel
import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from zippifi.errors import ZippiRuntimeError
from zippifi.log import get_logger
from zippifi.risk.optimizer_inputs import FloatArray

log = get_logger(__name__)

OPTIMAL = "optimal"
OPTIMAL_INACCURATE = "optimal_inaccurate"
INFEASIBLE = "infeasible"
INFEASIBLE_INACCURATE = "infeasible_inaccurate"
UNBOUNDED = "unbounded"
UNBOUNDED_INACCURATE = "unbounded_inaccurate"
SOLVED = frozenset({OPTIMAL, OPTIMAL_INACCURATE})
INFEASIBLE_STATUSES = frozenset({INFEASIBLE, INFEASIBLE_INACCURATE})
UNBOUNDED_STATUSES = frozenset({UNBOUNDED, UNBOUNDED_INACCURATE})

# Clarabel's statuses in cvxpy's words, so both paths report alike.
_CLARABEL_STATUS = {
    "Solved": OPTIMAL,
    "AlmostSolved": OPTIMAL_INACCURATE,
    "PrimalInfeasible": INFEASIBLE,
    "AlmostPrimalInfeasible": INFEASIBLE_INACCURATE,
    "DualInfeasible": UNBOUNDED,
    "AlmostDualInfeasible": UNBOUNDED_INACCURATE,
    "MaxIterations": "user_limit",
    "MaxTime": "user_limit",
}

_CONSTANT_ID = -1  # cvxpy's column for the constant 1 in the parameter vector

# Clarabel stops at a duality gap of 1e-8 by default; at 1e-10 a degenerate optimum (a bound
# active with a zero multiplier, common with tight category or turnover limits) is located to
# ~4e-6 in weight instead of ~4e-5, for about 7% more time on the benchmark's problem.
CLARABEL_OPTIONS: dict[str, Any] = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10}
# When Clarabel stalls ("InsufficientProgress", typically where constraints leave no interior:
# a weight pinned by equal bounds, on a near-singular covariance) one retry with shorter
# steps: on the max-Sharpe problem that stalled after 6 iterations at a Sharpe ratio 4% short
# of the optimum, this reached it (to 1e-12, checked with SLSQP) in 14.
RETRY_OPTIONS: dict[str, Any] = {**CLARABEL_OPTIONS, "max_step_fraction": 0.9}
_RETRY_ON = frozenset({"InsufficientProgress", "NumericalError", "MaxIterations"})
# Another solver, on request, through problem.solve(): first-order methods asked for answers
# that pass the optimizer's 1e-6 check of every constraint (at their defaults, OSQP's broke
# the turnover limit by 2.5e-5 on the benchmark's problem)
SOLVER_OPTIONS: dict[str, dict[str, Any]] = {
    "OSQP": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 100_000, "polishing": True},
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 100_000},
}


@dataclass(frozen=True)
class Outcome:
    status: str
    values: dict[int, FloatArray]  # variable id -> value, for the variables asked for
    iterations: int
    seconds: float


class CompiledProblem:
    """``problem`` (DPP) compiled once for ``solver``; :meth:`solve` takes a value for every
    Parameter and returns the values of ``outputs``. ``fast=False`` always goes through
    ``problem.solve()`` (the reference the tests compare the fast path with)."""

    def __init__(
        self,
        problem: cp.Problem,
        outputs: Sequence[cp.Variable],
        solver: str = "CLARABEL",
        *,
        fast: bool = True,
    ) -> None:
        if not problem.is_dpp():
            raise ZippiRuntimeError("the optimizer's problem is not DPP: it would recompile")
        self.problem = problem
        self.solver = solver
        self.outputs = tuple(outputs)
        self.parameters = tuple(problem.parameters())
        _placeholders(self.parameters)
        self.fast: _ClarabelMap | None = None
        self.fallback_reason = ""
        if solver == "CLARABEL" and fast:
            try:
                self.fast = _ClarabelMap(problem, self.outputs)
            except Exception as exc:  # any surprise in cvxpy's compiled form: use its solve()
                self.fallback_reason = f"{type(exc).__name__}: {exc}"
                log.warning("optimizer_fast_path_off", reason=self.fallback_reason)
        if self.fast is None:
            problem.get_problem_data(solver)  # compile now, not on the first solve

    def solve(self, values: Mapping[cp.Parameter, Any]) -> Outcome:
        """``values`` holds one for every Parameter of the problem (others are ignored)."""
        values = {p: values[p] for p in self.parameters}
        if self.fast is not None:
            return self.fast.solve(values)
        for param, value in values.items():
            param.value = value
        start = time.perf_counter()
        clarabel_ = self.solver == "CLARABEL"
        attempts = (
            [CLARABEL_OPTIONS, RETRY_OPTIONS]
            if clarabel_
            else [SOLVER_OPTIONS.get(self.solver, {})]
        )
        for i, options in enumerate(attempts):
            try:
                self.problem.solve(solver=self.solver, **options)
                break
            except cp.error.SolverError as exc:  # cvxpy raises where Clarabel stalled
                if i == len(attempts) - 1:
                    return Outcome(f"solver_error: {exc}", {}, 0, time.perf_counter() - start)
        stats = self.problem.solver_stats
        out = {}
        if self.problem.status in SOLVED:
            out = {v.id: np.asarray(v.value, dtype=np.float64) for v in self.outputs}
        return Outcome(
            str(self.problem.status),
            out,
            int(stats.num_iters or 0),
            float(stats.solve_time or time.perf_counter() - start),
        )


def _placeholders(parameters: Sequence[cp.Parameter]) -> None:
    """Values for compiling (cvxpy needs one for every Parameter); random, so the check of the
    fast path sees every entry of the map."""
    rng = np.random.default_rng(12345)
    for p in parameters:
        if p.value is None:
            v = rng.uniform(0.1, 1.0, p.shape)
            p.value = v if p.is_nonneg() else v * rng.choice([-1.0, 1.0], p.shape)


class _ClarabelMap:
    """The compiled affine map, applied with numpy/scipy straight into Clarabel."""

    def __init__(self, problem: cp.Problem, outputs: Sequence[cp.Variable]) -> None:
        data, _, _ = problem.get_problem_data(cp.CLARABEL)
        prog = data["param_prob"]
        if getattr(prog, "lb_tensor", None) is not None or getattr(prog, "ub_tensor", None):
            raise NotImplementedError("variable bounds in the compiled program")
        self.cones = _cones(data["dims"])
        self.n = int(prog.x.size)
        self.theta = np.zeros(prog.total_param_size + 1)
        self.slots: dict[int, tuple[int, int]] = {}
        for pid, col in prog.param_id_to_col.items():
            if pid == _CONSTANT_ID:
                self.theta[col] = 1.0
            else:
                self.slots[pid] = (col, prog.param_id_to_size[pid])
        self.param_ids = {p.id for p in problem.parameters()}
        if set(self.slots) != self.param_ids:
            raise NotImplementedError("cvxpy replaced some parameters while compiling")
        self.outputs = {v.id: (prog.var_id_to_col[v.id], v.size, v.shape) for v in outputs}
        self.q_map = sp.csr_array(prog.q)
        # A (and b in its last column): Clarabel's A is minus cvxpy's (A x + s = b)
        prog.reduced_A.cache(keep_zeros=True)
        self.a_map = sp.csr_array(prog.reduced_A.reduced_mat)
        a_idx, a_ptr, a_shape = prog.reduced_A.problem_data_index
        self.m = int(a_shape[0])
        self.a_nnz = int(a_ptr[self.n])
        self.a_indices = np.asarray(a_idx[: self.a_nnz])
        self.a_indptr = np.asarray(a_ptr[: self.n + 1])
        self.b_rows = np.asarray(a_idx[self.a_nnz :])
        # P: Clarabel takes its upper triangle
        self.p_map: sp.csr_array | None = None
        if prog.P is not None:
            prog.reduced_P.cache(keep_zeros=True)
            p_idx, p_ptr, p_shape = prog.reduced_P.problem_data_index
            cols = np.repeat(np.arange(p_shape[1]), np.diff(p_ptr))
            upper = p_idx <= cols
            self.p_map = sp.csr_array(prog.reduced_P.reduced_mat)[np.flatnonzero(upper), :]
            self.p_indices = np.asarray(p_idx[upper])
            counts = np.bincount(cols[upper], minlength=p_shape[1])
            self.p_indptr = np.concatenate([[0], np.cumsum(counts)])
        self.settings = _settings(CLARABEL_OPTIONS)
        self.retry_settings = _settings(RETRY_OPTIONS)
        self.solver: Any = None
        self._check(data, problem.parameters())

    def _fill(self, values: Mapping[cp.Parameter, Any]) -> None:
        for param, value in values.items():
            col, size = self.slots[param.id]
            arr = np.asarray(value, dtype=np.float64)
            self.theta[col : col + size] = arr.ravel(order="F") if arr.ndim > 1 else arr

    def _data(self) -> tuple[FloatArray, FloatArray, float, FloatArray, FloatArray]:
        """The nonzero values of P (upper triangle) and A in their fixed patterns, q, the
        objective's constant and b."""
        theta = self.theta
        qd = self.q_map @ theta
        av = self.a_map @ theta
        b = np.zeros(self.m)
        b[self.b_rows] = av[self.a_nnz :]
        p = np.zeros(0) if self.p_map is None else self.p_map @ theta
        return p, np.asarray(qd[:-1]), float(qd[-1]), -av[: self.a_nnz], b

    def _matrices(self, p: FloatArray, a: FloatArray) -> tuple[sp.csc_array, sp.csc_array]:
        shape = (self.n, self.n)
        pm = (
            sp.csc_array(shape)
            if self.p_map is None
            else sp.csc_array((p, self.p_indices, self.p_indptr), shape=shape)
        )
        am = sp.csc_array((a, self.a_indices, self.a_indptr), shape=(self.m, self.n))
        return pm, am

    def _check(self, data: Mapping[str, Any], parameters: Sequence[cp.Parameter]) -> None:
        """The map gives cvxpy's own problem data for the placeholder values."""
        self._fill({p: p.value for p in parameters})
        p_vals, q, _, a_vals, b = self._data()
        p, a = self._matrices(p_vals, a_vals)
        ref_p = data.get("P")
        ref_p = sp.csc_array((self.n, self.n)) if ref_p is None else sp.triu(ref_p)
        for name, mine, ref in (("A", a, data["A"]), ("P", p, ref_p)):
            diff = abs(sp.csc_array(mine) - sp.csc_array(ref))
            if diff.nnz and diff.max() > 1e-9 * max(1.0, abs(sp.csc_array(ref)).max()):
                raise NotImplementedError(f"compiled {name} differs from cvxpy's")
        for name, mine_v, ref_v in (("q", q, data["c"]), ("b", b, data["b"])):
            if not np.allclose(mine_v, ref_v, rtol=1e-9, atol=1e-12):
                raise NotImplementedError(f"compiled {name} differs from cvxpy's")

    def solve(self, values: Mapping[cp.Parameter, Any]) -> Outcome:
        self._fill(values)
        p, q, _, a, b = self._data()
        if self.solver is not None and self.solver.is_data_update_allowed():
            # same sparsity pattern: Clarabel keeps its allocations and symbolic
            # factorization, and takes the nonzero values as they are
            if self.p_map is None:
                self.solver.update(q=q, A=a, b=b)
            else:
                self.solver.update(P=p, q=q, A=a, b=b)
        else:
            pm, am = self._matrices(p, a)
            self.solver = clarabel.DefaultSolver(pm, q, am, b, self.cones, self.settings)
        sol = self.solver.solve()
        if str(sol.status) in _RETRY_ON:
            pm, am = self._matrices(p, a)
            retry = clarabel.DefaultSolver(pm, q, am, b, self.cones, self.retry_settings)
            sol = retry.solve()
        status = _CLARABEL_STATUS.get(str(sol.status), f"solver_error: {sol.status}")
        out: dict[int, FloatArray] = {}
        if status in SOLVED:
            x = np.asarray(sol.x)
            for vid, (col, size, shape) in self.outputs.items():
                out[vid] = x[col : col + size].reshape(shape, order="F")
        return Outcome(status, out, int(sol.iterations), float(sol.solve_time))


def _settings(options: Mapping[str, Any]) -> Any:
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    for name, value in options.items():
        setattr(settings, name, value)
    return settings


def _cones(dims: Any) -> list[Any]:
    if list(dims.psd) or list(getattr(dims, "pnd", [])):
        raise NotImplementedError("PSD or n-dimensional power cones")
    cones: list[Any] = []
    if dims.zero:
        cones.append(clarabel.ZeroConeT(int(dims.zero)))
    if dims.nonneg:
        cones.append(clarabel.NonnegativeConeT(int(dims.nonneg)))
    cones += [clarabel.SecondOrderConeT(int(d)) for d in dims.soc]
    cones += [clarabel.ExponentialConeT() for _ in range(int(dims.exp))]
    cones += [clarabel.PowerConeT(float(a)) for a in dims.p3d]
    return cones
