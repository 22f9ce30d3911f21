"""The execution engine: from a proposed intent to a settled fill, exactly once.

Each :meth:`ExecutionEngine.step` moves every intent of its vault one stage on, in order:

1. proposed -> approved / resized / rejected by the injected :class:`~zippifi.domain.RiskGate`
   (or expired, past its deadline);
2. approved / resized -> routed: a :class:`~zippifi.execution.routing.Router` plan on the synced
   pool graph, asked of the gate again before signing, and simulated by the venue (a revert
   fails the intent with the decoded custom error, nothing is sent). One batch takes each pool
   once, so every plan's quote holds for the state it will run on;
3. routed -> signed -> submitted: the venue executes the batch (live: one batch-signed,
   recorded submission in nonce order); paper and backtest fill at once;
4. submitted -> confirmed: the receipt's ``Swapped`` events become fills, stored once;
5. confirmed -> settled: at the chain's confirmation depth each fill is handed to the
   :class:`~zippifi.domain.FillSink` and made final; a reorg before the depth takes the fills
   back (reorged) and the intent back to submitted.

Everything is stored before the next stage starts, and every stage reads its work from the
store, so a restart (:meth:`resume`, then steps) carries on from whatever was stored, and the
chain layer's record of what was signed makes sure nothing is signed twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from zippifi.chain import ChainAdapter
from zippifi.crashpoints import crash_point
from zippifi.domain import (
    Account,
    ChainTransaction,
    FillReport,
    FillSink,
    IntentProposal,
    RiskGate,
    SignedTx,
    TradeIntent,
    Urgency,
)
from zippifi.errors import (
    ChainError,
    ExecutionError,
    InvalidIntentError,
    SimulationRevertedError,
)
from zippifi.execution.fills import fills_from_receipt
from zippifi.execution.gas_value import with_gas_value
from zippifi.execution.plans import SwapPlan
from zippifi.execution.proposals import check_proposal
from zippifi.execution.routing import Router
from zippifi.execution.venues import ExecutionVenue, Outcome
from zippifi.log import get_logger
from zippifi.store import IntentMove, Store
from zippifi.store.types import utcnow

log = get_logger(__name__)


URGENCY_ORDER: dict[str, int] = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


@dataclass
class StepReport:
    """What one step moved, by intent id."""

    approved: list[int] = field(default_factory=list)
    resized: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    routed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    settled: list[int] = field(default_factory=list)
    reorged: list[int] = field(default_factory=list)

    @property
    def moved(self) -> int:
        return sum(len(v) for v in vars(self).values())


class ExecutionEngine:
    """Carries one vault's intents through a venue; it is an :class:`~zippifi.domain.IntentSink`
    for proposers."""

    def __init__(
        self,
        *,
        store: Store,
        venue: ExecutionVenue,
        router: Router,
        gate: RiskGate,
        vault: Account,
        adapter: ChainAdapter | None = None,
        fill_sink: FillSink | None = None,
        confirmations: int = 0,
        tokens: Collection[str] | None = None,
        refresh: Callable[[], Awaitable[object]] | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_batch: int = 32,
        wrapped_native: str | None = None,
    ) -> None:
        if venue.kind == "live" and adapter is None:
            raise ExecutionError("a live venue needs the chain adapter to follow receipts")
        self.store = store
        self.venue = venue
        self.router = router
        self.gate = gate
        self.vault = vault
        self.adapter = adapter
        self.fill_sink = fill_sink
        self.confirmations = confirmations
        self.tokens = tokens
        self._refresh = refresh
        self._clock = clock
        self.max_batch = max_batch
        # fills' gas is valued in what they bought through this token (default: the graph's)
        self.wrapped_native = wrapped_native or router.graph.wrapped_native

    # --- proposals ---------------------------------------------------------------------------

    async def propose(self, proposal: IntentProposal) -> TradeIntent:
        """Check and store an intent (the same idempotency key again returns the first one);
        an intent that can never run raises InvalidIntentError and stores nothing."""
        if proposal.account_id != self.vault.id:
            raise InvalidIntentError(
                f"account_id {proposal.account_id} is not this engine's vault ({self.vault.id})"
            )
        if proposal.chain_id != self.vault.chain_id:
            raise InvalidIntentError(f"chain_id {proposal.chain_id} is not the vault's chain")
        check_proposal(proposal, now=self._clock(), tokens=self.tokens)
        intent, created = await self.store.intents.create(proposal)
        crash_point("execution.proposed")
        if created:
            log.info("intent proposed", intent=intent.id, proposer=intent.proposer,
                     amount=intent.amount, kind=intent.kind)  # fmt: skip
        return intent

    async def _mine(self, status: str | Sequence[str]) -> list[TradeIntent]:
        intents = await self.store.intents.search(status=status, account_id=self.vault.id)  # type: ignore[arg-type]
        return sorted(intents, key=lambda i: (URGENCY_ORDER[i.urgency], i.id))

    # --- one step ----------------------------------------------------------------------------

    async def step(self) -> StepReport:
        report = StepReport()
        # intents whose transaction was recorded but that were not marked (a failed hook, a
        # crash) move on from their record first
        await self.resume()
        await self._review(report)
        if self._refresh is not None:
            await self._refresh()
        await self._route_and_execute(report)
        await self._follow(report)
        await self._settle(report)
        return report

    async def run_until_idle(self, max_steps: int = 100) -> StepReport:
        """Step until nothing moves (or ``max_steps``); the steps' reports merged."""
        total = StepReport()
        for _ in range(max_steps):
            report = await self.step()
            for name, ids in vars(report).items():
                getattr(total, name).extend(ids)
            if not report.moved and not await self._mine(("signed", "submitted", "confirmed")):
                break
        return total

    def _expired(self, intent: TradeIntent) -> bool:
        return intent.deadline is not None and intent.deadline <= self._clock()

    async def _apply(self, moves: Sequence[IntentMove], report: StepReport) -> None:
        """One stage's status changes, written in one store transaction (all or nothing)."""
        await self.store.intents.transition_many(moves)
        for m in moves:
            getattr(report, m.status).append(m.intent_id)

    async def _review(self, report: StepReport) -> None:
        moves: list[IntentMove] = []
        for intent in await self._mine("proposed"):
            if self._expired(intent):
                moves.append(IntentMove(intent.id, "expired", "deadline passed"))
                continue
            decision = await self.gate.review(intent)
            cause = "; ".join(decision.reasons) or None
            if decision.verdict == "reject":
                moves.append(IntentMove(intent.id, "rejected", cause))
            elif decision.verdict == "resize":
                moves.append(IntentMove(intent.id, "resized", cause, decision.amount_in,
                                        decision.min_amount_out))  # fmt: skip
            else:
                moves.append(IntentMove(intent.id, "approved", cause))
        await self._apply(moves, report)

    async def _plan(
        self, intent: TradeIntent, moves: list[IntentMove], busy: set[str]
    ) -> SwapPlan | None:
        """A checked, simulated plan, its move to routed added to ``moves``; or None, with the
        move that says why (expired, failed, rejected), or with no move when its route touches
        a pool in ``busy`` (it waits for the next step, and costs no checks now)."""
        if self._expired(intent):
            moves.append(IntentMove(intent.id, "expired", "deadline passed"))
            return None
        planned = await self._plan_free(intent, moves, busy)
        if planned is None:
            return None
        plan, routed = planned
        decision = await self.gate.review(routed)  # again, just before signing
        smaller = decision.amount_in
        if decision.verdict == "resize" and smaller is not None and smaller < plan.amount_in:
            # the market moved since the first look: plan the size the gate allows now, once
            planned = await self._plan_free(replace(intent, amount_in=smaller), moves, busy)
            if planned is None:
                return None
            plan, routed = planned
            decision = await self.gate.review(routed)
        if decision.verdict != "approve":  # only an approval signs
            moves.append(IntentMove(intent.id, "rejected", "; ".join(decision.reasons)))
            return None
        try:
            await self.venue.simulate(plan)
        except SimulationRevertedError as exc:
            moves.append(IntentMove(intent.id, "failed", str(exc)))
            return None
        if intent.status != "routed":
            moves.append(IntentMove(intent.id, "routed", f"via {', '.join(plan.pools)}",
                                    plan.amount_in, plan.min_out))  # fmt: skip
        return plan

    async def _plan_free(
        self, intent: TradeIntent, moves: list[IntentMove], busy: set[str]
    ) -> tuple[SwapPlan, TradeIntent] | None:
        """A plan for ``intent`` and the intent as routed by it; None when planning failed (its
        move added) or the route touches a pool in ``busy`` (no move: it waits)."""
        try:
            plan = await self.router.plan(intent, now=self._clock())
        except ExecutionError as exc:
            moves.append(IntentMove(intent.id, "failed", str(exc)))
            return None
        if busy & set(plan.pools):
            return None
        routed = replace(intent, status="routed", amount_in=plan.amount_in,
                         min_amount_out=plan.min_out)  # fmt: skip
        return plan, routed

    async def _route_and_execute(self, report: StepReport) -> None:
        ready = await self._mine(("approved", "resized", "routed"))
        plans: list[SwapPlan] = []
        moves: list[IntentMove] = []
        used: set[str] = set()
        urgency: Urgency | None = None
        for intent in ready:
            if intent.status == "routed" and await self.store.transactions.for_intent(intent.id):
                continue  # signed before a restart: resume() takes it on from its record
            if len(plans) == self.max_batch:
                break
            if urgency is not None and intent.urgency != urgency:
                continue  # one fee level per batch; the next step takes the others
            # a plan whose pools already move in this batch is planned again next step
            plan = await self._plan(intent, moves, used)
            if plan is None:
                continue
            used |= set(plan.pools)
            plans.append(plan)
            urgency = intent.urgency
        await self._apply(moves, report)  # routed (and refused) before anything is signed
        if plans:
            outcomes = await self.venue.execute(plans, urgency=urgency or "normal",
                                                on_signed=self._mark_signed)  # fmt: skip
            await self._record(outcomes, report)

    async def _mark_signed(self, batch: Sequence[SignedTx]) -> None:
        """Signed and recorded, not yet broadcast: the intents move to signed together."""
        await self.store.intents.transition_many([
            IntentMove(intent_id, "signed", f"tx {signed.hash_hex}", expect="routed")
            for signed in batch for intent_id in signed.intents
        ])  # fmt: skip

    async def _record(self, outcomes: Sequence[Outcome], report: StepReport) -> None:
        """What the venue did with a batch, in one store transaction: paper and backtest fills
        (the intent carried through to confirmed), live sends submitted, failures failed."""
        moves: list[IntentMove] = []
        filled = [o for o in outcomes if o.fill is not None]
        for outcome in outcomes:
            intent_id = outcome.plan.intent_id
            if outcome.fill is not None:
                continue
            if outcome.sent is None:
                moves.append(IntentMove(intent_id, "failed", f"not sent: {outcome.error}"))
            elif outcome.error is not None:  # its nonce was filled with a no-op: the swap is gone
                moves.append(IntentMove(intent_id, "failed", f"send failed: {outcome.error}"))
            else:
                sent = outcome.sent.signed.hash_hex
                moves.append(IntentMove(intent_id, "submitted", f"tx {sent}"))
        if any(m.status == "submitted" for m in moves):
            crash_point("execution.sent")
        # paper, backtest: filled by exact simulation, carried through to confirmed
        carried = [IntentMove(o.plan.intent_id, status, self.venue.kind) for o in filled
                   for status in ("signed", "submitted", "confirmed")]  # fmt: skip
        async with self.store.transaction() as tx:
            await tx.intents.transition_many([*carried, *moves])
            for o in filled:
                assert o.fill is not None
                await tx.fills.add(self._valued(o.fill), status="mined")
        report.confirmed.extend(o.plan.intent_id for o in filled)
        for m in moves:
            getattr(report, m.status).append(m.intent_id)

    def _valued(self, fill: FillReport) -> FillReport:
        """The fill with its gas valued in its output token, on the graph as it is now."""
        return with_gas_value(self.router.graph, self.wrapped_native, fill)

    # --- receipts and finality ---------------------------------------------------------------

    async def _follow(self, report: StepReport) -> None:
        """Submitted intents whose transaction is mined: fills stored, and every intent the
        transaction serves confirmed (or failed, if it reverted on chain)."""
        if self.adapter is None:
            return
        done: set[int] = set()
        for intent in await self._mine("submitted"):
            if intent.id in done:  # moved with an earlier intent of its batch
                continue
            live = [t for t in await self.store.transactions.for_intent(intent.id)
                    if t.status in ("signed", "submitted", "mined", "reverted")]  # fmt: skip
            for tx in live:
                moved = await self._follow_one(tx, report)
                if moved:
                    done.update(moved)
                    break

    async def _follow_one(self, tx: ChainTransaction, report: StepReport) -> tuple[int, ...]:
        """The intents whose fate ``tx`` settled (all it serves, or none yet)."""
        assert self.adapter is not None
        served = await self.store.transactions.intents_of(tx.id)
        intents = [await self.store.intents.get(i) for i in served]
        waiting = [i for i in intents if i.status == "submitted"]
        if not waiting:
            return ()
        tx_hash = bytes.fromhex(tx.tx_hash[2:])
        receipt = await self.adapter.get_receipt(tx_hash)
        if receipt is None:
            gone = await self.adapter.get_transaction(tx_hash) is None
            # one deadline covers a batch (its earliest), so once any of them passed, a
            # transaction the node dropped can never run
            if gone and any(self._expired(i) for i in intents):
                expired = {i.id for i in waiting if self._expired(i)}
                await self.store.intents.transition_many([
                    IntentMove(i.id, "expired", "never mined", expect="submitted")
                    if i.id in expired else
                    IntentMove(i.id, "failed", "its batch expired unmined", expect="submitted")
                    for i in waiting
                ])  # fmt: skip
                for i in waiting:
                    (report.expired if i.id in expired else report.failed).append(i.id)
                return tuple(i.id for i in waiting)
            if gone and tx.raw_bytes is not None:
                # dropped (a reorg took its block, a node restarted): the same bytes again
                with contextlib.suppress(ChainError):  # known, or its nonce taken: next step
                    await self.adapter.send_raw_transaction(tx.raw_bytes)
            return ()
        fills = fills_from_receipt(receipt, vault=self.vault.address,
                                   chain_id=self.vault.chain_id, intent_ids=served,
                                   transaction_id=tx.id)  # fmt: skip
        ok = receipt.status == 1 and bool(fills)
        async with self.store.transaction() as uow:
            if tx.status in ("signed", "submitted"):
                await uow.transactions.mark_mined(
                    tx.chain_id, tx.tx_hash, success=receipt.status == 1,
                    block_number=receipt.block_number, block_hash="0x" + receipt.block_hash.hex(),
                    gas_used=receipt.gas_used,
                    effective_gas_price=receipt.effective_gas_price or 0,
                )  # fmt: skip
            if ok:
                for fill in fills:
                    await uow.fills.add(self._valued(fill), status="mined")
                crash_point("execution.fills")
            cause = f"block {receipt.block_number}" if ok else "the transaction reverted on chain"
            await uow.intents.transition_many([
                IntentMove(i.id, "confirmed" if ok else "failed", cause, expect="submitted")
                for i in waiting
            ])  # fmt: skip
        for i in waiting:
            (report.confirmed if ok else report.failed).append(i.id)
        return tuple(i.id for i in waiting)

    async def _canonical(self, block_number: int | None, block_hash: str | None) -> bool:
        if self.adapter is None or block_number is None or block_hash is None:
            return True
        block = await self.adapter.get_block(block_number)
        return block is not None and "0x" + block.hash.hex() == block_hash

    async def _settle(self, report: StepReport) -> None:
        """Confirmed intents whose fills reached the confirmation depth: each fill handed to
        the fill sink, then made final, and the intent settled. A fill whose block left the
        chain first is reorged, and its intent goes back to submitted."""
        head = None if self.adapter is None else await self.adapter.block_number()
        for intent in await self._mine("confirmed"):
            fills = [f for f in await self.store.fills.for_intent(intent.id)
                     if f.status == "mined" and f.reverses_id is None]  # fmt: skip
            if not fills:
                continue
            if not all([await self._canonical(f.block_number, f.block_hash) for f in fills]):
                async with self.store.transaction() as uow:
                    for f in fills:
                        await uow.fills.set_status(f.id, "reorged")
                    for tx in await uow.transactions.for_intent(intent.id):
                        if tx.status == "mined":
                            await uow.transactions.mark_submitted(tx.chain_id, tx.tx_hash)
                    await uow.intents.transition(intent.id, "submitted", cause="reorged")
                report.reorged.append(intent.id)
                continue
            deep = head is None or all(
                f.block_number is None or head - f.block_number + 1 >= self.confirmations
                for f in fills
            )
            if not deep:
                continue
            if self.fill_sink is not None:  # at least once: the sink keys by fill id
                for f in fills:
                    await self.fill_sink.on_fill(f)
            crash_point("execution.settling")
            async with self.store.transaction() as uow:
                for f in fills:
                    await uow.fills.set_status(f.id, "final")
                await uow.intents.transition(intent.id, "settled", cause="confirmation depth")
            report.settled.append(intent.id)

    async def reverse_deep_reorgs(self, lookback_blocks: int = 64) -> list[int]:
        """Final fills from the last ``lookback_blocks`` whose block left the chain: each gets a
        reversing fill (handed to the sink), never an edit. The reversed fills' ids."""
        if self.adapter is None:
            return []
        head = await self.adapter.block_number()
        reversed_ids = []
        for f in await self.store.fills.by_status("final", chain_id=self.vault.chain_id):
            if f.block_number is None or head - f.block_number > lookback_blocks:
                continue
            if await self._canonical(f.block_number, f.block_hash):
                continue
            reversal, created = await self.store.fills.reverse(f.id)
            if not created:
                continue  # reversed by an earlier call
            if self.fill_sink is not None:
                await self.fill_sink.on_fill(reversal)
            reversed_ids.append(f.id)
        return reversed_ids

    # --- restart -----------------------------------------------------------------------------

    async def resume(self) -> list[int]:
        """After a restart: intents whose transaction was recorded but that were not yet marked
        move on from that record (routed -> signed -> submitted); the chain layer's recovery
        has already rebroadcast what the node lacked. The ids it moved."""
        moved, moves = [], []
        for intent in await self._mine(("routed", "signed")):
            every = await self.store.transactions.for_intent(intent.id)
            txs = [t for t in every if t.status not in ("replaced", "dropped")]
            if txs and all(t.status == "signed" for t in txs) and await self._never_mined(txs):
                # recorded, never sent, and its nonce taken by another transaction meanwhile
                async with self.store.transaction() as uow:
                    why = "its nonce was used by another transaction"
                    for t in txs:
                        await uow.transactions.mark_dropped(t.chain_id, t.tx_hash, error=why)
                every, txs = await self.store.transactions.for_intent(intent.id), []
            if not txs:
                if every and intent.status == "signed":  # all it had was replaced or dropped
                    cause = "its transaction was replaced or dropped before it was mined"
                    await self.store.intents.transition(intent.id, "failed", cause=cause)
                    moved.append(intent.id)
                continue
            cause = f"tx {txs[-1].tx_hash}"
            if intent.status == "routed":
                moves.append(IntentMove(intent.id, "signed", cause))
            if any(t.status in ("submitted", "mined", "reverted") for t in txs):
                moves.append(IntentMove(intent.id, "submitted", cause))
            moved.append(intent.id)
        await self.store.intents.transition_many(moves)
        return moved

    async def _never_mined(self, txs: Sequence[ChainTransaction]) -> bool:
        """Whether none of ``txs`` can ever be mined: the node knows none of them and the
        sender's nonce has moved past each (another transaction took it)."""
        if self.adapter is None:
            return False
        for t in txs:
            if await self.adapter.get_transaction(bytes.fromhex(t.tx_hash[2:])) is not None:
                return False
            if await self.adapter.get_transaction_count(t.sender, "latest") <= t.nonce:
                return False
        return True
