"""The intent lifecycle of the execution layer: who proposed an intent, exact input or output,
the exact-side amount, slippage bound, deadline and urgency; the statuses proposed -> approved /
resized / rejected -> routed -> signed -> submitted -> confirmed / failed / expired -> settled
(and cancelled); every status change kept with its time and cause in ``intent_events``.

Existing rows map: pending -> proposed, filled -> confirmed, the rest keep their name; the
proposer becomes ``strategy:<id>``, the amount is the stored amount_in, the transition reason
moves to ``status_cause`` (``reason`` is now the proposer's free text), and each intent gets one
event saying it was migrated. On SQLite the table is rebuilt (its CHECK constraints and the
nullability of strategy_id cannot be altered in place), with foreign-key checks deferred to the
commit so the orders and transactions that reference it are adopted by the new table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from zippifi.store.types import U256, Address, UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "approved", "rejected", "submitted", "filled", "failed", "cancelled")
NEW_STATUSES = (
    "proposed", "approved", "resized", "rejected", "routed", "signed", "submitted", "confirmed",
    "failed", "expired", "settled", "cancelled",
)  # fmt: skip
UP = "CASE status WHEN 'pending' THEN 'proposed' WHEN 'filled' THEN 'confirmed' ELSE status END"
DOWN = (
    "CASE status WHEN 'proposed' THEN 'pending' WHEN 'confirmed' THEN 'filled' "
    "WHEN 'settled' THEN 'filled' WHEN 'resized' THEN 'approved' WHEN 'routed' THEN 'approved' "
    "WHEN 'signed' THEN 'submitted' WHEN 'expired' THEN 'failed' ELSE status END"
)
NEW_COLUMNS = ("proposer", "kind", "amount", "slippage_bps", "deadline", "urgency", "status_cause")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _check(name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_trade_intents_{name}"))


def _table(name: str, *, new: bool) -> list[Any]:
    """trade_intents' columns and constraints, before (new=False) or after this revision."""
    columns: list[Any] = [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
    ]
    if new:
        columns.append(sa.Column("proposer", sa.String(200), nullable=False))
    columns += [
        sa.Column("strategy_id", sa.Integer(), nullable=new),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("token_in", Address(), nullable=False),
        sa.Column("token_out", Address(), nullable=False),
    ]
    if new:
        columns += [
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("amount", U256(), nullable=False),
        ]
    columns += [
        sa.Column("amount_in", U256(), nullable=False),
        sa.Column("min_amount_out", U256(), nullable=False),
    ]
    if new:
        columns += [
            sa.Column("slippage_bps", sa.Integer(), nullable=False),
            sa.Column("deadline", UtcDateTime(), nullable=True),
            sa.Column("urgency", sa.String(16), nullable=False),
        ]
    columns += [
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
    ]
    if new:
        columns.append(sa.Column("status_cause", sa.Text(), nullable=True))
    columns += [
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _check("status", _in("status", NEW_STATUSES if new else OLD_STATUSES)),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_trade_intents_account_id_accounts")),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategies.id"],
                                name=op.f("fk_trade_intents_strategy_id_strategies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_intents")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_trade_intents_idempotency_key")),
    ]  # fmt: skip
    if new:
        columns += [
            _check("kind", _in("kind", ("exact_in", "exact_out"))),
            _check("urgency", _in("urgency", ("low", "normal", "high", "urgent"))),
            _check("slippage_bps", "slippage_bps >= 0 AND slippage_bps <= 10000"),
        ]
    return columns


def _rebuild_sqlite(new: bool, select: str) -> None:
    """SQLite: trade_intents rebuilt from ``select`` over a plain copy of its rows. Foreign-key
    checks are deferred to the commit: dropping the old table orphans the orders and
    transactions that reference it, and inserting the rows into the new table (which has the
    name they reference) adopts them again, so the commit finds every reference whole."""
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute("CREATE TABLE trade_intents_rows AS SELECT * FROM trade_intents")
    op.drop_index(op.f("ix_trade_intents_status_chain_id"), table_name="trade_intents")
    op.drop_table("trade_intents")
    op.create_table("trade_intents", *_table("trade_intents", new=new))
    op.execute(f"INSERT INTO trade_intents {select.format(source='trade_intents_rows')}")
    op.drop_table("trade_intents_rows")
    op.create_index(op.f("ix_trade_intents_status_chain_id"), "trade_intents",
                    ["status", "chain_id"])  # fmt: skip


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _rebuild_sqlite(
            True,
            "SELECT id, idempotency_key, 'strategy:' || strategy_id, strategy_id, account_id, "
            "chain_id, token_in, token_out, 'exact_in', amount_in, amount_in, min_amount_out, 0, "
            f"NULL, 'normal', {UP}, NULL, reason, params, created_at, updated_at "
            "FROM {source}",
        )
    else:
        op.drop_constraint(op.f("ck_trade_intents_status"), "trade_intents", type_="check")
        for column in _table("trade_intents", new=True):
            if isinstance(column, sa.Column) and column.name in NEW_COLUMNS:
                op.add_column("trade_intents", sa.Column(column.name, column.type, nullable=True))
        op.execute(
            "UPDATE trade_intents SET proposer = 'strategy:' || strategy_id, kind = 'exact_in', "
            f"amount = amount_in, slippage_bps = 0, urgency = 'normal', status = {UP}, "
            "status_cause = reason, reason = NULL"
        )
        for name in ("proposer", "kind", "amount", "slippage_bps", "urgency"):
            op.alter_column("trade_intents", name, nullable=False)
        op.alter_column("trade_intents", "strategy_id", nullable=True)
        for c in _table("trade_intents", new=True):
            if isinstance(c, sa.CheckConstraint):
                op.create_check_constraint(c.name, "trade_intents", c.sqltext)  # type: ignore[arg-type]
    op.create_table(
        "intent_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("intent_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["intent_id"], ["trade_intents.id"],
                                name=op.f("fk_intent_events_intent_id_trade_intents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intent_events")),
    )  # fmt: skip
    op.create_index(op.f("ix_intent_events_intent_id_id"), "intent_events", ["intent_id", "id"])
    op.execute(
        "INSERT INTO intent_events (intent_id, from_status, to_status, cause, at) "
        "SELECT id, NULL, status, 'migrated', updated_at FROM trade_intents ORDER BY id"
    )


def downgrade() -> None:
    """Back to revision 0002's statuses (lossy where 0003 is finer: resized/routed become
    approved, signed submitted, expired failed, settled filled). Fails on intents without a
    strategy, which 0002 cannot hold."""
    op.drop_index(op.f("ix_intent_events_intent_id_id"), table_name="intent_events")
    op.drop_table("intent_events")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(
            False,
            "SELECT id, idempotency_key, strategy_id, account_id, chain_id, token_in, token_out, "
            f"amount_in, min_amount_out, {DOWN}, status_cause, params, created_at, updated_at "
            "FROM {source}",
        )
        return
    for c in _table("trade_intents", new=True):
        if isinstance(c, sa.CheckConstraint):
            op.drop_constraint(c.name, "trade_intents", type_="check")  # type: ignore[arg-type]
    op.execute(f"UPDATE trade_intents SET status = {DOWN}, reason = status_cause")
    op.alter_column("trade_intents", "strategy_id", nullable=False)
    for name in NEW_COLUMNS:
        op.drop_column("trade_intents", name)
    old = [c for c in _table("trade_intents", new=False) if isinstance(c, sa.CheckConstraint)]
    for c in old:
        op.create_check_constraint(c.name, "trade_intents", c.sqltext)  # type: ignore[arg-type]
