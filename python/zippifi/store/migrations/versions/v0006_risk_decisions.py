"""risk_decisions: every risk gate decision, with the rule that decided, the numbers behind it
and the versions of its inputs, for the audit trail and the API.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zippifi.store.types import U256, UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("intent_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("proposer", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("amount_in", U256(), nullable=False),
        sa.Column("notional", U256(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["intent_id"], ["trade_intents.id"],
                                name=op.f("fk_risk_decisions_intent_id_trade_intents")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_risk_decisions_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_decisions")),
        sa.CheckConstraint("verdict IN ('approve', 'resize', 'reject')",
                           name=op.f("ck_risk_decisions_verdict")),
    )  # fmt: skip
    op.create_index(op.f("ix_risk_decisions_intent_id"), "risk_decisions", ["intent_id"])
    op.create_index(op.f("ix_risk_decisions_account_id_at"), "risk_decisions",
                    ["account_id", "at"])  # fmt: skip


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_decisions_account_id_at"), "risk_decisions")
    op.drop_index(op.f("ix_risk_decisions_intent_id"), "risk_decisions")
    op.drop_table("risk_decisions")
