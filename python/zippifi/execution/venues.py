"""One venue interface, three venues: everything above a venue is the same code.

* :class:`LiveVenue` sends the vault calls through the chain layer's submitter (batch-signed,
  recorded before the broadcast) and its fills come from receipts.
* :class:`PaperVenue` is shadow mode on a real chain: the same calldata run with ``eth_call``
  against the latest block, nothing sent; the fill is what that exact simulation returned.
* :class:`BacktestVenue` has no EVM at all: the kernels' pool graph is the market, swaps apply
  to it and to a balance book, gas comes from the route's gas model; millions of steps fit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from zippifi.chain import SentTx, Submitter, TxRequest, decode_output
from zippifi.chain.artifacts import load
from zippifi.domain import FillReport, SignedTx, Urgency, Venue
from zippifi.errors import ChainError, SimulationRevertedError, TxRevertedError
from zippifi.execution.plans import SwapPlan

_VAULT = load("ZippiVault")
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

    async def simulate(self, plan: SwapPlan) -> int:
        call = {"from": self.submitter.account, "to": plan.vault, "data": plan.vault_calldata}
        try:
            answer = await self.submitter.adapter.call(call, "latest")
        except TxRevertedError as exc:
            decoded = _VAULT.decode_error(exc.data) if exc.data else None
            reason = str(decoded) if decoded else (exc.reason or str(exc))
            raise SimulationRevertedError(f"the vault call reverts: {reason}",
                                          error=reason) from None  # fmt: skip
        out: int = decode_output(_VAULT, "swapExactIn", answer)
        return out


class LiveVenue(_ChainSimulation):
    kind: Venue = "live"

    async def execute(
        self, plans: Sequence[SwapPlan], *, urgency: Urgency, on_signed: OnSigned | None
    ) -> list[Outcome]:
        requests = [
            TxRequest(to=p.vault, data=p.vault_calldata, simulate=False, urgency=urgency,
                      gas=p.gas_estimate * (100 + GAS_MARGIN_PERCENT) // 100,
                      intent_id=p.intent_id)
            for p in plans
        ]  # fmt: skip
        try:
            sent = await self.submitter.submit_many(requests, on_signed=on_signed)
        except ChainError as exc:
            return [Outcome(p, error=exc) for p in plans]
        return [Outcome(p, sent=s, error=s.error) for p, s in zip(plans, sent, strict=True)]


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
