"""The AMM kernels' Python boundary: hostile inputs raise clear zippifi errors, never panic."""

from __future__ import annotations

import contextlib
import re
from functools import partial
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.reference import Revert
from tests.reference import uniswap_v2 as ref_v2
from zippifi import amm, errors

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(),
    st.text(max_size=10),
    st.binary(max_size=10),
    st.lists(st.integers(min_value=-(2**260), max_value=2**260), max_size=5),
)


@given(a=anything, b=anything, c=anything, fee=anything)
def test_v2_hostile(a: Any, b: Any, c: Any, fee: Any) -> None:
    for fn in (amm.v2_amount_out, amm.v2_amount_in, amm.v2_amount_out_many):
        with contextlib.suppress(errors.InvalidInputError):
            fn(a, b, c, fee)


@given(i=anything, j=anything, dx=anything, balances=anything, amp=anything, fee=anything)
def test_stableswap_hostile(i: Any, j: Any, dx: Any, balances: Any, amp: Any, fee: Any) -> None:
    with contextlib.suppress(errors.InvalidInputError):
        amm.stable_get_dy(i, j, dx, balances, amp, fee)


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
    for bad in (
        [[1.0, 2.0, 3.0]],
        [1.0, 2.0],
        [["x", 1]],
        [[np.nan, 1.0]],
        [[99.0, 1.0], [100.0, 1.0]],
    ):
        with pytest.raises(errors.InvalidOrderBookError):
            amm.OrderBook(bad, asks)
    with pytest.raises(errors.InvalidOrderBookError, match="crossed"):
        amm.OrderBook([[102.0, 1.0]], asks)
    book = amm.OrderBook([], asks)
    assert book.mid is None
    assert book.fill("buy", 5.0).filled == 1.0
    with pytest.raises(errors.InvalidAmmInputError, match="side"):
        book.fill("long", 1.0)  # type: ignore[arg-type]
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
