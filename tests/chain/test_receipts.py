"""Receipts to N confirmations, and reorgs made with evm_snapshot / evm_revert on hardhat."""

from __future__ import annotations

import asyncio

from zippifi.chain import ReceiptTracker, TxRequest, TxStatus, TxStatusEvent
from zippifi.sign import Signer
from zippifi.store import MemoryLockManager, Store

from .conftest import DevChain
from .contracts import reverter_init
from .helpers import account, deploy

SINK = Signer("0x" + "78" * 32).address


async def _next(events: object) -> TxStatusEvent:
    return await asyncio.wait_for(anext(events), 30)  # type: ignore[call-overload]


async def test_confirmations_are_counted_to_n(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    async with account(chain, store, locks) as acct:
        sent = await acct.submitter.submit(TxRequest(to=SINK, value=3))
        tracker = ReceiptTracker(chain.adapter, confirmations=3, poll_s=0.02)
        events = tracker.watch([sent.tx_hash], timeout_s=60)
        first = await _next(events)
        assert (first.status, first.confirmations) == (TxStatus.MINED, 1)
        assert first.receipt is not None
        await chain.mine()
        second = await _next(events)
        assert (second.status, second.confirmations) == (TxStatus.MINED, 2)
        await chain.mine()
        third = await _next(events)
        assert (third.status, third.confirmations) == (TxStatus.CONFIRMED, 3)
        assert third.receipt is not None
        assert third.receipt.block_hash == first.receipt.block_hash
        assert [e async for e in events] == []  # the stream ends once all are final


async def test_a_reverted_transaction_ends_failed(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    async with account(chain, store, locks) as acct:
        reverter = await deploy(acct, reverter_init())
        sent = await acct.submitter.submit(TxRequest(to=reverter, gas=100_000, simulate=False))
        final = await ReceiptTracker(chain.adapter, confirmations=1, poll_s=0.02).wait(
            sent.tx_hash, timeout_s=30
        )
        assert final.status is TxStatus.FAILED
        assert final.receipt is not None
        assert final.receipt.status == 0


async def test_reorg_takes_a_receipt_back_and_it_is_re_mined(
    hardhat_chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    chain = hardhat_chain
    async with account(chain, store, locks) as acct:
        snapshot = await chain.adapter.rpc("evm_snapshot", [])
        sent = await acct.submitter.submit(TxRequest(to=SINK, value=4))
        tracker = ReceiptTracker(chain.adapter, confirmations=3, poll_s=0.02)
        events = tracker.watch([sent.tx_hash], timeout_s=60)
        mined = await _next(events)
        assert mined.status is TxStatus.MINED
        assert mined.receipt is not None
        # the block that held it is taken back: the receipt goes with it
        assert await chain.adapter.rpc("evm_revert", [snapshot]) is True
        assert (await _next(events)).status is TxStatus.REORGED
        assert (await _next(events)).status is TxStatus.PENDING
        # the other branch grows a block first, then the same signed bytes are re-broadcast
        await chain.mine()
        await acct.submitter.rebroadcast(sent)
        again = await _next(events)
        assert again.status is TxStatus.MINED
        assert again.receipt is not None
        assert again.receipt.block_hash != mined.receipt.block_hash
        assert again.receipt.block_number == mined.receipt.block_number + 1
        await chain.mine(2)
        final = await _next(events)
        assert final.status is TxStatus.CONFIRMED
        assert final.receipt == again.receipt
