"""Hypothesis generators for small pool markets that make routes meaningful.

Every token has a global price (log10 of one token of 1e18 raw units, in a common numeraire);
each pool quotes it with a few percent of noise, so paths compete and cycles can profit.
Tokens 0-2 are a pegged group (price 1) that StableSwap pools join. The first n-1 pools form
a random tree (every token reachable); the rest pick random pairs, often one that already has
a pool (parallel pools). V3 pools have several positions (some away from the price, some a
single spacing wide), sometimes an initialized tick with liquidityNet 0, a price anywhere in
its tick (sometimes exactly on one), and the active liquidity the ticks imply; "thin" V3 pools
have only narrow, shallow positions so big amounts exhaust them.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

from zippifi import amm

from .market import Market, PoolSpec, StableSpec, V2Spec, V3Spec, address_of

PEGGED = 3  # tokens 0..2
NATIVE_INDEX = 3
V3_TIERS = ((500, 10), (3000, 60), (10000, 200))
V2_FEES = (30, 5, 100)
RAW = 10**18


def token(k: int) -> str:
    return address_of(f"token {k}")


def pool_address(k: int) -> str:
    return address_of(f"pool {k}")


def _v3(
    draw: st.DrawFn, address: str, a: str, b: str, log_a: float, log_b: float, depth: float
) -> V3Spec:
    t0, t1 = sorted((a, b), key=lambda x: int(x, 16))
    log0, log1 = (log_a, log_b) if t0 == a else (log_b, log_a)
    fee, spacing = draw(st.sampled_from(V3_TIERS))
    noise = draw(st.floats(-0.02, 0.02))
    price = 10 ** (log0 - log1 + noise)  # token1 raw per token0 raw
    base_tick = math.floor(math.log(price) / math.log(1.0001))
    lo_s, hi_s = amm.get_sqrt_ratio_at_tick(base_tick), amm.get_sqrt_ratio_at_tick(base_tick + 1)
    where = draw(st.sampled_from(["inside", "inside", "inside", "on tick", "on spacing"]))
    if where == "on spacing":
        sqrt_price = amm.get_sqrt_ratio_at_tick(base_tick // spacing * spacing)
    elif where == "on tick":
        sqrt_price = lo_s
    else:
        sqrt_price = lo_s + int((hi_s - lo_s) * draw(st.floats(0, 0.999)))
    tick = amm.get_tick_at_sqrt_ratio(sqrt_price)
    thin = draw(st.booleans()) and draw(st.booleans())
    # virtual token0 reserve ~ depth tokens: L = x * sqrtP
    big_l = depth * 10 ** (18 - log0) * math.sqrt(price) * (0.01 if thin else 1.0)
    centre = tick // spacing
    nets: dict[int, int] = {}
    for _ in range(draw(st.integers(1, 4))):
        lower = centre + draw(st.integers(-3 if thin else -40, 2 if thin else 20))
        width = draw(st.integers(1, 3 if thin else 60))
        liq = max(1, int(big_l * 10 ** draw(st.floats(-1.5, 0.5))))
        for t, d in ((lower * spacing, liq), ((lower + width) * spacing, -liq)):
            nets[t] = nets.get(t, 0) + d
    if draw(st.booleans()):
        free = [centre + k for k in range(-5, 6) if (centre + k) * spacing not in nets]
        nets[draw(st.sampled_from(free)) * spacing] = 0
    liquidity = sum(n for t, n in nets.items() if t <= tick)
    return V3Spec(
        address, t0, t1, sqrt_price, tick, liquidity, fee, spacing, tuple(sorted(nets.items()))
    )


@st.composite
def markets(
    draw: st.DrawFn,
    min_tokens: int = 5,
    max_tokens: int = 9,
    min_pools: int = 10,
    max_pools: int = 25,
    stable: bool = True,
    v3_weight: int = 3,
) -> Market:
    n = draw(st.integers(min_tokens, max_tokens))
    tokens = [token(k) for k in range(n)]
    logp = [0.0] * PEGGED + [draw(st.floats(-3, 3)) for _ in range(n - PEGGED)]
    n_pools = draw(st.integers(max(min_pools, n - 1), max_pools))
    pairs: list[tuple[int, int]] = []
    pools: list[PoolSpec] = []
    kinds = ["v2"] * 2 + ["v3"] * v3_weight + (["stable"] if stable else [])
    for k in range(n_pools):
        if k < n - 1:
            a, b = k + 1, draw(st.integers(0, k))
        elif pairs and draw(st.integers(0, 2)) == 0:
            a, b = draw(st.sampled_from(pairs))
        else:
            a = draw(st.integers(0, n - 1))
            b = draw(st.integers(0, n - 2))
            b = b + 1 if b >= a else b
        kind = draw(st.sampled_from(kinds))
        if kind == "stable" and k >= n - 1:  # a StableSwap pool joins pegged tokens
            a, b = draw(st.permutations(range(PEGGED)))[:2]
        pairs.append((a, b))
        depth = 10 ** draw(st.floats(0, 6))  # numeraire units on each side
        addr = pool_address(k)
        if kind == "stable" and a < PEGGED and b < PEGGED:
            members = [a, b]
            if draw(st.booleans()):
                members = [m for m in range(PEGGED)]
            bal = tuple(int(depth * RAW * 10 ** draw(st.floats(-0.3, 0.3))) + 1 for _ in members)
            amp = draw(st.sampled_from([1_000, 10_000, 200_000]))
            fee = draw(st.sampled_from([1_000_000, 4_000_000]))
            pools.append(StableSpec(addr, tuple(tokens[m] for m in members), bal, amp, fee))
        elif kind == "v3":
            pools.append(_v3(draw, addr, tokens[a], tokens[b], logp[a], logp[b], depth))
        else:
            noise = draw(st.floats(-0.02, 0.02))
            r0 = int(depth * 10 ** (18 - logp[a])) + 1
            r1 = int(depth * 10 ** (18 - logp[b] + noise)) + 1
            fee_bps = draw(st.sampled_from(V2_FEES))
            pools.append(V2Spec(addr, tokens[a], tokens[b], r0, r1, fee_bps))
    return Market(tuple(tokens), tuple(pools), tokens[NATIVE_INDEX])


def amounts(token_index: int | None = None) -> st.SearchStrategy[int]:
    """Raw amounts over many magnitudes: dust to far beyond any pool's depth."""
    return st.builds(lambda m, e: m * 10**e, st.integers(1, 999), st.integers(0, 25))


@st.composite
def queries(draw: st.DrawFn, market: Market) -> tuple[str, str, int]:
    src, dst = draw(st.permutations(market.tokens))[:2]
    return src, dst, draw(amounts())
