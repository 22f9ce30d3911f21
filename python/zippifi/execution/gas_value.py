"""Gas valued in the token a fill bought: the fill's ``gas_cost_quote``."""

from __future__ import annotations

from dataclasses import replace

from zippifi.domain import FillReport
from zippifi.errors import RouteNotFound
from zippifi.route import PoolGraph


def gas_in_token(graph: PoolGraph, native: str | None, token: str, wei: int) -> int | None:
    """What ``wei`` of the native coin would buy of ``token``: the exact quote of the graph's
    best route from ``native`` (the wrapped native token) at the graph's state now (``wei``
    itself when ``token`` is the wrapped native one). None without a wrapped native token or a
    route to ``token``."""
    if native is None:
        return None
    if token.lower() == native.lower() or wei == 0:
        return wei
    try:
        return graph.best_route(native, token, wei).amount_out
    except RouteNotFound:
        return None


def with_gas_value(graph: PoolGraph, native: str | None, fill: FillReport) -> FillReport:
    """``fill`` with its gas valued in its ``token_out`` (when it paid gas and has no value)."""
    if fill.gas_cost_native is None or fill.gas_cost_quote is not None:
        return fill
    value = gas_in_token(graph, native, fill.token_out, fill.gas_cost_native)
    return replace(fill, gas_cost_quote=value)
