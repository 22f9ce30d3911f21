"""Checks on a proposed intent before anything is stored: an intent that can never be executed
as given is refused with an InvalidIntentError naming the field, and nothing changes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from zippifi.domain import INTENT_KINDS, MAX_SLIPPAGE_BPS, URGENCIES, IntentProposal
from zippifi.errors import InvalidIntentError
from zippifi.sign import to_checksum_address

U256_MAX = 2**256 - 1


def _address(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidIntentError(f"{name} must be a 0x address, got {type(value).__name__}")
    try:
        return to_checksum_address(value)
    except (ValueError, TypeError):
        raise InvalidIntentError(f"{name}: not an address: {value!r}") from None


def check_proposal(
    proposal: IntentProposal, *, now: datetime, tokens: Collection[str] | None = None
) -> None:
    """Raise InvalidIntentError for the first thing wrong with ``proposal``. ``tokens`` (any
    case) are the ones the account may trade; None skips that check."""
    token_in = _address(proposal.token_in, "token_in")
    token_out = _address(proposal.token_out, "token_out")
    if token_in == token_out:
        raise InvalidIntentError(f"token_in and token_out are the same token ({token_in})")
    if tokens is not None:
        known = {t.lower() for t in tokens}
        for name, token in (("token_in", token_in), ("token_out", token_out)):
            if token.lower() not in known:
                raise InvalidIntentError(f"{name} {token} is not a token this account trades")
    amount = proposal.amount
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidIntentError(f"amount must be an int in raw token units, got {amount!r}")
    if amount <= 0:
        raise InvalidIntentError(f"amount must be > 0, got {amount}")
    if amount > U256_MAX:
        raise InvalidIntentError("amount does not fit in 256 bits")
    bps = proposal.slippage_bps
    if not isinstance(bps, int) or isinstance(bps, bool) or not 0 <= bps <= MAX_SLIPPAGE_BPS:
        raise InvalidIntentError(
            f"slippage_bps must be an int in 0..{MAX_SLIPPAGE_BPS} (100%), got {bps!r}"
        )
    if proposal.kind not in INTENT_KINDS:
        raise InvalidIntentError(f"kind must be one of {INTENT_KINDS}, got {proposal.kind!r}")
    if proposal.urgency not in URGENCIES:
        raise InvalidIntentError(f"urgency must be one of {URGENCIES}, got {proposal.urgency!r}")
    deadline = proposal.deadline
    if not isinstance(deadline, datetime) or deadline.tzinfo is None:
        raise InvalidIntentError(f"deadline must be a timezone-aware datetime, got {deadline!r}")
    if deadline <= now:
        raise InvalidIntentError(f"deadline {deadline.isoformat()} has passed")
    if not isinstance(proposal.idempotency_key, str) or not proposal.idempotency_key:
        raise InvalidIntentError("idempotency_key must be a non-empty string")
    if not isinstance(proposal.proposer, str) or not proposal.proposer:
        raise InvalidIntentError("proposer must be a non-empty string (e.g. 'strategy:3')")
