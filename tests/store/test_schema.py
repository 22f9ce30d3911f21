"""Migrations on both engines: schema.py and the migrations agree, upgrade is idempotent,
downgrade/upgrade round-trips, and the engine-specific storage is what the design says."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from zippifi.store import Store, Tick, current_revision, downgrade, migrate, open_store
from zippifi.store.migrations import include_object
from zippifi.store.schema import TIME_SERIES_TABLES, metadata

HEAD = "0006"


def _diff(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(
        conn, opts={"include_object": include_object, "compare_type": True}
    )
    return list(compare_metadata(ctx, metadata))


async def test_migrations_create_exactly_schema_py(fresh_db: str) -> None:
    assert await current_revision(fresh_db) is None
    await migrate(fresh_db)
    await migrate(fresh_db)  # idempotent
    assert await current_revision(fresh_db) == HEAD
    store = await open_store(fresh_db, run_migrations=False)
    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert {t.name for t in metadata.sorted_tables} <= tables
    finally:
        await store.close()


async def test_downgrade_then_upgrade(fresh_db: str) -> None:
    await migrate(fresh_db)
    store = await open_store(fresh_db, run_migrations=False)
    await store.market.insert_ticks([Tick(datetime(2024, 5, 5, tzinfo=UTC), "s", "p", Decimal(1))])
    await store.close()
    await downgrade(fresh_db)
    assert await current_revision(fresh_db) is None
    store = await open_store(fresh_db)  # migrates again
    try:
        async with store.engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert not any(n.startswith("ticks_p") for n in names)  # partitions went with ticks
        assert await store.market.latest_tick("p") is None
    finally:
        await store.close()


async def test_time_series_storage_per_engine(store: Store) -> None:
    t = datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC)
    await store.market.insert_ticks(
        [Tick(t, "s", "p", Decimal(1)), Tick(t.replace(year=2024, month=1, day=1), "s", "p", 2)]
    )
    async with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            assert store.time_series_mode == "sqlite"
            assert await store.market.partitions("ticks") == []
            return
        assert store.time_series_mode == "partitions"
        partitioned = await conn.execute(
            text(
                "SELECT c.relname FROM pg_partitioned_table p "
                "JOIN pg_class c ON c.oid = p.partrelid"
            )
        )
        assert {r[0] for r in partitioned} == set(TIME_SERIES_TABLES)
        default = await conn.execute(
            text("SELECT count(*) FROM pg_partitioned_table WHERE partdefid <> 0")
        )
        assert default.scalar() == 0  # no catch-all partition
        bounds = await conn.execute(
            text(
                "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c "
                "WHERE c.relname = 'ticks_p202401'"
            )
        )
        bound = bounds.scalar_one()
        assert "2024-01-01" in bound
        assert "2024-02-01" in bound
    assert {"ticks_p202312", "ticks_p202401"} <= set(await store.market.partitions("ticks"))


async def test_every_table_is_written_by_a_repository(store: Store) -> None:
    """No placeholder tables: one pass through the repositories fills every table."""
    from zippifi.store import Candle, OrderLeg, PoolSnapshot, Posting, RiskDecisionRecord

    from .factories import POOL, USDC, WETH, intent, seed, tx_hash

    s = await seed(store)
    it = await intent(store, s)
    t0 = datetime(2024, 2, 2, tzinfo=UTC)
    [order] = await store.orders.add(it.id, [OrderLeg("v2", WETH, USDC, 5, 4, pool=POOL)])
    tx, _ = await store.transactions.record_signed(
        chain_id=1,
        sender=s.account.address,
        nonce=0,
        tx_hash=tx_hash(1),
        order_id=order.id,
        intent_id=it.id,
    )
    fill, _ = await store.fills.record(
        transaction_id=tx.id, log_index=0, token_in=WETH, token_out=USDC, amount_in=5, amount_out=4
    )
    await store.ledger.post("j", [Posting("a", "W", 5), Posting("b", "W", -5)], fill_id=fill.id)
    await store.audit.append("s", actor="a", action="b")
    await store.risk_decisions.add(RiskDecisionRecord(
        intent_id=it.id, account_id=s.account.id, proposer="p", stage="proposed",
        verdict="approve", rule="all rules", reasons=("ok",), numbers={}, inputs={},
        amount_in=5, notional=5, at=t0,
    ))  # fmt: skip
    await store.nonces.reserve(1, s.account.address, fence=1)
    await store.cursors.advance(1, "f", 1, tx_hash(1))
    t = datetime(2024, 2, 2, tzinfo=UTC)
    await store.market.insert_ticks([Tick(t, "s", "p", Decimal(1))])
    await store.market.upsert_candles(
        [Candle("s", "p", 60, t, Decimal(1), Decimal(1), Decimal(1), Decimal(1), Decimal(0))]
    )
    await store.market.insert_pool_snapshots([PoolSnapshot(1, POOL, 1, t, 1, 2)])
    async with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            count = (await conn.execute(text(f"SELECT count(*) FROM {table.name}"))).scalar()
            assert count, f"{table.name} was not written"


async def test_0003_maps_existing_intents_and_keeps_their_references(fresh_db: str) -> None:
    """Rows written under revision 0002 (old statuses, a transition reason, orders and a
    transaction pointing at them) come through 0003 mapped, each with one 'migrated' event, and
    go back through the downgrade."""
    await migrate(fresh_db, "0002")
    now = "2025-01-02 03:04:05+00:00"
    rows = [
        "INSERT INTO strategies (id, name, template, config, status, created_at, updated_at) "
        f"VALUES (1, 's', 'twap', '{{}}', 'active', '{now}', '{now}')",
        "INSERT INTO accounts (id, chain_id, address, kind, label, created_at) "
        f"VALUES (1, 1, '0x{'ab' * 20}', 'vault', 'v', '{now}')",
        *(
            "INSERT INTO trade_intents (id, idempotency_key, strategy_id, account_id, chain_id, "
            "token_in, token_out, amount_in, min_amount_out, status, reason, params, created_at, "
            f"updated_at) VALUES ({i}, 'k{i}', 1, 1, 1, '0x{'11' * 20}', '0x{'22' * 20}', "
            f"'{10**30 + i}', '5', '{status}', 'why {i}', '{{}}', '{now}', '{now}')"
            for i, status in enumerate(("pending", "filled", "cancelled"), start=1)
        ),
        "INSERT INTO orders (intent_id, leg, venue, token_in, token_out, amount_in, "
        f"min_amount_out, status, created_at, updated_at) VALUES (2, 0, 'v2', '0x{'11' * 20}', "
        f"'0x{'22' * 20}', '1', '1', 'filled', '{now}', '{now}')",
        "INSERT INTO transactions (intent_id, chain_id, sender, nonce, tx_hash, status, "
        f"created_at, updated_at) VALUES (2, 1, '0x{'ab' * 20}', 0, '0x{'cd' * 32}', 'mined', "
        f"'{now}', '{now}')",
    ]
    store = await open_store(fresh_db, run_migrations=False)
    try:
        async with store.engine.begin() as conn:
            for sql in rows:
                await conn.execute(text(sql))
    finally:
        await store.close()
    await migrate(fresh_db)
    store = await open_store(fresh_db, run_migrations=False)
    try:
        got = [await store.intents.get(i) for i in (1, 2, 3)]
        assert [i.status for i in got] == ["proposed", "confirmed", "cancelled"]
        assert [(i.proposer, i.kind, i.amount, i.amount_in) for i in got] == [
            ("strategy:1", "exact_in", 10**30 + n, 10**30 + n) for n in (1, 2, 3)
        ]
        assert [(i.reason, i.status_cause) for i in got] == [(None, f"why {n}") for n in (1, 2, 3)]
        for i in got:
            (event,) = await store.intents.events(i.id)
            assert (event.from_status, event.to_status, event.cause) == (None, i.status, "migrated")
        assert [o.intent_id for o in await store.orders.for_intent(2)] == [2]
        assert [t.intent_id for t in await store.transactions.for_intent(2)] == [2]
        if store.dialect == "sqlite":
            async with store.engine.connect() as conn:
                assert (await conn.execute(text("PRAGMA foreign_key_check"))).all() == []
        await store.intents.transition(1, "approved", cause="risk")
    finally:
        await store.close()
    await downgrade(fresh_db, "0002")
    store = await open_store(fresh_db, run_migrations=False)
    try:
        async with store.engine.connect() as conn:
            back = await conn.execute(text("SELECT status, reason FROM trade_intents ORDER BY id"))
            assert [tuple(r) for r in back] == [
                ("approved", "risk"), ("filled", "why 2"), ("cancelled", "why 3"),
            ]  # fmt: skip
    finally:
        await store.close()
