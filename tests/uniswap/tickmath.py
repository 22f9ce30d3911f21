"""Uniswap V3 TickMath in plain Python, for the harness's own use (choosing prices, limits and
ranges; classifying what a swap did). Not a reference for the kernel: the kernel is compared with
the chain. The self-tests check this module against the chain (a zero-liquidity pool reports
getTickAtSqrtRatio of any price a swap moves it to), which pins get_sqrt_ratio_at_tick exactly.

getSqrtRatioAtTick multiplies Q128 factors 1/sqrt(1.0001)^(2^i) for the bits of |tick|; the
factors are derived here (rounded to nearest at 120 digits), not copied.
"""

from __future__ import annotations

import functools
from decimal import Decimal, localcontext

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342
Q96 = 2**96
Q128 = 2**128
UINT256_MAX = 2**256 - 1

FEE_TIERS: dict[int, int] = {100: 1, 500: 10, 3000: 60, 10000: 200}  # fee -> tick spacing


@functools.cache
def _factors() -> tuple[int, ...]:
    with localcontext() as ctx:
        ctx.prec = 120
        root = Decimal("1.0001").sqrt()
        return tuple(int((Decimal(Q128) / root ** (2**i)).to_integral_value()) for i in range(20))


def get_sqrt_ratio_at_tick(tick: int) -> int:
    if not MIN_TICK <= tick <= MAX_TICK:
        raise ValueError(f"tick {tick} out of range")
    factors = _factors()
    a = abs(tick)
    ratio = factors[0] if a & 1 else Q128
    for i in range(1, 20):
        if a >> i & 1:
            ratio = ratio * factors[i] >> 128
    if tick > 0:
        ratio = UINT256_MAX // ratio
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


@functools.cache
def _sqrt_ratio_cached(tick: int) -> int:
    return get_sqrt_ratio_at_tick(tick)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick whose sqrt ratio is <= the price (what the contract returns)."""
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise ValueError(f"sqrt price {sqrt_price_x96} out of range")
    lo, hi = MIN_TICK, MAX_TICK  # invariant: S(lo) <= price < S(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _sqrt_ratio_cached(mid) <= sqrt_price_x96:
            lo = mid
        else:
            hi = mid
    return lo


def usable_tick_range(spacing: int) -> tuple[int, int]:
    """The lowest and highest ticks a position may use with this spacing."""
    return -(MAX_TICK // spacing) * spacing, (MAX_TICK // spacing) * spacing


def word_of(tick: int, spacing: int) -> int:
    """The tick-bitmap word (int16 position) holding this tick: compressed tick >> 8."""
    return (tick // spacing) >> 8


def crossed_ticks(
    zero_for_one: bool, tick_before: int, tick_after: int, ticks: dict[int, int]
) -> list[int]:
    """The initialized ticks a swap crossed, in crossing order, from the pool's tick before and
    after it (a swap down crosses T when it leaves tick >= T for tick < T; up: < T to >= T)."""
    if zero_for_one:
        return sorted((t for t in ticks if tick_after < t <= tick_before), reverse=True)
    return sorted(t for t in ticks if tick_before < t <= tick_after)
