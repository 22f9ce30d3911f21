"""The adapter over WebSocket (hardhat serves ws:// on its HTTP port): reads, batched sends
through the Submitter, receipts followed to N confirmations, and a connection that dies under
it (cut by a loopback relay) replaced on the next call."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from zippifi.chain import EvmAdapter, ReceiptTracker, TxRequest, TxStatus
from zippifi.errors import TxRevertedError
from zippifi.sign import Signer
from zippifi.store import MemoryLockManager, Store

from .conftest import DevChain, hardhat_config
from .contracts import EVENT_TOPIC, emitter_init, reverter_init
from .hardhat import HARDHAT_CHAIN_ID, HardhatNode
from .helpers import account, deploy
from .tcp_proxy import TcpProxy


async def test_reads_sends_and_receipts_over_websocket(
    ws_chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    chain = ws_chain
    assert chain.adapter.config.rpc_urls[0].startswith("ws://")
    assert int(await chain.adapter.rpc("eth_chainId", []), 16) == HARDHAT_CHAIN_ID
    await chain.mine(3)
    head = await chain.adapter.get_block("latest")
    assert head is not None
    # many calls at once share the one socket; each answer goes to its own caller
    numbers = await asyncio.gather(*(chain.adapter.get_block(n) for n in range(head.number + 1)))
    assert [b.number for b in numbers if b is not None] == list(range(head.number + 1))
    history = await chain.adapter.fee_history(2, "latest", [50.0])
    assert len(history.gas_used_ratio) == 2
    assert len(history.base_fee_per_gas) == 3  # the next block's base fee too
    async with account(chain, store, locks) as acct:
        assert await chain.adapter.get_balance(acct.address) == 10**21
        emitter = await deploy(acct, emitter_init())
        sent = await acct.submitter.submit_many(
            [TxRequest(to=emitter, data=bytes([i])) for i in range(8)]
        )
        assert [s.error for s in sent] == [None] * 8
        # automine: one block each, so the first has 8 confirmations when the last has 1
        tracker = ReceiptTracker(chain.adapter, confirmations=9, poll_s=0.02)
        events = tracker.watch([s.tx_hash for s in sent], timeout_s=30)
        mined = [await anext(events) for _ in sent]
        assert {e.status for e in mined} == {TxStatus.MINED}
        assert sorted(e.confirmations for e in mined) == list(range(1, 9))
        await chain.mine(8)
        last = {e.tx_hash: e.status async for e in events}
        assert last == {s.tx_hash: TxStatus.CONFIRMED for s in sent}
        first = min(e.receipt.block_number for e in mined if e.receipt is not None)
        logs = await chain.adapter.get_logs(
            from_block=first, to_block=await chain.adapter.block_number(),
            addresses=[emitter], topics=[EVENT_TOPIC],
        )  # fmt: skip
        assert sorted(r.data for r in logs) == [bytes([i]) for i in range(8)]
        assert await chain.adapter.get_transaction_count(acct.address) == 9
        # an error answer reaches its caller (and leaves the socket usable)
        reverter = await deploy(acct, reverter_init())
        with pytest.raises(TxRevertedError) as info:
            await acct.submitter.submit(TxRequest(to=reverter))
        assert info.value.reason == "nope"
        assert await chain.adapter.get_transaction_count(acct.address) == 10


async def test_a_dead_websocket_is_replaced_on_the_next_call(
    hardhat_node: HardhatNode, store: Store, locks: MemoryLockManager
) -> None:
    sink = Signer("0x" + secrets.token_hex(32)).address  # an address no other test pays
    host, port = hardhat_node.url.removeprefix("http://").split(":")
    proxy = await TcpProxy(host, int(port)).start()
    adapter = EvmAdapter(hardhat_config(proxy.url("ws")))
    try:
        await adapter.connect()
        chain = DevChain("hardhat", adapter)
        async with account(chain, store, locks) as acct:
            await acct.submitter.submit(TxRequest(to=sink, value=1))
            assert proxy.cut() > 0
            # the next read finds the socket dead, reconnects, and answers
            assert await adapter.get_balance(sink) == 1

            # a cut while a batch is being sent: every transaction still lands exactly once
            async def cut_soon() -> None:
                await asyncio.sleep(0.02)
                proxy.cut()

            sent, _ = await asyncio.gather(
                acct.submitter.submit_many([TxRequest(to=sink, value=2) for _ in range(6)]),
                cut_soon(),
            )
            assert [s.error for s in sent] == [None] * 6
            final = await ReceiptTracker(adapter, confirmations=1, poll_s=0.02).wait(
                sent[-1].tx_hash, timeout_s=30
            )
            assert final.status is TxStatus.CONFIRMED
            assert await adapter.get_balance(sink) == 1 + 6 * 2
            assert await adapter.get_transaction_count(acct.address) == 7
        assert proxy.accepted >= 2
    finally:
        await adapter.close()
        await proxy.stop()
