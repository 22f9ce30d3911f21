"""Orders: the route legs that carry out an intent, numbered from 0.

Status changes are compare-and-set along :data:`~zippifi.domain.ORDER_TRANSITIONS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select, update

from zippifi.domain import ORDER_TRANSITIONS, Order, OrderLeg, OrderStatus, check_transition
from zippifi.errors import InvalidInputError, InvalidTransitionError, NotFoundError
from zippifi.store.repositories._base import Repository
from zippifi.store.schema import orders
from zippifi.store.types import check_u256, normalize_hex, utcnow


def _order(row: Row[Any]) -> Order:
    return Order(**row._mapping)


class OrderRepository(Repository):
    async def add(self, intent_id: int, legs: Sequence[OrderLeg]) -> list[Order]:
        """The intent's route legs, numbered from 0, all in one transaction."""
        if not legs:
            raise InvalidInputError("an intent needs at least one order leg")
        now = utcnow()
        rows = [
            {
                "intent_id": intent_id,
                "leg": i,
                "venue": leg.venue,
                "pool": None if leg.pool is None else normalize_hex(leg.pool, 20, "pool"),
                "token_in": normalize_hex(leg.token_in, 20, "token_in"),
                "token_out": normalize_hex(leg.token_out, 20, "token_out"),
                "amount_in": check_u256(leg.amount_in, "amount_in"),
                "min_amount_out": check_u256(leg.min_amount_out, "min_amount_out"),
                "status": "pending",
                "created_at": now,
                "updated_at": now,
            }
            for i, leg in enumerate(legs)
        ]
        async with self._scope.begin() as conn:
            await conn.execute(orders.insert(), rows)
            result = await conn.execute(
                select(orders).where(orders.c.intent_id == intent_id).order_by(orders.c.leg)
            )
            return [_order(r) for r in result]

    async def for_intent(self, intent_id: int) -> list[Order]:
        query = select(orders).where(orders.c.intent_id == intent_id).order_by(orders.c.leg)
        async with self._scope.begin() as conn:
            return [_order(r) for r in await conn.execute(query)]

    async def get(self, order_id: int) -> Order:
        async with self._scope.begin() as conn:
            row = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
        if row is None:
            raise NotFoundError(f"no order with id {order_id}")
        return _order(row)

    async def transition(self, order_id: int, status: OrderStatus) -> Order:
        async with self._scope.begin() as conn:
            current = (
                await conn.execute(select(orders.c.status).where(orders.c.id == order_id))
            ).scalar()
            if current is None:
                raise NotFoundError(f"no order with id {order_id}")
            check_transition(f"order {order_id}", current, status, ORDER_TRANSITIONS)
            row = (
                await conn.execute(
                    update(orders)
                    .where(orders.c.id == order_id, orders.c.status == current)
                    .values(status=status, updated_at=utcnow())
                    .returning(*orders.c)
                )
            ).first()
        if row is None:
            raise InvalidTransitionError(f"order {order_id} changed status concurrently")
        return _order(row)
