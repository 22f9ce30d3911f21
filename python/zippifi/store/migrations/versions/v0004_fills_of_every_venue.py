"""Fills of every venue, with their finality: the intent a fill serves, the venue (live, paper,
backtest), where it happened on chain (chain, tx hash, block, log index), gas used and its cost
in native and quote units, a status (mined -> final, or reorged) and, for a reversal booked
after a deep reorg, the fill it reverses. Paper and backtest fills have no stored transaction,
so ``transaction_id`` becomes nullable. One live fill per (chain, tx hash, log index) and per
(transaction, log index) - a reorged fill is history, and the same log mined again in another
block is a new fill - and at most one reversal of each.

Existing fills are live and final; their chain and hash come from their transaction. On SQLite
the table is rebuilt (a column's nullability cannot change in place), with foreign-key checks
deferred to the commit so the ledger entries that reference fills are adopted by the new table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from zippifi.store.types import U256, Address, Hash32, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEW = ("intent_id", "venue", "chain_id", "tx_hash", "block_number", "block_hash", "gas_used",
       "gas_cost_native", "gas_cost_quote", "status", "reverses_id")  # fmt: skip
FIRST_FILL = "reverses_id IS NULL AND status <> 'reorged'"


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_fills_{column}_{target}"))  # fmt: skip


def _table(new: bool) -> list[Any]:
    cols: list[Any] = [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=new),
        sa.Column("order_id", sa.Integer(), nullable=True),
    ]
    if new:
        cols += [
            sa.Column("intent_id", sa.Integer(), nullable=True),
            sa.Column("venue", sa.String(16), nullable=False),
            sa.Column("chain_id", sa.BigInteger(), nullable=True),
            sa.Column("tx_hash", Hash32(), nullable=True),
            sa.Column("block_number", sa.BigInteger(), nullable=True),
            sa.Column("block_hash", Hash32(), nullable=True),
        ]
    cols += [
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("pool", Address(), nullable=True),
        sa.Column("token_in", Address(), nullable=False),
        sa.Column("token_out", Address(), nullable=False),
        sa.Column("amount_in", U256(), nullable=False),
        sa.Column("amount_out", U256(), nullable=False),
        sa.Column("fee", U256(), nullable=False),
    ]
    if new:
        cols += [
            sa.Column("gas_used", sa.BigInteger(), nullable=True),
            sa.Column("gas_cost_native", U256(), nullable=True),
            sa.Column("gas_cost_quote", U256(), nullable=True),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("reverses_id", sa.Integer(), nullable=True),
        ]
    cols += [
        sa.Column("created_at", UtcDateTime(), nullable=False),
        _fk("order_id", "orders"),
        _fk("transaction_id", "transactions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
    ]  # fmt: skip
    if not new:
        name = op.f("uq_fills_transaction_id_log_index")
        cols.append(sa.UniqueConstraint("transaction_id", "log_index", name=name))
    if new:
        cols += [
            _fk("intent_id", "trade_intents"),
            _fk("reverses_id", "fills"),
            sa.UniqueConstraint("reverses_id", name=op.f("uq_fills_reverses_id")),
            sa.CheckConstraint("status IN ('mined', 'final', 'reorged')",
                               name=op.f("ck_fills_status")),
            sa.CheckConstraint("venue IN ('live', 'paper', 'backtest')",
                               name=op.f("ck_fills_venue")),
        ]  # fmt: skip
    return cols


def _indexes() -> None:
    op.create_index(op.f("ix_fills_intent_id"), "fills", ["intent_id"])
    op.create_index("uq_fills_transaction_log", "fills", ["transaction_id", "log_index"],
                    unique=True, postgresql_where=sa.text(FIRST_FILL),
                    sqlite_where=sa.text(FIRST_FILL))  # fmt: skip
    op.create_index("uq_fills_chain_tx_log", "fills", ["chain_id", "tx_hash", "log_index"],
                    unique=True, postgresql_where=sa.text(FIRST_FILL),
                    sqlite_where=sa.text(FIRST_FILL))  # fmt: skip


def _rebuild_sqlite(new: bool, select: str) -> None:
    """As revision 0003 rebuilds trade_intents: a plain copy, the table dropped and created
    anew, the rows put back; foreign-key checks wait for the commit."""
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute("CREATE TABLE fills_rows AS SELECT * FROM fills")
    if not new:
        op.drop_index("uq_fills_transaction_log", table_name="fills")
        op.drop_index("uq_fills_chain_tx_log", table_name="fills")
        op.drop_index(op.f("ix_fills_intent_id"), table_name="fills")
    op.drop_table("fills")
    op.create_table("fills", *_table(new))
    op.execute(f"INSERT INTO fills {select}")
    op.drop_table("fills_rows")


def upgrade() -> None:
    origin = "(SELECT {col} FROM transactions t WHERE t.id = fills_rows.transaction_id)"
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(
            True,
            "SELECT id, transaction_id, order_id, "
            "(SELECT intent_id FROM transactions t WHERE t.id = fills_rows.transaction_id), "
            f"'live', {origin.format(col='chain_id')}, {origin.format(col='tx_hash')}, "
            f"{origin.format(col='block_number')}, {origin.format(col='block_hash')}, log_index, "
            "pool, token_in, token_out, amount_in, amount_out, fee, NULL, NULL, NULL, 'final', "
            "NULL, created_at FROM fills_rows",
        )
    else:
        for column in _table(True):
            if isinstance(column, sa.Column) and column.name in NEW:
                op.add_column("fills", sa.Column(column.name, column.type, nullable=True))
        op.execute(
            "UPDATE fills SET venue = 'live', status = 'final', intent_id = t.intent_id, "
            "chain_id = t.chain_id, tx_hash = t.tx_hash, block_number = t.block_number, "
            "block_hash = t.block_hash FROM transactions t WHERE t.id = fills.transaction_id"
        )
        op.alter_column("fills", "venue", nullable=False)
        op.alter_column("fills", "status", nullable=False)
        op.alter_column("fills", "transaction_id", nullable=True)
        for c in _table(True):
            if isinstance(c, sa.ForeignKeyConstraint) and c.name in (
                "fk_fills_intent_id_trade_intents", "fk_fills_reverses_id_fills",
            ):  # fmt: skip
                col = next(iter(c.column_keys))
                op.create_foreign_key(c.name, "fills", "trade_intents" if col == "intent_id"
                                      else "fills", [col], ["id"])  # fmt: skip
            elif isinstance(c, sa.CheckConstraint):
                op.create_check_constraint(c.name, "fills", c.sqltext)  # type: ignore[arg-type]
        op.create_unique_constraint(op.f("uq_fills_reverses_id"), "fills", ["reverses_id"])
        op.drop_constraint(op.f("uq_fills_transaction_id_log_index"), "fills", type_="unique")
    _indexes()


def downgrade() -> None:
    """Back to 0003: reversals, reorged fills and fills without a transaction (paper,
    backtest) are dropped, since 0003 cannot hold them."""
    op.execute("DELETE FROM fills WHERE reverses_id IS NOT NULL OR status = 'reorged' "
               "OR transaction_id IS NULL")  # fmt: skip
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(
            False,
            "SELECT id, transaction_id, order_id, log_index, pool, token_in, token_out, "
            "amount_in, amount_out, fee, created_at FROM fills_rows",
        )
        return
    op.drop_index("uq_fills_transaction_log", table_name="fills")
    op.drop_index("uq_fills_chain_tx_log", table_name="fills")
    op.drop_index(op.f("ix_fills_intent_id"), table_name="fills")
    op.drop_constraint(op.f("uq_fills_reverses_id"), "fills", type_="unique")
    op.create_unique_constraint(op.f("uq_fills_transaction_id_log_index"), "fills",
                                ["transaction_id", "log_index"])  # fmt: skip
    for name in ("ck_fills_status", "ck_fills_venue"):
        op.drop_constraint(op.f(name), "fills", type_="check")
    for name in ("fk_fills_intent_id_trade_intents", "fk_fills_reverses_id_fills"):
        op.drop_constraint(op.f(name), "fills", type_="foreignkey")
    for name in NEW:
        op.drop_column("fills", name)
    op.alter_column("fills", "transaction_id", nullable=False)
