"""On-chain transactions, recorded as ``signed`` (hash and raw bytes known) *before* they are
broadcast.

Unique keys make recovery after a crash exact: ``(chain_id, tx_hash)``, and one live transaction
per ``(chain_id, sender, nonce)`` — replaced and dropped ones stay as history. Recording the same
transaction twice returns the stored row. Status changes follow
:data:`~zippifi.domain.TX_TRANSITIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select, tuple_, update

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


@dataclass(frozen=True, slots=True)
class _Signed:
    """What :meth:`TransactionRepository.record_signed` takes, for one transaction."""

    chain_id: int
    sender: str
    nonce: int
    tx_hash: str
    raw_tx: bytes | str | None = None
    intent_id: int | None = None
    order_id: int | None = None
    intent_ids: tuple[int, ...] = ()
    gas_limit: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None

    @classmethod
    def of(cls, signed: SignedTx) -> _Signed:
        tx = signed.tx
        return cls(
            chain_id=tx.chain_id, sender=signed.sender, nonce=tx.nonce, tx_hash=signed.hash_hex,
            raw_tx=signed.raw, intent_id=signed.intent_id, order_id=signed.order_id,
            intent_ids=signed.intent_ids, gas_limit=tx.gas, max_fee_per_gas=tx.max_fee_per_gas,
            max_priority_fee_per_gas=tx.max_priority_fee_per_gas, gas_price=tx.gas_price,
        )  # fmt: skip

    def values(self) -> dict[str, Any]:
        """The stored columns, each checked."""
        if self.nonce < 0:
            raise InvalidInputError(f"nonce must be >= 0, got {self.nonce}")
        fee, tip, price = self.max_fee_per_gas, self.max_priority_fee_per_gas, self.gas_price
        return {
            "chain_id": self.chain_id,
            "sender": normalize_hex(self.sender, 20, "sender"),
            "nonce": self.nonce,
            "tx_hash": normalize_hex(self.tx_hash, 32, "tx_hash"),
            "raw_tx": _raw_hex(self.raw_tx),
            "intent_id": first_intent(self.intent_id, self.intent_ids),
            "order_id": self.order_id,
            "gas_limit": self.gas_limit,
            "max_fee_per_gas": None if fee is None else check_u256(fee),
            "max_priority_fee_per_gas": None if tip is None else check_u256(tip),
            "gas_price": None if price is None else check_u256(price, "gas_price"),
        }


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
        (recorded,) = await self._record_many([_Signed(
            chain_id=chain_id, sender=sender, nonce=nonce, tx_hash=tx_hash, raw_tx=raw_tx,
            intent_id=intent_id, order_id=order_id, intent_ids=intent_ids, gas_limit=gas_limit,
            max_fee_per_gas=max_fee_per_gas, max_priority_fee_per_gas=max_priority_fee_per_gas,
            gas_price=gas_price,
        )])  # fmt: skip
        return recorded

    async def record(self, signed: SignedTx) -> tuple[ChainTransaction, bool]:
        """:meth:`record_signed` from the typed record the chain layer signs."""
        (recorded,) = await self.record_many([signed])
        return recorded

    async def record_many(self, batch: Sequence[SignedTx]) -> list[tuple[ChainTransaction, bool]]:
        """:meth:`record` of each, in one database transaction: one INSERT of the
        transactions, one of the intents they serve (and one read of any already stored)."""
        return await self._record_many([_Signed.of(s) for s in batch])

    async def _record_many(self, batch: Sequence[_Signed]) -> list[tuple[ChainTransaction, bool]]:
        if not batch:
            return []
        now = utcnow()
        rows = [{**s.values(), "status": "signed", "created_at": now, "updated_at": now}
                for s in batch]  # fmt: skip
        served = [serves(r["intent_id"], s.intent_ids) for r, s in zip(rows, batch, strict=True)]
        upsert = (
            upsert_insert(self._scope, transactions)
            .on_conflict_do_nothing(index_elements=["chain_id", "tx_hash"])
            .returning(*transactions.c)
        )
        async with self._scope.begin() as conn:
            # a conflict returns no row, so rows are matched by their hash, not their position
            new = {(r.chain_id, r.tx_hash): _tx(r) for r in await conn.execute(upsert, rows)}
            keys = [(r["chain_id"], r["tx_hash"]) for r in rows]
            links, linked = [], set()
            for key, intents in zip(keys, served, strict=True):
                if key in new and key not in linked:
                    linked.add(key)
                    links += [{"transaction_id": new[key].id, "position": i, "intent_id": intent}
                              for i, intent in enumerate(intents)]  # fmt: skip
            if links:
                await conn.execute(insert(transaction_intents), links)
            known = sorted({k for k in keys if k not in new})
            existing = {}
            if known:
                pair = tuple_(transactions.c.chain_id, transactions.c.tx_hash)
                query = select(transactions).where(pair.in_(known))
                existing = {(r.chain_id, r.tx_hash): _tx(r) for r in await conn.execute(query)}
            out: list[tuple[ChainTransaction, bool]] = []
            handed: set[tuple[int, str]] = set()
            for key, values in zip(keys, rows, strict=True):
                if key in new:
                    out.append((new[key], key not in handed))  # a repeat in the batch: stored
                    handed.add(key)
                    continue
                old = existing[key]
                if (old.sender, old.nonce) != (values["sender"], values["nonce"]):
                    raise ConflictError(
                        f"transaction {key[1]} on chain {key[0]} is stored with another "
                        "sender/nonce"
                    )
                out.append((old, False))
        return out

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
