"""The domain's nouns and their state machines, and the protocols between the domain layers.

Pure Python: imports nothing of ZippiFi's but :mod:`zippifi.errors`, so every layer (store,
chain, risk, execution, settlement, strategy, agent, service) can use it, and it loads without
the Rust extension.
"""

from __future__ import annotations

from zippifi.domain.accounts import (
    ACCOUNT_KINDS,
    STRATEGY_STATUSES,
    STRATEGY_TRANSITIONS,
    Account,
    AccountKind,
    Strategy,
    StrategyStatus,
)
from zippifi.domain.fills import Fill
from zippifi.domain.intents import (
    IN_FLIGHT_INTENTS,
    INTENT_KINDS,
    INTENT_STATUSES,
    INTENT_TRANSITIONS,
    MAX_SLIPPAGE_BPS,
    ORDER_STATUSES,
    ORDER_TRANSITIONS,
    TERMINAL_INTENTS,
    URGENCIES,
    IntentEvent,
    IntentKind,
    IntentProposal,
    IntentStatus,
    Order,
    OrderLeg,
    OrderStatus,
    TradeIntent,
    Urgency,
)
from zippifi.domain.protocols import (
    FillSink,
    IntentSink,
    PreSignCheck,
    RiskDecision,
    RiskGate,
    Verdict,
)
from zippifi.domain.transactions import (
    IN_FLIGHT_TXS,
    TX_STATUSES,
    TX_TRANSITIONS,
    ChainTransaction,
    SignedTx,
    TxStatus,
    UnsignedTx,
)
from zippifi.domain.transitions import can_transition, check_transition, terminal

__all__ = [
    "ACCOUNT_KINDS",
    "INTENT_KINDS",
    "INTENT_STATUSES",
    "INTENT_TRANSITIONS",
    "IN_FLIGHT_INTENTS",
    "IN_FLIGHT_TXS",
    "MAX_SLIPPAGE_BPS",
    "ORDER_STATUSES",
    "ORDER_TRANSITIONS",
    "STRATEGY_STATUSES",
    "STRATEGY_TRANSITIONS",
    "TERMINAL_INTENTS",
    "TX_STATUSES",
    "TX_TRANSITIONS",
    "URGENCIES",
    "Account",
    "AccountKind",
    "ChainTransaction",
    "Fill",
    "FillSink",
    "IntentEvent",
    "IntentKind",
    "IntentProposal",
    "IntentSink",
    "IntentStatus",
    "Order",
    "OrderLeg",
    "OrderStatus",
    "PreSignCheck",
    "RiskDecision",
    "RiskGate",
    "SignedTx",
    "Strategy",
    "StrategyStatus",
    "TradeIntent",
    "TxStatus",
    "UnsignedTx",
    "Urgency",
    "Verdict",
    "can_transition",
    "check_transition",
    "terminal",
]
