"""The seams through which the domain layers talk without importing each other.

Each protocol is defined here and implemented by the layer that owns the behaviour; the runtime
hands the implementation to the layer that needs it as a constructor argument. So execution asks
risk through a :class:`RiskGate` without importing risk; risk's kill switch, settlement and
agents create intents through an :class:`IntentSink`; execution hands fills to settlement through
a :class:`FillSink`; and the chain layer lets a :class:`PreSignCheck` veto a transaction before
it is signed, without knowing who checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from zippifi.domain.fills import Fill
from zippifi.domain.intents import IntentProposal, TradeIntent
from zippifi.domain.transactions import UnsignedTx
from zippifi.errors import InvalidInputError

Verdict = Literal["approve", "resize", "reject"]


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """A gate's answer about one intent. ``resize`` carries the new amounts; every decision
    carries the reasons it was made (the rules that passed or failed), for the audit log."""

    verdict: Verdict
    reasons: tuple[str, ...] = ()
    amount_in: int | None = None
    min_amount_out: int | None = None

    def __post_init__(self) -> None:
        if self.verdict not in ("approve", "resize", "reject"):
            raise InvalidInputError(
                f"verdict must be approve, resize or reject, got {self.verdict!r}"
            )
        resized = self.amount_in is not None or self.min_amount_out is not None
        if resized != (self.verdict == "resize"):
            raise InvalidInputError("new amounts go with a 'resize' verdict, and only with it")
        if self.verdict == "reject" and not self.reasons:
            raise InvalidInputError("a rejection must say why")

    @property
    def allowed(self) -> bool:
        return self.verdict != "reject"


@runtime_checkable
class RiskGate(Protocol):
    """Approves, resizes or rejects an intent (execution asks before routing and again before
    signing)."""

    async def review(self, intent: TradeIntent) -> RiskDecision: ...


@runtime_checkable
class IntentSink(Protocol):
    """Accepts a new intent: stores it (idempotently, by its key) and queues it for execution.
    Returns the stored intent; the same proposal again returns the first one."""

    async def propose(self, proposal: IntentProposal) -> TradeIntent: ...


@runtime_checkable
class FillSink(Protocol):
    """Receives fills once they are final (the chain's confirmation depth reached)."""

    async def on_fill(self, fill: Fill) -> None: ...


@runtime_checkable
class PreSignCheck(Protocol):
    """Inspects every transaction before it is signed; raises (a ZippiError naming the rule)
    to stop it. Nothing of the batch is signed or sent when one check fails."""

    async def before_sign(self, tx: UnsignedTx, sender: str) -> None: ...
