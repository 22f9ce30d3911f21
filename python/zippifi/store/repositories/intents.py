"""Trade intents, stored before anything is signed, and every change of their status.

An intent is stored under its proposer's idempotency key: storing the same proposal twice (a
retry after a crash) returns the first intent, so a trade is never doubled. Status changes are
compare-and-set along :data:`~zippifi.domain.INTENT_TRANSITIONS`, each written together with an
``intent_events`` row saying when and why: one at a time (:meth:`IntentRepository.transition`),
or a stage's whole batch in three statements (:meth:`IntentRepository.transition_many`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from zippifi.domain import (
    IN_FLIGHT_INTENTS,
    INTENT_KINDS,
    INTENT_STATUSES,
    INTENT_TRANSITIONS,
    MAX_SLIPPAGE_BPS,
    URGENCIES,
    IntentEvent,
    IntentProposal,
    IntentStatus,
    TradeIntent,
    check_transition,
)
from zippifi.errors import ConflictError, InvalidInputError, InvalidTransitionError, NotFoundError
from zippifi.store.repositories._base import Repository
from zippifi.store.schema import intent_events, trade_intents
from zippifi.store.types import check_u256, normalize_hex, utcnow

# the statuses whose move may also set the amounts sent to the vault
_AMOUNT_SETTERS = frozenset({"resized", "routed"})


@dataclass(frozen=True, slots=True)
class IntentMove:
    """One status change for :meth:`IntentRepository.transition_many`; the fields are
    :meth:`IntentRepository.transition`'s arguments."""

    intent_id: int
    status: IntentStatus
    cause: str | None = None
    amount_in: int | None = None
    min_amount_out: int | None = None
    expect: IntentStatus | None = None


def _intent(row: Row[Any]) -> TradeIntent:
    m = dict(row._mapping)
    m["params"] = dict(m["params"])
    return TradeIntent(**m)


def _event(row: Row[Any]) -> IntentEvent:
    return IntentEvent(**row._mapping)


def _values(p: IntentProposal) -> dict[str, Any]:
    """The stored columns of a proposal, each checked (the message names the field)."""
    if not isinstance(p.idempotency_key, str) or not p.idempotency_key:
        raise InvalidInputError("idempotency_key must be a non-empty string")
    if not isinstance(p.proposer, str) or not p.proposer:
        raise InvalidInputError("proposer must be a non-empty string (e.g. 'strategy:3')")
    if p.kind not in INTENT_KINDS:
        raise InvalidInputError(f"kind must be one of {INTENT_KINDS}, got {p.kind!r}")
    if p.urgency not in URGENCIES:
        raise InvalidInputError(f"urgency must be one of {URGENCIES}, got {p.urgency!r}")
    bps = p.slippage_bps
    if not isinstance(bps, int) or isinstance(bps, bool) or not 0 <= bps <= MAX_SLIPPAGE_BPS:
        raise InvalidInputError(
            f"slippage_bps must be an int in 0..{MAX_SLIPPAGE_BPS}, got {bps!r}"
        )
    amount = check_u256(p.amount, "amount")
    return {
        "idempotency_key": p.idempotency_key,
        "proposer": p.proposer,
        "strategy_id": p.strategy_id,
        "account_id": p.account_id,
        "chain_id": p.chain_id,
        "token_in": normalize_hex(p.token_in, 20, "token_in"),
        "token_out": normalize_hex(p.token_out, 20, "token_out"),
        "kind": p.kind,
        "amount": amount,
        "slippage_bps": bps,
        "deadline": p.deadline,
        "urgency": p.urgency,
        "reason": p.reason,
        "params": dict(p.params),
    }


def _amounts(status: str, amount_in: int | None, min_amount_out: int | None) -> dict[str, int]:
    """The amounts a move sets, checked: only a resize or a route may set them."""
    values: dict[str, int] = {}
    if amount_in is not None or min_amount_out is not None:
        if status not in _AMOUNT_SETTERS:
            raise InvalidInputError("only a resize or a route may set an intent's amounts")
        if amount_in is not None:
            values["amount_in"] = check_u256(amount_in, "amount_in")
        if min_amount_out is not None:
            values["min_amount_out"] = check_u256(min_amount_out, "min_amount_out")
    return values


def _check_move(intent_id: int, current: str, status: str, expect: str | None) -> None:
    if expect is not None and current != expect:
        raise InvalidTransitionError(
            f"trade intent {intent_id}: expected {expect!r}, found {current!r}"
        )
    check_transition(f"trade intent {intent_id}", current, status, INTENT_TRANSITIONS)


# Statements built once: on SQLite building one costs about what running it does; each call
# brings only its parameters.
_LOG = insert(intent_events)
_READ_STATUSES = select(trade_intents.c.id, trade_intents.c.status).where(
    trade_intents.c.id.in_(bindparam("ids", expanding=True))
)


@functools.cache
def _create_statement(dialect: str) -> Any:
    """Store a proposal unless its idempotency key is taken (then no row comes back)."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        dialect_insert(trade_intents)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(*trade_intents.c)
    )


# intents per compare-and-set UPDATE (each takes 6 parameters; SQLite allows 32,766)
_CAS_CHUNK = 256


@functools.lru_cache(maxsize=64)
def _compare_and_set(n: int) -> Any:
    """The UPDATE moving ``n`` intents at once, each to its own values, only where its status
    is still the one read (``i<k>``: id, ``o<k>``: status read, ``s<k>``/``c<k>``: new status
    and cause, ``a<k>``/``m<k>``: new amounts, NULL to keep). Built once per size: building
    it is what costs, its parameters are cheap."""
    c = trade_intents.c
    ids = [bindparam(f"i{k}", type_=c.id.type) for k in range(n)]

    def per_id(prefix: str, column: Any) -> Any:
        whens = [(ids[k], bindparam(f"{prefix}{k}", type_=column.type)) for k in range(n)]
        return case(*whens, value=c.id)

    return (
        update(trade_intents)
        .where(c.id.in_(ids), c.status == per_id("o", c.status))
        .values(
            status=per_id("s", c.status),
            status_cause=per_id("c", c.status_cause),
            amount_in=func.coalesce(per_id("a", c.amount_in), c.amount_in),
            min_amount_out=func.coalesce(per_id("m", c.min_amount_out), c.min_amount_out),
            updated_at=bindparam("at", type_=c.updated_at.type),
        )
        .returning(*trade_intents.c)
    )


class IntentRepository(Repository):
    async def create(self, proposal: IntentProposal) -> tuple[TradeIntent, bool]:
        """Store a proposed intent; ``(intent, created)``. The same key again returns the stored
        intent with ``created=False``, or raises ConflictError if its content differs."""
        values = _values(proposal)
        now = utcnow()
        exact_in = proposal.kind == "exact_in"
        row_values = {**values, "amount_in": values["amount"] if exact_in else 0,
                      "min_amount_out": 0, "status": "proposed", "status_cause": None,
                      "created_at": now, "updated_at": now}  # fmt: skip
        async with self._scope.begin() as conn:
            insert = _create_statement(self._scope.dialect)
            row = (await conn.execute(insert, row_values)).first()
            if row is not None:
                created = _intent(row)
                await self._log(conn, created.id, None, "proposed", "proposed", now)
                return created, True
            key = trade_intents.c.idempotency_key == proposal.idempotency_key
            existing = (await conn.execute(select(trade_intents).where(key))).one()
        intent = _intent(existing)
        differing = [k for k, v in values.items() if getattr(intent, k) != v]
        if differing:
            raise ConflictError(
                f"idempotency key {proposal.idempotency_key!r} is taken by intent {intent.id} "
                f"with other {', '.join(differing)}"
            )
        return intent, False

    async def _log(
        self, conn: AsyncConnection, intent_id: int, old: str | None, new: str,
        cause: str | None, at: Any,
    ) -> None:  # fmt: skip
        await conn.execute(_LOG, {"intent_id": intent_id, "from_status": old, "to_status": new,
                                  "cause": cause, "at": at})  # fmt: skip

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
        account_id: int | None = None,
        proposer: str | None = None,
    ) -> list[TradeIntent]:
        query = select(trade_intents).order_by(trade_intents.c.id)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            unknown = set(statuses) - set(INTENT_STATUSES)
            if unknown:
                raise InvalidInputError(f"unknown intent status {sorted(unknown)}")
            query = query.where(trade_intents.c.status.in_(statuses))
        for column, value in (("strategy_id", strategy_id), ("chain_id", chain_id),
                              ("account_id", account_id), ("proposer", proposer)):  # fmt: skip
            if value is not None:
                query = query.where(trade_intents.c[column] == value)
        async with self._scope.begin() as conn:
            return [_intent(r) for r in await conn.execute(query)]

    async def in_flight(self, chain_id: int | None = None) -> list[TradeIntent]:
        """Intents not yet in a terminal status: after a restart, resume or reconcile these."""
        return await self.search(status=IN_FLIGHT_INTENTS, chain_id=chain_id)

    async def events(self, intent_id: int) -> list[IntentEvent]:
        """The intent's status changes, oldest first."""
        query = (
            select(intent_events)
            .where(intent_events.c.intent_id == intent_id)
            .order_by(intent_events.c.id)
        )
        async with self._scope.begin() as conn:
            return [_event(r) for r in await conn.execute(query)]

    async def transition(
        self,
        intent_id: int,
        status: IntentStatus,
        *,
        cause: str | None = None,
        amount_in: int | None = None,
        min_amount_out: int | None = None,
        expect: IntentStatus | None = None,
    ) -> TradeIntent:
        """Move to ``status`` if the current status allows it (InvalidTransitionError if not,
        or if it is not ``expect`` when given), recording the change and its cause. A move to
        ``resized`` (risk) or ``routed`` (the route's exact quote) may set the amounts."""
        now = utcnow()
        values: dict[str, Any] = {"status": status, "status_cause": cause, "updated_at": now,
                                  **_amounts(status, amount_in, min_amount_out)}  # fmt: skip
        async with self._scope.begin() as conn:
            current = (
                await conn.execute(
                    select(trade_intents.c.status).where(trade_intents.c.id == intent_id)
                )
            ).scalar()
            if current is None:
                raise NotFoundError(f"no trade intent with id {intent_id}")
            _check_move(intent_id, current, status, expect)
            row = (
                await conn.execute(
                    update(trade_intents)
                    .where(trade_intents.c.id == intent_id, trade_intents.c.status == current)
                    .values(**values)
                    .returning(*trade_intents.c)
                )
            ).first()
            if row is None:  # another writer moved it between our read and write
                raise InvalidTransitionError(
                    f"trade intent {intent_id} changed status concurrently"
                )
            await self._log(conn, intent_id, current, status, cause, now)
        return _intent(row)

    async def transition_many(self, moves: Sequence[IntentMove]) -> list[TradeIntent]:
        """Every move, in order, as :meth:`transition` would make them one after another in one
        database transaction, all or nothing: an illegal move (or an unknown intent, or bad
        amounts) raises before anything is written. Several moves of one intent chain (each
        from the status the previous one left). Three statements whatever the count: one read,
        one compare-and-set UPDATE of every intent from the status read (InvalidTransitionError
        if another writer moved one meanwhile), one INSERT of the events. The intents as they
        end, in the order they first appear in ``moves``."""
        if not moves:
            return []
        now = utcnow()
        ids = list(dict.fromkeys(m.intent_id for m in moves))
        async with self._scope.begin() as conn:
            rows = await conn.execute(_READ_STATUSES, {"ids": ids})
            found: dict[int, str] = {r.id: r.status for r in rows}
            status = dict(found)
            final: dict[int, dict[str, Any]] = {}
            events = []
            for m in moves:
                amounts = _amounts(m.status, m.amount_in, m.min_amount_out)
                current = status.get(m.intent_id)
                if current is None:
                    raise NotFoundError(f"no trade intent with id {m.intent_id}")
                _check_move(m.intent_id, current, m.status, m.expect)
                status[m.intent_id] = m.status
                final.setdefault(m.intent_id, {}).update(
                    amounts, status=m.status, status_cause=m.cause
                )
                events.append({"intent_id": m.intent_id, "from_status": current,
                               "to_status": m.status, "cause": m.cause, "at": now})  # fmt: skip
            changed = await self._compare_and_set(conn, found, final, now)
            if len(changed) < len(ids):  # another writer moved these between read and write
                raise InvalidTransitionError(
                    "trade intents "
                    f"{', '.join(str(i) for i in ids if i not in changed)} changed status "
                    "concurrently"
                )
            await conn.execute(_LOG, events)
        return [changed[i] for i in ids]

    @staticmethod
    async def _compare_and_set(
        conn: AsyncConnection, found: dict[int, str], final: dict[int, dict[str, Any]], at: Any
    ) -> dict[int, TradeIntent]:
        """Each intent to its final values where its status is still the one read; the
        intents changed, by id. (Not an executemany: asyncpg reports no rowcount for one.)"""
        changed: dict[int, TradeIntent] = {}
        ids = list(final)
        for start in range(0, len(ids), _CAS_CHUNK):
            chunk = ids[start : start + _CAS_CHUNK]
            params: dict[str, Any] = {"at": at}
            for k, i in enumerate(chunk):
                v = final[i]
                params.update({f"i{k}": i, f"o{k}": found[i], f"s{k}": v["status"],
                               f"c{k}": v["status_cause"], f"a{k}": v.get("amount_in"),
                               f"m{k}": v.get("min_amount_out")})  # fmt: skip
            rows = await conn.execute(_compare_and_set(len(chunk)), params)
            changed.update((row.id, _intent(row)) for row in rows)
        return changed
