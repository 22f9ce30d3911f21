"""Per-account nonces: one owner at a time, persisted in the store, reconciled with the chain.

A :class:`NonceManager` holds the account's fenced lock (:mod:`zippifi.store.locks`) while it
runs and passes the lock's fencing token with every write to the store's NonceRepository, so
two daemons can never hand out the same nonce, and one whose lease lapsed cannot write over its
successor. Nonces are persisted as they are reserved and, with the transaction hash, before
the transaction is sent, so a restarted process knows exactly what was in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from types import TracebackType

from zippifi.chain.adapter import ChainAdapter
from zippifi.domain import ChainTransaction, SignedTx
from zippifi.errors import LeaseLostError, NonceError
from zippifi.log import get_logger
from zippifi.sign import to_checksum_address
from zippifi.store import (
    Lease,
    LockLostError,
    LockManager,
    NonceReconciliation,
    NonceRecord,
    NonceRepository,
    SignedTxJournal,
    StaleFencingTokenError,
    nonce_lock_name,
)

log = get_logger(__name__)


class NonceManager:
    """Hands out an account's nonces on one chain. Use ``async with`` (or start/stop)."""

    def __init__(
        self,
        adapter: ChainAdapter,
        repository: NonceRepository,
        locks: LockManager,
        account: str,
        *,
        lock_ttl_s: float | None = None,
        lock_wait_s: float = 0.0,
    ) -> None:
        self.adapter = adapter
        self.repository = repository
        # the record of what was signed, written through the same store as the nonces
        self.journal = SignedTxJournal.beside(repository)
        self.locks = locks
        self.account = to_checksum_address(account)
        self.chain_id = adapter.chain_id
        self._lock_ttl_s = lock_ttl_s
        self._lock_wait_s = lock_wait_s
        self._lease: Lease | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._lost: BaseException | None = None
        self._mutex = asyncio.Lock()  # orders this process's reservations
        self._floor = 0  # the chain's nonce at the last reconciliation

    @property
    def fence(self) -> int:
        """The fencing token of the lease; LeaseLostError once the lease is gone."""
        if self._lost is not None:
            raise LeaseLostError(
                f"nonce lease of {self.account} on chain {self.chain_id} was lost: {self._lost}"
            )
        if self._lease is None:
            raise NonceError(f"nonce manager of {self.account} is not started")
        return self._lease.token

    def ensure_held(self) -> None:
        """Before a broadcast: LeaseLostError unless the lease is still ours by this process's
        own clock. A process paused past its lease (SIGSTOP, a stalled VM) finds it expired
        here before its renewer has had a chance to learn that another holder took over, so
        it never sends for an account it no longer owns."""
        _ = self.fence  # raises once lost
        assert self._lease is not None
        if time.monotonic() >= self._lease.expires_at:
            self._lost = LockLostError(
                f"lock {self._lease.name!r} (token {self._lease.token}) expired at this "
                "process's clock"
            )
            raise LeaseLostError(
                f"nonce lease of {self.account} on chain {self.chain_id} expired; not sending"
            )

    async def start(self) -> NonceReconciliation:
        """Take the account's lock and reconcile with the chain; the report says what is still
        in flight from before (a restart) for the submitter to resolve."""
        # Tokens must keep rising from the store's point of view, even if the lock backend
        # lost its counter (an in-process lock after a restart, a Redis flush).
        seen = await self.repository.fence_token(self.chain_id, self.account)
        name = nonce_lock_name(self.chain_id, self.account)
        self._lease = await self.locks.acquire(
            name, ttl_s=self._lock_ttl_s, wait_s=self._lock_wait_s, floor=seen
        )
        self._lost = None
        self._renewer = asyncio.create_task(self._renew_forever(), name=f"renew {name}")
        return await self.reconcile()

    async def stop(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        if self._lease is not None:
            await self.locks.release(self._lease)
            self._lease = None

    async def __aenter__(self) -> NonceManager:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.stop()

    async def _renew_forever(self) -> None:
        while self._lease is not None:
            await asyncio.sleep(self._lease.ttl_s / 3)
            try:
                self._lease = await self.locks.renew(self._lease)
            except LockLostError as exc:
                self._lost = exc
                log.error("nonce lease lost", account=self.account, chain_id=self.chain_id)
                return
            except Exception as exc:  # a flaky lock backend: retry until the lease runs out
                log.warning("nonce lease renewal failed", error=str(exc))

    def _fenced(self, exc: StaleFencingTokenError) -> LeaseLostError:
        self._lost = exc
        return LeaseLostError(f"nonce write for {self.account} refused: {exc}")

    async def chain_nonce(self) -> int:
        """The account's transaction count in the latest block (nonces below it are used)."""
        return await self.adapter.get_transaction_count(self.account, "latest")

    async def reconcile(self) -> NonceReconciliation:
        """Align the store with the chain: nonces the chain has used become confirmed; the
        report lists what is still reserved / submitted and any free gaps."""
        async with self._mutex:
            chain_nonce = await self.chain_nonce()
            try:
                report = await self.repository.reconcile(
                    self.chain_id, self.account, chain_nonce, fence=self.fence
                )
            except StaleFencingTokenError as exc:
                raise self._fenced(exc) from exc
            self._floor = chain_nonce
        if report.gaps:
            log.info("nonce gaps", account=self.account, gaps=report.gaps)
        return report

    async def reserve(self) -> int:
        """The next nonce: a released one first (so no gap stays open), else a new one."""
        async with self._mutex:
            try:
                return await self.repository.reserve(
                    self.chain_id, self.account, fence=self.fence, chain_nonce=self._floor
                )
            except StaleFencingTokenError as exc:
                raise self._fenced(exc) from exc

    async def reserve_many(self, count: int) -> list[int]:
        """``count`` nonces, lowest released ones first, in one store transaction."""
        async with self._mutex:
            try:
                return await self.repository.reserve_many(
                    self.chain_id, self.account, count, fence=self.fence, chain_nonce=self._floor
                )
            except StaleFencingTokenError as exc:
                raise self._fenced(exc) from exc

    async def mark_submitted(self, nonce: int, tx_hash: bytes) -> NonceRecord:
        """Record the hash of the signed transaction carrying ``nonce`` (before sending it,
        so a crash after the send still knows what to look for)."""
        try:
            return await self.repository.mark_submitted(
                self.chain_id, self.account, nonce, "0x" + tx_hash.hex(), fence=self.fence
            )
        except StaleFencingTokenError as exc:
            raise self._fenced(exc) from exc

    async def record_signed(
        self, batch: Sequence[SignedTx], *, replacing: bytes | None = None
    ) -> list[ChainTransaction]:
        """Before any of ``batch`` is broadcast: store each signed transaction and mark its
        nonce submitted, in one database transaction under the lease's fence. ``replacing``:
        the hash of the transaction a one-transaction batch replaces at the same nonce."""
        try:
            return await self.journal.record(
                batch,
                fence=self.fence,
                replacing=None if replacing is None else "0x" + replacing.hex(),
            )
        except StaleFencingTokenError as exc:
            raise self._fenced(exc) from exc

    async def mark_broadcast(self, tx_hash: bytes) -> None:
        """A node has the transaction: its record moves from signed to submitted."""
        await self.journal.mark_broadcast(self.chain_id, "0x" + tx_hash.hex())

    async def release(self, nonce: int) -> NonceRecord:
        """Give back a reserved nonce no transaction was signed with."""
        try:
            return await self.repository.release(
                self.chain_id, self.account, nonce, fence=self.fence
            )
        except StaleFencingTokenError as exc:
            raise self._fenced(exc) from exc

    async def in_flight(self) -> list[NonceRecord]:
        return await self.repository.in_flight(self.chain_id, self.account)
