"""Uniswap V2 and V3 pools: found from their factories' events, kept current from their own, and
mirrored into a :class:`~zippifi.route.PoolGraph` one change at a time.

:class:`PoolSync` runs one :class:`~zippifi.chain.LogFollower` (its cursor in the store)
over the factories and every pool found so far, on the topics that matter:

* factories: ``PairCreated`` (V2) and ``PoolCreated`` (V3) -- a new pool is read in full at the
  end block of the batch that announced it, with batched ``eth_call``\\ s
  (:mod:`zippifi.market.batch_calls`): ``getReserves()`` for a pair; ``slot0()``, ``liquidity()``,
  every ``tickBitmap`` word of the pool's tick range, and ``ticks(t)`` of every initialized tick
  for a V3 pool. The follower's address filter then grows to include it.
* V2 pairs: ``Sync`` (every Mint, Burn, Swap and sync() ends with one: it carries the reserves).
* V3 pools: ``Initialize``, ``Swap`` (the price, tick and active liquidity after it), ``Mint``
  and ``Burn`` (liquidityGross/liquidityNet of the two ticks, and the active liquidity when the
  position spans the current tick), applied as ``UniswapV3Pool._modifyPosition`` does. The sync
  keeps each tick's liquidityGross, so a tick leaves the map exactly when the contract clears its
  bitmap bit, including ticks whose liquidityNet is 0.

Reorgs: when the follower reports a rewind, pools created above the fork are dropped (the
batch's logs rediscover them if they are on the new branch too), and every pool touched by a
removed log is read afresh at the batch's end block, its logs in the batch skipped (the fresh
read already includes them). When the removed logs are not known (the follower forgot them,
or the rewind is deeper than it remembers) every pool is read afresh. A pool whose event cannot
be applied (state out of step with the chain) is read afresh the same way instead of failing
the batch.

The event side is :class:`PoolTracker` (states, decoding, graph updates; no I/O), usable on its
own to replay logs. Units are those of the AMM kernels: raw token units, sqrtPriceX96, raw
liquidity, tick indices; V2 fees in basis points (``Factory.fee_bps``), V3 fees in hundredths
of a bip. After a restart :meth:`PoolSync.start` rediscovers the pools from the factories' logs
up to the cursor and reads them at the cursor's block, so the graph and the cursor agree again.

This module holds :class:`PoolSync`; its parts have modules of their own:
:mod:`~zippifi.market.pool_events` (event topics, view-function selectors, ABI decoding),
:mod:`~zippifi.market.pool_state` (``Factory``, the pool states, ``PoolSyncBatch``) and
:mod:`~zippifi.market.pool_tracker` (``PoolTracker``). Callers import all of them from the
package front, :mod:`zippifi.market`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from eth_typing import ChecksumAddress

from zippifi.chain import REMEMBER_BLOCKS, ChainAdapter, LogBatch, LogFollower, LogRecord
from zippifi.errors import (
    InvalidInputError,
    MalformedMarketDataError,
    MarketDataError,
    ZippiError,
)
from zippifi.log import get_logger
from zippifi.market.batch_calls import DEFAULT_MAX_BATCH, EthCall, call_many
from zippifi.market.pool_events import (
    GET_RESERVES,
    LIQUIDITY,
    PAIR_CREATED,
    POOL_CREATED,
    SLOT0,
    TICK_BITMAP,
    TICKS,
    TOPICS,
    _bits,
    _int_arg,
    _need,
    _signed,
    _topic_address,
    _word,
    bitmap_words,
)
from zippifi.market.pool_state import Factory, PoolState, PoolSyncBatch, V2PoolState, V3PoolState
from zippifi.market.pool_tracker import PoolTracker
from zippifi.route import PoolGraph
from zippifi.sign import to_checksum_address
from zippifi.store import CursorRepository, MarketRepository, PoolSnapshot

log = get_logger(__name__)


class PoolSync:
    """Discovers the factories' pools and keeps their state, and ``graph``, current.

    ``await sync.start()`` once (restores from the cursor after a restart), then
    ``await sync.poll()`` repeatedly, or ``await sync.run(callback)``.
    """

    def __init__(
        self,
        adapter: ChainAdapter,
        cursors: CursorRepository,
        graph: PoolGraph,
        factories: Sequence[Factory],
        *,
        name: str = "pools",
        start_block: int = 0,
        confirmations: int | None = None,
        max_range: int = 2000,
        max_batch_calls: int = DEFAULT_MAX_BATCH,
        snapshots: MarketRepository | None = None,
        poll_s: float | None = None,
    ) -> None:
        if not factories:
            raise InvalidInputError("pool sync: at least one factory is needed")
        if len({f.address for f in factories}) != len(factories):
            raise InvalidInputError("pool sync: a factory is listed twice")
        if max_batch_calls < 1:
            raise InvalidInputError("pool sync: max_batch_calls must be >= 1")
        self.adapter = adapter
        self.tracker = PoolTracker(graph)
        self._factories = {f.address: f for f in factories}
        self._follower = LogFollower(
            adapter, cursors, name, addresses=list(self._factories), topics=[list(TOPICS)],
            start_block=start_block,
            confirmations=adapter.config.confirmations if confirmations is None else confirmations,
            max_range=max_range, poll_s=poll_s,
        )  # fmt: skip
        self._cursors = cursors
        self._max_batch = max_batch_calls
        self._snapshots = snapshots
        self._remember_from = start_block
        self._resync_all = False
        self._started = False
        self.last_block: int | None = None

    # -- reading ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._follower.name

    @property
    def follower(self) -> LogFollower:
        return self._follower

    @property
    def graph(self) -> PoolGraph:
        return self.tracker.graph

    @property
    def pools(self) -> Mapping[str, PoolState]:
        """Every pool known, by checksummed address (a live read-only view)."""
        return self.tracker.pools

    def pool(self, address: str) -> PoolState:
        try:
            return self.tracker.pools[to_checksum_address(address)]
        except (KeyError, ZippiError):
            raise InvalidInputError(f"pool sync {self.name!r}: no pool {address!r}") from None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Restore after a restart: rediscover the pools created up to the cursor and read them
        at the cursor's block. Without a cursor there is nothing to restore. If the cursor's
        block is no longer canonical (a reorg while stopped), the pools are read at the closest
        block there is and read again after the first batch, which rewinds."""
        if self._started:
            return
        cursor = await self._cursors.get(self.adapter.chain_id, self.name)
        if cursor is None:
            self._started = True
            return
        at = cursor.block_number
        header = await self.adapter.get_block(at)
        if header is None or "0x" + header.hash.hex() != cursor.block_hash:
            at = min(at, await self.adapter.block_number())
            self._resync_all = True
        found: list[PoolState] = []
        block = self._follower.start_block
        while block <= at:
            end = min(at, block + self._follower.max_range - 1)
            logs = await self.adapter.get_logs(
                from_block=block, to_block=end, addresses=list(self._factories),
                topics=[[PAIR_CREATED, POOL_CREATED]],
            )  # fmt: skip
            logs.sort(key=lambda r: (r.block_number, r.log_index))
            found.extend(p for r in logs if (p := self._discovered(r)) is not None)
            block = end + 1
        fresh = await self._read(found, at) if at >= 0 else []
        for state in fresh:
            self.tracker.install(state)
        self._remember_from = cursor.block_number + 1
        self.last_block = cursor.block_number
        self._refresh_addresses()
        self._started = True
        log.info("pool sync restored", sync=self.name, pools=len(fresh), block=at,
                 cursor=cursor.block_number, canonical=not self._resync_all)  # fmt: skip

    async def poll(self) -> PoolSyncBatch | None:
        """Apply the follower's next batch and acknowledge it; None when caught up."""
        if not self._started:
            await self.start()
        batch = await self._follower.poll()
        if batch is None:
            return None
        try:
            result = await self._apply_batch(batch)
            if self._snapshots is not None and result.changed:
                await self._snapshot(result)
            await self._follower.ack(batch)
        except BaseException:
            # the batch may be applied in part, or applied but not acknowledged (it comes
            # again): the next batch reads every pool afresh
            self._resync_all = True
            raise
        if batch.to_block >= batch.from_block:
            self._remember_from = max(self._remember_from, batch.to_block - REMEMBER_BLOCKS + 1)
        self.last_block = batch.to_block
        return result

    async def run(
        self, on_batch: Callable[[PoolSyncBatch], Awaitable[None] | None] | None = None
    ) -> None:
        """Poll forever, calling ``on_batch`` after each batch. When caught up it waits for
        news from the follower: a pushed head on a WebSocket endpoint, else ``poll_s``."""
        while True:
            result = await self.poll()
            if result is None:
                await self._follower.wait_for_news()
                continue
            if on_batch is not None:
                maybe = on_batch(result)
                if maybe is not None:
                    await maybe

    # -- applying events (the tracker's) ---------------------------------------------------

    def track(self, state: PoolState) -> None:
        """Add a pool known from elsewhere (a snapshot, a test) as if it had been discovered
        and read; its events are followed from the next batch on."""
        self.tracker.install(state)
        self._refresh_addresses()

    def apply_log(self, record: LogRecord) -> str | None:
        """:meth:`PoolTracker.apply_log`."""
        return self.tracker.apply_log(record)

    # -- batches ----------------------------------------------------------------------------

    async def _apply_batch(self, batch: LogBatch) -> PoolSyncBatch:
        pools = self.tracker.pools
        changed: dict[str, None] = {}
        removed: list[str] = []
        fresh: set[str] = set()
        if self._resync_all:
            fresh.update(pools)
        if batch.rewound_to is not None:
            fork = batch.rewound_to
            for address, pool in list(pools.items()):
                if pool.created_block > fork:
                    self.tracker.drop(address)
                    removed.append(address)
            forgot = fork + 1 < self._remember_from
            if forgot:
                fresh.update(pools)
            log.warning("pool sync rewound", sync=self.name, fork=fork, dropped=len(removed),
                        removed_logs=len(batch.removed), forgot=forgot)  # fmt: skip
        fresh.update(r.address for r in batch.removed if r.address in pools)
        fresh.intersection_update(pools)
        discovered: list[PoolState] = []
        for r in batch.logs:
            if r.address in self._factories:
                found = self._discovered(r)
                if found is not None and found.address not in pools:
                    discovered.append(found)
        to_read = [pools[a] for a in fresh] + discovered
        added: list[str] = []
        if to_read and batch.to_block >= 0:
            for state in await self._read(to_read, batch.to_block):
                if state.address not in pools:
                    added.append(state.address)
                self.tracker.install(state)
                if self.tracker.in_graph(state.address):
                    changed[state.address] = None
        self._resync_all = False
        skip = fresh | set(added)
        dirty: set[str] = set()
        for r in batch.logs:
            address = r.address
            if address in skip or address in dirty or address not in pools:
                continue
            try:
                if self.apply_log(r) is not None:
                    changed[address] = None
            except ZippiError as exc:
                log.warning("pool event not applicable; reading the pool afresh", pool=address,
                            block=r.block_number, error=str(exc))  # fmt: skip
                dirty.add(address)
        if dirty and batch.to_block >= 0:
            for state in await self._read([pools[a] for a in dirty], batch.to_block):
                self.tracker.install(state)
                if self.tracker.in_graph(state.address):
                    changed[state.address] = None
        self._refresh_addresses()
        return PoolSyncBatch(
            batch.from_block, batch.to_block, tuple(changed), tuple(added), tuple(removed),
            tuple(sorted(fresh | dirty)), batch.rewound_to, len(batch.logs),
        )  # fmt: skip

    def _discovered(self, r: LogRecord) -> PoolState | None:
        """The pool a factory log announces (identity only; state still to be read)."""
        factory = self._factories.get(r.address)
        if factory is None or not r.topics:
            return None
        try:
            if factory.kind == "v2" and r.topics[0] == PAIR_CREATED:
                _need(r.data, 32, "PairCreated", r.address)
                if len(r.topics) < 3:
                    raise MalformedMarketDataError(f"PairCreated from {r.address}: topics")
                return V2PoolState(
                    address=to_checksum_address(r.data[12:32]), factory=factory.address,
                    token0=_topic_address(r.topics[1]), token1=_topic_address(r.topics[2]),
                    fee_bps=factory.fee_bps, created_block=r.block_number,
                )  # fmt: skip
            if factory.kind == "v3" and r.topics[0] == POOL_CREATED:
                _need(r.data, 64, "PoolCreated", r.address)
                if len(r.topics) < 4:
                    raise MalformedMarketDataError(f"PoolCreated from {r.address}: topics")
                spacing = _signed(_word(r.data, 0))
                fee = int.from_bytes(r.topics[3], "big")
                if spacing <= 0 or fee >= 1_000_000:
                    raise MalformedMarketDataError(
                        f"PoolCreated from {r.address}: fee {fee}, tick spacing {spacing}"
                    )
                return V3PoolState(
                    address=to_checksum_address(r.data[44:64]), factory=factory.address,
                    token0=_topic_address(r.topics[1]), token1=_topic_address(r.topics[2]),
                    fee=fee, tick_spacing=spacing, created_block=r.block_number,
                )  # fmt: skip
        except MalformedMarketDataError as exc:
            log.warning("factory log ignored", factory=r.address, error=str(exc))
        return None

    def _refresh_addresses(self) -> None:
        # every key is checksummed already (factories and discovered pools)
        pools = self.tracker.pools
        self._follower.addresses = cast("list[ChecksumAddress]", [*self._factories, *pools])

    # -- reading state ----------------------------------------------------------------------

    async def _read(self, pools: Sequence[PoolState], block: int) -> list[PoolState]:
        """Fresh copies of ``pools`` with their state at ``block``, read in three rounds of
        batched calls: reserves / slot0 + liquidity; bitmap words; initialized ticks."""
        started = time.perf_counter()
        first: list[EthCall] = []
        for p in pools:
            if isinstance(p, V2PoolState):
                first.append(EthCall(p.address, GET_RESERVES))
            else:
                first += [EthCall(p.address, SLOT0), EthCall(p.address, LIQUIDITY)]
        answers = iter(await self._call(first, block))
        out: list[PoolState] = []
        v3: list[V3PoolState] = []
        for p in pools:
            if isinstance(p, V2PoolState):
                data = next(answers)
                # reserve0, reserve1 (Uniswap's pairs add the last block's time, which is unused)
                _need(data, 64, "getReserves()", p.address)
                out.append(replace(p, reserve0=_word(data, 0), reserve1=_word(data, 1)))
                continue
            slot0, liq = next(answers), next(answers)
            _need(slot0, 64, "slot0()", p.address)
            _need(liq, 32, "liquidity()", p.address)
            fresh = replace(p, sqrt_price_x96=_word(slot0, 0), tick=_signed(_word(slot0, 1)),
                            liquidity=_word(liq, 0), ticks={})  # fmt: skip
            out.append(fresh)
            if fresh.initialized:
                v3.append(fresh)
        words = [(p, w) for p in v3 for w in bitmap_words(p.tick_spacing)]
        bitmaps = await self._call(
            [EthCall(p.address, TICK_BITMAP + _int_arg(w)) for p, w in words], block
        )
        initialized: list[tuple[V3PoolState, int]] = []
        for (p, w), data in zip(words, bitmaps, strict=True):
            _need(data, 32, "tickBitmap()", p.address)
            for bit in _bits(_word(data, 0)):
                initialized.append((p, ((w << 8) + bit) * p.tick_spacing))
        infos = await self._call(
            [EthCall(p.address, TICKS + _int_arg(t)) for p, t in initialized], block
        )
        for (p, t), data in zip(initialized, infos, strict=True):
            _need(data, 64, f"ticks({t})", p.address)
            gross, net = _word(data, 0), _signed(_word(data, 1))
            if gross == 0 or abs(net) > gross:
                raise MalformedMarketDataError(
                    f"{p.address}: tick {t} is set in the bitmap but ticks({t}) has "
                    f"liquidityGross {gross}, liquidityNet {net}"
                )
            p.ticks[t] = (gross, net)
        log.debug("pools read", count=len(pools), block=block, calls=len(first) + len(words)
                  + len(initialized), seconds=round(time.perf_counter() - started, 3))  # fmt: skip
        return out

    async def _call(self, calls: Sequence[EthCall], block: int) -> list[bytes]:
        try:
            return await call_many(self.adapter, calls, block, max_batch=self._max_batch)
        except MarketDataError:
            raise
        except ZippiError as exc:
            raise MarketDataError(f"pool sync {self.name!r}: reading pools failed: {exc}") from exc

    async def _snapshot(self, result: PoolSyncBatch) -> None:
        assert self._snapshots is not None
        header = await self.adapter.get_block(result.to_block)
        ts = datetime.fromtimestamp(header.timestamp, UTC) if header else datetime.now(UTC)
        rows: list[PoolSnapshot] = []
        for address in result.changed:
            p = self.tracker.pools.get(address)
            if isinstance(p, V2PoolState):
                rows.append(PoolSnapshot(self.adapter.chain_id, address, result.to_block, ts,
                                         reserve0=p.reserve0, reserve1=p.reserve1))  # fmt: skip
            elif isinstance(p, V3PoolState):
                rows.append(PoolSnapshot(
                    self.adapter.chain_id, address, result.to_block, ts,
                    sqrt_price_x96=p.sqrt_price_x96, liquidity=p.liquidity, tick=p.tick,
                ))  # fmt: skip
        await self._snapshots.insert_pool_snapshots(rows)


__all__ = ["PoolSync"]
