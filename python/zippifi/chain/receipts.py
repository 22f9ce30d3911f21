"""Receipts: wait for N confirmations, notice reorgs, and report status changes as a stream.

A receipt is only believed while its block is canonical: each round re-reads the block at the
receipt's height and compares hashes, and a receipt that vanished or points at a block that is
no longer canonical makes the transaction ``reorged`` (then ``pending`` again until it is
re-mined, possibly in another block). A transaction is final once it has ``confirmations``
blocks on top (counting its own) and its block is still canonical.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from enum import Enum

from zippifi.chain.adapter import ChainAdapter
from zippifi.chain.types import Receipt
from zippifi.errors import InvalidInputError, TxTimeoutError


class TxStatus(Enum):
    PENDING = "pending"  # not in a canonical block (yet, or any more)
    MINED = "mined"  # in a canonical block, fewer than N confirmations
    REORGED = "reorged"  # was mined, and that block left the canonical chain
    CONFIRMED = "confirmed"  # N confirmations, succeeded: final
    FAILED = "failed"  # N confirmations, reverted (status 0): final
    DROPPED = "dropped"  # the node no longer knows it, and it was never mined: final

    @property
    def final(self) -> bool:
        return self in (TxStatus.CONFIRMED, TxStatus.FAILED, TxStatus.DROPPED)


@dataclass(frozen=True, slots=True)
class TxStatusEvent:
    tx_hash: bytes
    status: TxStatus
    confirmations: int  # 0 unless mined
    receipt: Receipt | None  # the canonical receipt when mined / confirmed / failed


@dataclass
class _Tracked:
    status: TxStatus | None = None
    block_hash: bytes | None = None
    confirmations: int = -1
    unknown_rounds: int = 0


class ReceiptTracker:
    """Follows transactions to finality; see :meth:`watch`."""

    def __init__(
        self,
        adapter: ChainAdapter,
        *,
        confirmations: int | None = None,
        poll_s: float | None = None,
        drop_after_rounds: int | None = None,
    ) -> None:
        self.adapter = adapter
        self.confirmations = (
            adapter.config.confirmations if confirmations is None else confirmations
        )
        if self.confirmations < 0:
            raise InvalidInputError(f"confirmations must be >= 0, got {self.confirmations}")
        self.poll_s = adapter.config.poll_interval_s if poll_s is None else poll_s
        # a transaction the node does not know for this many rounds is reported dropped;
        # None: never (a tx that may still be re-broadcast stays pending)
        self.drop_after_rounds = drop_after_rounds

    async def _check(self, tx_hash: bytes, head: int, tracked: _Tracked) -> TxStatusEvent:
        receipt = await self.adapter.get_receipt(tx_hash)
        if receipt is not None:
            block = await self.adapter.get_block(receipt.block_number)
            if block is None or block.hash != receipt.block_hash:
                receipt = None  # the node still serves a receipt from an orphaned block
        if receipt is None:
            if tracked.status is TxStatus.MINED:
                return TxStatusEvent(tx_hash, TxStatus.REORGED, 0, None)
            if self.drop_after_rounds is not None:
                known = await self.adapter.get_transaction(tx_hash) is not None
                tracked.unknown_rounds = 0 if known else tracked.unknown_rounds + 1
                if tracked.unknown_rounds >= self.drop_after_rounds:
                    return TxStatusEvent(tx_hash, TxStatus.DROPPED, 0, None)
            return TxStatusEvent(tx_hash, TxStatus.PENDING, 0, None)
        depth = max(head - receipt.block_number + 1, 1)
        if depth >= self.confirmations:
            status = TxStatus.CONFIRMED if receipt.status == 1 else TxStatus.FAILED
        else:
            status = TxStatus.MINED
        return TxStatusEvent(tx_hash, status, depth, receipt)

    async def watch(
        self, tx_hashes: Iterable[bytes], *, timeout_s: float | None = None
    ) -> AsyncIterator[TxStatusEvent]:
        """Status changes of every transaction until each is final: the first status of each,
        then one event per change (a new confirmation count included). Raises TxTimeoutError
        if some are not final by ``timeout_s``."""
        tracked = {bytes(h): _Tracked() for h in tx_hashes}
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            head = await self.adapter.block_number()
            for tx_hash, state in tracked.items():
                if state.status is not None and state.status.final:
                    continue
                event = await self._check(tx_hash, head, state)
                moved = event.receipt is not None and state.block_hash not in (
                    None, event.receipt.block_hash,
                )  # fmt: skip
                if moved and state.status is not TxStatus.PENDING:
                    # re-mined in another block between two rounds: the old one was reorged
                    yield TxStatusEvent(tx_hash, TxStatus.REORGED, 0, None)
                if event.status is TxStatus.REORGED:
                    state.block_hash = None
                elif event.receipt is not None:
                    state.block_hash = event.receipt.block_hash
                changed = (event.status, event.confirmations) != (state.status, state.confirmations)
                state.status, state.confirmations = event.status, event.confirmations
                if changed:
                    yield event
            if all(s.status is not None and s.status.final for s in tracked.values()):
                return
            if deadline is not None and time.monotonic() > deadline:
                waiting = [h.hex() for h, s in tracked.items() if not (s.status and s.status.final)]
                raise TxTimeoutError(f"not final after {timeout_s}s: {waiting}")
            await asyncio.sleep(self.poll_s)

    async def wait(self, tx_hash: bytes, *, timeout_s: float | None = None) -> TxStatusEvent:
        """The final status of one transaction."""
        last: TxStatusEvent | None = None
        async for event in self.watch([tx_hash], timeout_s=timeout_s):
            last = event
        assert last is not None
        return last
