"""The risk engine behind execution's :class:`~zippifi.domain.RiskGate`.

Each review runs, in order: the trading state (HALTED refuses everything, REDUCING only what
shrinks exposure to non-stable tokens), the injected inner gate (the vault's own on-chain
rules), the rules that cannot be met by a smaller trade (allowlist, slippage bound, anomaly
flags, the proposer's rate), then the size rules, each of which knows the largest input it
allows: notional per trade and per rolling window (oracle prices), price impact (exact quotes
on the pool graph against a near-marginal rate) and the position the output would make. A
proposed exact-input intent over a size rule is **resized** to the smallest of those bounds,
found exactly (a bound passes every rule, one raw unit more fails one); anything else that
fails is rejected. Every decision says which rule decided and the numbers behind it, with the
versions of the inputs it read (oracle rounds), and is kept by the :class:`DecisionLog`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Literal, Protocol

from zippifi.domain import RiskDecision, RiskGate, TradeIntent
from zippifi.errors import RouteNotFound
from zippifi.risk.limits import Limits, RiskPolicy
from zippifi.risk.sizing import impact_bps, largest, reference_rate
from zippifi.route import PoolGraph
from zippifi.sign import to_checksum_address
from zippifi.store import RiskDecisionRecord, Store

TradingState = Literal["active", "reducing", "halted"]
KILL_SWITCH = "risk:kill-switch"  # the proposer of the kill switch's closing intents
TRADING_STATES: tuple[TradingState, ...] = ("active", "reducing", "halted")
# a size rule searched on the graph: given an upper bound, the largest input it allows there,
# its name and why
SizeRule = Callable[[int], tuple[int, str, str]]


@dataclass(frozen=True, slots=True)
class Price:
    """Quote-token raw units per raw unit of a token, and the version it was read at (an
    oracle round, a block)."""

    value: Fraction
    version: str


class PriceSource(Protocol):
    async def price(self, token: str) -> Price: ...


class PositionSource(Protocol):
    async def balance(self, account_id: int, token: str) -> int: ...


class AnomalySource(Protocol):
    def flagged(self, token: str) -> str | None:
        """Why trading on this token's price is unsafe now (None: it is not flagged)."""
        ...


@dataclass(frozen=True, slots=True)
class Decision:
    """A gate decision as it is kept: the verdict, the rule that decided it, every rule's
    numbers and the inputs' versions."""

    intent_id: int
    account_id: int
    proposer: str
    stage: str  # the intent's status when reviewed: proposed (first look) or routed (pre-sign)
    verdict: str
    rule: str
    reasons: tuple[str, ...]
    numbers: Mapping[str, str]
    inputs: Mapping[str, str]
    amount_in: int
    notional: int
    at: float  # unix seconds


class DecisionLog(Protocol):
    async def record(self, decision: Decision) -> None: ...


@dataclass
class MemoryDecisionLog:
    """Decisions kept in memory (a backtest's, a test's)."""

    decisions: list[Decision] = field(default_factory=list)

    async def record(self, decision: Decision) -> None:
        self.decisions.append(decision)


class StoreDecisionLog:
    """Decisions kept in the store (``risk_decisions``), read back by :meth:`recent`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, decision: Decision) -> None:
        await self.store.risk_decisions.add(RiskDecisionRecord(
            intent_id=decision.intent_id, account_id=decision.account_id,
            proposer=decision.proposer, stage=decision.stage, verdict=decision.verdict,
            rule=decision.rule, reasons=decision.reasons, numbers=decision.numbers,
            inputs=decision.inputs, amount_in=decision.amount_in, notional=decision.notional,
            at=datetime.fromtimestamp(decision.at, UTC),
        ))  # fmt: skip

    async def recent(self, seconds: float, *, now: float | None = None) -> list[Decision]:
        """Decisions of the last ``seconds``, oldest first (what :meth:`RiskEngine.restore`
        needs: the longest window the policy uses)."""
        since = (time.time() if now is None else now) - seconds
        rows = await self.store.risk_decisions.since(datetime.fromtimestamp(since, UTC))
        return [Decision(
            intent_id=r.intent_id, account_id=r.account_id, proposer=r.proposer,
            stage=r.stage, verdict=r.verdict, rule=r.rule, reasons=r.reasons,
            numbers=r.numbers, inputs=r.inputs, amount_in=r.amount_in, notional=r.notional,
            at=r.at.timestamp(),
        ) for r in rows]  # fmt: skip


class _RefusedError(Exception):
    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


class RiskEngine:
    """A :class:`~zippifi.domain.RiskGate` over a :class:`~zippifi.risk.limits.RiskPolicy`."""

    def __init__(
        self,
        policy: RiskPolicy,
        *,
        graph: PoolGraph,
        prices: PriceSource,
        log: DecisionLog | None = None,
        positions: PositionSource | None = None,
        anomalies: AnomalySource | None = None,
        inner: RiskGate | None = None,
        max_hops: int = 3,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.graph = graph
        self.prices = prices
        self.log = log or MemoryDecisionLog()
        self.positions = positions
        self.anomalies = anomalies
        self.inner = inner
        self.max_hops = max_hops
        self._clock = clock
        self._global: TradingState = "active"
        self._vaults: dict[int, TradingState] = {}
        # (time, notional) of first-look approvals per vault; (time) of proposals per proposer
        self._spent: dict[int, deque[tuple[float, Fraction]]] = {}
        self._asked: dict[str, deque[float]] = {}

    # --- trading states --------------------------------------------------------------------

    def set_state(self, state: TradingState, *, vault: int | None = None) -> None:
        """ACTIVE, REDUCING (only trades that shrink exposure) or HALTED (nothing), for one
        vault or, with ``vault=None``, for all."""
        if state not in TRADING_STATES:
            raise ValueError(f"state must be one of {TRADING_STATES}, got {state!r}")
        if vault is None:
            self._global = state
        else:
            self._vaults[vault] = state

    def state(self, vault: int) -> TradingState:
        """The stricter of the global state and the vault's own."""
        own = self._vaults.get(vault, "active")
        return max(self._global, own, key=TRADING_STATES.index)

    def reduces_exposure(self, intent: TradeIntent) -> bool:
        """Selling a non-stable token for a stable one (the only trade REDUCING allows)."""
        stable = self.policy.stable
        return (to_checksum_address(intent.token_in) not in stable
                and to_checksum_address(intent.token_out) in stable)  # fmt: skip

    def restore(self, decisions: Iterable[Decision]) -> None:
        """After a restart: the rolling windows and proposal rates as the kept decisions
        (oldest first) left them."""
        for d in decisions:
            if d.stage != "proposed":
                continue
            self._asked.setdefault(d.proposer, deque()).append(d.at)
            exact = d.numbers.get("notional_exact")
            if d.verdict != "reject" and exact is not None:
                self._spent.setdefault(d.account_id, deque()).append((d.at, Fraction(exact)))

    # --- the review ------------------------------------------------------------------------

    async def review(self, intent: TradeIntent) -> RiskDecision:
        now = self._clock()
        first = intent.status == "proposed"
        limits = self.policy.limits(vault=intent.account_id, strategy=intent.strategy_id,
                                    token=intent.token_in)  # fmt: skip
        numbers: dict[str, str] = {}
        inputs: dict[str, str] = {}
        price_in = await self.prices.price(intent.token_in)
        inputs["price_in"] = price_in.version
        try:
            requested = amount = self._input_of(intent)
            notional = int(amount * price_in.value)
            self._check_state(intent)
            if self.inner is not None:
                inner = await self.inner.review(intent)
                numbers["inner"] = inner.verdict
                if inner.verdict == "reject":
                    raise _RefusedError("vault rules", "; ".join(inner.reasons))
                if inner.verdict == "resize" and inner.amount_in is not None:
                    amount = min(amount, inner.amount_in)
                    numbers["inner_amount_in"] = str(amount)
            self._check_fixed(intent, limits, first, now)
            bound, rule, why = await self._size_bound(intent, amount, limits, price_in, now,
                                                      numbers)  # fmt: skip
        except _RefusedError as refused:
            notional = int(intent.amount_in * price_in.value)
            return await self._decide(intent, "reject", refused.rule, (refused.reason,),
                                      numbers, inputs, intent.amount_in, notional, now)  # fmt: skip
        # an exact input can shrink, at the first look or just before signing (the market
        # moved meanwhile: execution plans the smaller size again); an exact output cannot
        resizable = intent.kind == "exact_in"
        if bound >= requested:
            verdict, rule, reasons = "approve", "all rules", ("within every limit",)
        elif bound > 0 and resizable:
            verdict, reasons = "resize", (f"{requested} resized to {bound}: {why}",)
        else:
            verdict, reasons = "reject", (why,)
        size = bound if verdict == "resize" else requested
        size_notional = int(size * price_in.value)
        if first and verdict != "reject":  # exact value: no rounding lets the window creep
            exact = size * price_in.value
            numbers["notional_exact"] = str(exact)
            self._spent.setdefault(intent.account_id, deque()).append((now, exact))
        return await self._decide(intent, verdict, rule, reasons, numbers, inputs, size,
                                  size_notional, now)  # fmt: skip

    async def _decide(
        self, intent: TradeIntent, verdict: str, rule: str, reasons: tuple[str, ...],
        numbers: dict[str, str], inputs: dict[str, str], amount_in: int, notional: int,
        now: float,
    ) -> RiskDecision:  # fmt: skip
        await self.log.record(Decision(
            intent_id=intent.id, account_id=intent.account_id, proposer=intent.proposer,
            stage=intent.status, verdict=verdict, rule=rule, reasons=reasons, numbers=numbers,
            inputs=inputs, amount_in=amount_in, notional=notional, at=now,
        ))  # fmt: skip
        if verdict == "resize":
            return RiskDecision("resize", reasons, amount_in=amount_in)
        return RiskDecision(verdict, reasons)  # type: ignore[arg-type]

    def _input_of(self, intent: TradeIntent) -> int:
        """The input the size rules judge: the intent's, or for an exact-output intent not yet
        routed (no input fixed), what the graph says the output costs now."""
        if intent.amount_in > 0:
            return intent.amount_in
        try:
            return self.graph.best_route_exact_out(intent.token_in, intent.token_out,
                                                   intent.amount,
                                                   max_hops=self.max_hops).amount_in  # fmt: skip
        except RouteNotFound:
            raise _RefusedError("route", "no route to price the trade on") from None

    def _check_state(self, intent: TradeIntent) -> None:
        state = self.state(intent.account_id)
        if state == "halted":
            # only the kill switch's own sales into stables, which close the book, go on
            if intent.proposer == KILL_SWITCH and self.reduces_exposure(intent):
                return
            raise _RefusedError("state", "trading is halted")
        if state == "reducing" and not self.reduces_exposure(intent):
            raise _RefusedError("state", "trading is reducing: only sales into stable tokens pass")

    def _check_fixed(self, intent: TradeIntent, limits: Limits, first: bool, now: float) -> None:
        """The rules a smaller trade would not meet either."""
        # every first look counts against the proposer's rate, refused or not
        rate = limits.max_proposals_per_minute
        if first and rate is not None:
            asked = self._asked.setdefault(intent.proposer, deque())
            while asked and asked[0] <= now - 60:
                asked.popleft()
            if len(asked) >= rate:
                raise _RefusedError("rate", f"{intent.proposer} proposed {len(asked)} in the last "
                                       f"minute; the limit is {rate}")  # fmt: skip
            asked.append(now)
        allow = self.policy.allowlist
        for side in ("token_in", "token_out"):
            token = to_checksum_address(getattr(intent, side))
            if allow is not None and token not in allow:
                raise _RefusedError("allowlist", f"{side} {token} is not on the allowlist")
            flag = None if self.anomalies is None else self.anomalies.flagged(token)
            if flag is not None:
                raise _RefusedError("anomaly", f"{side} {token} is flagged: {flag}")
        cap = limits.max_slippage_bps
        if cap is not None and intent.slippage_bps > cap:
            why = f"slippage bound {intent.slippage_bps} bps over the limit {cap}"
            raise _RefusedError("slippage", why)

    async def _size_bound(
        self, intent: TradeIntent, amount: int, limits: Limits, price_in: Price, now: float,
        numbers: dict[str, str],
    ) -> tuple[int, str, str]:  # fmt: skip
        """The largest input every size rule allows (at most ``amount``), the rule that binds
        and why."""
        bounds: list[tuple[int, str, str]] = [(amount, "vault rules", "the vault's own cap")]
        value = price_in.value
        cap = limits.max_notional_per_trade
        if cap is not None:
            most = _floor_div(cap, value)
            numbers["notional_per_trade"] = f"{int(amount * value)} of {cap}"
            bounds.append((most, "notional per trade", f"notional over {cap} per trade"))
        window, span = limits.max_notional_per_window, limits.window_s
        if window is not None and span is not None:
            spent = self._spent.setdefault(intent.account_id, deque())
            while spent and spent[0][0] <= now - span:
                spent.popleft()
            used = sum((n for _, n in spent), Fraction(0)) if intent.status == "proposed" else 0
            left = max(window - used, Fraction(0))
            numbers["notional_window"] = f"{int(used)} used of {window} per {span} s"
            bounds.append((_floor_div(left, value), "notional window",
                           f"{int(used)} of {window} already used in {span} s"))  # fmt: skip
        best = min(b for b, _, _ in bounds)
        rule, why = next((r, w) for b, r, w in bounds if b == best)
        # the searched rules, asked again below each new bound until all agree: integer
        # rounding makes a dust-sized trade's impact jagged, so one rule's bound can land where
        # another fails; at the fixed point every rule passes and the one that set it fails
        # one raw unit above
        searched: list[SizeRule] = []
        impact = limits.max_price_impact_bps
        if impact is not None:
            searched.append(self._impact_rule(intent, amount, impact, numbers))
        out_limits = self.policy.limits(vault=intent.account_id, strategy=intent.strategy_id,
                                        token=intent.token_out)  # fmt: skip
        if out_limits.max_position is not None and self.positions is not None:
            searched.append(await self._position_rule(intent, amount, out_limits.max_position,
                                                      numbers))  # fmt: skip
        moved = True
        while moved and best > 0:
            moved = False
            for search in searched:
                most, found_rule, found_why = search(best)
                if most < best:
                    best, rule, why, moved = most, found_rule, found_why, True
        return best, rule, why

    def _quote(self, intent: TradeIntent, amount: int) -> int:
        if amount == 0:
            return 0
        try:
            return self.graph.best_route(intent.token_in, intent.token_out, amount,
                                         max_hops=self.max_hops).amount_out  # fmt: skip
        except RouteNotFound:
            return 0

    def _impact_rule(self, intent: TradeIntent, amount: int, cap: int,
                     numbers: dict[str, str]) -> SizeRule:  # fmt: skip
        try:
            rate = reference_rate(self.graph, intent.token_in, intent.token_out, self.max_hops)
        except RouteNotFound:
            raise _RefusedError("price impact", "no route to price the trade on") from None
        at = impact_bps(self.graph, intent.token_in, intent.token_out, amount, rate,
                        self.max_hops)  # fmt: skip
        numbers["price_impact_bps"] = f"{float(at):.2f} of {cap}"
        why = f"price impact {float(at):.2f} bps over {cap} bps"

        def within(a: int) -> bool:
            return a == 0 or impact_bps(self.graph, intent.token_in, intent.token_out, a, rate,
                                        self.max_hops) <= cap  # fmt: skip

        return lambda upto: (largest(within, upto), "price impact", why)

    async def _position_rule(self, intent: TradeIntent, amount: int, cap: int,
                             numbers: dict[str, str]) -> SizeRule:  # fmt: skip
        assert self.positions is not None
        held = await self.positions.balance(intent.account_id, intent.token_out)
        after = held + self._quote(intent, amount)
        numbers["position_after"] = f"{after} of {cap}"
        why = f"position in {intent.token_out} would be {after}, over {cap}"
        return lambda upto: (
            largest(lambda a: held + self._quote(intent, a) <= cap, upto), "position", why,
        )  # fmt: skip


def _floor_div(budget: int | Fraction, price: Fraction) -> int:
    """The most raw units worth at most ``budget`` at ``price`` (everything, at price 0)."""
    if price <= 0:
        return 2**256 - 1
    return int(Fraction(budget) / price)


__all__ = [
    "KILL_SWITCH",
    "TRADING_STATES",
    "AnomalySource",
    "Decision",
    "DecisionLog",
    "MemoryDecisionLog",
    "PositionSource",
    "Price",
    "PriceSource",
    "RiskEngine",
    "StoreDecisionLog",
    "TradingState",
]
