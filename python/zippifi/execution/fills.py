"""Fills from what a venue reports: the vault's ``Swapped`` events in a receipt (live), or the
amounts an exact simulation returned (paper, backtest)."""

from __future__ import annotations

from collections.abc import Sequence

from zippifi.chain import Receipt, decode_event
from zippifi.chain.artifacts import load
from zippifi.domain import FillReport
from zippifi.errors import ExecutionError

_VAULT = load("ZippiVault")


def fills_from_receipt(
    receipt: Receipt, *, vault: str, chain_id: int, intent_ids: Sequence[int],
    transaction_id: int | None = None,
) -> list[FillReport]:  # fmt: skip
    """One fill per ``Swapped`` event the vault emitted in ``receipt`` (other contracts' logs,
    and other events, are ignored), the i-th for the i-th of ``intent_ids``: the vault emits
    one per swap, in the order of a batch's swaps. The transaction's gas is shared among its
    fills, evenly, the remainder on the first, so the fills' gas adds up to the receipt's."""
    events = []
    for log in receipt.logs:
        if log.address.lower() != vault.lower():
            continue
        event = decode_event(_VAULT, "Swapped", log)
        if event is not None:
            events.append((log, event))
    if events and len(events) != len(intent_ids):
        raise ExecutionError(
            f"transaction 0x{receipt.tx_hash.hex()} has {len(events)} Swapped events for "
            f"{len(intent_ids)} intents"
        )
    gas_price = receipt.effective_gas_price
    out: list[FillReport] = []
    for i, ((log, event), intent_id) in enumerate(zip(events, intent_ids, strict=False)):
        gas = _share(receipt.gas_used, len(events), first=i == 0)
        out.append(FillReport(
            venue="live", intent_id=intent_id, token_in=event.args["tokenIn"],
            token_out=event.args["tokenOut"], amount_in=event.args["amountIn"],
            amount_out=event.args["amountOut"], log_index=log.log_index, chain_id=chain_id,
            tx_hash="0x" + receipt.tx_hash.hex(), block_number=receipt.block_number,
            block_hash="0x" + receipt.block_hash.hex(), pool=event.args["target"],
            gas_used=gas, gas_cost_native=None if gas_price is None else gas * gas_price,
            transaction_id=transaction_id,
        ))  # fmt: skip
    return out


def _share(total: int, parts: int, *, first: bool) -> int:
    return total // parts + (total % parts if first else 0)
