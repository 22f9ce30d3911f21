"""Route finding over a live pool graph, in Rust.

A :class:`PoolGraph` lives across calls: pools are added, updated (as Sync, Swap, Mint and Burn
events arrive) and removed in place. Routes are judged by what they really return: every
figure is an exact simulation with the AMM kernels (``zippifi.amm``), net of gas valued at the
graph's price of the wrapped native token. Addresses are accepted in any case and returned
checksummed; amounts are Python ints in raw token units.

- ``graph.best_route(token_in, token_out, amount_in, max_hops=3, gas_price_wei=0)``
  -> :class:`Route`
- ``graph.best_route_exact_out(token_in, token_out, amount_out, ...)`` -> :class:`Route`
- ``graph.split_route(token_in, token_out, amount_in, max_splits=4, ...)`` -> :class:`SplitRoute`
- ``graph.arbitrage_cycles(start_token, max_hops=4)`` and
  ``graph.arbitrage_after_update(pool_address)`` -> list of :class:`Cycle`
- ``graph.best_routes([(token_in, token_out, amount_in), ...])`` answers many quotes at once on
  every core, with the GIL released.

The search is exhaustive over simple paths, pruned only by bounds that never cut off the
optimum, so ``best_route`` equals ``best_route_exhaustive`` (which simulates every path).
No route raises :class:`~zippifi.errors.RouteNotFound`. Arbitrage cycles are those whose
marginal rates (StableSwap without its fee, which rounds to nothing at dust sizes) multiply to
more than 1, each sized at its most profitable input; a cycle that returns a few wei more than it
takes only through StableSwap's integer rounding at dust sizes is not reported. ``max_hops``
defaults to 3 (4 for ``arbitrage_cycles``) and ``max_splits`` to 4 when left as None. The
default gas model (gas units) is ``graph.gas_model``: ``base`` once per transaction, a hop term
per pool type (``v2_hop``, ``v3_hop``, ``stable_hop``) and ``v3_tick`` per initialized V3 tick
crossed; pass
``gas_model={...}`` to override any of them for one query, or assign ``graph.gas_model``.
"""

from __future__ import annotations

from zippifi._core import Cycle, PoolGraph, Route, SplitRoute
from zippifi.errors import CorruptGraphError, InvalidRouteInputError, RouteNotFound

__all__ = [
    "CorruptGraphError",
    "Cycle",
    "InvalidRouteInputError",
    "PoolGraph",
    "Route",
    "RouteNotFound",
    "SplitRoute",
]
