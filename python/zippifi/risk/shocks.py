"""Pool states a stress test can shock, and the shocks, exact in ints.

A price shock says a token's price moves by a factor against every other token; each pool
holding it is then arbitraged to its new relative price (its own current price times the
factor: pools that disagreed before the shock still disagree after it, no oracle is consulted)
by a real swap, computed by the AMM kernels and applied as the pool would apply it (its fee
stays in the pool):

- Uniswap V2: the largest input whose post-trade price (reserve_out / reserve_in, fee-free)
  is still no lower than the target; one raw unit more would cross it.
- Uniswap V3: an exact-input swap with ``sqrtPriceLimitX96`` at the target, which V3 stops at
  exactly: the new price is the target (floored to an integer sqrt price), and ticks are
  crossed as the pool crosses them.
- StableSwap with two tokens: the largest input after which the fee-free rate of a probe (a
  millionth of the pool's balance of the token sold) is still no lower than the target. The
  whole fee is taken to stay in the pool (admin fee 0). Pools of more than two tokens have no
  single arbitrage trade and are refused.

A drain leaves a fraction of a pool's liquidity: V2 reserves and StableSwap balances are
scaled (floored); a V3 pool keeps the floored fraction of the liquidity in every range between
initialized ticks (nets are the differences of the scaled profile, so it stays consistent).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from zippifi import amm
from zippifi.errors import AmmRevertError, InvalidRiskInputError
from zippifi.sign import to_checksum_address

V2_FEE_BPS = 30
MAX_V2_RESERVE = 2**112 - 1  # UniswapV2Pair keeps reserves in uint112
V3_SWAP_INPUT = 2**255 - 1  # int256 max, "all it takes": the swap stops at its limit first
STABLE_PROBE = 10**6  # the probe is this fraction of the pool's balance


@dataclass(frozen=True)
class V2PoolState:
    address: str
    token0: str
    token1: str
    reserve0: int
    reserve1: int
    fee_bps: int = V2_FEE_BPS

    def __post_init__(self) -> None:
        _addresses(self, "address", "token0", "token1")
        _amounts(self, self.reserve0, self.reserve1)

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.token0, self.token1)


@dataclass(frozen=True)
class V3PoolState:
    address: str
    token0: str
    token1: str
    sqrt_price_x96: int
    tick: int
    liquidity: int
    fee: int
    tick_spacing: int
    ticks: Mapping[int, int] = field(default_factory=dict)  # tick -> liquidityNet

    def __post_init__(self) -> None:
        _addresses(self, "address", "token0", "token1")
        _amounts(self, self.sqrt_price_x96, self.liquidity)
        object.__setattr__(self, "ticks", dict(sorted(self.ticks.items())))

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.token0, self.token1)

    def pool(self) -> amm.V3Pool:
        """The state as the kernel's swappable pool."""
        return amm.V3Pool(
            self.sqrt_price_x96, self.tick, self.liquidity, self.fee, self.tick_spacing,
            dict(self.ticks),
        )  # fmt: skip


@dataclass(frozen=True)
class StablePoolState:
    address: str
    tokens: tuple[str, ...]
    balances: tuple[int, ...]
    amp: int  # A * 100, as A_precise() returns it
    fee: int  # on Curve's 1e10 scale
    rates: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        _addresses(self, "address")
        object.__setattr__(self, "tokens", tuple(to_checksum_address(t) for t in self.tokens))
        object.__setattr__(self, "balances", tuple(self.balances))
        if self.rates is not None:
            object.__setattr__(self, "rates", tuple(self.rates))
        _amounts(self, *self.balances)
        if len(self.balances) != len(self.tokens):
            raise InvalidRiskInputError(
                f"pool {self.address}: {len(self.tokens)} tokens but {len(self.balances)} balances"
            )


PoolState = V2PoolState | V3PoolState | StablePoolState


def drain(pool: PoolState, left: Fraction) -> PoolState:
    """The pool with ``left`` (in (0, 1]) of its liquidity, floored in raw units."""
    if isinstance(pool, V2PoolState):
        return replace(
            pool, reserve0=_part(pool.reserve0, left), reserve1=_part(pool.reserve1, left)
        )
    if isinstance(pool, StablePoolState):
        return replace(pool, balances=tuple(_part(b, left) for b in pool.balances))
    return _drain_v3(pool, left)


def reprice(pool: PoolState, factors: Mapping[str, Fraction]) -> PoolState:
    """The pool arbitraged to the prices moved by ``factors`` (token -> new price / old price;
    a token not named keeps its price)."""
    moves = [factors.get(t, Fraction(1)) for t in pool.tokens]
    if all(m == moves[0] for m in moves):
        return pool  # relative prices unchanged
    if isinstance(pool, V2PoolState):
        return _reprice_v2(pool, moves[0] / moves[1])
    if isinstance(pool, V3PoolState):
        return _reprice_v3(pool, moves[0] / moves[1])
    if len(pool.tokens) != 2:
        raise InvalidRiskInputError(
            f"pool {pool.address}: a price shock on a StableSwap pool of {len(pool.tokens)} "
            "tokens has no single arbitrage trade; only two-token pools can be repriced"
        )
    return _reprice_stable(pool, moves[0] / moves[1])


# --- V2 ---------------------------------------------------------------------------------------


def _reprice_v2(pool: V2PoolState, ratio: Fraction) -> V2PoolState:
    """``ratio``: token0's new price in token1 over its current one. The cheapened token is sold
    into the pool until its price there falls to the target."""
    sell0 = ratio < 1
    r_in, r_out = (pool.reserve0, pool.reserve1) if sell0 else (pool.reserve1, pool.reserve0)
    drop = ratio if sell0 else 1 / ratio  # the sold token's price falls by this factor
    if r_in == 0 or r_out == 0:
        return pool  # no price to move

    def out(a: int) -> int:
        return amm.v2_amount_out(a, r_in, r_out, pool.fee_bps) if a else 0

    def not_below(a: int) -> bool:  # (r_out - out) / (r_in + a) >= drop * r_out / r_in
        return (r_out - out(a)) * r_in * drop.denominator >= drop.numerator * r_out * (r_in + a)

    def hint() -> str:
        return f"pool {pool.address}: arbitraging it to the shocked price"

    a = _largest(not_below, r_in, MAX_V2_RESERVE - r_in, hint)
    new_in, new_out = r_in + a, r_out - out(a)
    if sell0:
        return replace(pool, reserve0=new_in, reserve1=new_out)
    return replace(pool, reserve0=new_out, reserve1=new_in)


# --- V3 ---------------------------------------------------------------------------------------


def _reprice_v3(pool: V3PoolState, ratio: Fraction) -> V3PoolState:
    # price = (sqrtP / 2^96)^2 moves by ratio: sqrtP' = floor(sqrt(sqrtP^2 * ratio))
    target = math.isqrt(pool.sqrt_price_x96**2 * ratio.numerator // ratio.denominator)
    if not amm.MIN_SQRT_RATIO < target < amm.MAX_SQRT_RATIO:
        raise InvalidRiskInputError(
            f"pool {pool.address}: the shocked price (sqrtPriceX96 {target}) is outside the "
            "range a V3 pool can hold"
        )
    if target == pool.sqrt_price_x96:
        return pool
    kernel = pool.pool()
    kernel.apply(kernel.swap(target < pool.sqrt_price_x96, V3_SWAP_INPUT, target))
    return replace(
        pool, sqrt_price_x96=kernel.sqrt_price_x96, tick=kernel.tick, liquidity=kernel.liquidity
    )


def liquidity_profile(pool: V3PoolState) -> tuple[list[int], list[int], int]:
    """(ticks ascending, liquidity in each range, index of the current range): range i lies
    between ticks[i-1] and ticks[i] (range 0 below the first tick, range len(ticks) above the
    last); the current one holds ``pool.tick`` and has ``pool.liquidity``."""
    ticks = list(pool.ticks)
    current = sum(1 for t in ticks if t <= pool.tick)
    ranges = [0] * (len(ticks) + 1)
    ranges[current] = pool.liquidity
    for i in range(current + 1, len(ranges)):  # crossing ticks[i-1] upward adds its net
        ranges[i] = ranges[i - 1] + pool.ticks[ticks[i - 1]]
    for i in range(current - 1, -1, -1):
        ranges[i] = ranges[i + 1] - pool.ticks[ticks[i]]
    return ticks, ranges, current


def _drain_v3(pool: V3PoolState, left: Fraction) -> V3PoolState:
    ticks, ranges, current = liquidity_profile(pool)
    if min(ranges) < 0:
        raise InvalidRiskInputError(
            f"pool {pool.address}: its ticks' liquidityNet imply negative liquidity in some "
            "range; the state is inconsistent"
        )
    kept = [_part(x, left) for x in ranges]
    nets = {t: kept[i + 1] - kept[i] for i, t in enumerate(ticks)}
    return replace(pool, liquidity=kept[current], ticks=nets)


# --- StableSwap -------------------------------------------------------------------------------


def _reprice_stable(pool: StablePoolState, ratio: Fraction) -> StablePoolState:
    i = 0 if ratio < 1 else 1  # the token whose price falls is sold into the pool
    j = 1 - i
    drop = ratio if i == 0 else 1 / ratio
    if min(pool.balances) == 0:
        return pool
    probe = max(pool.balances[i] // STABLE_PROBE, 1)

    def after(a: int) -> list[int]:
        balances = list(pool.balances)
        if a:
            balances[j] -= amm.stable_get_dy(i, j, a, balances, pool.amp, pool.fee, pool.rates)
            balances[i] += a
        return balances

    def rate(balances: Sequence[int]) -> int:  # fee-free output of the probe
        return amm.stable_get_dy(i, j, probe, balances, pool.amp, 0, pool.rates)

    start = rate(pool.balances)

    def not_below(a: int) -> bool:
        try:
            return rate(after(a)) * drop.denominator >= drop.numerator * start
        except AmmRevertError:  # a trade that would empty the pool
            return False

    def hint() -> str:
        return f"pool {pool.address}: arbitraging it to the shocked price"

    a = _largest(not_below, pool.balances[i], 2**128, hint)
    return replace(pool, balances=tuple(after(a)))


# --- shared -----------------------------------------------------------------------------------


def _largest(ok: Callable[[int], bool], step: int, limit: int, hint: Callable[[], str]) -> int:
    """The largest a in 0..limit with ok(a), ok being true at 0 and monotone (true, then false);
    found by doubling from ``step`` and then bisection. An ok that still holds at ``limit`` is an
    error: the pool cannot reach the target."""
    hi = max(step, 1)
    while ok(hi):
        if hi >= limit:
            raise InvalidRiskInputError(f"{hint()}: it would need more than {limit} raw units")
        hi = min(hi * 2, limit)
    lo = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _part(amount: int, left: Fraction) -> int:
    return amount * left.numerator // left.denominator


def _addresses(state: object, *names: str) -> None:
    for name in names:
        object.__setattr__(state, name, to_checksum_address(getattr(state, name)))


def _amounts(state: object, *values: int) -> None:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InvalidRiskInputError(
                f"{type(state).__name__} {getattr(state, 'address', '')}: amounts are raw ints "
                f">= 0, got {v!r}"
            )
