"""Submission on the in-process EVM and on a hardhat node: simulation, batch signing, nonce
order, persistence, and the node's own verdicts (reverts, missing funds, replacements)."""

from __future__ import annotations

import pytest

from zippifi.chain import Eip1559Fees, NonceManager, Submitter, TxRequest, is_valid_replacement
from zippifi.errors import (
    InsufficientFundsError,
    InvalidInputError,
    NonceError,
    RpcError,
    TxRevertedError,
)
from zippifi.sign import Signer, recover_transaction
from zippifi.store import LockNotAcquiredError, MemoryLockManager, Store

from .conftest import DevChain
from .contracts import reverter_init
from .helpers import account, deploy

SINK = Signer("0x" + "77" * 32).address


async def test_batch_lands_in_nonce_order(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    async with account(chain, store, locks) as acct:
        before = await chain.adapter.get_balance(SINK)
        requests = [TxRequest(to=SINK, value=1000 + i) for i in range(25)]
        sent = await acct.submitter.submit_many(requests)
        assert [s.error for s in sent] == [None] * 25
        assert [s.nonce for s in sent] == list(range(25))
        for s in sent:
            assert recover_transaction(s.raw) == acct.address
            receipt = await chain.adapter.get_receipt(s.tx_hash)
            assert receipt is not None
            assert receipt.status == 1
            info = await chain.adapter.get_transaction(s.tx_hash)
            assert info is not None
            assert (info.nonce, info.sender) == (s.nonce, acct.address)
        assert await chain.adapter.get_balance(SINK) - before == sum(1000 + i for i in range(25))
        assert await chain.adapter.get_transaction_count(acct.address) == 25
        # the store knew every hash before it was sent; reconciling confirms them all
        report = await acct.nonces.reconcile()
        assert report.confirmed == list(range(25))
        assert report.in_flight == []
        assert report.gaps == []
        for s in sent:
            record = await store.nonces.get(chain.adapter.chain_id, acct.address, s.nonce)
            assert record is not None
            assert (record.status, record.tx_hash) == ("confirmed", "0x" + s.tx_hash.hex())


async def test_revert_is_found_before_sending(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    async with account(chain, store, locks) as acct:
        reverter = await deploy(acct, reverter_init())
        count = await chain.adapter.get_transaction_count(acct.address)
        balance = await chain.adapter.get_balance(acct.address)
        batch = [TxRequest(to=SINK, value=1), TxRequest(to=reverter, data=b"\x01")]
        with pytest.raises(TxRevertedError) as caught:
            await acct.submitter.submit_many(batch)
        assert caught.value.reason == "nope"
        # nothing was sent, no gas spent, no nonce taken
        assert await chain.adapter.get_transaction_count(acct.address) == count
        assert await chain.adapter.get_balance(acct.address) == balance
        assert [r.nonce for r in await acct.nonces.in_flight() if r.nonce >= count] == []
        assert (await acct.submitter.submit(TxRequest(to=SINK, value=1))).nonce == count


async def test_insufficient_funds_is_permanent(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    async with account(chain, store, locks, wei=10**15) as acct:
        with pytest.raises(InsufficientFundsError):
            await acct.submitter.submit(TxRequest(to=SINK, value=10**18, gas=21_000,
                                                  simulate=False))  # fmt: skip
        # its nonce was filled with a no-op, so the next transaction is not stuck behind it
        sent = await acct.submitter.submit(TxRequest(to=SINK, value=1))
        assert sent.nonce == 1
        assert (await chain.adapter.get_receipt(sent.tx_hash)) is not None


async def test_bad_requests_are_refused(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    with pytest.raises(InvalidInputError, match="value"):
        TxRequest(to=SINK, value=-1)
    with pytest.raises(InvalidInputError, match="to"):
        TxRequest(to="0x1234")
    with pytest.raises(InvalidInputError, match="gas"):
        TxRequest(to=SINK, gas=100)
    async with account(chain, store, locks) as acct:
        other = Signer("0x" + "42" * 32)
        with pytest.raises(InvalidInputError, match="does not own"):
            Submitter(chain.adapter, other, acct.nonces)


async def test_second_owner_is_locked_out(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    async with account(chain, store, locks) as acct:
        rival = NonceManager(chain.adapter, store.nonces, locks, acct.address)
        with pytest.raises(LockNotAcquiredError):
            await rival.start()
        with pytest.raises(NonceError, match="not started"):
            await rival.reserve()


async def test_speed_up_and_cancel_replace_pending_transactions(
    hardhat_chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    chain = hardhat_chain
    async with account(chain, store, locks) as acct:
        await chain.adapter.rpc("evm_setAutomine", [False])
        try:
            first, second = await acct.submitter.submit_many(
                [TxRequest(to=SINK, value=5), TxRequest(to=SINK, value=6)]
            )
            faster = await acct.submitter.speed_up(first)
            assert faster.nonce == first.nonce
            assert isinstance(faster.fees, Eip1559Fees)
            assert is_valid_replacement(first.fees, faster.fees)
            cancelled = await acct.submitter.cancel(second)
            # hardhat, like geth, refuses a replacement that bumps by less than 10%
            low = dict(first.fields)
            low["maxFeePerGas"] = first.fees.max_price * 109 // 100
            low["maxPriorityFeePerGas"] = faster.fees.max_priority_fee_per_gas
            refused = acct.signer.sign_transaction({**low, "value": 7})
            with pytest.raises(RpcError, match=r"(?i)underpriced"):
                await chain.adapter.send_raw_transaction(refused.raw_transaction)
            await chain.mine()
        finally:
            await chain.adapter.rpc("evm_setAutomine", [True])
        assert await chain.adapter.get_receipt(first.tx_hash) is None
        assert await chain.adapter.get_receipt(second.tx_hash) is None
        for replacement in (faster, cancelled):
            receipt = await chain.adapter.get_receipt(replacement.tx_hash)
            assert receipt is not None
            assert receipt.status == 1
        tx = await chain.adapter.get_transaction(cancelled.tx_hash)
        assert tx is not None
        assert tx.nonce == second.nonce
        record = await store.nonces.get(chain.adapter.chain_id, acct.address, second.nonce)
        assert record is not None
        assert record.tx_hash == "0x" + cancelled.tx_hash.hex()
