"""The Rust AMM kernels against the pure-Python references (tests/reference), field by field:
Uniswap V2 quotes up to and past uint256 overflow, V3 pools and swaps, the tick math, and
order-book fills. Where a reference reverts the kernel must raise AmmRevertError; where the
input is outside the function's domain, InvalidAmmInputError."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import currently_in_test_context, event, given
from hypothesis import strategies as st

from tests.reference import UINT256_MAX, Revert
from tests.reference import orderbook as ref_book
from tests.reference import uniswap_v2 as ref_v2
from tests.reference import uniswap_v3 as ref_v3
from zippifi import amm, errors

# ---------------------------------------------------------------- helpers


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    """("ok", value), ("revert", reason) or ("invalid", message) of a reference call."""
    try:
        return "ok", fn()
    except Revert as exc:
        return "revert", exc.reason
    except ValueError as exc:
        return "invalid", str(exc)


KERNEL_ERRORS = {"revert": errors.AmmRevertError, "invalid": errors.InvalidAmmInputError}


def assert_same(kernel: Callable[[], Any], reference: Callable[[], Any]) -> Any:
    """The kernel returns what the reference returns, or raises the matching zippifi error."""
    kind, want = outcome(reference)
    if kind == "ok":
        assert kernel() == want
        return want
    with pytest.raises(KERNEL_ERRORS[kind]):
        kernel()
    return None


def sized_uints(max_bits: int) -> st.SearchStrategy[int]:
    """Integers spread over every magnitude up to 2**max_bits - 1, not just huge ones."""
    return st.integers(0, max_bits).flatmap(lambda bits: st.integers(0, 2**bits - 1))


# ---------------------------------------------------------------- Uniswap V2

V2_EDGES = [
    0,
    1,
    2,
    2**112 - 1,
    2**112,
    UINT256_MAX // 10_000,
    UINT256_MAX // 9970,
    UINT256_MAX // 997,
    UINT256_MAX // 997 + 1,
    UINT256_MAX // 1000,
    UINT256_MAX // 1000 + 1,
    2**128,
    UINT256_MAX,
]
v2_amounts = st.one_of(sized_uints(256), st.integers(0, 2**112), st.sampled_from(V2_EDGES))
fee_bps = st.one_of(st.sampled_from([0, 1, 5, 25, 30, 100, 9999]), st.integers(0, 9999))


@given(st.integers(1, 2**112), st.integers(1, 2**112), st.integers(1, 2**112), fee_bps)
def test_v2_amount_out_uint112(a: int, r_in: int, r_out: int, fee: int) -> None:
    """Reserves are uint112 on chain: here nothing can overflow and every quote must agree."""
    assert amm.v2_amount_out(a, r_in, r_out, fee) == ref_v2.get_amount_out(a, r_in, r_out, fee)


@given(v2_amounts, v2_amounts, v2_amounts, fee_bps)
def test_v2_amount_out_full_range(a: int, r_in: int, r_out: int, fee: int) -> None:
    """Up to 2**256 - 1: the same quote, or AmmRevertError exactly where SafeMath reverts."""
    assert_same(
        lambda: amm.v2_amount_out(a, r_in, r_out, fee),
        lambda: ref_v2.get_amount_out(a, r_in, r_out, fee),
    )


@given(v2_amounts, v2_amounts, v2_amounts, fee_bps)
def test_v2_amount_in_full_range(a: int, r_in: int, r_out: int, fee: int) -> None:
    assert_same(
        lambda: amm.v2_amount_in(a, r_in, r_out, fee),
        lambda: ref_v2.get_amount_in(a, r_in, r_out, fee),
    )


@given(st.integers(1, 2**112), st.integers(2, 2**112), fee_bps, st.data())
def test_v2_amount_in_uint112(r_in: int, r_out: int, fee: int, data: st.DataObject) -> None:
    want = data.draw(st.integers(1, r_out - 1))
    assert amm.v2_amount_in(want, r_in, r_out, fee) == ref_v2.get_amount_in(want, r_in, r_out, fee)


def test_v2_default_fee_is_30_bps() -> None:
    args = (10**18, 100 * 10**18, 200_000 * 10**6)
    assert amm.v2_amount_out(*args) == ref_v2.get_amount_out(*args, 30) == 1974316068
    out_args = (10**6, 100 * 10**18, 200_000 * 10**6)  # buy 1 USDC
    assert amm.v2_amount_in(*out_args) == ref_v2.get_amount_in(*out_args, 30)


def test_v2_overflow_bounds_exactly() -> None:
    """The last input that fits and the first that overflows, for both fee forms."""
    top = (UINT256_MAX - 1000) // 997
    assert amm.v2_amount_out(top, 1, 1) == ref_v2.get_amount_out(top, 1, 1) == 0
    for first_bad in (UINT256_MAX // 997, UINT256_MAX // 997 + 1):
        with pytest.raises(errors.AmmRevertError):
            amm.v2_amount_out(first_bad, 1, 1)
    top25 = (UINT256_MAX - 10_000) // 9975
    assert amm.v2_amount_out(top25, 1, 1, 25) == 0
    with pytest.raises(errors.AmmRevertError):
        amm.v2_amount_out(top25 + 1, 1, 1, 25)
    # getAmountIn: reserve_in * amount_out * 1000 must fit
    r_in = UINT256_MAX // 1000
    assert amm.v2_amount_in(1, r_in, 2, 30) == ref_v2.get_amount_in(1, r_in, 2, 30)
    with pytest.raises(errors.AmmRevertError):
        amm.v2_amount_in(1, r_in + 1, 2, 30)


@pytest.mark.parametrize(
    "args",
    [(-1, 10, 10, 30), (1, -10, 10, 30), (1, 10, 2**256, 30), (1, 10, 10, 10_000), (1, 10, 10, -1)],
)
def test_v2_bad_input(args: tuple[int, int, int, int]) -> None:
    assert outcome(lambda: ref_v2.get_amount_out(*args))[0] == "invalid"
    with pytest.raises(errors.InvalidAmmInputError):
        amm.v2_amount_out(*args)
    with pytest.raises(errors.InvalidAmmInputError):
        amm.v2_amount_in(*args)


@st.composite
def v2_batches(draw: st.DrawFn) -> tuple[list[Any], list[list[int]]]:
    """(args with some columns scalars, the per-element rows they stand for)."""
    n = draw(st.integers(0, 12))
    columns = []
    rows: list[list[int]] = [[] for _ in range(3)]
    for k, values in enumerate(
        (st.integers(0, 2**120), st.integers(0, 2**120), st.integers(0, 2**120))
    ):
        if draw(st.booleans()):
            v = draw(st.one_of(values, st.sampled_from(V2_EDGES)))
            columns.append(v)
            rows[k] = [v] * n
        else:
            col = draw(st.lists(values, min_size=n, max_size=n))
            columns.append(col)
            rows[k] = col
    if all(not isinstance(c, list) for c in columns):
        rows = [[c] for c in columns]  # all scalars: one quote
    return columns, rows


@given(v2_batches(), fee_bps)
def test_v2_amount_out_many_equals_singles(
    batch: tuple[list[Any], list[list[int]]], fee: int
) -> None:
    (a, r_in, r_out), rows = batch
    singles = [
        outcome(lambda x=x, y=y, z=z: ref_v2.get_amount_out(x, y, z, fee))
        for x, y, z in zip(*rows, strict=True)
    ]
    failing = [k for k, (kind, _) in enumerate(singles) if kind != "ok"]
    if not failing:
        assert amm.v2_amount_out_many(a, r_in, r_out, fee) == [v for _, v in singles]
        assert ref_v2.get_amount_out_many(*rows, fee) == [v for _, v in singles]
        return
    k = failing[0]
    with pytest.raises(KERNEL_ERRORS[singles[k][0]], match=rf"amounts_in\[{k}\]"):
        amm.v2_amount_out_many(a, r_in, r_out, fee)


def test_v2_amount_out_many_broadcasts_and_checks_lengths() -> None:
    amounts = [10**15 + k for k in range(50)]
    want = [amm.v2_amount_out(x, 10**21, 3 * 10**21) for x in amounts]
    assert amm.v2_amount_out_many(amounts, 10**21, 3 * 10**21) == want
    assert amm.v2_amount_out_many(amounts, [10**21] * 50, 3 * 10**21) == want
    assert amm.v2_amount_out_many(5, 100, 100) == [amm.v2_amount_out(5, 100, 100)]
    assert amm.v2_amount_out_many([], [], []) == []
    with pytest.raises(errors.InvalidAmmInputError):
        amm.v2_amount_out_many([1, 2], [10, 10, 10], 10)


# ---------------------------------------------------------------- Uniswap V3: tick math

MIN_TICK, MAX_TICK = ref_v3.MIN_TICK, ref_v3.MAX_TICK
MIN_SQRT, MAX_SQRT = ref_v3.MIN_SQRT_RATIO, ref_v3.MAX_SQRT_RATIO
ticks_anywhere = st.one_of(
    st.integers(-1000, 1000), st.integers(MIN_TICK, MAX_TICK), st.sampled_from([MIN_TICK, MAX_TICK])
)


@given(ticks_anywhere)
def test_sqrt_ratio_at_tick(tick: int) -> None:
    assert amm.get_sqrt_ratio_at_tick(tick) == ref_v3.get_sqrt_ratio_at_tick(tick)


sqrt_prices = st.one_of(
    # every binary magnitude from MIN_SQRT_RATIO (~2**32) to MAX_SQRT_RATIO (~2**160)
    st.integers(33, 160).flatmap(
        lambda b: st.integers(max(MIN_SQRT, 2 ** (b - 1)), min(MAX_SQRT - 1, 2**b - 1))
    ),
    st.sampled_from([MIN_SQRT, MIN_SQRT + 1, 2**96 - 1, 2**96, MAX_SQRT - 1]),
)


@given(sqrt_prices)
def test_tick_at_sqrt_ratio(sqrt_price: int) -> None:
    assert amm.get_tick_at_sqrt_ratio(sqrt_price) == ref_v3.get_tick_at_sqrt_ratio(sqrt_price)


@given(st.integers(MIN_TICK, MAX_TICK - 1))
def test_tick_round_trip(tick: int) -> None:
    s = amm.get_sqrt_ratio_at_tick(tick)
    assert amm.get_tick_at_sqrt_ratio(s) == tick
    assert amm.get_tick_at_sqrt_ratio(amm.get_sqrt_ratio_at_tick(tick + 1) - 1) == tick


@pytest.mark.parametrize("tick", [MIN_TICK - 1, MAX_TICK + 1, -(2**23), 2**23 - 1])
def test_sqrt_ratio_at_tick_out_of_range(tick: int) -> None:
    with pytest.raises((errors.AmmRevertError, errors.InvalidAmmInputError)):
        amm.get_sqrt_ratio_at_tick(tick)


@pytest.mark.parametrize("sqrt_price", [0, MIN_SQRT - 1, MAX_SQRT, 2**160])
def test_tick_at_sqrt_ratio_out_of_range(sqrt_price: int) -> None:
    with pytest.raises((errors.AmmRevertError, errors.InvalidAmmInputError)):
        amm.get_tick_at_sqrt_ratio(sqrt_price)


# ---------------------------------------------------------------- Uniswap V3: pools and swaps


def _pool_args(pool: ref_v3.V3Pool) -> tuple[Any, ...]:
    return (pool.sqrt_price_x96, pool.tick, pool.liquidity, pool.fee, pool.tick_spacing, pool.ticks)


@st.composite
def v3_pools(draw: st.DrawFn) -> ref_v3.V3Pool:
    """A pool as positions make it: ticks near the price (so swaps cross them), liquidityNet
    summed per tick (some ticks end at net 0 yet stay initialized), the active liquidity the sum
    of the positions in range."""
    spacing = draw(st.one_of(st.sampled_from([1, 10, 60, 200]), st.integers(1, 16383)))
    fee = draw(st.one_of(st.sampled_from([0, 100, 500, 3000, 10_000]), st.integers(0, 999_999)))
    lowest, highest = -(MAX_TICK // spacing), MAX_TICK // spacing  # in units of spacing
    center = draw(st.one_of(st.integers(-2000, 2000), st.integers(MIN_TICK, MAX_TICK - 1)))
    if draw(st.booleans()):  # exactly on a tick's price
        sqrt_price = ref_v3.get_sqrt_ratio_at_tick(center)
    else:
        lo, hi = ref_v3.get_sqrt_ratio_at_tick(center), ref_v3.get_sqrt_ratio_at_tick(center + 1)
        sqrt_price = draw(st.integers(lo, hi - 1))
    tick = ref_v3.get_tick_at_sqrt_ratio(sqrt_price)
    ticks: dict[int, int] = {}
    liquidity = 0
    base = center // spacing
    reach = draw(st.sampled_from([3, 40, 300, 3000]))  # how far positions spread, in spacings
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 5)) == 0:
            lower, upper = lowest, highest  # full range
        else:
            a = draw(st.integers(base - reach, base + reach))
            b = draw(st.integers(base - reach, base + reach))
            lower, upper = min(a, b), max(a, b) + 1
            lower, upper = max(lower, lowest), min(upper, highest)
            if lower >= upper:
                continue
        amount = draw(st.one_of(sized_uints(100).map(lambda v: v + 1), st.integers(1, 10**24)))
        ticks[lower * spacing] = ticks.get(lower * spacing, 0) + amount
        ticks[upper * spacing] = ticks.get(upper * spacing, 0) - amount
        if lower * spacing <= tick < upper * spacing:
            liquidity += amount
    return ref_v3.V3Pool(sqrt_price, tick, liquidity, fee, spacing, ticks)


@st.composite
def v3_swaps(draw: st.DrawFn, pool: ref_v3.V3Pool) -> tuple[bool, int, int | None]:
    # rare cases by a seeded coin: hypothesis would favour the simplest option of any choice
    coin = random.Random(draw(st.integers(0, 2**32)))
    zero_for_one = draw(st.booleans())
    magnitude = draw(
        st.one_of(
            sized_uints(130).map(lambda v: v + 1),
            st.integers(1, 10**24),
            # scaled to the pool's liquidity, so the price moves far enough to cross ticks
            st.integers(1, 10**7).map(lambda k: max(1, pool.liquidity * k // 10**5)),
            st.sampled_from([1, 2, 2**255 - 1]),
        )
    )
    amount = -magnitude if draw(st.booleans()) else magnitude
    if coin.random() < 0.03:
        amount = coin.choice([0, -(2**255)])  # "AS", and the most negative int256
    limit: int | None = None
    u = coin.random()
    if u < 0.3:  # a few thousand ticks away, on the swap's side (+- a hair)
        offset = draw(st.integers(1, 3000))
        t = max(MIN_TICK, min(MAX_TICK, pool.tick + (-offset if zero_for_one else offset)))
        limit = ref_v3.get_sqrt_ratio_at_tick(t) + draw(st.integers(-5, 5))
    elif u < 0.4:  # anywhere, often on the wrong side: "SPL"
        limit = draw(st.integers(MIN_SQRT - 1, MAX_SQRT + 1))
    return zero_for_one, amount, limit


def _fields(r: Any) -> tuple[int, ...]:
    return (r.amount0, r.amount1, r.sqrt_price_x96, r.tick, r.liquidity, r.ticks_crossed)


def _swap_both(
    kernel: Any, reference: ref_v3.V3Pool, zero_for_one: bool, amount: int, limit: int | None
) -> ref_v3.SwapResult | None:
    def k_swap() -> tuple[int, ...]:
        if limit is None:
            return _fields(kernel.swap(zero_for_one, amount))
        return _fields(kernel.swap(zero_for_one, amount, limit))

    kind, want = outcome(lambda: reference.swap(zero_for_one, amount, limit))
    if currently_in_test_context():  # statistics for --hypothesis-show-statistics
        event(f"swap: {kind} {want.split(':')[0] if kind != 'ok' else ''}")
        if kind == "ok":
            event(f"initialized ticks crossed: {min(want.ticks_crossed, 3)}")
    if kind == "ok":
        assert k_swap() == _fields(want)
        return want
    if kind == "revert":
        with pytest.raises(errors.AmmRevertError):
            k_swap()
    else:
        with pytest.raises((errors.InvalidAmmInputError, errors.AmmRevertError)):
            k_swap()
    return None


@given(st.data())
def test_v3_swaps_equal_the_reference(data: st.DataObject) -> None:
    """Random pools, random swaps, then a second swap from where the first ended (which can
    leave the tick one below the price's tick, on a boundary)."""
    pool = data.draw(v3_pools())
    kernel = amm.V3Pool(*_pool_args(pool))
    for _ in range(2):
        zero_for_one, amount, limit = data.draw(v3_swaps(pool))
        result = _swap_both(kernel, pool, zero_for_one, amount, limit)
        if result is None:
            return
        pool = ref_v3.V3Pool(
            result.sqrt_price_x96,
            result.tick,
            result.liquidity,
            pool.fee,
            pool.tick_spacing,
            pool.ticks,
        )
        kernel = amm.V3Pool(*_pool_args(pool))


@given(st.data())
def test_v3_inconsistent_liquidity_reverts_like_the_contract(data: st.DataObject) -> None:
    """An active liquidity that the ticks do not add up to: crossing can go below zero ("LS")
    or past uint128 ("LA"), and the kernel must revert where the reference does."""
    pool = data.draw(v3_pools())
    liquidity = data.draw(st.one_of(st.integers(0, 10**6), st.integers(2**127, 2**128 - 1)))
    pool = ref_v3.V3Pool(
        pool.sqrt_price_x96, pool.tick, liquidity, pool.fee, pool.tick_spacing, pool.ticks
    )
    kernel = amm.V3Pool(*_pool_args(pool))
    zero_for_one, amount, limit = data.draw(v3_swaps(pool))
    _swap_both(kernel, pool, zero_for_one, amount, limit)


def test_v3_int128_min_liquidity_net() -> None:
    """0.7's unchecked negation leaves int128.min as is when crossing zero-for-one."""
    ticks = {-60: -(2**127), 60: 0}
    reference = ref_v3.V3Pool(2**96, 0, 2**127 + 5, 3000, 60, ticks)
    kernel = amm.V3Pool(*_pool_args(reference))
    for zero_for_one in (True, False):
        _swap_both(kernel, reference, zero_for_one, 10**40, None)


def test_v3_crosses_many_ticks_and_word_boundaries() -> None:
    """300 initialized ticks, spacing 1 so they span two bitmap words each side, liquidityNet
    of both signs (and one 0): long swaps either way, exact input and exact output."""
    ticks = {-887272: 10**22, 887272: -(10**22)}
    for k in range(1, 151):
        ticks[-3 * k] = (-1) ** k * 10**18 * k
        ticks[3 * k] = (-1) ** (k + 1) * 10**18 * k
    ticks[-300] = 0  # an initialized tick whose liquidityNet sums to zero
    liquidity = sum(net for t, net in ticks.items() if t <= 1)  # the positions in range at tick 1
    sqrt_price = ref_v3.get_sqrt_ratio_at_tick(1) + 12345
    reference = ref_v3.V3Pool(sqrt_price, 1, liquidity, 500, 1, ticks)
    kernel = amm.V3Pool(*_pool_args(reference))
    for zero_for_one in (True, False):
        for amount in (10**19, 10**20, 3 * 10**20, -(10**19), -(10**20)):
            result = _swap_both(kernel, reference, zero_for_one, amount, None)
            assert result is not None
    deep = reference.swap(True, 10**21)
    assert deep.ticks_crossed > 100


@given(v3_pools(), st.booleans(), st.lists(sized_uints(128).map(lambda v: v + 1), max_size=20))
def test_v3_quote_many_equals_swaps(
    pool: ref_v3.V3Pool, zero_for_one: bool, amounts: list[int]
) -> None:
    kernel = amm.V3Pool(*_pool_args(pool))
    kind, want = outcome(lambda: pool.quote_many(zero_for_one, amounts))
    if kind == "ok":
        assert kernel.quote_many(zero_for_one, amounts) == want
    else:
        with pytest.raises((errors.AmmRevertError, errors.InvalidAmmInputError)):
            kernel.quote_many(zero_for_one, amounts)


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ((MIN_SQRT - 1, MIN_TICK, 0, 3000, 60, {}), "price below MIN_SQRT_RATIO"),
        ((MAX_SQRT, MAX_TICK, 0, 3000, 60, {}), "price at MAX_SQRT_RATIO"),
        ((2**96, 5, 0, 3000, 60, {}), "tick does not match the price"),
        ((2**96, 0, 2**128, 3000, 60, {}), "liquidity above uint128"),
        ((2**96, 0, -1, 3000, 60, {}), "negative liquidity"),
        ((2**96, 0, 0, 1_000_000, 60, {}), "fee of 100%"),
        ((2**96, 0, 0, 3000, 0, {}), "zero tick spacing"),
        ((2**96, 0, 0, 3000, 60, {30: 1}), "unspaced tick"),
        ((2**96, 0, 0, 3000, 60, {887280: 1}), "tick above MAX_TICK"),
        ((2**96, 0, 0, 3000, 60, {60: 2**127}), "liquidityNet above int128"),
    ],
)
def test_v3_bad_pools(args: tuple[Any, ...], why: str) -> None:
    assert outcome(lambda: ref_v3.V3Pool(*args))[0] != "ok", why
    with pytest.raises(errors.InvalidAmmInputError):
        amm.V3Pool(*args)


def test_v3_swap_reverts() -> None:
    args = (2**96, 0, 10**18, 3000, 60, {-600: 10**18, 600: -(10**18)})
    kernel = amm.V3Pool(*args)
    with pytest.raises(errors.AmmRevertError, match="AS"):
        kernel.swap(True, 0)
    with pytest.raises(errors.AmmRevertError, match="SPL"):
        kernel.swap(True, 10, 2**96)
    with pytest.raises(errors.AmmRevertError, match="SPL"):
        kernel.swap(False, 10, MAX_SQRT)
    with pytest.raises(errors.InvalidAmmInputError):
        kernel.swap(True, 2**255)  # not an int256


# ---------------------------------------------------------------- order books


def _book(seed: int, n_bids: int, n_asks: int, mid: float, tick: float) -> tuple[Any, Any]:
    """Strictly ordered levels with random gaps and sizes around ``mid``."""
    rng = np.random.default_rng(seed)
    half_spread = mid * rng.uniform(1e-5, 1e-2)
    bid_gaps = rng.uniform(0.1, 3.0, n_bids) * tick * mid
    ask_gaps = rng.uniform(0.1, 3.0, n_asks) * tick * mid
    bid_prices = mid - half_spread - np.concatenate([[0.0], np.cumsum(bid_gaps)[:-1]])
    ask_prices = mid + half_spread + np.concatenate([[0.0], np.cumsum(ask_gaps)[:-1]])
    bid_prices = bid_prices[bid_prices > 0][:n_bids] if n_bids else bid_prices[:0]
    sizes = 10.0 ** rng.uniform(-4, 4, n_bids + n_asks)
    bids = np.column_stack([bid_prices, sizes[: len(bid_prices)]])
    asks = np.column_stack([ask_prices[:n_asks], sizes[n_bids : n_bids + n_asks]])
    return bids.reshape(-1, 2), asks.reshape(-1, 2)


books = st.builds(
    _book,
    st.integers(0, 2**32),
    st.integers(0, 60),
    st.integers(0, 60),
    st.sampled_from([1e-6, 0.01, 1.0, 1850.25, 65_000.0, 1e9]),
    st.sampled_from([1e-6, 1e-4, 1e-3]),
)


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _assert_fill_close(got: Any, want: ref_book.Fill) -> None:
    assert got.levels == want.levels, (got, want)
    for field in ("filled", "cost", "average_price", "worst_price", "slippage_bps"):
        assert _close(getattr(got, field), getattr(want, field)), (field, got, want)


def _quantities(total: float, seed: int, n: int) -> list[float]:
    rng = np.random.default_rng(seed)
    qs = rng.uniform(0.0, 1.5 * total, n).tolist() if total > 0 else []
    return [0.0, total, total * 2 + 1.0, *qs]


@given(books, st.integers(0, 2**32))
def test_order_book_fill_equals_reference(book: tuple[Any, Any], seed: int) -> None:
    bids, asks = book
    kernel, reference = amm.OrderBook(bids, asks), ref_book.OrderBook(bids, asks)
    for side, levels in (("buy", asks), ("sell", bids)):
        total = float(levels[:, 1].sum())
        qs = _quantities(total, seed, 20)
        for q in qs:
            _assert_fill_close(kernel.fill(side, q), reference.fill(side, q))
        many, want = kernel.fill_many(side, np.array(qs)), reference.fill_many(side, qs)
        assert many.levels.tolist() == want.levels.tolist()
        for field in ("filled", "cost", "average_price", "worst_price", "slippage_bps"):
            np.testing.assert_allclose(
                getattr(many, field), getattr(want, field), rtol=1e-9, atol=1e-9
            )
        for bps in (0.0, 1.0, 10.0, 100.0, 1e4):
            assert _close(kernel.depth(side, bps), reference.depth(side, bps))


@given(books, st.sampled_from(["buy", "sell"]), st.integers(0, 2**32))
def test_order_book_fills_are_monotone_and_partial_when_thin(
    book: tuple[Any, Any], side: str, seed: int
) -> None:
    bids, asks = book
    kernel = amm.OrderBook(bids, asks)
    levels = asks if side == "buy" else bids
    total = float(levels[:, 1].sum())
    qs = np.sort(np.array(_quantities(total, seed, 50)))
    many = kernel.fill_many(side, qs)
    assert np.all(np.diff(many.filled) >= 0)
    assert np.all(np.diff(many.cost) >= -1e-9 * np.maximum(many.cost[1:], 1.0))
    assert np.all(np.diff(many.levels) >= 0)
    # more size never gets a better average: buys pay more, sells receive less
    avg = many.average_price[many.filled > 0]
    step = np.diff(avg) if side == "buy" else -np.diff(avg)
    assert np.all(step >= -1e-9 * np.abs(avg[1:]))
    too_big = kernel.fill(side, total * 2 + 1.0)
    assert math.isclose(too_big.filled, total, rel_tol=1e-12)
    assert too_big.filled < total * 2 + 1.0
    assert too_big.levels == len(levels)


def test_order_book_worst_price_is_a_price_traded_at() -> None:
    """An empty level (size 0) is not a price anyone traded at."""
    asks = [[100.0, 1.0], [101.0, 0.0], [102.0, 1.0]]
    assert ref_book.OrderBook([], asks).fill("buy", 1.0).worst_price == 100.0
    assert amm.OrderBook([], asks).fill("buy", 1.0).worst_price == 100.0


@pytest.mark.parametrize(
    ("bids", "asks"),
    [
        ([[101.0, 1.0]], [[100.0, 1.0]]),  # crossed
        ([[100.0, 1.0]], [[100.0, 1.0]]),  # locked: best bid == best ask
        ([[98.0, 1.0], [99.0, 1.0]], [[100.0, 1.0]]),  # bids ascending
        ([[99.0, 1.0]], [[101.0, 1.0], [100.5, 1.0]]),  # asks descending
        ([[99.0, 1.0], [99.0, 2.0]], [[100.0, 1.0]]),  # a repeated price
        ([[99.0, -1.0]], [[100.0, 1.0]]),  # negative size
        ([[-99.0, 1.0]], [[100.0, 1.0]]),  # negative price
        ([[0.0, 1.0]], [[100.0, 1.0]]),  # zero price
        ([[float("nan"), 1.0]], [[100.0, 1.0]]),
        ([[99.0, float("nan")]], [[100.0, 1.0]]),
        ([[99.0, 1.0]], [[float("inf"), 1.0]]),
        ([[99.0, 1.0]], [[100.0, float("inf")]]),
    ],
)
def test_order_book_rejects_bad_books(bids: list[list[float]], asks: list[list[float]]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (the reference's message varies)
        ref_book.OrderBook(np.array(bids), np.array(asks))
    with pytest.raises(errors.InvalidOrderBookError):
        amm.OrderBook(np.array(bids), np.array(asks))
