"""Money is exact on both engines: 2**255+1 and 2**256-1 survive every U256 column, ledger
amounts keep their sign, and the bytes at rest are what the design says (NUMERIC(78,0) on
PostgreSQL, decimal TEXT on SQLite, never a float)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from zippifi.store import AmountOutOfRangeError, PoolSnapshot, Posting, Store

from .factories import BIG, MAX, POOL, USDC, WETH, intent, seed, tx_hash

EXTREMES = [0, 1, 2**64, BIG, MAX]


@pytest.mark.parametrize("value", [BIG, MAX], ids=["2**255+1", "2**256-1"])
async def test_round_trip_through_every_u256_column(store: Store, value: int) -> None:
    s = await seed(store)
    it = await intent(store, s, amount_in=value, min_out=value)
    assert (it.amount_in, it.min_amount_out) == (value, value)
    again = await store.intents.get(it.id)
    assert (again.amount_in, again.min_amount_out) == (value, value)
    assert type(again.amount_in) is int

    tx, _ = await store.transactions.record_signed(
        chain_id=1, sender=s.account.address, nonce=0, tx_hash=tx_hash(1), intent_id=it.id,
        max_fee_per_gas=value, max_priority_fee_per_gas=value,
    )  # fmt: skip
    mined = await store.transactions.mark_mined(
        1, tx.tx_hash, success=True, block_number=1, block_hash=tx_hash(99), gas_used=21000,
        effective_gas_price=value,
    )  # fmt: skip
    assert (mined.max_fee_per_gas, mined.effective_gas_price) == (value, value)
    fill, _ = await store.fills.record(
        transaction_id=tx.id, log_index=0, token_in=WETH, token_out=USDC,
        amount_in=value, amount_out=value, fee=value,
    )  # fmt: skip
    assert (await store.fills.for_transaction(tx.id))[0].amount_out == value == fill.fee

    snap = PoolSnapshot(1, POOL, 7, datetime(2024, 6, 1, tzinfo=UTC), value, value, value, value)
    await store.market.insert_pool_snapshots([snap])
    got = await store.market.latest_pool_snapshot(1, POOL)
    assert got is not None
    assert (got.reserve0, got.reserve1, got.sqrt_price_x96, got.liquidity) == (value,) * 4


async def test_ledger_amounts_keep_sign_and_magnitude(store: Store) -> None:
    await store.ledger.post("j", [Posting("a", "WETH", MAX), Posting("b", "WETH", -MAX)])
    await store.ledger.post("j2", [Posting("a", "WETH", MAX), Posting("b", "WETH", -MAX)])
    assert await store.ledger.balance("a", "WETH") == 2 * MAX  # sums past 2**256 exactly
    assert await store.ledger.balance("b", "WETH") == -2 * MAX
    assert [e.amount for e in await store.ledger.journal("j")] == [MAX, -MAX]


async def test_at_rest_representation(store: Store) -> None:
    s = await seed(store)
    await intent(store, s, amount_in=BIG, min_out=MAX)
    async with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            col = await conn.execute(
                text(
                    "SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                    "WHERE table_name = 'trade_intents' AND column_name = 'amount_in'"
                )
            )
            assert tuple(col.one()) == (78, 0)
            raw = await conn.execute(
                text("SELECT amount_in::text, min_amount_out::text FROM trade_intents")
            )
        else:
            raw = await conn.execute(
                text("SELECT typeof(amount_in), typeof(min_amount_out) FROM trade_intents")
            )
            assert tuple(raw.one()) == ("text", "text")
            raw = await conn.execute(text("SELECT amount_in, min_amount_out FROM trade_intents"))
        assert tuple(raw.one()) == (str(BIG), str(MAX))


async def test_out_of_range_amounts_are_refused_before_writing(store: Store) -> None:
    s = await seed(store)
    for bad in (-1, 2**256, 1.5):
        with pytest.raises(AmountOutOfRangeError, match=r"amount"):
            await intent(store, s, key=f"bad{bad}", amount_in=bad)  # type: ignore[arg-type]
    assert await store.intents.search() == []
    snap = PoolSnapshot(1, POOL, 1, datetime(2024, 6, 1, tzinfo=UTC), reserve0=2**256)
    with pytest.raises(AmountOutOfRangeError, match="reserve0"):
        await store.market.insert_pool_snapshots([snap])


async def test_the_column_type_guards_raw_core_writes_too(store: Store) -> None:
    """Even a write that bypasses the repositories cannot store an out-of-range amount."""
    from zippifi.store.schema import ledger_entries

    with pytest.raises(AmountOutOfRangeError, match=r"-\(2\*\*256-1\)"):
        async with store.transaction() as tx, tx.ledger._scope.begin() as conn:
            await conn.execute(
                ledger_entries.insert().values(
                    journal_id="x", line=0, book="b", asset="a", amount=-(2**256), memo="",
                    created_at=datetime.now(UTC),
                )
            )  # fmt: skip
