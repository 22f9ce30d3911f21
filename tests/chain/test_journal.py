"""The record of what was signed: every transaction the submitter signs is stored (raw bytes,
hash, fees, the intent/order it serves) with its nonce before it is broadcast, marked submitted
once a node has it; a pre-sign check can stop a batch before anything is signed; replacements
supersede their predecessor's record; a restart rebroadcasts recorded bytes exactly once."""

from __future__ import annotations

import pytest

from tests.store.factories import intent, seed
from zippifi.chain import NonceManager, Submitter, TxRequest
from zippifi.chain.gas import fee_args
from zippifi.domain import UnsignedTx
from zippifi.errors import InvalidInputError, ZippiError
from zippifi.sign import Signer, recover_transaction
from zippifi.store import MemoryLockManager, Store

from .conftest import DevChain
from .helpers import account

SINK = Signer("0x" + "78" * 32).address


class Veto:
    """A PreSignCheck that refuses transfers above a value, and remembers what it saw."""

    def __init__(self, max_value: int) -> None:
        self.max_value = max_value
        self.seen: list[tuple[UnsignedTx, str]] = []

    async def before_sign(self, tx: UnsignedTx, sender: str) -> None:
        self.seen.append((tx, sender))
        if tx.value > self.max_value:
            raise InvalidInputError(f"value {tx.value} above the limit {self.max_value}")


async def test_signed_batch_is_recorded_before_broadcast_with_its_links(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    s = await seed(store)
    linked = await intent(store, s)
    async with account(chain, store, locks) as acct:
        requests = [TxRequest(to=SINK, value=7 + i, intent_id=linked.id if i == 1 else None)
                    for i in range(3)]  # fmt: skip
        sent = await acct.submitter.submit_many(requests)
        chain_id = chain.adapter.chain_id
        for i, s_tx in enumerate(sent):
            row = await store.transactions.by_hash(chain_id, "0x" + s_tx.tx_hash.hex())
            assert row is not None
            assert row.raw_bytes == s_tx.raw
            assert recover_transaction(row.raw_bytes) == acct.address
            assert (row.nonce, row.sender, row.status) == (s_tx.nonce, acct.address.lower(),
                                                           "submitted")  # fmt: skip
            assert row.gas_limit == s_tx.tx.gas
            assert row.max_fee_per_gas == s_tx.tx.max_fee_per_gas
            assert row.intent_id == (linked.id if i == 1 else None)
            nonce = await store.nonces.get(chain_id, acct.address, s_tx.nonce)
            assert nonce is not None
            assert nonce.tx_hash == row.tx_hash
        served = await store.transactions.for_intent(linked.id)
        assert [t.tx_hash for t in served] == ["0x" + sent[1].tx_hash.hex()]


async def test_pre_sign_check_stops_the_batch_before_anything_is_signed(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    async with account(chain, store, locks) as acct:
        veto = Veto(max_value=100)
        guarded = Submitter(chain.adapter, acct.signer, acct.nonces, pre_sign=veto)
        with pytest.raises(ZippiError, match="above the limit"):
            await guarded.submit_many([TxRequest(to=SINK, value=5), TxRequest(to=SINK, value=500)])
        assert [tx.value for tx, _ in veto.seen] == [5, 500]
        assert {sender for _, sender in veto.seen} == {acct.address}
        chain_id = chain.adapter.chain_id
        assert await store.transactions.in_flight(chain_id, acct.address) == []
        assert await chain.adapter.get_transaction_count(acct.address, "pending") == 0
        # the nonces went back: the next batch starts at 0, and passes the check
        sent = await guarded.submit_many([TxRequest(to=SINK, value=6)])
        assert [s.nonce for s in sent] == [0]


async def test_replacement_supersedes_the_record_it_replaces(
    hardhat_chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    chain = hardhat_chain
    async with account(chain, store, locks) as acct:
        await chain.adapter.rpc("evm_setAutomine", [False])
        try:
            (first,) = await acct.submitter.submit_many([TxRequest(to=SINK, value=5)])
            faster = await acct.submitter.speed_up(first)
            await chain.mine()
        finally:
            await chain.adapter.rpc("evm_setAutomine", [True])
        chain_id = chain.adapter.chain_id
        old = await store.transactions.by_hash(chain_id, "0x" + first.tx_hash.hex())
        new = await store.transactions.by_hash(chain_id, "0x" + faster.tx_hash.hex())
        assert old is not None
        assert new is not None
        assert (old.status, new.status, old.nonce) == ("replaced", "submitted", new.nonce)
        assert new.raw_bytes == faster.raw


async def test_recover_rebroadcasts_recorded_bytes_never_resigns(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    """Signed and recorded, then the process stopped before the broadcast: a new nonce manager
    (a restart) finds the nonces in flight and sends the same bytes, once."""
    signer = await chain.new_signer()
    nonces = NonceManager(chain.adapter, store.nonces, locks, signer.address)
    await nonces.start()
    submitter = Submitter(chain.adapter, signer, nonces)
    fees = await submitter.gas.fees("normal")
    reserved = await nonces.reserve_many(3)
    txs = [UnsignedTx(chain_id=chain.adapter.chain_id, nonce=n, to=SINK, value=10 + n, data=b"",
                      gas=21_000, **fee_args(fees)) for n in reserved]  # fmt: skip
    signed = submitter._sign(txs)
    await nonces.record_signed(signed)
    await nonces.stop()  # "crash": nothing was broadcast

    again = NonceManager(chain.adapter, store.nonces, locks, signer.address)
    report = await again.start()
    try:
        recovery = await Submitter(chain.adapter, signer, again).recover(report, lost="rebroadcast")
        assert recovery.rebroadcast == [0, 1, 2]
        assert (recovery.pending, recovery.released, recovery.filled) == ([], [], [])
        for s in signed:
            info = await chain.adapter.get_transaction(s.tx_hash)
            assert info is not None
            assert info.nonce == s.nonce
        assert await chain.adapter.get_transaction_count(signer.address, "pending") == 3
        assert await store.transactions.in_flight(chain.adapter.chain_id, signer.address) == [
            await store.transactions.by_hash(chain.adapter.chain_id, s.hash_hex) for s in signed
        ]
        # a second recovery finds them all known: nothing is sent again
        resubmitter = Submitter(chain.adapter, signer, again)
        second = await resubmitter.recover(await again.reconcile(), lost="rebroadcast")
        assert second.rebroadcast == []
        assert second.filled == []
    finally:
        await again.stop()
