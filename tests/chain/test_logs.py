"""The log follower against receipts (another RPC than eth_getLogs): backfill, resumption from
the persisted cursor, and reorgs made with evm_snapshot / evm_revert on hardhat."""

from __future__ import annotations

from zippifi.chain import LogBatch, LogFollower, LogRecord, TxRequest
from zippifi.store import MemoryLockManager, Store

from .conftest import DevChain
from .contracts import EVENT_TOPIC, emitter_init
from .helpers import Account, account, deploy


async def _emit(
    chain: DevChain, acct: Account, emitter: str, payloads: list[bytes]
) -> list[LogRecord]:
    """Send one call per payload; the logs their receipts report."""
    sent = await acct.submitter.submit_many([TxRequest(to=emitter, data=p) for p in payloads])
    logs: list[LogRecord] = []
    for s in sent:
        receipt = await chain.adapter.get_receipt(s.tx_hash)
        assert receipt is not None
        logs.extend(receipt.logs)
    return logs


async def _drain(
    follower: LogFollower, state: dict[tuple[bytes, int], LogRecord]
) -> list[LogBatch]:
    """Apply batches to ``state`` (a consumer's view) until caught up."""
    batches = []
    while (batch := await follower.poll()) is not None:
        for gone in batch.removed:
            assert gone.removed
            del state[gone.key]
        if batch.rewound_to is not None:
            for key in [k for k, r in state.items() if r.block_number > batch.rewound_to]:
                del state[key]
        for record in batch.logs:
            assert not record.removed
            assert record.key not in state  # never delivered twice
            state[record.key] = record
        await follower.ack(batch)
        batches.append(batch)
    return batches


def _payloads(state: dict[tuple[bytes, int], LogRecord]) -> list[bytes]:
    return [r.data for r in sorted(state.values(), key=lambda r: (r.block_number, r.log_index))]


async def test_backfill_and_resume_from_the_cursor(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    async with account(chain, store, locks) as acct:
        emitter = await deploy(acct, emitter_init())
        start = await chain.adapter.block_number()
        expected = await _emit(chain, acct, emitter, [bytes([i]) * 3 for i in range(6)])
        # another contract's logs and another topic are filtered out
        other = await deploy(acct, emitter_init())
        await _emit(chain, acct, other, [b"\xff"])
        follower = LogFollower(chain.adapter, store.cursors, "pings", addresses=[emitter],
                               topics=[EVENT_TOPIC], start_block=start, max_range=2)  # fmt: skip
        state: dict[tuple[bytes, int], LogRecord] = {}
        batches = await _drain(follower, state)
        assert len(batches) > 1  # max_range split the backfill
        assert sorted(state.values(), key=lambda r: (r.block_number, r.log_index)) == expected
        assert all(r.topics == (EVENT_TOPIC,) and r.address == emitter for r in expected)
        # a new follower of the same name (a restart) resumes after the cursor
        more = await _emit(chain, acct, emitter, [b"late"])
        resumed = LogFollower(chain.adapter, store.cursors, "pings", addresses=[emitter],
                              topics=[EVENT_TOPIC], start_block=start)  # fmt: skip
        fresh: dict[tuple[bytes, int], LogRecord] = {}
        await _drain(resumed, fresh)
        assert list(fresh.values()) == more


async def test_reorg_rewinds_and_marks_logs_removed(
    hardhat_chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    chain = hardhat_chain
    async with account(chain, store, locks) as acct:
        emitter = await deploy(acct, emitter_init())
        start = await chain.adapter.block_number()
        follower = LogFollower(chain.adapter, store.cursors, "reorg", addresses=[emitter],
                               start_block=start, max_range=3)  # fmt: skip
        state: dict[tuple[bytes, int], LogRecord] = {}
        kept = await _emit(chain, acct, emitter, [b"a", b"b"])
        await _drain(follower, state)
        snapshot = await chain.adapter.rpc("evm_snapshot", [])
        fork_block = await chain.adapter.block_number()
        orphaned = await _emit(chain, acct, emitter, [b"x", b"y", b"z"])
        await _drain(follower, state)
        assert _payloads(state) == [b"a", b"b", b"x", b"y", b"z"]
        assert await chain.adapter.rpc("evm_revert", [snapshot]) is True
        await chain.mine()  # the winning branch differs from the first block on
        # the orphaned transactions are gone with their blocks: the nonce manager sees the
        # chain's nonce fall back, and the submitter fills the nonces they held
        back_to = await chain.adapter.get_transaction_count(acct.address)
        recovery = await acct.submitter.recover(await acct.nonces.reconcile())
        assert [f.nonce for f in recovery.filled] == [back_to, back_to + 1, back_to + 2]
        winners = await _emit(chain, acct, emitter, [b"p", b"q", b"r", b"s"])
        batches = await _drain(follower, state)
        assert batches[0].rewound_to is not None
        assert batches[0].rewound_to <= fork_block
        assert sorted(r.data for r in batches[0].removed) == [b"x", b"y", b"z"]
        assert {r.key for r in batches[0].removed} == {r.key for r in orphaned}
        assert _payloads(state) == [b"a", b"b", b"p", b"q", b"r", b"s"]
        assert sorted(state.values(), key=lambda r: (r.block_number, r.log_index)) == [
            *kept, *winners,
        ]  # fmt: skip
        cursor = await store.cursors.get(chain.adapter.chain_id, "reorg")
        head = await chain.adapter.get_block("latest")
        assert cursor is not None
        assert head is not None
        assert (cursor.block_number, cursor.block_hash) == (head.number, "0x" + head.hash.hex())
