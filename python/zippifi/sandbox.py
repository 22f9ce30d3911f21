"""A small real market for the demo, the tests and a first try: test tokens, constant-product
pools (ZippiPair, through ZippiRouter as their factory), Chainlink-style price feeds, and a
ZippiVault whose owners allow one agent key to trade those tokens through the router within
caps. Everything is deployed through a runtime's submitter on whatever chain it runs (the
embedded in-process EVM, or a local node), and the runtime follows the router's pools into its
pool graph, so routing sees what is on chain.

    async with Runtime.embedded() as rt:
        market = await Sandbox.deploy(rt)        # funds its own keys on the embedded chain
        market.vault, market.tokens["WETH"], market.agent
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from zippifi.chain import (
    EXECUTOR,
    ActionKind,
    LegKind,
    Submitter,
    action,
    call_view,
    deploy,
    deploy_code,
    implementation_initcode,
    initialize_calldata,
    proxy_initcode,
    sign_action,
    transact,
    transact_many,
)
from zippifi.chain.artifacts import load
from zippifi.domain import Account
from zippifi.errors import InvalidInputError
from zippifi.market import Factory
from zippifi.runtime import Runtime
from zippifi.sign import Signer

USD_DECIMALS = 8
FEED_MAX_AGE_S = 86_400
MAX_SLIPPAGE_BPS = 100
UPGRADE_DELAY_S = 3600  # the vault's least upgrade timelock


@dataclass(frozen=True)
class TokenSpec:
    symbol: str
    decimals: int
    usd_price: int  # whole dollars per whole token
    max_trade: int  # whole tokens per swap
    daily_cap: int  # whole tokens per rolling 24 h
    vault_balance: int  # whole tokens the vault starts with

    def units(self, whole: int) -> int:
        return int(whole * 10**self.decimals)


TOKENS = (
    TokenSpec("WETH", 18, 3000, 4, 40, 50),
    TokenSpec("USDC", 6, 1, 60_000, 300_000, 150_000),
    TokenSpec("DAI", 18, 1, 60_000, 300_000, 150_000),
)
# pools by the dollars of each side: deep WETH/USDC, shallower routes through DAI
POOLS = (("WETH", "USDC", 6_000_000), ("WETH", "DAI", 1_500_000), ("USDC", "DAI", 2_000_000))


@dataclass
class Sandbox:
    """What :meth:`deploy` built, by address."""

    chain_id: int
    deployer: Signer
    agent: Signer
    owners: list[Signer]
    router: str
    vault: str
    tokens: dict[str, str]  # symbol -> address
    feeds: dict[str, str]  # symbol -> address
    pairs: dict[tuple[str, str], str]
    specs: dict[str, TokenSpec] = field(default_factory=dict)
    vault_account: Account | None = None
    executor: str | None = None  # ZippiRouteExecutor, allowlisted as the vault's executor

    def addresses(self) -> dict[str, Any]:
        """The deployment by address, as JSON can hold it (no keys): :meth:`attach` takes it."""
        return {"chain_id": self.chain_id, "agent": self.agent.address, "router": self.router,
                "vault": self.vault, "tokens": self.tokens, "feeds": self.feeds,
                "executor": self.executor,
                "pairs": {f"{a}/{b}": p for (a, b), p in self.pairs.items()}}  # fmt: skip

    @classmethod
    async def attach(cls, rt: Runtime, addresses: dict[str, Any], agent: Signer) -> Sandbox:
        """A sandbox deployed earlier (another process), by :meth:`addresses`: the runtime
        follows its pools again, and its vault account is found in the store."""
        if agent.address != addresses["agent"]:
            raise InvalidInputError(
                f"the sandbox's agent is {addresses['agent']}, not {agent.address}"
            )
        pairs = {tuple(k.split("/")): v for k, v in addresses["pairs"].items()}
        market = cls(addresses["chain_id"], agent, agent, [], addresses["router"],
                     addresses["vault"], dict(addresses["tokens"]), dict(addresses["feeds"]),
                     pairs, {s.symbol: s for s in TOKENS},
                     executor=addresses.get("executor"))  # fmt: skip
        await rt.follow(Factory("v2", market.router, 30))
        market.vault_account = await _vault_account(rt, market)
        return market

    def target(self) -> dict[str, Any]:
        """The vault target arguments of ``Runtime.execution`` for this market: its executor,
        which calls the ZippiPairs as ZippiPairs (or the router, if no executor was deployed),
        and its WETH as the wrapped native token that values gas."""
        if self.executor is None:
            return {"router": self.router, "wrapped_native": self.tokens["WETH"]}
        return {"executor": self.executor, "pair_kinds": {self.router: LegKind.ZIPPI_PAIR},
                "wrapped_native": self.tokens["WETH"]}  # fmt: skip

    def token(self, symbol: str) -> str:
        if symbol not in self.tokens:
            raise InvalidInputError(f"the sandbox has no token {symbol!r}: {sorted(self.tokens)}")
        return self.tokens[symbol]

    @classmethod
    async def deploy(
        cls, rt: Runtime, *, deployer: Signer | None = None, agent: Signer | None = None
    ) -> Sandbox:
        """Deploy and configure the sandbox market. On the embedded chain its keys are funded
        from the dev account; elsewhere ``deployer`` and ``agent`` must hold native coin."""
        deployer = deployer or Signer(os.urandom(32))
        agent = agent or Signer(os.urandom(32))
        if rt.mode == "embedded":
            for key in (deployer, agent):
                await rt.fund(key.address, 10**21)
        sub = await rt.submitter(deployer)
        adapter = sub.adapter
        owners = [Signer(os.urandom(32)) for _ in range(3)]
        tokens: dict[str, str] = {}
        feeds: dict[str, str] = {}
        for spec in TOKENS:
            tokens[spec.symbol] = await deploy(sub, "ZippiTestToken", f"Sandbox {spec.symbol}",
                                               spec.symbol, spec.decimals)  # fmt: skip
            feeds[spec.symbol] = await deploy(sub, "ZippiPriceFeed", USD_DECIMALS,
                                              f"{spec.symbol} / USD",
                                              spec.usd_price * 10**USD_DECIMALS)  # fmt: skip
        router = await deploy(sub, "ZippiRouter")
        specs = {s.symbol: s for s in TOKENS}
        pairs: dict[tuple[str, str], str] = {}
        for a, b, dollars in POOLS:
            await transact(sub, router, "ZippiRouter", "createPair", tokens[a], tokens[b])
            pair = await call_view(adapter, router, load("ZippiRouter"), "getPair",
                                   tokens[a], tokens[b])  # fmt: skip
            pairs[(a, b)] = pair
            calls: list[tuple[str, str, str, tuple[Any, ...]]] = [
                (tokens[s], "ZippiTestToken", "mint",
                 (pair, specs[s].units(dollars) // specs[s].usd_price))
                for s in (a, b)
            ]  # fmt: skip
            calls.append((pair, "ZippiPair", "mint", (deployer.address,)))
            await transact_many(sub, calls)
        implementation = await deploy_code(sub, implementation_initcode())
        setup = initialize_calldata([o.address for o in owners], 2, deployer.address,
                                    MAX_SLIPPAGE_BPS, UPGRADE_DELAY_S)  # fmt: skip
        vault = await deploy_code(sub, proxy_initcode(implementation, setup))
        executor = await deploy(sub, EXECUTOR)
        market = cls(adapter.chain_id, deployer, agent, owners, router, vault, tokens, feeds,
                     pairs, specs, executor=executor)  # fmt: skip
        await market._configure_vault(sub)
        mints = [(tokens[s.symbol], "ZippiTestToken", "mint", (vault, s.units(s.vault_balance)))
                 for s in TOKENS]  # fmt: skip
        await transact_many(sub, mints)
        await rt.follow(Factory("v2", router, 30))
        market.vault_account = await _vault_account(rt, market)
        return market

    async def _configure_vault(self, sub: Submitter) -> None:
        """The owners' actions that let the agent trade: agent, router as target, each token
        with its caps and feed; signed by two of three owners, executed in one batch."""
        adapter = sub.adapter
        vault_abi = load("ZippiVault")
        nonce = await call_view(adapter, self.vault, vault_abi, "nonce")
        head = await adapter.get_block("latest")
        deadline = (head.timestamp if head else 0) + 3600
        steps: list[tuple[ActionKind, tuple[Any, ...]]] = [
            (ActionKind.SET_AGENT, (self.agent.address, True)),
            (ActionKind.SET_TARGET, (self.router, True)),
        ]
        if self.executor is not None:  # input pushed to it, no approval
            steps.append((ActionKind.SET_EXECUTOR, (self.executor, True)))
        for spec in TOKENS:
            token = self.tokens[spec.symbol]
            steps.append((ActionKind.SET_TOKEN, (token, True, spec.units(spec.max_trade),
                                                 spec.units(spec.daily_cap))))  # fmt: skip
            steps.append((ActionKind.SET_PRICE_FEED, (token, self.feeds[spec.symbol],
                                                      FEED_MAX_AGE_S)))  # fmt: skip
        calls = []
        for i, (kind, args) in enumerate(steps):
            act = action(kind, *args, nonce=nonce + i, deadline=deadline)
            sigs = sign_action(act, self.owners[:2], chain_id=self.chain_id, vault=self.vault)
            calls.append((self.vault, "ZippiVault", "execute", (act.as_tuple(), sigs)))
        await transact_many(sub, calls)


async def _vault_account(rt: Runtime, market: Sandbox) -> Account:
    """The vault as an account of the store (kind ``vault``), the agent's label on it."""
    return await rt.vault(market.vault, label=f"sandbox vault, agent {market.agent.address}")
