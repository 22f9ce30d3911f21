"""PoolTracker on hand-made logs (no chain): events of unknown pools and topics are ignored,
malformed ones are refused with MalformedMarketDataError and change nothing, and Mint/Burn keep
liquidityGross so a tick whose liquidityNet is 0 stays while it has liquidity."""

from __future__ import annotations

import pytest

from zippifi.chain import LogRecord
from zippifi.errors import InvalidInputError, MalformedMarketDataError
from zippifi.market import (
    V2_SYNC,
    V3_BURN,
    V3_MINT,
    V3_SWAP,
    PoolTracker,
    V2PoolState,
    V3PoolState,
)
from zippifi.route import PoolGraph
from zippifi.sign import to_checksum_address

Q96 = 2**96
T0, T1 = (to_checksum_address("0x" + c * 40) for c in "12")
PAIR = to_checksum_address("0x" + "a" * 40)
POOL = to_checksum_address("0x" + "b" * 40)


def word(value: int) -> bytes:
    return (value % 2**256).to_bytes(32, "big")


def record(address: str, topics: list[bytes], data: bytes) -> LogRecord:
    return LogRecord(1, b"\x01" * 32, b"\x02" * 32, 0, 0, address, tuple(topics), data)


def tracker() -> PoolTracker:
    t = PoolTracker(PoolGraph())
    t.install(V2PoolState(PAIR.lower(), "0x" + "f" * 40, T0, T1, 30, 0, 10**18, 2 * 10**18))
    t.install(V3PoolState(POOL, "0x" + "e" * 40, T0, T1, 3000, 60, 0, Q96, 0, 0))
    return t


def mint(lower: int, upper: int, amount: int) -> LogRecord:
    owner = word(0)
    return record(POOL, [V3_MINT, owner, word(lower), word(upper)],
                  word(0) + word(amount) + word(1) + word(1))  # fmt: skip


def burn(lower: int, upper: int, amount: int) -> LogRecord:
    return record(POOL, [V3_BURN, word(0), word(lower), word(upper)],
                  word(amount) + word(0) + word(0))  # fmt: skip


def test_events_change_state_and_graph() -> None:
    t = tracker()
    assert PAIR in t.pools  # installed under its checksummed address
    assert t.apply_log(record(PAIR, [V2_SYNC], word(5 * 10**18) + word(10**19))) == PAIR
    pair = t.pools[PAIR]
    assert isinstance(pair, V2PoolState)
    assert (pair.reserve0, pair.reserve1) == (5 * 10**18, 10**19)
    assert t.graph.best_route(T0, T1, 10**15, max_hops=1).amount_out > 0
    # shared edge with equal liquidity: tick 60 nets to 0 but stays initialized
    assert t.apply_log(mint(-60, 60, 10**20)) == POOL
    assert t.apply_log(mint(60, 120, 10**20)) == POOL
    pool = t.pools[POOL]
    assert isinstance(pool, V3PoolState)
    assert pool.ticks == {-60: (10**20, 10**20), 60: (2 * 10**20, 0), 120: (10**20, -(10**20))}
    assert pool.liquidity == 10**20  # tick 0 is in [-60, 60) only
    assert t.apply_log(burn(-60, 60, 10**20)) == POOL
    assert pool.ticks == {60: (10**20, 10**20), 120: (10**20, -(10**20))}
    assert pool.liquidity == 0
    assert t.apply_log(burn(60, 120, 0)) is None  # a poke changes nothing
    swap = word(1) + word(-1) + word(Q96 * 11 // 10) + word(10**20) + word(1906)
    assert t.apply_log(record(POOL, [V3_SWAP, word(0), word(0)], swap)) == POOL
    assert (pool.sqrt_price_x96, pool.liquidity, pool.tick) == (Q96 * 11 // 10, 10**20, 1906)


def test_foreign_and_malformed_logs() -> None:
    t = tracker()
    other = to_checksum_address("0x" + "c" * 40)
    assert t.apply_log(record(other, [V2_SYNC], word(1) + word(2))) is None
    assert t.apply_log(record(PAIR, [b"\x00" * 32], b"")) is None  # a topic it does not follow
    assert t.apply_log(record(PAIR, [], b"")) is None
    assert t.apply_log(record(PAIR, [V3_SWAP], b"")) is None  # a V3 event from a V2 pair
    before = (t.pools[PAIR].reserve0, t.pools[PAIR].reserve1)  # type: ignore[union-attr]
    for bad in (
        record(PAIR, [V2_SYNC], word(1)),  # short data
        record(PAIR, [V2_SYNC], word(2**112) + word(1)),  # not a uint112
        record(POOL, [V3_MINT, word(0)], b""),  # missing indexed ticks
        mint(60, 60, 1),  # empty range
        burn(-60, 60, 1),  # a burn of liquidity never minted
    ):
        with pytest.raises(MalformedMarketDataError):
            t.apply_log(bad)
    assert (t.pools[PAIR].reserve0, t.pools[PAIR].reserve1) == before  # type: ignore[union-attr]
    assert t.pools[POOL].ticks == {}  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError):
        t.install(V2PoolState("0x12", "0x" + "f" * 40, T0, T1, 30, 0))
