"""Stress tests: positions revalued exactly under shocked pool states.

Positions are raw token balances (ints). A position's value is what selling all of it into the
pools would return in the quote token: the route kernel's best route (``PoolGraph.best_route``,
an exact simulation on the AMM kernels, so price impact counts), each position sold alone into
the same pools (not one after another: positions sharing a pool are each valued as if first).
A position with no route that absorbs it is valued at 0 and listed as unroutable; the quote
token is worth its balance. A scenario drains pools first, then arbitrages every pool to the
shocked prices (:mod:`zippifi.risk.shocks`); price moves are relative to all other tokens, so a
shock on the quote token itself revalues everything else against it. PnL is shocked value
minus current value, in raw units of the quote token, per position and in total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from zippifi.errors import InvalidRiskInputError, RouteNotFound
from zippifi.risk.shocks import (
    PoolState,
    V2PoolState,
    V3PoolState,
    drain,
    reprice,
)
from zippifi.route import PoolGraph
from zippifi.sign import to_checksum_address

MAX_HOPS = 3


@dataclass(frozen=True)
class Scenario:
    """``prices``: token -> its new price over its current one, against every other token;
    ``liquidity``: pool -> the fraction of its liquidity left, in (0, 1]."""

    name: str
    prices: Mapping[str, Fraction] = field(default_factory=dict)
    liquidity: Mapping[str, Fraction] = field(default_factory=dict)

    def __post_init__(self) -> None:
        prices = {to_checksum_address(t): _fraction(f, f"{self.name}: price of {t}")
                  for t, f in self.prices.items()}  # fmt: skip
        left = {to_checksum_address(p): _fraction(f, f"{self.name}: liquidity of {p}")
                for p, f in self.liquidity.items()}  # fmt: skip
        for pool, f in left.items():
            if f > 1:
                raise InvalidRiskInputError(
                    f"{self.name}: liquidity of {pool} must be a fraction in (0, 1], got {f}"
                )
        object.__setattr__(self, "prices", prices)
        object.__setattr__(self, "liquidity", left)


def depeg(token: str, price: Fraction | float = Fraction(9, 10)) -> Scenario:
    """A stablecoin trading at ``price`` of its peg (0.90: it loses 10% against everything)."""
    return Scenario(
        f"{token} depegs to {float(price):g}", prices={token: _fraction(price, "price")}
    )


def price_move(token: str, change: Fraction | float = Fraction(-3, 10)) -> Scenario:
    """A token's price moving by ``change`` (-0.3: down 30%) against every other token."""
    move = 1 + _fraction_signed(change)
    return Scenario(f"{token} moves by {float(change):+.2%}", prices={token: move})


def drained(pool: str, left: Fraction | float = Fraction(1, 10)) -> Scenario:
    """A pool left with ``left`` of its liquidity (0.1: 90% withdrawn)."""
    return Scenario(
        f"{pool} drained to {float(left):.0%}", liquidity={pool: _fraction(left, "left")}
    )


@dataclass(frozen=True)
class Valuation:
    """Value of each position in raw units of the quote token; unroutable positions are 0."""

    values: dict[str, int]
    unroutable: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(self.values.values())


@dataclass(frozen=True)
class StressResult:
    scenario: Scenario
    pools: tuple[PoolState, ...]  # the shocked states
    before: Valuation
    after: Valuation
    pnl: dict[str, int]  # per position, raw units of the quote token

    @property
    def total_pnl(self) -> int:
        return sum(self.pnl.values())


def graph_of(pools: Iterable[PoolState], wrapped_native: str | None = None) -> PoolGraph:
    """A route graph holding these pool states."""
    graph = PoolGraph(wrapped_native)
    for p in pools:
        if isinstance(p, V2PoolState):
            graph.add_v2_pool(p.address, p.token0, p.token1, p.reserve0, p.reserve1, p.fee_bps)
        elif isinstance(p, V3PoolState):
            graph.add_v3_pool(p.address, p.token0, p.token1, p.sqrt_price_x96, p.tick,
                              p.liquidity, p.fee, p.tick_spacing, dict(p.ticks))  # fmt: skip
        else:
            graph.add_stable_pool(p.address, list(p.tokens), list(p.balances), p.amp, p.fee,
                                  None if p.rates is None else list(p.rates))  # fmt: skip
    return graph


def value_positions(
    graph: PoolGraph, positions: Mapping[str, int], quote: str, max_hops: int = MAX_HOPS
) -> Valuation:
    """Each position's exact sale value into the graph's pools, in the quote token."""
    quote = to_checksum_address(quote)
    values: dict[str, int] = {}
    unroutable: list[str] = []
    for token, amount in _positions(positions).items():
        if token == quote or amount == 0:
            values[token] = amount if token == quote else 0
            continue
        try:
            values[token] = graph.best_route(token, quote, amount, max_hops=max_hops).amount_out
        except RouteNotFound:
            values[token] = 0
            unroutable.append(token)
    return Valuation(values, tuple(unroutable))


def shock(pools: Sequence[PoolState], scenario: Scenario) -> tuple[PoolState, ...]:
    """The pool states after the scenario: drains first, then every pool arbitraged to the
    shocked prices."""
    addresses = {p.address for p in pools}
    tokens = {t for p in pools for t in p.tokens}
    for pool in scenario.liquidity:
        if pool not in addresses:
            raise InvalidRiskInputError(f"{scenario.name}: pool {pool} is not among the pools")
    for token in scenario.prices:
        if token not in tokens:
            raise InvalidRiskInputError(f"{scenario.name}: token {token} is in no pool")
    out = []
    for p in pools:
        left = scenario.liquidity.get(p.address)
        p = p if left is None else drain(p, left)
        out.append(reprice(p, scenario.prices))
    return tuple(out)


def stress_test(
    pools: Sequence[PoolState],
    positions: Mapping[str, int],
    quote: str,
    scenarios: Iterable[Scenario],
    *,
    max_hops: int = MAX_HOPS,
    wrapped_native: str | None = None,
) -> list[StressResult]:
    """Each scenario's shocked pools, the positions' values before and after, and the PnL."""
    before = value_positions(graph_of(pools, wrapped_native), positions, quote, max_hops)
    results = []
    for scenario in scenarios:
        shocked = shock(pools, scenario)
        after = value_positions(graph_of(shocked, wrapped_native), positions, quote, max_hops)
        pnl = {t: after.values[t] - v for t, v in before.values.items()}
        results.append(StressResult(scenario, shocked, before, after, pnl))
    return results


def _positions(positions: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for token, amount in positions.items():
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InvalidRiskInputError(
                f"position in {token}: expected a raw token balance (int >= 0), got {amount!r}"
            )
        key = to_checksum_address(token)
        if key in out:
            raise InvalidRiskInputError(f"position in {key} is given twice")
        out[key] = amount
    return out


def _fraction_signed(value: Fraction | float) -> Fraction:
    """An exact fraction; a float is read as the decimal it was written as (0.9 is 9/10)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        raise InvalidRiskInputError(f"expected a number, got {value!r}")
    try:
        return value if isinstance(value, Fraction) else Fraction(repr(value))
    except (ValueError, OverflowError):
        raise InvalidRiskInputError(f"expected a finite number, got {value!r}") from None


def _fraction(value: Fraction | float, what: str) -> Fraction:
    """A positive exact fraction."""
    try:
        out = _fraction_signed(value)
    except InvalidRiskInputError:
        out = Fraction(0)
    if out <= 0:
        raise InvalidRiskInputError(f"{what}: expected a positive number, got {value!r}")
    return out
