"""Arbitrage scanner: after each pool update, the profitable cycles through that pool.

:class:`ArbitrageScanner` asks the graph (``PoolGraph.arbitrage_after_update``) for the simple
cycles of 2 to ``max_hops`` pools that run through the updated pool, each sized at its most
profitable input by exact simulation on the AMM kernels, and keeps those whose profit net of gas
reaches the threshold of their start token. Gas is ``gas_estimate`` units (the graph's gas model)
at ``gas_price_wei``, valued in the start token at the graph's price of the wrapped native token;
a graph without a wrapped native token prices gas at 0, so net equals gross there.

Feed it :class:`~zippifi.market.PoolSyncBatch` results (:meth:`scan_batch`), or single
updates (:meth:`check`). Amounts are exact ints in raw units of the start token.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zippifi.errors import InvalidInputError, ZippiError
from zippifi.market.pool_state import PoolSyncBatch
from zippifi.route import Cycle, PoolGraph
from zippifi.settings import ArbitrageSettings
from zippifi.sign import to_checksum_address


@dataclass(frozen=True, slots=True)
class ArbitrageOpportunity:
    """A cycle ``tokens[0] -> ... -> tokens[0]`` through ``pools``, sized: put ``amount_in`` in,
    get ``amount_out`` back (``amounts`` after each leg). ``profit_net = profit - gas_cost``,
    all in raw units of ``tokens[0]``, at the state after ``block``; ``trigger`` is the pool
    whose update found it."""

    block: int
    trigger: str
    pools: tuple[str, ...]
    tokens: tuple[str, ...]
    amounts: tuple[int, ...]
    amount_in: int
    amount_out: int
    profit: int
    gas_estimate: int
    gas_cost: int
    profit_net: int
    ticks_crossed: tuple[int, ...]

    @property
    def token(self) -> str:
        """The start (and end) token, in which every amount here is counted."""
        return self.tokens[0]

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """Identifies the cycle (start token and pools in order) across updates."""
        return self.tokens[0], self.pools

    @classmethod
    def from_cycle(cls, cycle: Cycle, *, block: int, trigger: str) -> ArbitrageOpportunity:
        return cls(
            block=block, trigger=trigger, pools=tuple(cycle.pools), tokens=tuple(cycle.tokens),
            amounts=tuple(cycle.amounts), amount_in=cycle.amount_in, amount_out=cycle.amount_out,
            profit=cycle.profit, gas_estimate=cycle.gas_estimate, gas_cost=cycle.gas_cost,
            profit_net=cycle.profit_net, ticks_crossed=tuple(cycle.ticks_crossed),
        )  # fmt: skip


def _amount(value: object, what: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"arbitrage scanner: {what} must be an int, got {value!r}")
    if value < least:
        raise InvalidInputError(f"arbitrage scanner: {what} must be >= {least}, got {value}")
    return value


def _address(value: str, what: str) -> str:
    """``value`` checksummed: any case names the same address, as in the graph; a mixed-case
    spelling with a wrong checksum is refused."""
    try:
        return to_checksum_address(value)
    except ZippiError as exc:
        raise InvalidInputError(f"arbitrage scanner: {what} {value!r}: {exc}") from None


class ArbitrageScanner:
    """Profitable cycles through updated pools of ``graph``."""

    def __init__(
        self,
        graph: PoolGraph,
        *,
        max_hops: int = 3,
        min_profit: int = 1,
        min_profit_by_token: Mapping[str, int] | None = None,
        gas_price_wei: int = 0,
        gas_model: dict[str, int] | None = None,
    ) -> None:
        self.graph = graph
        self.max_hops = _amount(max_hops, "max_hops", 2)
        self.min_profit = _amount(min_profit, "min_profit", 1)
        self.min_profit_by_token: dict[str, int] = {}
        for token, amount in (min_profit_by_token or {}).items():
            address = _address(token, "token")
            self.min_profit_by_token[address] = _amount(amount, f"min profit of {token}", 1)
        # the least threshold: the graph filters by it, then each token's own applies
        self._floor = min([self.min_profit, *self.min_profit_by_token.values()])
        self.gas_price_wei = gas_price_wei
        self.gas_model = gas_model

    @classmethod
    def from_settings(cls, graph: PoolGraph, settings: ArbitrageSettings) -> ArbitrageScanner:
        return cls(
            graph, max_hops=settings.max_hops, min_profit=settings.min_profit,
            min_profit_by_token=settings.min_profit_by_token,
            gas_price_wei=settings.gas_price_wei,
        )  # fmt: skip

    @property
    def gas_price_wei(self) -> int:
        return self._gas_price_wei

    @gas_price_wei.setter
    def gas_price_wei(self, value: int) -> None:
        """Set the live gas price (wei per gas unit) before scanning a block."""
        self._gas_price_wei = _amount(value, "gas_price_wei", 0)

    def threshold(self, token: str) -> int:
        """The least profit net of gas reported for cycles starting at ``token`` (any case)."""
        return self.min_profit_by_token.get(_address(token, "token"), self.min_profit)

    def check(self, pool: str, block: int) -> list[ArbitrageOpportunity]:
        """The verdict on one pool update: the profitable cycles through ``pool``, most
        profitable first (empty when the pool is not in the graph); ``pool`` in any case."""
        pool = _address(pool, "pool")
        if pool not in self.graph:
            return []
        cycles = self.graph.arbitrage_after_update(
            pool, max_hops=self.max_hops, gas_price_wei=self._gas_price_wei,
            min_profit=self._floor, gas_model=self.gas_model,
        )  # fmt: skip
        by_token = self.min_profit_by_token
        return [
            ArbitrageOpportunity.from_cycle(c, block=block, trigger=pool)
            for c in cycles
            # the kernel returns checksummed addresses, the keys' form
            if not by_token or c.profit_net >= by_token.get(c.tokens[0], self.min_profit)
        ]

    def scan(self, pools: Iterable[str], block: int) -> list[ArbitrageOpportunity]:
        """The verdicts on several updated pools, each cycle once (the first pool that found
        it is its trigger), most profitable first within each start token."""
        seen: dict[tuple[str, tuple[str, ...]], ArbitrageOpportunity] = {}
        for pool in pools:
            for opp in self.check(pool, block):
                seen.setdefault(opp.key, opp)
        return sorted(seen.values(), key=lambda o: (o.token, -o.profit_net))

    def scan_batch(self, batch: PoolSyncBatch) -> list[ArbitrageOpportunity]:
        """The cycles through every pool a sync batch changed, at the batch's end block."""
        return self.scan(batch.changed, batch.to_block)


__all__ = ["ArbitrageOpportunity", "ArbitrageScanner"]
