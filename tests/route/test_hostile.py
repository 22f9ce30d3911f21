"""Hostile input: every bad argument raises the zippifi.errors family (InvalidRouteInputError,
CorruptGraphError, RouteNotFound), names the argument, and leaves the graph byte-for-byte as it
was (to_bytes() before and after)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zippifi import amm
from zippifi.errors import (
    CorruptGraphError,
    InvalidInputError,
    InvalidRouteInputError,
    RouteNotFound,
    ZippiError,
)
from zippifi.route import PoolGraph

from .checks import budget

A, B, C, D = ("0x" + f"{k:02x}" * 20 for k in (0xA1, 0xB2, 0xC3, 0xD4))
NATIVE = "0x" + "ee" * 20
V2 = "0x" + "01" * 20
V3 = "0x" + "02" * 20
ST = "0x" + "03" * 20
UNKNOWN = "0x" + "99" * 20
SPACING = 60


def graph() -> PoolGraph:
    g = PoolGraph(NATIVE)
    g.add_v2_pool(V2, A, B, 10**21, 2 * 10**21, 30)
    sqrt = amm.get_sqrt_ratio_at_tick(0)
    g.add_v3_pool(V3, B, C, sqrt, 0, 10**20, 3000, SPACING, {-600: 10**20, 600: -(10**20)})
    g.add_stable_pool(ST, [A, C, D], [10**21, 10**21, 10**21], 10_000, 4_000_000)
    g.add_v2_pool("0x" + "04" * 20, D, NATIVE, 10**21, 10**21)
    return g


def _raises(
    call: Callable[[PoolGraph], Any], error: type[Exception], names: str | tuple[str, ...]
) -> None:
    g = graph()
    before = g.to_bytes()
    with pytest.raises(error) as info:
        call(g)
    msg = str(info.value)
    wanted = (names,) if isinstance(names, str) else names
    assert any(n in msg for n in wanted), f"message {msg!r} names none of {wanted}"
    assert g.to_bytes() == before, "a refused call changed the graph"
    assert isinstance(info.value, ZippiError)


BAD_ADDRESSES = [
    "0x123",
    "0x" + "g" * 40,
    A[2:],
    A + "00",
    12345,
    None,
    b"\x01" * 19,
    1.5,
]
BAD_AMOUNTS = [-1, 2**256, 2**300, "100", 1.0, None, b"\x01", [1]]


@pytest.mark.parametrize("bad", BAD_ADDRESSES)
@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("token_in", lambda g, x: g.best_route(x, B, 10**18)),
        ("token_out", lambda g, x: g.best_route(A, x, 10**18)),
        ("token_in", lambda g, x: g.best_route_exact_out(x, B, 10**18)),
        ("token_in", lambda g, x: g.split_route(x, B, 10**18)),
        ("address", lambda g, x: g.add_v2_pool(x, A, B, 10, 10)),
        ("token0", lambda g, x: g.add_v2_pool(UNKNOWN, x, B, 10, 10)),
        ("token1", lambda g, x: g.add_v3_pool(UNKNOWN, A, x, 2**96, 0, 0, 3000, 60, {})),
        ("tokens[1]", lambda g, x: g.add_stable_pool(UNKNOWN, [A, x], [10, 10], 100, 0)),
        ("address", lambda g, x: g.update_v2_reserves(x, 10, 10)),
        ("address", lambda g, x: g.remove_pool(x)),
        ("address", lambda g, x: g.set_token(x, 18)),
        ("start_token", lambda g, x: g.arbitrage_cycles(x)),
        ("pool_address", lambda g, x: g.arbitrage_after_update(x)),
        ("queries[0].token_in", lambda g, x: g.best_routes([(x, B, 10)])),
    ],
)
def test_bad_addresses(name: str, call: Callable[[PoolGraph, Any], Any], bad: Any) -> None:
    _raises(lambda g: call(g, bad), InvalidRouteInputError, name)


@pytest.mark.parametrize("bad", BAD_AMOUNTS)
@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("amount_in", lambda g, x: g.best_route(A, B, x)),
        ("amount_in", lambda g, x: g.best_route_exhaustive(A, B, x)),
        ("amount_out", lambda g, x: g.best_route_exact_out(A, B, x)),
        ("amount_in", lambda g, x: g.split_route(A, B, x)),
        ("gas_price_wei", lambda g, x: g.best_route(A, B, 10, gas_price_wei=x)),
        ("min_profit", lambda g, x: g.arbitrage_cycles(A, min_profit=x)),
        ("reserve0", lambda g, x: g.update_v2_reserves(V2, x, 10)),
        ("reserve1", lambda g, x: g.add_v2_pool(UNKNOWN, A, C, 10, x)),
        ("balances[2]", lambda g, x: g.update_stable_balances(ST, [10, 10, x])),
        ("queries[0].amount_in", lambda g, x: g.best_routes([(A, B, x)])),
    ],
)
def test_bad_amounts(name: str, call: Callable[[PoolGraph, Any], Any], bad: Any) -> None:
    if bad is None and name in ("gas_price_wei", "min_profit"):
        return  # None is their default
    _raises(lambda g: call(g, bad), InvalidRouteInputError, name)


@pytest.mark.parametrize(
    ("names", "call"),
    [
        ("amount_in", lambda g: g.best_route(A, B, 0)),
        ("amount_out", lambda g: g.best_route_exact_out(A, B, 0)),
        ("token_out", lambda g: g.best_route(A, A.lower(), 10)),
        ("max_hops", lambda g: g.best_route(A, B, 10, max_hops=0)),
        ("max_hops", lambda g: g.best_route(A, B, 10, max_hops=7)),
        ("max_hops", lambda g: g.best_route_exact_out(A, B, 10, max_hops=7)),
        ("max_hops", lambda g: g.split_route(A, B, 10, max_hops=0)),
        ("max_hops", lambda g: g.arbitrage_cycles(A, max_hops=7)),
        ("max_hops", lambda g: g.best_routes([(A, B, 10)], max_hops=0)),
        ("max_splits", lambda g: g.split_route(A, B, 10, max_splits=0)),
        ("max_splits", lambda g: g.split_route(A, B, 10, max_splits=17)),
        ("gas_model", lambda g: g.best_route(A, B, 10, gas_model={"v4_hop": 1})),
        ("gas_model", lambda g: g.best_route(A, B, 10, gas_model=[("base", 1)])),
        ("gas_model", lambda g: g.best_route(A, B, 10, gas_model={"base": -1})),
        ("gas_model", lambda g: setattr(g, "gas_model", {"base": 2**64})),
        ("gas_model", lambda g: setattr(g, "gas_model", {"base": "1"})),
        # pools
        ("address", lambda g: g.add_v2_pool(V2, A, B, 10, 10)),
        ("tokens", lambda g: g.add_v2_pool(UNKNOWN, A, A.lower(), 10, 10)),
        ("reserves", lambda g: g.add_v2_pool(UNKNOWN, A, C, 2**112, 10)),
        ("fee_bps", lambda g: g.add_v2_pool(UNKNOWN, A, C, 10, 10, 10_000)),
        ("fee_bps", lambda g: g.add_v2_pool(UNKNOWN, A, C, 10, 10, -1)),
        ("tick", lambda g: g.add_v3_pool(UNKNOWN, A, C, 2**96, 5, 0, 3000, 60, {})),
        ("ticks", lambda g: g.add_v3_pool(UNKNOWN, A, C, 2**96, 0, 0, 3000, 60, {30: 0})),
        ("ticks", lambda g: g.add_v3_pool(UNKNOWN, A, C, 2**96, 0, 0, 3000, 60, [(60, 1)])),
        ("ticks", lambda g: g.add_v3_pool(UNKNOWN, A, C, 2**96, 0, 0, 3000, 60, {"60": 1})),
        ("liquidity", lambda g: g.add_v3_pool(UNKNOWN, A, C, 2**96, 0, -1, 3000, 60, {})),
        ("fee", lambda g: g.add_v3_pool(UNKNOWN, A, C, 2**96, 0, 0, 10**6, 60, {})),
        ("tick_spacing", lambda g: g.add_v3_pool(UNKNOWN, A, C, 2**96, 0, 0, 3000, 0, {})),
        ("sqrt_price_x96", lambda g: g.add_v3_pool(UNKNOWN, A, C, 1, 0, 0, 3000, 60, {})),
        ("balances", lambda g: g.add_stable_pool(UNKNOWN, [A, B], [10], 100, 0)),
        ("tokens", lambda g: g.add_stable_pool(UNKNOWN, [A], [10], 100, 0)),
        ("amp", lambda g: g.add_stable_pool(UNKNOWN, [A, B], [10, 10], 0, 0)),
        ("fee", lambda g: g.add_stable_pool(UNKNOWN, [A, B], [10, 10], 100, 10**10)),
        ("rates", lambda g: g.add_stable_pool(UNKNOWN, [A, B], [10, 10], 100, 0, [1])),
        ("decimals", lambda g: g.set_token(A, 256)),
        ("decimals", lambda g: g.set_token(A, -1)),
        # updates: unknown pool, wrong kind, bad state
        ("address", lambda g: g.update_v2_reserves(UNKNOWN, 10, 10)),
        ("address", lambda g: g.update_v3_state(UNKNOWN, 2**96, 0, 0)),
        ("address", lambda g: g.update_v3_ticks(UNKNOWN, {60: 1})),
        ("address", lambda g: g.update_v3_position(UNKNOWN, -60, 60, 1)),
        ("address", lambda g: g.update_stable_balances(UNKNOWN, [1, 1, 1])),
        ("address", lambda g: g.remove_pool(UNKNOWN)),
        ("pool_address", lambda g: g.arbitrage_after_update(UNKNOWN)),
        ("address", lambda g: g.update_v2_reserves(V3, 10, 10)),
        ("address", lambda g: g.update_v3_state(V2, 2**96, 0, 0)),
        ("address", lambda g: g.update_v3_ticks(ST, {60: 1})),
        ("address", lambda g: g.update_v3_position(V2, -60, 60, 1)),
        ("address", lambda g: g.update_stable_balances(V3, [1, 1])),
        ("reserves", lambda g: g.update_v2_reserves(V2, 2**112, 1)),
        ("tick", lambda g: g.update_v3_state(V3, 2**96, 7, 10)),
        ("liquidity", lambda g: g.update_v3_state(V3, 2**96, 0, -5)),
        ("sqrt_price_x96", lambda g: g.update_v3_state(V3, 2**160, 0, 5)),
        ("balances", lambda g: g.update_stable_balances(ST, [1, 1])),
        # malformed tick dicts; the valid part of a mixed update must not be applied either
        ("deltas", lambda g: g.update_v3_ticks(V3, [(60, 1)])),
        ("deltas", lambda g: g.update_v3_ticks(V3, {"60": 1})),
        ("deltas", lambda g: g.update_v3_ticks(V3, {60.0: 1})),
        ("deltas", lambda g: g.update_v3_ticks(V3, {2**40: 1})),
        ("deltas[60]", lambda g: g.update_v3_ticks(V3, {60: "1"})),
        ("deltas[60]", lambda g: g.update_v3_ticks(V3, {60: 2**127})),
        ("ticks", lambda g: g.update_v3_ticks(V3, {120: 5, 30: 1})),
        ("ticks", lambda g: g.update_v3_ticks(V3, {120: 5, 10**7 // 60 * 60: 1})),
        ("ticks", lambda g: g.update_v3_ticks(V3, {-600: 2**127 - 1})),
        (("tick_lower", "TLU"), lambda g: g.update_v3_position(V3, 60, -60, 1)),
        (("tick_lower", "TLM"), lambda g: g.update_v3_position(V3, -(10**6), 60, 1)),
        (("tick_upper", "TUM"), lambda g: g.update_v3_position(V3, -60, 10**6, 1)),
        ("liquidity_delta", lambda g: g.update_v3_position(V3, -60, 60, -(2**127))),
        ("liquidity_delta", lambda g: g.update_v3_position(V3, -60, 60, "1")),
        # best_routes
        ("queries", lambda g: g.best_routes(5)),
        ("queries[0]", lambda g: g.best_routes([[A, B, 10]])),
        ("queries[1]", lambda g: g.best_routes([(A, B, 10), (A, B)])),
        ("queries[0].amount_in", lambda g: g.best_routes([(A, B, 0)])),
        ("data", lambda g: PoolGraph.from_bytes("not bytes")),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_are_named_and_change_nothing(
    names: str | tuple[str, ...], call: Callable[[PoolGraph], Any]
) -> None:
    _raises(call, InvalidInputError, names)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("max_hops", lambda g: g.best_route(A, B, 10, max_hops=-1)),
        ("max_hops", lambda g: g.best_route(A, B, 10, max_hops=2**70)),
        ("max_hops", lambda g: g.best_route(A, B, 10, max_hops=2.0)),
        ("max_hops", lambda g: g.best_route(A, B, 10, max_hops="3")),
        ("max_splits", lambda g: g.split_route(A, B, 10, max_splits=-1)),
        ("max_splits", lambda g: g.split_route(A, B, 10, max_splits="4")),
        ("allow_fee_on_transfer", lambda g: g.best_route(A, B, 10, allow_fee_on_transfer="no")),
        ("fee_on_transfer", lambda g: g.set_token(A, 18, fee_on_transfer="yes")),
    ],
)
def test_wrong_types_of_plain_arguments(name: str, call: Callable[[PoolGraph], Any]) -> None:
    """Integers and flags of the wrong type or sign: the zippifi.errors family too, not a bare
    TypeError/OverflowError from the binding's argument conversion."""
    g = graph()
    before = g.to_bytes()
    with pytest.raises((InvalidRouteInputError, TypeError, OverflowError)) as info:
        call(g)
    assert isinstance(info.value, InvalidRouteInputError), (
        f"{name}: raised {type(info.value).__name__}({info.value}), not InvalidRouteInputError: "
        f"pyo3 converts usize/bool arguments before the binding can name them (route.rs signatures "
        f"take max_hops/max_splits as usize and the flags as bool)"
    )
    assert name in str(info.value)
    assert g.to_bytes() == before


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.best_route(A, UNKNOWN, 10),
        lambda g: g.best_route(UNKNOWN, A, 10),
        lambda g: g.best_route_exact_out(A, UNKNOWN, 10),
        lambda g: g.split_route(UNKNOWN, A, 10),
        lambda g: g.best_route(A, NATIVE, 10, max_hops=1),  # reachable only in 2 hops
        lambda g: g.best_route_exact_out(A, B, 2 * 10**21),  # more than the pool holds
        lambda g: g.best_route_exact_out(B, C, 10**30, max_hops=1),  # beyond the V3 range
    ],
)
def test_no_route_is_route_not_found(call: Callable[[PoolGraph], Any]) -> None:
    g = graph()
    before = g.to_bytes()
    with pytest.raises(RouteNotFound, match="no route"):
        call(g)
    assert g.to_bytes() == before


def test_v3_leg_that_cannot_absorb_its_input_is_no_route() -> None:
    """Only one pool B->C, a V3 range that 10**30 of B runs through: no valid leg, so no route
    (never a partial fill reported as a route)."""
    g = graph()
    with pytest.raises(RouteNotFound):
        g.best_route(B, C, 10**30, max_hops=1)
    r = g.best_route(B, C, 10**18, max_hops=1)
    assert r.amounts[0] == 10**18


def test_snapshot_round_trip_and_corruption() -> None:
    g = graph()
    g.set_token(D, 6, fee_on_transfer=True)
    g.gas_model = {"v3_tick": 1234}
    data = g.to_bytes()
    h = PoolGraph.from_bytes(data)
    assert h.to_bytes() == data
    assert h.gas_model == g.gas_model
    assert h.wrapped_native == g.wrapped_native
    assert sorted(h.pool_addresses()) == sorted(g.pool_addresses())
    for cut in range(len(data)):
        with pytest.raises(CorruptGraphError, match="data"):
            PoolGraph.from_bytes(data[:cut])
    with pytest.raises(CorruptGraphError, match="data"):
        PoolGraph.from_bytes(b"XXXX" + data[4:])
    # A snapshot with bytes after its end is not what to_bytes wrote (postcard's from_bytes
    # ignores what follows the decoded value; persist.rs must check nothing is left over).
    with pytest.raises(CorruptGraphError, match="data"):
        PoolGraph.from_bytes(data + b"\x00")


@given(st.data())
@budget(200)
def test_random_corruption_is_refused_or_loads_a_valid_graph(data: st.DataObject) -> None:
    """A flipped byte either fails as CorruptGraphError or decodes to a graph the validating
    add_* calls accept (a reserve byte changed is still a graph): never a panic or other error."""
    original = graph().to_bytes()
    buf = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        k = data.draw(st.integers(0, len(buf) - 1))
        buf[k] = data.draw(st.integers(0, 255))
    try:
        h = PoolGraph.from_bytes(bytes(buf))
    except CorruptGraphError:
        return
    again = h.to_bytes()
    assert PoolGraph.from_bytes(again).to_bytes() == again


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda g: g.add_v3_pool(UNKNOWN, A, C, 2**96, "0", 0, 3000, 60, {}),
            "tick: expected an int, got str",
        ),
        (
            lambda g: g.add_v3_pool(UNKNOWN, A, C, 2**96, 0, 0, 3000, 60, {"60": 1}),
            "ticks: expected an int, got str",
        ),
    ],
)
def test_converter_errors_read_as_the_route_layers_own(
    call: Callable[[PoolGraph], Any], message: str
) -> None:
    """The AMM converters' checks re-raised by the route binding say what was wrong once, under
    the route layer's exception, not 'InvalidRouteInputError: InvalidAmmInputError: ...'."""
    with pytest.raises(InvalidRouteInputError) as info:
        call(graph())
    assert str(info.value) == message
