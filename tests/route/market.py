"""A pool market described in plain Python, and the brute-force reference the route kernel is
held to.

A :class:`Market` is a list of pool specs (V2, V3, StableSwap) over token addresses. It builds
the kernel's ``PoolGraph`` and, independently, a :class:`Sim` of the same pools on the AMM
kernels (``zippifi.amm``: each already proven wei-exact against the real contracts). The
reference enumerates simple paths with networkx (a MultiGraph: parallel pools are distinct
edges) and simulates each one leg after another against shared state, so a path that used a
pool twice would see the first leg's effect. Nothing here calls the route kernel.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import networkx as nx
from eth_utils import keccak, to_checksum_address

from zippifi import amm
from zippifi.errors import ZippiError
from zippifi.route import PoolGraph

GAS_KEYS = ("base", "v2_hop", "v3_hop", "v3_tick", "stable_hop")


def address_of(label: str) -> str:
    """A deterministic checksummed address for a label ("token 3", "pool 12")."""
    return to_checksum_address(keccak(text=label)[:20])


@dataclass(frozen=True)
class V2Spec:
    address: str
    token0: str
    token1: str
    reserve0: int
    reserve1: int
    fee_bps: int = 30
    kind: Literal["v2"] = "v2"

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.token0, self.token1)


@dataclass(frozen=True)
class V3Spec:
    address: str
    token0: str
    token1: str
    sqrt_price_x96: int
    tick: int
    liquidity: int
    fee: int
    tick_spacing: int
    ticks: tuple[tuple[int, int], ...]
    kind: Literal["v3"] = "v3"

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.token0, self.token1)

    def pool(self) -> amm.V3Pool:
        return amm.V3Pool(
            self.sqrt_price_x96,
            self.tick,
            self.liquidity,
            self.fee,
            self.tick_spacing,
            dict(self.ticks),
        )


@dataclass(frozen=True)
class StableSpec:
    address: str
    tokens: tuple[str, ...]
    balances: tuple[int, ...]
    amp: int
    fee: int
    kind: Literal["stable"] = "stable"


PoolSpec = V2Spec | V3Spec | StableSpec


def add_pool(graph: PoolGraph, p: PoolSpec) -> None:
    if isinstance(p, V2Spec):
        graph.add_v2_pool(p.address, p.token0, p.token1, p.reserve0, p.reserve1, p.fee_bps)
    elif isinstance(p, V3Spec):
        graph.add_v3_pool(
            p.address,
            p.token0,
            p.token1,
            p.sqrt_price_x96,
            p.tick,
            p.liquidity,
            p.fee,
            p.tick_spacing,
            dict(p.ticks),
        )
    else:
        graph.add_stable_pool(p.address, list(p.tokens), list(p.balances), p.amp, p.fee)


@dataclass(frozen=True)
class Market:
    tokens: tuple[str, ...]
    pools: tuple[PoolSpec, ...]
    native: str | None = None
    fee_on_transfer: frozenset[str] = field(default_factory=frozenset)

    def graph(self) -> PoolGraph:
        g = PoolGraph(self.native)
        for t in sorted(self.fee_on_transfer):
            g.set_token(t, 18, fee_on_transfer=True)
        for p in self.pools:
            add_pool(g, p)
        return g

    def pool(self, address: str) -> PoolSpec:
        for p in self.pools:
            if p.address == address:
                return p
        raise KeyError(address)

    def without(self, address: str) -> Market:
        return Market(
            self.tokens,
            tuple(p for p in self.pools if p.address != address),
            self.native,
            self.fee_on_transfer,
        )

    def replace(self, new: PoolSpec) -> Market:
        return Market(
            self.tokens,
            tuple(new if p.address == new.address else p for p in self.pools),
            self.native,
            self.fee_on_transfer,
        )

    def multigraph(self, allow_fee_on_transfer: bool = False) -> nx.MultiGraph:
        g: nx.MultiGraph = nx.MultiGraph()
        g.add_nodes_from(self.tokens)
        for p in self.pools:
            for a, b in itertools.combinations(p.tokens, 2):
                g.add_edge(a, b, key=p.address)
        if not allow_fee_on_transfer:
            g.remove_nodes_from(self.fee_on_transfer)
        return g


# --- exact simulation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    amount_in: int
    amount_out: int
    ticks_crossed: int


class SimPool:
    """One pool's mutable state on the AMM kernels."""

    def __init__(self, spec: PoolSpec) -> None:
        self.spec = spec
        self.exhausted = 0  # exact-input quotes refused: the pool ran dry with input left
        self.reserves: list[int] = []
        self.v3: amm.V3Pool | None = None
        if isinstance(spec, V2Spec):
            self.reserves = [spec.reserve0, spec.reserve1]
        elif isinstance(spec, V3Spec):
            self.v3 = spec.pool()
        else:
            self.reserves = list(spec.balances)

    def copy(self) -> SimPool:
        c = SimPool.__new__(SimPool)
        c.spec = self.spec
        c.exhausted = 0
        c.reserves = list(self.reserves)
        c.v3 = None
        if self.v3 is not None:
            p = self.v3
            c.v3 = amm.V3Pool(p.sqrt_price_x96, p.tick, p.liquidity, p.fee, p.tick_spacing, p.ticks)
        return c

    def _ij(self, tin: str, tout: str) -> tuple[int, int]:
        toks = self.spec.tokens
        return toks.index(tin), toks.index(tout)

    def quote(self, tin: str, tout: str, amount: int) -> Leg | None:
        """Exact input: None unless the pool takes all of `amount` and pays something."""
        i, j = self._ij(tin, tout)
        spec = self.spec
        ticks = 0
        try:
            if isinstance(spec, V2Spec):
                out = amm.v2_amount_out(amount, self.reserves[i], self.reserves[j], spec.fee_bps)
            elif isinstance(spec, V3Spec):
                assert self.v3 is not None
                r = self.v3.swap(i == 0, amount)
                paid_in, paid_out = (r.amount0, r.amount1) if i == 0 else (r.amount1, r.amount0)
                if paid_in != amount:  # stopped at the price limit with input left over
                    self.exhausted += 1
                    return None
                out, ticks = -paid_out, r.ticks_crossed
            else:
                out = amm.stable_get_dy(i, j, amount, self.reserves, spec.amp, spec.fee)
        except ZippiError:
            return None
        if out <= 0:
            return None
        return Leg(amount, out, ticks)

    def quote_out(self, tin: str, tout: str, amount_out: int) -> Leg | None:
        """Exact output: the least input for which the pool pays `amount_out`."""
        i, j = self._ij(tin, tout)
        spec = self.spec
        if isinstance(spec, V3Spec):
            assert self.v3 is not None
            try:
                r = self.v3.swap(i == 0, -amount_out)
            except ZippiError:
                return None
            paid_in, paid_out = (r.amount0, r.amount1) if i == 0 else (r.amount1, r.amount0)
            if paid_in <= 0 or -paid_out != amount_out:
                return None
            return Leg(paid_in, amount_out, r.ticks_crossed)
        if amount_out >= self.reserves[j]:
            return None

        def pays(x: int) -> bool:
            leg = self.quote(tin, tout, x)
            return leg is not None and leg.amount_out >= amount_out

        hi = max(amount_out, 1)
        while not pays(hi):
            hi *= 2
            if hi >= 2**256:
                return None
        lo = 0
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if pays(mid):
                hi = mid
            else:
                lo = mid
        return Leg(hi, amount_out, 0)

    def apply(self, tin: str, tout: str, leg: Leg) -> None:
        i, j = self._ij(tin, tout)
        if self.v3 is not None:
            self.v3.apply(self.v3.swap(i == 0, leg.amount_in))
        else:
            self.reserves[i] += leg.amount_in
            self.reserves[j] -= leg.amount_out


Hop = tuple[str, str, str]  # (pool address, token in, token out)


class Sim:
    """Every pool of a market; `fork()` gives an independent copy to run trades on."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self.pools = {p.address: SimPool(p) for p in market.pools}
        self.exhausted_legs = 0  # paths refused because a V3 leg could not absorb its input

    def fork(self) -> Sim:
        s = Sim.__new__(Sim)
        s.market = self.market
        s.pools = {a: p.copy() for a, p in self.pools.items()}
        s.exhausted_legs = 0
        return s

    def run(self, path: Sequence[Hop], amount: int, *, commit: bool = False) -> list[Leg] | None:
        """Exact-input legs one after another (a pool used twice sees its first leg's effect);
        None if a leg cannot take its input. With commit the trades stay applied."""
        touched: dict[str, SimPool] = {}
        legs: list[Leg] = []
        for addr, tin, tout in path:
            pool = self.pools[addr] if commit else touched.setdefault(addr, self.pools[addr].copy())
            leg = pool.quote(tin, tout, amount)
            if leg is None:
                self.exhausted_legs += pool.exhausted
                pool.exhausted = 0
                return None
            pool.apply(tin, tout, leg)
            legs.append(leg)
            amount = leg.amount_out
        return legs

    def forward_out(self, path: Sequence[Hop], amounts: Sequence[int]) -> list[int] | None:
        """Executes exact-output legs in order against shared state (leg k asks for
        amounts[k + 1]); returns [amounts[0], the input each leg needed...] or None."""
        state = self.fork()
        needed = [amounts[0]]
        for k, (addr, tin, tout) in enumerate(path):
            pool = state.pools[addr]
            leg = pool.quote_out(tin, tout, amounts[k + 1])
            if leg is None:
                return None
            if pool.v3 is not None:
                zero_for_one = pool.spec.tokens.index(tin) == 0
                pool.v3.apply(pool.v3.swap(zero_for_one, -leg.amount_out))
            else:
                pool.apply(tin, tout, leg)
            needed.append(leg.amount_in)
        return needed

    def run_out(self, path: Sequence[Hop], amount_out: int) -> list[Leg] | None:
        """Exact-output legs computed from the last pool back to the first."""
        legs: list[Leg] = []
        need = amount_out
        for addr, tin, tout in reversed(path):
            leg = self.pools[addr].quote_out(tin, tout, need)
            if leg is None:
                return None
            legs.append(leg)
            need = leg.amount_in
        legs.reverse()
        return legs


def kind_of(market: Market, address: str) -> str:
    return market.pool(address).kind


def gas_units(
    market: Market,
    path: Sequence[Hop],
    legs: Sequence[Leg],
    model: dict[str, int],
    with_base: bool = True,
) -> int:
    units = model["base"] if with_base else 0
    for (addr, _, _), leg in zip(path, legs, strict=True):
        kind = kind_of(market, addr)
        units += model[f"{kind}_hop"] + (
            model["v3_tick"] * leg.ticks_crossed if kind == "v3" else 0
        )
    return units


def simple_paths(
    market: Market, src: str, dst: str, max_hops: int, allow_fee_on_transfer: bool = False
) -> Iterator[list[Hop]]:
    g = market.multigraph(allow_fee_on_transfer)
    if src not in g or dst not in g:
        return
    for edges in nx.all_simple_edge_paths(g, src, dst, cutoff=max_hops):
        yield [(key, u, v) for u, v, key in edges]


@dataclass(frozen=True)
class Outcome:
    path: list[Hop]
    legs: list[Leg]
    units: int
    gas_cost: int

    @property
    def amount_out(self) -> int:
        return self.legs[-1].amount_out

    @property
    def net(self) -> int:
        return self.amount_out - self.gas_cost

    @property
    def hops(self) -> int:
        return len(self.path)


def all_outcomes(
    market: Market,
    sim: Sim,
    src: str,
    dst: str,
    amount: int,
    max_hops: int,
    *,
    model: dict[str, int],
    gas_price: int = 0,
    allow_fee_on_transfer: bool = False,
) -> list[Outcome]:
    """Every simple path simulated exactly. Gas is priced only for `dst == market.native`
    (one wei of native is one raw unit of it, so the cost is exactly units * gas_price)."""
    assert gas_price == 0 or dst == market.native
    out = []
    for path in simple_paths(market, src, dst, max_hops, allow_fee_on_transfer):
        legs = sim.run(path, amount)
        if legs is None:
            continue
        units = gas_units(market, path, legs, model)
        out.append(Outcome(path, legs, units, units * gas_price))
    return out


def best_of(outcomes: Sequence[Outcome]) -> Outcome | None:
    """Highest net, ties to fewer hops."""
    return max(outcomes, key=lambda o: (o.net, -o.hops), default=None)


def path_of(pools: Sequence[str], tokens: Sequence[str]) -> list[Hop]:
    return [(p, tokens[k], tokens[k + 1]) for k, p in enumerate(pools)]
