"""The optimizer's answer: target weights, the trades from the current weights, the solver's
status and the objective's parts; and those trades in raw token units, computed exactly."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np

from zippifi.errors import OptimizerInputError
from zippifi.risk.optimizer_inputs import FloatArray

Amount = int | float | Decimal | Fraction


@dataclass(frozen=True)
class ObjectiveParts:
    """The objective taken apart, at the target weights.

    ``expected_return``: ``mu @ w`` before costs (None when no expected returns were given).
    ``risk``: ``w' cov w`` when ``risk_measure`` is "variance"; the CVaR of the scenario
    losses at ``beta`` when it is "cvar". ``costs``: ``sum c_i |dw_i|``. ``impact``:
    ``sum k_i |dw_i|^(3/2)``. ``value``: the objective as the optimizer scores it (see each
    objective)."""

    expected_return: float | None
    risk: float
    risk_measure: str
    costs: float
    impact: float
    value: float


def _frozen(a: FloatArray) -> FloatArray:
    out = np.array(a, dtype=np.float64)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class Allocation:
    """Target ``weights`` (fractions of NAV, summing to 1) and the ``current`` weights they
    were reached from. ``status`` is the solver's ("optimal", or "optimal_inaccurate" when it
    stopped close to but short of its tolerance). ``fallback`` / ``reason`` say when the
    objective asked for was replaced (max Sharpe with no positive excess return)."""

    objective: str
    weights: FloatArray
    current: FloatArray
    status: str
    solver: str
    parts: ObjectiveParts
    iterations: int
    solve_seconds: float
    fallback: str | None = None
    reason: str | None = None
    trades: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        weights, current = _frozen(self.weights), _frozen(self.current)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "current", current)
        object.__setattr__(self, "trades", _frozen(weights - current))

    def token_trades(
        self,
        nav: Amount,
        prices: Sequence[Amount],
        decimals: Sequence[int],
        *,
        dust: float = 1e-6,
    ) -> tuple[int, ...]:
        """The trades in raw token units: ``dw_i * nav / price_i * 10**decimals_i``, positive
        to buy. ``nav`` and ``prices`` (per whole token) are in the same unit; each is taken
        exactly (a float as the binary number it is) and the result is rounded toward zero, so
        no trade exceeds its weight. A weight change smaller than ``dust`` is solver noise, not
        a trade: it gives 0."""
        n = len(self.weights)
        nav_ = _exact(nav, "nav")
        if nav_ <= 0:
            raise OptimizerInputError(f"nav: must be positive, got {nav!r}")
        if len(prices) != n or len(decimals) != n:
            raise OptimizerInputError(
                f"prices and decimals: expected {n} each, got {len(prices)} and {len(decimals)}"
            )
        out = []
        for i, (dw, price, dec) in enumerate(zip(self.trades, prices, decimals, strict=True)):
            p = _exact(price, f"prices[{i}]")
            if p <= 0:
                raise OptimizerInputError(f"prices[{i}]: must be positive, got {price!r}")
            if isinstance(dec, bool) or not isinstance(dec, int) or not 0 <= dec <= 255:
                raise OptimizerInputError(f"decimals[{i}]: expected 0..255, got {dec!r}")
            if abs(dw) < dust:
                out.append(0)
                continue
            out.append(int(Fraction(float(dw)) * nav_ * 10**dec / p))  # int() truncates to 0
        return tuple(out)


def _exact(value: Amount, name: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        raise OptimizerInputError(f"{name}: expected a number, got {value!r}")
    finite = math.isfinite(value) if isinstance(value, float) else True
    if not finite or (isinstance(value, Decimal) and not value.is_finite()):
        raise OptimizerInputError(f"{name}: expected a finite number, got {value!r}")
    return Fraction(value)


__all__ = ["Allocation", "ObjectiveParts"]
