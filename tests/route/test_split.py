"""split_route against a grid brute force over shared pool state.

The reference takes the best few single paths (by exact output at the whole amount and at a
fraction of it), and for every ordered pair of them (and, with max_splits=3, every ordered
triple of the best four) every split of the input on a grid, runs the paths one after another
against one forked state (a pool two paths share sees the first path's trade: V2 reserves move,
V3 via V3Pool.apply) and keeps the best total. At gas 0 the kernel's split must return at least
best_route and at least 99.9% of that grid optimum; its own paths, re-run in its order against
shared state, must deliver exactly what it reports.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zippifi.errors import RouteNotFound

from .checks import Coverage, budget, check_shape
from .generators import markets
from .market import (
    Hop,
    Market,
    Sim,
    V2Spec,
    address_of,
    all_outcomes,
    path_of,
)
from .split_regressions import CASES

GRID = 20


def _total(sim: Sim, paths: Sequence[list[Hop]], parts: Sequence[int]) -> int | None:
    state = sim.fork()
    total = 0
    for path, part in zip(paths, parts, strict=True):
        if part == 0:
            continue
        legs = state.run(path, part, commit=True)
        if legs is None:
            return None
        total += legs[-1].amount_out
    return total


def grid_optimum(sim: Sim, candidates: list[list[Hop]], amount: int, ways: int, grid: int) -> int:
    best = 0
    for paths in itertools.permutations(candidates, ways):
        for cut in itertools.combinations_with_replacement(range(grid + 1), ways - 1):
            edges = [0, *cut, grid]
            parts = [amount * edges[k + 1] // grid - amount * edges[k] // grid for k in range(ways)]
            t = _total(sim, paths, parts)
            if t is not None and t > best:
                best = t
    return best


def _candidates(
    market: Market, sim: Sim, src: str, dst: str, amount: int, k: int
) -> list[list[Hop]]:
    model = {"base": 0, "v2_hop": 0, "v3_hop": 0, "v3_tick": 0, "stable_hop": 0}
    ranked: dict[tuple[Hop, ...], int] = {}
    for x in (amount, amount // 4, amount // 16):
        if x == 0:
            continue
        for o in all_outcomes(market, sim, src, dst, x, 3, model=model):
            key = tuple(o.path)
            ranked[key] = max(ranked.get(key, 0), o.amount_out * amount // x)
    best = sorted(ranked, key=lambda p: -ranked[p])[:k]
    return [list(p) for p in best]


def _check_split(market: Market, sim: Sim, src: str, dst: str, amount: int, splits: int) -> int:
    graph = market.graph()
    try:
        single = graph.best_route(src, dst, amount)
    except RouteNotFound:
        return -1
    s = graph.split_route(src, dst, amount, max_splits=splits)
    assert 1 <= len(s.routes) <= splits
    assert s.amount_in == amount
    assert s.amount_out == sum(r.amount_out for r in s.routes)
    assert s.amount_out_net == s.amount_out - s.gas_cost
    state = sim.fork()
    for r in s.routes:
        check_shape(r, src, dst)
        legs = state.run(path_of(r.pools, r.tokens), r.amount_in, commit=True)
        assert legs is not None, f"split path {r.pools} cannot run at its share after the others"
        assert [r.amount_in, *(x.amount_out for x in legs)] == r.amounts, (
            "a split path's amounts differ from running it after the earlier paths"
        )
    assert s.amount_out >= single.amount_out, "split_route returned less than best_route"
    candidates = _candidates(market, sim, src, dst, amount, 6 if splits == 2 else 4)
    optimum = grid_optimum(
        sim, candidates, amount, min(splits, len(candidates)), GRID if splits == 2 else 10
    )
    assert s.amount_out * 1000 >= optimum * 999, (
        f"split_route {src}->{dst} {amount} (max_splits={splits}) returned {s.amount_out} over "
        f"{[r.pools for r in s.routes]} with shares {[r.amount_in for r in s.routes]}; a grid of "
        f"splits over {candidates} reaches {optimum} (kernel/grid = {s.amount_out / optimum:.6f})"
    )
    return len(s.routes)


def test_split_route_reaches_the_grid_optimum() -> None:
    cov = Coverage()

    @given(markets(min_tokens=5, max_tokens=7, min_pools=10, max_pools=16), st.data())
    @budget(20)
    def run(market: Market, data: st.DataObject) -> None:
        sim = Sim(market)
        src, dst = data.draw(st.permutations(market.tokens))[:2]
        # large amounts, where splitting pays
        amount = data.draw(st.integers(1, 999)) * 10 ** data.draw(st.integers(17, 25))
        used = _check_split(market, sim, src, dst, amount, 2)
        cov[f"{used} paths"] += 1

    run()
    cov.require(**{"2 paths": 8, "1 paths": 3})


def test_three_way_split_reaches_the_grid_optimum() -> None:
    cov = Coverage()

    @given(markets(min_tokens=5, max_tokens=6, min_pools=10, max_pools=14), st.data())
    @budget(8)
    def run(market: Market, data: st.DataObject) -> None:
        sim = Sim(market)
        src, dst = data.draw(st.permutations(market.tokens))[:2]
        amount = data.draw(st.integers(1, 999)) * 10 ** data.draw(st.integers(18, 25))
        used = _check_split(market, sim, src, dst, amount, 3)
        cov[f"{used} paths"] += 1

    run()
    cov.require(**{"3 paths": 2})


def test_split_does_not_lock_in_two_paths_through_one_bottleneck() -> None:
    """Four V2 pools: A-B (P1), two parallel B-C (Q1, Q2), a direct A-C (R) 2% off. Greedy
    slicing fills P1-Q1, then P1-Q2 (a better price than R at that point) and, at max_splits=2,
    can no longer take R, although {P1-Q1, R} beats {P1-Q1, P1-Q2} by ~4% once both paths
    share P1's reserves. Refinement only moves amounts between the paths already chosen."""
    e = 10**18
    a, b, c = (address_of(f"token {k}") for k in "ABC")
    market = Market(
        (a, b, c),
        (
            V2Spec(address_of("pool 1"), a, b, 1000 * e, 1000 * e, 5),
            V2Spec(address_of("pool 2"), b, c, 100 * e, 100 * e, 5),
            V2Spec(address_of("pool 3"), b, c, 100 * e, 995 * e // 10, 5),
            V2Spec(address_of("pool 4"), a, c, 100 * e, 98 * e, 5),
        ),
    )
    _check_split(market, Sim(market), a, c, 100 * e, 2)


@pytest.mark.parametrize(("case", "splits"), CASES, ids=[case.__name__ for case, _ in CASES])
def test_split_regressions(case: Callable[[], tuple[Market, str, str, int]], splits: int) -> None:
    market, src, dst, amount = case()
    assert _check_split(market, Sim(market), src, dst, amount, splits) >= 2
