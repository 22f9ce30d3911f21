"""Submission: simulate, sign in one batch, persist, send concurrently in nonce order, retry.

Every request is first run with eth_call (a revert is a :class:`TxRevertedError` that cost no
gas) and its gas estimated; an optional :class:`~zippifi.domain.PreSignCheck` sees each
transaction (nonce and fees assigned) and may stop the batch; the batch is signed in one call to
the Rust signer (``Signer.sign_transactions``); each signed transaction (raw bytes, hash, fees,
the intent/order it serves) is recorded with its nonce *before* the send, in one database
transaction (``NonceManager.record_signed``), so a crash at any point leaves the exact bytes of
whatever may be on the wire, and a restart rebroadcasts them rather than signing anew. Sends go out
concurrently, each waiting for its predecessor when the node says "nonce too high", retried
with backoff on transient errors, and idempotent by hash: re-sending the same bytes is
harmless, "already known" is success, and "nonce too low" after a lost answer is success if
the node has our hash.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from zippifi.chain.adapter import ChainAdapter
from zippifi.chain.backoff import Backoff
from zippifi.chain.gas import Fees, GasOracle, Urgency, fee_args, fees_of_tx, with_fees
from zippifi.chain.nonces import NonceManager
from zippifi.chain.rpc_errors import SendOutcome, send_outcome
from zippifi.crashpoints import crash_point
from zippifi.domain import PreSignCheck, SignedTx, UnsignedTx
from zippifi.domain.transactions import first_intent
from zippifi.errors import (
    ChainError,
    InsufficientFundsError,
    InvalidInputError,
    LeaseLostError,
    NonceError,
    PermanentTxError,
    RpcError,
    TransientRpcError,
    TxRevertedError,
)
from zippifi.log import get_logger
from zippifi.sign import Signer, to_checksum_address
from zippifi.store import NonceReconciliation

log = get_logger(__name__)
T = TypeVar("T")
TRANSFER_GAS = 21_000
LostPolicy = Literal["rebroadcast", "cancel"]


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
    # what the transaction serves, kept on its signed record
    intent_id: int | None = None
    order_id: int | None = None
    # a batch transaction (the vault's swapBatch): every intent it serves, in swap order
    intent_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "intent_id", first_intent(self.intent_id, self.intent_ids))
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

    signed: SignedTx
    error: ChainError | None = field(default=None, compare=False)

    @property
    def tx(self) -> UnsignedTx:
        return self.signed.tx

    @property
    def nonce(self) -> int:
        return self.signed.tx.nonce

    @property
    def tx_hash(self) -> bytes:
        return self.signed.tx_hash

    @property
    def raw(self) -> bytes:
        return self.signed.raw

    @property
    def fields(self) -> dict[str, Any]:
        """The transaction in eth-account's field names."""
        return self.signed.tx.signable()

    @property
    def fees(self) -> Fees:
        return fees_of_tx(self.signed.tx)


@dataclass(frozen=True, slots=True)
class _Draft:
    """A prepared request: gas and fees known, the nonce not yet."""

    request: TxRequest
    gas: int
    fees: Fees


@dataclass(frozen=True, slots=True)
class Recovery:
    """What :meth:`Submitter.recover` found in flight and did about it."""

    pending: list[int]  # submitted earlier and known to the node (pending or mined)
    released: list[int]  # reserved, never signed: given back
    filled: list[SentTx]  # lost and not rebroadcast (or refused), or open gaps: no-op fillers
    # signed and recorded but unknown to the node: sent again, the same bytes
    rebroadcast: list[int] = field(default_factory=list)


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
        pre_sign: PreSignCheck | None = None,
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
        self.pre_sign = pre_sign
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

    async def _prepare(self, req: TxRequest, fees: Mapping[Urgency, Fees]) -> _Draft:
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
        return _Draft(req, gas, fees[req.urgency])

    def _unsigned(self, draft: _Draft, nonce: int) -> UnsignedTx:
        req = draft.request
        to = None if req.to is None else to_checksum_address(req.to)
        return UnsignedTx(chain_id=self.adapter.chain_id, nonce=nonce, to=to, value=req.value,
                          data=req.data, gas=draft.gas, **fee_args(draft.fees))  # fmt: skip

    def _sign(
        self, txs: Sequence[UnsignedTx], links: Sequence[TxRequest | None] | None = None
    ) -> list[SignedTx]:
        """One batch call to the Rust signer; each record keeps the intent/order it serves."""
        signed = self.signer.sign_transactions([t.signable() for t in txs])
        out = []
        for i, (tx, s) in enumerate(zip(txs, signed, strict=True)):
            link = links[i] if links is not None else None
            out.append(SignedTx(tx, self.account, s.hash, s.raw_transaction,
                                intent_id=None if link is None else link.intent_id,
                                order_id=None if link is None else link.order_id,
                                intent_ids=() if link is None else link.intent_ids))  # fmt: skip
        return out

    # --- submission ---------------------------------------------------------------------

    async def submit(self, request: TxRequest) -> SentTx:
        """Send one transaction; raises if it could not be sent."""
        (sent,) = await self.submit_many([request])
        if sent.error is not None:
            raise sent.error
        return sent

    async def submit_many(
        self,
        requests: Sequence[TxRequest],
        *,
        on_signed: Callable[[Sequence[SignedTx]], Awaitable[None]] | None = None,
    ) -> list[SentTx]:
        """Simulate, sign and send a batch, in nonce order. A revert or a bad request raises
        before any nonce is taken (nothing is sent). Send failures come back as ``error`` on
        the SentTx; the nonce they held is filled with a no-op. ``on_signed`` runs once the
        batch is signed and recorded, before anything is broadcast (the layer above marks its
        own records there; the signed record stands even if it fails)."""
        if not requests:
            return []
        urgencies = sorted({r.urgency for r in requests})
        fee_list = await asyncio.gather(*(self.gas.fees(u) for u in urgencies))
        fees = dict(zip(urgencies, fee_list, strict=True))
        drafts = await self._all_or_nothing([self._prepare(r, fees) for r in requests])
        async with self._assign:
            batch = await self._assign_and_sign(drafts)
        if on_signed is not None:
            await on_signed([s.signed for s in batch])
            crash_point("submit.marked")
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

    async def _assign_and_sign(self, drafts: Sequence[_Draft]) -> list[SentTx]:
        nonces = await self.nonces.reserve_many(len(drafts))
        try:
            txs = [self._unsigned(d, n) for d, n in zip(drafts, nonces, strict=True)]
            if self.pre_sign is not None:
                for tx in txs:
                    await self.pre_sign.before_sign(tx, self.account)
            signed = self._sign(txs, [d.request for d in drafts])
        except BaseException:
            for nonce in nonces:
                await self.nonces.release(nonce)
            raise
        await self.nonces.record_signed(signed)
        crash_point("submit.recorded")
        return [SentTx(s) for s in signed]

    async def _deliver_batch(self, batch: list[SentTx]) -> list[SentTx]:
        done = [asyncio.Event() for _ in batch]

        async def one(i: int) -> SentTx:
            try:
                await self.deliver(batch[i], predecessor=done[i - 1] if i else None)
                crash_point("submit.broadcast")
                await self.nonces.mark_broadcast(batch[i].tx_hash)
                return batch[i]
            except LeaseLostError:
                raise  # another process owns the account now: its recovery takes this on
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
        tx = old.tx
        link = old.signed
        request = TxRequest(to=tx.to, value=tx.value, data=tx.data, gas=tx.gas, simulate=False,
                            intent_id=link.intent_id, order_id=link.order_id,
                            intent_ids=link.intent_ids)  # fmt: skip
        async with self._assign:
            (sent,) = await self._assign_and_sign([_Draft(request, tx.gas, old.fees)])
        try:
            await self.deliver(sent)
            await self.nonces.mark_broadcast(sent.tx_hash)
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
        await self._deliver_raw(sent.raw, sent.tx_hash, sent.nonce, predecessor=predecessor)

    async def _deliver_raw(
        self, raw: bytes, tx_hash: bytes, nonce: int, *, predecessor: asyncio.Event | None = None
    ) -> None:
        attempt = 0
        last: ChainError | None = None
        while attempt < self.backoff.attempts:
            self.nonces.ensure_held()  # only the lease's holder sends for the account
            try:
                got = await self.adapter.send_raw_transaction(raw)
                if got != tx_hash:
                    raise PermanentTxError(
                        f"node answered hash 0x{got.hex()} for transaction 0x{tx_hash.hex()}"
                    )
                return
            except TransientRpcError as exc:
                last = exc
            except TxRevertedError:
                # hardhat's automine mines a reverting transaction, then answers with the revert
                if await self._known(tx_hash):
                    return
                raise
            except RpcError as exc:
                outcome = send_outcome(str(exc))
                if outcome is SendOutcome.ALREADY_KNOWN:
                    return
                if outcome is SendOutcome.NONCE_TOO_LOW:
                    if await self._known(tx_hash):
                        return  # an earlier attempt got through; its answer was lost
                    raise NonceError(
                        f"nonce {nonce} of {self.account} was used by another transaction"
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
        if await self._known(tx_hash):
            return
        assert last is not None
        raise last

    async def rebroadcast(self, sent: SentTx) -> None:
        """Send the same bytes again (after a reorg dropped it, or a node restarted)."""
        await self.deliver(sent)

    # --- replacement ----------------------------------------------------------------------

    async def _replace(
        self, old: SentTx, tx: UnsignedTx, urgency: Urgency, *, same_purpose: bool
    ) -> SentTx:
        new_fees = await self.gas.replacement(old.fees, urgency)
        tx = with_fees(tx, new_fees)
        (signed,) = self._sign([tx])
        if same_purpose:  # a speed-up still serves the old one's intent/order
            signed = replace(signed, intent_id=old.signed.intent_id, order_id=old.signed.order_id,
                             intent_ids=old.signed.intent_ids)  # fmt: skip
        await self.nonces.record_signed([signed], replacing=old.tx_hash)
        sent = SentTx(signed)
        await self.deliver(sent)
        await self.nonces.mark_broadcast(sent.tx_hash)
        return sent

    async def speed_up(self, old: SentTx, urgency: Urgency = "high") -> SentTx:
        """The same transaction with both fees raised by >= 10% (and to at least what the
        network asks now), replacing ``old`` in the mempool."""
        return await self._replace(old, old.tx, urgency, same_purpose=True)

    async def cancel(self, old: SentTx, urgency: Urgency = "high") -> SentTx:
        """Replace ``old`` by a 0-value transfer to ourselves at the same nonce."""
        return await self._replace(
            old, self._noop(old.nonce, old.fees), urgency, same_purpose=False
        )

    def _noop(self, nonce: int, fees: Fees) -> UnsignedTx:
        """0 wei to ourselves: what fills a nonce nothing else will use."""
        return UnsignedTx(chain_id=self.adapter.chain_id, nonce=nonce, to=self.account, value=0,
                          data=b"", gas=TRANSFER_GAS, **fee_args(fees))  # fmt: skip

    # --- restart ---------------------------------------------------------------------------

    async def recover(
        self, report: NonceReconciliation, *, lost: LostPolicy = "cancel"
    ) -> Recovery:
        """After a restart (``report`` from NonceManager.start()): give back nonces that were
        reserved but never signed, keep those whose transaction the node has, and for each one
        whose transaction the node does not have: with ``lost="rebroadcast"`` send the recorded
        bytes again (the same transaction, never re-signed; the runtime's choice, so a crash
        loses no trade), falling back to a no-op if the node refuses them; with
        ``lost="cancel"`` (the default, for a caller that decides anew) fill its nonce with a
        no-op.
        Gaps below the highest submitted nonce are filled with no-ops. Records that reached the
        node before the crash but were never marked so are marked submitted."""
        pending: list[int] = []
        released: list[int] = []
        filled: list[SentTx] = []
        rebroadcast: list[int] = []
        fees = await self.gas.fees("urgent")
        for record in report.in_flight:
            if record.status == "reserved":
                await self.nonces.release(record.nonce)
                released.append(record.nonce)
                continue
            assert record.tx_hash is not None
            tx_hash = bytes.fromhex(record.tx_hash.removeprefix("0x"))
            if await self._known(tx_hash):
                await self.nonces.mark_broadcast(tx_hash)
                pending.append(record.nonce)
                continue
            stored = await self.nonces.journal.get(self.adapter.chain_id, record.tx_hash)
            raw = None if stored is None else stored.raw_bytes
            if lost == "rebroadcast" and raw is not None:
                try:
                    await self._deliver_raw(raw, tx_hash, record.nonce)
                    await self.nonces.mark_broadcast(tx_hash)
                    rebroadcast.append(record.nonce)
                    continue
                except ChainError as exc:
                    log.warning("recorded transaction refused on rebroadcast; filling its nonce",
                                nonce=record.nonce, error=str(exc))  # fmt: skip
            filled.append(await self._fill_lost(record.nonce, fees))
        top = max((r.nonce for r in report.in_flight if r.status == "submitted"), default=-1)
        holes = sorted({*report.gaps, *released})
        for _ in [h for h in holes if h < top]:
            nonce = await self.nonces.reserve()  # released nonces come back lowest first
            if nonce > top:
                await self.nonces.release(nonce)
                break
            filled.append(await self._fill_lost(nonce, fees))
        # mined before the crash (so no longer in flight), never marked broadcast
        for row in await self.nonces.journal.unbroadcast(self.adapter.chain_id, self.account):
            if await self._known(bytes.fromhex(row.tx_hash.removeprefix("0x"))):
                await self.nonces.journal.mark_broadcast(row.chain_id, row.tx_hash)
        return Recovery(pending, released, filled, rebroadcast)

    async def _fill_lost(self, nonce: int, fees: Fees) -> SentTx:
        (signed,) = self._sign([self._noop(nonce, fees)])
        # the lost transaction (if one was recorded at this nonce) is superseded by the no-op
        record = await self.nonces.repository.get(self.adapter.chain_id, self.account, nonce)
        lost = None
        if record is not None and record.tx_hash is not None:
            lost = bytes.fromhex(record.tx_hash.removeprefix("0x"))
        await self.nonces.record_signed([signed], replacing=lost)
        sent = SentTx(signed)
        await self.deliver(sent)
        await self.nonces.mark_broadcast(sent.tx_hash)
        return sent
