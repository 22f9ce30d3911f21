"""Risk: the engine behind execution's :class:`~zippifi.domain.RiskGate`, portfolio risk and
the optimizer. Pure where it can be (data in, decision out); the same code runs in backtest,
paper and live. It imports market and the kernels, never execution: the runtime injects what
it needs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zippifi.risk.allocation import Allocation, ObjectiveParts
from zippifi.risk.gate import (
    TRADING_STATES,
    AnomalySource,
    Decision,
    DecisionLog,
    MemoryDecisionLog,
    PositionSource,
    Price,
    PriceSource,
    RiskEngine,
    StoreDecisionLog,
    TradingState,
)
from zippifi.risk.limits import Limits, RiskPolicy
from zippifi.risk.optimizer_inputs import (
    Category,
    Constraints,
    TradingCosts,
    sqrt_impact_coefficients,
)
from zippifi.risk.sizing import impact_bps, largest, reference_rate

if TYPE_CHECKING:  # resolved by __getattr__ at run time
    from zippifi.risk.optimizer import MaxSharpe, MeanVariance, MinCVaR, RiskParity, optimize

# The optimizer needs cvxpy, seconds to import: it loads on first use, so the gate (and
# everything that imports risk) starts without it. Its module is `optimizer`, not `optimize`:
# a submodule named like the optimize() function would replace it here once imported.
_OPTIMIZER = frozenset({"MaxSharpe", "MeanVariance", "MinCVaR", "RiskParity", "optimize"})


def __getattr__(name: str) -> Any:
    if name in _OPTIMIZER:
        value = getattr(importlib.import_module("zippifi.risk.optimizer"), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "TRADING_STATES",
    "Allocation",
    "AnomalySource",
    "Category",
    "Constraints",
    "Decision",
    "DecisionLog",
    "Limits",
    "MaxSharpe",
    "MeanVariance",
    "MemoryDecisionLog",
    "MinCVaR",
    "ObjectiveParts",
    "PositionSource",
    "Price",
    "PriceSource",
    "RiskEngine",
    "RiskParity",
    "RiskPolicy",
    "StoreDecisionLog",
    "TradingCosts",
    "TradingState",
    "impact_bps",
    "largest",
    "optimize",
    "reference_rate",
    "sqrt_impact_coefficients",
]
