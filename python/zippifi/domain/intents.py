"""Trade intents, and the orders (route legs) that carry one out.

An intent is what a strategy or an agent wants done (sell this much of A for at least that much
of B); it is stored under an idempotency key before anything is signed, so a proposer that
retries never doubles a trade. Risk approves (possibly resized) or rejects it; execution
carries it out through one or more orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

IntentStatus = Literal[
    "proposed", "approved", "resized", "rejected", "routed", "signed", "submitted",
    "confirmed", "failed", "expired", "settled", "cancelled",
]  # fmt: skip
INTENT_STATUSES: tuple[IntentStatus, ...] = (
    "proposed",  # stored, before risk and before anything is signed
    "approved",  # the risk gate said yes
    "resized",  # the risk gate said yes, to smaller amounts
    "rejected",  # the risk gate said no (before routing or before signing)
    "routed",  # a route and its minimum output are fixed
    "signed",  # its transaction is signed and recorded, not yet broadcast
    "submitted",  # a node has its transaction
    "confirmed",  # mined, its fills recorded; not yet at the confirmation depth
    "failed",  # it cannot happen: no route, a simulated or mined revert, a refused send
    "expired",  # its deadline passed before it was done
    "settled",  # its fills reached the confirmation depth and were handed to settlement
    "cancelled",  # withdrawn by its proposer or an operator before anything was signed
)
_GATED = frozenset({"routed", "rejected", "failed", "expired", "cancelled"})
INTENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"approved", "resized", "rejected", "failed", "expired", "cancelled"}),
    "approved": _GATED,
    "resized": _GATED,
    "routed": frozenset({"signed", "rejected", "failed", "expired", "cancelled"}),
    "signed": frozenset({"submitted", "failed", "expired"}),
    "submitted": frozenset({"confirmed", "failed", "expired"}),
    # a reorg before the confirmation depth takes the fills back: submitted again
    "confirmed": frozenset({"settled", "submitted"}),
}
# Intents that may have work in progress: resume or reconcile these after a restart.
IN_FLIGHT_INTENTS: tuple[IntentStatus, ...] = (
    "proposed", "approved", "resized", "routed", "signed", "submitted", "confirmed",
)  # fmt: skip
TERMINAL_INTENTS: tuple[IntentStatus, ...] = ("rejected", "failed", "expired", "settled",
                                              "cancelled")  # fmt: skip
IntentKind = Literal["exact_in", "exact_out"]
INTENT_KINDS: tuple[IntentKind, ...] = ("exact_in", "exact_out")
Urgency = Literal["low", "normal", "high", "urgent"]
URGENCIES: tuple[Urgency, ...] = ("low", "normal", "high", "urgent")
MAX_SLIPPAGE_BPS = 10_000

OrderStatus = Literal["pending", "submitted", "filled", "failed", "cancelled"]
ORDER_STATUSES: tuple[OrderStatus, ...] = ("pending", "submitted", "filled", "failed", "cancelled")
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"submitted", "cancelled", "failed"}),
    "submitted": frozenset({"filled", "failed"}),
}


@dataclass(frozen=True, slots=True)
class TradeIntent:
    """A stored intent. Amounts are raw token units (ints).

    ``amount`` is the exact side the proposer asked for: the input for ``exact_in``, the output
    for ``exact_out``. ``amount_in`` and ``min_amount_out`` are what will be sent to the vault:
    the proposer's amount until risk resizes it or routing fixes the minimum output (0 until
    then). ``reason`` is the proposer's free-text reason; ``status_cause`` the cause of the last
    status change (each change is also kept, with its time, as an :class:`IntentEvent`).
    """

    id: int
    idempotency_key: str
    proposer: str
    strategy_id: int | None
    account_id: int
    chain_id: int
    token_in: str
    token_out: str
    kind: IntentKind
    amount: int
    amount_in: int
    min_amount_out: int
    slippage_bps: int
    deadline: datetime | None
    urgency: Urgency
    status: IntentStatus
    reason: str | None
    status_cause: str | None
    params: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class IntentEvent:
    """One stored status change of an intent: when, from what, to what, and why."""

    id: int
    intent_id: int
    from_status: IntentStatus | None  # None: the intent was created
    to_status: IntentStatus
    cause: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class IntentProposal:
    """What a proposer (a strategy, an agent, risk's kill switch) hands an
    :class:`~zippifi.domain.protocols.IntentSink`: an intent before it has an id or a status.
    ``account_id`` is the vault (or EOA) account that trades; ``deadline`` is when the trade
    stops being wanted."""

    idempotency_key: str
    proposer: str
    account_id: int
    chain_id: int
    token_in: str
    token_out: str
    amount: int
    slippage_bps: int
    deadline: datetime
    kind: IntentKind = "exact_in"
    urgency: Urgency = "normal"
    reason: str | None = None
    strategy_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


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
