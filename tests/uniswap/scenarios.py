"""Random V3 pools and swaps that reach the corners, and the counters that prove they did.

A *pool plan* is a fee tier, a starting price and positions: ranges around the price, ranges
away from it with zero-liquidity gaps between, ranges sharing an edge with equal liquidity (the
shared tick nets to liquidityNet 0), ranges reaching the lowest/highest usable ticks, spread over
several tick-bitmap words. A *swap plan* picks a direction, exact input or output, an amount
(aimed, with float estimates, at an initialized tick, a word boundary, a far tick, or huge to
drain the pool) and a price limit (the default, one that binds, one exactly on a tick's price).

Cost control: a swap walks the tick bitmap one 256-bit word at a time (~7k gas, ~2.6 ms on
py-evm, per word). Every plan keeps its walk within ``budget_words`` words by putting an explicit
limit where the default one (MIN_SQRT_RATIO+1 / MAX_SQRT_RATIO-1) would be too far.

:func:`classify` names what a swap did (from the pool before and the Swap event after) and checks
the harness's own bookkeeping: the liquidity after the crossed ticks must equal the event's.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import Counter
from dataclasses import dataclass

from tests.uniswap.tickmath import (
    FEE_TIERS,
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    crossed_ticks,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    usable_tick_range,
    word_of,
)
from tests.uniswap.v3 import PoolState, Position, SwapEvent

INT256_MAX = 2**255 - 1
INT256_MIN = -(2**255)
UINT160_MAX = 2**160 - 1
HUGE = 2**128  # |amount_specified| at least this: a "pool-draining" amount
EXTREME_TICK = 860_000  # |tick| at least this: "near the ends of the tick range"
Q96F = float(2**96)

PROFILES = (
    "near_zero",
    "negative",
    "positive",
    "extreme_low",
    "extreme_high",
    "uniform",
    "at_min",
    "at_max",
    "on_tick",
)


def default_limit(zero_for_one: bool) -> int:
    return MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1


@dataclass(frozen=True)
class PoolPlan:
    fee: int
    spacing: int
    profile: str
    sqrt_price_x96: int
    positions: tuple[Position, ...]


@dataclass(frozen=True)
class SwapPlan:
    zero_for_one: bool
    amount_specified: int
    limit: int | None  # None: the default limit (the kernel is given None, the chain the value)
    strategy: str

    @property
    def chain_limit(self) -> int:
        return default_limit(self.zero_for_one) if self.limit is None else self.limit

    def args(self) -> str:
        return (
            f"swap(zero_for_one={self.zero_for_one}, amount_specified={self.amount_specified}, "
            f"sqrt_price_limit_x96={self.limit})"
        )


@dataclass(frozen=True)
class RevertPlan:
    zero_for_one: bool
    amount_specified: int
    limit: int | None
    kind: str  # "zero_amount" | "limit_wrong_side" | "limit_out_of_range"
    reason: str  # what the pool says: "AS" | "SPL"

    @property
    def chain_limit(self) -> int:
        return default_limit(self.zero_for_one) if self.limit is None else self.limit


# pools


def _log_uniform_int(rng: random.Random, lo: float, hi: float) -> int:
    return int(2 ** rng.uniform(math.log2(lo), math.log2(hi)))


def max_liquidity_per_tick(spacing: int) -> int:
    lo, hi = usable_tick_range(spacing)
    return (2**128 - 1) // ((hi - lo) // spacing + 1)


def random_pool(rng: random.Random, fee: int, profile: str) -> PoolPlan:
    spacing = FEE_TIERS[fee]
    lo_u, hi_u = usable_tick_range(spacing)

    # the starting price
    if profile == "at_min":
        sqrt_price = rng.choice(
            [MIN_SQRT_RATIO, MIN_SQRT_RATIO + 1, MIN_SQRT_RATIO + rng.randint(2, 10**6)]
        )
    elif profile == "at_max":
        sqrt_price = rng.choice(
            [MAX_SQRT_RATIO - 1, MAX_SQRT_RATIO - 2, MAX_SQRT_RATIO - rng.randint(3, 10**30)]
        )
    else:
        center = {
            "near_zero": lambda: rng.randint(-50_000, 50_000),
            "negative": lambda: rng.randint(-700_000, -1_000),
            "positive": lambda: rng.randint(1_000, 700_000),
            "extreme_low": lambda: rng.randint(MIN_TICK, MIN_TICK + 12_000),
            "extreme_high": lambda: rng.randint(MAX_TICK - 12_000, MAX_TICK - 1),
            "uniform": lambda: rng.randint(MIN_TICK, MAX_TICK - 1),
            "on_tick": lambda: rng.randint(-300_000, 300_000) // spacing * spacing,
        }[profile]()
        lo_s, hi_s = get_sqrt_ratio_at_tick(center), get_sqrt_ratio_at_tick(center + 1)
        exact = profile == "on_tick" or rng.random() < 0.15
        sqrt_price = lo_s if exact else rng.randrange(lo_s, hi_s)
    tick = get_tick_at_sqrt_ratio(sqrt_price)

    def align(t: int) -> int:
        return min(max(t // spacing * spacing, lo_u), hi_u)

    def span(lower: int, upper: int) -> tuple[int, int]:
        lower, upper = align(lower), align(upper)
        if lower >= upper:  # collapsed (too narrow, or clamped to one end): one spacing wide
            lower, upper = (
                (lower, lower + spacing) if lower + spacing <= hi_u else (hi_u - spacing, hi_u)
            )
        return lower, upper

    n = rng.randint(1, 9)
    cap = max_liquidity_per_tick(spacing) // (2 * (n + 2))

    def liquidity() -> int:
        r = rng.random()
        if r < 0.08:
            return rng.randint(1, 1000)
        return min(cap, _log_uniform_int(rng, 2**20, 2**112))

    def units(hi: float) -> int:  # a distance in ticks, log-uniform in spacing units
        return _log_uniform_int(rng, 1, hi) * spacing

    positions: list[Position] = []
    # spacing-aligned anchors: the price's own tick and, for ranges away from it, a second cluster
    anchors = [tick]
    if rng.random() < 0.6:
        anchors.append(tick + rng.choice([-1, 1]) * units(2**11))
    kinds = ["around", "around", "away", "pair", "gap_pair", "edge", "full"]
    for _ in range(n):
        kind = rng.choice(kinds)
        anchor = rng.choice(anchors)
        if kind == "around":
            lower, upper = span(anchor - units(2**10), anchor + units(2**10))
            positions.append(Position(lower, upper, liquidity()))
        elif kind == "away":
            start = anchor + rng.choice([-1, 1]) * units(2**11)
            lower, upper = span(start, start + units(2**9))
            positions.append(Position(lower, upper, liquidity()))
        elif kind in ("pair", "gap_pair"):
            # [a, b] and [b, c] with equal liquidity: b nets to 0 (unless another range uses b);
            # gap_pair also leaves an empty stretch before the next range
            a = align(anchor - units(2**9))
            b = align(a + units(2**8))
            c = align(b + units(2**8))
            if not a < b < c:
                continue
            liq = liquidity()
            positions += [Position(a, b, liq), Position(b, c, liq)]
            if kind == "gap_pair":
                d = align(c + units(2**9))
                e = align(d + units(2**7))
                if c < d < e:
                    positions.append(Position(d, e, liquidity()))
        elif kind == "edge":
            if rng.random() < 0.5:
                lower, upper = span(lo_u, lo_u + units(2**12))
            else:
                lower, upper = span(hi_u - units(2**12), hi_u)
            positions.append(Position(lower, upper, liquidity()))
        else:  # full
            positions.append(Position(lo_u, hi_u, liquidity()))
    if profile == "on_tick" or not positions:  # on_tick: the price sits on a range's edge
        lower, upper = span(tick, tick + units(2**6))
        positions.append(Position(lower, upper, liquidity()))
    # keep every tick's gross liquidity under the pool's per-tick maximum
    gross: Counter[int] = Counter()
    kept = []
    limit = max_liquidity_per_tick(spacing)
    for p in positions:
        if gross[p.lower] + p.liquidity <= limit and gross[p.upper] + p.liquidity <= limit:
            gross[p.lower] += p.liquidity
            gross[p.upper] += p.liquidity
            kept.append(p)
    return PoolPlan(fee, spacing, profile, sqrt_price, tuple(kept))


# swaps: float estimates of how far an amount moves the price


def _sqrt_f(tick: int) -> float:
    return math.pow(1.0001, tick / 2)


def _amount_between(liquidity: int, a: float, b: float, token0: bool) -> float:
    """Token amount for liquidity between sqrt prices a < b (floats, not X96)."""
    if token0:
        return liquidity * (1 / a - 1 / b)
    return liquidity * (b - a)


def _walk(state: PoolState, zero_for_one: bool, stop_sqrt: float) -> list[tuple[float, float, int]]:
    """The stretches (from, to, liquidity) a swap passes from the current price to stop_sqrt."""
    bounds = sorted(state.ticks)
    s = state.sqrt_price_x96 / Q96F
    liq = state.liquidity
    out: list[tuple[float, float, int]] = []
    if zero_for_one:
        i = bisect.bisect_right(bounds, state.tick) - 1  # next tick to cross going down
        while s > stop_sqrt:
            nxt = _sqrt_f(bounds[i]) if i >= 0 else 0.0
            to = max(nxt, stop_sqrt)
            out.append((s, to, liq))
            s = to
            if i >= 0 and s <= nxt:
                liq -= state.ticks[bounds[i]]
                i -= 1
            elif i < 0:
                break
    else:
        i = bisect.bisect_right(bounds, state.tick)  # next tick to cross going up
        while s < stop_sqrt:
            nxt = _sqrt_f(bounds[i]) if i < len(bounds) else math.inf
            to = min(nxt, stop_sqrt)
            out.append((s, to, liq))
            s = to
            if i < len(bounds) and s >= nxt:
                liq += state.ticks[bounds[i]]
                i += 1
            elif i >= len(bounds):
                break
    return out


def amount_to_reach(
    state: PoolState, zero_for_one: bool, exact_in: bool, fee: int, target_tick: int
) -> float:
    """About how much (input with fee for exact in, output for exact out) moves the price to
    the target tick's price."""
    token0 = zero_for_one == exact_in  # the token counted: input token0, or output token0
    total = 0.0
    for a, b, liq in _walk(state, zero_for_one, _sqrt_f(target_tick)):
        total += _amount_between(liq, min(a, b), max(a, b), token0)
    if exact_in:
        total /= 1 - fee / 1e6
    return total


def predict_end_tick(
    state: PoolState, zero_for_one: bool, amount_specified: int, fee: int
) -> int | None:
    """About where the swap stops with the default limit, or None if it runs out of liquidity
    (it then goes on to the limit)."""
    exact_in = amount_specified > 0
    rem = float(abs(amount_specified)) * ((1 - fee / 1e6) if exact_in else 1.0)
    token0 = zero_for_one == exact_in
    bound = 0.0 if zero_for_one else math.inf
    for a, b, liq in _walk(state, zero_for_one, bound):
        lo, hi = min(a, b), max(a, b)
        if liq == 0:
            continue
        if math.isinf(hi) or lo == 0.0:
            return None
        need = _amount_between(liq, lo, hi, token0)
        if rem <= need:
            if token0:  # 1/s moves by rem/liq
                end = 1 / (1 / a + rem / liq) if zero_for_one else 1 / (1 / a - rem / liq)
            else:
                end = a - rem / liq if zero_for_one else a + rem / liq
            if not end > 0 or math.isinf(end):
                return None
            return math.floor(2 * math.log(end) / math.log(1.0001))
        rem -= need
    return None


def random_swap(
    rng: random.Random, state: PoolState, fee: int, spacing: int, budget_words: int
) -> SwapPlan:
    if state.sqrt_price_x96 <= MIN_SQRT_RATIO + 1:
        zero_for_one = False
    elif state.sqrt_price_x96 >= MAX_SQRT_RATIO - 1:
        zero_for_one = True
    else:
        zero_for_one = rng.random() < 0.5
    exact_in = rng.random() < 0.55
    sign = 1 if zero_for_one else -1  # ticks go down for zero_for_one
    reach = budget_words * 256 * spacing  # farthest tick distance the walk may go
    far_tick = (
        max(MIN_TICK, state.tick - reach) if zero_for_one else min(MAX_TICK, state.tick + reach)
    )
    bounds = sorted(state.ticks)
    if zero_for_one:
        ahead = [t for t in reversed(bounds) if t <= state.tick]
    else:
        ahead = [t for t in bounds if t > state.tick]

    strategy = rng.choices(
        ["next_ticks", "land_on_tick", "word", "far", "tiny", "log", "drain"],
        weights=[24, 10, 10, 16, 7, 13, 20],
    )[0]
    target: int | None = None
    if strategy in ("next_ticks", "land_on_tick") and ahead:
        k = min(len(ahead) - 1, int(rng.expovariate(0.8)))
        target = ahead[k]
        if strategy == "next_ticks":
            target -= sign * rng.randint(0, 2 * spacing)
    elif strategy == "word":
        step = -rng.randint(0, 2) if zero_for_one else rng.randint(1, 3)
        target = (word_of(state.tick, spacing) + step) * 256 * spacing + rng.randint(
            -3, 3
        ) * spacing
    elif strategy in ("far", "next_ticks", "land_on_tick"):
        target = state.tick - sign * _log_uniform_int(rng, 1, max(2, reach))
    if target is not None:
        target = min(max(target, MIN_TICK), MAX_TICK)
        amount_f = amount_to_reach(state, zero_for_one, exact_in, fee, target)
        if strategy != "land_on_tick":
            amount_f *= 2 ** rng.uniform(-2, 0.7)
        amount = int(amount_f) if amount_f >= 1 else rng.randint(1, 10**6)
    elif strategy == "tiny":
        amount = rng.randint(1, 1000)
    elif strategy == "log":
        amount = _log_uniform_int(rng, 1, 2**160)
    else:  # drain
        amount = rng.choice([2**255 - 1, HUGE, _log_uniform_int(rng, HUGE, 2**250)])
    amount = min(amount, INT256_MAX)
    amount_specified = amount if exact_in else -amount
    if amount_specified == -INT256_MAX and rng.random() < 0.5:
        amount_specified = INT256_MIN

    # the limit
    # an estimate a hair short of a gap's edge would put the walk at the gap's far side (or at
    # the default limit): judge the budget by a slightly larger amount
    inflated = abs(amount_specified) + abs(amount_specified) // 10**6 + 2
    end = predict_end_tick(state, zero_for_one, inflated if exact_in else -inflated, fee)
    default_far = MIN_TICK if zero_for_one else MAX_TICK
    walk_end = default_far if end is None else end
    within_budget = abs(walk_end - state.tick) <= reach - 2 * 256 * spacing
    limit: int | None
    if within_budget and rng.random() < 0.5:
        limit = None
    else:
        span_end = walk_end if within_budget else far_tick  # where the walk would stop anyway
        on_ticks = [t for t in ahead if abs(t - state.tick) <= reach]
        kind = rng.random()
        if kind < 0.15 and on_ticks:  # exactly an initialized tick's price
            limit = get_sqrt_ratio_at_tick(rng.choice(on_ticks))
        elif kind < 0.23:  # exactly the price of a word's first tick near the end of the walk
            word = word_of(span_end, spacing) + (1 if zero_for_one else 0)
            limit = get_sqrt_ratio_at_tick(min(max(word * 256 * spacing, MIN_TICK), MAX_TICK))
        else:
            # past the end of the walk (does not bind) or before it (binds)
            lo_t, hi_t = sorted((span_end, far_tick) if kind < 0.7 else (state.tick, span_end))
            t = min(max(rng.randint(lo_t, hi_t), MIN_TICK), MAX_TICK - 1)
            limit = rng.randrange(get_sqrt_ratio_at_tick(t), get_sqrt_ratio_at_tick(t + 1))
        # valid, and within the walking budget
        if zero_for_one:
            floor_price = max(MIN_SQRT_RATIO + 1, get_sqrt_ratio_at_tick(far_tick))
            limit = min(max(limit, floor_price), state.sqrt_price_x96 - 1)
        else:
            ceil_price = min(MAX_SQRT_RATIO - 1, get_sqrt_ratio_at_tick(far_tick))
            limit = max(min(limit, ceil_price), state.sqrt_price_x96 + 1)
    return SwapPlan(zero_for_one, amount_specified, limit, strategy)


def reverting_swaps(rng: random.Random, state: PoolState) -> list[RevertPlan]:
    """Swaps the pool refuses in this state: zero amount ("AS"), limit on the wrong side of the
    price or outside (MIN_SQRT_RATIO, MAX_SQRT_RATIO) ("SPL")."""
    p = state.sqrt_price_x96
    amount = rng.choice(
        [1, rng.randint(1, 10**18), -rng.randint(1, 10**18), INT256_MAX, INT256_MIN]
    )
    z = rng.random() < 0.5
    plans = [
        RevertPlan(z, 0, rng.choice([None, default_limit(z)]), "zero_amount", "AS"),
        # wrong side: down with a limit at/above the price, up with one at/below it
        RevertPlan(
            True,
            amount,
            rng.choice([p, min(p + 1, UINT160_MAX), rng.randint(p, MAX_SQRT_RATIO)]),
            "limit_wrong_side",
            "SPL",
        ),
        RevertPlan(
            False,
            amount,
            rng.choice([p, p - 1, rng.randint(MIN_SQRT_RATIO, p)]),
            "limit_wrong_side",
            "SPL",
        ),
        # outside the price range altogether
        RevertPlan(
            True,
            amount,
            rng.choice([MIN_SQRT_RATIO, MIN_SQRT_RATIO - 1, 0, 1]),
            "limit_out_of_range",
            "SPL",
        ),
        RevertPlan(
            False,
            amount,
            rng.choice([MAX_SQRT_RATIO, MAX_SQRT_RATIO + 1, UINT160_MAX]),
            "limit_out_of_range",
            "SPL",
        ),
    ]
    return plans


# what a swap did


def liquidity_path(
    zero_for_one: bool, liquidity: int, ticks: dict[int, int], crossed: list[int]
) -> list[int]:
    """Active liquidity before the swap and after each crossed tick."""
    levels = [liquidity]
    for t in crossed:
        levels.append(levels[-1] - ticks[t] if zero_for_one else levels[-1] + ticks[t])
    return levels


def classify(
    plan: SwapPlan, before: PoolState, event: SwapEvent, fee: int, spacing: int
) -> tuple[list[str], list[int]]:
    """Names for what the swap did, and the initialized ticks it crossed (in order). Raises
    AssertionError where the harness's own bookkeeping disagrees with the chain."""
    crossed = crossed_ticks(plan.zero_for_one, before.tick, event.tick, before.ticks)
    levels = liquidity_path(plan.zero_for_one, before.liquidity, before.ticks, crossed)
    if levels[-1] != event.liquidity:
        raise AssertionError(
            f"harness: liquidity after crossing {crossed} should be {levels[-1]}, event says "
            f"{event.liquidity}"
        )
    tags = [f"fee_{fee}", "exact_input" if plan.amount_specified > 0 else "exact_output"]
    tags.append("default_limit" if plan.limit is None else "explicit_limit")
    at_limit = event.sqrt_price_x96 == plan.chain_limit
    if at_limit:
        tags.append("ended_at_limit")
        if get_sqrt_ratio_at_tick(get_tick_at_sqrt_ratio(plan.chain_limit)) == plan.chain_limit:
            tags.append("ended_at_limit_on_tick_price")
        if abs(plan.amount_specified) >= HUGE:
            tags.append("drain")
    used = event.amount0 if plan.zero_for_one == (plan.amount_specified > 0) else event.amount1
    if used != plan.amount_specified:
        tags.append("partial")  # stopped by the limit before the amount was used up
    if word_of(before.tick, spacing) != word_of(event.tick, spacing):
        tags.append("word_boundary_crossed")
    if min(before.tick, event.tick) < 0:
        tags.append("negative_tick")
    if min(before.tick, event.tick) <= -EXTREME_TICK:
        tags.append("extreme_low_tick")
    if max(before.tick, event.tick) >= EXTREME_TICK:
        tags.append("extreme_high_tick")
    if crossed:
        tags.append("tick_crossed")
    if any(before.ticks[t] == 0 for t in crossed):
        tags.append("zero_net_tick_crossed")
    if any(level == 0 for level in levels[:-1]):
        tags.append("zero_liquidity_gap_crossed")
    if event.sqrt_price_x96 != before.sqrt_price_x96 and event.liquidity == 0 and not at_limit:
        tags.append("ended_in_gap")
    if event.amount0 == 0 and event.amount1 == 0:
        tags.append("zero_amounts")
    if plan.amount_specified in (INT256_MAX, INT256_MIN):
        tags.append("int256_extreme_amount")
    return tags, crossed


class Coverage:
    """Counts swaps by tag (see classify) and reverts by kind; checks minimums."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, tags: list[str]) -> None:
        self.counts["swaps"] += 1
        self.counts.update(tags)

    def add_revert(self, kind: str) -> None:
        self.counts["reverts"] += 1
        self.counts[f"revert_{kind}"] += 1

    def missing(self, minimums: dict[str, int]) -> dict[str, tuple[int, int]]:
        return {k: (self.counts[k], v) for k, v in minimums.items() if self.counts[k] < v}

    def report(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))


def pool_minimums(n_swaps: int) -> dict[str, int]:
    """What a differential run must have covered, scaled to its size (CI: ~500 swaps)."""
    scale = n_swaps / 500
    base = {
        **{f"fee_{fee}": 60 for fee in FEE_TIERS},
        "exact_input": 100,
        "exact_output": 100,
        "default_limit": 50,
        "explicit_limit": 100,
        "ended_at_limit": 40,
        "ended_at_limit_on_tick_price": 5,
        "drain": 15,
        "partial": 40,
        "word_boundary_crossed": 30,
        "negative_tick": 50,
        "extreme_low_tick": 8,
        "extreme_high_tick": 8,
        "tick_crossed": 60,
        "zero_net_tick_crossed": 5,
        "zero_liquidity_gap_crossed": 8,
        "int256_extreme_amount": 5,
        "quote_many_amounts": 40,
        "revert_zero_amount": 20,
        "revert_limit_wrong_side": 40,
        "revert_limit_out_of_range": 40,
    }
    return {k: max(1, int(v * scale)) for k, v in base.items()}


def pool_plans(rng: random.Random, n: int) -> list[PoolPlan]:
    """n pools: fee tiers and price profiles in turn (so every run covers each), random inside."""
    fees = list(FEE_TIERS)
    plans = []
    for i in range(n):
        fee = fees[i % len(fees)]
        profile = PROFILES[(i // len(fees) + i) % len(PROFILES)]
        plans.append(random_pool(rng, fee, profile))
    return plans
