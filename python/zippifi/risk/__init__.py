"""Risk: the engine behind execution's :class:`~zippifi.domain.RiskGate`, portfolio risk and
the optimizer. Pure where it can be (data in, decision out); the same code runs in backtest,
paper and live. It imports market and the kernels, never execution: the runtime injects what
it needs."""

from __future__ import annotations

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
from zippifi.risk.presign import PreSignPolicy
from zippifi.risk.sizing import impact_bps, largest, reference_rate
from zippifi.risk.sources import GraphPrices, VaultBalances, VaultOraclePrices

__all__ = [
    "KILL_SWITCH",
    "TRADING_STATES",
    "AnomalySource",
    "Decision",
    "DecisionLog",
    "GraphPrices",
    "KillReport",
    "Limits",
    "MemoryDecisionLog",
    "PositionSource",
    "PreSignPolicy",
    "Price",
    "PriceSource",
    "RiskEngine",
    "RiskPolicy",
    "StoreDecisionLog",
    "TradingState",
    "VaultBalances",
    "VaultOraclePrices",
    "impact_bps",
    "kill",
    "largest",
    "reference_rate",
]
