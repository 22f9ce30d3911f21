"""Fills from what a venue reports: the vault's ``Swapped`` events in a receipt (live), or the
amounts an exact simulation returned (paper, backtest)."""

from __future__ import annotations

from zippifi.chain import Receipt, decode_event
from zippifi.chain.artifacts import load
from zippifi.domain import FillReport

_VAULT = load("ZippiVault")


def fills_from_receipt(
    receipt: Receipt, *, vault: str, chain_id: int, intent_id: int | None,
    transaction_id: int | None = None, gas_cost_quote: int | None = None,
) -> list[FillReport]:  # fmt: skip
    """One fill per ``Swapped`` event the vault emitted in ``receipt`` (other contracts' logs,
    and other events, are ignored). Gas is the whole transaction's, on its first fill."""
    out: list[FillReport] = []
    gas_native = (
        None if receipt.effective_gas_price is None
        else receipt.gas_used * receipt.effective_gas_price
    )  # fmt: skip
    for log in receipt.logs:
        if log.address.lower() != vault.lower():
            continue
        event = decode_event(_VAULT, "Swapped", log)
        if event is None:
            continue
        first = not out
        out.append(FillReport(
            venue="live", intent_id=intent_id, token_in=event.args["tokenIn"],
            token_out=event.args["tokenOut"], amount_in=event.args["amountIn"],
            amount_out=event.args["amountOut"], log_index=log.log_index, chain_id=chain_id,
            tx_hash="0x" + receipt.tx_hash.hex(), block_number=receipt.block_number,
            block_hash="0x" + receipt.block_hash.hex(), pool=event.args["target"],
            gas_used=receipt.gas_used if first else 0,
            gas_cost_native=gas_native if first else 0,
            gas_cost_quote=gas_cost_quote if first else None,
            transaction_id=transaction_id,
        ))  # fmt: skip
    return out
