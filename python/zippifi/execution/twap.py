"""TWAP: a large order carried as slices over blocks, each sized so its price impact on the
pool graph as it is then stays within a cap, and re-quoted before it is sent.

A :class:`Twap` is a parent proposal and a cap. Each :meth:`Twap.tick` (a block, an engine
step) proposes the next slice through the engine (an :class:`~zippifi.domain.IntentSink`) once
the previous one has ended: the largest amount whose exact quote loses at most ``max_impact_bps``
against the route's marginal price, found by bisection on the graph. What is left is computed
from the stored slices (``<key>/slice-<n>``), so a restart carries on where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from zippifi.domain import TERMINAL_INTENTS, IntentProposal, IntentSink, TradeIntent
from zippifi.errors import InvalidIntentError, RouteNotFound
from zippifi.route import PoolGraph
from zippifi.store import Store

BPS = 10_000
PROBE_DIVISOR = 10**6  # the marginal price is read from a quote of amount / 10**6


@dataclass
class TwapProgress:
    slices: list[TradeIntent]
    sold: int  # input of the settled slices
    remaining: int
    done: bool


def price_impact_bps(graph: PoolGraph, token_in: str, token_out: str, amount: int,
                     max_hops: int = 3) -> Fraction:  # fmt: skip
    """How much worse than the marginal price the exact quote of ``amount`` is, in bps."""
    probe = max(amount // PROBE_DIVISOR, 1)
    marginal = Fraction(graph.best_route(token_in, token_out, probe, max_hops=max_hops).amount_out,
                        probe)  # fmt: skip
    if marginal == 0:
        return Fraction(BPS)
    got = Fraction(graph.best_route(token_in, token_out, amount, max_hops=max_hops).amount_out,
                   amount)  # fmt: skip
    return max((1 - got / marginal) * BPS, Fraction(0))


def largest_slice(graph: PoolGraph, token_in: str, token_out: str, upto: int,
                  max_impact_bps: int) -> int:  # fmt: skip
    """The largest amount <= ``upto`` whose price impact is at most the cap (0 if even the
    smallest is over it), by bisection on exact quotes."""
    try:
        if price_impact_bps(graph, token_in, token_out, upto) <= max_impact_bps:
            return upto
        lo, hi = 0, upto
        while hi - lo > max(upto // 1000, 1):
            mid = (lo + hi) // 2
            if price_impact_bps(graph, token_in, token_out, mid) <= max_impact_bps:
                lo = mid
            else:
                hi = mid
        return lo
    except RouteNotFound:
        return 0


class Twap:
    """Slices of ``parent`` (an exact-input proposal), at most ``max_impact_bps`` each."""

    def __init__(self, parent: IntentProposal, *, max_impact_bps: int, sink: IntentSink,
                 store: Store, graph: PoolGraph, min_slice: int = 1) -> None:  # fmt: skip
        if parent.kind != "exact_in":
            raise InvalidIntentError("a TWAP slices an exact-input order")
        if not 0 < max_impact_bps < BPS:
            raise InvalidIntentError(f"max_impact_bps must be in 1..9999, got {max_impact_bps}")
        self.parent = parent
        self.max_impact_bps = max_impact_bps
        self.sink, self.store, self.graph = sink, store, graph
        self.min_slice = min_slice

    def _key(self, n: int) -> str:
        return f"{self.parent.idempotency_key}/slice-{n}"

    async def progress(self) -> TwapProgress:
        slices: list[TradeIntent] = []
        while (found := await self.store.intents.by_key(self._key(len(slices)))) is not None:
            slices.append(found)
        sold = sum(s.amount_in for s in slices if s.status == "settled")
        open_ = [s for s in slices if s.status not in TERMINAL_INTENTS]
        remaining = self.parent.amount - sold - sum(s.amount_in for s in open_)
        return TwapProgress(slices, sold, remaining, remaining <= 0 and not open_)

    async def tick(self) -> TradeIntent | None:
        """Propose the next slice if the last one ended and some is left; the new slice."""
        state = await self.progress()
        if state.done or state.remaining <= 0:
            return None
        if state.slices and state.slices[-1].status not in TERMINAL_INTENTS:
            return None  # one slice at a time: the next is sized on the state this one leaves
        size = largest_slice(self.graph, self.parent.token_in, self.parent.token_out,
                             state.remaining, self.max_impact_bps)  # fmt: skip
        if size < min(self.min_slice, state.remaining) or size == 0:
            return None  # the market is too thin now; a later tick tries again
        n = len(state.slices)
        why = f"TWAP slice {n} of {self.parent.idempotency_key}"
        child = replace(self.parent, idempotency_key=self._key(n), amount=size, reason=why)
        return await self.sink.propose(child)
