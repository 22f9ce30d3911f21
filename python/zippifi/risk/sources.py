"""Where the gate reads prices and positions: the vault's own oracle (the prices its on-chain
rules use) or the pool graph (a mark for a backtest), and the vault's token balances."""

from __future__ import annotations

from fractions import Fraction

from zippifi.chain import ChainAdapter, call_view
from zippifi.chain.artifacts import load
from zippifi.risk.gate import Price
from zippifi.risk.sizing import reference_rate
from zippifi.route import PoolGraph
from zippifi.sign import to_checksum_address

_VAULT = load("ZippiVault")
_ERC20 = load("ZippiTestToken")  # any ERC-20's balanceOf
# oracle quotes are asked for this many raw units: the vault rounds its answer down, and at
# 10**24 units the rounding is far below a raw unit of any real price
ORACLE_UNIT = 10**24


class VaultOraclePrices:
    """Prices in ``quote`` raw units per raw unit, from the vault's ``oracleMinOut`` (its feeds,
    as its own rules read them); the version is the block they were read at."""

    def __init__(self, adapter: ChainAdapter, vault: str, quote: str) -> None:
        self.adapter = adapter
        self.vault = to_checksum_address(vault)
        self.quote = to_checksum_address(quote)

    async def price(self, token: str) -> Price:
        block = await self.adapter.block_number()
        if to_checksum_address(token) == self.quote:
            return Price(Fraction(1), f"block {block}")
        implied, _ = await call_view(self.adapter, self.vault, _VAULT, "oracleMinOut",
                                     to_checksum_address(token), self.quote, ORACLE_UNIT,
                                     block=block)  # fmt: skip
        return Price(Fraction(int(implied), ORACLE_UNIT), f"block {block}")


class GraphPrices:
    """Prices marked on the pool graph against ``quote`` (a backtest's, or where no oracle is
    wanted): the reference rate of a sliver of a trade; the version is ``pool``."""

    def __init__(self, graph: PoolGraph, quote: str, max_hops: int = 3) -> None:
        self.graph = graph
        self.quote = to_checksum_address(quote)
        self.max_hops = max_hops

    async def price(self, token: str) -> Price:
        if to_checksum_address(token) == self.quote:
            return Price(Fraction(1), "pool")
        return Price(reference_rate(self.graph, token, self.quote, self.max_hops), "pool")


class VaultBalances:
    """A vault's token balances on chain (its positions: the vault holds the funds)."""

    def __init__(self, adapter: ChainAdapter, vault: str) -> None:
        self.adapter = adapter
        self.vault = to_checksum_address(vault)

    async def balance(self, account_id: int, token: str) -> int:
        answer = await call_view(self.adapter, to_checksum_address(token), _ERC20, "balanceOf",
                                 self.vault)  # fmt: skip
        return int(answer)
