"""The event side of the pool sync: :class:`PoolTracker` applies V2/V3 pool events to the pool
states and mirrors every change into a :class:`~zippifi.route.PoolGraph`; no I/O, so it can
replay logs on its own (:mod:`zippifi.market.pools` describes the events and their effects)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from zippifi.chain import LogRecord
from zippifi.errors import InvalidInputError, MalformedMarketDataError, ZippiError
from zippifi.market.pool_events import (
    MAX_TICK,
    MIN_TICK,
    U112,
    V2_SYNC,
    V3_BURN,
    V3_INITIALIZE,
    V3_MINT,
    V3_SWAP,
    _need,
    _signed,
    _word,
)
from zippifi.market.pool_state import PoolState, V2PoolState, V3PoolState
from zippifi.route import PoolGraph
from zippifi.sign import to_checksum_address


class PoolTracker:
    """Pool states and their mirror in ``graph``, changed one event at a time; no I/O (the
    :class:`PoolSync` around it reads the chain). Decoding follows the contracts' event
    layouts; a log that does not decode raises MalformedMarketDataError."""

    def __init__(self, graph: PoolGraph) -> None:
        self.graph = graph
        self._pools: dict[str, PoolState] = {}
        self._in_graph: set[str] = set()
        self._handlers: dict[bytes, Callable[[PoolState, LogRecord], bool]] = {
            V2_SYNC: self._on_sync,
            V3_INITIALIZE: self._on_initialize,
            V3_SWAP: self._on_swap,
            V3_MINT: self._on_mint,
            V3_BURN: self._on_burn,
        }

    @property
    def pools(self) -> Mapping[str, PoolState]:
        """Every pool known, by checksummed address (a live read-only view)."""
        return MappingProxyType(self._pools)

    def in_graph(self, address: str) -> bool:
        """Whether the pool is in the graph (a V3 pool enters it once initialized)."""
        return address in self._in_graph

    def install(self, state: PoolState) -> None:
        """Make ``state`` the pool's state, in the tracker and in the graph (replacing what
        was there). If the graph refuses the state, the pool is dropped and the error raised."""
        try:
            address = to_checksum_address(state.address)
        except ZippiError as exc:
            raise InvalidInputError(f"pool address {state.address!r}: {exc}") from None
        state.address = address
        if address in self._in_graph:
            self.graph.remove_pool(address)
            self._in_graph.discard(address)
        try:
            if isinstance(state, V2PoolState):
                self.graph.add_v2_pool(address, state.token0, state.token1, state.reserve0,
                                       state.reserve1, state.fee_bps)  # fmt: skip
                self._in_graph.add(address)
            elif state.initialized:
                self.graph.add_v3_pool(
                    address, state.token0, state.token1, state.sqrt_price_x96, state.tick,
                    state.liquidity, state.fee, state.tick_spacing, state.nets(),
                )  # fmt: skip
                self._in_graph.add(address)
        except ZippiError:
            self._pools.pop(address, None)
            raise
        self._pools[address] = state

    def drop(self, address: str) -> None:
        """Forget a pool (in the sync and the graph)."""
        if address in self._in_graph:
            self.graph.remove_pool(address)
            self._in_graph.discard(address)
        self._pools.pop(address, None)

    def apply_log(self, record: LogRecord) -> str | None:
        """Apply one pool event to the state and the graph; the pool's address if anything
        changed, None for a log of no known pool. Raises MalformedMarketDataError for a log
        that does not decode, and the graph's InvalidInputError for state it refuses."""
        pool = self._pools.get(record.address)
        if pool is None or not record.topics:
            return None
        handler = self._handlers.get(record.topics[0])
        if handler is None or not handler(pool, record):
            return None
        return pool.address

    def _on_sync(self, pool: PoolState, r: LogRecord) -> bool:
        if not isinstance(pool, V2PoolState):
            return False
        data = r.data
        _need(data, 64, "Sync", pool.address)
        reserve0, reserve1 = _word(data, 0), _word(data, 1)
        if reserve0 >= U112 or reserve1 >= U112:
            raise MalformedMarketDataError(f"Sync from {pool.address}: reserves exceed uint112")
        if pool.address in self._in_graph:
            self.graph.update_v2_reserves(pool.address, reserve0, reserve1)
        pool.reserve0, pool.reserve1 = reserve0, reserve1
        return True

    def _on_initialize(self, pool: PoolState, r: LogRecord) -> bool:
        if not isinstance(pool, V3PoolState):
            return False
        _need(r.data, 64, "Initialize", pool.address)
        sqrt_price, tick = _word(r.data, 0), _signed(_word(r.data, 1))
        if pool.address in self._in_graph:
            self.graph.update_v3_state(pool.address, sqrt_price, tick, pool.liquidity)
        else:
            self.graph.add_v3_pool(
                pool.address, pool.token0, pool.token1, sqrt_price, tick, pool.liquidity,
                pool.fee, pool.tick_spacing, pool.nets(),
            )  # fmt: skip
            self._in_graph.add(pool.address)
        pool.sqrt_price_x96, pool.tick = sqrt_price, tick
        return True

    def _on_swap(self, pool: PoolState, r: LogRecord) -> bool:
        if not isinstance(pool, V3PoolState):
            return False
        data = r.data
        _need(data, 160, "Swap", pool.address)
        sqrt_price, liquidity, tick = _word(data, 2), _word(data, 3), _signed(_word(data, 4))
        if pool.address not in self._in_graph:
            raise MalformedMarketDataError(f"Swap from {pool.address} before its Initialize")
        self.graph.update_v3_state(pool.address, sqrt_price, tick, liquidity)
        pool.sqrt_price_x96, pool.tick, pool.liquidity = sqrt_price, tick, liquidity
        return True

    def _on_mint(self, pool: PoolState, r: LogRecord) -> bool:
        if not isinstance(pool, V3PoolState):
            return False
        if len(r.topics) < 4:
            raise MalformedMarketDataError(f"Mint from {pool.address}: {len(r.topics)} topics")
        _need(r.data, 128, "Mint", pool.address)
        lower = int.from_bytes(r.topics[2], "big", signed=True)
        upper = int.from_bytes(r.topics[3], "big", signed=True)
        return self._position(pool, lower, upper, _word(r.data, 1))

    def _on_burn(self, pool: PoolState, r: LogRecord) -> bool:
        if not isinstance(pool, V3PoolState):
            return False
        if len(r.topics) < 4:
            raise MalformedMarketDataError(f"Burn from {pool.address}: {len(r.topics)} topics")
        _need(r.data, 96, "Burn", pool.address)
        lower = int.from_bytes(r.topics[2], "big", signed=True)
        upper = int.from_bytes(r.topics[3], "big", signed=True)
        return self._position(pool, lower, upper, -_word(r.data, 0))

    def _position(self, pool: V3PoolState, lower: int, upper: int, delta: int) -> bool:
        """UniswapV3Pool._modifyPosition's effect on ticks and the active liquidity."""
        if delta == 0:  # a poke (burn of 0) changes nothing a swap sees
            return False
        if not MIN_TICK <= lower < upper <= MAX_TICK:
            raise MalformedMarketDataError(
                f"position [{lower}, {upper}) of {pool.address} is not a valid tick range"
            )
        if pool.address not in self._in_graph:
            raise MalformedMarketDataError(f"Mint/Burn in {pool.address} before its Initialize")
        ticks = dict(pool.ticks)
        deltas: dict[int, int | None] = {}
        for t, net_delta in ((lower, delta), (upper, -delta)):
            gross, net = ticks.get(t, (0, 0))
            gross, net = gross + delta, net + net_delta
            if gross < 0:
                raise MalformedMarketDataError(
                    f"Burn in {pool.address} takes tick {t}'s liquidityGross below 0: the sync "
                    "missed a Mint"
                )
            if gross == 0:
                ticks.pop(t, None)
                deltas[t] = None
            else:
                ticks[t] = (gross, net)
                deltas[t] = net_delta
        liquidity = pool.liquidity
        if lower <= pool.tick < upper:
            liquidity += delta
            if liquidity < 0:
                raise MalformedMarketDataError(f"Burn in {pool.address}: active liquidity < 0")
        self.graph.update_v3_ticks(pool.address, deltas)
        if liquidity != pool.liquidity:
            self.graph.update_v3_state(pool.address, pool.sqrt_price_x96, pool.tick, liquidity)
        pool.ticks, pool.liquidity = ticks, liquidity
        return True


__all__ = ["PoolTracker"]
