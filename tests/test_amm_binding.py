"""The AMM kernels' Python boundary: hostile inputs raise clear zippifi errors, never panic."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.generators import hostile
from tests.reference import Revert
from tests.reference import uniswap_v2 as ref_v2
from zippifi import _core, amm, errors

POOL: dict[str, Any] = {
    "sqrt_price_x96": 2**96,
    "tick": 0,
    "liquidity": 10**18,
    "fee": 3000,
    "tick_spacing": 60,
    "ticks": {-60: 10**18, 60: -(10**18)},
}
BIDS = np.array([[99.0, 1.0], [98.0, 2.0]])
ASKS = np.array([[101.0, 1.0], [102.0, 2.0]])


def _refused_by_name(call: Callable[[], object], names: tuple[str, ...]) -> None:
    """Runs ``call``. What it may raise is a zippifi bad-input error, and nothing else (a
    TypeError, OverflowError, PanicException or KernelPanicError fails the test); one that
    refuses an argument names it. A revert names no argument: it gives the contract's reason."""
    try:
        call()
    except errors.AmmRevertError:
        pass
    except errors.InvalidInputError as exc:
        message = str(exc)
        assert any(name in message for name in names), f"{message!r} names none of {names}"


@given(a=hostile, b=hostile, c=hostile, fee=hostile)
def test_v2_hostile(a: Any, b: Any, c: Any, fee: Any) -> None:
    for fn in (amm.v2_amount_out, amm.v2_amount_in, amm.v2_amount_out_many):
        with contextlib.suppress(errors.InvalidInputError):
            fn(a, b, c, fee)


@given(i=hostile, j=hostile, dx=hostile, balances=hostile, amp=hostile, fee=hostile)
def test_stableswap_hostile(i: Any, j: Any, dx: Any, balances: Any, amp: Any, fee: Any) -> None:
    with contextlib.suppress(errors.InvalidInputError):
        amm.stable_get_dy(i, j, dx, balances, amp, fee)


@given(name=st.sampled_from(sorted(POOL)), bad=hostile)
def test_v3_pool_hostile_construction(name: str, bad: Any) -> None:
    _refused_by_name(lambda: amm.V3Pool(**{**POOL, name: bad}), (name,))


@given(tick=hostile, sqrt_price=hostile)
def test_v3_tick_math_hostile(tick: Any, sqrt_price: Any) -> None:
    _refused_by_name(lambda: amm.get_sqrt_ratio_at_tick(tick), ("tick",))
    _refused_by_name(lambda: amm.get_tick_at_sqrt_ratio(sqrt_price), ("sqrt_price_x96",))


@given(
    zero_for_one=st.one_of(st.booleans(), hostile),
    amount=st.one_of(st.integers(-(10**18), 10**18), hostile),
    limit=st.one_of(st.none(), hostile),
)
def test_v3_pool_hostile_swaps(zero_for_one: Any, amount: Any, limit: Any) -> None:
    pool = amm.V3Pool(**POOL)
    swap_args = ("zero_for_one", "amount_specified", "sqrt_price_limit_x96")
    _refused_by_name(lambda: pool.swap(zero_for_one, amount, limit), swap_args)
    _refused_by_name(lambda: pool.quote_many(zero_for_one, amount), ("zero_for_one", "amounts_in"))
    _refused_by_name(lambda: pool.apply(amount), ("result",))


@given(name=st.sampled_from(["bids", "asks"]), bad=hostile)
def test_order_book_hostile_construction(name: str, bad: Any) -> None:
    """Through zippifi.amm's numpy conversion, and straight into the binding."""
    sides = {"bids": BIDS, "asks": ASKS, name: bad}
    for make in (amm.OrderBook, _core.OrderBook):
        _refused_by_name(partial(make, **sides), (name,))


@given(
    side=st.one_of(st.sampled_from(["buy", "sell"]), hostile),
    quantity=st.one_of(st.floats(0, 10), hostile),
)
def test_order_book_hostile_queries(side: Any, quantity: Any) -> None:
    book = amm.OrderBook(BIDS, ASKS)
    _refused_by_name(lambda: book.fill(side, quantity), ("side", "quantity"))
    _refused_by_name(lambda: book.depth(side, quantity), ("side", "bps"))
    _refused_by_name(lambda: book.fill_many(side, quantity), ("side", "quantities"))
    _refused_by_name(lambda: book._fill_many_raw(side, quantity), ("side", "quantities"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: amm.V3Pool(**POOL).swap(None, 10),  # type: ignore[arg-type]
            "zero_for_one: expected True or False, got NoneType",
        ),
        (
            lambda: amm.V3Pool(**POOL).quote_many(True, None),  # type: ignore[arg-type]
            "amounts_in: expected a sequence, got NoneType",
        ),
        (
            lambda: amm.V3Pool(**POOL).swap(True, 10, "0"),  # type: ignore[arg-type]
            "sqrt_price_limit_x96: expected an int, got str",
        ),
        (
            lambda: amm.V3Pool(**POOL).apply(None),  # type: ignore[arg-type]
            "result: expected a V3SwapResult, got NoneType",
        ),
        (
            lambda: amm.V3Pool(**{**POOL, "ticks": {60: 1.5}}),
            "ticks[60]: expected an int, got float",
        ),
        (
            lambda: amm.get_sqrt_ratio_at_tick(2**40),
            "tick: 1099511627776 is out of range (int32)",
        ),
        (
            lambda: amm.OrderBook(BIDS, ASKS).fill(None, 1.0),  # type: ignore[arg-type]
            'side: expected "buy" or "sell", got NoneType',
        ),
        (
            lambda: amm.OrderBook(BIDS, ASKS).fill("buy", "1"),  # type: ignore[arg-type]
            "quantity: expected a number, got str",
        ),
        (
            lambda: amm.OrderBook(BIDS, ASKS).depth("sell", None),  # type: ignore[arg-type]
            "bps: expected a number, got NoneType",
        ),
        (
            lambda: amm.OrderBook(BIDS, ASKS).fill_many("buy", {"a": 1}),  # type: ignore[arg-type]
            "quantities: not an array of numbers: ",
        ),
        (
            lambda: amm.stable_get_dy(0, 1.0, 10, [10, 10], 100, 0),  # type: ignore[arg-type]
            "j: expected an int, got float",
        ),
    ],
)
def test_wrongly_typed_plain_arguments_raise_the_family(
    call: Callable[[], object], message: str
) -> None:
    """Plain arguments of the wrong type (a bool, a str side, a float quantity, an iterable) once
    reached pyo3's own conversion and raised a bare TypeError; now the AMM area's error, naming
    the argument."""
    with pytest.raises(errors.InvalidAmmInputError) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 10, 10), "amount_in: must not be negative"),
        ((2**256, 10, 10), "amount_in: exceeds 2**256-1"),
        ((1.5, 10, 10), "amount_in: expected an int, got float"),
        ((True, 10, 10), "amount_in: expected an int, got bool"),
    ],
)
def test_v2_errors_name_the_argument(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(errors.InvalidAmmInputError, match=re.escape(message)):
        amm.v2_amount_out(*args)


def test_v2_reverts_and_batches() -> None:
    with pytest.raises(errors.AmmRevertError, match="INSUFFICIENT_LIQUIDITY"):
        amm.v2_amount_out(1, 0, 10)
    with pytest.raises(errors.AmmRevertError, match="ds-math-mul-overflow"):
        amm.v2_amount_out(2**255, 1, 1)
    with pytest.raises(errors.AmmRevertError, match=r"^amounts_in\[2\]: .*INSUFFICIENT_INPUT"):
        amm.v2_amount_out_many([1, 2, 0], 100, 100)
    with pytest.raises(errors.InvalidAmmInputError, match="reserves_in: has 2 elements"):
        amm.v2_amount_out_many([1, 2, 3], [5, 5], 100)
    assert amm.v2_amount_out_many(5, 100, 100) == [amm.v2_amount_out(5, 100, 100)]
    assert amm.v2_amount_out(10**18, 100 * 10**18, 200_000 * 10**6, fee_bps=0) > amm.v2_amount_out(
        10**18, 100 * 10**18, 200_000 * 10**6
    )


def test_order_book_rejects_bad_shapes() -> None:
    asks = np.array([[101.0, 1.0]])
    bad_sides: list[Any] = [
        [[1.0, 2.0, 3.0]],
        [1.0, 2.0],
        [["x", 1]],
        [[np.nan, 1.0]],
        [[99.0, 1.0], [100.0, 1.0]],
    ]
    for bad in bad_sides:
        with pytest.raises(errors.InvalidOrderBookError):
            amm.OrderBook(bad, asks)
    with pytest.raises(errors.InvalidOrderBookError, match="crossed"):
        amm.OrderBook([[102.0, 1.0]], asks)
    book = amm.OrderBook([], asks)
    assert book.mid is None
    assert book.fill("buy", 5.0).filled == 1.0
    with pytest.raises(errors.InvalidAmmInputError, match="side"):
        book.fill("long", 1.0)
    with pytest.raises(errors.InvalidAmmInputError, match=r"quantities\[1\]"):
        book.fill_many("buy", [1.0, -1.0])


def test_fill_many_equals_fill() -> None:
    rng = np.random.default_rng(7)
    bids = np.column_stack([100 - np.arange(1, 51) * 0.1, rng.uniform(0, 5, 50)])
    asks = np.column_stack([100 + np.arange(1, 51) * 0.1, rng.uniform(0, 5, 50)])
    book = amm.OrderBook(bids, asks)
    qs = rng.uniform(0, 300, 200)
    for side in ("buy", "sell"):
        many = book.fill_many(side, qs)
        for k, q in enumerate(qs):
            one = book.fill(side, float(q))
            assert (many.filled[k], many.cost[k], many.levels[k]) == (
                one.filled,
                one.cost,
                one.levels,
            )
            assert many.average_price[k] == one.average_price
            assert many.slippage_bps[k] == one.slippage_bps


@pytest.mark.parametrize("k", range(258))
def test_ints_convert_exactly_at_every_limb_edge(k: int) -> None:
    """Python ints become U256 one 64-bit limb at a time (py/num.rs): values around every power
    of two, scalar and in a list, against the reference. With no fee, v2_amount_in(1, x, 2) is
    x + 1, so the conversion shows through exactly (until x * 10000 overflows, as on chain)."""
    for x in (2**k + d for d in range(-3, 4)):
        if x < 0:
            continue
        if x >= 2**256:
            too_large = re.escape("exceeds 2**256-1")
            with pytest.raises(errors.InvalidAmmInputError, match=too_large):
                amm.v2_amount_in(1, x, 2, 0)
            with pytest.raises(errors.InvalidAmmInputError, match=too_large):
                amm.v2_amount_out_many([1, x], 10, 10)
            continue
        for call, reference in (
            (partial(amm.v2_amount_in, 1, x, 2, 0), partial(ref_v2.get_amount_in, 1, x, 2, 0)),
            (
                partial(amm.v2_amount_out_many, [x], [x], [x]),
                partial(ref_v2.get_amount_out, x, x, x),
            ),
        ):
            try:
                want: Any = reference()
            except Revert as exc:
                with pytest.raises(errors.AmmRevertError, match=re.escape(str(exc))):
                    call()
            else:
                got = call()
                assert (got[0] if isinstance(got, list) else got) == want, x
