"""A seeded, realistic pool graph for the routing benchmarks and scale tests.

1,000 tokens and 5,000 pools by default: mostly Uniswap V2 and V3 (10 to 200 initialized ticks
each), some 3-coin StableSwap pools among the stablecoins, at most 6 pools per token pair. Token
popularity is Zipf-like, so a few hub tokens (the wrapped native token, stablecoins, a BTC) carry
most pools and degrees follow a power law; pool TVL is log-normal. Each token has a global USD
price and each pool quotes it with a little noise (0.3%), so routes are meaningful and arbitrage
exists -- more of it than on a real chain, where bots close it.

The same description builds a ``zippifi.route.PoolGraph`` and the pure-Python peer's model
(``tests.reference``), so both sides of a benchmark see identical pools.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from zippifi import amm
from zippifi.route import PoolGraph

Q96 = 2**96
N_HUBS = 8
MAX_PARALLEL = 6  # pools per token pair
STABLES = (1, 2, 3)  # token indices priced at $1 (with token 0 the wrapped native token)


@dataclass
class Token:
    address: str
    decimals: int
    usd: float  # USD per whole token

    def raw_per_usd(self) -> float:
        return 10**self.decimals / self.usd


@dataclass
class PoolSpec:
    kind: str  # "v2" | "v3" | "stable"
    address: str
    tokens: list[int]
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class BenchGraph:
    tokens: list[Token]
    pools: list[PoolSpec]
    weights: list[float]  # token popularity, for drawing queries

    @property
    def wrapped_native(self) -> str:
        return self.tokens[0].address

    def build(self) -> PoolGraph:
        g = PoolGraph(wrapped_native=self.wrapped_native)
        for t in self.tokens:
            g.set_token(t.address, decimals=t.decimals)
        for p in self.pools:
            addrs = [self.tokens[k].address for k in p.tokens]
            if p.kind == "v2":
                g.add_v2_pool(p.address, addrs[0], addrs[1], **p.args)
            elif p.kind == "v3":
                g.add_v3_pool(p.address, addrs[0], addrs[1], **p.args)
            else:
                g.add_stable_pool(p.address, addrs, **p.args)
        return g

    def queries(self, n: int, seed: int) -> list[tuple[str, str, int]]:
        """Random exact-input quotes: popular tokens more often, $10 to $1M in value."""
        rng = random.Random(seed)
        idx = range(len(self.tokens))
        out = []
        while len(out) < n:
            a, b = rng.choices(idx, weights=self.weights, k=2)
            if a == b:
                continue
            usd = 10 ** rng.uniform(1, 6)
            amount = int(usd * self.tokens[a].raw_per_usd())
            if amount > 0:
                out.append((self.tokens[a].address, self.tokens[b].address, amount))
        return out


def _address(tag: int, k: int) -> str:
    return "0x" + f"{tag:02x}" + f"{k:038x}"


def _sqrt_price_x96(price_raw: float) -> int:
    """sqrtPriceX96 of a raw-unit price (token1 per token0), clamped into the valid range."""
    s = int(math.sqrt(price_raw) * Q96)
    return min(max(s, amm.MIN_SQRT_RATIO + 1), amm.MAX_SQRT_RATIO - 2)


def _v3_args(rng: random.Random, t0: Token, t1: Token, tvl: float, noise: float) -> dict[str, Any]:
    fee, spacing = rng.choice([(500, 10), (3000, 60), (3000, 60), (10000, 200)])
    price = (t0.usd / t1.usd) * 10 ** (t1.decimals - t0.decimals) * noise
    sqrt_p = _sqrt_price_x96(price)
    tick = amm.get_tick_at_sqrt_ratio(sqrt_p)
    n_positions = rng.randint(5, 100)
    # Liquidity per position so that the pool's in-range value is about its TVL.
    l_total = tvl / 2 * t1.raw_per_usd() / (sqrt_p / Q96)
    ticks: dict[int, int] = {}
    base = (tick // spacing) * spacing
    for _ in range(n_positions):
        width = spacing * rng.choice([1, 2, 5, 10, 30, 100, 500])
        center = base + spacing * round(rng.gauss(0, 20))
        lo = max(amm.MIN_TICK // spacing * spacing + spacing, center - width)
        hi = min(amm.MAX_TICK // spacing * spacing - spacing, center + width)
        if lo >= hi:
            continue
        liq = int(l_total / n_positions * rng.lognormvariate(0, 1))
        if liq <= 0:
            continue
        ticks[lo] = ticks.get(lo, 0) + liq
        ticks[hi] = ticks.get(hi, 0) - liq
    active = sum(net for t, net in ticks.items() if t <= tick)
    return {
        "sqrt_price_x96": sqrt_p,
        "tick": tick,
        "liquidity": max(active, 0),
        "fee": fee,
        "tick_spacing": spacing,
        "ticks": ticks,
    }


def make_graph(
    n_tokens: int = 1000, n_pools: int = 5000, seed: int = 20261124, v3_share: float = 0.45
) -> BenchGraph:
    rng = random.Random(seed)
    tokens: list[Token] = []
    for k in range(n_tokens):
        if k == 0:
            tokens.append(Token(_address(0xE0, k), 18, 3000.0))  # wrapped native
        elif k in STABLES:
            tokens.append(Token(_address(0xE0, k), 6 if k < 3 else 18, 1.0))
        elif k == 4:
            tokens.append(Token(_address(0xE0, k), 8, 60000.0))
        else:
            decimals = rng.choice([18, 18, 18, 6, 8, 9])
            tokens.append(Token(_address(0xE0, k), decimals, 10 ** rng.uniform(-4, 3)))
    # Zipf-like popularity: hubs first, then a long tail.
    weights = [1.0 / (k + 1) ** 1.1 if k >= N_HUBS else 2.0 for k in range(n_tokens)]
    pools: list[PoolSpec] = []
    # Every token gets at least one pool to a hub, so the graph is connected.
    pairs = [(k, rng.randrange(N_HUBS)) for k in range(N_HUBS, n_tokens)]
    per_pair: dict[tuple[int, int], int] = {}
    for a, b in pairs:
        per_pair[min(a, b), max(a, b)] = 1
    while len(pairs) < n_pools:
        a, b = rng.choices(range(n_tokens), weights=weights, k=2)
        key = (min(a, b), max(a, b))
        # As on a real chain, a pair has a handful of pools (V2, V3 fee tiers, a fork or two),
        # not hundreds: without the cap the hub pairs would take most draws.
        if a != b and per_pair.get(key, 0) < MAX_PARALLEL:
            per_pair[key] = per_pair.get(key, 0) + 1
            pairs.append((a, b))
    n_stable = 0
    for k, (a, b) in enumerate(pairs[:n_pools]):
        a, b = min(a, b), max(a, b)
        t0, t1 = tokens[a], tokens[b]
        tvl = rng.lognormvariate(math.log(200_000), 1.8)
        if a in (0, 4) or b in (0, 4) or (a in STABLES and b in STABLES):
            tvl *= 50  # the majors are deep
        noise = 1 + rng.gauss(0, 0.003)
        address = _address(0xB0, k)
        if a in STABLES and b in STABLES and n_stable < 20:
            n_stable += 1
            coins = list(STABLES)
            balances = [
                int(tvl / 3 * tokens[c].raw_per_usd() * rng.uniform(0.9, 1.1)) for c in coins
            ]
            rates = [10 ** (36 - tokens[c].decimals) for c in coins]
            pools.append(
                PoolSpec(
                    "stable",
                    address,
                    coins,
                    {
                        "balances": balances,
                        "amp": 200 * 100,
                        "fee": 4_000_000,
                        "rates": rates,
                    },
                )
            )
        elif rng.random() < v3_share:
            pools.append(PoolSpec("v3", address, [a, b], _v3_args(rng, t0, t1, tvl, noise)))
        else:
            r0 = int(tvl / 2 * t0.raw_per_usd())
            r1 = int(tvl / 2 * t1.raw_per_usd() * noise)
            r0, r1 = min(max(r0, 1000), 2**112 - 1), min(max(r1, 1000), 2**112 - 1)
            fee_bps = rng.choice([30, 30, 30, 25, 5, 100])
            pools.append(
                PoolSpec(
                    "v2", address, [a, b], {"reserve0": r0, "reserve1": r1, "fee_bps": fee_bps}
                )
            )
    return BenchGraph(tokens, pools, weights)
