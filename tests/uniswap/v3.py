"""Uniswap V3: the npm package's factory and pools on the harness chain, driven through the
V3Callee test helper (mint, and swap straight through pool.swap), read through V3Lens.

One :class:`V3Deployment` per chain: factory (fee 100 / spacing 1 enabled, as on mainnet), two
TestERC20s, the callee funded with 2**250 of each, and one uninitialized pool per fee tier,
snapshotted. :meth:`V3Deployment.fresh_pool` reverts to that snapshot, so every scenario starts
from a brand-new pool at the price it chooses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from web3.contract import Contract
from web3.logs import DISCARD

from tests.uniswap.artifacts import helper_artifact, uniswap_artifact
from tests.uniswap.chain import Chain, Reverted
from tests.uniswap.tickmath import FEE_TIERS, word_of

CALLEE_FUNDS = 2**250


@dataclass(frozen=True)
class Position:
    lower: int
    upper: int
    liquidity: int


@dataclass(frozen=True)
class PoolState:
    """What a swap depends on: slot0's price and tick, the active liquidity, and liquidityNet of
    every initialized tick (including those whose net is 0)."""

    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks: dict[int, int] = field(default_factory=dict)

    def with_after(self, after: SwapEvent) -> PoolState:
        return PoolState(after.sqrt_price_x96, after.tick, after.liquidity, self.ticks)


@dataclass(frozen=True)
class SwapEvent:
    """The pool's Swap event (amounts signed from the pool's side: > 0 it received)."""

    amount0: int
    amount1: int
    sqrt_price_x96: int
    liquidity: int
    tick: int


@dataclass(frozen=True)
class SwapOutcome:
    event: SwapEvent
    slot0_sqrt_price_x96: int  # pool.slot0() right after the swap (V3Callee reads it)
    slot0_tick: int
    liquidity: int  # pool.liquidity() right after the swap
    gas_used: int
    balance_deltas: tuple[int, int, int, int] | None  # pool0, pool1, callee0, callee1


def nets_of(positions: Iterable[Position]) -> dict[int, int]:
    """liquidityNet of every tick the positions initialize (what the pool must hold)."""
    nets: dict[int, int] = {}
    for p in positions:
        nets[p.lower] = nets.get(p.lower, 0) + p.liquidity
        nets[p.upper] = nets.get(p.upper, 0) - p.liquidity
    return nets


class V3Deployment:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        send = chain.send
        self.factory = chain.deploy(uniswap_artifact("UniswapV3Factory"))
        if chain.call(self.factory.functions.feeAmountTickSpacing(100)) == 0:
            send(self.factory.functions.enableFeeAmount(100, 1))
        erc20 = helper_artifact("TestERC20")
        a = chain.deploy(erc20, "Token A", "TKA")
        b = chain.deploy(erc20, "Token B", "TKB")
        self.token0, self.token1 = sorted((a, b), key=lambda c: int(c.address, 16))
        self.callee = chain.deploy(helper_artifact("V3Callee"))
        self.lens = chain.deploy(helper_artifact("V3Lens"))
        for token in (self.token0, self.token1):
            send(token.functions.mint(self.callee.address, CALLEE_FUNDS))
        pool_artifact = uniswap_artifact("UniswapV3Pool")
        self.pools: dict[int, Contract] = {}
        for fee, spacing in FEE_TIERS.items():
            assert chain.call(self.factory.functions.feeAmountTickSpacing(fee)) == spacing
            send(self.factory.functions.createPool(self.token0.address, self.token1.address, fee))
            address = chain.call(
                self.factory.functions.getPool(self.token0.address, self.token1.address, fee)
            )
            self.pools[fee] = chain.at(pool_artifact, address)
        self._base = chain.snapshot()

    def fresh_pool(self, fee: int) -> V3PoolDriver:
        """The fee tier's pool, uninitialized: the chain is back at the deployment snapshot."""
        self.chain.revert(self._base)
        self._base = self.chain.snapshot()  # hardhat/anvil forget a snapshot once reverted to
        return V3PoolDriver(self, fee)


class V3PoolDriver:
    def __init__(self, deployment: V3Deployment, fee: int) -> None:
        self.d = deployment
        self.chain = deployment.chain
        self.fee = fee
        self.spacing = FEE_TIERS[fee]
        self.pool = deployment.pools[fee]
        self.positions: list[Position] = []

    @property
    def address(self) -> str:
        return str(self.pool.address)

    def initialize(self, sqrt_price_x96: int) -> None:
        self.chain.send(self.pool.functions.initialize(sqrt_price_x96))

    def mint(self, positions: Sequence[Position], chunk: int = 16) -> None:
        for i in range(0, len(positions), chunk):
            part = positions[i : i + chunk]
            self.chain.send(
                self.d.callee.functions.mintMany(
                    self.pool.address,
                    [p.lower for p in part],
                    [p.upper for p in part],
                    [p.liquidity for p in part],
                )
            )
            self.positions.extend(part)

    # reading

    def slot0(self) -> tuple[int, int, int]:
        """(sqrtPriceX96, tick, liquidity) now."""
        sqrt_price, tick, liquidity, _unlocked = self.chain.call(
            self.d.lens.functions.state(self.pool.address)
        )
        return int(sqrt_price), int(tick), int(liquidity)

    def tick_infos(self, ticks: Sequence[int]) -> list[tuple[int, int, int, bool]]:
        """(tick, liquidityGross, liquidityNet, initialized) of each tick, from pool.ticks(t)."""
        rows = self.chain.call(self.d.lens.functions.tickInfos(self.pool.address, list(ticks)))
        return [(int(t), int(g), int(n), bool(i)) for t, g, n, i in rows]

    def bitmap_ticks(self, words: Iterable[int]) -> dict[int, int]:
        """Every tick initialized in these tick-bitmap words, with its liquidityNet."""
        rows = self.chain.call(
            self.d.lens.functions.initializedTicks(self.pool.address, sorted(set(words)))
        )
        out: dict[int, int] = {}
        for t, gross, net, initialized in rows:
            if not initialized or gross == 0:
                raise AssertionError(
                    f"bitmap bit set for tick {t} but ticks({t}) is not initialized"
                )
            out[int(t)] = int(net)
        return out

    def read_state(self) -> PoolState:
        """slot0, liquidity and the initialized ticks, all read from the chain: the ticks come
        from scanning the bitmap words that hold the minted positions' ticks, and must be
        exactly those positions' ticks with exactly the nets the mints imply."""
        sqrt_price, tick, liquidity = self.slot0()
        expected = nets_of(self.positions)
        ticks = self.bitmap_ticks(word_of(t, self.spacing) for t in expected)
        if ticks != expected:
            missing = sorted(set(expected) - set(ticks))
            extra = sorted(set(ticks) - set(expected))
            wrong = sorted(t for t in set(ticks) & set(expected) if ticks[t] != expected[t])
            raise AssertionError(
                f"on-chain ticks differ from the mints: missing {missing}, extra {extra}, "
                f"wrong net {wrong}"
            )
        return PoolState(sqrt_price, tick, liquidity, ticks)

    def balances(self) -> tuple[int, int, int, int]:
        """(pool's token0, pool's token1, callee's token0, callee's token1)."""
        rows = self.chain.call(
            self.d.lens.functions.balances(
                [self.d.token0.address, self.d.token1.address],
                [self.pool.address, self.d.callee.address],
            )
        )
        return int(rows[0][0]), int(rows[1][0]), int(rows[0][1]), int(rows[1][1])

    # swapping

    def swap(
        self,
        zero_for_one: bool,
        amount_specified: int,
        sqrt_price_limit_x96: int,
        *,
        track_balances: bool = False,
    ) -> SwapOutcome:
        """One swap through V3Callee.swap -> pool.swap (a transaction). Raises Reverted."""
        before = self.balances() if track_balances else None
        receipt = self.chain.send(
            self.d.callee.functions.swap(
                self.pool.address, zero_for_one, amount_specified, sqrt_price_limit_x96
            )
        )
        events = self.pool.events.Swap().process_receipt(receipt, errors=DISCARD)
        if len(events) != 1:
            raise AssertionError(f"expected one Swap event, got {len(events)}")
        args: Any = events[0]["args"]
        event = SwapEvent(
            amount0=int(args["amount0"]),
            amount1=int(args["amount1"]),
            sqrt_price_x96=int(args["sqrtPriceX96"]),
            liquidity=int(args["liquidity"]),
            tick=int(args["tick"]),
        )
        states = self.d.callee.events.SwapState().process_receipt(receipt, errors=DISCARD)
        if len(states) != 1:
            raise AssertionError(f"expected one SwapState event, got {len(states)}")
        after: Any = states[0]["args"]
        sqrt_price, tick, liquidity = (
            int(after["sqrtPriceX96"]),
            int(after["tick"]),
            int(after["liquidity"]),
        )
        deltas = None
        if before is not None:
            after = self.balances()
            deltas = (
                after[0] - before[0],
                after[1] - before[1],
                after[2] - before[2],
                after[3] - before[3],
            )
        return SwapOutcome(event, sqrt_price, tick, liquidity, int(receipt["gasUsed"]), deltas)

    def swap_call(
        self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int
    ) -> tuple[int, int]:
        """The same swap as an eth_call (nothing changes): (amount0, amount1). Raises Reverted."""
        amount0, amount1 = self.chain.call(
            self.d.callee.functions.swap(
                self.pool.address, zero_for_one, amount_specified, sqrt_price_limit_x96
            )
        )
        return int(amount0), int(amount1)

    def swap_reverts(
        self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int
    ) -> str | None:
        """The revert reason of this swap (eth_call), or None if it would succeed."""
        try:
            self.swap_call(zero_for_one, amount_specified, sqrt_price_limit_x96)
        except Reverted as exc:
            return exc.reason
        return None
