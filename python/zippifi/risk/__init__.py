"""Risk: the engine behind execution's :class:`~zippifi.domain.RiskGate`, portfolio risk and
the optimizer. Pure where it can be (data in, decision out); the same code runs in backtest,
paper and live. It imports market and the kernels, never execution: the runtime injects what
it needs."""

from __future__ import annotations

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

__all__ = [
    "KILL_SWITCH",
    "RISKMETRICS_LAMBDA",
    "TRADING_STATES",
    "AnomalySource",
    "Decision",
    "DecisionLog",
    "GraphPrices",
    "KillReport",
    "Limits",
    "MemoryDecisionLog",
    "PoolState",
    "PositionSource",
    "PreSignPolicy",
    "Price",
    "PriceSource",
    "RiskEngine",
    "RiskPolicy",
    "Scenario",
    "ShrunkCovariance",
    "StablePoolState",
    "StoreDecisionLog",
    "StressResult",
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
    "parametric_var",
    "portfolio_returns",
    "price_move",
    "reference_rate",
    "sample_covariance",
    "shock",
    "stress_test",
    "value_positions",
    "var_contributions",
    "volatility",
]
