"""On-chain transactions, recorded as ``signed`` (hash and raw bytes known) *before* they are
broadcast.

Unique keys make recovery after a crash exact: ``(chain_id, tx_hash)``, and one live transaction
per ``(chain_id, sender, nonce)`` — replaced and dropped ones stay as history. Recording the same
transaction twice returns the stored row. Status changes follow
:data:`~zippifi.domain.TX_TRANSITIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, insert, select, update

from zippifi.domain import (
    IN_FLIGHT_TXS,
    TX_TRANSITIONS,
    ChainTransaction,
    SignedTx,
    TxStatus,
    check_transition,
)
from zippifi.domain.transactions import first_intent, serves
from zippifi.errors import ConflictError, InvalidInputError, InvalidTransitionError, NotFoundError
from zippifi.store.repositories._base import Repository, upsert_insert
from zippifi.store.schema import transaction_intents, transactions
from zippifi.store.types import check_u256, normalize_hex, utcnow


def _tx(row: Row[Any]) -> ChainTransaction:
    return ChainTransaction(**row._mapping)


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
        intent_ids: tuple[int, ...] = (),
        gas_limit: int | None = None,
        max_fee_per_gas: int | None = None,
        max_priority_fee_per_gas: int | None = None,
        gas_price: int | None = None,
    ) -> tuple[ChainTransaction, bool]:
        """Record a signed transaction before broadcasting it; ``(tx, created)``. The same hash
        again returns the stored one; another live transaction with this nonce is a
        ConflictError (mark the old one replaced first). ``intent_ids``: every intent a batch
        transaction serves, in swap order (``intent_id`` is then the first)."""
        if nonce < 0:
            raise InvalidInputError(f"nonce must be >= 0, got {nonce}")
        intent_id = first_intent(intent_id, intent_ids)
        served = serves(intent_id, intent_ids)
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
            "gas_price": None if gas_price is None else check_u256(gas_price, "gas_price"),
        }
        upsert = (
            upsert_insert(self._scope, transactions)
            .values(**values, status="signed", created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["chain_id", "tx_hash"])
            .returning(*transactions.c)
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(upsert)).first()
            if row is not None:
                if served:
                    links = [{"transaction_id": row.id, "position": i, "intent_id": intent}
                             for i, intent in enumerate(served)]  # fmt: skip
                    await conn.execute(insert(transaction_intents), links)
                return _tx(row), True
            existing = _tx((await conn.execute(self._by_hash(chain_id, tx_hash))).one())
        if (existing.sender, existing.nonce) != (values["sender"], nonce):
            raise ConflictError(
                f"transaction {tx_hash} on chain {chain_id} is stored with another sender/nonce"
            )
        return existing, False

    async def record(self, signed: SignedTx) -> tuple[ChainTransaction, bool]:
        """:meth:`record_signed` from the typed record the chain layer signs."""
        tx = signed.tx
        return await self.record_signed(
            chain_id=tx.chain_id,
            sender=signed.sender,
            nonce=tx.nonce,
            tx_hash=signed.hash_hex,
            raw_tx=signed.raw,
            intent_id=signed.intent_id,
            order_id=signed.order_id,
            intent_ids=signed.intent_ids,
            gas_limit=tx.gas,
            max_fee_per_gas=tx.max_fee_per_gas,
            max_priority_fee_per_gas=tx.max_priority_fee_per_gas,
            gas_price=tx.gas_price,
        )

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
        """Every transaction that serves the intent, alone or in a batch, oldest first."""
        query = (
            select(transactions)
            .join(transaction_intents, transaction_intents.c.transaction_id == transactions.c.id)
            .where(transaction_intents.c.intent_id == intent_id)
            .order_by(transactions.c.id)
        )
        async with self._scope.begin() as conn:
            return [_tx(r) for r in await conn.execute(query)]

    async def intents_of(self, transaction_id: int) -> tuple[int, ...]:
        """The intents a transaction serves, in the order of its swaps."""
        query = (
            select(transaction_intents.c.intent_id)
            .where(transaction_intents.c.transaction_id == transaction_id)
            .order_by(transaction_intents.c.position)
        )
        async with self._scope.begin() as conn:
            return tuple(r.intent_id for r in await conn.execute(query))

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
            check_transition(f"transaction {tx_hash}", old, status, TX_TRANSITIONS)
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
