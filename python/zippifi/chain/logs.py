"""The log follower: logs by address and topic from a start block onwards, resumable after a
restart from a cursor persisted in the store, and reorg-aware.

Each :meth:`LogFollower.poll` returns the next batch of logs (up to the head minus the
configured confirmations) and the caller acknowledges it with :meth:`LogFollower.ack`, which
advances the cursor; passing the caller's unit of work (``store.transaction()``) makes the
consumer's writes and the cursor commit together: exactly-once across crashes. Before each
batch the cursor's block is compared with the chain: if it is no longer canonical the fork
point is found among the recently processed blocks, the cursor rewound there, and the batch
says so (``rewound_to``) and carries the logs taken back, marked ``removed``. The follower
knows nothing of what the logs mean: decoding is the market layer's.

Waiting for news (:meth:`LogFollower.wait_for_news`, used by :meth:`LogFollower.stream`): on a
WebSocket endpoint a newHeads subscription wakes the follower as soon as a block arrives;
elsewhere, or while the subscription is down, it sleeps ``poll_s``. The push only says *when*
to read: every batch is still read by :meth:`poll` from the cursor, so backfill, live
following, the handoff between them and the catch-up after a dropped subscription are one code
path, with the same cursor, reorg and exactly-once rules. The handoff holds because a freshly
opened subscription makes the next wait return at once, and each poll remembers the head count
when it began: a head pushed during or after that poll ends the next wait.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace

from zippifi.chain.adapter import ChainAdapter
from zippifi.chain.backoff import Backoff
from zippifi.chain.heads import HeadSource, HeadWatcher
from zippifi.chain.types import LogRecord
from zippifi.crashpoints import crash_point
from zippifi.errors import InvalidInputError, RpcError, TransientRpcError
from zippifi.log import get_logger
from zippifi.sign import to_checksum_address
from zippifi.store import CursorRepository

log = get_logger(__name__)
REMEMBER_BLOCKS = 256  # emitted logs kept this deep, to hand them back marked removed


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


@dataclass(frozen=True, slots=True)
class LogBatch:
    """Logs of blocks ``from_block..to_block`` (inclusive), in chain order. ``rewound_to``:
    a reorg was found first, and everything delivered above that block is void; ``removed``
    lists those logs when this process still remembered them (else only ``rewound_to``)."""

    from_block: int
    to_block: int
    to_hash: bytes
    parent_hash: bytes
    logs: tuple[LogRecord, ...]
    removed: tuple[LogRecord, ...] = ()
    rewound_to: int | None = None


class LogFollower:
    def __init__(
        self,
        adapter: ChainAdapter,
        cursors: CursorRepository,
        name: str,
        *,
        addresses: Sequence[str] = (),
        topics: Sequence[Sequence[bytes] | bytes | None] = (),
        start_block: int = 0,
        confirmations: int = 0,
        max_range: int = 2000,
        poll_s: float | None = None,
        subscribe: bool = True,
        resync_s: float = 30.0,
        resubscribe: Backoff | None = None,
    ) -> None:
        """``subscribe``: wait for pushed heads on a WebSocket endpoint (see the module
        docstring); ``resync_s``: even so, poll after this long without a head (a subscription
        can stall without closing); ``resubscribe``: the backoff between attempts to open it
        again after it failed (polling every ``poll_s`` meanwhile)."""
        if not name:
            raise InvalidInputError("log follower: name must not be empty")
        if start_block < 0 or confirmations < 0 or max_range < 1:
            raise InvalidInputError(
                "log follower: start_block and confirmations must be >= 0, max_range >= 1"
            )
        if not resync_s > 0:
            raise InvalidInputError(f"log follower: resync_s must be > 0, got {resync_s}")
        self.adapter = adapter
        self.cursors = cursors
        self.name = name
        self.addresses = [to_checksum_address(a) for a in addresses]
        self.topics = list(topics)
        self.start_block = start_block
        self.confirmations = confirmations
        self.max_range = max_range
        self.poll_s = adapter.config.poll_interval_s if poll_s is None else poll_s
        self._emitted: list[LogRecord] = []
        self.resync_s = resync_s
        self._heads: HeadSource | None = (
            adapter if subscribe and isinstance(adapter, HeadSource) else None
        )
        self._resubscribe = resubscribe or Backoff(base_s=0.1, cap_s=10.0)
        self._rng = random.Random()  # noqa: S311 (jitter, not secrets)
        self._watcher: HeadWatcher | None = None
        self._seen: tuple[HeadWatcher | None, int] = (None, 0)  # heads when the last poll began
        self._failures = 0
        self._retry_at = 0.0
        self.subscriptions = 0  # subscriptions opened so far (a test watches re-subscribing)

    @property
    def subscribed(self) -> bool:
        """Whether new heads are being pushed to this follower now."""
        return self._watcher is not None and self._watcher.alive

    @property
    def chain_id(self) -> int:
        return self.adapter.chain_id

    async def _fork_point(self) -> int:
        """The newest processed block that is still canonical (start_block - 1 if none)."""
        for ref in await self.cursors.recent(self.chain_id, self.name):
            block = await self.adapter.get_block(ref.block_number)
            if block is not None and _hex(block.hash) == ref.block_hash:
                return ref.block_number
        return self.start_block - 1

    async def _check_reorg(self) -> tuple[int, int | None, tuple[LogRecord, ...]]:
        """(next block to fetch, rewound_to, removed logs)."""
        cursor = await self.cursors.get(self.chain_id, self.name)
        if cursor is None:
            return self.start_block, None, ()
        block = await self.adapter.get_block(cursor.block_number)
        if block is not None and _hex(block.hash) == cursor.block_hash:
            return cursor.block_number + 1, None, ()
        fork = await self._fork_point()
        log.warning("reorg", follower=self.name, cursor=cursor.block_number, fork=fork)
        rewound = await self.cursors.rewind(self.chain_id, self.name, fork)
        fork = rewound.block_number if rewound is not None else self.start_block - 1
        removed = tuple(replace(r, removed=True) for r in self._emitted if r.block_number > fork)
        self._emitted = [r for r in self._emitted if r.block_number <= fork]
        return fork + 1, fork, removed

    async def poll(self) -> LogBatch | None:
        """The next batch, or None when caught up (and no reorg was found)."""
        watcher = self._watcher
        self._seen = (watcher, 0 if watcher is None else watcher.count)
        start, rewound_to, removed = await self._check_reorg()
        head = await self.adapter.block_number() - self.confirmations
        if start > head:
            if rewound_to is None:
                return None
            end = await self.adapter.get_block(rewound_to) if rewound_to >= 0 else None
            # nothing new yet on the winning branch: report the rewind alone
            end_hash, end_parent = (b"", b"") if end is None else (end.hash, end.parent_hash)
            return LogBatch(start, rewound_to, end_hash, end_parent, (), removed, rewound_to)
        end_block = min(head, start + self.max_range - 1)
        header = await self.adapter.get_block(end_block)
        logs = await self.adapter.get_logs(
            from_block=start, to_block=end_block, addresses=self.addresses, topics=self.topics
        )
        again = await self.adapter.get_block(end_block)
        if (
            header is None
            or again is None
            or again.hash != header.hash
            or any(r.block_number == end_block and r.block_hash != header.hash for r in logs)
        ):
            # the chain moved under us between the calls: the next poll sees the new branch
            return (
                LogBatch(start, start - 1, b"", b"", (), removed, rewound_to)
                if (rewound_to is not None)
                else None
            )
        logs.sort(key=lambda r: (r.block_number, r.log_index))
        return LogBatch(start, end_block, header.hash, header.parent_hash, tuple(logs),
                        removed, rewound_to)  # fmt: skip

    async def ack(self, batch: LogBatch, cursors: CursorRepository | None = None) -> None:
        """The batch is processed: advance the cursor (through ``cursors`` of the caller's
        unit of work to commit with the caller's writes)."""
        crash_point("logs.ack")  # the consumer's writes made, the cursor not yet advanced
        if batch.to_block >= batch.from_block:
            await (cursors or self.cursors).advance(
                self.chain_id, self.name, batch.to_block, _hex(batch.to_hash),
                parent_hash=_hex(batch.parent_hash),
            )  # fmt: skip
        self._emitted.extend(batch.logs)
        floor = batch.to_block - REMEMBER_BLOCKS
        if self._emitted and self._emitted[0].block_number <= floor:
            self._emitted = [r for r in self._emitted if r.block_number > floor]

    async def _open_watcher(self) -> HeadWatcher | None:
        """The live subscription, opening it when it is due; None while polling instead."""
        if self._heads is None:
            return None
        if self._watcher is not None:
            if self._watcher.alive:
                return self._watcher
            log.warning("head subscription lost", follower=self.name,
                        error=str(self._watcher.error))  # fmt: skip
            await self._close_watcher()
            self._schedule_retry()
        if time.monotonic() < self._retry_at:
            return None
        watcher = self._heads.head_watcher()
        if watcher is None:  # no WebSocket endpoint: polling for good
            self._heads = None
            return None
        try:
            await watcher.start()
        except TransientRpcError as exc:
            log.warning("head subscription failed", follower=self.name, error=str(exc))
            self._schedule_retry()
            return None
        except RpcError as exc:  # the node refuses eth_subscribe: it will not change its mind
            log.warning("no head subscription; polling", follower=self.name, error=str(exc))
            self._heads = None
            return None
        self._watcher, self._failures = watcher, 0
        self.subscriptions += 1
        return watcher

    def _schedule_retry(self) -> None:
        delay = self._resubscribe.delay(min(self._failures, 64), self._rng)
        self._failures += 1
        self._retry_at = time.monotonic() + delay

    async def _close_watcher(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            await watcher.close()

    async def wait_for_news(self) -> None:
        """Wait until the chain may have moved since the last :meth:`poll` began: a head
        pushed over the subscription, or ``poll_s`` without one (``resync_s`` while
        subscribed). Returns at once after (re-)opening the subscription, so that the next
        poll reads the blocks that came before it: no gap at the handoff."""
        before = self._watcher
        watcher = await self._open_watcher()
        if watcher is None:
            await asyncio.sleep(self.poll_s)
            return
        seen_on, seen = self._seen
        if watcher is not before or seen_on is not watcher:
            return  # new subscription: read what came before it first
        await watcher.wait(seen, self.resync_s)

    async def close(self) -> None:
        """Close the head subscription (the follower may be used again: it re-opens)."""
        await self._close_watcher()

    async def stream(self) -> AsyncIterator[LogBatch]:
        """Batches forever, each acknowledged when the consumer asks for the next one
        (at-least-once: a crash while handling a batch delivers it again). Between batches
        it waits with :meth:`wait_for_news`; closing the stream closes the subscription."""
        try:
            while True:
                batch = await self.poll()
                if batch is None:
                    await self.wait_for_news()
                    continue
                yield batch
                await self.ack(batch)
        finally:
            await self.close()
