"""Trade intents, stored before anything is signed.

An intent is stored under a caller-chosen idempotency key: storing the same intent twice (a
retry after a crash) returns the first one, so a trade is never doubled. Status changes are
compare-and-set along :data:`~zippifi.domain.INTENT_TRANSITIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, select, update

from zippifi.domain import (
    IN_FLIGHT_INTENTS,
    INTENT_TRANSITIONS,
    IntentStatus,
    TradeIntent,
    check_transition,
)
from zippifi.errors import ConflictError, InvalidInputError, InvalidTransitionError, NotFoundError
from zippifi.store.repositories._base import Repository, upsert_insert
from zippifi.store.schema import trade_intents
from zippifi.store.types import check_u256, normalize_hex, utcnow


def _intent(row: Row[Any]) -> TradeIntent:
    m = dict(row._mapping)
    m["params"] = dict(m["params"])
    return TradeIntent(**m)


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
            check_transition(f"trade intent {intent_id}", current, status, INTENT_TRANSITIONS)
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
