"""On-chain transactions and the fills their receipts report.

A transaction is recorded as ``signed`` (its hash is known) *before* it is broadcast. Unique keys
make recovery after a crash exact: ``(chain_id, tx_hash)``, and one live transaction per
``(chain_id, sender, nonce)`` — replaced and dropped ones stay as history. Recording the same
transaction or fill twice returns the stored row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, select, update

from zippifi.errors import InvalidInputError
from zippifi.store.errors import ConflictError, InvalidTransitionError, NotFoundError
from zippifi.store.repositories._base import Repository, upsert_insert
from zippifi.store.schema import fills, transactions
from zippifi.store.types import check_u256, normalize_hex, utcnow

TxStatus = Literal["signed", "submitted", "mined", "reverted", "replaced", "dropped"]
TX_TRANSITIONS: dict[str, frozenset[str]] = {
    "signed": frozenset({"submitted", "mined", "reverted", "replaced", "dropped"}),
    "submitted": frozenset({"mined", "reverted", "replaced", "dropped"}),
    # a reorg can send a mined transaction back to the mempool
    "mined": frozenset({"submitted"}),
    "reverted": frozenset({"submitted"}),
}
IN_FLIGHT_TXS = ("signed", "submitted")


@dataclass(frozen=True, slots=True)
class ChainTransaction:
    id: int
    intent_id: int | None
    order_id: int | None
    chain_id: int
    sender: str
    nonce: int
    tx_hash: str
    raw_tx: str | None
    status: TxStatus
    gas_limit: int | None
    max_fee_per_gas: int | None
    max_priority_fee_per_gas: int | None
    block_number: int | None
    block_hash: str | None
    gas_used: int | None
    effective_gas_price: int | None
    error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Fill:
    id: int
    transaction_id: int
    order_id: int | None
    log_index: int
    pool: str | None
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    fee: int
    created_at: datetime


def _tx(row: Row[Any]) -> ChainTransaction:
    return ChainTransaction(**row._mapping)


def _fill(row: Row[Any]) -> Fill:
    return Fill(**row._mapping)


def _raw_hex(raw: bytes | str | None) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bytes | bytearray):
        return "0x" + bytes(raw).hex()
    if not raw.startswith("0x"):
        raise InvalidInputError("raw_tx must be bytes or 0x-prefixed hex")
    return raw.lower()


class TransactionRepository(Repository):
    async def record_signed(
        self,
        *,
        chain_id: int,
        sender: str,
        nonce: int,
        tx_hash: str,
        raw_tx: bytes | str | None = None,
        intent_id: int | None = None,
        order_id: int | None = None,
        gas_limit: int | None = None,
        max_fee_per_gas: int | None = None,
        max_priority_fee_per_gas: int | None = None,
    ) -> tuple[ChainTransaction, bool]:
        """Record a signed transaction before broadcasting it; ``(tx, created)``. The same hash
        again returns the stored one; another live transaction with this nonce is a
        ConflictError (mark the old one replaced first)."""
        if nonce < 0:
            raise InvalidInputError(f"nonce must be >= 0, got {nonce}")
        now = utcnow()
        values = {
            "chain_id": chain_id,
            "sender": normalize_hex(sender, 20, "sender"),
            "nonce": nonce,
            "tx_hash": normalize_hex(tx_hash, 32, "tx_hash"),
            "raw_tx": _raw_hex(raw_tx),
            "intent_id": intent_id,
            "order_id": order_id,
            "gas_limit": gas_limit,
            "max_fee_per_gas": None if max_fee_per_gas is None else check_u256(max_fee_per_gas),
            "max_priority_fee_per_gas": None
            if max_priority_fee_per_gas is None
            else check_u256(max_priority_fee_per_gas),
        }
        insert = (
            upsert_insert(self._scope, transactions)
            .values(**values, status="signed", created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["chain_id", "tx_hash"])
            .returning(*transactions.c)
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(insert)).first()
            if row is not None:
                return _tx(row), True
            existing = _tx((await conn.execute(self._by_hash(chain_id, tx_hash))).one())
        if (existing.sender, existing.nonce) != (values["sender"], nonce):
            raise ConflictError(
                f"transaction {tx_hash} on chain {chain_id} is stored with another sender/nonce"
            )
        return existing, False

    @staticmethod
    def _by_hash(chain_id: int, tx_hash: str) -> Any:
        return select(transactions).where(
            transactions.c.chain_id == chain_id,
            transactions.c.tx_hash == normalize_hex(tx_hash, 32, "tx_hash"),
        )

    async def by_hash(self, chain_id: int, tx_hash: str) -> ChainTransaction | None:
        async with self._scope.begin() as conn:
            row = (await conn.execute(self._by_hash(chain_id, tx_hash))).first()
        return None if row is None else _tx(row)

    async def by_nonce(self, chain_id: int, sender: str, nonce: int) -> list[ChainTransaction]:
        """Every transaction stored for this nonce, replaced ones included, oldest first."""
        query = (
            select(transactions)
            .where(
                transactions.c.chain_id == chain_id,
                transactions.c.sender == normalize_hex(sender, 20, "sender"),
                transactions.c.nonce == nonce,
            )
            .order_by(transactions.c.id)
        )
        async with self._scope.begin() as conn:
            return [_tx(r) for r in await conn.execute(query)]

    async def for_intent(self, intent_id: int) -> list[ChainTransaction]:
        query = (
            select(transactions)
            .where(transactions.c.intent_id == intent_id)
            .order_by(transactions.c.id)
        )
        async with self._scope.begin() as conn:
            return [_tx(r) for r in await conn.execute(query)]

    async def in_flight(self, chain_id: int, sender: str | None = None) -> list[ChainTransaction]:
        """Signed or submitted transactions, by sender and nonce: what to reconcile."""
        query = select(transactions).where(
            transactions.c.chain_id == chain_id, transactions.c.status.in_(IN_FLIGHT_TXS)
        )
        if sender is not None:
            query = query.where(transactions.c.sender == normalize_hex(sender, 20, "sender"))
        query = query.order_by(transactions.c.sender, transactions.c.nonce, transactions.c.id)
        async with self._scope.begin() as conn:
            return [_tx(r) for r in await conn.execute(query)]

    async def _move(
        self, chain_id: int, tx_hash: str, status: TxStatus, extra: Mapping[str, Any]
    ) -> ChainTransaction:
        async with self._scope.begin() as conn:
            current = (await conn.execute(self._by_hash(chain_id, tx_hash))).first()
            if current is None:
                raise NotFoundError(f"no transaction {tx_hash} on chain {chain_id}")
            old = current._mapping["status"]
            if status not in TX_TRANSITIONS.get(old, frozenset()):
                raise InvalidTransitionError(
                    f"transaction {tx_hash}: cannot go from {old!r} to {status!r}"
                )
            row = (
                await conn.execute(
                    update(transactions)
                    .where(transactions.c.id == current._mapping["id"])
                    .where(transactions.c.status == old)
                    .values(status=status, updated_at=utcnow(), **extra)
                    .returning(*transactions.c)
                )
            ).first()
        if row is None:
            raise InvalidTransitionError(f"transaction {tx_hash} changed status concurrently")
        return _tx(row)

    async def mark_submitted(self, chain_id: int, tx_hash: str) -> ChainTransaction:
        return await self._move(chain_id, tx_hash, "submitted", {})

    async def mark_mined(
        self,
        chain_id: int,
        tx_hash: str,
        *,
        success: bool,
        block_number: int,
        block_hash: str,
        gas_used: int,
        effective_gas_price: int,
    ) -> ChainTransaction:
        """The receipt: ``mined`` if it succeeded, ``reverted`` if not."""
        extra = {
            "block_number": block_number,
            "block_hash": normalize_hex(block_hash, 32, "block_hash"),
            "gas_used": gas_used,
            "effective_gas_price": check_u256(effective_gas_price, "effective_gas_price"),
        }
        return await self._move(chain_id, tx_hash, "mined" if success else "reverted", extra)

    async def mark_replaced(self, chain_id: int, tx_hash: str) -> ChainTransaction:
        return await self._move(chain_id, tx_hash, "replaced", {})

    async def mark_dropped(
        self, chain_id: int, tx_hash: str, *, error: str | None = None
    ) -> ChainTransaction:
        return await self._move(chain_id, tx_hash, "dropped", {"error": error})


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
