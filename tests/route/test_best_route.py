"""best_route against a brute force: every simple path of up to max_hops pools (networkx over a
MultiGraph, so parallel pools are distinct edges) simulated exactly with zippifi.amm, the best
output net of gas taken, ties to fewer hops. The kernel must equal it exactly, every time.

Gas: with the wrapped native token as the output one wei of gas is one raw unit of output, so
the reference prices gas exactly (units * gas_price). For other outputs the conversion price
is the kernel's own (the graph's mid price of native): the reference reads cost(units) from the
kernel with a gas model of only `base = units`, then still enumerates and simulates every path
itself.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zippifi import amm
from zippifi.errors import RouteNotFound
from zippifi.route import PoolGraph, Route

from .checks import Coverage, budget, check_shape, resimulate
from .generators import amounts, markets
from .market import Market, Outcome, Sim, all_outcomes, best_of, gas_units

GAS_PRICES = (1, 7, 10**3, 10**6, 10**9, 10**10)
FREE: dict[str, int] = {"base": 0, "v2_hop": 0, "v3_hop": 0, "v3_tick": 0, "stable_hop": 0}


def _pair(data: st.DataObject, market: Market) -> tuple[str, str]:
    src, dst = data.draw(st.permutations(market.tokens))[:2]
    return src, dst


def _expect(
    graph: PoolGraph, best: Outcome | None, src: str, dst: str, amount: int, **kw: object
) -> Route | None:
    if best is None:
        with pytest.raises(RouteNotFound):
            graph.best_route(src, dst, amount, **kw)  # type: ignore[arg-type]
        return None
    r = graph.best_route(src, dst, amount, **kw)  # type: ignore[arg-type]
    assert (r.amount_out_net, r.hops) == (best.net, best.hops), (
        f"best_route {src}->{dst} amount {amount} {kw}: kernel net {r.amount_out_net} in "
        f"{r.hops} hops via {r.pools}; brute force {best.net} in {best.hops} hops via "
        f"{best.path} (amounts {[best.legs[0].amount_in, *(x.amount_out for x in best.legs)]})"
    )
    return r


def test_best_route_equals_brute_force_without_gas() -> None:
    cov = Coverage()

    @given(markets(), st.data())
    @budget(100)
    def run(market: Market, data: st.DataObject) -> None:
        graph = market.graph()
        sim = Sim(market)
        model = graph.gas_model
        for _ in range(4):
            src, dst = _pair(data, market)
            amount = data.draw(amounts(), label="amount")
            max_hops = data.draw(st.sampled_from([1, 2, 3, 3, 3, 4]), label="max_hops")
            outcomes = all_outcomes(market, sim, src, dst, amount, max_hops, model=model)
            best = best_of(outcomes)
            cov["queries"] += 1
            cov["paths simulated"] += len(outcomes)
            cov["queries with an exhausted V3 leg"] += sim.exhausted_legs > 0
            sim.exhausted_legs = 0
            r = _expect(graph, best, src, dst, amount, max_hops=max_hops)
            if r is None:
                cov["no route"] += 1
                continue
            check_shape(r, src, dst)
            assert r.gas_cost == 0
            resimulate(market, sim, r, model)
            exhaustive = graph.best_route_exhaustive(src, dst, amount, max_hops=max_hops)
            assert (exhaustive.amount_out_net, exhaustive.hops) == (r.amount_out_net, r.hops)
            cov[f"{r.hops}-hop winner"] += 1
            kinds = {market.pool(p).kind for p in r.pools}
            for k in kinds:
                cov[f"{k} leg in winner"] += 1
            parallel = [
                p
                for p in r.pools
                if sum(set(q.tokens) >= set(market.pool(p).tokens) for q in market.pools) > 1
            ]
            cov["winner with a parallel pool"] += bool(parallel)
            cov["winner beat a shorter path"] += any(o.hops < r.hops for o in outcomes)

    run()
    cov.require(
        **{
            "1-hop winner": 40,
            "2-hop winner": 30,
            "3-hop winner": 10,
            "v3 leg in winner": 40,
            "v2 leg in winner": 40,
            "stable leg in winner": 5,
            "queries with an exhausted V3 leg": 20,
            "no route": 5,
            "winner with a parallel pool": 20,
        }
    )


def test_best_route_with_gas_into_native_equals_brute_force() -> None:
    """Output in the wrapped native token: gas cost is exactly units * gas_price."""
    cov = Coverage()

    @given(markets(), st.data())
    @budget(40)
    def run(market: Market, data: st.DataObject) -> None:
        graph = market.graph()
        sim = Sim(market)
        dst = market.native
        assert dst is not None
        for _ in range(3):
            src = data.draw(st.sampled_from([t for t in market.tokens if t != dst]))
            amount = data.draw(amounts(), label="amount")
            gas_price = data.draw(st.sampled_from(GAS_PRICES), label="gas_price")
            custom = data.draw(st.booleans())
            model = dict(graph.gas_model)
            kw: dict[str, object] = {"gas_price_wei": gas_price}
            if custom:  # a per-query model where ticks are dear: crossing fewer ticks can win
                model.update(v3_tick=data.draw(st.sampled_from([0, 200_000, 2_000_000])))
                kw["gas_model"] = {"v3_tick": model["v3_tick"]}
            outcomes = all_outcomes(
                market, sim, src, dst, amount, 3, model=model, gas_price=gas_price
            )
            best = best_of(outcomes)
            r = _expect(graph, best, src, dst, amount, **kw)
            cov["queries"] += 1
            if r is None:
                continue
            check_shape(r, src, dst)
            resimulate(market, sim, r, model)
            assert r.gas_cost == r.gas_estimate * gas_price, "one wei of native is one raw unit"
            gross = max(outcomes, key=lambda o: (o.amount_out, -o.hops))
            if gross.net < r.amount_out_net:
                cov["gas changed the winner"] += 1
            if r.amount_out_net < 0:
                cov["negative net"] += 1
            if any(t > 0 for t in r.ticks_crossed):
                cov["winner crossed ticks"] += 1

    run()
    cov.require(**{"gas changed the winner": 10, "negative net": 3, "winner crossed ticks": 5})


def _kernel_cost(
    graph: PoolGraph,
    src: str,
    dst: str,
    amount: int,
    gas_price: int,
    units: int,
    cache: dict[int, int],
) -> int:
    """The kernel's price of `units` gas in dst: a query whose whole gas model is `base`."""
    if units not in cache:
        probe = graph.best_route_exhaustive(
            src, dst, amount, gas_price_wei=gas_price, gas_model={**FREE, "base": units}
        )
        assert probe.gas_estimate == units
        cache[units] = probe.gas_cost
    return cache[units]


def test_best_route_with_gas_into_any_token() -> None:
    """Any output token: the kernel's price of native converts gas units (read back from the
    kernel for each units figure), the paths and their simulation are the reference's own."""
    cov = Coverage()

    @given(markets(), st.data())
    @budget(30)
    def run(market: Market, data: st.DataObject) -> None:
        graph = market.graph()
        sim = Sim(market)
        model = graph.gas_model
        for _ in range(3):
            src, dst = _pair(data, market)
            amount = data.draw(amounts(), label="amount")
            gas_price = data.draw(st.sampled_from(GAS_PRICES), label="gas_price")
            free = all_outcomes(market, sim, src, dst, amount, 3, model=model)
            if not free:
                with pytest.raises(RouteNotFound):
                    graph.best_route(src, dst, amount, gas_price_wei=gas_price)
                continue
            costs: dict[int, int] = {}
            query = (graph, src, dst, amount, gas_price)
            priced = [
                Outcome(o.path, o.legs, o.units, _kernel_cost(*query, o.units, costs)) for o in free
            ]
            best = best_of(priced)
            assert best is not None
            r = _expect(graph, best, src, dst, amount, gas_price_wei=gas_price)
            assert r is not None
            check_shape(r, src, dst)
            legs = resimulate(market, sim, r, model)
            units = gas_units(market, [(p, "", "") for p in r.pools], legs, model)
            assert r.gas_cost == _kernel_cost(*query, units, costs)
            ex = graph.best_route_exhaustive(src, dst, amount, gas_price_wei=gas_price)
            assert (ex.amount_out_net, ex.hops) == (r.amount_out_net, r.hops)
            cov["priced"] += r.gas_cost > 0
            cov["gas changed the winner"] += max(o.amount_out for o in free) > r.amount_out

    run()
    cov.require(**{"priced": 40, "gas changed the winner": 5})


def test_removing_a_pool_never_improves_the_optimum() -> None:
    """At gas 0: removing a pool of the winning path can only lower the optimum; removing any
    other pool leaves it exactly as it was (the winning path is still there)."""
    cov = Coverage()

    @given(markets(), st.data())
    @budget(60)
    def run(market: Market, data: st.DataObject) -> None:
        graph = market.graph()
        src, dst = _pair(data, market)
        amount = data.draw(amounts(), label="amount")
        try:
            r = graph.best_route(src, dst, amount)
        except RouteNotFound:
            return
        others = [p.address for p in market.pools if p.address not in r.pools]
        victims = list(r.pools)
        if others:
            victims += data.draw(
                st.lists(st.sampled_from(others), min_size=1, max_size=3, unique=True)
            )
        for victim in victims:
            g2 = PoolGraph.from_bytes(graph.to_bytes())
            g2.remove_pool(victim)
            assert victim not in g2
            on_path = victim in r.pools
            try:
                r2 = g2.best_route(src, dst, amount)
            except RouteNotFound:
                assert on_path, "removing a pool off the winning path lost every route"
                cov["removal left no route"] += 1
                continue
            if on_path:
                assert r2.amount_out <= r.amount_out
                cov["removed a winner pool"] += 1
                cov["strictly worse"] += r2.amount_out < r.amount_out
            else:
                assert r2.amount_out == r.amount_out
                cov["removed another pool"] += 1

    run()
    cov.require(**{"removed a winner pool": 10, "strictly worse": 5, "removed another pool": 30})


def test_stableswap_bound_does_not_prune_the_optimum() -> None:
    """An imbalanced 3-coin StableSwap pool pays A->C at ~1.0565 (its marginal rate under the
    contract's invariant, Ann = A * n). A search whose bound for that pool is lower prunes the
    direct hop once it has found the 2-hop A->B->C route, and returns less than the optimum."""
    a, b, c = ("0x" + f"{k:02x}" * 20 for k in (10, 11, 12))
    balances = [10**18 + 1, 10**18 + 1, 1_778_279_410_038_922_753]
    graph = PoolGraph()
    graph.add_v2_pool("0x" + "01" * 20, b, a, 10**18 + 1, 10**18 + 1, 30)
    graph.add_stable_pool("0x" + "02" * 20, [a, b, c], balances, 1000, 1_000_000)
    for amount in (100, 10**4, 10**12):
        direct = amm.stable_get_dy(0, 2, amount, balances, 1000, 1_000_000)
        via_b = amm.stable_get_dy(
            1, 2, amm.v2_amount_out(amount, 10**18 + 1, 10**18 + 1, 30), balances, 1000, 1_000_000
        )
        assert direct > via_b
        r = graph.best_route(a, c, amount)
        assert r.amounts == [amount, direct], (
            f"best_route pruned the direct StableSwap hop (pays {direct}) and returned "
            f"{r.amounts}: the pool's spot-rate bound (route/pool.rs stable_marginal, A * n**n) "
            f"is below the real marginal rate of the kernel's invariant (Ann = A * n)"
        )
