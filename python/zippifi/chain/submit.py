"""Submission: simulate, sign in one batch, persist, send concurrently in nonce order, retry.

Every request is first run with eth_call (a revert is a :class:`TxRevertedError` that cost no
gas) and its gas estimated; the batch is signed in one call to the Rust signer
(``Signer.sign_transactions``); each nonce is stored with its transaction hash *before* the
send, so a crash at any point leaves a record of what may be on the wire. Sends go out
concurrently, each waiting for its predecessor when the node says "nonce too high", retried
with backoff on transient errors, and idempotent by hash: re-sending the same bytes is
harmless, "already known" is success, and "nonce too low" after a lost answer is success if
the node has our hash.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from zippifi.chain.adapter import ChainAdapter
from zippifi.chain.backoff import Backoff
from zippifi.chain.gas import Fees, GasOracle, Urgency, fees_of
from zippifi.chain.nonces import NonceManager
from zippifi.chain.rpc_errors import SendOutcome, send_outcome
from zippifi.errors import (
    ChainError,
    InsufficientFundsError,
    InvalidInputError,
    NonceError,
    PermanentTxError,
    RpcError,
    TransientRpcError,
    TxRevertedError,
)
from zippifi.log import get_logger
from zippifi.sign import Signer, to_checksum_address
from zippifi.store.repositories.nonces import NonceReconciliation

log = get_logger(__name__)
T = TypeVar("T")
TRANSFER_GAS = 21_000


@dataclass(frozen=True, slots=True)
class TxRequest:
    """What to send; ``to=None`` creates a contract. ``gas=None``: estimated, plus margin."""

    to: str | None
    value: int = 0
    data: bytes = b""
    gas: int | None = None
    urgency: Urgency = "normal"
    # eth_call first; turn off only for a request that depends on an earlier one in the same
    # batch (an approve then a swap), whose simulation would fail before the first is mined
    simulate: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.value, int) or isinstance(self.value, bool) or self.value < 0:
            raise InvalidInputError(f"value must be an int >= 0 (wei), got {self.value!r}")
        if not isinstance(self.data, bytes):
            raise InvalidInputError(f"data must be bytes, got {type(self.data).__name__}")
        if self.gas is not None and (not isinstance(self.gas, int) or self.gas < TRANSFER_GAS):
            raise InvalidInputError(f"gas must be an int >= {TRANSFER_GAS}, got {self.gas!r}")
        if self.to is not None:
            try:
                to_checksum_address(self.to)
            except (ValueError, TypeError):
                raise InvalidInputError(f"to: not an address: {self.to!r}") from None


@dataclass(frozen=True, slots=True)
class SentTx:
    """A signed transaction handed to the node. ``error`` is set when sending it failed for
    good (its nonce was then filled with a no-op so later ones are not stuck)."""

    nonce: int
    tx_hash: bytes
    raw: bytes
    fields: Mapping[str, Any]
    error: ChainError | None = field(default=None, compare=False)

    @property
    def fees(self) -> Fees:
        return fees_of(self.fields)


@dataclass(frozen=True, slots=True)
class Recovery:
    """What :meth:`Submitter.recover` found in flight and did about it."""

    pending: list[int]  # submitted earlier and known to the node (pending or mined)
    released: list[int]  # reserved, never signed: given back
    filled: list[SentTx]  # submitted but unknown to the node, or open gaps: no-op fillers


class Submitter:
    """Sends transactions from one account (``signer``) through ``nonces``' lease."""

    def __init__(
        self,
        adapter: ChainAdapter,
        signer: Signer,
        nonces: NonceManager,
        *,
        gas: GasOracle | None = None,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        concurrency: int = 16,
    ) -> None:
        if concurrency < 1:
            raise InvalidInputError(f"concurrency must be >= 1, got {concurrency}")
        if to_checksum_address(signer.address) != nonces.account:
            raise InvalidInputError(
                f"signer {signer.address} does not own the nonces of {nonces.account}"
            )
        self.adapter = adapter
        self.signer = signer
        self.nonces = nonces
        self.gas = gas or GasOracle(adapter)
        self.backoff = backoff or Backoff()
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not secrets)
        self.concurrency = concurrency  # simulations / estimates in flight at once
        self._assign = asyncio.Lock()  # reserve + sign + persist of one batch happen together

    @property
    def account(self) -> str:
        return self.nonces.account

    # --- preparation ------------------------------------------------------------------

    def _call_fields(self, req: TxRequest) -> dict[str, Any]:
        fields: dict[str, Any] = {"from": self.account, "value": req.value, "data": req.data}
        if req.to is not None:
            fields["to"] = to_checksum_address(req.to)
        if req.gas is not None:
            fields["gas"] = req.gas
        return fields

    async def simulate(self, req: TxRequest) -> bytes:
        """eth_call the request against the latest state: its return data, or
        TxRevertedError with the decoded reason."""
        return await self.adapter.call(self._call_fields(req), "latest")

    async def _prepare(self, req: TxRequest, fees: Mapping[Urgency, Fees]) -> dict[str, Any]:
        try:
            # the estimate runs the transaction too (a revert shows here first); the call then
            # runs with that gas limit, which the sender can afford
            gas = req.gas
            if gas is None:
                gas = await self.gas.gas_limit(self._call_fields(req))
            if req.simulate:
                await self.simulate(replace(req, gas=gas))
        except RpcError as exc:
            if send_outcome(str(exc)) is SendOutcome.INSUFFICIENT_FUNDS:
                raise InsufficientFundsError(str(exc)) from exc
            raise
        tx: dict[str, Any] = {"chainId": self.adapter.chain_id, "gas": gas, "value": req.value,
                              "data": req.data, **fees[req.urgency].tx_fields()}  # fmt: skip
        if req.to is not None:
            tx["to"] = to_checksum_address(req.to)
        return tx

    # --- submission ---------------------------------------------------------------------

    async def submit(self, request: TxRequest) -> SentTx:
        """Send one transaction; raises if it could not be sent."""
        (sent,) = await self.submit_many([request])
        if sent.error is not None:
            raise sent.error
        return sent

    async def submit_many(self, requests: Sequence[TxRequest]) -> list[SentTx]:
        """Simulate, sign and send a batch, in nonce order. A revert or a bad request raises
        before any nonce is taken (nothing is sent). Send failures come back as ``error`` on
        the SentTx; the nonce they held is filled with a no-op."""
        if not requests:
            return []
        urgencies = sorted({r.urgency for r in requests})
        fee_list = await asyncio.gather(*(self.gas.fees(u) for u in urgencies))
        fees = dict(zip(urgencies, fee_list, strict=True))
        txs = await self._all_or_nothing([self._prepare(r, fees) for r in requests])
        async with self._assign:
            batch = await self._assign_and_sign(txs)
        return await self._deliver_batch(batch)

    async def _all_or_nothing(self, calls: list[Coroutine[Any, Any, T]]) -> list[T]:
        """Run ``calls`` at most ``concurrency`` at a time; on the first failure cancel the
        rest (a batch with a reverting request must not keep flooding the node) and raise it."""
        gate = asyncio.Semaphore(self.concurrency)

        async def bounded(call: Coroutine[Any, Any, T]) -> T:
            async with gate:
                return await call

        tasks = [asyncio.ensure_future(bounded(c)) for c in calls]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _assign_and_sign(self, txs: list[dict[str, Any]]) -> list[SentTx]:
        nonces = await self.nonces.reserve_many(len(txs))
        try:
            for tx, nonce in zip(txs, nonces, strict=True):
                tx["nonce"] = nonce
            signed = self.signer.sign_transactions(txs)
        except BaseException:
            for nonce in nonces:
                await self.nonces.release(nonce)
            raise
        batch = [SentTx(tx["nonce"], s.hash, s.raw_transaction, dict(tx))
                 for tx, s in zip(txs, signed, strict=True)]  # fmt: skip
        for sent in batch:
            await self.nonces.mark_submitted(sent.nonce, sent.tx_hash)
        return batch

    async def _deliver_batch(self, batch: list[SentTx]) -> list[SentTx]:
        done = [asyncio.Event() for _ in batch]

        async def one(i: int) -> SentTx:
            try:
                await self.deliver(batch[i], predecessor=done[i - 1] if i else None)
                return batch[i]
            except NonceError as exc:
                # our nonce went to a transaction not sent from here: send ours again anew
                log.warning("nonce taken, resubmitting", nonce=batch[i].nonce, error=str(exc))
                return await self._resubmit(batch[i], exc)
            except ChainError as exc:
                return await self._fill_hole(batch[i], exc)
            finally:
                done[i].set()

        return list(await asyncio.gather(*(one(i) for i in range(len(batch)))))

    async def _resubmit(self, old: SentTx, cause: NonceError) -> SentTx:
        await self.nonces.reconcile()
        tx = {k: v for k, v in old.fields.items() if k != "nonce"}
        async with self._assign:
            (sent,) = await self._assign_and_sign([tx])
        try:
            await self.deliver(sent)
        except ChainError as exc:
            return await self._fill_hole(sent, exc)
        return sent

    async def _fill_hole(self, failed: SentTx, cause: ChainError) -> SentTx:
        """``failed`` holds a nonce nothing will use: fill it with a no-op so the nonces after
        it can be mined. The returned SentTx carries ``cause``."""
        log.warning("send failed; filling its nonce", nonce=failed.nonce, error=str(cause))
        try:
            await self.cancel(failed)
        except ChainError as exc:
            log.error("could not fill nonce", nonce=failed.nonce, error=str(exc))
        return replace(failed, error=cause)

    async def _known(self, tx_hash: bytes) -> bool:
        """Does the node have this transaction (pending or mined)?"""
        return await self.adapter.get_transaction(tx_hash) is not None

    async def deliver(self, sent: SentTx, *, predecessor: asyncio.Event | None = None) -> None:
        """Send ``sent`` until the node has it. Transient failures are retried with backoff;
        "nonce too high" waits for the predecessor; raises NonceError if another transaction
        took the nonce, PermanentTxError (e.g. InsufficientFundsError) if the node refuses."""
        attempt = 0
        last: ChainError | None = None
        while attempt < self.backoff.attempts:
            try:
                got = await self.adapter.send_raw_transaction(sent.raw)
                if got != sent.tx_hash:
                    raise PermanentTxError(
                        f"node answered hash 0x{got.hex()} for transaction 0x{sent.tx_hash.hex()}"
                    )
                return
            except TransientRpcError as exc:
                last = exc
            except TxRevertedError:
                # hardhat's automine mines a reverting transaction, then answers with the revert
                if await self._known(sent.tx_hash):
                    return
                raise
            except RpcError as exc:
                outcome = send_outcome(str(exc))
                if outcome is SendOutcome.ALREADY_KNOWN:
                    return
                if outcome is SendOutcome.NONCE_TOO_LOW:
                    if await self._known(sent.tx_hash):
                        return  # an earlier attempt got through; its answer was lost
                    raise NonceError(
                        f"nonce {sent.nonce} of {self.account} was used by another transaction"
                    ) from exc
                if outcome is SendOutcome.NONCE_TOO_HIGH:
                    if predecessor is not None and not predecessor.is_set():
                        await predecessor.wait()
                        continue  # not an attempt of ours that failed: the order was wrong
                    last = exc
                elif outcome is SendOutcome.UNDERPRICED:
                    last = exc
                elif outcome is SendOutcome.INSUFFICIENT_FUNDS:
                    raise InsufficientFundsError(str(exc)) from exc
                else:
                    raise PermanentTxError(str(exc)) from exc
            await asyncio.sleep(self.backoff.delay(attempt, self._rng))
            attempt += 1
        if await self._known(sent.tx_hash):
            return
        assert last is not None
        raise last

    async def rebroadcast(self, sent: SentTx) -> None:
        """Send the same bytes again (after a reorg dropped it, or a node restarted)."""
        await self.deliver(sent)

    # --- replacement ----------------------------------------------------------------------

    async def _replace(self, old: SentTx, tx: dict[str, Any], urgency: Urgency) -> SentTx:
        new_fees = await self.gas.replacement(old.fees, urgency)
        tx = {k: v for k, v in tx.items() if k not in ("maxFeePerGas", "maxPriorityFeePerGas",
                                                       "gasPrice", "type")}  # fmt: skip
        tx.update(new_fees.tx_fields())
        (signed,) = self.signer.sign_transactions([tx])
        sent = SentTx(old.nonce, signed.hash, signed.raw_transaction, tx)
        await self.nonces.mark_submitted(sent.nonce, sent.tx_hash)
        await self.deliver(sent)
        return sent

    async def speed_up(self, old: SentTx, urgency: Urgency = "high") -> SentTx:
        """The same transaction with both fees raised by >= 10% (and to at least what the
        network asks now), replacing ``old`` in the mempool."""
        return await self._replace(old, dict(old.fields), urgency)

    async def cancel(self, old: SentTx, urgency: Urgency = "high") -> SentTx:
        """Replace ``old`` by a 0-value transfer to ourselves at the same nonce."""
        tx = {"chainId": self.adapter.chain_id, "nonce": old.nonce, "to": self.account,
              "value": 0, "gas": TRANSFER_GAS, "data": b"", **old.fees.tx_fields()}  # fmt: skip
        return await self._replace(old, tx, urgency)

    # --- restart ---------------------------------------------------------------------------

    async def recover(self, report: NonceReconciliation) -> Recovery:
        """After a restart (``report`` from NonceManager.start()): give back nonces that were
        reserved but never signed, keep those whose transaction the node has, and fill with
        no-ops the ones whose transaction was lost and any gap below them."""
        pending: list[int] = []
        released: list[int] = []
        filled: list[SentTx] = []
        fees = await self.gas.fees("urgent")
        for record in report.in_flight:
            if record.status == "reserved":
                await self.nonces.release(record.nonce)
                released.append(record.nonce)
                continue
            assert record.tx_hash is not None
            if await self._known(bytes.fromhex(record.tx_hash.removeprefix("0x"))):
                pending.append(record.nonce)
                continue
            filled.append(await self._fill_lost(record.nonce, fees))
        top = max((r.nonce for r in report.in_flight if r.status == "submitted"), default=-1)
        holes = sorted({*report.gaps, *released})
        for _ in [h for h in holes if h < top]:
            nonce = await self.nonces.reserve()  # released nonces come back lowest first
            if nonce > top:
                await self.nonces.release(nonce)
                break
            filled.append(await self._fill_lost(nonce, fees))
        return Recovery(pending, released, filled)

    async def _fill_lost(self, nonce: int, fees: Fees) -> SentTx:
        tx = {"chainId": self.adapter.chain_id, "nonce": nonce, "to": self.account, "value": 0,
              "gas": TRANSFER_GAS, "data": b"", **fees.tx_fields()}  # fmt: skip
        (signed,) = self.signer.sign_transactions([tx])
        sent = SentTx(nonce, signed.hash, signed.raw_transaction, tx)
        await self.nonces.mark_submitted(nonce, sent.tx_hash)
        await self.deliver(sent)
        return sent
