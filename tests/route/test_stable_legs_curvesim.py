"""The route kernel's StableSwap legs against curvesim's CurvePool (tests/curvesim_pool.py).

The route kernel quotes a StableSwap leg with D cached per pool state (``get_dy_with_d``) and,
where two paths of a split share a pool, moves the pool's balances by each leg (dx in, dy out,
the whole fee left in the pool). The rest of the route tests hold it to a reference built on
our own get_dy; here every leg is held to curvesim, which nobody here wrote: one leg, chains of
legs, the least input of an exact-output leg, and split paths through a shared pool replayed in
the kernel's order on curvesim pools that keep their state. The pools are live ones (coin values
within a factor 1000, so the contract's arithmetic cannot overflow, which curvesim would not
see); where the contract reverts or pays nothing there is no leg. See
tests/test_amm_stableswap_curvesim.py for the template our kernel follows and where curvesim
parts from it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from tests import curvesim_pool as cs
from tests.generators import STABLE_RATES, stable_pool_states, trade_sizes
from zippifi.errors import RouteNotFound
from zippifi.route import PoolGraph, Route

from .market import address_of

E18 = 10**18


def _inputs(balance: int) -> st.SearchStrategy[int]:
    """A route's input (positive) for a pool holding ``balance`` of the coin."""
    return trade_sizes(balance).map(lambda dx: max(dx, 1))


def _curve(state: dict[str, Any]) -> Any:
    return cs.pool_or_none(state["balances"], state["amp"], state["fee"], state["rates"])


def _leg(state: dict[str, Any], i: int, j: int, dx: int) -> int | None:
    """curvesim's payout for one leg on a fresh pool of ``state``; None where the route has no
    leg: the contract reverts or pays nothing."""
    p = _curve(state)
    paid = None if p is None else cs.contract_pays(p, i, j, dx)
    return paid or None


def _graph(pools: list[tuple[str, list[str], dict[str, Any]]]) -> PoolGraph:
    graph = PoolGraph()
    for address, tokens, s in pools:
        graph.add_stable_pool(address, tokens, s["balances"], s["amp"], s["fee"], s["rates"])
    return graph


def _route_or_none(call: Any) -> Route | None:
    try:
        route: Route = call()
    except RouteNotFound:
        return None
    return route


# ---------------------------------------------------------------- one pool


@st.composite
def one_pool(draw: st.DrawFn) -> tuple[dict[str, Any], int, int, int]:
    state = draw(stable_pool_states("live"))
    i, j = draw(st.permutations(range(len(state["balances"]))))[:2]
    return state, i, j, draw(_inputs(state["balances"][i]))


@given(one_pool())
def test_one_stable_leg_equals_curvesim(case: tuple[dict[str, Any], int, int, int]) -> None:
    """A graph of one pool: the route exists exactly where curvesim's exchange pays, and pays
    the same; the least input for that output (exact output) is curvesim's least input too."""
    state, i, j, dx = case
    tokens = [address_of(f"token {k}") for k in range(len(state["balances"]))]
    pool = address_of("pool")
    graph = _graph([(pool, tokens, state)])
    want = _leg(state, i, j, dx)
    route = _route_or_none(lambda: graph.best_route(tokens[i], tokens[j], dx))
    if want is None:
        event("no leg")
        assert route is None
        return
    event("a leg")
    assert route is not None
    assert (route.pools, route.amounts) == ([pool], [dx, want])
    # exact output: the least input curvesim pays `want` for
    back = _route_or_none(lambda: graph.best_route_exact_out(tokens[i], tokens[j], want))
    assert back is not None
    least = back.amount_in
    assert least <= dx
    assert (_leg(state, i, j, least) or 0) >= want
    assert (_leg(state, i, j, least - 1) or 0) < want


# ---------------------------------------------------------------- chains of pools


@st.composite
def chains(draw: st.DrawFn) -> tuple[list[tuple[str, list[str], dict[str, Any]]], int]:
    """2 or 3 pools in a row, token k to token k + 1 through pool k (each with 2 or 3 coins, the
    extra coin a token of its own), each token of one decimals everywhere; and an input."""
    hops = draw(st.integers(2, 3))
    path = [address_of(f"token {k}") for k in range(hops + 1)]
    rate = {t: draw(st.sampled_from(STABLE_RATES)) for t in path}
    pools = []
    for k in range(hops):
        tokens = [path[k], path[k + 1]]
        if draw(st.booleans()):
            extra = address_of(f"extra {k}")
            tokens.insert(draw(st.integers(0, 2)), extra)
            rate[extra] = draw(st.sampled_from(STABLE_RATES))
        state = draw(stable_pool_states("live", rates=[rate[t] for t in tokens]))
        pools.append((address_of(f"pool {k}"), tokens, state))
    first = pools[0]
    dx = draw(_inputs(first[2]["balances"][first[1].index(path[0])]))
    return pools, dx


@given(chains())
def test_chained_stable_legs_equal_curvesim(
    case: tuple[list[tuple[str, list[str], dict[str, Any]]], int],
) -> None:
    """The only path through 2 or 3 pools: every hop's amount is curvesim's, leg after leg, and
    there is a route exactly where every leg pays."""
    pools, dx = case
    path = _path(pools)
    amounts = [dx]
    for _, tokens, state in pools:
        k = len(amounts) - 1
        out = _leg(state, tokens.index(path[k]), tokens.index(path[k + 1]), amounts[-1])
        if out is None:
            break
        amounts.append(out)
    graph = _graph(pools)
    route = _route_or_none(lambda: graph.best_route(path[0], path[-1], dx))
    if len(amounts) < len(pools) + 1:
        event("a leg refuses")
        assert route is None
        return
    event(f"{len(pools)} legs")
    assert route is not None
    assert route.pools == [address for address, _, _ in pools]
    assert route.amounts == amounts


def _path(pools: list[tuple[str, list[str], dict[str, Any]]]) -> list[str]:
    return [address_of(f"token {k}") for k in range(len(pools) + 1)]


# ---------------------------------------------------------------- split paths through a shared pool

A, B, C = (address_of(f"token {t}") for t in "abc")
SHARED, LEFT, RIGHT = (address_of(f"pool {name}") for name in ("shared", "left", "right"))


def _split_market(
    shared: dict[str, Any], left: dict[str, Any], right: dict[str, Any]
) -> list[tuple[str, list[str], dict[str, Any]]]:
    """A -> B through one pool, then B -> C through either of two: every path from A to C
    shares the first pool."""
    return [(SHARED, [A, B], shared), (LEFT, [B, C], left), (RIGHT, [B, C], right)]


def _replay_split(pools: list[tuple[str, list[str], dict[str, Any]]], amount: int,
                  max_splits: int) -> int:  # fmt: skip
    """split_route, then its paths replayed in its order on curvesim pools that keep their
    state: every hop must pay exactly what the kernel says. Returns how many paths it used."""
    graph = _graph(pools)
    split = graph.split_route(A, C, amount, max_splits=max_splits)
    curve = {address: _curve(state) for address, _, state in pools}
    coins = {address: tokens for address, tokens, _ in pools}
    assert sum(r.amount_in for r in split.routes) == amount
    for route in split.routes:
        for k, address in enumerate(route.pools):
            i = coins[address].index(route.tokens[k])
            j = coins[address].index(route.tokens[k + 1])
            paid = cs.contract_pays(curve[address], i, j, route.amounts[k])
            assert paid == route.amounts[k + 1], (address, k, route.amounts)
    assert split.amount_out == sum(r.amount_out for r in split.routes)
    return len(split.routes)


@st.composite
def split_markets(draw: st.DrawFn) -> tuple[list[tuple[str, list[str], dict[str, Any]]], int]:
    rates = {t: draw(st.sampled_from(STABLE_RATES)) for t in (A, B, C)}
    shared = draw(stable_pool_states("live", rates=[rates[A], rates[B]]))
    left = draw(stable_pool_states("live", rates=[rates[B], rates[C]]))
    right = draw(stable_pool_states("live", rates=[rates[B], rates[C]]))
    amount = draw(_inputs(shared["balances"][0]))
    return _split_market(shared, left, right), amount


@given(split_markets(), st.integers(2, 3))
def test_split_paths_through_a_shared_pool_equal_curvesim(
    case: tuple[list[tuple[str, list[str], dict[str, Any]]], int], max_splits: int
) -> None:
    pools, amount = case
    try:
        paths = _replay_split(pools, amount, max_splits)
    except RouteNotFound:
        event("no route")
        return
    event(f"{paths} paths")


def test_a_split_through_a_shared_pool_equals_curvesim() -> None:
    """Two shallow pools after a deep one: the best split uses both, so the second path's first
    leg runs on the shared pool as the first path left it."""

    def state(balances: list[int], a: int, fee: int) -> dict[str, Any]:
        return {"balances": balances, "amp": 100 * a, "fee": fee, "rates": [E18, E18]}

    pools = _split_market(
        state([10**27, 10**27], 2000, 1_000_000),
        state([10**22, 10**22], 100, 4_000_000),
        state([2 * 10**22, 10**22], 50, 4_000_000),
    )
    assert _replay_split(pools, 10**22, 2) == 2
    assert _replay_split(pools, 10**22, 3) >= 2
