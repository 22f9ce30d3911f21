"""arbitrage_cycles and arbitrage_after_update against a brute force at gas 0.

The reference enumerates every simple cycle of 2-3 distinct pools through the start token and
scans a grid of sizes (1, 2 and 5 times every power of ten) with exact simulation. Every cycle
that profits at some grid size must be reported, at a size whose profit is at least the grid's
best; every reported cycle must re-simulate exactly and be sized at its optimum: moving its input
by small and large steps either way never profits more.

One class of cycle is left out by design, and the reference leaves it out too: a cycle whose
product of marginal rates is at most 1 cannot profit on the pools' smooth curves, yet StableSwap's
integer get_D/get_y can pay a few wei more than marginal rate x input at dust sizes (measured up
to ~60 wei in very imbalanced pools). Those rounding-only cycles are not reported
(core-rs/src/route/arb).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from tests.reference.stableswap import A_PRECISION, get_D
from zippifi import amm
from zippifi.route import Cycle, PoolGraph

from .checks import Coverage, budget
from .generators import markets, pool_address, token
from .market import Hop, Market, Sim, StableSpec, V2Spec, V3Spec, address_of, path_of

SIZES = [m * 10**e for e in range(0, 28) for m in (1, 2, 5)]


def cycles_through(market: Market, start: str, max_hops: int) -> Iterator[tuple[Hop, ...]]:
    g = market.multigraph()

    def walk(token: str, path: list[Hop], seen: set[str]) -> Iterator[tuple[Hop, ...]]:
        for _, nxt, key in g.edges(token, keys=True):
            if any(h[0] == key for h in path):
                continue
            hop = (key, token, nxt)
            if nxt == start:
                if path:
                    yield (*path, hop)
            elif len(path) + 1 < max_hops and nxt not in seen:
                yield from walk(nxt, [*path, hop], seen | {nxt})

    yield from walk(start, [], {start})


def profit(sim: Sim, cycle: tuple[Hop, ...], x: int) -> int | None:
    if x <= 0:
        return None
    legs = sim.run(list(cycle), x)
    return None if legs is None else legs[-1].amount_out - x


def marginal_rate(market: Market, hop: Hop) -> Fraction:
    """The leg's marginal rate at zero input (out per in, raw units): after the fee for V2 and V3,
    fee-less for StableSwap (its floor(dy * fee / 1e10) charges nothing at dust sizes), on the
    invariant D the pool's own integer get_D computes."""
    address, tin, tout = hop
    spec = market.pool(address)
    if isinstance(spec, V2Spec):
        r_in, r_out = (
            (spec.reserve0, spec.reserve1) if tin == spec.token0 else (spec.reserve1, spec.reserve0)
        )
        return Fraction(r_out * (10_000 - spec.fee_bps), r_in * 10_000)
    if isinstance(spec, V3Spec):
        price = Fraction(spec.sqrt_price_x96**2, 2**192)
        if tin != spec.token0:
            price = 1 / price if price else Fraction(10**80)
        return price * Fraction(10**6 - spec.fee, 10**6)
    assert isinstance(spec, StableSpec)
    xp, n = spec.balances, len(spec.balances)
    i, j = spec.tokens.index(tin), spec.tokens.index(tout)
    d = get_D(xp, spec.amp)
    prod = 1
    for x in xp:
        prod *= x
    # F = Ann S + D - Ann D - D^(n+1) / (n^n P); the rate is dF/dx_i / dF/dx_j.
    ann = Fraction(spec.amp * n, A_PRECISION)
    term = Fraction(d ** (n + 1), n**n * prod)
    return (ann + term / xp[i]) / (ann + term / xp[j])


def rounding_only(market: Market, cycle: tuple[Hop, ...]) -> bool:
    """True for a cycle with a StableSwap leg whose marginal rates multiply to at most 1: it
    cannot profit on the smooth curves, only through StableSwap's integer rounding."""
    if not any(isinstance(market.pool(h[0]), StableSpec) for h in cycle):
        return False
    product = Fraction(1)
    for hop in cycle:
        product *= marginal_rate(market, hop)
    return product <= 1


def grid_best(sim: Sim, cycle: tuple[Hop, ...]) -> int:
    return max((p for x in SIZES if (p := profit(sim, cycle, x)) is not None), default=0)


def check_cycle(sim: Sim, c: Cycle) -> tuple[Hop, ...]:
    cycle = tuple(path_of(c.pools, c.tokens))
    assert c.tokens[0] == c.tokens[-1]
    assert len(set(c.tokens[:-1])) == len(c.tokens) - 1
    assert len(set(c.pools)) == len(c.pools) >= 2
    legs = sim.run(list(cycle), c.amount_in)
    assert legs is not None
    assert [c.amount_in, *(x.amount_out for x in legs)] == c.amounts
    assert c.amount_out == c.amounts[-1]
    assert c.profit == c.amount_out - c.amount_in > 0
    assert c.profit_net == c.profit - c.gas_cost
    x = c.amount_in
    # sized at the exact integer optimum: no nearby or distant input profits more
    for d in {1, 2, x // 1000, x // 100, x // 10, x // 2}:
        for y in (x - d, x + d):
            p = profit(sim, cycle, y)
            assert p is None or p <= c.profit, (
                f"cycle {c.pools} sized at {x} (profit {c.profit}) but {y} profits {p}"
            )
    p2 = profit(sim, cycle, 2 * x)
    assert p2 is None or p2 <= c.profit
    return cycle


def test_arbitrage_cycles_against_brute_force() -> None:
    cov = Coverage()

    @given(markets(min_tokens=5, max_tokens=7, min_pools=10, max_pools=18), st.data())
    @budget(8)
    def run(market: Market, data: st.DataObject) -> None:
        graph = market.graph()
        sim = Sim(market)
        start = data.draw(st.sampled_from(market.tokens))
        reported = {check_cycle(sim, c): c for c in graph.arbitrage_cycles(start, max_hops=3)}
        for cycle in cycles_through(market, start, 3):
            best = grid_best(sim, cycle)
            if best <= 0:
                continue
            if rounding_only(market, cycle):
                cov["rounding-only cycles (not required)"] += 1
                continue
            cov["profitable cycles"] += 1
            assert cycle in reported, (
                f"cycle {cycle} profits {best} at some grid size but arbitrage_cycles({start}) "
                f"does not report it (it reports {[c.pools for c in reported.values()]})"
            )
            assert reported[cycle].profit >= best
        cov["reported"] += len(reported)
        # after an update of one pool: only cycles through it, each starting with that pool
        pool = data.draw(st.sampled_from([p.address for p in market.pools]))
        through = graph.arbitrage_after_update(pool, max_hops=3)
        seen = set()
        for c in through:
            cycle = check_cycle(sim, c)
            assert c.pools[0] == pool, f"arbitrage_after_update({pool}) returned {c.pools}"
            seen.add(cycle)
        for t in market.pool(pool).tokens:
            for cycle in cycles_through(market, t, 3):
                if (
                    cycle[0][0] == pool
                    and grid_best(sim, cycle) > 0
                    and not rounding_only(market, cycle)
                ):
                    cov["profitable through the updated pool"] += 1
                    assert cycle in seen, f"arbitrage_after_update({pool}) misses {cycle}"

    run()
    cov.require(
        **{"profitable cycles": 10, "reported": 10, "profitable through the updated pool": 5}
    )


def test_min_profit_and_gas_filter_cycles() -> None:
    cov = Coverage()

    @given(markets(min_tokens=5, max_tokens=6, min_pools=10, max_pools=14), st.data())
    @budget(5)
    def run(market: Market, data: st.DataObject) -> None:
        graph: PoolGraph = market.graph()
        start = data.draw(st.sampled_from(market.tokens))
        free = graph.arbitrage_cycles(start, max_hops=3)
        if not free:
            cov["no cycle"] += 1
            return
        floor = free[len(free) // 2].profit
        kept = graph.arbitrage_cycles(start, max_hops=3, min_profit=floor)
        assert [c.pools for c in kept] == [c.pools for c in free if c.profit_net >= floor]
        cov["cycles under a floor"] += len(free)
        cov["cycles cut by the floor"] += len(free) - len(kept)
        assert [c.profit_net for c in free] == sorted((c.profit_net for c in free), reverse=True)
        priced = graph.arbitrage_cycles(start, max_hops=3, gas_price_wei=10**9)
        assert all(c.profit_net == c.profit - c.gas_cost >= 1 for c in priced)
        cov["cycles priced with gas"] += len(priced)
        cov["cycles gas cut"] += len(free) - len(priced)

    run()
    # examples without a cycle check nothing: enough of them must have had cycles to filter
    cov.require(
        **{"cycles under a floor": 10, "cycles cut by the floor": 5,
           "cycles priced with gas": 5, "cycles gas cut": 5}
    )  # fmt: skip


def test_cycle_whose_dust_sizes_round_flat_is_still_found() -> None:
    """A V2 pool 2% above a V3 pool: t0 -V2-> t1 -V3-> t0 profits ~1%, but at dust sizes the
    exact profit is flat (-2 at 4 and at 8 wei) from rounding. A size search that doubles only
    while the profit grows stops there, sizes the cycle at dust, finds no profit, and drops it."""
    a, b = sorted((address_of("token A"), address_of("token B")), key=lambda x: int(x, 16))
    e, liq = 10**18, 10**18
    market = Market(
        (a, b),
        (
            V2Spec(address_of("pool v2"), a, b, 100 * e, 102 * e, 30),
            V3Spec(
                address_of("pool v3"),
                a,
                b,
                amm.get_sqrt_ratio_at_tick(0),
                0,
                liq,
                3000,
                60,
                ((-600, liq), (600, -liq)),
            ),
        ),
    )
    sim = Sim(market)
    cycle = (
        (address_of("pool v2"), a, b),
        (address_of("pool v3"), b, a),
    )
    assert profit(sim, cycle, 4) == profit(sim, cycle, 8)  # the flat stretch
    best = grid_best(sim, cycle)
    assert best > 10**12
    found = {check_cycle(sim, c): c for c in market.graph().arbitrage_cycles(a, max_hops=2)}
    assert cycle in found, (
        f"the cycle profits {best} at some size but arbitrage_cycles reports "
        f"{[c.pools for c in found.values()]}: the sizing (route/arb/bracket.rs) must not stop "
        f"doubling at the first non-increase of the exact profit (here at 8 wei)"
    )
    assert found[cycle].profit >= best


def test_cycle_profitable_only_while_a_stableswap_fee_rounds_to_zero() -> None:
    """Two 3-coin StableSwap pools (fee 0.04%, A = 2000): token 2 -> token 0 -> token 2 returns
    2001 for 2000 wei. StableSwap charges floor(dy * fee / 1e10), nothing for dy < 2500, so at
    dust sizes each leg pays its fee-less marginal rate; wherever the fee is charged the cycle
    loses. The product of the fee-inclusive spot rates is below 1, so pruning by fee-inclusive
    StableSwap bounds dropped the cycle although the exact contracts pay the wei
    (ZIPPIFI_LONG_TESTS=1 runs of the brute-force test above hit such cycles in ~1% of
    examples); the bounds are fee-less since f69ecb7."""
    t0, t1, t2 = token(0), token(1), token(2)
    market = Market(
        (t0, t1, t2),
        (
            StableSpec(
                pool_address(1),
                (t0, t1, t2),
                (421650517091011198977, 552058565207273439233, 617491074379185913857),
                200000,
                4000000,
            ),
            StableSpec(
                pool_address(10),
                (t0, t1, t2),
                (1686750931227956993, 1445003977114247937, 736246223020038529),
                200000,
                4000000,
            ),
        ),
    )
    sim = Sim(market)
    cycle = ((pool_address(10), t2, t0), (pool_address(1), t0, t2))
    assert profit(sim, cycle, 2000) == 1
    assert all(p is None or p <= 0 for x in (3000, 10**6, 10**12) if (p := profit(sim, cycle, x)))
    found = {check_cycle(sim, c): c for c in market.graph().arbitrage_cycles(t2, max_hops=2)}
    assert cycle in found
    assert found[cycle].profit >= grid_best(sim, cycle)


def test_stableswap_rounding_only_cycle_is_left_out() -> None:
    """Two 2-coin StableSwap pools whose marginal rates multiply to 0.9995: t0 -> t1 -> t0 returns
    101 for 100 wei, because the second pool pays 100 for 100 where its marginal rate is 0.994
    (integer get_y rounding). No larger input profits. By design arbitrage_cycles leaves such
    rounding-only cycles out (the brute-force test above skips them the same way); the cycle the
    other way round profits on the smooth curves and is reported."""
    t0, t1 = token(0), token(1)
    market = Market(
        (t0, t1),
        (
            StableSpec(
                pool_address(1), (t0, t1), (502014132692655937, 535128887800080513), 1000, 10**6
            ),
            StableSpec(pool_address(2), (t1, t0), (10**18 + 1, 614201432374739969), 10000, 10**6),
        ),
    )
    sim = Sim(market)
    dust = ((pool_address(2), t0, t1), (pool_address(1), t1, t0))
    smooth = ((pool_address(1), t0, t1), (pool_address(2), t1, t0))
    assert rounding_only(market, dust)
    assert not rounding_only(market, smooth)
    assert profit(sim, dust, 100) == 1
    assert all(p is None or p <= 0 for x in (10**3, 10**6, 10**12) if (p := profit(sim, dust, x)))
    found = {check_cycle(sim, c): c for c in market.graph().arbitrage_cycles(t0, max_hops=2)}
    assert set(found) == {smooth}
    assert found[smooth].profit >= grid_best(sim, smooth)
