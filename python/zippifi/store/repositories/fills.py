"""Fills: the swaps a transaction's receipt reports, one per (transaction, log index).
Recording a fill again (a receipt processed twice) returns the stored one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from zippifi.domain import Fill
from zippifi.errors import ConflictError
from zippifi.store.repositories._base import Repository, upsert_insert
from zippifi.store.schema import fills
from zippifi.store.types import check_u256, normalize_hex, utcnow


def _fill(row: Row[Any]) -> Fill:
    return Fill(**row._mapping)


class FillRepository(Repository):
    async def record(
        self,
        *,
        transaction_id: int,
        log_index: int,
        token_in: str,
        token_out: str,
        amount_in: int,
        amount_out: int,
        fee: int = 0,
        pool: str | None = None,
        order_id: int | None = None,
    ) -> tuple[Fill, bool]:
        """A swap the receipt reports, keyed by (transaction, log index); ``(fill, created)``.
        Recording it again (a receipt processed twice) returns the stored fill."""
        values = {
            "transaction_id": transaction_id,
            "log_index": log_index,
            "order_id": order_id,
            "pool": None if pool is None else normalize_hex(pool, 20, "pool"),
            "token_in": normalize_hex(token_in, 20, "token_in"),
            "token_out": normalize_hex(token_out, 20, "token_out"),
            "amount_in": check_u256(amount_in, "amount_in"),
            "amount_out": check_u256(amount_out, "amount_out"),
            "fee": check_u256(fee, "fee"),
        }
        insert = (
            upsert_insert(self._scope, fills)
            .values(**values, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["transaction_id", "log_index"])
            .returning(*fills.c)
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(insert)).first()
            if row is not None:
                return _fill(row), True
            existing = _fill(
                (
                    await conn.execute(
                        select(fills).where(
                            fills.c.transaction_id == transaction_id,
                            fills.c.log_index == log_index,
                        )
                    )
                ).one()
            )
        if any(getattr(existing, k) != v for k, v in values.items()):
            raise ConflictError(
                f"fill (transaction {transaction_id}, log {log_index}) is stored with other values"
            )
        return existing, False

    async def for_transaction(self, transaction_id: int) -> list[Fill]:
        query = (
            select(fills)
            .where(fills.c.transaction_id == transaction_id)
            .order_by(fills.c.log_index)
        )
        async with self._scope.begin() as conn:
            return [_fill(r) for r in await conn.execute(query)]

    async def for_order(self, order_id: int) -> list[Fill]:
        query = select(fills).where(fills.c.order_id == order_id).order_by(fills.c.id)
        async with self._scope.begin() as conn:
            return [_fill(r) for r in await conn.execute(query)]
