"""What the optimizer takes, checked once: constraints, trading costs and market data as
finite float64 arrays of the right shape. A bad value is an
:class:`~zippifi.errors.OptimizerInputError` naming it. :func:`precheck` finds constraints that
cannot hold together for a reason visible without solving (bounds that do not reach a fully
invested portfolio, a turnover limit the bounds alone exceed ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zippifi.errors import OptimizerInputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# Slack for the checks made before solving: they must only fire when the solver would fail too.
FEASIBILITY_TOL = 1e-9

# Constraint names used in errors (and by the diagnosis of infeasible problems).
FULLY_INVESTED = "fully invested (weights sum to 1)"
LONG_ONLY = "long-only"
WEIGHT_BOUNDS = "weight bounds"
LEVERAGE = "leverage"
TURNOVER = "turnover"
TARGET_RETURN = "target return"


def category_name(name: str) -> str:
    return f"category {name!r}"


@dataclass(frozen=True)
class Category:
    """A group of assets (indices into the weights) whose total weight is bounded, e.g.
    ``Category("stablecoins", (0, 3), upper=0.3)``. A side left ``None`` is not bounded."""

    name: str
    assets: tuple[int, ...]
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class Constraints:
    """The constraints a portfolio must satisfy; weights always sum to 1 (fully invested).

    ``long_only`` adds ``w >= 0``; then ``lower`` defaults to 0 and ``upper`` to 1. Otherwise a
    bound left ``None`` is absent. ``lower`` / ``upper``: one number for every asset or one per
    asset. ``leverage``: gross exposure ``sum |w_i| <= leverage``. ``turnover``:
    ``sum |w_i - w0_i| <= turnover`` from the current weights ``w0``.

    Which constraints exist is fixed when an optimizer is built; their numbers can change at
    every solve."""

    long_only: bool = True
    lower: float | Sequence[float] | None = None
    upper: float | Sequence[float] | None = None
    leverage: float | None = None
    categories: tuple[Category, ...] = ()
    turnover: float | None = None


@dataclass(frozen=True)
class TradingCosts:
    """Costs of moving from the current weights, as fractions of NAV.

    ``linear``: ``c_i |dw_i|`` (fees plus half the spread, per unit of weight traded).
    ``impact``: ``k_i |dw_i|^(3/2)``, the square-root law of price impact; see
    :func:`sqrt_impact_coefficients` for ``k_i`` from pool depth. One number for every asset
    or one per asset; ``None`` leaves the term out."""

    linear: float | Sequence[float] | None = None
    impact: float | Sequence[float] | None = None


def sqrt_impact_coefficients(nav: float, depth: Sequence[float], scale: float = 1.0) -> FloatArray:
    """``k_i = scale * sqrt(nav / depth_i)`` for :class:`TradingCosts`' impact term.

    Under the square-root law a trade of value ``x`` against depth ``D`` (the pool's liquidity
    in NAV's unit) costs ``scale * sqrt(x / D)`` of its value. With ``x = |dw| * nav`` the cost
    as a fraction of NAV is ``scale * sqrt(nav / D) * |dw|^(3/2)``."""
    nav_ = number(nav, "nav")
    d = vector(depth, "depth")
    if nav_ <= 0 or (d <= 0).any():
        raise OptimizerInputError("nav and every pool depth must be positive")
    return np.asarray(number(scale, "scale") * np.sqrt(nav_ / d), dtype=np.float64)


# --- plain values ------------------------------------------------------------------------


def number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise OptimizerInputError(f"{name}: expected a number, got {value!r}")
    out = float(value)
    if not np.isfinite(out):
        raise OptimizerInputError(f"{name}: expected a finite number, got {value!r}")
    return out


def _array(values: object, name: str) -> FloatArray:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise OptimizerInputError(f"{name}: not an array of numbers ({exc})") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = first[0] if len(first) == 1 else first
        raise OptimizerInputError(
            f"{name}: {int(bad.sum())} value(s) are NaN or infinite, the first at index {where}"
        )
    return arr


def vector(values: object, name: str, size: int | None = None) -> FloatArray:
    """A 1-D array of finite numbers; a scalar is broadcast when ``size`` is given."""
    arr = _array(values, name)
    if arr.ndim == 0 and size is not None:
        return np.full(size, float(arr))
    if arr.ndim != 1 or (size is not None and arr.shape[0] != size):
        want = "a 1-D array" if size is None else f"{size} values (one per asset)"
        raise OptimizerInputError(f"{name}: expected {want}, got shape {arr.shape}")
    return arr


def nonneg_vector(values: object, name: str, size: int) -> FloatArray:
    arr = vector(values, name, size)
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        raise OptimizerInputError(f"{name}: must be >= 0, asset {i} has {arr[i]!r}")
    return arr


def matrix(values: object, name: str, shape: tuple[int | None, int]) -> FloatArray:
    arr = _array(values, name)
    rows, cols = shape
    if arr.ndim != 2 or arr.shape[1] != cols or (rows is not None and arr.shape[0] != rows):
        want = f"({'k' if rows is None else rows}, {cols})"
        raise OptimizerInputError(f"{name}: expected shape {want}, got {arr.shape}")
    if arr.shape[0] == 0:
        raise OptimizerInputError(f"{name}: has no rows")
    return arr


def count(value: object, name: str, at_least: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < at_least:
        raise OptimizerInputError(f"{name}: expected an integer >= {at_least}, got {value!r}")
    return int(value)


# --- risk ----------------------------------------------------------------------------------


def risk_factor(cov: object | None, factor: object | None, n: int) -> FloatArray:
    """An upper-triangular ``R`` (n x n) with ``R.T @ R`` the covariance, from the covariance
    itself or from any factor ``G`` (k x n) with ``G.T @ G`` the covariance.

    Triangular because the optimizer's factor Parameter holds only the upper triangle: half the
    nonzeros of a full factor, which makes each solve about a third faster."""
    if (cov is None) == (factor is None):
        raise OptimizerInputError("give exactly one of cov (n x n) and factor (k x n)")
    if cov is not None:
        sigma = matrix(cov, "cov", (n, n))
        scale = float(np.abs(sigma).max())
        if not np.allclose(sigma, sigma.T, rtol=0.0, atol=1e-12 * max(scale, 1e-300)):
            i, j = np.unravel_index(np.argmax(np.abs(sigma - sigma.T)), sigma.shape)
            raise OptimizerInputError(
                f"cov: not symmetric (cov[{i},{j}] = {sigma[i, j]!r}, cov[{j},{i}] = "
                f"{sigma[j, i]!r})"
            )
        try:  # positive definite: the Cholesky factor is the answer
            return np.asarray(np.linalg.cholesky(sigma).T, dtype=np.float64)
        except np.linalg.LinAlgError:
            pass
        eig, vecs = np.linalg.eigh(sigma)
        if eig[0] < -1e-9 * max(float(np.abs(eig).max()), 1e-300):
            raise OptimizerInputError(
                f"cov: not positive semidefinite (smallest eigenvalue {eig[0]:.3g}, largest "
                f"{eig[-1]:.3g}); a covariance estimate must not have negative variances "
                "along any direction"
            )
        g = np.sqrt(np.clip(eig, 0.0, None))[:, None] * vecs.T
    else:
        g = matrix(factor, "factor", (None, n))
    _, r = np.linalg.qr(g, mode="reduced")
    out = np.zeros((n, n))
    out[: r.shape[0]] = r
    return out


# --- constraints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    name: str
    members: IntArray
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class Resolved:
    """Constraints as arrays; ``lower``/``upper`` already include ``w >= 0`` when long-only."""

    long_only: bool
    lower: FloatArray | None
    upper: FloatArray | None
    leverage: float | None
    categories: tuple[CategorySpec, ...]
    turnover: float | None
    given_lower: FloatArray | None  # as the caller gave it, for messages

    @property
    def structure(self) -> tuple[object, ...]:
        """What an optimizer is built for: which constraints exist, not their numbers."""
        cats = tuple(
            (c.name, tuple(c.members.tolist()), c.lower is not None, c.upper is not None)
            for c in self.categories
        )
        return (
            self.long_only,
            self.lower is not None,
            self.upper is not None,
            self.leverage is not None,
            cats,
            self.turnover is not None,
        )


def resolve(constraints: Constraints, n: int) -> Resolved:
    if not isinstance(constraints, Constraints):
        raise OptimizerInputError(
            f"constraints: expected a Constraints, got {type(constraints).__name__}"
        )
    given_lower = None if constraints.lower is None else vector(constraints.lower, "lower", n)
    upper = None if constraints.upper is None else vector(constraints.upper, "upper", n)
    lower = given_lower
    if constraints.long_only:
        lower = np.zeros(n) if lower is None else np.maximum(lower, 0.0)
        upper = np.ones(n) if upper is None else upper
    leverage = None
    if constraints.leverage is not None:
        leverage = number(constraints.leverage, "leverage")
        if leverage <= 0:
            raise OptimizerInputError(f"leverage: must be positive, got {leverage!r}")
    turnover = None
    if constraints.turnover is not None:
        turnover = number(constraints.turnover, "turnover")
        if turnover < 0:
            raise OptimizerInputError(f"turnover: must be >= 0, got {turnover!r}")
    cats = tuple(_category(c, n) for c in constraints.categories)
    names = [c.name for c in cats]
    if len(set(names)) != len(names):
        raise OptimizerInputError(f"categories: names must be unique, got {names}")
    return Resolved(
        bool(constraints.long_only), lower, upper, leverage, cats, turnover, given_lower
    )


def _category(cat: Category, n: int) -> CategorySpec:
    if not isinstance(cat, Category):
        raise OptimizerInputError(f"categories: expected Category items, got {cat!r}")
    label = category_name(cat.name)
    if not cat.name:
        raise OptimizerInputError("categories: a category needs a name")
    members = []
    for a in cat.assets:
        if isinstance(a, bool) or not isinstance(a, int | np.integer) or not 0 <= a < n:
            raise OptimizerInputError(f"{label}: asset {a!r} is not an index in 0..{n - 1}")
        members.append(int(a))
    if not members or len(set(members)) != len(members):
        raise OptimizerInputError(f"{label}: needs distinct asset indices, got {cat.assets!r}")
    if cat.lower is None and cat.upper is None:
        raise OptimizerInputError(f"{label}: give a lower or an upper bound")
    lo = None if cat.lower is None else number(cat.lower, f"{label} lower")
    hi = None if cat.upper is None else number(cat.upper, f"{label} upper")
    return CategorySpec(cat.name, np.array(sorted(members), dtype=np.intp), lo, hi)


@dataclass(frozen=True)
class Costs:
    linear: FloatArray | None
    impact: FloatArray | None

    @property
    def structure(self) -> tuple[bool, bool]:
        return (self.linear is not None, self.impact is not None)

    def of(self, trades: FloatArray) -> tuple[float, float]:
        """(linear costs, impact) of these weight changes."""
        size = np.abs(trades)
        linear = 0.0 if self.linear is None else float(self.linear @ size)
        impact = 0.0 if self.impact is None else float(self.impact @ size**1.5)
        return linear, impact


def resolve_costs(costs: TradingCosts | None, n: int) -> Costs:
    if costs is None:
        return Costs(None, None)
    if not isinstance(costs, TradingCosts):
        raise OptimizerInputError(f"costs: expected TradingCosts, got {type(costs).__name__}")
    linear = None if costs.linear is None else nonneg_vector(costs.linear, "costs.linear", n)
    impact = None if costs.impact is None else nonneg_vector(costs.impact, "costs.impact", n)
    return Costs(linear, impact)


def current_weights(w0: object | None, n: int) -> FloatArray:
    return np.zeros(n) if w0 is None else vector(w0, "w0", n)


# --- infeasibility visible without solving -------------------------------------------------


def _assets(idx: npt.NDArray[np.bool_]) -> str:
    where = np.flatnonzero(idx)
    shown = ", ".join(str(i) for i in where[:5])
    return f"asset{'s' if len(where) > 1 else ''} {shown}{' ...' if len(where) > 5 else ''}"


def precheck(c: Resolved, w0: FloatArray) -> str | None:
    """Why the constraints cannot hold together, when that shows in the numbers alone (O(n),
    before any solve); None otherwise. Which constraints conflict is the diagnosis' to say."""
    tol = FEASIBILITY_TOL
    lo, hi = c.lower, c.upper
    if lo is not None and hi is not None and (lo > hi + tol).any():
        if c.given_lower is not None and (c.given_lower > hi + tol).any():
            return f"{_assets(c.given_lower > hi + tol)}: lower bound above upper bound"
        return f"{_assets(lo > hi + tol)}: upper bound below 0"  # w >= 0 lifted the lower one
    if lo is not None and lo.sum() > 1 + tol:
        return f"the lower bounds sum to {lo.sum():.6g} > 1"
    if hi is not None and hi.sum() < 1 - tol:
        return f"the upper bounds sum to {hi.sum():.6g} < 1"
    if c.leverage is not None:
        if c.leverage < 1 - tol:
            return f"leverage {c.leverage:g} < 1, the least gross exposure of weights summing to 1"
        least = 0.0
        if lo is not None:
            least += float(np.clip(lo, 0, None).sum())
        if hi is not None:
            least += float(np.clip(-hi, 0, None).sum())
        if least > c.leverage + tol:
            return f"the weight bounds force a gross exposure of {least:.6g} > {c.leverage:g}"
    for cat in c.categories:
        reason = _precheck_category(cat, c)
        if reason:
            return reason
    if c.turnover is not None:
        if abs(1 - w0.sum()) > c.turnover + tol:
            return (
                f"the current weights sum to {w0.sum():.6g}: reaching a fully invested "
                f"portfolio trades at least {abs(1 - w0.sum()):.6g} > turnover {c.turnover:g}"
            )
        need = 0.0
        if lo is not None:
            need += float(np.clip(lo - w0, 0, None).sum())
        if hi is not None:
            need += float(np.clip(w0 - hi, 0, None).sum())
        if need > c.turnover + tol:
            return (
                f"moving the current weights inside their bounds trades at least {need:.6g} > "
                f"turnover {c.turnover:g}"
            )
    return None


def _precheck_category(cat: CategorySpec, c: Resolved) -> str | None:
    tol = FEASIBILITY_TOL
    label = category_name(cat.name)
    if cat.lower is not None and cat.upper is not None and cat.lower > cat.upper + tol:
        return f"{label}: lower {cat.lower:g} > upper {cat.upper:g}"
    if cat.upper is not None and c.lower is not None:
        least = float(c.lower[cat.members].sum())
        if least > cat.upper + tol:
            return (
                f"{label}: its members' lower bounds sum to {least:.6g} > its upper {cat.upper:g}"
            )
    if cat.lower is not None and c.upper is not None:
        most = float(c.upper[cat.members].sum())
        if most < cat.lower - tol:
            return f"{label}: its members' upper bounds sum to {most:.6g} < its lower {cat.lower:g}"
    return None


# An answer may miss a constraint by this much (times its largest weight, at least 1): an
# order above the solver's own feasibility tolerance, far below anything a trade would see.
ANSWER_TOL = 1e-6


def violation(c: Resolved, w: FloatArray, w0: FloatArray) -> tuple[str, float] | None:
    """The first constraint the weights ``w`` break by more than ``ANSWER_TOL``, and by how
    much; None when they satisfy them all."""
    tol = ANSWER_TOL * max(1.0, float(np.abs(w).max()))
    checks = [(FULLY_INVESTED, abs(float(w.sum()) - 1))]
    if c.long_only:
        checks.append((LONG_ONLY, -float(w.min())))
    if c.lower is not None:
        checks.append((WEIGHT_BOUNDS, float((c.lower - w).max())))
    if c.upper is not None:
        checks.append((WEIGHT_BOUNDS, float((w - c.upper).max())))
    if c.leverage is not None:
        checks.append((LEVERAGE, float(np.abs(w).sum()) - c.leverage))
    for cat in c.categories:
        total = float(w[cat.members].sum())
        if cat.lower is not None:
            checks.append((category_name(cat.name), cat.lower - total))
        if cat.upper is not None:
            checks.append((category_name(cat.name), total - cat.upper))
    if c.turnover is not None:
        checks.append((TURNOVER, float(np.abs(w - w0).sum()) - c.turnover))
    for name, amount in checks:
        if amount > tol:
            return name, amount
    return None


__all__ = ["Category", "Constraints", "TradingCosts", "sqrt_impact_coefficients"]
