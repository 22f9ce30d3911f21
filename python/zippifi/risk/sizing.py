"""Exact sizing on the pool graph: price impact of a quote, and the largest amount a monotone
rule allows, found by bisection down to one raw unit (never by halving the trade)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from zippifi.errors import RouteNotFound
from zippifi.route import PoolGraph

BPS = 10_000
PRECISION = 10**6  # the reference quote has at least this many raw units out
MAX_PROBE = 2**200


def reference_rate(graph: PoolGraph, token_in: str, token_out: str, max_hops: int = 3) -> Fraction:
    """The near-marginal rate (token_out units per token_in unit) price impact is measured
    against: the quote of the smallest power of ten >= 10**6 raw units that buys at least
    10**6 raw units out (six significant digits, a sliver of any real pool). It depends on the
    graph's state only, not on the size being judged, so impact only grows with size and a
    size found by search is judged the same when it is asked about again."""
    probe = PRECISION
    while True:
        try:  # a probe that buys nothing has no route (the kernel says so)
            out = graph.best_route(token_in, token_out, probe, max_hops=max_hops).amount_out
        except RouteNotFound:
            out = 0
        if out >= PRECISION or probe >= MAX_PROBE:
            break
        probe *= 10
    if out == 0:
        raise RouteNotFound(f"no route from {token_in} to {token_out} to price a trade on")
    return Fraction(out, probe)


def impact_bps(graph: PoolGraph, token_in: str, token_out: str, amount: int, rate: Fraction,
               max_hops: int = 3) -> Fraction:  # fmt: skip
    """How much worse than ``rate`` the exact quote of ``amount`` is, in bps (exact)."""
    if rate == 0:
        return Fraction(BPS)
    try:
        out = graph.best_route(token_in, token_out, amount, max_hops=max_hops).amount_out
    except RouteNotFound:
        return Fraction(BPS)
    return max((1 - Fraction(out, amount) / rate) * BPS, Fraction(0))


def largest(passes: Callable[[int], bool], upto: int) -> int:
    """The largest ``a`` in ``0..upto`` with ``passes(a)`` (``passes`` monotone: true up to a
    point, false after; 0 always counts as passing). ``passes(result + 1)`` is false unless the
    result is ``upto``."""
    if passes(upto):
        return upto
    lo, hi = 0, upto  # passes(lo) (by convention for 0), not passes(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if passes(mid):
            lo = mid
        else:
            hi = mid
    return lo
