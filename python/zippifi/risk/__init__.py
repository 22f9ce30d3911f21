"""Risk: the engine behind execution's :class:`~zippifi.domain.RiskGate`, portfolio risk and
the optimizer. Pure where it can be (data in, decision out); the same code runs in backtest,
paper and live. It imports market and the kernels, never execution: the runtime injects what
it needs."""

from __future__ import annotations

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
from zippifi.risk.sizing import impact_bps, largest, reference_rate

__all__ = [
    "TRADING_STATES",
    "AnomalySource",
    "Decision",
    "DecisionLog",
    "Limits",
    "MemoryDecisionLog",
    "PositionSource",
    "Price",
    "PriceSource",
    "RiskEngine",
    "RiskPolicy",
    "StoreDecisionLog",
    "TradingState",
    "impact_bps",
    "largest",
    "reference_rate",
]
