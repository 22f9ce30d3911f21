"""Ticks, candles and pool snapshots on both engines (COPY on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from zippifi.errors import InvalidInputError
from zippifi.store import Candle, PoolSnapshot, Store, Tick

from .factories import MAX, POOL

T0 = datetime(2024, 1, 31, 23, 59, 59, 999_999, tzinfo=UTC)
END = datetime(2030, 1, 1, tzinfo=UTC)
PRICE = Decimal("3141.592653589793238462643383279502884197")


def _ticks(n: int, start: datetime = T0, pair: str = "ETH/USDC") -> list[Tick]:
    return [
        Tick(
            start + timedelta(seconds=i), "binance" if i % 2 else "coinbase", pair,
            PRICE + i, PRICE + i - Decimal("0.01"), PRICE + i + Decimal("0.01"), Decimal("1e-18"),
        )
        for i in range(n)
    ]  # fmt: skip


async def test_ticks_round_trip_exactly(store: Store) -> None:
    batch = _ticks(5)
    assert await store.market.insert_ticks(batch) == 5
    got = await store.market.ticks("ETH/USDC", T0, END)
    assert got == batch  # exact decimals, microsecond times, across a month boundary
    assert got[0].ts == T0
    assert got[1].ts.month == 2
    assert await store.market.ticks("ETH/USDC", T0, END, source="binance") == batch[1::2]
    assert await store.market.ticks("ETH/USDC", T0, T0 + timedelta(seconds=2)) == batch[:2]
    assert await store.market.ticks("ETH/USDC", T0, END, limit=1) == batch[:1]
    assert await store.market.latest_tick("ETH/USDC") == batch[-1]
    assert await store.market.latest_tick("ETH/USDC", source="coinbase") == batch[-1]
    assert await store.market.latest_tick("BTC/USDC") is None
    if store.dialect == "postgresql":
        assert {"ticks_p202401", "ticks_p202402"} <= set(await store.market.partitions("ticks"))


async def test_bulk_ingest_both_methods(store: Store) -> None:
    batch = _ticks(6000, datetime(2024, 7, 1, tzinfo=UTC), pair="BULK")
    if store.dialect == "postgresql":
        assert await store.market.insert_ticks(batch[:3000], method="copy") == 3000
        assert await store.market.insert_ticks(batch[3000:], method="executemany") == 3000
    else:
        with pytest.raises(InvalidInputError, match="COPY"):
            await store.market.insert_ticks(batch, method="copy")
        assert await store.market.insert_ticks(batch) == 6000
    assert await store.market.ticks("BULK", batch[0].ts, END) == batch


async def test_copy_escapes_text_and_keeps_nulls_and_offsets(store: Store) -> None:
    """COPY's text format: tabs, newlines, backslashes and non-ASCII survive; None stays NULL;
    a non-UTC offset lands on the right instant (and month partition)."""
    paris = timezone(timedelta(hours=2))
    odd = [
        Tick(datetime(2024, 9, 1, 1, 30, tzinfo=paris), "tab\there", "ÉTH/ÜSD", Decimal("1E-30")),
        Tick(T0, "back\\slash\nnewline\r", "ÉTH/ÜSD", Decimal("-0.5"), None, Decimal(2), None),
    ]
    assert await store.market.insert_ticks(odd) == 2
    got = await store.market.ticks("ÉTH/ÜSD", T0, END)
    assert got == [odd[1], odd[0]]
    assert got[1].ts == datetime(2024, 8, 31, 23, 30, tzinfo=UTC)
    assert (got[0].bid, got[0].size) == (None, None)
    if store.dialect == "postgresql":
        assert "ticks_p202408" in await store.market.partitions("ticks")


async def test_tick_validation(store: Store) -> None:
    good = _ticks(1)[0]
    bad = [
        Tick(datetime(2024, 1, 1), "s", "p", Decimal(1)),
        Tick(T0, "s", "p", 1.5),  # type: ignore[arg-type]  float price
        Tick(T0, "", "p", Decimal(1)),
        Tick(T0, "s", "p", Decimal("NaN")),
    ]
    for tick in bad:
        with pytest.raises(InvalidInputError):
            await store.market.insert_ticks([good, tick])
    assert await store.market.latest_tick("ETH/USDC") is None  # nothing of a refused batch
    assert await store.market.insert_ticks([]) == 0


async def test_candles_upsert_and_range(store: Store) -> None:
    hour = 3600
    candles = [
        Candle("binance", "ETH/USDC", hour, T0 + timedelta(hours=i), Decimal(10), Decimal(12),
               Decimal(9), Decimal(11), Decimal("1234.5678"), trades=i)
        for i in range(3)
    ]  # fmt: skip
    assert await store.market.upsert_candles(candles) == 3
    fixed = Candle("binance", "ETH/USDC", hour, candles[1].ts, Decimal(10), Decimal(13),
                   Decimal(9), Decimal(13), Decimal(2), trades=7)  # fmt: skip
    assert await store.market.upsert_candles([fixed]) == 1
    got = await store.market.candles("ETH/USDC", hour, T0, END)
    assert got == [candles[0], fixed, candles[2]]
    assert await store.market.candles("ETH/USDC", 60, T0, END) == []
    assert await store.market.candles("ETH/USDC", hour, T0, END, source="kraken") == []
    inverted = Candle(
        "b", "p", 60, T0, Decimal(10), Decimal(9), Decimal(11), Decimal(10), Decimal(0)
    )
    with pytest.raises(InvalidInputError, match="low"):
        await store.market.upsert_candles([inverted])
    with pytest.raises(InvalidInputError, match="interval"):
        await store.market.upsert_candles(
            [Candle("b", "p", 0, T0, Decimal(1), Decimal(1), Decimal(1), Decimal(1), Decimal(0))]
        )


async def test_pool_snapshots(store: Store) -> None:
    snaps = [
        PoolSnapshot(1, POOL.lower(), 100 + i, T0 + timedelta(seconds=12 * i), reserve0=MAX - i,
                     reserve1=10**30, sqrt_price_x96=2**160 - 1, liquidity=2**128 - 1, tick=-887272)
        for i in range(3)
    ]  # fmt: skip
    assert await store.market.insert_pool_snapshots(snaps) == 3
    assert await store.market.insert_pool_snapshots(snaps[1:]) == 0  # already stored
    assert await store.market.latest_pool_snapshot(1, POOL.lower()) == snaps[2]
    assert await store.market.pool_snapshots(1, POOL, T0, T0 + timedelta(seconds=13)) == snaps[:2]
    assert await store.market.latest_pool_snapshot(2, POOL) is None
