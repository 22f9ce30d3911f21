"""Trade intents, and the orders (route legs) that carry one out.

An intent is what a strategy or an agent wants done (sell this much of A for at least that much
of B); it is stored under an idempotency key before anything is signed, so a proposer that
retries never doubles a trade. Risk approves (possibly resized) or rejects it; execution
carries it out through one or more orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

IntentStatus = Literal[
    "pending", "approved", "rejected", "submitted", "filled", "failed", "cancelled"
]
INTENT_STATUSES: tuple[IntentStatus, ...] = (
    "pending",  # stored, before risk and before anything is signed
    "approved",  # risk said yes (maybe resized)
    "rejected",  # risk said no
    "submitted",  # its transactions are signed / on the wire
    "filled",
    "failed",
    "cancelled",
)
INTENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "rejected", "cancelled"}),
    "approved": frozenset({"submitted", "failed", "cancelled"}),
    "submitted": frozenset({"filled", "failed"}),
}
# Intents that may have work on the chain: reconcile these after a restart.
IN_FLIGHT_INTENTS: tuple[IntentStatus, ...] = ("approved", "submitted")

OrderStatus = Literal["pending", "submitted", "filled", "failed", "cancelled"]
ORDER_STATUSES: tuple[OrderStatus, ...] = ("pending", "submitted", "filled", "failed", "cancelled")
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"submitted", "cancelled", "failed"}),
    "submitted": frozenset({"filled", "failed"}),
}


@dataclass(frozen=True, slots=True)
class TradeIntent:
    """A stored intent. Amounts are raw token units (ints)."""

    id: int
    idempotency_key: str
    strategy_id: int
    account_id: int
    chain_id: int
    token_in: str
    token_out: str
    amount_in: int
    min_amount_out: int
    status: IntentStatus
    reason: str | None
    params: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class IntentProposal:
    """What a proposer (a strategy, an agent, risk's kill switch) hands an
    :class:`~zippifi.domain.protocols.IntentSink`: an intent before it has an id or a status."""

    idempotency_key: str
    strategy_id: int
    account_id: int
    chain_id: int
    token_in: str
    token_out: str
    amount_in: int
    min_amount_out: int
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OrderLeg:
    """One leg of a route, as the execution layer plans it."""

    venue: str
    token_in: str
    token_out: str
    amount_in: int
    min_amount_out: int
    pool: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """A stored route leg of an intent."""

    id: int
    intent_id: int
    leg: int
    venue: str
    pool: str | None
    token_in: str
    token_out: str
    amount_in: int
    min_amount_out: int
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
