"""The one schema, for SQLite and PostgreSQL alike (SQLAlchemy Core).

The migrations in ``migrations/versions`` create exactly this (a test compares a migrated
database with this metadata on both engines). On PostgreSQL the time-series tables (ticks,
candles, pool_snapshots) are range-partitioned by ``ts``, one partition per month created on
demand (``partitions.py``), or TimescaleDB hypertables when that extension is installed.

Money columns are :class:`~zippifi.store.types.U256` (raw token units, exact); prices and sizes
are :class:`~zippifi.store.types.ExactDecimal`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from zippifi.domain import (
    FILL_STATUSES,
    INTENT_KINDS,
    INTENT_STATUSES,
    ORDER_STATUSES,
    STRATEGY_STATUSES,
    TX_STATUSES,
    URGENCIES,
    VENUES,
)
from zippifi.store.types import (
    U256,
    Address,
    ExactDecimal,
    Hash32,
    SignedAmount,
    UtcDateTime,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# Tables partitioned by month on ``ts`` on PostgreSQL (see partitions.py).
TIME_SERIES_TABLES = ("ticks", "candles", "pool_snapshots")
PARTITION_BY = "RANGE (ts)"

# --- statuses (CHECK constraints keep them honest on both engines) ---------------------------

NONCE_STATUSES = ("reserved", "submitted", "confirmed", "released")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


strategies = Table(
    "strategies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("template", String(100), nullable=False),
    Column("config", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("name"),
    CheckConstraint(_in("status", STRATEGY_STATUSES), name="status"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("address", Address, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("label", String(200), nullable=False),
    Column("strategy_id", Integer, ForeignKey("strategies.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("chain_id", "address"),
    CheckConstraint("kind IN ('eoa', 'vault')", name="kind"),
)

trade_intents = Table(
    "trade_intents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("proposer", String(200), nullable=False),
    Column("strategy_id", Integer, ForeignKey("strategies.id"), nullable=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("token_in", Address, nullable=False),
    Column("token_out", Address, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount", U256, nullable=False),
    Column("amount_in", U256, nullable=False),
    Column("min_amount_out", U256, nullable=False),
    Column("slippage_bps", Integer, nullable=False),
    Column("deadline", UtcDateTime, nullable=True),
    Column("urgency", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("status_cause", Text, nullable=True),
    Column("params", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("idempotency_key"),
    CheckConstraint(_in("status", INTENT_STATUSES), name="status"),
    CheckConstraint(_in("kind", INTENT_KINDS), name="kind"),
    CheckConstraint(_in("urgency", URGENCIES), name="urgency"),
    CheckConstraint("slippage_bps >= 0 AND slippage_bps <= 10000", name="slippage_bps"),
    Index(None, "status", "chain_id"),
)

# Every status change of an intent, with its time and cause (the intent row keeps the latest).
intent_events = Table(
    "intent_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("intent_id", Integer, ForeignKey("trade_intents.id"), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("cause", Text, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Index(None, "intent_id", "id"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("intent_id", Integer, ForeignKey("trade_intents.id"), nullable=False),
    Column("leg", Integer, nullable=False),
    Column("venue", String(100), nullable=False),
    Column("pool", Address, nullable=True),
    Column("token_in", Address, nullable=False),
    Column("token_out", Address, nullable=False),
    Column("amount_in", U256, nullable=False),
    Column("min_amount_out", U256, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("intent_id", "leg"),
    CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("intent_id", Integer, ForeignKey("trade_intents.id"), nullable=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("sender", Address, nullable=False),
    Column("nonce", BigInteger, nullable=False),
    Column("tx_hash", Hash32, nullable=False),
    Column("raw_tx", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("gas_limit", BigInteger, nullable=True),
    Column("max_fee_per_gas", U256, nullable=True),
    Column("max_priority_fee_per_gas", U256, nullable=True),
    Column("gas_price", U256, nullable=True),
    Column("block_number", BigInteger, nullable=True),
    Column("block_hash", Hash32, nullable=True),
    Column("gas_used", BigInteger, nullable=True),
    Column("effective_gas_price", U256, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("chain_id", "tx_hash"),
    CheckConstraint(_in("status", TX_STATUSES), name="status"),
    CheckConstraint("nonce >= 0", name="nonce"),
    # One live transaction per (chain, sender, nonce); replaced and dropped ones stay as history.
    Index(
        "uq_transactions_live_nonce",
        "chain_id",
        "sender",
        "nonce",
        unique=True,
        postgresql_where=text("status NOT IN ('replaced', 'dropped')"),
        sqlite_where=text("status NOT IN ('replaced', 'dropped')"),
    ),
    Index(None, "status", "chain_id"),
)

# Which intents a transaction serves, in the order of its swaps (a vault's swapBatch carries
# several; the transaction row's intent_id is the first).
transaction_intents = Table(
    "transaction_intents",
    metadata,
    Column("transaction_id", Integer, ForeignKey("transactions.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("intent_id", Integer, ForeignKey("trade_intents.id"), nullable=False),
    PrimaryKeyConstraint("transaction_id", "position"),
    UniqueConstraint("transaction_id", "intent_id"),
    CheckConstraint("position >= 0", name="position"),
    Index(None, "intent_id"),
)

LIVE_FILL = "reverses_id IS NULL AND status <> 'reorged'"

fills = Table(
    "fills",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # the stored transaction of a live fill; None for paper and backtest fills
    Column("transaction_id", Integer, ForeignKey("transactions.id"), nullable=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=True),
    Column("intent_id", Integer, ForeignKey("trade_intents.id"), nullable=True),
    Column("venue", String(16), nullable=False),
    Column("chain_id", BigInteger, nullable=True),
    Column("tx_hash", Hash32, nullable=True),
    Column("block_number", BigInteger, nullable=True),
    Column("block_hash", Hash32, nullable=True),
    Column("log_index", Integer, nullable=False),
    Column("pool", Address, nullable=True),
    Column("token_in", Address, nullable=False),
    Column("token_out", Address, nullable=False),
    Column("amount_in", U256, nullable=False),
    Column("amount_out", U256, nullable=False),
    Column("fee", U256, nullable=False),
    Column("gas_used", BigInteger, nullable=True),
    Column("gas_cost_native", U256, nullable=True),
    Column("gas_cost_quote", U256, nullable=True),
    Column("status", String(16), nullable=False),
    Column("reverses_id", Integer, ForeignKey("fills.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(
        "uq_fills_transaction_log",
        "transaction_id",
        "log_index",
        unique=True,
        postgresql_where=text(LIVE_FILL),
        sqlite_where=text(LIVE_FILL),
    ),
    # one live fill per log (a reorged one is history: the same log mined again is a new fill),
    # and at most one reversal of each
    Index(
        "uq_fills_chain_tx_log",
        "chain_id",
        "tx_hash",
        "log_index",
        unique=True,
        postgresql_where=text(LIVE_FILL),
        sqlite_where=text(LIVE_FILL),
    ),
    UniqueConstraint("reverses_id"),
    CheckConstraint(_in("status", FILL_STATUSES), name="status"),
    CheckConstraint(_in("venue", VENUES), name="venue"),
    Index(None, "intent_id"),
)

# Every risk gate decision: the rule that decided, the numbers behind it, the inputs' versions.
risk_decisions = Table(
    "risk_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("intent_id", Integer, ForeignKey("trade_intents.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("proposer", String(200), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("numbers", JSON, nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("amount_in", U256, nullable=False),
    Column("notional", U256, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    CheckConstraint(_in("verdict", ("approve", "resize", "reject")), name="verdict"),
    Index(None, "intent_id"),
    Index(None, "account_id", "at"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("journal_id", String(200), nullable=False),
    Column("line", Integer, nullable=False),
    Column("book", String(200), nullable=False),
    Column("asset", String(100), nullable=False),
    Column("amount", SignedAmount, nullable=False),
    Column("fill_id", Integer, ForeignKey("fills.id"), nullable=True),
    Column("memo", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("journal_id", "line"),
    Index(None, "book", "asset"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("stream", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("ts", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    # canonical JSON text, byte-exact (jsonb would reorder keys and break the hash)
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("stream", "seq"),
    CheckConstraint("seq >= 1", name="seq"),
)

nonce_heads = Table(
    "nonce_heads",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("account", Address, nullable=False),
    Column("next_nonce", BigInteger, nullable=False),
    # the highest fencing token the store has seen for this account: older ones are refused
    Column("fence_token", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("chain_id", "account"),
)

nonces = Table(
    "nonces",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("account", Address, nullable=False),
    Column("nonce", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("fence_token", BigInteger, nullable=False),
    Column("tx_hash", Hash32, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("chain_id", "account", "nonce"),
    CheckConstraint(_in("status", NONCE_STATUSES), name="status"),
)

log_cursors = Table(
    "log_cursors",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("follower", String(200), nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", Hash32, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("chain_id", "follower"),
)

# Recent blocks a follower processed, so a reorg can be rewound to the common ancestor.
log_cursor_blocks = Table(
    "log_cursor_blocks",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("follower", String(200), nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", Hash32, nullable=False),
    Column("parent_hash", Hash32, nullable=True),
    PrimaryKeyConstraint("chain_id", "follower", "block_number"),
)

# --- market data (time series) ---------------------------------------------------------------

ticks = Table(
    "ticks",
    metadata,
    Column("ts", UtcDateTime, nullable=False),
    Column("source", String(100), nullable=False),
    Column("pair", String(100), nullable=False),
    Column("price", ExactDecimal, nullable=False),
    Column("bid", ExactDecimal, nullable=True),
    Column("ask", ExactDecimal, nullable=True),
    Column("size", ExactDecimal, nullable=True),
    # (pair, ts) only: half the per-row index cost of (pair, source, ts) on bulk ingest
    Index(None, "pair", "ts"),
    postgresql_partition_by=PARTITION_BY,
)

candles = Table(
    "candles",
    metadata,
    Column("source", String(100), nullable=False),
    Column("pair", String(100), nullable=False),
    Column("interval_s", Integer, nullable=False),
    Column("ts", UtcDateTime, nullable=False),
    Column("open", ExactDecimal, nullable=False),
    Column("high", ExactDecimal, nullable=False),
    Column("low", ExactDecimal, nullable=False),
    Column("close", ExactDecimal, nullable=False),
    Column("volume", ExactDecimal, nullable=False),
    Column("trades", Integer, nullable=False),
    PrimaryKeyConstraint("source", "pair", "interval_s", "ts"),
    CheckConstraint("interval_s > 0", name="interval"),
    postgresql_partition_by=PARTITION_BY,
)

pool_snapshots = Table(
    "pool_snapshots",
    metadata,
    Column("chain_id", BigInteger, nullable=False),
    Column("pool", Address, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("ts", UtcDateTime, nullable=False),
    Column("reserve0", U256, nullable=True),
    Column("reserve1", U256, nullable=True),
    Column("sqrt_price_x96", U256, nullable=True),
    Column("liquidity", U256, nullable=True),
    Column("tick", Integer, nullable=True),
    PrimaryKeyConstraint("chain_id", "pool", "block_number", "ts"),
    postgresql_partition_by=PARTITION_BY,
)
