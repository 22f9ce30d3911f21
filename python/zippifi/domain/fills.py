"""Fills: what was actually swapped, as a transaction's receipt (live), an eth_call of the
real calldata (paper) or the kernels' simulated state (backtest) report it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Literal

Venue = Literal["live", "paper", "backtest"]
VENUES: tuple[Venue, ...] = ("live", "paper", "backtest")
FillStatus = Literal["mined", "final", "reorged"]
FILL_STATUSES: tuple[FillStatus, ...] = (
    "mined",  # recorded from a receipt; the chain's confirmation depth not yet reached
    "final",  # at the confirmation depth (or simulated): handed to settlement
    "reorged",  # its block left the chain before the depth: not a trade, kept as history
)
FILL_TRANSITIONS: dict[str, frozenset[str]] = {"mined": frozenset({"final", "reorged"})}


@dataclass(frozen=True, slots=True)
class Fill:
    """One swap, keyed by (chain, tx hash, log index). Amounts are raw token units; ``fee`` is
    in ``token_in`` units; gas costs are in wei (native) and in ``token_out`` units when the
    pool graph can price the native coin. A reorg after the confirmation depth is booked as a
    reversing fill (``reverses_id`` set, same amounts), never as an edit."""

    id: int
    transaction_id: int | None
    order_id: int | None
    intent_id: int | None
    venue: Venue
    chain_id: int | None
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    log_index: int
    pool: str | None
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    fee: int
    gas_used: int | None
    gas_cost_native: int | None
    gas_cost_quote: int | None
    status: FillStatus
    reverses_id: int | None
    created_at: datetime

    @property
    def price(self) -> Fraction:
        """The effective price, token_out units per token_in unit, exactly."""
        return Fraction(self.amount_out, self.amount_in) if self.amount_in else Fraction(0)


@dataclass(frozen=True, slots=True)
class FillReport:
    """A fill as a venue reports it, before it is stored."""

    venue: Venue
    intent_id: int | None
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    log_index: int = 0
    chain_id: int | None = None
    tx_hash: str | None = None
    block_number: int | None = None
    block_hash: str | None = None
    pool: str | None = None
    fee: int = 0
    gas_used: int | None = None
    gas_cost_native: int | None = None
    gas_cost_quote: int | None = None
    transaction_id: int | None = None
    order_id: int | None = None
