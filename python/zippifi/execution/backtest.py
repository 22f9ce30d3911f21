"""The backtest venue: the kernels' pool graph is the market, with no EVM.

A swap plan fills at the kernel's exact quote for the graph's current state; the fill is then
applied to the graph (V2 reserves move by that quote's hop amounts, not the plan's) and to a
balance book, and costs gas by the route's gas model at a fixed price. The vault's rules are a
:class:`BacktestRules` in memory: token caps, a rolling 24 h spend per token, and the oracle
bound from given prices, the way the vault computes it. Everything above the venue (gate,
router, engine) is the code that runs live.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from zippifi.domain import FillReport, Urgency, Venue
from zippifi.errors import ExecutionError, SimulationRevertedError
from zippifi.execution.plans import SwapPlan
from zippifi.execution.vault_rules import TokenRule
from zippifi.execution.venues import OnSigned, Outcome
from zippifi.route import PoolGraph, Route

DAY = timedelta(days=1)
BPS = 10_000


@dataclass
class BacktestToken:
    decimals: int
    usd_price: Fraction  # per whole token
    max_trade_in: int
    daily_cap_in: int


@dataclass
class BacktestRules:
    """The vault's rules, in memory, for one agent; ``clock`` is the replay's time."""

    vault: str
    agent: str
    tokens: dict[str, BacktestToken]
    clock: Callable[[], datetime]
    max_slippage_bps: int = 100
    is_paused: bool = False
    _spent: dict[str, deque[tuple[datetime, int]]] = field(default_factory=dict)

    def _token(self, token: str) -> BacktestToken | None:
        return self.tokens.get(token.lower())

    def spend(self, token: str, amount: int) -> None:
        self._spent.setdefault(token.lower(), deque()).append((self.clock(), amount))

    def _spent_today(self, token: str) -> int:
        window = self._spent.get(token.lower(), deque())
        while window and window[0][0] <= self.clock() - DAY:
            window.popleft()
        return sum(a for _, a in window)

    async def paused(self) -> bool:
        return self.is_paused

    async def agent_allowed(self) -> bool:
        return True

    async def token(self, token: str) -> TokenRule:
        t = self._token(token)
        if t is None:
            return TokenRule(False, 0, 0, 0, 0)
        remaining = max(t.daily_cap_in - self._spent_today(token), 0)
        return TokenRule(True, t.decimals, t.max_trade_in, t.daily_cap_in, remaining)

    async def oracle_min_out(self, token_in: str, token_out: str, amount_in: int) -> int:
        t_in, t_out = self._token(token_in), self._token(token_out)
        if t_in is None or t_out is None:
            raise ExecutionError(f"no backtest price for {token_in if t_in is None else token_out}")
        implied = Fraction(amount_in, 10**t_in.decimals) * t_in.usd_price / t_out.usd_price
        implied_units = int(implied * 10**t_out.decimals)
        return implied_units * (BPS - self.max_slippage_bps) // BPS


class BacktestVenue:
    """Fills plans on the graph; ``reserves`` are the V2 pools' (reserve0, reserve1) and
    token0 by pool address (the replay keeps them), ``balances`` the vault's by token."""

    kind: Venue = "backtest"

    def __init__(
        self, graph: PoolGraph, rules: BacktestRules, *,
        v2_pools: Mapping[str, tuple[str, int, int]], balances: dict[str, int],
        gas_price_wei: int = 0,
    ) -> None:  # fmt: skip
        self.graph = graph
        self.rules = rules
        self.v2: dict[str, tuple[str, int, int]] = {a.lower(): v for a, v in v2_pools.items()}
        self.balances = {t.lower(): b for t, b in balances.items()}
        self.gas_price_wei = gas_price_wei

    def _quote(self, plan: SwapPlan) -> Route:
        route = self.graph.best_route(plan.token_in, plan.token_out, plan.amount_in)
        if [p.lower() for p in route.pools] != [p.lower() for p in plan.pools]:
            # the plan was made on this graph: another route now means the state moved
            raise SimulationRevertedError("the graph moved since the plan was made",
                                          error="StateMoved")  # fmt: skip
        return route

    def _fill(self, plan: SwapPlan) -> Route:
        """The route the plan fills along now, as the chain would fill it: at the current
        state's quote, which must meet minOut."""
        have = self.balances.get(plan.token_in.lower(), 0)
        if have < plan.amount_in:
            raise SimulationRevertedError(f"the vault holds {have} of {plan.token_in}",
                                          error="InsufficientBalance")  # fmt: skip
        route = self._quote(plan)
        out = route.amount_out
        if out < plan.min_out:
            error = f"InsufficientOutput({out}, {plan.min_out})"
            raise SimulationRevertedError(f"output {out} below minOut {plan.min_out}", error=error)
        return route

    async def simulate(self, plan: SwapPlan) -> int:
        return self._fill(plan).amount_out

    def _apply(self, route: Route) -> None:
        """Moves each pool by the amounts ``route`` (quoted on the current state) fills, not by
        the plan's hops: those were quoted when the plan was made, and once the pools have
        moved they would leave reserves no trade leads to. All pools are checked first, so a
        refusal changes nothing."""
        moved: dict[str, tuple[str, int, int]] = {}
        for k, address in enumerate(route.pools):
            pool = address.lower()
            state = moved.get(pool) or self.v2.get(pool)
            if state is None:
                raise ExecutionError(f"backtest venue: pool {address} is not a V2 pool it tracks")
            token0, r0, r1 = state
            amount_in, amount_out = route.amounts[k], route.amounts[k + 1]
            if route.tokens[k].lower() == token0.lower():
                r0, r1 = r0 + amount_in, r1 - amount_out
            else:
                r0, r1 = r0 - amount_out, r1 + amount_in
            moved[pool] = (token0, r0, r1)
        for pool, (token0, r0, r1) in moved.items():
            self.graph.update_v2_reserves(pool, r0, r1)
            self.v2[pool] = (token0, r0, r1)

    async def execute(
        self, plans: Sequence[SwapPlan], *, urgency: Urgency, on_signed: OnSigned | None
    ) -> list[Outcome]:
        out: list[Outcome] = []
        for plan in plans:
            try:
                route = self._fill(plan)
                self._apply(route)
            except (SimulationRevertedError, ExecutionError) as exc:
                out.append(Outcome(plan, error=exc))
                continue
            amount_out = route.amount_out
            t_in, t_out = plan.token_in.lower(), plan.token_out.lower()
            self.balances[t_in] = self.balances.get(t_in, 0) - plan.amount_in
            self.balances[t_out] = self.balances.get(t_out, 0) + amount_out
            self.rules.spend(plan.token_in, plan.amount_in)
            gas = plan.gas_estimate
            fill = FillReport(venue="backtest", intent_id=plan.intent_id,
                              token_in=plan.token_in, token_out=plan.token_out,
                              amount_in=plan.amount_in, amount_out=amount_out,
                              chain_id=plan.chain_id, pool=plan.pools[0] if plan.pools else None,
                              gas_used=gas, gas_cost_native=gas * self.gas_price_wei)  # fmt: skip
            out.append(Outcome(plan, fill=fill))
        return out
