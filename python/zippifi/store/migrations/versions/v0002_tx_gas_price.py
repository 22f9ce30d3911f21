"""transactions.gas_price: a legacy transaction's fee, so the record written before a broadcast
carries every fee field it was signed with (EIP-1559 ones use max_fee_per_gas and
max_priority_fee_per_gas).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zippifi.store.types import U256

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("transactions", sa.Column("gas_price", U256(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("gas_price")
