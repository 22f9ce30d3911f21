"""Trade intents and the orders (route legs) that carry them out.

An intent is stored *before* anything is signed, under a caller-chosen idempotency key: storing
the same intent twice (a retry after a crash) returns the first one, so a trade is never
doubled. Status changes are compare-and-set along the allowed transitions below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, select, update

from zippifi.errors import InvalidInputError
from zippifi.store.errors import ConflictError, InvalidTransitionError, NotFoundError
from zippifi.store.repositories._base import Repository, upsert_insert
from zippifi.store.schema import orders, trade_intents
from zippifi.store.types import check_u256, normalize_hex, utcnow

IntentStatus = Literal[
    "pending", "approved", "rejected", "submitted", "filled", "failed", "cancelled"
]
OrderStatus = Literal["pending", "submitted", "filled", "failed", "cancelled"]

INTENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "rejected", "cancelled"}),
    "approved": frozenset({"submitted", "failed", "cancelled"}),
    "submitted": frozenset({"filled", "failed"}),
}
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"submitted", "cancelled", "failed"}),
    "submitted": frozenset({"filled", "failed"}),
}
# Intents that may have work on the chain: reconcile these after a restart.
IN_FLIGHT_INTENTS: tuple[IntentStatus, ...] = ("approved", "submitted")


@dataclass(frozen=True, slots=True)
class TradeIntent:
    id: int
    idempotency_key: str
    strategy_id: int
    account_id: int
    chain_id: int
    token_in: str
    token_out: str
    amount_in: int
    min_amount_out: int
    status: IntentStatus
    reason: str | None
    params: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OrderLeg:
    """One leg of a route, as the execution layer plans it."""

    venue: str
    token_in: str
    token_out: str
    amount_in: int
    min_amount_out: int
    pool: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    intent_id: int
    leg: int
    venue: str
    pool: str | None
    token_in: str
    token_out: str
    amount_in: int
    min_amount_out: int
    status: OrderStatus
    created_at: datetime
    updated_at: datetime


def _intent(row: Row[Any]) -> TradeIntent:
    m = dict(row._mapping)
    m["params"] = dict(m["params"])
    return TradeIntent(**m)


def _order(row: Row[Any]) -> Order:
    return Order(**row._mapping)


def _check_transition(
    table: str, ident: int, current: str, new: str, allowed: Mapping[str, frozenset[str]]
) -> None:
    if new not in allowed.get(current, frozenset()):
        raise InvalidTransitionError(f"{table} {ident}: cannot go from {current!r} to {new!r}")


class IntentRepository(Repository):
    async def create(
        self,
        *,
        idempotency_key: str,
        strategy_id: int,
        account_id: int,
        chain_id: int,
        token_in: str,
        token_out: str,
        amount_in: int,
        min_amount_out: int,
        params: Mapping[str, Any] | None = None,
    ) -> tuple[TradeIntent, bool]:
        """Store a pending intent; ``(intent, created)``. The same key again returns the stored
        intent with ``created=False``, or raises ConflictError if its content differs."""
        if not idempotency_key:
            raise InvalidInputError("idempotency_key must not be empty")
        values = {
            "idempotency_key": idempotency_key,
            "strategy_id": strategy_id,
            "account_id": account_id,
            "chain_id": chain_id,
            "token_in": normalize_hex(token_in, 20, "token_in"),
            "token_out": normalize_hex(token_out, 20, "token_out"),
            "amount_in": check_u256(amount_in, "amount_in"),
            "min_amount_out": check_u256(min_amount_out, "min_amount_out"),
            "params": dict(params or {}),
        }
        now = utcnow()
        insert = (
            upsert_insert(self._scope, trade_intents)
            .values(**values, status="pending", reason=None, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(*trade_intents.c)
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(insert)).first()
            if row is not None:
                return _intent(row), True
            existing = (
                await conn.execute(
                    select(trade_intents).where(trade_intents.c.idempotency_key == idempotency_key)
                )
            ).one()
        intent = _intent(existing)
        differing = [k for k, v in values.items() if getattr(intent, k) != v]
        if differing:
            raise ConflictError(
                f"idempotency key {idempotency_key!r} is taken by intent {intent.id} "
                f"with other {', '.join(differing)}"
            )
        return intent, False

    async def get(self, intent_id: int) -> TradeIntent:
        async with self._scope.begin() as conn:
            row = (
                await conn.execute(select(trade_intents).where(trade_intents.c.id == intent_id))
            ).first()
        if row is None:
            raise NotFoundError(f"no trade intent with id {intent_id}")
        return _intent(row)

    async def by_key(self, idempotency_key: str) -> TradeIntent | None:
        query = select(trade_intents).where(trade_intents.c.idempotency_key == idempotency_key)
        async with self._scope.begin() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _intent(row)

    async def search(
        self,
        *,
        status: IntentStatus | Sequence[IntentStatus] | None = None,
        strategy_id: int | None = None,
        chain_id: int | None = None,
    ) -> list[TradeIntent]:
        query = select(trade_intents).order_by(trade_intents.c.id)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            query = query.where(trade_intents.c.status.in_(statuses))
        if strategy_id is not None:
            query = query.where(trade_intents.c.strategy_id == strategy_id)
        if chain_id is not None:
            query = query.where(trade_intents.c.chain_id == chain_id)
        async with self._scope.begin() as conn:
            return [_intent(r) for r in await conn.execute(query)]

    async def in_flight(self, chain_id: int | None = None) -> list[TradeIntent]:
        """Approved or submitted intents: after a restart, reconcile these with the chain."""
        return await self.search(status=IN_FLIGHT_INTENTS, chain_id=chain_id)

    async def transition(
        self,
        intent_id: int,
        status: IntentStatus,
        *,
        reason: str | None = None,
        amount_in: int | None = None,
        min_amount_out: int | None = None,
    ) -> TradeIntent:
        """Move to ``status`` if the current status allows it (InvalidTransitionError if not);
        risk may resize (``amount_in``, ``min_amount_out``) when approving."""
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if reason is not None:
            values["reason"] = reason
        if amount_in is not None or min_amount_out is not None:
            if status != "approved":
                raise InvalidInputError("only an approval may resize an intent")
            if amount_in is not None:
                values["amount_in"] = check_u256(amount_in, "amount_in")
            if min_amount_out is not None:
                values["min_amount_out"] = check_u256(min_amount_out, "min_amount_out")
        async with self._scope.begin() as conn:
            current = (
                await conn.execute(
                    select(trade_intents.c.status).where(trade_intents.c.id == intent_id)
                )
            ).scalar()
            if current is None:
                raise NotFoundError(f"no trade intent with id {intent_id}")
            _check_transition("trade intent", intent_id, current, status, INTENT_TRANSITIONS)
            row = (
                await conn.execute(
                    update(trade_intents)
                    .where(trade_intents.c.id == intent_id, trade_intents.c.status == current)
                    .values(**values)
                    .returning(*trade_intents.c)
                )
            ).first()
        if row is None:  # another writer moved it between our read and write
            raise InvalidTransitionError(f"trade intent {intent_id} changed status concurrently")
        return _intent(row)


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
            _check_transition("order", order_id, current, status, ORDER_TRANSITIONS)
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
