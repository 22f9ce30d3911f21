"""transaction_intents: which intents a transaction serves, in the order of its swaps. A vault's
``swapBatch`` carries several intents in one transaction, so the link moves off the
transaction row (whose ``intent_id`` stays the first one). Existing links are copied over.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transaction_intents",
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("intent_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["transaction_id"], ["transactions.id"],
                                name=op.f("fk_transaction_intents_transaction_id_transactions")),
        sa.ForeignKeyConstraint(["intent_id"], ["trade_intents.id"],
                                name=op.f("fk_transaction_intents_intent_id_trade_intents")),
        sa.PrimaryKeyConstraint("transaction_id", "position", name=op.f("pk_transaction_intents")),
        sa.UniqueConstraint("transaction_id", "intent_id",
                            name=op.f("uq_transaction_intents_transaction_id_intent_id")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_transaction_intents_position")),
    )  # fmt: skip
    op.create_index(op.f("ix_transaction_intents_intent_id"), "transaction_intents",
                    ["intent_id"])  # fmt: skip
    op.execute(
        "INSERT INTO transaction_intents (transaction_id, position, intent_id) "
        "SELECT id, 0, intent_id FROM transactions WHERE intent_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_transaction_intents_intent_id"), "transaction_intents")
    op.drop_table("transaction_intents")
