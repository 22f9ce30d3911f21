"""One venue interface, three venues: everything above a venue is the same code.

* :class:`LiveVenue` sends the vault calls through the chain layer's submitter (batch-signed,
  recorded before the broadcast) and its fills come from receipts. Plans of one step are
  folded into the vault's ``swapBatch``, ``swaps_per_tx`` to a transaction, so the base cost,
  the caller checks and each token's oracle read are paid once; a batch whose ``eth_call``
  reverts (the swaps together break a rule that each alone keeps, e.g. the daily window) is sent
  as single swaps instead.
* :class:`PaperVenue` is shadow mode on a real chain: the same calldata run with ``eth_call``
  against the latest block, nothing sent; the fill is what that exact simulation returned.
* :class:`BacktestVenue` has no EVM at all: the kernels' pool graph is the market, swaps apply
  to it and to a balance book, gas comes from the route's gas model; millions of steps fit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zippifi.chain import (
    SentTx,
    Submitter,
    TxRequest,
    VaultSwap,
    decode_output,
    swap_batch_calldata,
)
from zippifi.chain.artifacts import load
from zippifi.domain import FillReport, SignedTx, Urgency, Venue
from zippifi.errors import (
    ChainError,
    InvalidInputError,
    LeaseLostError,
    PreSignRefusedError,
    SimulationRevertedError,
    TxRevertedError,
)
from zippifi.execution.plans import SwapPlan
from zippifi.log import get_logger

_VAULT = load("ZippiVault")
log = get_logger(__name__)
GAS_MARGIN_PERCENT = 30
OnSigned = Callable[[Sequence[SignedTx]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a venue did with one plan: sent (live: follow ``sent`` to its receipt), filled
    (paper, backtest: ``fill``), or failed (``error``)."""

    plan: SwapPlan
    sent: SentTx | None = None
    fill: FillReport | None = None
    error: Exception | None = None


class ExecutionVenue(Protocol):
    kind: Venue

    async def simulate(self, plan: SwapPlan) -> int:
        """The output the plan would get now; SimulationRevertedError if it would revert."""
        ...

    async def execute(
        self, plans: Sequence[SwapPlan], *, urgency: Urgency, on_signed: OnSigned | None
    ) -> list[Outcome]: ...


class _ChainSimulation:
    """eth_call of the agent's vault call against the latest block."""

    def __init__(self, submitter: Submitter) -> None:
        self.submitter = submitter

    async def _call(self, vault: str, data: bytes, function: str) -> Any:
        call = {"from": self.submitter.account, "to": vault, "data": data}
        try:
            answer = await self.submitter.adapter.call(call, "latest")
        except TxRevertedError as exc:
            decoded = _VAULT.decode_error(exc.data) if exc.data else None
            reason = str(decoded) if decoded else (exc.reason or str(exc))
            raise SimulationRevertedError(f"the vault call reverts: {reason}",
                                          error=reason) from None  # fmt: skip
        return decode_output(_VAULT, function, answer)

    async def simulate(self, plan: SwapPlan) -> int:
        out: int = await self._call(plan.vault, plan.vault_calldata, "swapExactIn")
        return out


def batch_calldata(plans: Sequence[SwapPlan]) -> bytes:
    """The vault's ``swapBatch`` of ``plans``, in order, under the earliest of their deadlines."""
    swaps = [VaultSwap(p.target, p.token_in, p.token_out, p.amount_in, p.min_out,
                       p.target_calldata) for p in plans]  # fmt: skip
    return swap_batch_calldata(swaps, min(p.deadline for p in plans))


def _gas_limit(plans: Sequence[SwapPlan]) -> int:
    return sum(p.gas_estimate for p in plans) * (100 + GAS_MARGIN_PERCENT) // 100


class LiveVenue(_ChainSimulation):
    kind: Venue = "live"

    def __init__(self, submitter: Submitter, *, swaps_per_tx: int = 8) -> None:
        if not isinstance(swaps_per_tx, int) or swaps_per_tx < 1:
            raise InvalidInputError(f"swaps_per_tx must be an int >= 1, got {swaps_per_tx!r}")
        super().__init__(submitter)
        self.swaps_per_tx = swaps_per_tx

    async def _transactions(self, plans: Sequence[SwapPlan]) -> list[list[SwapPlan]]:
        """The plans grouped into transactions: batches whose ``swapBatch`` simulates, the
        rest alone (each was simulated alone when it was planned)."""
        groups: list[list[SwapPlan]] = []
        for start in range(0, len(plans), self.swaps_per_tx):
            chunk = list(plans[start : start + self.swaps_per_tx])
            if len(chunk) == 1:
                groups.append(chunk)
                continue
            try:
                await self._call(chunk[0].vault, batch_calldata(chunk), "swapBatch")
            except SimulationRevertedError as exc:
                log.info("batch reverts together; sending its swaps alone", swaps=len(chunk),
                         error=exc.error)  # fmt: skip
                groups.extend([p] for p in chunk)
                continue
            groups.append(chunk)
        return groups

    async def execute(
        self, plans: Sequence[SwapPlan], *, urgency: Urgency, on_signed: OnSigned | None
    ) -> list[Outcome]:
        groups = await self._transactions(plans)
        try:
            return await self._send(groups, urgency, on_signed)
        except PreSignRefusedError as exc:
            if len(plans) == 1:
                return [Outcome(plans[0], error=exc)]
            # a pre-sign check refuses a submission whole: find the swaps it refuses by
            # sending each alone, so one refused swap does not take the others down with it
            log.info("pre-sign check refused the batch; sending its swaps one by one",
                     error=str(exc))  # fmt: skip
            out: list[Outcome] = []
            for p in plans:
                try:
                    out.extend(await self._send([[p]], urgency, on_signed))
                except PreSignRefusedError as alone:
                    out.append(Outcome(p, error=alone))
            return out

    async def _send(
        self, groups: Sequence[Sequence[SwapPlan]], urgency: Urgency, on_signed: OnSigned | None
    ) -> list[Outcome]:
        requests = [
            TxRequest(to=g[0].vault, simulate=False, urgency=urgency, gas=_gas_limit(g),
                      data=g[0].vault_calldata if len(g) == 1 else batch_calldata(g),
                      intent_ids=tuple(p.intent_id for p in g))
            for g in groups
        ]  # fmt: skip
        try:
            sent = await self.submitter.submit_many(requests, on_signed=on_signed)
        except (LeaseLostError, PreSignRefusedError):
            # lease: what was recorded may yet be sent by the account's new owner, so these
            # intents are not failed, they stay for its engine to resume; pre-sign: the
            # caller finds the refused swaps
            raise
        except ChainError as exc:
            return [Outcome(p, error=exc) for g in groups for p in g]
        return [Outcome(p, sent=s, error=s.error)
                for g, s in zip(groups, sent, strict=True) for p in g]  # fmt: skip


class PaperVenue(_ChainSimulation):
    kind: Venue = "paper"

    async def execute(
        self, plans: Sequence[SwapPlan], *, urgency: Urgency, on_signed: OnSigned | None
    ) -> list[Outcome]:
        out = []
        for p in plans:
            try:
                amount_out = await self.simulate(p)
            except SimulationRevertedError as exc:
                out.append(Outcome(p, error=exc))
                continue
            fill = FillReport(venue="paper", intent_id=p.intent_id, token_in=p.token_in,
                              token_out=p.token_out, amount_in=p.amount_in, amount_out=amount_out,
                              chain_id=p.chain_id, pool=p.target)  # fmt: skip
            out.append(Outcome(p, fill=fill))
        return out
