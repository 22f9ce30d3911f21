"""A vault with a ZippiRouteExecutor and a small market of real Uniswap pools among its tokens
(the npm packages' own V2 factory/pairs and V3 factory/pools), plus the vault harness's two
ZippiPairs; and the route kernel's graph read back from what the chain says.

Pools (WETH at $3,000, USDC and DAI at $1):

- Uniswap V2: WETH/USDC (5,000 WETH deep), USDC/DAI (5M), WETH/DAI (thin: 200 WETH);
- Uniswap V3: WETH/USDC 0.3% (full range, ~1,000 WETH), WETH/USDC 0.05% (a band of +-1% and a
  wider one), USDC/DAI 0.05% (+-0.5%), WETH/DAI 0.3% (thin);
- ZippiPair: WETH/USDC and DAI/USDC (the harness's, very deep: only in the graph on request).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from web3.contract import Contract
from web3.types import BlockIdentifier, TxReceipt

from tests.contracts.harness import Token, VaultEnv
from tests.uniswap.artifacts import helper_artifact, uniswap_artifact
from tests.uniswap.v3 import Position, nets_of
from zippifi.chain import ActionKind, LegKind
from zippifi.chain.artifacts import load
from zippifi.route import PoolGraph

ETH = 10**18
NO_WETH = "0x000000000000000000000000000000000000dEaD"  # Router02's token swaps never use it
SPACINGS = {500: 10, 3000: 60, 10000: 200}
MAX_TICK = 887272
# caps high enough for the differential trades; slippage wide enough for their price impact
CAPS = {"WETH": (2_000 * ETH, 20_000 * ETH), "USDC": (6 * 10**12, 60 * 10**12)}
CAPS["DAI"] = (6_000_000 * ETH, 60_000_000 * ETH)
SLIPPAGE_BPS = 2000


@dataclass
class V3PoolInfo:
    contract: Contract
    fee: int
    positions: list[Position]


@dataclass
class ExecutorMarket:
    env: VaultEnv
    executor: Contract
    v2_router: Contract
    v2_factory: Contract
    v3_factory: Contract
    v2_pairs: dict[str, Contract] = field(default_factory=dict)
    v3_pools: dict[str, V3PoolInfo] = field(default_factory=dict)

    def kinds(self, with_zippi_pairs: bool = False) -> dict[str, LegKind]:
        """Every pool's leg kind, as the execution layer knows it from adding them."""
        kinds = dict.fromkeys(self.v2_pairs, LegKind.UNISWAP_V2)
        kinds.update(dict.fromkeys(self.v3_pools, LegKind.UNISWAP_V3))
        if with_zippi_pairs:
            for pair in self.env.pairs.values():
                kinds[pair.address] = LegKind.ZIPPI_PAIR
        return kinds

    def graph(self, with_zippi_pairs: bool = False, block: BlockIdentifier = "latest") -> PoolGraph:
        """The route kernel's graph, read from the chain as it is now (or was at ``block``):
        pools' own views, and the V3 positions this market minted (it never burns one)."""
        g = PoolGraph()
        at = {"block_identifier": block}
        for address, pair in self.v2_pairs.items():
            r0, r1, _ = pair.functions.getReserves().call(**at)
            t0, t1 = pair.functions.token0().call(), pair.functions.token1().call()
            g.add_v2_pool(address, t0, t1, int(r0), int(r1), 30)
        if with_zippi_pairs:
            for pair in {p.address: p for p in self.env.pairs.values()}.values():
                r0, r1 = pair.functions.getReserves().call(**at)
                t0, t1 = pair.functions.token0().call(), pair.functions.token1().call()
                g.add_v2_pool(pair.address, t0, t1, int(r0), int(r1), 30)
        for address, info in self.v3_pools.items():
            pool = info.contract
            sqrt_price, tick, *_ = pool.functions.slot0().call(**at)
            g.add_v3_pool(
                address,
                pool.functions.token0().call(),
                pool.functions.token1().call(),
                int(sqrt_price),
                int(tick),
                int(pool.functions.liquidity().call(**at)),
                info.fee,
                SPACINGS[info.fee],
                nets_of(info.positions),
            )
        return g

    def legs_paid(self, receipt: TxReceipt) -> dict[str, list[tuple[int, int]]]:
        """Per pool, in log order: (what it took, what it paid) from its own Swap events."""
        paid: dict[str, list[tuple[int, int]]] = defaultdict(list)
        logs = sorted(receipt["logs"], key=lambda log: log["logIndex"])
        w3 = self.env.w3
        v2_event = w3.eth.contract(abi=uniswap_artifact("UniswapV2Pair").abi).events.Swap()
        v3_event = w3.eth.contract(abi=uniswap_artifact("UniswapV3Pool").abi).events.Swap()
        zippi_event = w3.eth.contract(abi=load("ZippiPair").abi).events.Swap()
        zippi_pairs = {p.address for p in self.env.pairs.values()}
        for log in logs:
            address = log["address"]
            if address in self.v2_pairs or address in zippi_pairs:
                event = v2_event if address in self.v2_pairs else zippi_event
                if not _is(event, log):
                    continue
                a = event.process_log(log)["args"]
                took = a["amount0In"] + a["amount1In"]
                paid[address].append((took, a["amount0Out"] + a["amount1Out"]))
            elif address in self.v3_pools and _is(v3_event, log):
                a = v3_event.process_log(log)["args"]
                a0, a1 = a["amount0"], a["amount1"]
                took, gave = (a0, a1) if a0 > 0 else (a1, a0)
                paid[address].append((took, -gave))
        return paid

    def holdings(self, who: str, block: BlockIdentifier = "latest") -> dict[str, int]:
        env = self.env
        return {t.symbol: int(t.contract.functions.balanceOf(who).call(block_identifier=block))
                for t in (env.weth, env.usdc, env.dai)}  # fmt: skip


def _is(event: Any, log: Any) -> bool:
    try:
        event.process_log(log)
    except Exception:
        return False
    return True


def _deploy(env: VaultEnv, name: str, *args: Any) -> Contract:
    art = uniswap_artifact(name) if name.startswith("Uniswap") else helper_artifact(name)
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    tx = factory.constructor(*args).transact({"from": env.deployer, "gas": 15_000_000})
    receipt = env.w3.eth.wait_for_transaction_receipt(tx)
    return env.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)


def _usd(token: Token) -> float:
    return {"WETH": 3000.0, "USDC": 1.0, "DAI": 1.0}[token.symbol]


def _raw_price(a: Token, b: Token) -> float:
    """Units of b (raw) per unit of a (raw)."""
    return _usd(a) / _usd(b) * 10**b.decimals / 10**a.decimals


def build_market(env: VaultEnv) -> ExecutorMarket:
    weth, usdc, dai = env.weth, env.usdc, env.dai
    v2_factory = _deploy(env, "UniswapV2Factory", env.deployer)
    v3_factory = _deploy(env, "UniswapV3Factory")
    router = _deploy(env, "UniswapV2Router02", v2_factory.address, NO_WETH)
    executor = env.deploy("ZippiRouteExecutor")
    market = ExecutorMarket(env, executor, router, v2_factory, v3_factory)
    pair_abi = uniswap_artifact("UniswapV2Pair").abi
    for a, b, depth_usd in ((weth, usdc, 15e6), (usdc, dai, 5e6), (weth, dai, 6e5)):
        env.send(v2_factory.functions.createPair(a.address, b.address))
        pair = env.w3.eth.contract(
            address=v2_factory.functions.getPair(a.address, b.address).call(), abi=pair_abi
        )
        env.mint(a, pair.address, int(depth_usd / _usd(a) * 10**a.decimals))
        env.mint(b, pair.address, int(depth_usd / _usd(b) * 10**b.decimals))
        env.send(pair.functions.mint(env.deployer))
        market.v2_pairs[pair.address] = pair

    callee = _deploy(env, "V3Callee")
    for token in (weth, usdc, dai):
        env.mint(token, callee.address, 10**12 * 10**token.decimals)
    pool_abi = uniswap_artifact("UniswapV3Pool").abi
    # (a, b, fee, [(half-width in spacings or None for full range, token0 depth in USD)])
    specs: list[tuple[Token, Token, int, list[tuple[int | None, float]]]] = [
        (weth, usdc, 3000, [(None, 3e6)]),
        (weth, usdc, 500, [(20, 1.5e6), (200, 1e6)]),
        (usdc, dai, 500, [(10, 2e6)]),
        (weth, dai, 3000, [(None, 2e5)]),
    ]
    for a, b, fee, shape in specs:
        env.send(v3_factory.functions.createPool(a.address, b.address, fee))
        pool = env.w3.eth.contract(
            address=v3_factory.functions.getPool(a.address, b.address, fee).call(), abi=pool_abi
        )
        t0, t1 = (a, b) if int(a.address, 16) < int(b.address, 16) else (b, a)
        price = _raw_price(t0, t1)
        env.send(pool.functions.initialize(int(math.sqrt(price) * 2**96)))
        tick = int(pool.functions.slot0().call()[1])
        spacing = SPACINGS[fee]
        centre = tick // spacing * spacing
        positions = []
        for half, depth_usd in shape:
            if half is None:
                top = MAX_TICK // spacing * spacing
                lower, upper = -top, top
            else:
                lower, upper = centre - half * spacing, centre + half * spacing
            # L ~ (token0 depth) * sqrt(P) for a range around the price
            unit = int(depth_usd / _usd(t0) * 10**t0.decimals * math.sqrt(price))
            positions.append(Position(lower, upper, unit))
            env.send(callee.functions.mint(pool.address, lower, upper, unit))
        market.v3_pools[pool.address] = V3PoolInfo(pool, fee, positions)

    env.admin(ActionKind.SET_EXECUTOR, executor.address, True)
    env.admin(ActionKind.SET_MAX_SLIPPAGE, SLIPPAGE_BPS)
    for token in (weth, usdc, dai):
        per_trade, daily = CAPS[token.symbol]
        env.admin(ActionKind.SET_TOKEN, token.address, True, per_trade, daily)
    env.mint(weth, env.vault.address, 10_000 * ETH)
    env.mint(usdc, env.vault.address, 30_000_000 * 10**6)
    env.mint(dai, env.vault.address, 30_000_000 * ETH)
    # the feeds re-posted, so a test may run a day of trades without them going stale; a node's
    # clock is left alone (it may be shared, and its feeds were posted moments ago)
    if env.tester is not None:
        env.jump(env.next_time() + 10)
    return market
