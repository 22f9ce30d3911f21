"""Fills: what a transaction's receipt says was actually swapped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Fill:
    """One swap a receipt reports, keyed by (transaction, log index). Amounts are raw token
    units; ``fee`` is in ``token_in`` units."""

    id: int
    transaction_id: int
    order_id: int | None
    log_index: int
    pool: str | None
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    fee: int
    created_at: datetime
