"""Execution: from a trade intent to a settled fill, exactly once.

An :class:`ExecutionEngine` takes one vault's intents through risk (the injected
:class:`~zippifi.domain.RiskGate`), a :class:`Router` plan on the synced pool graph, and a venue
(:class:`LiveVenue`, :class:`PaperVenue`, :class:`BacktestVenue`), to fills handed to the
injected :class:`~zippifi.domain.FillSink`. The runtime builds it (``Runtime.execution``).
"""

from __future__ import annotations

from zippifi.execution.backtest import BacktestRules, BacktestToken, BacktestVenue
from zippifi.execution.engine import ExecutionEngine, StepReport
from zippifi.execution.fills import fills_from_receipt
from zippifi.execution.gas_value import gas_in_token, with_gas_value
from zippifi.execution.plans import Hop, SwapPlan
from zippifi.execution.proposals import check_proposal
from zippifi.execution.routing import (
    ExecutorEncoder,
    NoCalldata,
    OracleBounds,
    RouteEncoder,
    Router,
    V2RouterEncoder,
    hops_of,
    pool_factories,
)
from zippifi.execution.twap import Twap, TwapProgress, largest_slice, price_impact_bps
from zippifi.execution.vault_rules import RuleSource, TokenRule, VaultRules, VaultRulesGate
from zippifi.execution.venues import (
    ExecutionVenue,
    LiveVenue,
    Outcome,
    PaperVenue,
    batch_calldata,
)

__all__ = [
    "BacktestRules",
    "BacktestToken",
    "BacktestVenue",
    "ExecutionEngine",
    "ExecutionVenue",
    "ExecutorEncoder",
    "Hop",
    "LiveVenue",
    "NoCalldata",
    "OracleBounds",
    "Outcome",
    "PaperVenue",
    "RouteEncoder",
    "Router",
    "RuleSource",
    "StepReport",
    "SwapPlan",
    "TokenRule",
    "Twap",
    "TwapProgress",
    "V2RouterEncoder",
    "VaultRules",
    "VaultRulesGate",
    "batch_calldata",
    "check_proposal",
    "fills_from_receipt",
    "gas_in_token",
    "hops_of",
    "largest_slice",
    "pool_factories",
    "price_impact_bps",
    "with_gas_value",
]
