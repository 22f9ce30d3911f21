"""From an approved intent to a swap plan: the best route on the runtime's synced pool graph
(net of gas), its exact quote, the minimum output the vault will enforce, and the calldata.

minOut is the exact quote less the intent's slippage bound, and never below the vault's oracle
bound (``oracleMinOut``); a quote below that bound is refused with the reason. How a route
becomes a call of a vault target is a :class:`RouteEncoder`'s business: today the V2 router
(Router02's ``swapExactTokensForTokens``, which ZippiRouter shares) for routes through one
router's pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

from zippifi.chain import PoolRef, encode_call, plan_route, v2_swap_calldata
from zippifi.chain.artifacts import load
from zippifi.domain import TradeIntent
from zippifi.errors import ExecutionError, InvalidInputError, RouteNotFound
from zippifi.execution.plans import Hop, SwapPlan
from zippifi.route import PoolGraph, Route, SplitRoute
from zippifi.sign import to_checksum_address

_VAULT = load("ZippiVault")
BPS = 10_000
# what the vault adds to a swap's own gas (checks, oracle reads, approvals, balance reads)
VAULT_GAS_OVERHEAD = 160_000


AnyRoute = Route | SplitRoute


class RouteEncoder(Protocol):
    """Turns a route into (target, calldata) for the vault to call, output paid to ``recipient``."""

    def encode(
        self, route: AnyRoute, *, recipient: str, min_out: int, deadline: int
    ) -> tuple[str, bytes]: ...


class V2RouterEncoder:
    """Routes through the pairs of one V2 factory, sent to its Router02-compatible router.
    ``factory_of`` says which factory made a pool (the pool sync knows)."""

    def __init__(self, router: str, factory: str, factory_of: Callable[[str], str | None]) -> None:
        self.router = to_checksum_address(router)
        self.factory = factory.lower()
        self._factory_of = factory_of

    def encode(
        self, route: AnyRoute, *, recipient: str, min_out: int, deadline: int
    ) -> tuple[str, bytes]:
        if isinstance(route, SplitRoute):
            if len(route.routes) != 1:
                raise ExecutionError(
                    f"{self.router} cannot run a route split {len(route.routes)} ways"
                )
            route = route.routes[0]
        for pool in route.pools:
            made_by = self._factory_of(pool)
            if made_by is None or made_by.lower() != self.factory:
                raise ExecutionError(
                    f"pool {pool} on the route is not a pair of {self.router}'s factory"
                )
        data = v2_swap_calldata(route.amount_in, min_out, route.tokens, recipient, deadline)
        return self.router, data


class ExecutorEncoder:
    """Routes of any shape the executor runs (multi-hop, split across pools of every kind it
    knows), as ``ZippiRouteExecutor.execute`` calldata; the vault pushes the input to it.
    ``kind_of`` says how the executor calls a pool (None: it cannot)."""

    def __init__(self, executor: str, kind_of: Callable[[str], PoolRef | None]) -> None:
        self.executor = to_checksum_address(executor)
        self._kind_of = kind_of

    def encode(
        self, route: AnyRoute, *, recipient: str, min_out: int, deadline: int
    ) -> tuple[str, bytes]:
        kinds: dict[str, PoolRef] = {}
        for hop in hops_of(route):
            kind = self._kind_of(hop.pool)
            if kind is None:
                raise ExecutionError(f"the executor cannot swap through pool {hop.pool}")
            kinds[hop.pool] = kind
        try:
            return self.executor, plan_route(route, kinds).calldata()
        except InvalidInputError as exc:
            raise ExecutionError(f"the route cannot be encoded for the executor: {exc}") from exc


def hops_of(route: AnyRoute) -> tuple[Hop, ...]:
    if isinstance(route, SplitRoute):
        return tuple(h for part in route.routes for h in hops_of(part))
    tokens, amounts = route.tokens, route.amounts
    return tuple(Hop(pool, tokens[i], tokens[i + 1], amounts[i], amounts[i + 1])
                 for i, pool in enumerate(route.pools))  # fmt: skip


class OracleBounds(Protocol):
    """Where the vault's oracle bound on minOut comes from (the vault on chain, or a backtest's
    prices)."""

    vault: str

    async def oracle_min_out(self, token_in: str, token_out: str, amount_in: int) -> int: ...


class NoCalldata:
    """A route encoder for venues that never call a target (the backtest)."""

    def encode(
        self, route: AnyRoute, *, recipient: str, min_out: int, deadline: int
    ) -> tuple[str, bytes]:
        return recipient, b""


def pool_factories(pools: Mapping[str, object]) -> Callable[[str], str | None]:
    """``factory_of`` over a pool sync's pools (address -> state with a ``factory``)."""
    by_address = {a.lower(): getattr(s, "factory", None) for a, s in pools.items()}
    return lambda pool: by_address.get(pool.lower())


class Router:
    """Plans swaps for one vault on a pool graph."""

    def __init__(
        self,
        graph: PoolGraph,
        rules: OracleBounds,
        encoder: RouteEncoder,
        *,
        chain_id: int,
        max_hops: int = 3,
        max_splits: int = 1,
        gas_price_wei: int = 0,
    ) -> None:
        self.graph = graph
        self.max_splits = max_splits
        self.rules = rules
        self.encoder = encoder
        self.chain_id = chain_id
        self.max_hops = max_hops
        self.gas_price_wei = gas_price_wei

    def _best(self, token_in: str, token_out: str, amount_in: int) -> AnyRoute:
        if self.max_splits > 1:
            return self.graph.split_route(token_in, token_out, amount_in, max_hops=self.max_hops,
                                          max_splits=self.max_splits,
                                          gas_price_wei=self.gas_price_wei)  # fmt: skip
        return self.graph.best_route(token_in, token_out, amount_in, max_hops=self.max_hops,
                                     gas_price_wei=self.gas_price_wei)  # fmt: skip

    def _route(self, intent: TradeIntent) -> AnyRoute:
        try:
            if intent.kind == "exact_in":
                return self._best(intent.token_in, intent.token_out, intent.amount_in)
            # exact output: the input the route needs, plus the slippage room, swapped exactly
            needed = self.graph.best_route_exact_out(
                intent.token_in, intent.token_out, intent.amount, max_hops=self.max_hops,
                gas_price_wei=self.gas_price_wei,
            )  # fmt: skip
            amount_in = -((-needed.amount_in * (BPS + intent.slippage_bps)) // BPS)
            return self._best(intent.token_in, intent.token_out, amount_in)
        except RouteNotFound as exc:
            raise ExecutionError(f"no route: {exc}") from exc

    async def plan(self, intent: TradeIntent, *, now: datetime) -> SwapPlan:
        """The plan for ``intent``, or ExecutionError saying why there is none."""
        if intent.deadline is not None and intent.deadline <= now:
            raise ExecutionError(f"the deadline {intent.deadline.isoformat()} has passed")
        route = self._route(intent)
        quoted = route.amount_out
        if intent.kind == "exact_out":
            min_out = intent.amount  # the output asked for, exactly
        else:
            min_out = quoted * (BPS - intent.slippage_bps) // BPS
        min_out = max(min_out, intent.min_amount_out)  # a re-plan never loosens a routed bound
        bound = await self.rules.oracle_min_out(intent.token_in, intent.token_out, route.amount_in)
        if quoted < bound:
            raise ExecutionError(
                f"the route's exact quote {quoted} is below the vault's oracle bound {bound}"
            )
        if min_out > quoted:
            raise ExecutionError(f"the route's exact quote {quoted} is below the minimum {min_out}")
        min_out = max(min_out, bound, 1)
        deadline = int((intent.deadline or now).timestamp())
        hops = hops_of(route)
        target, data = self.encoder.encode(route, recipient=self.rules.vault, min_out=min_out,
                                           deadline=deadline)  # fmt: skip
        vault_call = encode_call(_VAULT, "swapExactIn", target, intent.token_in, intent.token_out,
                                 route.amount_in, min_out, deadline, data)  # fmt: skip
        return SwapPlan(
            intent_id=intent.id, chain_id=self.chain_id, vault=self.rules.vault, target=target,
            token_in=intent.token_in, token_out=intent.token_out, amount_in=route.amount_in,
            quoted_out=quoted, min_out=min_out, oracle_bound=bound, deadline=deadline,
            target_calldata=data, vault_calldata=vault_call, pools=tuple(h.pool for h in hops),
            gas_estimate=route.gas_estimate + VAULT_GAS_OVERHEAD, hops=hops,
        )  # fmt: skip
