"""A chain-layer process for the restart test: sends batches of calls to the emitter from one
account and follows the emitter's logs into the store (each batch of logs written to the audit
log in the same transaction as the cursor advance). Phase "crash" stops with a batch half
sent and waits to be SIGKILLed; phase "resume" recovers, sends more, catches the follower up,
reconciles and exits. Usage: python -m tests.chain.restart_child PHASE URL DB KEY EMITTER
START_BLOCK BATCHES
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from zippifi.chain import (
    EvmAdapter,
    LogBatch,
    LogFollower,
    NonceManager,
    SentTx,
    Submitter,
    TxRequest,
)
from zippifi.settings import ChainConfig
from zippifi.sign import Signer
from zippifi.store import MemoryLockManager, Store, open_store

BATCH = 5
STREAM = "restart-test-logs"
FOLLOWER = "restart-test"


class CrashingSubmitter(Submitter):
    """Sends only the first transaction of a batch; the rest hang (waiting for SIGKILL)."""

    crash = False

    async def deliver(self, sent: SentTx, *, predecessor: asyncio.Event | None = None) -> None:
        if self.crash and predecessor is not None:
            await predecessor.wait()  # the first one is on chain; this one never leaves
            print("IN-FLIGHT", sent.nonce, flush=True)
            await asyncio.Event().wait()
        await super().deliver(sent, predecessor=predecessor)


async def follow_once(follower: LogFollower, store: Store) -> int:
    count = 0
    while (batch := await follower.poll()) is not None:
        await consume(follower, store, batch)
        count += len(batch.logs)
    return count


async def consume(follower: LogFollower, store: Store, batch: LogBatch) -> None:
    assert batch.rewound_to is None, "no reorg in this test"
    async with store.transaction() as uow:
        for record in batch.logs:
            payload: dict[str, Any] = {
                "block_hash": record.block_hash.hex(),
                "log_index": record.log_index,
                "data": record.data.hex(),
            }
            await uow.audit.append(STREAM, actor="follower", action="log", payload=payload)
        await follower.ack(batch, uow.cursors)


async def main(phase: str, url: str, db: str, key: str, emitter: str, start: int,
               batches: int) -> None:  # fmt: skip
    config = ChainConfig(chain_id=31337, name="hardhat", rpc_urls=[url])
    adapter = EvmAdapter(config)
    await adapter.connect()
    store = await open_store(db)
    signer = Signer(key)
    nonces = NonceManager(
        adapter, store.nonces, MemoryLockManager(default_ttl_s=30), signer.address
    )
    report = await nonces.start()
    submitter = CrashingSubmitter(adapter, signer, nonces)
    follower = LogFollower(adapter, store.cursors, FOLLOWER, addresses=[emitter], start_block=start)
    if phase == "resume":
        recovery = await submitter.recover(report)
        print("RECOVERED", recovery.pending, recovery.released,
              [f.nonce for f in recovery.filled], flush=True)  # fmt: skip
    for b in range(batches):
        payloads = [f"{phase}-{b}-{i}".encode() for i in range(BATCH)]
        sent = await submitter.submit_many([TxRequest(to=emitter, data=p) for p in payloads])
        assert all(s.error is None for s in sent), [s.error for s in sent]
        print("SENT", [s.nonce for s in sent], flush=True)
        print("FOLLOWED", await follow_once(follower, store), flush=True)
    if phase == "crash":
        submitter.crash = True
        await submitter.submit_many([TxRequest(to=emitter, data=b"doomed-%d" % i)
                                     for i in range(BATCH)])  # fmt: skip
        raise AssertionError("the crashing batch should hang")
    await follow_once(follower, store)
    await nonces.reconcile()
    await nonces.stop()
    await store.close()
    await adapter.close()
    print("DONE", flush=True)


if __name__ == "__main__":
    phase, url, db, key, emitter, start, batches = sys.argv[1:8]
    asyncio.run(main(phase, url, db, key, emitter, int(start), int(batches)))
