"""The log follower on a WebSocket endpoint: new logs wake it through a newHeads subscription
(its poll interval is set to a minute, so anything sooner was pushed), a reorg made with
evm_snapshot / evm_revert comes back as removed logs and a rewound cursor, and a connection cut
under it (twice, while logs keep coming) loses and repeats nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from zippifi.chain import EvmAdapter, LogBatch, LogFollower, LogRecord, TxRequest
from zippifi.store import MemoryLockManager, Store

from .conftest import DevChain, hardhat_config
from .contracts import EVENT_TOPIC, emitter_init
from .hardhat import HardhatNode
from .helpers import Account, account, deploy
from .tcp_proxy import TcpProxy

SLOW_POLL_S = 60.0  # far beyond every wait below: only a pushed head can wake the follower


@dataclass
class Consumer:
    """Applies the follower's stream to a state, as a real consumer would."""

    follower: LogFollower
    state: dict[tuple[bytes, int], LogRecord] = field(default_factory=dict)
    batches: list[LogBatch] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async for batch in self.follower.stream():
            for gone in batch.removed:
                assert gone.removed
                del self.state[gone.key]
            if batch.rewound_to is not None:
                for key in [k for k, r in self.state.items() if r.block_number > batch.rewound_to]:
                    del self.state[key]
            for record in batch.logs:
                assert not record.removed
                assert record.key not in self.state, "delivered twice"
                self.state[record.key] = record
            self.batches.append(batch)
            self.changed.set()

    def payloads(self) -> list[bytes]:
        ordered = sorted(self.state.values(), key=lambda r: (r.block_number, r.log_index))
        return [r.data for r in ordered]

    async def until(self, payloads: list[bytes], timeout_s: float = 10.0) -> float:
        """Wait until the state holds exactly ``payloads``; the seconds it took."""
        began = time.monotonic()
        async with asyncio.timeout(timeout_s):
            while self.payloads() != payloads:
                self.changed.clear()
                await self.changed.wait()
        return time.monotonic() - began


@asynccontextmanager
async def consuming(follower: LogFollower) -> AsyncIterator[Consumer]:
    consumer = Consumer(follower)
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(10):
            while not follower.subscribed:
                await asyncio.sleep(0.01)
                if task.done():
                    task.result()
        yield consumer
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await follower.close()


async def _emit(acct: Account, emitter: str, *payloads: bytes) -> None:
    sent = await acct.submitter.submit_many([TxRequest(to=emitter, data=p) for p in payloads])
    assert [s.error for s in sent] == [None] * len(payloads)


async def test_logs_are_pushed_and_a_reorg_comes_back_removed(
    ws_chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    chain = ws_chain
    async with account(chain, store, locks) as acct:
        emitter = await deploy(acct, emitter_init())
        start = await chain.adapter.block_number()
        await _emit(acct, emitter, b"a", b"b")  # backfilled before the subscription takes over
        follower = LogFollower(chain.adapter, store.cursors, "ws-reorg", addresses=[emitter],
                               topics=[EVENT_TOPIC], start_block=start, poll_s=SLOW_POLL_S,
                               resync_s=SLOW_POLL_S)  # fmt: skip
        async with consuming(follower) as consumer:
            await consumer.until([b"a", b"b"])
            await _emit(acct, emitter, b"c")
            took = await consumer.until([b"a", b"b", b"c"])
            assert took < 5, took  # pushed: no poll interval slept
            snapshot = await chain.adapter.rpc("evm_snapshot", [])
            fork_block = await chain.adapter.block_number()
            await _emit(acct, emitter, b"x", b"y", b"z")
            await consumer.until([b"a", b"b", b"c", b"x", b"y", b"z"])
            delivered = len(consumer.batches)
            assert await chain.adapter.rpc("evm_revert", [snapshot]) is True
            # the orphaned nonces are free again: re-read them before sending on this branch
            await acct.submitter.recover(await acct.nonces.reconcile())
            await chain.mine()  # the new branch's first block: its head wakes the follower
            await _emit(acct, emitter, b"p")
            await consumer.until([b"a", b"b", b"c", b"p"])
            rewind = next(b for b in consumer.batches[delivered:] if b.rewound_to is not None)
            assert rewind.rewound_to is not None
            assert rewind.rewound_to <= fork_block
            assert sorted(r.data for r in rewind.removed) == [b"x", b"y", b"z"]
            assert follower.subscriptions == 1
            # the stream acknowledges a batch when the next is asked for: the last delivered
            # one reaches the winning branch's head; the cursor is at most one batch behind
            head = await chain.adapter.get_block("latest")
            assert head is not None
            last = consumer.batches[-1]
            assert (last.to_block, last.to_hash) == (head.number, head.hash)
            cursor = await store.cursors.get(chain.adapter.chain_id, "ws-reorg")
            assert cursor is not None
            assert cursor.block_number in (consumer.batches[-2].to_block, last.to_block)


async def test_a_cut_connection_resubscribes_and_catches_up_exactly_once(
    hardhat_node: HardhatNode, ws_chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    host, port = hardhat_node.url.removeprefix("http://").split(":")
    proxy = await TcpProxy(host, int(port)).start()
    # the follower's calls and its subscription go through the relay; the sends do not
    adapter = EvmAdapter(hardhat_config(proxy.url("ws")))
    try:
        await adapter.connect()
        async with account(ws_chain, store, locks) as acct:
            emitter = await deploy(acct, emitter_init())
            start = await ws_chain.adapter.block_number()
            follower = LogFollower(adapter, store.cursors, "ws-cut", addresses=[emitter],
                                   start_block=start, poll_s=0.05,
                                   resync_s=SLOW_POLL_S)  # fmt: skip
            expected: list[bytes] = []
            async with consuming(follower) as consumer:
                for round_ in range(3):
                    payloads = [f"{round_}-{i}".encode() for i in range(4)]
                    await _emit(acct, emitter, *payloads[:2])
                    assert proxy.cut() > 0  # mid-stream: both sockets die
                    await _emit(acct, emitter, *payloads[2:])  # sent while it is down
                    expected += payloads
                    await consumer.until(expected)
                async with asyncio.timeout(10):
                    while not follower.subscribed:  # back on the push after the last cut
                        await asyncio.sleep(0.01)
                await _emit(acct, emitter, b"after")
                took = await consumer.until([*expected, b"after"])
                assert follower.subscriptions >= 2
                assert took < 5
        assert proxy.accepted >= 4
    finally:
        await adapter.close()
        await proxy.stop()


async def test_http_endpoints_poll_and_never_subscribe(
    hardhat_chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    chain = hardhat_chain
    assert chain.adapter.head_watcher() is None
    async with account(chain, store, locks) as acct:
        emitter = await deploy(acct, emitter_init())
        start = await chain.adapter.block_number()
        follower = LogFollower(chain.adapter, store.cursors, "http", addresses=[emitter],
                               start_block=start, poll_s=0.05)  # fmt: skip
        consumer = Consumer(follower)
        task = asyncio.create_task(consumer.run())
        try:
            await _emit(acct, emitter, b"h")
            await consumer.until([b"h"])
            assert not follower.subscribed
            assert follower.subscriptions == 0
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
