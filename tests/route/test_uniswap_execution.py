"""Executability: routes the kernel returns, executed leg after leg on the real Uniswap contracts.

Five TestERC20s, real V2 pairs (``@uniswap/v2-core`` factory) and real V3 pools
(``@uniswap/v3-core`` factory, positions minted through V3Callee: wide, narrow, away from the
price, one pool too thin for big trades, a boundary tick whose liquidityNet is 0), on py-evm (or
the node at ZIPPIFI_TEST_EVM_URL). The graph is built from what the chain says (getReserves,
slot0, liquidity, ticks(t)). Each exact-input route then runs on chain from the same state: leg
k's input is what leg k-1 really delivered; a V2 leg is paid and asks the pair for
UniswapV2Library.getAmountOut at the pair's reserves of that moment (Router02 on chain), and the
pair must refuse one wei more; a V3 leg is pool.swap with exact input and no price limit, and
must take the whole input. Every received amount must equal ``route.amounts`` exactly.
Exact-output routes run the same way with exact-output swaps (V2: the route's input pays for its
output and one wei less does not).
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from web3.contract import Contract
from web3.logs import DISCARD

from tests.uniswap.artifacts import HarnessUnavailableError, helper_artifact, uniswap_artifact
from tests.uniswap.chain import Chain, Reverted, open_chain
from tests.uniswap.tickmath import (
    MAX_SQRT_RATIO,
    MIN_SQRT_RATIO,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from tests.uniswap.v2 import NO_WETH
from tests.uniswap.v3 import Position, nets_of
from zippifi.errors import RouteNotFound
from zippifi.route import PoolGraph, Route

from .checks import LONG, Coverage

SEED = int(os.environ.get("ZIPPIFI_TEST_SEED") or random.SystemRandom().randrange(2**32))
N_EXACT_IN = 150 if LONG else 30
N_EXACT_OUT = 60 if LONG else 12
FUNDS = 2**200
# raw-unit prices of the five tokens in a common numeraire
PRICES = (1.0, 2000.0, 0.5, 30.0, 1.0)
V2_PAIRS = ((0, 1), (1, 2), (2, 3), (0, 3), (3, 4), (0, 4))
# (a, b, fee, shape); "thin" has only narrow, shallow positions
V3_POOLS = (
    (0, 1, 3000, "deep"),
    (0, 1, 500, "deep"),
    (1, 2, 3000, "deep"),
    (2, 4, 10000, "deep"),
    (1, 3, 500, "thin"),
    (0, 2, 3000, "deep"),
)
SPACINGS = {500: 10, 3000: 60, 10000: 200}


@dataclass
class OnChainPool:
    kind: str  # "v2" or "v3"
    contract: Contract
    token0: str
    token1: str
    positions: list[Position]


class Market:
    """The deployed tokens and pools, and the helpers that drive them."""

    def __init__(self, chain: Chain, rng: random.Random) -> None:
        self.chain = chain
        send = chain.send
        erc20 = helper_artifact("TestERC20")
        self.tokens = [chain.deploy(erc20, f"Token {k}", f"T{k}") for k in range(5)]
        self.by_address = {t.address: t for t in self.tokens}
        self.v2_factory = chain.deploy(uniswap_artifact("UniswapV2Factory"), chain.account)
        self.router = chain.deploy(
            uniswap_artifact("UniswapV2Router02"), self.v2_factory.address, NO_WETH
        )
        self.swapper = chain.deploy(helper_artifact("V2Swapper"))
        self.v3_factory = chain.deploy(uniswap_artifact("UniswapV3Factory"))
        self.callee = chain.deploy(helper_artifact("V3Callee"))
        self.lens = chain.deploy(helper_artifact("V3Lens"))
        for t in self.tokens:
            send(t.functions.mint(self.callee.address, FUNDS))
        self.pools: dict[str, OnChainPool] = {}
        pair_artifact = uniswap_artifact("UniswapV2Pair")
        for a, b in V2_PAIRS:
            ta, tb = self.tokens[a].address, self.tokens[b].address
            send(self.v2_factory.functions.createPair(ta, tb))
            pair = chain.at(pair_artifact, chain.call(self.v2_factory.functions.getPair(ta, tb)))
            t0 = chain.call(pair.functions.token0())
            t1 = chain.call(pair.functions.token1())
            depth = 10 ** rng.uniform(2, 5)
            r0 = int(depth * 1e18 / PRICES[self._index(t0)] * rng.uniform(0.98, 1.02))
            r1 = int(depth * 1e18 / PRICES[self._index(t1)])
            send(self.swapper.functions.setReserves(pair.address, r0, r1))
            self.pools[pair.address] = OnChainPool("v2", pair, t0, t1, [])
        pool_artifact = uniswap_artifact("UniswapV3Pool")
        for a, b, fee, shape in V3_POOLS:
            ta, tb = self.tokens[a].address, self.tokens[b].address
            send(self.v3_factory.functions.createPool(ta, tb, fee))
            pool = chain.at(
                pool_artifact, chain.call(self.v3_factory.functions.getPool(ta, tb, fee))
            )
            t0 = chain.call(pool.functions.token0())
            t1 = chain.call(pool.functions.token1())
            price = PRICES[self._index(t0)] / PRICES[self._index(t1)] * rng.uniform(0.98, 1.02)
            tick = math.floor(math.log(price) / math.log(1.0001))
            lo, hi = get_sqrt_ratio_at_tick(tick), get_sqrt_ratio_at_tick(tick + 1)
            sqrt_price = lo + int((hi - lo) * rng.random())
            send(pool.functions.initialize(sqrt_price))
            # L = x * sqrt(P) puts ~depth numeraire units of token0 in the wide position
            depth0 = 10 ** rng.uniform(3, 5) * 1e18 / PRICES[self._index(t0)]
            unit = int(depth0 * math.sqrt(price))
            positions = self._positions(
                get_tick_at_sqrt_ratio(sqrt_price), SPACINGS[fee], unit, shape
            )
            send(
                self.callee.functions.mintMany(
                    pool.address,
                    [p.lower for p in positions],
                    [p.upper for p in positions],
                    [p.liquidity for p in positions],
                )
            )
            self.pools[pool.address] = OnChainPool("v3", pool, t0, t1, positions)

    def _index(self, address: str) -> int:
        return [t.address for t in self.tokens].index(address)

    @staticmethod
    def _positions(tick: int, spacing: int, unit: int, shape: str) -> list[Position]:
        centre = tick // spacing * spacing
        if shape == "thin":
            return [Position(centre - spacing, centre + spacing, unit // 10)]
        shared = centre + 3 * spacing  # ends one position and starts another: net 0 there
        return [
            Position(centre - 400 * spacing, centre + 400 * spacing, unit),
            Position(centre - 8 * spacing, shared, unit * 3),
            Position(shared, centre + 20 * spacing, unit * 3),
            Position(centre - 2 * spacing, centre + 2 * spacing, unit * 5),
            Position(centre + 30 * spacing, centre + 60 * spacing, unit * 2),  # above the price
            Position(centre - 60 * spacing, centre - 30 * spacing, unit * 2),  # below it
        ]

    # reading the chain

    def graph(self) -> PoolGraph:
        g = PoolGraph()
        for address, p in self.pools.items():
            if p.kind == "v2":
                r0, r1, _ = self.chain.call(p.contract.functions.getReserves())
                g.add_v2_pool(address, p.token0, p.token1, int(r0), int(r1), 30)
                continue
            sqrt_price, tick, liquidity, _ = self.chain.call(self.lens.functions.state(address))
            nets = nets_of(p.positions)
            rows = self.chain.call(self.lens.functions.tickInfos(address, sorted(nets)))
            ticks = {int(t): int(net) for t, _gross, net, _init in rows}
            assert ticks == nets
            assert all(row[3] for row in rows)
            spacing = SPACINGS[int(self.chain.call(p.contract.functions.fee()))]
            fee = int(self.chain.call(p.contract.functions.fee()))
            g.add_v3_pool(
                address,
                p.token0,
                p.token1,
                int(sqrt_price),
                int(tick),
                int(liquidity),
                fee,
                spacing,
                ticks,
            )
        return g

    def balance(self, token: str, holder: str) -> int:
        return int(self.chain.call(self.by_address[token].functions.balanceOf(holder)))

    # executing one leg

    def v2_exact_in(self, pair: str, token_in: str, amount_in: int) -> int:
        p = self.pools[pair]
        r0, r1, _ = self.chain.call(p.contract.functions.getReserves())
        zero_for_one = token_in == p.token0
        r_in, r_out = (int(r0), int(r1)) if zero_for_one else (int(r1), int(r0))
        out = int(self.chain.call(self.router.functions.getAmountOut(amount_in, r_in, r_out)))
        more = self.swapper.functions.swap(pair, zero_for_one, amount_in, out + 1)
        with pytest.raises(Reverted, match="UniswapV2: K"):
            self.chain.call(more)
        return self._v2_send(p, zero_for_one, amount_in, out)

    def v2_exact_out(self, pair: str, token_in: str, amount_in: int, amount_out: int) -> int:
        p = self.pools[pair]
        zero_for_one = token_in == p.token0
        less = self.swapper.functions.swap(pair, zero_for_one, amount_in - 1, amount_out)
        # one wei less is refused (a 1-wei input becomes no input at all)
        with pytest.raises(Reverted, match=r"UniswapV2: (K|INSUFFICIENT_INPUT_AMOUNT)"):
            self.chain.call(less)
        return self._v2_send(p, zero_for_one, amount_in, amount_out)

    def _v2_send(self, p: OnChainPool, zero_for_one: bool, amount_in: int, out: int) -> int:
        token_out = p.token1 if zero_for_one else p.token0
        before = self.balance(token_out, self.swapper.address)
        self.chain.send(
            self.swapper.functions.swap(p.contract.address, zero_for_one, amount_in, out)
        )
        return self.balance(token_out, self.swapper.address) - before

    def v3_swap(self, pool: str, token_in: str, amount_specified: int) -> tuple[int, int]:
        """pool.swap without a price limit: (paid in, received out) from the Swap event, the
        received amount checked against the callee's balance."""
        p = self.pools[pool]
        zero_for_one = token_in == p.token0
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        token_out = p.token1 if zero_for_one else p.token0
        before = self.balance(token_out, self.callee.address)
        receipt = self.chain.send(
            self.callee.functions.swap(pool, zero_for_one, amount_specified, limit)
        )
        (event,) = p.contract.events.Swap().process_receipt(receipt, errors=DISCARD)
        a0, a1 = int(event["args"]["amount0"]), int(event["args"]["amount1"])
        paid_in, paid_out = (a0, a1) if zero_for_one else (a1, a0)
        received = self.balance(token_out, self.callee.address) - before
        assert received == -paid_out
        return paid_in, received


@pytest.fixture(scope="module")
def market() -> Market:
    try:
        return Market(open_chain(), random.Random(f"{SEED}:market"))
    except HarnessUnavailableError as exc:
        pytest.skip(f"Uniswap harness unavailable: {exc}")


def _queries(m: Market, rng: random.Random, n: int) -> Iterator[tuple[str, str, int]]:
    """`n` random queries; the tests may draw up to 3n more while their coverage is thin (the
    seed is fresh each run, and a few dozen draws do not always cross enough ticks)."""
    addrs = [t.address for t in m.tokens]
    for _ in range(4 * n):
        src, dst = rng.sample(addrs, 2)
        # from dust to amounts that drain the thin pool and move deep ones by percents
        amount = int(10 ** rng.uniform(4, 24) / PRICES[addrs.index(src)])
        yield src, dst, max(amount, 1)


def _run(m: Market, route: Route, exact_out: bool) -> list[int]:
    """Executes the route leg by leg; returns [input, what each leg really delivered]."""
    got = [route.amounts[0]]
    for k, pool in enumerate(route.pools):
        tin = route.tokens[k]
        kind = m.pools[pool].kind
        if kind == "v2":
            if exact_out:
                out = m.v2_exact_out(pool, tin, route.amounts[k], route.amounts[k + 1])
            else:
                out = m.v2_exact_in(pool, tin, got[-1])
        else:
            spec = -route.amounts[k + 1] if exact_out else got[-1]
            paid_in, out = m.v3_swap(pool, tin, spec)
            wanted_in = route.amounts[k] if exact_out else got[-1]
            assert paid_in == wanted_in, (
                f"V3 leg {k} ({pool}) took {paid_in}, the route gives it {wanted_in}"
                + ("" if exact_out else ": it did not absorb its whole input")
            )
        got.append(out)
    return got


def test_exact_input_routes_execute_on_uniswap(market: Market) -> None:
    rng = random.Random(f"{SEED}:exact-in")
    graph = market.graph()
    cov = Coverage()
    base = market.chain.snapshot()
    wanted = {"1 hops": 3, "2 hops": 3, "v3 legs": 10, "v2 legs": 10, "ticks crossed": 3}
    for k, (src, dst, amount) in enumerate(_queries(market, rng, N_EXACT_IN)):
        if k >= N_EXACT_IN and not cov.thin(**wanted):
            break
        try:
            route = graph.best_route(src, dst, amount, max_hops=3)
        except RouteNotFound:
            cov["no route"] += 1
            continue
        got = _run(market, route, exact_out=False)
        assert got == route.amounts, (
            f"seed {SEED}: {src}->{dst} {amount}: route {route.pools} promised {route.amounts}, "
            f"the contracts delivered {got}"
        )
        cov[f"{route.hops} hops"] += 1
        cov["v3 legs"] += sum(market.pools[p].kind == "v3" for p in route.pools)
        cov["v2 legs"] += sum(market.pools[p].kind == "v2" for p in route.pools)
        cov["ticks crossed"] += sum(route.ticks_crossed)
        market.chain.revert(base)
        base = market.chain.snapshot()
    cov.require(**wanted)


def test_exact_output_routes_execute_on_uniswap(market: Market) -> None:
    rng = random.Random(f"{SEED}:exact-out")
    graph = market.graph()
    cov = Coverage()
    base = market.chain.snapshot()
    wanted = {"2 hops": 2, "v3 legs": 5, "v2 legs": 5}
    for k, (src, dst, amount) in enumerate(_queries(market, rng, N_EXACT_OUT * 2)):
        if k >= N_EXACT_OUT * 2 and not cov.thin(**wanted):
            break
        amount_out = max(1, amount // 1000)
        try:
            route = graph.best_route_exact_out(src, dst, amount_out, max_hops=3)
        except RouteNotFound:
            cov["no route"] += 1
            continue
        assert route.amounts[-1] == amount_out
        got = _run(market, route, exact_out=True)
        assert got == route.amounts, (
            f"seed {SEED}: exact out {src}->{dst} {amount_out}: route {route.pools} promised "
            f"{route.amounts}, the contracts delivered {got}"
        )
        cov[f"{route.hops} hops"] += 1
        cov["v3 legs"] += sum(market.pools[p].kind == "v3" for p in route.pools)
        cov["v2 legs"] += sum(market.pools[p].kind == "v2" for p in route.pools)
        market.chain.revert(base)
        base = market.chain.snapshot()
    cov.require(**wanted)
