"""A Uniswap V3 pool's swap in plain Python ints, following v3-core 1.0 function by function.

FullMath, TickMath, SqrtPriceMath, SwapMath, LiquidityMath, TickBitmap (emulated over a sorted
list of initialized ticks, with the same word boundaries) and ``UniswapV3Pool.swap``. Fee growth,
oracle observations and the protocol fee are left out: they never change the swap's amounts,
price, tick or liquidity. A revert is a :class:`tests.reference.Revert` with the contract's
reason string ("AS", "SPL", "LS", ...).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from tests.reference import UINT256_MAX, Revert

Q96 = 2**96
UINT128_MAX = 2**128 - 1
UINT160_MAX = 2**160 - 1
INT128_MIN, INT128_MAX = -(2**127), 2**127 - 1
INT256_MIN, INT256_MAX = -(2**255), 2**255 - 1

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342


# ---------------------------------------------------------------- FullMath / UnsafeMath


def mul_div(a: int, b: int, denominator: int) -> int:
    """floor(a * b / denominator) with a full-precision product; reverts if it exceeds 2**256."""
    if denominator == 0:
        raise Revert("mulDiv: division by zero")
    result = a * b // denominator
    if result > UINT256_MAX:
        raise Revert("mulDiv: overflow")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    result = mul_div(a, b, denominator)
    if a * b % denominator > 0:
        if result >= UINT256_MAX:
            raise Revert("mulDivRoundingUp: overflow")
        result += 1
    return result


def div_rounding_up(x: int, y: int) -> int:
    """UnsafeMath.divRoundingUp (y is never 0 where the contracts call it)."""
    if y == 0:
        raise Revert("divRoundingUp: division by zero")
    return x // y + (1 if x % y > 0 else 0)


# ---------------------------------------------------------------- TickMath

# For bit k of |tick|: 2**128 / sqrt(1.0001) ** (2**k), as Q128.128, from TickMath.sol.
_TICK_FACTORS = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)
_TICK_FACTOR_BIT0 = 0xFFFCB933BD6FAD37AA2D162D1A594001


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """sqrt(1.0001 ** tick) * 2**96, rounded up, as TickMath.getSqrtRatioAtTick."""
    abs_tick = -tick if tick < 0 else tick
    if abs_tick > MAX_TICK:
        raise Revert("T")
    ratio = _TICK_FACTOR_BIT0 if abs_tick & 0x1 else 2**128
    for bit, factor in _TICK_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = UINT256_MAX // ratio
    # Q128.128 -> Q64.96, rounding up
    return (ratio >> 32) + (0 if ratio % (1 << 32) == 0 else 1)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick whose sqrt ratio is <= sqrt_price_x96, as TickMath.getTickAtSqrtRatio."""
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise Revert("R")
    ratio = sqrt_price_x96 << 32
    msb = ratio.bit_length() - 1
    r = ratio >> (msb - 127) if msb >= 128 else ratio << (127 - msb)
    log_2 = (msb - 128) << 64
    # 14 bits of the fractional part of log2, by repeated squaring
    for shift in range(63, 49, -1):
        r = (r * r) >> 127
        f = r >> 128
        log_2 |= f << shift
        r >>= f
    log_sqrt10001 = log_2 * 255738958999603826347141  # log base sqrt(1.0001), Q128.128
    tick_low = (log_sqrt10001 - 3402992956809132418596140100660247210) >> 128
    tick_hi = (log_sqrt10001 + 291339464771989622907027621153398088495) >> 128
    if tick_low == tick_hi:
        return tick_low
    return tick_hi if get_sqrt_ratio_at_tick(tick_hi) <= sqrt_price_x96 else tick_low


# ---------------------------------------------------------------- SqrtPriceMath


def _to_uint160(value: int) -> int:
    if value > UINT160_MAX:
        raise Revert("SafeCast: uint160 overflow")
    return value


def get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    if amount == 0:
        return sqrt_px96
    numerator1 = liquidity << 96
    product = amount * sqrt_px96
    if add:
        # the contract checks that neither the product nor the sum overflows a uint256
        if product <= UINT256_MAX and numerator1 + product <= UINT256_MAX:
            return mul_div_rounding_up(numerator1, sqrt_px96, numerator1 + product)
        quotient = numerator1 // sqrt_px96 + amount  # SafeMath add
        if quotient > UINT256_MAX:
            raise Revert("SafeMath: addition overflow")
        return div_rounding_up(numerator1, quotient)
    # the price must stay positive: the product must fit and stay below the numerator
    if product > UINT256_MAX or numerator1 <= product:
        raise Revert("getNextSqrtPriceFromAmount0RoundingUp: price underflow")
    return _to_uint160(mul_div_rounding_up(numerator1, sqrt_px96, numerator1 - product))


def get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    if add:
        if amount <= UINT160_MAX:
            quotient = (amount << 96) // liquidity
        else:
            quotient = mul_div(amount, Q96, liquidity)
        total = sqrt_px96 + quotient
        if total > UINT256_MAX:
            raise Revert("SafeMath: addition overflow")
        return _to_uint160(total)
    if amount <= UINT160_MAX:
        quotient = div_rounding_up(amount << 96, liquidity)
    else:
        quotient = mul_div_rounding_up(amount, Q96, liquidity)
    if sqrt_px96 <= quotient:
        raise Revert("getNextSqrtPriceFromAmount1RoundingDown: price underflow")
    return sqrt_px96 - quotient


def get_next_sqrt_price_from_input(
    sqrt_px96: int, liquidity: int, amount_in: int, zero_for_one: bool
) -> int:
    if sqrt_px96 <= 0 or liquidity <= 0:
        raise Revert("getNextSqrtPriceFromInput: zero price or liquidity")
    if zero_for_one:
        return get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_in, True)
    return get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount_in, True)


def get_next_sqrt_price_from_output(
    sqrt_px96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    if sqrt_px96 <= 0 or liquidity <= 0:
        raise Revert("getNextSqrtPriceFromOutput: zero price or liquidity")
    if zero_for_one:
        return get_next_sqrt_price_from_amount1_rounding_down(
            sqrt_px96, liquidity, amount_out, False
        )
    return get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_out, False)


def get_amount0_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """liquidity * (sqrt_b - sqrt_a) / (sqrt_a * sqrt_b), the token0 between two prices."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    numerator1 = liquidity << 96
    numerator2 = sqrt_b - sqrt_a
    if sqrt_a <= 0:
        raise Revert("getAmount0Delta: zero price")
    if round_up:
        return div_rounding_up(mul_div_rounding_up(numerator1, numerator2, sqrt_b), sqrt_a)
    return mul_div(numerator1, numerator2, sqrt_b) // sqrt_a


def get_amount1_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """liquidity * (sqrt_b - sqrt_a), the token1 between two prices."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    if round_up:
        return mul_div_rounding_up(liquidity, sqrt_b - sqrt_a, Q96)
    return mul_div(liquidity, sqrt_b - sqrt_a, Q96)


# ---------------------------------------------------------------- SwapMath


def compute_swap_step(
    sqrt_current: int, sqrt_target: int, liquidity: int, amount_remaining: int, fee_pips: int
) -> tuple[int, int, int, int]:
    """One step toward sqrt_target: (sqrt_next, amount_in, amount_out, fee_amount)."""
    zero_for_one = sqrt_current >= sqrt_target
    exact_in = amount_remaining >= 0
    amount_in = amount_out = 0

    if exact_in:
        remaining_less_fee = mul_div(amount_remaining, 1_000_000 - fee_pips, 1_000_000)
        if zero_for_one:
            amount_in = get_amount0_delta(sqrt_target, sqrt_current, liquidity, True)
        else:
            amount_in = get_amount1_delta(sqrt_current, sqrt_target, liquidity, True)
        if remaining_less_fee >= amount_in:
            sqrt_next = sqrt_target
        else:
            sqrt_next = get_next_sqrt_price_from_input(
                sqrt_current, liquidity, remaining_less_fee, zero_for_one
            )
    else:
        if zero_for_one:
            amount_out = get_amount1_delta(sqrt_target, sqrt_current, liquidity, False)
        else:
            amount_out = get_amount0_delta(sqrt_current, sqrt_target, liquidity, False)
        if -amount_remaining >= amount_out:
            sqrt_next = sqrt_target
        else:
            sqrt_next = get_next_sqrt_price_from_output(
                sqrt_current, liquidity, -amount_remaining, zero_for_one
            )

    reached_target = sqrt_target == sqrt_next

    if zero_for_one:
        if not (reached_target and exact_in):
            amount_in = get_amount0_delta(sqrt_next, sqrt_current, liquidity, True)
        if not (reached_target and not exact_in):
            amount_out = get_amount1_delta(sqrt_next, sqrt_current, liquidity, False)
    else:
        if not (reached_target and exact_in):
            amount_in = get_amount1_delta(sqrt_current, sqrt_next, liquidity, True)
        if not (reached_target and not exact_in):
            amount_out = get_amount0_delta(sqrt_current, sqrt_next, liquidity, False)

    # never pay out more than was asked for
    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining

    if exact_in and sqrt_next != sqrt_target:
        # the target was not reached: whatever input is left over is the fee
        fee_amount = amount_remaining - amount_in
    else:
        fee_amount = mul_div_rounding_up(amount_in, fee_pips, 1_000_000 - fee_pips)
    return sqrt_next, amount_in, amount_out, fee_amount


# ---------------------------------------------------------------- LiquidityMath, TickBitmap


def add_delta(x: int, y: int) -> int:
    """LiquidityMath.addDelta: reverts "LS" below zero and "LA" above uint128."""
    z = x + y  # y = int128.min subtracts 2**127, as uint128(-y) does in 0.7
    if y < 0 and z < 0:
        raise Revert("LS")
    if y >= 0 and z > UINT128_MAX:
        raise Revert("LA")
    return z


def next_initialized_tick_within_one_word(
    initialized: list[int], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """The next initialized tick in the same 256-tick bitmap word (or the word's edge).

    ``initialized`` is the sorted list of initialized ticks divided by tick_spacing (the
    bitmap's bit positions)."""
    compressed = tick // tick_spacing  # rounds toward negative infinity, as the contract does
    if lte:
        word_start = (compressed >> 8) << 8
        # the greatest initialized position <= compressed, if it lies in this word
        k = bisect.bisect_right(initialized, compressed)
        if k > 0 and initialized[k - 1] >= word_start:
            return initialized[k - 1] * tick_spacing, True
        return word_start * tick_spacing, False
    start = compressed + 1
    word_end = ((start >> 8) << 8) + 255
    # the least initialized position >= compressed + 1, if it lies in that word
    k = bisect.bisect_left(initialized, start)
    if k < len(initialized) and initialized[k] <= word_end:
        return initialized[k] * tick_spacing, True
    return word_end * tick_spacing, False


# ---------------------------------------------------------------- UniswapV3Pool.swap


@dataclass(frozen=True)
class SwapResult:
    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks_crossed: int


class V3Pool:
    """A pool's swap-relevant state: slot0's price and tick, the in-range liquidity, the fee
    (hundredths of a bip), the tick spacing and each initialized tick's liquidityNet."""

    def __init__(
        self,
        sqrt_price_x96: int,
        tick: int,
        liquidity: int,
        fee: int,
        tick_spacing: int,
        ticks: dict[int, int],
    ) -> None:
        if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
            raise ValueError(f"sqrt_price_x96 out of range: {sqrt_price_x96}")
        if not MIN_TICK <= tick <= MAX_TICK:
            raise ValueError(f"tick out of range: {tick}")
        if not 0 <= liquidity <= UINT128_MAX:
            raise ValueError(f"liquidity is not a uint128: {liquidity}")
        if not 0 <= fee < 1_000_000:
            raise ValueError(f"fee must be in [0, 1e6): {fee}")
        if not 0 < tick_spacing < 16384:
            raise ValueError(f"tick_spacing must be in [1, 16383]: {tick_spacing}")
        # slot0's tick is the price's tick, or one below it after a zero-for-one swap that
        # stopped exactly on a tick boundary
        on_boundary = tick < MAX_TICK and get_sqrt_ratio_at_tick(tick + 1) == sqrt_price_x96
        if tick != get_tick_at_sqrt_ratio(sqrt_price_x96) and not on_boundary:
            raise ValueError(f"tick {tick} does not match sqrt_price_x96 {sqrt_price_x96}")
        for t, net in ticks.items():
            if t % tick_spacing or not MIN_TICK <= t <= MAX_TICK:
                raise ValueError(f"tick {t} is not a multiple of {tick_spacing} in range")
            if not INT128_MIN <= net <= INT128_MAX:
                raise ValueError(f"liquidityNet of tick {t} is not an int128: {net}")
        self.sqrt_price_x96 = sqrt_price_x96
        self.tick = tick
        self.liquidity = liquidity
        self.fee = fee
        self.tick_spacing = tick_spacing
        self.ticks = dict(ticks)
        self.initialized = sorted(t // tick_spacing for t in ticks)

    def swap(
        self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None
    ) -> SwapResult:
        """UniswapV3Pool.swap: positive amount_specified is exact input, negative exact output.
        Amounts are the pool's deltas (positive: the pool receives). The pool is not changed."""
        if not INT256_MIN <= amount_specified <= INT256_MAX:
            raise ValueError(f"amount_specified is not an int256: {amount_specified}")
        if amount_specified == 0:
            raise Revert("AS")
        if sqrt_price_limit_x96 is None:
            sqrt_price_limit_x96 = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        if zero_for_one:
            ok = MIN_SQRT_RATIO < sqrt_price_limit_x96 < self.sqrt_price_x96
        else:
            ok = self.sqrt_price_x96 < sqrt_price_limit_x96 < MAX_SQRT_RATIO
        if not ok:
            raise Revert("SPL")

        exact_input = amount_specified > 0
        remaining = amount_specified
        calculated = 0
        sqrt_price = self.sqrt_price_x96
        tick = self.tick
        liquidity = self.liquidity
        crossed = 0

        while remaining != 0 and sqrt_price != sqrt_price_limit_x96:
            sqrt_start = sqrt_price
            tick_next, initialized = next_initialized_tick_within_one_word(
                self.initialized, tick, self.tick_spacing, zero_for_one
            )
            tick_next = max(MIN_TICK, min(MAX_TICK, tick_next))
            sqrt_next = get_sqrt_ratio_at_tick(tick_next)
            if zero_for_one:
                target = sqrt_price_limit_x96 if sqrt_next < sqrt_price_limit_x96 else sqrt_next
            else:
                target = sqrt_price_limit_x96 if sqrt_next > sqrt_price_limit_x96 else sqrt_next
            sqrt_price, amount_in, amount_out, fee_amount = compute_swap_step(
                sqrt_price, target, liquidity, remaining, self.fee
            )
            if exact_input:
                remaining -= amount_in + fee_amount
                calculated -= amount_out
            else:
                remaining += amount_out
                calculated += amount_in + fee_amount
            if not INT256_MIN <= calculated <= INT256_MAX:
                raise Revert("SignedSafeMath: overflow")

            if sqrt_price == sqrt_next:
                if initialized:
                    net = self.ticks[tick_next]
                    if zero_for_one and net != INT128_MIN:  # 0.7's unchecked -int128.min
                        net = -net
                    liquidity = add_delta(liquidity, net)
                    crossed += 1
                tick = tick_next - 1 if zero_for_one else tick_next
            elif sqrt_price != sqrt_start:
                tick = get_tick_at_sqrt_ratio(sqrt_price)

        if zero_for_one == exact_input:
            amount0, amount1 = amount_specified - remaining, calculated
        else:
            amount0, amount1 = calculated, amount_specified - remaining
        return SwapResult(amount0, amount1, sqrt_price, tick, liquidity, crossed)

    def quote_many(self, zero_for_one: bool, amounts_in: list[int]) -> list[int]:
        """The output of an exact-input swap of each amount from this same state."""
        out = []
        for amount in amounts_in:
            r = self.swap(zero_for_one, amount)
            out.append(-(r.amount1 if zero_for_one else r.amount0))
        return out
