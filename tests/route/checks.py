"""Shared assertions on what the route kernel returns, and the example budget."""

from __future__ import annotations

import os
from collections import Counter

from eth_utils import is_checksum_address
from hypothesis import Phase, settings

from zippifi.route import Route

from .market import Leg, Market, Sim, gas_units, path_of

LONG = os.environ.get("ZIPPIFI_LONG_TESTS") == "1"


def examples(normal: int) -> int:
    """Examples per property: `normal` in a normal run, 10x under ZIPPIFI_LONG_TESTS=1."""
    return normal * 10 if LONG else normal


def budget(normal: int) -> settings:
    """`examples(normal)`; a normal run does not shrink a failure (each example simulates
    hundreds of paths, so shrinking takes minutes): the failing example is reported as drawn,
    and ZIPPIFI_LONG_TESTS=1 shrinks it."""
    phases = tuple(Phase) if LONG else tuple(p for p in Phase if p != Phase.shrink)
    # Normal runs are derandomized so their coverage counts are reproducible in CI; long runs
    # explore fresh examples.
    return settings(max_examples=examples(normal), phases=phases, derandomize=not LONG)


def check_shape(r: Route, src: str, dst: str) -> None:
    """A simple path from src to dst whose amounts chain, every address checksummed."""
    assert r.hops == len(r) == len(r.pools) >= 1
    assert len(r.tokens) == r.hops + 1 == len(r.amounts)
    assert len(r.ticks_crossed) == r.hops
    assert r.tokens[0] == src
    assert r.tokens[-1] == dst
    assert len(set(r.tokens)) == len(r.tokens), f"repeated token in {r.tokens}"
    assert all(is_checksum_address(a) for a in [*r.tokens, *r.pools])
    assert r.amount_in == r.amounts[0]
    assert r.amount_out == r.amounts[-1]
    assert all(isinstance(x, int) and x > 0 for x in r.amounts)
    assert r.amount_out_net == r.amount_out - r.gas_cost


def resimulate(market: Market, sim: Sim, r: Route, model: dict[str, int]) -> list[Leg]:
    """Runs the route's own path through the reference: each leg's output must be the next
    leg's input, and every amount, tick count and the gas estimate must match exactly."""
    path = path_of(r.pools, r.tokens)
    legs = sim.run(path, r.amount_in)
    assert legs is not None, f"the reference cannot run the kernel's path {path} at {r.amount_in}"
    assert [r.amount_in, *(leg.amount_out for leg in legs)] == r.amounts, (
        f"amounts do not chain: kernel {r.amounts}, legs executed in turn give "
        f"{[r.amount_in, *(leg.amount_out for leg in legs)]} on path {path}"
    )
    assert [leg.ticks_crossed for leg in legs] == r.ticks_crossed
    assert r.gas_estimate == gas_units(market, path, legs, model)
    return legs


class Coverage(Counter[str]):
    def thin(self, **minimums: int) -> dict[str, tuple[int, int]]:
        """The counts still below their minimums: (got, wanted)."""
        return {k: (self[k], v) for k, v in minimums.items() if self[k] < v}

    def require(self, **minimums: int) -> None:
        thin = self.thin(**minimums)
        assert not thin, f"coverage too thin (got, wanted): {thin}; all counts: {dict(self)}"
