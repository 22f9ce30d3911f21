"""200 transactions through a proxy that drops, delays, rate-limits, errors and resets, and
forwards sends to the node before failing their answers: every one lands exactly once, nonces
contiguous, nothing lost. Reads fail over from a dead endpoint to the proxy; sends go through
a second proxy (the "private relay")."""

from __future__ import annotations

import os
import random

from zippifi.chain import Backoff, EvmAdapter, NonceManager, Submitter, TxRequest
from zippifi.sign import Signer
from zippifi.store import MemoryLockManager, Store

from .conftest import DevChain, hardhat_config
from .fault_proxy import FaultProxy, Faults
from .hardhat import free_port

TXS = int(os.environ.get("ZIPPIFI_FAULT_TXS", "200"))
SEED = int(os.environ.get("ZIPPIFI_FAULT_SEED", "20240601"))
FAULTS = Faults(drop=0.01, delay=0.10, too_many=0.04, server_error=0.04, reset=0.04,
                after_forward=0.08, max_delay_s=0.03, drop_s=3.5)  # fmt: skip


async def test_every_transaction_lands_exactly_once_through_faults(
    hardhat_chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    direct = hardhat_chain.adapter
    signer = await hardhat_chain.new_signer(10**21)
    sink = Signer("0x" + os.urandom(32).hex()).address
    reads = await FaultProxy(direct.config.rpc_urls[0], FAULTS, SEED).start()
    sends = await FaultProxy(direct.config.rpc_urls[0], FAULTS, SEED + 1).start()
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: every call there fails over
    config = hardhat_config(reads.url, rpc_urls=[dead, reads.url], send_urls=[dead, sends.url],
                            request_timeout_s=3.0)  # fmt: skip
    backoff = Backoff(base_s=0.01, cap_s=0.3, attempts=12)
    adapter = EvmAdapter(config, backoff=backoff, rng=random.Random(SEED))
    try:
        await adapter.connect()
        nonces = NonceManager(adapter, store.nonces, locks, signer.address)
        await nonces.start()
        submitter = Submitter(adapter, signer, nonces, backoff=backoff, rng=random.Random(SEED))
        requests = [TxRequest(to=sink, value=10**9 + i, gas=21_000) for i in range(TXS)]
        sent = await submitter.submit_many(requests)
        await nonces.reconcile()
        report = await nonces.reconcile()
        await nonces.stop()
    finally:
        await adapter.close()
        await reads.stop()
        await sends.stop()

    assert [s.error for s in sent] == [None] * TXS
    assert [s.nonce for s in sent] == list(range(TXS))
    # checked on the node directly, not through the proxies
    assert await direct.get_transaction_count(signer.address) == TXS
    assert await direct.get_balance(sink) == sum(10**9 + i for i in range(TXS))
    for s in sent:
        receipt = await direct.get_receipt(s.tx_hash)
        assert receipt is not None
        assert receipt.status == 1
    assert (report.confirmed, report.in_flight, report.gaps) == ([], [], [])
    for nonce, s in enumerate(sent):
        record = await store.nonces.get(direct.chain_id, signer.address, nonce)
        assert record is not None
        assert (record.status, record.tx_hash) == ("confirmed", "0x" + s.tx_hash.hex())
    # every configured fault did happen on both proxies (drops included), sends among them,
    # including answers lost after forwarding
    for proxy in (reads, sends):
        assert set(proxy.configured()) == {"drop", "too_many", "server_error", "reset",
                                           "after_forward", "delay"}  # fmt: skip
        assert proxy.missing() == [], proxy.counts
    assert sends.counts["after_forward:send"] > 0, sends.counts
    assert sends.methods["eth_sendRawTransaction"] > TXS  # retries happened
