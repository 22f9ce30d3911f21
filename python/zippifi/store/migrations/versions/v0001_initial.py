"""Initial schema: strategies, accounts, intents, orders, transactions, fills, ledger, audit log,
nonces, log-follower cursors and market data.

On PostgreSQL the market-data tables are range-partitioned by ``ts`` (partitions are created per
month at run time by the store); when the TimescaleDB extension is installed in the database
they are plain tables turned into hypertables instead. A frozen copy of schema.py: later
changes go in new revisions.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from zippifi.store.types import U256, Address, ExactDecimal, Hash32, SignedAmount, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIME_SERIES = ("ticks", "candles", "pool_snapshots")
LIVE_TX = "status NOT IN ('replaced', 'dropped')"


def _timescale() -> bool:
    """TimescaleDB installed in this database (never on our test machines; see partitions.py)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"))
    return found.first() is not None


def _time_series_options(timescale: bool) -> dict[str, Any]:
    return {} if timescale else {"postgresql_partition_by": "RANGE (ts)"}


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _times(*names: str) -> list[sa.Column[Any]]:
    return [sa.Column(n, UtcDateTime(), nullable=False) for n in names]


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=op.f(f"pk_{table}"))


def _status(table: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    listed = ", ".join(repr(v) for v in values)
    return sa.CheckConstraint(f"status IN ({listed})", name=op.f(f"ck_{table}_status"))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    timescale = _timescale()
    ts_options = _time_series_options(timescale)

    op.create_table(
        "strategies",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_times("created_at", "updated_at"),
        _status("strategies", ("active", "paused", "retired")),
        _pk("strategies", "id"),
        sa.UniqueConstraint("name", name=op.f("uq_strategies_name")),
    )
    op.create_table(
        "accounts",
        _id(),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("address", Address(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=True),
        *_times("created_at"),
        sa.CheckConstraint("kind IN ('eoa', 'vault')", name=op.f("ck_accounts_kind")),
        _fk("accounts", "strategy_id", "strategies"),
        _pk("accounts", "id"),
        sa.UniqueConstraint("chain_id", "address", name=op.f("uq_accounts_chain_id_address")),
    )
    op.create_table(
        "trade_intents",
        _id(),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("token_in", Address(), nullable=False),
        sa.Column("token_out", Address(), nullable=False),
        sa.Column("amount_in", U256(), nullable=False),
        sa.Column("min_amount_out", U256(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        *_times("created_at", "updated_at"),
        _status(
            "trade_intents",
            ("pending", "approved", "rejected", "submitted", "filled", "failed", "cancelled"),
        ),
        _fk("trade_intents", "account_id", "accounts"),
        _fk("trade_intents", "strategy_id", "strategies"),
        _pk("trade_intents", "id"),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_trade_intents_idempotency_key")),
    )
    op.create_index(
        op.f("ix_trade_intents_status_chain_id"), "trade_intents", ["status", "chain_id"]
    )
    op.create_table(
        "orders",
        _id(),
        sa.Column("intent_id", sa.Integer(), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("venue", sa.String(100), nullable=False),
        sa.Column("pool", Address(), nullable=True),
        sa.Column("token_in", Address(), nullable=False),
        sa.Column("token_out", Address(), nullable=False),
        sa.Column("amount_in", U256(), nullable=False),
        sa.Column("min_amount_out", U256(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_times("created_at", "updated_at"),
        _status("orders", ("pending", "submitted", "filled", "failed", "cancelled")),
        _fk("orders", "intent_id", "trade_intents"),
        _pk("orders", "id"),
        sa.UniqueConstraint("intent_id", "leg", name=op.f("uq_orders_intent_id_leg")),
    )
    op.create_table(
        "transactions",
        _id(),
        sa.Column("intent_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("sender", Address(), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", Hash32(), nullable=False),
        sa.Column("raw_tx", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("gas_limit", sa.BigInteger(), nullable=True),
        sa.Column("max_fee_per_gas", U256(), nullable=True),
        sa.Column("max_priority_fee_per_gas", U256(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", Hash32(), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("effective_gas_price", U256(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        *_times("created_at", "updated_at"),
        _status(
            "transactions", ("signed", "submitted", "mined", "reverted", "replaced", "dropped")
        ),
        sa.CheckConstraint("nonce >= 0", name=op.f("ck_transactions_nonce")),
        _fk("transactions", "intent_id", "trade_intents"),
        _fk("transactions", "order_id", "orders"),
        _pk("transactions", "id"),
        sa.UniqueConstraint("chain_id", "tx_hash", name=op.f("uq_transactions_chain_id_tx_hash")),
    )
    op.create_index(op.f("ix_transactions_status_chain_id"), "transactions", ["status", "chain_id"])
    op.create_index(
        "uq_transactions_live_nonce",
        "transactions",
        ["chain_id", "sender", "nonce"],
        unique=True,
        postgresql_where=sa.text(LIVE_TX),
        sqlite_where=sa.text(LIVE_TX),
    )
    op.create_table(
        "fills",
        _id(),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("pool", Address(), nullable=True),
        sa.Column("token_in", Address(), nullable=False),
        sa.Column("token_out", Address(), nullable=False),
        sa.Column("amount_in", U256(), nullable=False),
        sa.Column("amount_out", U256(), nullable=False),
        sa.Column("fee", U256(), nullable=False),
        *_times("created_at"),
        _fk("fills", "order_id", "orders"),
        _fk("fills", "transaction_id", "transactions"),
        _pk("fills", "id"),
        sa.UniqueConstraint(
            "transaction_id", "log_index", name=op.f("uq_fills_transaction_id_log_index")
        ),
    )
    op.create_table(
        "ledger_entries",
        _id(),
        sa.Column("journal_id", sa.String(200), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("book", sa.String(200), nullable=False),
        sa.Column("asset", sa.String(100), nullable=False),
        sa.Column("amount", SignedAmount(), nullable=False),
        sa.Column("fill_id", sa.Integer(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=False),
        *_times("created_at"),
        _fk("ledger_entries", "fill_id", "fills"),
        _pk("ledger_entries", "id"),
        sa.UniqueConstraint("journal_id", "line", name=op.f("uq_ledger_entries_journal_id_line")),
    )
    op.create_index(op.f("ix_ledger_entries_book_asset"), "ledger_entries", ["book", "asset"])
    op.create_table(
        "audit_log",
        _id(),
        sa.Column("stream", sa.String(200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        *_times("ts"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_audit_log_seq")),
        _pk("audit_log", "id"),
        sa.UniqueConstraint("stream", "seq", name=op.f("uq_audit_log_stream_seq")),
    )
    op.create_table(
        "nonce_heads",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("account", Address(), nullable=False),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.Column("fence_token", sa.BigInteger(), nullable=False),
        *_times("updated_at"),
        _pk("nonce_heads", "chain_id", "account"),
    )
    op.create_table(
        "nonces",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("account", Address(), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fence_token", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", Hash32(), nullable=True),
        *_times("updated_at"),
        _status("nonces", ("reserved", "submitted", "confirmed", "released")),
        _pk("nonces", "chain_id", "account", "nonce"),
    )
    op.create_table(
        "log_cursors",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("follower", sa.String(200), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", Hash32(), nullable=False),
        *_times("updated_at"),
        _pk("log_cursors", "chain_id", "follower"),
    )
    op.create_table(
        "log_cursor_blocks",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("follower", sa.String(200), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", Hash32(), nullable=False),
        sa.Column("parent_hash", Hash32(), nullable=True),
        _pk("log_cursor_blocks", "chain_id", "follower", "block_number"),
    )

    # --- market data: time series ---
    op.create_table(
        "ticks",
        *_times("ts"),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("pair", sa.String(100), nullable=False),
        sa.Column("price", ExactDecimal(), nullable=False),
        sa.Column("bid", ExactDecimal(), nullable=True),
        sa.Column("ask", ExactDecimal(), nullable=True),
        sa.Column("size", ExactDecimal(), nullable=True),
        **ts_options,
    )
    op.create_index(op.f("ix_ticks_pair_ts"), "ticks", ["pair", "ts"])
    op.create_table(
        "candles",
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("pair", sa.String(100), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        *_times("ts"),
        sa.Column("open", ExactDecimal(), nullable=False),
        sa.Column("high", ExactDecimal(), nullable=False),
        sa.Column("low", ExactDecimal(), nullable=False),
        sa.Column("close", ExactDecimal(), nullable=False),
        sa.Column("volume", ExactDecimal(), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.CheckConstraint("interval_s > 0", name=op.f("ck_candles_interval")),
        _pk("candles", "source", "pair", "interval_s", "ts"),
        **ts_options,
    )
    op.create_table(
        "pool_snapshots",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("pool", Address(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        *_times("ts"),
        sa.Column("reserve0", U256(), nullable=True),
        sa.Column("reserve1", U256(), nullable=True),
        sa.Column("sqrt_price_x96", U256(), nullable=True),
        sa.Column("liquidity", U256(), nullable=True),
        sa.Column("tick", sa.Integer(), nullable=True),
        _pk("pool_snapshots", "chain_id", "pool", "block_number", "ts"),
        **ts_options,
    )
    if timescale:  # guarded: only with the extension installed (see partitions.py)
        for table in TIME_SERIES:
            op.execute(f"SELECT create_hypertable('{table}', 'ts', if_not_exists => TRUE)")


def downgrade() -> None:
    # Dropping a partitioned table drops its partitions; children before parents.
    for table in (
        "pool_snapshots",
        "candles",
        "ticks",
        "log_cursor_blocks",
        "log_cursors",
        "nonces",
        "nonce_heads",
        "audit_log",
        "ledger_entries",
        "fills",
        "transactions",
        "orders",
        "trade_intents",
        "accounts",
        "strategies",
    ):
        op.drop_table(table)
