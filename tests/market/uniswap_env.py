"""The real Uniswap V2/V3 factories on a local EVM, driven by the test (sync web3, through the
tests/uniswap harness) while zippifi reads the same chain through its own adapter (async).

* in process: one py-evm EthereumTester shared by the harness's ``Chain`` and an ``EvmAdapter``
  whose web3 talks to that same tester; or the node at ``ZIPPIFI_TEST_EVM_URL`` when set;
* hardhat: the tests/chain hardhat node (``ZIPPIFI_TEST_HARDHAT_URL`` or ``npx hardhat node``).

:class:`UniswapMarket` deploys TestERC20 tokens, both factories, V2Swapper and V3Callee (swaps),
V3Positions (mints and burns V3 positions it owns) and V3Lens (reads the truth), and drives them:
pairs and pools are created through the factories, V2 liquidity minted and burned by the test
account, and V3 positions minted and burned through V3Positions.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from web3 import AsyncWeb3, EthereumTesterProvider, Web3
from web3.contract import Contract
from web3.providers.eth_tester import AsyncEthereumTesterProvider

from tests.chain.hardhat import HARDHAT_CHAIN_ID
from tests.uniswap.artifacts import helper_artifact, uniswap_artifact
from tests.uniswap.chain import EVM_URL_ENV, IN_PROCESS_GAS_LIMIT, Chain, Reverted
from tests.uniswap.tickmath import FEE_TIERS, MAX_TICK, MIN_TICK, word_of
from zippifi.chain import EvmAdapter
from zippifi.settings import EMBEDDED_CHAIN_ID, ChainConfig

FUNDS = 2**200


@dataclass
class Env:
    kind: str  # "inprocess" | "hardhat" | "external"
    chain: Chain
    adapter: EvmAdapter


def inprocess_env() -> Env:
    """py-evm shared by the harness and the adapter, or the ZIPPIFI_TEST_EVM_URL node."""
    url = os.environ.get(EVM_URL_ENV)
    if url:
        chain = Chain.connect(url)
        config = ChainConfig(chain_id=chain.w3.eth.chain_id, name="external", rpc_urls=[url],
                             confirmations=0, poll_interval_s=0.05)  # fmt: skip
        return Env("external", chain, EvmAdapter(config))
    from eth_tester import EthereumTester, PyEVMBackend

    params = PyEVMBackend.generate_genesis_params({"gas_limit": IN_PROCESS_GAS_LIMIT})
    tester = EthereumTester(PyEVMBackend(genesis_parameters=params))
    chain = Chain(Web3(EthereumTesterProvider(tester)), "py-evm", IN_PROCESS_GAS_LIMIT // 2)

    def shared(url: str, timeout_s: float) -> AsyncWeb3[Any]:
        provider = AsyncEthereumTesterProvider()
        provider.ethereum_tester = tester  # the harness's chain, not a fresh one
        return AsyncWeb3(provider)

    config = ChainConfig(chain_id=EMBEDDED_CHAIN_ID, name="embedded", rpc_urls=["inprocess://"],
                         confirmations=0, poll_interval_s=0.05)  # fmt: skip
    return Env("inprocess", chain, EvmAdapter(config, web3_factory=shared))


def hardhat_env(url: str) -> Env:
    # hardhat caps one transaction's gas at 2**24 (EIP-7825), below Chain.connect's default
    chain = Chain(Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60})), "hardhat", 2**24)
    config = ChainConfig(chain_id=HARDHAT_CHAIN_ID, name="hardhat", rpc_urls=[url],
                         confirmations=0, request_timeout_s=10.0, poll_interval_s=0.05)  # fmt: skip
    return Env("hardhat", chain, EvmAdapter(config))


@dataclass(frozen=True)
class V3Truth:
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks: dict[int, tuple[int, int]]  # tick -> (liquidityGross, liquidityNet)


class UniswapMarket:
    def __init__(self, chain: Chain, n_tokens: int = 4) -> None:
        self.chain = chain
        erc20 = helper_artifact("TestERC20")
        made = [chain.deploy(erc20, f"Token {k}", f"T{k}") for k in range(n_tokens)]
        self.tokens = sorted(made, key=lambda c: int(c.address, 16))
        self.token_at = {t.address: t for t in self.tokens}
        self.v2_factory = chain.deploy(uniswap_artifact("UniswapV2Factory"), chain.account)
        self.v3_factory = chain.deploy(uniswap_artifact("UniswapV3Factory"))
        self.swapper = chain.deploy(helper_artifact("V2Swapper"))
        self.callee = chain.deploy(helper_artifact("V3Callee"))
        self.positions = chain.deploy(helper_artifact("V3Positions"))
        self.lens = chain.deploy(helper_artifact("V3Lens"))
        for t in self.tokens:
            chain.send(t.functions.mint(self.callee.address, FUNDS))
            chain.send(t.functions.mint(self.positions.address, FUNDS))
        self.pairs: dict[str, Contract] = {}
        self.pools: dict[str, Contract] = {}
        self.spacing: dict[str, int] = {}

    # creation, through the factories

    def create_pair(self, a: int, b: int) -> str:
        ta, tb = self.tokens[a].address, self.tokens[b].address
        self.chain.send(self.v2_factory.functions.createPair(ta, tb))
        address = self.chain.call(self.v2_factory.functions.getPair(ta, tb))
        self.pairs[address] = self.chain.at(uniswap_artifact("UniswapV2Pair"), address)
        return str(address)

    def create_pool(self, a: int, b: int, fee: int) -> str:
        ta, tb = self.tokens[a].address, self.tokens[b].address
        self.chain.send(self.v3_factory.functions.createPool(ta, tb, fee))
        address = self.chain.call(self.v3_factory.functions.getPool(ta, tb, fee))
        self.pools[address] = self.chain.at(uniswap_artifact("UniswapV3Pool"), address)
        self.spacing[address] = FEE_TIERS[fee]
        return str(address)

    # V2

    def v2_tokens(self, pair: str) -> tuple[str, str]:
        p = self.pairs[pair]
        return str(self.chain.call(p.functions.token0())), str(
            self.chain.call(p.functions.token1())
        )

    def v2_add(self, pair: str, amount0: int, amount1: int) -> None:
        t0, t1 = self.v2_tokens(pair)
        self.chain.send(self.token_at[t0].functions.mint(pair, amount0))
        self.chain.send(self.token_at[t1].functions.mint(pair, amount1))
        self.chain.send(self.pairs[pair].functions.mint(self.chain.account))

    def v2_remove(self, pair: str, fraction: float) -> None:
        p = self.pairs[pair]
        lp = int(self.chain.call(p.functions.balanceOf(self.chain.account)) * fraction)
        if lp == 0:
            return
        self.chain.send(p.functions.transfer(pair, lp))
        self.chain.send(p.functions.burn(self.chain.account))

    def v2_reserves(self, pair: str) -> tuple[int, int]:
        r0, r1, _ = self.chain.call(self.pairs[pair].functions.getReserves())
        return int(r0), int(r1)

    def v2_swap(self, pair: str, zero_for_one: bool, amount_in: int) -> int:
        out = self.v2_out(pair, zero_for_one, amount_in)
        self.chain.send(self.swapper.functions.swap(pair, zero_for_one, amount_in, out))
        return out

    def v2_out(self, pair: str, zero_for_one: bool, amount_in: int) -> int:
        """What the pair pays for amount_in: the most it accepts (eth_call: out is accepted,
        out + 1 reverts with UniswapV2: K). The formula only proposes; the pair decides."""
        r0, r1 = self.v2_reserves(pair)
        r_in, r_out = (r0, r1) if zero_for_one else (r1, r0)
        out = amount_in * 997 * r_out // (r_in * 1000 + amount_in * 997)
        fn = self.swapper.functions.swap
        if out > 0:  # the pair refuses to pay nothing (INSUFFICIENT_OUTPUT_AMOUNT)
            self.chain.call(fn(pair, zero_for_one, amount_in, out))
        with pytest.raises(Reverted, match=r"UniswapV2: (K|INSUFFICIENT_LIQUIDITY)"):
            self.chain.call(fn(pair, zero_for_one, amount_in, out + 1))
        return out

    # V3

    def v3_initialize(self, pool: str, sqrt_price_x96: int) -> None:
        self.chain.send(self.pools[pool].functions.initialize(sqrt_price_x96))

    def v3_mint(self, pool: str, lower: int, upper: int, liquidity: int) -> None:
        self.chain.send(self.positions.functions.mint(pool, lower, upper, liquidity))

    def v3_burn(self, pool: str, lower: int, upper: int, liquidity: int) -> None:
        self.chain.send(self.positions.functions.burn(pool, lower, upper, liquidity))

    def v3_swap(self, pool: str, zero_for_one: bool, amount: int, limit: int) -> None:
        self.chain.send(self.callee.functions.swap(pool, zero_for_one, amount, limit))

    def v3_out(self, pool: str, zero_for_one: bool, amount_in: int, limit: int) -> tuple[int, int]:
        """(input taken, output paid) of an exact-input swap, by eth_call on the pool."""
        a0, a1 = self.chain.call(self.callee.functions.swap(pool, zero_for_one, amount_in, limit))
        taken, paid = (int(a0), -int(a1)) if zero_for_one else (int(a1), -int(a0))
        return taken, paid

    def v3_state(self, pool: str) -> tuple[int, int, int]:
        """(sqrtPriceX96, tick, liquidity) now."""
        sqrt_price, tick, liquidity, _ = self.chain.call(self.lens.functions.state(pool))
        return int(sqrt_price), int(tick), int(liquidity)

    def v3_truth(self, pool: str, near: Iterable[int] = ()) -> V3Truth:
        """slot0, liquidity, and every initialized tick in the bitmap words holding the ticks
        ``near`` (all words of the pool's range when ``near`` is empty: slow on py-evm)."""
        sqrt_price, tick, liquidity = self.v3_state(pool)
        spacing = self.spacing[pool]
        wanted = {word_of(t, spacing) for t in near}
        words = sorted(wanted) or list(
            range(word_of(MIN_TICK, spacing), word_of(MAX_TICK, spacing) + 1)
        )
        rows = self.chain.call(self.lens.functions.initializedTicks(pool, words))
        ticks = {int(t): (int(g), int(n)) for t, g, n, init in rows if init}
        assert len(ticks) == len(rows)
        return V3Truth(sqrt_price, tick, liquidity, ticks)

    def tokens_of(self, pool: str) -> tuple[str, str]:
        c = self.pools[pool] if pool in self.pools else self.pairs[pool]
        return str(self.chain.call(c.functions.token0())), str(
            self.chain.call(c.functions.token1())
        )


@dataclass
class Position:
    pool: str
    lower: int
    upper: int
    liquidity: int


def random_range(rng: random.Random, tick: int, spacing: int) -> tuple[int, int]:
    """A range around, above or below ``tick``, sometimes sharing an edge with another."""
    centre = tick // spacing * spacing
    lower = centre + spacing * rng.randint(-30, 10)
    upper = lower + spacing * rng.choice([1, 2, 5, 10, 40])
    return lower, upper


def pick(rng: random.Random, items: Sequence[Any]) -> Any:
    return items[rng.randrange(len(items))]
