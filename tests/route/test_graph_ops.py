"""The live graph: incremental updates answer exactly like a graph rebuilt from scratch with the
new state (gas-priced answers too, so cached native prices must follow), snapshots round-trip,
best_routes equals best_route per query, addresses in any case name the same token, and
fee-on-transfer tokens stay out of routes unless the caller opts in (then the brute force
including them is matched)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zippifi.errors import RouteNotFound, ZippiError
from zippifi.route import PoolGraph

from .checks import Coverage, budget, check_shape
from .generators import amounts, markets
from .market import Market, Sim, StableSpec, V2Spec, V3Spec, all_outcomes, best_of


def _answers(graph: PoolGraph, market: Market, qs: list[tuple[str, str, int]]) -> list[object]:
    out: list[object] = []
    for src, dst, amount in qs:
        for gas_price in (0, 10**9):
            try:
                r = graph.best_route(src, dst, amount, gas_price_wei=gas_price)
                out.append((r.pools, r.amounts, r.gas_estimate, r.gas_cost))
            except RouteNotFound:
                out.append(None)
    return out


@st.composite
def updated(draw: st.DrawFn, market: Market) -> tuple[str, tuple[object, ...], Market]:
    """An update call (method, args) and the market rebuilt with its effect."""
    pool = draw(st.sampled_from(market.pools))
    scale = draw(st.sampled_from([0.5, 0.9, 1.1, 3.0]))
    if draw(st.integers(0, 5)) == 0:
        return "remove_pool", (pool.address,), market.without(pool.address)
    if isinstance(pool, V2Spec):
        r0, r1 = int(pool.reserve0 * scale) + 1, pool.reserve1
        new = V2Spec(pool.address, pool.token0, pool.token1, r0, r1, pool.fee_bps)
        return "update_v2_reserves", (pool.address, r0, r1), market.replace(new)
    if isinstance(pool, StableSpec):
        bal = tuple(int(b * scale) + 1 if k == 0 else b for k, b in enumerate(pool.balances))
        new_s = StableSpec(pool.address, pool.tokens, bal, pool.amp, pool.fee)
        return "update_stable_balances", (pool.address, list(bal)), market.replace(new_s)
    ticks = dict(pool.ticks)
    # (sampled_from leans on its first items: the kinds alternate so each gets its share)
    what = draw(st.sampled_from(["position", "state", "ticks"] * 2))
    if what == "state":  # where a swap leaves the pool
        v3 = pool.pool()
        zfo = draw(st.booleans())
        amount = draw(amounts())
        try:
            res = v3.swap(zfo, amount)
        except ZippiError:  # an earlier update left the price at the end of the range
            res = v3.swap(not zfo, amount)
        args = (res.sqrt_price_x96, res.tick, res.liquidity)
        new3 = V3Spec(
            pool.address, pool.token0, pool.token1, *args, pool.fee, pool.tick_spacing, pool.ticks
        )
        return "update_v3_state", (pool.address, *args), market.replace(new3)
    s = pool.tick_spacing
    lower = (pool.tick // s + draw(st.integers(-5, 5))) * s
    upper = lower + s * draw(st.integers(1, 5))
    liq = max(1, pool.liquidity // draw(st.sampled_from([1, 10, 1000])))
    for t, d in ((lower, liq), (upper, -liq)):
        ticks[t] = ticks.get(t, 0) + d
    active = pool.liquidity + (liq if lower <= pool.tick < upper else 0)
    if what == "ticks":
        # liquidityNet deltas only (the active liquidity is given by the state): a position
        # wholly above the price keeps the two consistent; also drop a tick whose net is 0
        lower, upper = (pool.tick // s + 1) * s, (pool.tick // s + 3) * s
        ticks = dict(pool.ticks)
        deltas: dict[int, int | None] = {lower: liq, upper: -liq}
        for t, d in ((lower, liq), (upper, -liq)):
            ticks[t] = ticks.get(t, 0) + d
        zero = [t for t, n in pool.ticks if n == 0 and t not in deltas]
        if zero:
            deltas[zero[0]] = None
            del ticks[zero[0]]
        new3 = V3Spec(
            pool.address,
            pool.token0,
            pool.token1,
            pool.sqrt_price_x96,
            pool.tick,
            pool.liquidity,
            pool.fee,
            s,
            tuple(sorted(ticks.items())),
        )
        return "update_v3_ticks", (pool.address, deltas), market.replace(new3)
    new3 = V3Spec(
        pool.address,
        pool.token0,
        pool.token1,
        pool.sqrt_price_x96,
        pool.tick,
        active,
        pool.fee,
        s,
        tuple(sorted((t, n) for t, n in ticks.items())),
    )
    return "update_v3_position", (pool.address, lower, upper, liq), market.replace(new3)


def test_incremental_updates_equal_a_rebuilt_graph() -> None:
    cov = Coverage()

    @given(markets(), st.data())
    @budget(80)
    def run(market: Market, data: st.DataObject) -> None:
        graph = market.graph()
        qs = [
            (*data.draw(st.permutations(market.tokens))[:2], data.draw(amounts())) for _ in range(4)
        ]
        current = market
        for _ in range(data.draw(st.integers(1, 4))):
            method, args, current = data.draw(updated(current))
            getattr(graph, method)(*args)
            cov[method] += 1
        rebuilt = current.graph()
        assert len(graph) == len(rebuilt)
        assert sorted(graph.pool_addresses()) == sorted(rebuilt.pool_addresses())
        assert _answers(graph, current, qs) == _answers(rebuilt, current, qs)
        again = PoolGraph.from_bytes(graph.to_bytes())
        assert again.to_bytes() == graph.to_bytes()
        assert _answers(again, current, qs) == _answers(graph, current, qs)

    run()
    cov.require(
        update_v2_reserves=5,
        update_v3_state=5,
        update_v3_ticks=3,
        update_v3_position=2,
        update_stable_balances=3,
        remove_pool=5,
    )


@given(markets(), st.data())
@budget(30)
def test_best_routes_equals_best_route_per_query(market: Market, data: st.DataObject) -> None:
    graph = market.graph()
    qs = [(*data.draw(st.permutations(market.tokens))[:2], data.draw(amounts())) for _ in range(8)]
    qs.append((market.tokens[0], "0x" + "77" * 20, 10**18))  # a token in no pool: None
    batch = graph.best_routes(qs, gas_price_wei=10**9)
    assert len(batch) == len(qs)
    for (src, dst, amount), r in zip(qs, batch, strict=True):
        try:
            one = graph.best_route(src, dst, amount, gas_price_wei=10**9)
        except RouteNotFound:
            assert r is None
            continue
        assert r is not None
        assert (r.pools, r.amounts, r.gas_cost) == (one.pools, one.amounts, one.gas_cost)


@given(markets(), st.data())
@budget(30)
def test_addresses_in_any_case_name_the_same_token(market: Market, data: st.DataObject) -> None:
    graph = market.graph()
    src, dst = data.draw(st.permutations(market.tokens))[:2]
    amount = data.draw(amounts())
    try:
        r = graph.best_route(src, dst, amount)
    except RouteNotFound:
        with pytest.raises(RouteNotFound):
            graph.best_route(src.lower(), dst.lower(), amount)
        return
    low = graph.best_route(src.lower(), "0x" + dst[2:].upper(), amount)
    raw = graph.best_route(bytes.fromhex(src[2:]), dst, amount)
    assert (low.pools, low.amounts) == (r.pools, r.amounts) == (raw.pools, raw.amounts)
    check_shape(low, src, dst)  # returned checksummed
    pool = r.pools[0]
    assert pool.lower() in graph
    assert bytes.fromhex(pool[2:]) in graph
    # a second graph built from lowercase addresses is the same graph
    lower = Market(
        tuple(t.lower() for t in market.tokens),
        tuple(_lowered(p) for p in market.pools),
        market.native.lower() if market.native else None,
    )
    assert lower.graph().to_bytes() == graph.to_bytes()


def _lowered(p: V2Spec | V3Spec | StableSpec) -> V2Spec | V3Spec | StableSpec:
    if isinstance(p, V2Spec):
        return V2Spec(
            p.address.lower(), p.token0.lower(), p.token1.lower(), p.reserve0, p.reserve1, p.fee_bps
        )
    if isinstance(p, V3Spec):
        return V3Spec(
            p.address.lower(),
            p.token0.lower(),
            p.token1.lower(),
            p.sqrt_price_x96,
            p.tick,
            p.liquidity,
            p.fee,
            p.tick_spacing,
            p.ticks,
        )
    return StableSpec(
        p.address.lower(), tuple(t.lower() for t in p.tokens), p.balances, p.amp, p.fee
    )


def test_fee_on_transfer_tokens_only_on_opt_in() -> None:
    cov = Coverage()

    @given(markets(), st.data())
    @budget(50)
    def run(market: Market, data: st.DataObject) -> None:
        fot = frozenset(
            data.draw(st.lists(st.sampled_from(market.tokens), min_size=1, max_size=2, unique=True))
        )
        taxed = Market(market.tokens, market.pools, market.native, fot)
        graph = taxed.graph()
        sim = Sim(taxed)
        model = graph.gas_model
        src, dst = data.draw(st.permutations(market.tokens))[:2]
        amount = data.draw(amounts())
        for opt_in in (False, True):
            best = best_of(
                all_outcomes(
                    taxed, sim, src, dst, amount, 3, model=model, allow_fee_on_transfer=opt_in
                )
            )
            if best is None or (not opt_in and (src in fot or dst in fot)):
                with pytest.raises(RouteNotFound):
                    graph.best_route(src, dst, amount, allow_fee_on_transfer=opt_in)
                cov["refused"] += not opt_in
                continue
            r = graph.best_route(src, dst, amount, allow_fee_on_transfer=opt_in)
            assert (r.amount_out, r.hops) == (best.amount_out, best.hops)
            if not opt_in:
                assert not fot & set(r.tokens)
            cov["taxed token used"] += bool(opt_in and fot & set(r.tokens))
            cov["avoided"] += bool(not opt_in)

    run()
    cov.require(**{"taxed token used": 10, "avoided": 5, "refused": 5})
