"""The AMM kernels against their pure-Python peers (tests/reference: plain big ints, no caching,
the code a Python trading bot would otherwise run), same inputs, same run:

- Uniswap V3 exact-input swaps crossing exactly 0, 1, 10 and 100 initialized ticks, one call each;
- 100,000 Uniswap V2 quotes: one batch call (`v2_amount_out_many`), one call each, the peer loop;
- Curve StableSwap get_dy on 3-coin pools, one call each;
- order-book fill_many of 100,000 sizes on a 1,000-level book, one call vs the peer loop.

Every workload cycles through precomputed, distinct inputs, so no side gains from a cache of
results; each checks that kernel and peer agree. From a pool's second swap on, the V3 kernel does
remember each initialized tick's price, full swap steps between ticks and the first step from
the pool's current state (never an input amount): a second row per crossing count runs each swap
on a pool that never swapped, the cost without them. ``extra_info`` carries what bench/report.py
needs: suite "amm", the workload, the role (peer or kernel), the variant (per_call,
per_call_cold or batch) and the items per round.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from bench.conftest import ROUNDS, scaled
from tests.reference import orderbook as ref_book
from tests.reference import stableswap as ref_stable
from tests.reference import uniswap_v2 as ref_v2
from tests.reference import uniswap_v3 as ref_v3
from zippifi import amm


def _run(benchmark: Any, fn: Any) -> Any:
    # one warm-up round for every row alike, as the signing benchmarks do
    return benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)


def _info(
    benchmark: Any, workload: str, role: str, variant: str, n_items: int, **extra: Any
) -> None:
    benchmark.extra_info.update(
        {
            "suite": "amm",
            "workload": workload,
            "role": role,
            "variant": variant,
            "n_items": n_items,
            **extra,
        }
    )


# ---------------------------------------------------------------- Uniswap V3 swaps

V3_SWAPS = 256  # distinct exact-input amounts per crossing count, one swap call each
V3_SPACING = 10
V3_FEE = 3000
V3_TICKS = 120  # initialized ticks below the price, every 10 ticks
FULL_RANGE = 887270  # the widest ticks a spacing of 10 allows


def _v3_pool_args() -> tuple[int, int, int, int, int, dict[int, int]]:
    """A full-range position and one position per initialized tick from -10k up to the top, so a
    zero-for-one swap crosses tick -10, -20, ... in turn, each one lowering the liquidity."""
    base, step = 10**24, 10**21
    ticks = {-FULL_RANGE: base, FULL_RANGE: -base - step * V3_TICKS}
    for k in range(1, V3_TICKS + 1):
        ticks[-V3_SPACING * k] = step
    start_tick = 5
    sqrt_price = ref_v3.get_sqrt_ratio_at_tick(start_tick)
    return sqrt_price, start_tick, base + step * V3_TICKS, V3_FEE, V3_SPACING, ticks


V3_ARGS = _v3_pool_args()
V3_PEER = ref_v3.V3Pool(*V3_ARGS)


def _amount_to_cross(n: int) -> int:
    """The token0 in that takes the price exactly onto the n-th initialized tick (crossing it)."""
    if n == 0:
        return 0
    limit = ref_v3.get_sqrt_ratio_at_tick(-V3_SPACING * n)
    result = V3_PEER.swap(True, 2**200, limit)
    assert result.ticks_crossed == n
    return result.amount0


def _v3_amounts(n: int) -> list[int]:
    """Distinct amounts that all cross exactly n ticks: strictly between the n-th and n+1-th."""
    lo, hi = _amount_to_cross(n), _amount_to_cross(n + 1)
    rng = random.Random(n)
    amounts = sorted(
        {
            lo + (hi - lo) * rng.randint(50, 950) // 1000 + rng.randint(0, 10**6)
            for _ in range(4 * V3_SWAPS)
        }
    )
    return rng.sample(amounts, V3_SWAPS)


@pytest.mark.parametrize("crossed", [0, 1, 10, 100])
@pytest.mark.parametrize("role", ["peer", "kernel", "kernel_cold"])
def test_v3_swap(benchmark: Any, role: str, crossed: int) -> None:
    """kernel: every swap on one pool, as a simulation or a live pool object runs them: from
    the pool's second swap on, a step that reaches an initialized tick is remembered on that tick
    (amm/v3/tick_map.rs), so later swaps over the same ranges reuse it, and so is the first step
    from the pool's state (amm/v3/pool.rs). kernel_cold: each swap on
    its own pool that has never swapped (built before the timing), the first-swap cost."""
    benchmark.group = f"amm: V3 exact-input swap crossing {crossed} initialized tick(s)"
    amounts = _v3_amounts(crossed)
    kernel = amm.V3Pool(*V3_ARGS)
    # both sides agree on every swap, and each crosses exactly `crossed` ticks
    for a in amounts[:: 16 if crossed >= 10 else 1]:
        want = V3_PEER.swap(True, a)
        got = kernel.swap(True, a)
        assert want.ticks_crossed == crossed
        assert (got.amount0, got.amount1, got.sqrt_price_x96, got.tick, got.liquidity) == (
            want.amount0,
            want.amount1,
            want.sqrt_price_x96,
            want.tick,
            want.liquidity,
        )
        assert got.ticks_crossed == crossed
    workload = f"v3_swap_cross_{crossed}"
    if role == "kernel_cold":
        _info(benchmark, workload, "kernel", "per_call_cold", len(amounts), ticks_crossed=crossed)
        out = benchmark.pedantic(
            lambda pools: [p.swap(True, a) for p, a in zip(pools, amounts, strict=True)],
            setup=lambda: (([amm.V3Pool(*V3_ARGS) for _ in amounts],), {}),
            rounds=ROUNDS,
            warmup_rounds=1,
        )
        assert out[-1].ticks_crossed == crossed
        return
    pool: Any = V3_PEER if role == "peer" else kernel
    _info(benchmark, workload, role, "per_call", len(amounts), ticks_crossed=crossed)
    out = _run(benchmark, lambda: [pool.swap(True, a) for a in amounts])
    assert out[-1].ticks_crossed == crossed


# ---------------------------------------------------------------- Uniswap V2 quotes

V2_N = scaled(100_000)


def _v2_inputs() -> tuple[list[int], list[int], list[int]]:
    """uint112-sized reserves of many pools and trade sizes from dust to a few % of the pool."""
    rng = random.Random(2)
    reserves_in = [rng.randint(10**18, 10**26) for _ in range(V2_N)]
    reserves_out = [rng.randint(10**6, 10**26) for _ in range(V2_N)]
    amounts = [max(1, r * rng.randint(1, 50_000) // 1_000_000) for r in reserves_in]
    return amounts, reserves_in, reserves_out


V2_INPUTS = _v2_inputs()
V2_WANT = ref_v2.get_amount_out_many(*V2_INPUTS)
V2_GROUP = f"amm: V2 getAmountOut, {V2_N:,} quotes"


@pytest.mark.benchmark(group=V2_GROUP)
def test_v2_quotes_peer(benchmark: Any) -> None:
    _info(benchmark, "v2_quotes", "peer", "per_call", V2_N)
    a, r_in, r_out = V2_INPUTS
    f = ref_v2.get_amount_out
    out = _run(benchmark, lambda: [f(x, y, z) for x, y, z in zip(a, r_in, r_out, strict=True)])
    assert out == V2_WANT


@pytest.mark.benchmark(group=V2_GROUP)
def test_v2_quotes_kernel_per_call(benchmark: Any) -> None:
    _info(benchmark, "v2_quotes", "kernel", "per_call", V2_N)
    a, r_in, r_out = V2_INPUTS
    f = amm.v2_amount_out
    out = _run(benchmark, lambda: [f(x, y, z) for x, y, z in zip(a, r_in, r_out, strict=True)])
    assert out == V2_WANT


@pytest.mark.benchmark(group=V2_GROUP)
def test_v2_quotes_kernel_batch(benchmark: Any) -> None:
    """Python int lists in, a Python int list out: the conversions are inside the timing."""
    _info(benchmark, "v2_quotes", "kernel", "batch", V2_N)
    out = _run(benchmark, lambda: amm.v2_amount_out_many(*V2_INPUTS))
    assert out == V2_WANT


# ---------------------------------------------------------------- StableSwap get_dy

STABLE_N = max(50, scaled(2_000))
STABLE_GROUP = f"amm: StableSwap get_dy, 3 coins, {STABLE_N:,} quotes"


def _stable_inputs() -> list[tuple[Any, ...]]:
    """3-coin pools like DAI/USDC/USDT (18, 6, 6 decimals), balances within 3x of each other,
    A from 100 to 2000, trades from 1 token to 1% of the pool; every call different."""
    rng = random.Random(3)
    rates = [10**18, 10**30, 10**30]
    calls = []
    for _ in range(STABLE_N):
        size = rng.randint(10**6, 10**9)  # whole tokens per coin
        balances = [size * rng.randint(10**18, 3 * 10**18) * 10**18 // r for r in rates]
        i, j = rng.sample(range(3), 2)
        dx = rng.randint(1, size // 100 + 1) * 10**36 // rates[i]
        amp = rng.choice([100, 200, 1000, 2000]) * ref_stable.A_PRECISION
        calls.append((i, j, dx, balances, amp, 4_000_000, rates))
    return calls


STABLE_CALLS = _stable_inputs()
STABLE_WANT = [ref_stable.get_dy(*c) for c in STABLE_CALLS]


@pytest.mark.benchmark(group=STABLE_GROUP)
@pytest.mark.parametrize("role", ["peer", "kernel"])
def test_stableswap_get_dy(benchmark: Any, role: str) -> None:
    _info(benchmark, "stableswap_get_dy_3", role, "per_call", STABLE_N, n_coins=3)
    f = ref_stable.get_dy if role == "peer" else amm.stable_get_dy
    out = _run(benchmark, lambda: [f(*c) for c in STABLE_CALLS])
    assert out == STABLE_WANT


# ---------------------------------------------------------------- order-book fills

BOOK_LEVELS = 1_000
FILL_N = scaled(100_000)
FILL_GROUP = f"amm: order book fill_many, {FILL_N:,} sizes, {BOOK_LEVELS:,}-level book"


def _book() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 1,000-level book around 2,000 (an ETH/USD-like book) and sizes from a hundredth of
    the top level to the whole side, log-uniform, all distinct."""
    rng = np.random.default_rng(4)
    half_spread = 0.05
    gaps = rng.uniform(0.005, 0.05, (2, BOOK_LEVELS))
    bid_prices = 2000.0 - half_spread - np.concatenate([[0.0], np.cumsum(gaps[0])[:-1]])
    ask_prices = 2000.0 + half_spread + np.concatenate([[0.0], np.cumsum(gaps[1])[:-1]])
    sizes = rng.lognormal(0.0, 1.0, (2, BOOK_LEVELS))
    bids = np.column_stack([bid_prices, sizes[0]])
    asks = np.column_stack([ask_prices, sizes[1]])
    total = float(asks[:, 1].sum())
    quantities = total * 10.0 ** rng.uniform(-4.0, 0.0, FILL_N)
    return bids, asks, quantities


BIDS, ASKS, QUANTITIES = _book()


@pytest.mark.benchmark(group=FILL_GROUP)
@pytest.mark.parametrize("role", ["peer", "kernel"])
def test_fill_many(benchmark: Any, role: str) -> None:
    variant = "batch" if role == "kernel" else "per_call"  # the peer loops over fill()
    _info(benchmark, "book_fill_many", role, variant, FILL_N, n_levels=BOOK_LEVELS)
    peer_book = ref_book.OrderBook(BIDS, ASKS)
    kernel_book = amm.OrderBook(BIDS, ASKS)
    book: Any = peer_book if role == "peer" else kernel_book
    out = _run(benchmark, lambda: book.fill_many("buy", QUANTITIES))
    other = (kernel_book if role == "peer" else peer_book).fill_many("buy", QUANTITIES[:1000])
    assert out.levels[:1000].tolist() == other.levels.tolist()
    for field in ("filled", "cost", "average_price", "worst_price", "slippage_bps"):
        np.testing.assert_allclose(getattr(out, field)[:1000], getattr(other, field), rtol=1e-9)
