"""Risk: the engine behind execution's :class:`~zippifi.domain.RiskGate`, portfolio risk and
the optimizer. Pure where it can be (data in, decision out); the same code runs in backtest,
paper and live. It imports market and the kernels, never execution: the runtime injects what
it needs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zippifi.risk.allocation import Allocation, ObjectiveParts
from zippifi.risk.covariance import (
    ShrunkCovariance,
    correlation,
    ewma_covariance,
    ledoit_wolf,
    sample_covariance,
)
from zippifi.risk.gate import (
    KILL_SWITCH,
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
from zippifi.risk.kill import KillReport, kill
from zippifi.risk.limits import Limits, RiskPolicy
from zippifi.risk.optimizer_inputs import (
    Category,
    Constraints,
    TradingCosts,
    sqrt_impact_coefficients,
)
from zippifi.risk.portfolio import (
    VarContributions,
    VarEstimate,
    cornish_fisher_from_moments,
    cornish_fisher_var,
    historical_var,
    normal_var,
    parametric_var,
    portfolio_returns,
    var_contributions,
)
from zippifi.risk.presign import PreSignPolicy
from zippifi.risk.shocks import PoolState, StablePoolState, V2PoolState, V3PoolState
from zippifi.risk.sizing import impact_bps, largest, reference_rate
from zippifi.risk.sources import GraphPrices, VaultBalances, VaultOraclePrices
from zippifi.risk.stress import (
    Scenario,
    StressResult,
    Valuation,
    depeg,
    drained,
    graph_of,
    price_move,
    shock,
    stress_test,
    value_positions,
)
from zippifi.risk.volatility import RISKMETRICS_LAMBDA, ewma_variance, ewma_volatility, volatility

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
    "KILL_SWITCH",
    "RISKMETRICS_LAMBDA",
    "TRADING_STATES",
    "Allocation",
    "AnomalySource",
    "Category",
    "Constraints",
    "Decision",
    "DecisionLog",
    "GraphPrices",
    "KillReport",
    "Limits",
    "MaxSharpe",
    "MeanVariance",
    "MemoryDecisionLog",
    "MinCVaR",
    "ObjectiveParts",
    "PoolState",
    "PositionSource",
    "PreSignPolicy",
    "Price",
    "PriceSource",
    "RiskEngine",
    "RiskParity",
    "RiskPolicy",
    "Scenario",
    "ShrunkCovariance",
    "StablePoolState",
    "StoreDecisionLog",
    "StressResult",
    "TradingCosts",
    "TradingState",
    "V2PoolState",
    "V3PoolState",
    "Valuation",
    "VarContributions",
    "VarEstimate",
    "VaultBalances",
    "VaultOraclePrices",
    "cornish_fisher_from_moments",
    "cornish_fisher_var",
    "correlation",
    "depeg",
    "drained",
    "ewma_covariance",
    "ewma_variance",
    "ewma_volatility",
    "graph_of",
    "historical_var",
    "impact_bps",
    "kill",
    "largest",
    "ledoit_wolf",
    "normal_var",
    "optimize",
    "parametric_var",
    "portfolio_returns",
    "price_move",
    "reference_rate",
    "sample_covariance",
    "shock",
    "sqrt_impact_coefficients",
    "stress_test",
    "value_positions",
    "var_contributions",
    "volatility",
]
