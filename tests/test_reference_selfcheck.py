"""The pure-Python references checked against facts nobody here wrote: the values Uniswap's
contracts and tests publish, exact math (Decimal, Fraction, integer bisection) and brute force.
These need no kernel."""

from __future__ import annotations

import math
import random
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, given, reject
from hypothesis import strategies as st

from tests.reference import UINT256_MAX, Revert
from tests.reference import orderbook as ob
from tests.reference import stableswap as ss
from tests.reference import uniswap_v2 as v2
from tests.reference import uniswap_v3 as v3

E18 = 10**18

# ---------------------------------------------------------------- Uniswap V2


@pytest.mark.parametrize(
    ("swap", "reserve0", "reserve1", "expected"),
    [
        # UniswapV2Pair.spec.ts "getInputPrice" cases (amounts in whole 18-decimal tokens)
        (1, 5, 10, 1662497915624478906),
        (1, 10, 5, 453305446940074565),
        (2, 5, 10, 2851015155847869602),
        (2, 10, 5, 831248957812239453),
        (1, 10, 10, 906610893880149131),
        (1, 100, 100, 987158034397061298),
        (1, 1000, 1000, 996006981039903216),
    ],
)
def test_v2_amount_out_matches_uniswap_pair_tests(
    swap: int, reserve0: int, reserve1: int, expected: int
) -> None:
    assert v2.get_amount_out(swap * E18, reserve0 * E18, reserve1 * E18) == expected


def test_v2_router_examples() -> None:
    # UniswapV2Router02.spec.ts: getAmountOut(2, 100, 100) == 1 and getAmountIn(1, 100, 100) == 2
    assert v2.get_amount_out(2, 100, 100) == 1
    assert v2.get_amount_in(1, 100, 100) == 2


def test_v2_fee_free_is_constant_product() -> None:
    # x * y = k with no fee: 100 in to (1000, 1000) gives floor(100 * 1000 / 1100)
    assert v2.get_amount_out(100, 1000, 1000, fee_bps=0) == 90


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((0, 100, 100), "INSUFFICIENT_INPUT_AMOUNT"),
        ((1, 0, 100), "INSUFFICIENT_LIQUIDITY"),
        ((1, 100, 0), "INSUFFICIENT_LIQUIDITY"),
    ],
)
def test_v2_amount_out_reverts(args: tuple[int, int, int], reason: str) -> None:
    with pytest.raises(Revert, match=reason):
        v2.get_amount_out(*args)


def test_v2_amount_in_reverts() -> None:
    with pytest.raises(Revert, match="INSUFFICIENT_OUTPUT_AMOUNT"):
        v2.get_amount_in(0, 100, 100)
    with pytest.raises(Revert, match="INSUFFICIENT_LIQUIDITY"):
        v2.get_amount_in(1, 0, 100)
    with pytest.raises(Revert):
        v2.get_amount_in(100, 100, 100)  # amount_out == reserve_out
    with pytest.raises(Revert):
        v2.get_amount_in(101, 100, 100)


def test_v2_overflow_bounds() -> None:
    # 30 bps is the library's 997/1000: amount_in * 997 is the first product
    top = (UINT256_MAX - 1000) // 997  # leaves room for reserve_in * 1000 = 1000
    assert v2.get_amount_out(top, 1, 1) == 0
    with pytest.raises(Revert, match="add-overflow"):
        v2.get_amount_out(UINT256_MAX // 997, 1, 1)
    with pytest.raises(Revert, match="mul-overflow"):
        v2.get_amount_out(UINT256_MAX // 997 + 1, 1, 1)
    # any other fee is the fork's (10000 - fee) / 10000: here 9975
    assert v2.get_amount_out((UINT256_MAX - 10_000) // 9975, 1, 1, fee_bps=25) == 0
    with pytest.raises(Revert, match="mul-overflow"):
        v2.get_amount_out(UINT256_MAX // 9975 + 1, 1, 1, fee_bps=25)
    # reserve_in * scale + amount_in_with_fee must fit
    with pytest.raises(Revert, match="overflow"):
        v2.get_amount_out(1, UINT256_MAX // 1000 + 1, 1)
    # the numerator (amount_in_with_fee * reserve_out) must fit
    with pytest.raises(Revert, match="mul-overflow"):
        v2.get_amount_out(2**200, 1, 2**60)
    with pytest.raises(ValueError, match="uint256"):
        v2.get_amount_out(2**256, 1, 1)
    with pytest.raises(ValueError, match="fee_bps"):
        v2.get_amount_out(1, 1, 1, fee_bps=10_000)


def test_v2_fee_forms_agree() -> None:
    """997/1000 and 9970/10000 are the same quote; only the overflow bounds differ."""
    rng = random.Random(5)
    for _ in range(200):
        a, r_in, r_out = (rng.randint(1, 2**112) for _ in range(3))
        want = a * 9970 * r_out // (r_in * 10_000 + a * 9970)
        assert v2.get_amount_out(a, r_in, r_out, 30) == want


@given(
    st.integers(1, 2**112),
    st.integers(1, 2**112),
    st.integers(1, 2**112),
    st.integers(0, 9999),
)
def test_v2_amount_out_is_the_largest_that_keeps_k(a: int, r_in: int, r_out: int, fee: int) -> None:
    """Brute force: the pair's K check with the fee, for the output and for one more."""
    out = v2.get_amount_out(a, r_in, r_out, fee)

    def keeps_k(o: int) -> bool:
        if o >= r_out:
            return False
        # balances after the swap, with the fee taken from the input, against the old k
        return (r_in * 10_000 + a * (10_000 - fee)) * (r_out - o) >= r_in * r_out * 10_000

    assert keeps_k(out)
    assert not keeps_k(out + 1)


@given(st.integers(1, 2**100), st.integers(2, 2**100), st.integers(0, 9999), st.data())
def test_v2_amount_in_buys_the_output(r_in: int, r_out: int, fee: int, data: st.DataObject) -> None:
    want = data.draw(st.integers(1, r_out - 1))
    a = v2.get_amount_in(want, r_in, r_out, fee)
    # buying nearly the whole reserve can need an input whose quote overflows uint256
    assume(a * 10_000 * r_out < 2**256)
    assert v2.get_amount_out(a, r_in, r_out, fee) >= want
    # the "+ 1" makes it at most one more than the least input that buys `want`
    if a > 2:
        assert v2.get_amount_out(a - 2, r_in, r_out, fee) < want


# ---------------------------------------------------------------- Uniswap V3: TickMath


def test_tick_math_published_constants() -> None:
    assert v3.get_sqrt_ratio_at_tick(0) == 2**96
    assert v3.get_sqrt_ratio_at_tick(v3.MIN_TICK) == 4295128739 == v3.MIN_SQRT_RATIO
    assert (
        v3.get_sqrt_ratio_at_tick(v3.MAX_TICK)
        == 1461446703485210103287273052203988822378723970342
        == v3.MAX_SQRT_RATIO
    )
    assert v3.get_tick_at_sqrt_ratio(v3.MIN_SQRT_RATIO) == v3.MIN_TICK
    assert v3.get_tick_at_sqrt_ratio(v3.MAX_SQRT_RATIO - 1) == v3.MAX_TICK - 1
    assert v3.get_tick_at_sqrt_ratio(2**96) == 0


def test_tick_math_reverts() -> None:
    with pytest.raises(Revert, match="T"):
        v3.get_sqrt_ratio_at_tick(v3.MAX_TICK + 1)
    with pytest.raises(Revert, match="T"):
        v3.get_sqrt_ratio_at_tick(v3.MIN_TICK - 1)
    with pytest.raises(Revert, match="R"):
        v3.get_tick_at_sqrt_ratio(v3.MIN_SQRT_RATIO - 1)
    with pytest.raises(Revert, match="R"):
        v3.get_tick_at_sqrt_ratio(v3.MAX_SQRT_RATIO)


def test_tick_math_magic_factors_are_powers_of_sqrt_1_0001() -> None:
    """Each of TickMath's factors is 2**128 / sqrt(1.0001) ** bit, to the nearest integer."""
    factors = [(1, v3._TICK_FACTOR_BIT0), *v3._TICK_FACTORS]
    assert [bit for bit, _ in factors] == [1 << k for k in range(20)]
    with localcontext() as ctx:
        ctx.prec = 120
        root = Decimal("1.0001").sqrt()
        for bit, factor in factors:
            exact = Decimal(2**128) / root**bit
            assert abs(Decimal(factor) - exact) <= Decimal("0.5"), hex(bit)


def _exact_sqrt_ratio(tick: int) -> Decimal:
    return Decimal("1.0001") ** tick * Decimal(2**192)


@pytest.mark.parametrize(
    "tick",
    [*(1 << k for k in range(20)), *(-(1 << k) for k in range(20)), 887271, -887271, 12345, -54321],
)
def test_sqrt_ratio_close_to_exact(tick: int) -> None:
    with localcontext() as ctx:
        ctx.prec = 120
        exact = _exact_sqrt_ratio(tick).sqrt()
        got = Decimal(v3.get_sqrt_ratio_at_tick(tick))
        # up to 20 truncated Q128.128 products of a ratio that shrinks to 2**128 / sqrt(1.0001)
        # ** |tick| (inverted for tick > 0), then rounded up to Q96
        relative = 32 * Decimal("1.0001").sqrt() ** abs(tick) / 2**128
        assert abs(got - exact) <= exact * relative + 1


@given(st.integers(v3.MIN_SQRT_RATIO, v3.MAX_SQRT_RATIO - 1))
def test_tick_at_sqrt_ratio_is_the_greatest_tick_at_or_below(sqrt_price: int) -> None:
    """Brute force by bisection over getSqrtRatioAtTick, which is increasing."""
    lo, hi = v3.MIN_TICK, v3.MAX_TICK
    while lo < hi:  # the greatest tick with ratio(tick) <= sqrt_price
        mid = (lo + hi + 1) // 2
        if v3.get_sqrt_ratio_at_tick(mid) <= sqrt_price:
            lo = mid
        else:
            hi = mid - 1
    assert v3.get_tick_at_sqrt_ratio(sqrt_price) == lo


@given(st.integers(v3.MIN_TICK, v3.MAX_TICK - 1))
def test_tick_round_trip(tick: int) -> None:
    s = v3.get_sqrt_ratio_at_tick(tick)
    assert v3.get_tick_at_sqrt_ratio(s) == tick
    assert v3.get_sqrt_ratio_at_tick(tick + 1) > s
    if tick > v3.MIN_TICK:
        assert v3.get_tick_at_sqrt_ratio(s - 1) == tick - 1


# ---------------------------------------------------------------- Uniswap V3: math and swaps


def test_full_math() -> None:
    assert v3.mul_div(2**255, 2, 2**128) == 2**128
    assert v3.mul_div(UINT256_MAX, UINT256_MAX, UINT256_MAX) == UINT256_MAX
    assert v3.mul_div_rounding_up(1, 1, 3) == 1
    assert v3.mul_div_rounding_up(3, 1, 3) == 1
    with pytest.raises(Revert):
        v3.mul_div(2**255, 2, 1)
    with pytest.raises(Revert):
        v3.mul_div(1, 1, 0)
    with pytest.raises(Revert):
        v3.mul_div_rounding_up(UINT256_MAX, UINT256_MAX, UINT256_MAX - 1)


def test_sqrt_price_math_published_cases() -> None:
    # SqrtPriceMath.spec.ts
    one = 10**18
    price_1_1 = 2**96  # encodePriceSqrt(1, 1)
    assert v3.get_amount0_delta(price_1_1, 2**96 * 11 // 10, 0, True) == 0
    assert v3.get_next_sqrt_price_from_input(price_1_1, one, 0, True) == price_1_1
    # "input amount of 0.1 token1": 79228162514264337593543950336 + 0.1e18 * 2**96 / 1e18
    assert (
        v3.get_next_sqrt_price_from_input(price_1_1, one, one // 10, False)
        == 87150978765690771352898345369
    )
    # "input amount of 0.1 token0"
    assert (
        v3.get_next_sqrt_price_from_input(price_1_1, one, one // 10, True)
        == 72025602285694852357767227579
    )


def _exact_sqrt(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 100
        return (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()


@given(
    st.integers(1, 2**100),
    st.integers(v3.MIN_SQRT_RATIO, v3.MAX_SQRT_RATIO - 1),
    st.integers(v3.MIN_SQRT_RATIO, v3.MAX_SQRT_RATIO - 1),
)
def test_amount_deltas_bracket_the_exact_value(liquidity: int, a: int, b: int) -> None:
    """Rounded down <= exact <= rounded up, each within one unit (plus mulDiv's truncation)."""
    lo, hi = min(a, b), max(a, b)
    exact0 = Fraction(liquidity * 2**96 * (hi - lo), hi * lo)
    exact1 = Fraction(liquidity * (hi - lo), 2**96)
    down0, up0 = (
        v3.get_amount0_delta(a, b, liquidity, False),
        v3.get_amount0_delta(a, b, liquidity, True),
    )
    down1, up1 = (
        v3.get_amount1_delta(a, b, liquidity, False),
        v3.get_amount1_delta(a, b, liquidity, True),
    )
    assert down0 <= exact0 <= up0
    assert up0 - down0 <= 2
    assert down1 <= exact1 <= up1
    assert up1 - down1 <= 1


def test_swap_within_one_tick_range_is_constant_product() -> None:
    """No initialized tick near: the swap is x*y=L**2 on virtual reserves, fee taken first."""
    liquidity = 10**24
    pool = v3.V3Pool(2**96, 0, liquidity, 3000, 60, {-887220: liquidity, 887220: -liquidity})
    amount_in = 10**18
    r = pool.swap(True, amount_in)
    # virtual reserves at price 1: x = y = L. Exact out with the fee taken from the input.
    net_in = Fraction(amount_in * (10**6 - 3000), 10**6)
    exact_out = liquidity - Fraction(liquidity * liquidity) / (liquidity + net_in)
    assert r.amount0 == amount_in
    assert -r.amount1 in (math.floor(exact_out), math.floor(exact_out) - 1)
    assert r.ticks_crossed == 0
    assert r.liquidity == liquidity
    assert r.tick == v3.get_tick_at_sqrt_ratio(r.sqrt_price_x96)


def test_swap_crosses_a_tick_and_changes_liquidity() -> None:
    big, small = 10**22, 10**20
    # one wide position and one narrow one around the price
    ticks = {-887220: big, 887220: -big, -60: small, 60: -small}
    pool = v3.V3Pool(2**96, 0, big + small, 500, 60, ticks)
    r = pool.swap(True, 10**20)
    assert r.ticks_crossed == 1
    assert r.liquidity == big
    assert r.tick < -60
    # exact output of the same amount the exact input produced gives back (about) the input
    out = -r.amount1
    back = pool.swap(True, -out)
    assert back.amount1 == -out
    assert abs(back.amount0 - r.amount0) <= 3


def test_swap_reverts() -> None:
    pool = v3.V3Pool(2**96, 0, 10**18, 3000, 60, {})
    with pytest.raises(Revert, match="AS"):
        pool.swap(True, 0)
    with pytest.raises(Revert, match="SPL"):
        pool.swap(True, 1, 2**96)  # the limit must be below the price for zero_for_one
    with pytest.raises(Revert, match="SPL"):
        pool.swap(False, 1, v3.MAX_SQRT_RATIO)
    with pytest.raises(Revert, match="SPL"):
        pool.swap(True, 1, v3.MIN_SQRT_RATIO)
    # crossing a tick whose liquidityNet would take the liquidity below zero
    bad = v3.V3Pool(2**96, 0, 10, 3000, 60, {-60: 100})
    with pytest.raises(Revert, match="LS"):
        bad.swap(True, 10**30)


def test_swap_stops_at_the_price_limit() -> None:
    pool = v3.V3Pool(2**96, 0, 10**18, 3000, 1, {})
    limit = v3.get_sqrt_ratio_at_tick(-100)
    r = pool.swap(True, 10**30, limit)
    assert r.sqrt_price_x96 == limit
    assert r.amount0 < 10**30
    # with no liquidity at all the price runs to the default limit and nothing is paid
    empty = v3.V3Pool(2**96, 0, 0, 3000, 60, {})
    r = empty.swap(False, 10**18)
    assert (r.amount0, r.amount1, r.sqrt_price_x96) == (0, 0, v3.MAX_SQRT_RATIO - 1)


def test_tick_bitmap_word_boundaries() -> None:
    # compressed positions: 3 -> word 0; -1 -> word -1 (rounded toward -inf)
    init = [-300, -1, 3, 300]
    assert v3.next_initialized_tick_within_one_word(init, 5, 1, True) == (3, True)
    assert v3.next_initialized_tick_within_one_word(init, 2, 1, True) == (0, False)
    assert v3.next_initialized_tick_within_one_word(init, -1, 1, True) == (-1, True)
    assert v3.next_initialized_tick_within_one_word(init, -2, 1, True) == (-256, False)
    assert v3.next_initialized_tick_within_one_word(init, 3, 1, False) == (255, False)
    assert v3.next_initialized_tick_within_one_word(init, -2, 1, False) == (-1, True)
    assert v3.next_initialized_tick_within_one_word(init, -1, 1, False) == (3, True)
    assert v3.next_initialized_tick_within_one_word(init, 255, 1, False) == (300, True)
    # with a spacing: tick -1 compresses to -1 (not 0) and the word spans 256 * spacing ticks
    assert v3.next_initialized_tick_within_one_word([], -1, 10, True) == (-2560, False)
    assert v3.next_initialized_tick_within_one_word([], -1, 10, False) == (2550, False)


def _bitmap_brute_force(
    initialized: set[int], tick: int, spacing: int, lte: bool
) -> tuple[int, bool]:
    """The contract's algorithm on a real 256-bit word: masks and most/least significant bits."""
    compressed = tick // spacing
    if lte:
        word, bit = compressed >> 8, compressed % 256
        bits = sum(1 << (c - word * 256) for c in initialized if c >> 8 == word)
        masked = bits & ((1 << bit) - 1 + (1 << bit))
        if masked:
            return (compressed - (bit - (masked.bit_length() - 1))) * spacing, True
        return (compressed - bit) * spacing, False
    word, bit = (compressed + 1) >> 8, (compressed + 1) % 256
    bits = sum(1 << (c - word * 256) for c in initialized if c >> 8 == word)
    masked = bits & ~((1 << bit) - 1)
    if masked:
        lsb = (masked & -masked).bit_length() - 1
        return (compressed + 1 + (lsb - bit)) * spacing, True
    return (compressed + 1 + (255 - bit)) * spacing, False


@given(
    st.sets(st.integers(-1000, 1000), max_size=30),
    st.integers(-1300, 1300),
    st.integers(0, 199),
    st.sampled_from([1, 10, 60, 200]),
    st.booleans(),
)
def test_tick_bitmap_emulation_matches_bitmap(
    init: set[int], compressed: int, offset: int, spacing: int, lte: bool
) -> None:
    tick = compressed * spacing + offset % spacing
    expected = _bitmap_brute_force(init, tick, spacing, lte)
    assert v3.next_initialized_tick_within_one_word(sorted(init), tick, spacing, lte) == expected


# ---------------------------------------------------------------- StableSwap


def _d_by_bisection(xp: list[int], amp: int) -> int:
    """The greatest integer D with f(D) >= 0, f(D) = Ann (S - D) + D - D**(n+1) / (n**n P)."""
    n, s, p = len(xp), sum(xp), math.prod(xp)
    ann = Fraction(amp * n, ss.A_PRECISION)

    def f(d: int) -> Fraction:
        return ann * (s - d) + d - Fraction(d ** (n + 1), n**n * p)

    lo, hi = 0, s  # f(0) > 0 and f(S) <= 0 (the AM-GM inequality)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if f(mid) >= 0:
            lo = mid
        else:
            hi = mid - 1
    return lo


# Pools whose balances lie within a factor of 1e6 of each other, 1e12 to 1e30 (18 decimals).
# Far more lopsided pools make the template's own floor divisions drift (and D_P overflow).
sane_pools = st.tuples(st.integers(10**12, 10**24), st.integers(2, 8)).flatmap(
    lambda bn: st.lists(
        st.integers(1, 10**6).map(lambda m: m * bn[0]), min_size=bn[1], max_size=bn[1]
    )
)
amps = st.sampled_from([1, 2, 3, 10, 100, 2000, 10**6]).map(lambda a: a * ss.A_PRECISION)


@given(sane_pools, amps)
def test_get_D_is_the_invariant_root(xp: list[int], amp: int) -> None:
    try:
        d = ss.get_D(xp, amp)
    except Revert:  # e.g. A = 1 can cycle (see below)
        reject()
    exact = _d_by_bisection(xp, amp)
    # The template's floor divisions leave D some units off the root: tens of units in small
    # lopsided pools of many coins, ~1e-28 relative in big ones. A slip in the formula would be
    # off by far more than 1e-12.
    assert abs(d - exact) <= 64 + exact // 10**12


def test_get_D_of_a_balanced_pool_is_the_sum() -> None:
    for n in range(2, 9):
        assert ss.get_D([10**24] * n, 100 * ss.A_PRECISION) == n * 10**24
    assert ss.get_D([0, 0], 100) == 0


@pytest.mark.parametrize("fee", [0, 4_000_000, 10**8])
def test_equal_balances_huge_A_is_nearly_one_to_one(fee: int) -> None:
    dx = 10**21
    dy = ss.get_dy(0, 1, dx, [10**27, 10**27], 10**6 * ss.A_PRECISION, fee)
    expected = dx * (10**10 - fee) // 10**10
    assert expected * (1 - 1e-6) <= dy <= expected


def test_rates_scale_the_coins() -> None:
    # coin 1 has 6 decimals: rate 1e30 brings it to 18 (as USDC in 3pool)
    balances = [10**24, 10**12]
    dy = ss.get_dy(0, 1, 10**18, balances, 2000 * ss.A_PRECISION, 0, [10**18, 10**30])
    assert 999_000 <= dy <= 1_000_000


def _y_by_bisection(i: int, j: int, x: int, xp: list[int], amp: int, d: int) -> int:
    """The least integer y with g(y) >= 0, g increasing: the invariant at D solved for coin j."""
    n = len(xp)
    others = [x if k == i else xp[k] for k in range(n) if k != j]
    s, p = sum(others), math.prod(others)
    ann = Fraction(amp * n, ss.A_PRECISION)

    def g(y: int) -> Fraction:
        return ann * (s + y - d) + d - Fraction(d ** (n + 1), n**n * p * y)

    lo, hi = 1, d
    while g(hi) < 0:  # in a lopsided pool a balance can exceed D
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if g(mid) >= 0:
            hi = mid
        else:
            lo = mid + 1
    return lo


@given(sane_pools, amps, st.data())
def test_get_y_solves_the_invariant(xp: list[int], amp: int, data: st.DataObject) -> None:
    i, j = data.draw(st.permutations(range(len(xp))))[:2]
    x = xp[i] + data.draw(st.integers(1, 10 * xp[i]))
    try:
        y = ss.get_y(i, j, x, xp, amp)
    except Revert:
        reject()
    exact = _y_by_bisection(i, j, x, xp, amp, ss.get_D(xp, amp))
    # as for D
    assert abs(y - exact) <= 64 + exact // 10**12


def test_stableswap_bad_input() -> None:
    with pytest.raises(ValueError, match="same coin"):
        ss.get_dy(0, 0, 1, [10**18, 10**18], 100, 0)
    with pytest.raises(ValueError, match="out of range"):
        ss.get_dy(0, 2, 1, [10**18, 10**18], 100, 0)
    with pytest.raises(ValueError, match="coins"):
        ss.get_dy(0, 1, 1, [10**18], 100, 0)
    with pytest.raises(ValueError, match="coins"):
        ss.get_dy(0, 1, 1, [10**18] * 9, 100, 0)
    with pytest.raises(ValueError, match="negative"):
        ss.get_dy(0, 1, -1, [10**18, 10**18], 100, 0)
    with pytest.raises(ValueError, match="rates must be positive"):
        ss.get_dy(0, 1, 1, [10**18, 10**18], 100, 0, [10**18, 0])
    # an empty coin divides by zero in get_D: the pool is broken and the contract reverts
    with pytest.raises(Revert):
        ss.get_dy(0, 1, 1, [10**18, 0], 100, 0)


def test_get_D_can_fail_to_converge() -> None:
    """With A = 1 this 3-coin pool's integer Newton iteration ends in a 2-cycle
    (..219, ..221, ..219, ...) and never meets the template's |D - D_prev| <= 1: it reverts."""
    xp = [120_825_691_700_748_875_742, 10**18, 1_263_505_012_695_777_278]
    with pytest.raises(Revert, match="converge"):
        ss.get_D(xp, 1 * ss.A_PRECISION)
    with pytest.raises(Revert, match="converge"):
        ss.get_dy(0, 1, 1, xp, 1 * ss.A_PRECISION, 0)


def test_get_D_overflow_reverts() -> None:
    # D_P = D**(n+1) / (n**n prod x) overflows uint256 when one balance is tiny
    with pytest.raises(Revert, match="uint256"):
        ss.get_D([1, 10**30], 100)


# ---------------------------------------------------------------- order book


BOOK = ob.OrderBook(
    ob.as_levels([(99.0, 1.0), (98.0, 2.0), (97.0, 5.0)]),
    ob.as_levels([(101.0, 1.0), (102.0, 2.0), (104.0, 5.0)]),
)


def test_order_book_fill_by_hand() -> None:
    f = BOOK.fill("buy", 2.0)
    assert (f.filled, f.cost, f.levels, f.worst_price) == (2.0, 203.0, 2, 102.0)
    assert f.average_price == 101.5
    assert f.slippage_bps == pytest.approx(150.0)  # against the mid, 100
    f = BOOK.fill("sell", 4.0)
    assert (f.filled, f.cost, f.levels, f.worst_price) == (4.0, 99 + 196 + 97, 3, 97.0)
    # too large: a partial fill of everything there is
    f = BOOK.fill("buy", 100.0)
    assert (f.filled, f.cost, f.levels) == (8.0, 101 + 204 + 520, 3)
    f = BOOK.fill("buy", 0.0)
    assert (f.filled, f.cost, f.levels, f.slippage_bps) == (0.0, 0.0, 0, 0.0)
    assert math.isnan(f.average_price)
    # one side empty: slippage against the taken side's best price
    one_sided = ob.OrderBook(ob.as_levels([]), ob.as_levels([(100.0, 1.0), (110.0, 1.0)]))
    assert one_sided.fill("buy", 2.0).slippage_bps == pytest.approx(500.0)
    assert one_sided.fill("sell", 1.0).filled == 0.0


def test_order_book_depth_and_fill_many() -> None:
    # mid 100: 1.5% either side reaches 101 and 99, 3.5% reaches 102 and 97 but not 104
    assert BOOK.depth("buy", 150) == 1.0
    assert BOOK.depth("sell", 150) == 1.0
    assert BOOK.depth("buy", 350) == 3.0
    assert BOOK.depth("sell", 350) == 8.0
    many = BOOK.fill_many("buy", [0.5, 2.0, 100.0])
    assert many.filled.tolist() == [0.5, 2.0, 8.0]
    assert many.levels.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("bids", "asks"),
    [
        ([(101.0, 1.0)], [(100.0, 1.0)]),  # crossed
        ([(98.0, 1.0), (99.0, 1.0)], [(100.0, 1.0)]),  # bids unsorted
        ([(99.0, 1.0), (99.0, 1.0)], [(100.0, 1.0)]),  # a repeated price
        ([(99.0, 1.0)], [(101.0, 1.0), (100.5, 1.0)]),  # asks unsorted
        ([(99.0, -1.0)], [(100.0, 1.0)]),  # negative size
        ([(-99.0, 1.0)], [(100.0, 1.0)]),  # negative price
        ([(float("nan"), 1.0)], [(100.0, 1.0)]),
        ([(99.0, 1.0)], [(100.0, float("inf"))]),
    ],
)
def test_order_book_rejects_bad_books(
    bids: list[tuple[float, float]], asks: list[tuple[float, float]]
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (each case has its own message)
        ob.OrderBook(ob.as_levels(bids), ob.as_levels(asks))
