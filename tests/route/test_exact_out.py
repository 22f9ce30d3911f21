"""best_route_exact_out against a brute force: for every simple path, the exact-output legs
computed from the last pool back (V2: the least x with v2_amount_out(x) >= y, found by
bisection on the exact kernel; V3: pool.swap with a negative amount, which must deliver exactly
y; StableSwap: the least dx whose get_dy pays y), the least input wins, ties to fewer hops.
With gas into the wrapped native token as input, gas is priced exactly (units * gas_price).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zippifi.errors import RouteNotFound

from .checks import Coverage, budget
from .generators import amounts, markets
from .market import Hop, Leg, Market, Sim, gas_units, path_of, simple_paths

GAS_PRICES = (0, 0, 1, 10**6, 10**9)


def _executable(sim: Sim, path: list[Hop], legs: list[Leg]) -> bool:
    """Exact-output legs executed one after another need exactly their computed inputs (each
    leg k's input is what leg k-1 delivers)."""
    amounts = [legs[0].amount_in, *(x.amount_out for x in legs)]
    needed = sim.forward_out(path, amounts)
    return needed is not None and needed[1:] == amounts[:-1]


def test_exact_out_equals_brute_force() -> None:
    cov = Coverage()

    @given(markets(), st.data())
    @budget(40)
    def run(market: Market, data: st.DataObject) -> None:
        graph = market.graph()
        sim = Sim(market)
        model = graph.gas_model
        for _ in range(3):
            src, dst = data.draw(st.permutations(market.tokens))[:2]
            gas_price = data.draw(st.sampled_from(GAS_PRICES), label="gas_price")
            if gas_price:
                src = market.native  # gas in the input token is then exact
                if dst == src:
                    dst = market.tokens[0]
            assert src is not None
            amount_out = data.draw(amounts(), label="amount_out")
            max_hops = data.draw(st.sampled_from([1, 2, 3, 3]), label="max_hops")
            best: tuple[int, int] | None = None
            for path in simple_paths(market, src, dst, max_hops):
                legs = sim.run_out(path, amount_out)
                if legs is None:
                    continue
                if len({hop[0] for hop in path}) < len(path) and not _executable(sim, path, legs):
                    continue  # a pool used twice: its second leg sees the first one's trade
                units = gas_units(market, path, legs, model)
                key = (legs[0].amount_in + units * gas_price, len(path))
                best = key if best is None or key < best else best
            cov["queries"] += 1
            if best is None:
                with pytest.raises(RouteNotFound):
                    graph.best_route_exact_out(
                        src, dst, amount_out, max_hops=max_hops, gas_price_wei=gas_price
                    )
                cov["no route"] += 1
                continue
            r = graph.best_route_exact_out(
                src, dst, amount_out, max_hops=max_hops, gas_price_wei=gas_price
            )
            cost = r.amount_in + r.gas_estimate * gas_price
            assert (cost, r.hops) == best, (
                f"exact out {src}->{dst} {amount_out} (max_hops {max_hops}, gas price "
                f"{gas_price}): kernel needs {r.amount_in} (+gas {cost - r.amount_in}) in "
                f"{r.hops} hops via {r.pools}; brute force: {best[0]} in {best[1]} hops"
            )
            assert r.tokens[0] == src
            assert r.tokens[-1] == dst
            assert len(set(r.tokens)) == len(r.tokens)
            assert r.amount_out == amount_out
            path = path_of(r.pools, r.tokens)
            legs = sim.run_out(path, amount_out)
            assert legs is not None
            assert [legs[0].amount_in, *(x.amount_out for x in legs)] == r.amounts
            assert _executable(sim, path, legs), (
                f"route {r.pools} uses a pool twice; executed in order its legs need "
                f"{sim.forward_out(path, r.amounts)}, not {r.amounts}"
            )
            assert r.gas_estimate == gas_units(market, path, legs, model)
            # the exact-output route's input, sent as exact input, pays at least the output
            forward = sim.run(path, r.amount_in)
            assert forward is not None
            assert forward[-1].amount_out >= amount_out
            if gas_price == 0:
                assert graph.best_route(src, dst, r.amount_in).amount_out >= amount_out
            cov[f"{r.hops}-hop winner"] += 1
            cov["v3 leg"] += any(market.pool(p).kind == "v3" for p in r.pools)
            cov["priced"] += gas_price > 0

    run()
    cov.require(
        **{
            "1-hop winner": 15,
            "2-hop winner": 10,
            "3-hop winner": 3,
            "v3 leg": 15,
            "no route": 5,
            "priced": 10,
        }
    )
