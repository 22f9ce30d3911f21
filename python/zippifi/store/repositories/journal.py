"""The record of what was signed: each signed transaction (raw bytes, hash, sender, nonce, fee
fields, the intent/order it serves) and its nonce's ``submitted`` mark, written in one database
transaction before any broadcast.

So after a crash at any point the store knows every transaction that may be on the wire and
holds the exact bytes to rebroadcast: nothing is ever re-signed with a new nonce to recover.
The nonce writes carry the nonce lease's fencing token like every other nonce write.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from zippifi.domain import ChainTransaction, SignedTx, TxStatus
from zippifi.errors import InvalidInputError
from zippifi.store.repositories._base import Repository, Scope
from zippifi.store.repositories.nonces import NonceRepository
from zippifi.store.repositories.transactions import TransactionRepository, _tx
from zippifi.store.schema import transactions
from zippifi.store.types import normalize_hex

# a rebroadcast or a reconciliation may find a transaction already past "submitted"
_BROADCAST_OR_LATER: frozenset[TxStatus] = frozenset({"submitted", "mined", "reverted"})


class SignedTxJournal(Repository):
    @classmethod
    def beside(cls, repository: Repository) -> SignedTxJournal:
        """A journal writing through the same scope (engine, or open transaction)."""
        return cls(repository._scope)

    async def record(
        self, batch: Sequence[SignedTx], *, fence: int, replacing: str | None = None
    ) -> list[ChainTransaction]:
        """Store the batch and mark each nonce submitted with its hash, all or nothing.
        ``replacing``: the hash of the live transaction a one-transaction batch replaces (a
        speed-up or cancel at the same nonce); it becomes ``replaced`` in the same commit."""
        if not batch:
            return []
        senders = {s.sender.lower() for s in batch}
        if len(senders) != 1 or len({s.chain_id for s in batch}) != 1:
            raise InvalidInputError("a journal batch holds one sender's transactions on one chain")
        if replacing is not None and len(batch) != 1:
            raise InvalidInputError("a replacement batch holds exactly one transaction")
        chain_id, sender = batch[0].chain_id, batch[0].sender
        async with self._scope.begin() as conn:
            inner = Scope(self._scope.engine, self._scope.partitions, conn)
            txs, nonces = TransactionRepository(inner), NonceRepository(inner)
            # the fence first: a stale holder writes nothing, and the account's head row is
            # locked before the records go in
            await nonces.mark_submitted_many(
                chain_id, sender, [(s.nonce, s.hash_hex) for s in batch], fence=fence
            )
            if replacing is not None:
                old = await txs.by_hash(chain_id, replacing)
                if old is not None and old.status in ("signed", "submitted"):
                    await txs.mark_replaced(chain_id, replacing)
            recorded = await txs.record_many(batch)
        return [row for row, _ in recorded]

    async def mark_broadcast(self, chain_id: int, tx_hash: str) -> ChainTransaction | None:
        """The node has the transaction: ``signed`` -> ``submitted``. Idempotent (a later
        status is left alone); None if the journal never recorded this hash."""
        txs = TransactionRepository(self._scope)
        current = await txs.by_hash(chain_id, tx_hash)
        if current is None or current.status in _BROADCAST_OR_LATER:
            return current
        return await txs.mark_submitted(chain_id, tx_hash)

    async def mark_mined(
        self, chain_id: int, tx_hash: str, *, success: bool, block_number: int, block_hash: str,
        gas_used: int, effective_gas_price: int,
    ) -> ChainTransaction | None:  # fmt: skip
        """The receipt is in: ``mined`` (or ``reverted``); idempotent, None if never recorded."""
        txs = TransactionRepository(self._scope)
        current = await txs.by_hash(chain_id, tx_hash)
        if current is None or current.status in ("mined", "reverted"):
            return current
        if current.status == "signed":
            await txs.mark_submitted(chain_id, tx_hash)
        return await txs.mark_mined(chain_id, tx_hash, success=success, block_number=block_number,
                                    block_hash=block_hash, gas_used=gas_used,
                                    effective_gas_price=effective_gas_price)  # fmt: skip

    async def get(self, chain_id: int, tx_hash: str) -> ChainTransaction | None:
        return await TransactionRepository(self._scope).by_hash(chain_id, tx_hash)

    async def unbroadcast(self, chain_id: int, sender: str) -> list[ChainTransaction]:
        """Recorded but not yet known to have reached a node (status ``signed``), by nonce."""
        query = (
            select(transactions)
            .where(
                transactions.c.chain_id == chain_id,
                transactions.c.sender == normalize_hex(sender, 20, "sender"),
                transactions.c.status == "signed",
            )
            .order_by(transactions.c.nonce, transactions.c.id)
        )
        async with self._scope.begin() as conn:
            return [_tx(r) for r in await conn.execute(query)]
