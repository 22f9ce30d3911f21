"""PoolSync against the real Uniswap V2/V3 factories, pairs and pools (npm artifacts) on a local
EVM: pools are created through the factories, then seeded random swaps, mints and burns (V2
liquidity by the test account, V3 positions through V3Positions) run while the sync follows.
After every round the synced state must equal what the contracts say, read independently
through getReserves and V3Lens (slot0, liquidity, every initialized tick's liquidityGross and
liquidityNet over the whole tick range), and the PoolGraph's one-hop quotes must equal the
contracts' own: what the pair accepts (out accepted, out + 1 refused with K) and what a V3 swap
pays by eth_call. Reorgs (evm_snapshot / evm_revert) hand back removed logs; a restart
restores from the cursor. ``ZIPPIFI_TEST_SEED`` replays a run.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.chain.hardhat import HardhatNode
from tests.uniswap.artifacts import HarnessUnavailableError
from tests.uniswap.tickmath import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick
from zippifi.errors import InvalidInputError, MarketDataError, RouteNotFound
from zippifi.market import (
    Factory,
    PoolSync,
    PoolSyncBatch,
    V2PoolState,
    V3PoolState,
    bitmap_words,
)
from zippifi.route import PoolGraph
from zippifi.store import Store, open_store

from .uniswap_env import Env, Position, UniswapMarket, hardhat_env, inprocess_env, random_range

SEED = int(os.environ.get("ZIPPIFI_TEST_SEED") or 20261204)
Q96 = 2**96


@pytest.fixture
def env() -> Iterator[Env]:
    try:
        yield inprocess_env()
    except HarnessUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def hardhat(hardhat_node: HardhatNode) -> Env:
    return hardhat_env(hardhat_node.url)


@asynccontextmanager
async def opened(env: Env, tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite:///{tmp_path / 'zippifi.db'}")
    await env.adapter.connect()
    try:
        yield store
    finally:
        await env.adapter.close()
        await store.close()


def new_sync(env: Env, m: UniswapMarket, store: Store, start: int, **kw: object) -> PoolSync:
    factories = [Factory("v2", m.v2_factory.address), Factory("v3", m.v3_factory.address)]
    return PoolSync(env.adapter, store.cursors, PoolGraph(), factories, start_block=start,
                    **kw)  # type: ignore[arg-type]  # fmt: skip


async def drain(sync: PoolSync) -> list[PoolSyncBatch]:
    batches = []
    while (batch := await sync.poll()) is not None:
        batches.append(batch)
    return batches


class Checker:
    """Compares a sync (state and graph) with the chain."""

    def __init__(self, m: UniswapMarket, act: Activity, rng: random.Random) -> None:
        self.m = m
        self.act = act
        self.rng = rng
        self.quotes = 0

    def state(self, sync: PoolSync) -> None:
        m = self.m
        assert set(sync.pools) == set(m.pairs) | set(m.pools)
        for pair in m.pairs:
            p = sync.pool(pair)
            assert isinstance(p, V2PoolState)
            assert (p.token0, p.token1) == m.v2_tokens(pair)
            assert (p.reserve0, p.reserve1) == m.v2_reserves(pair), pair
        for address in m.pools:
            p = sync.pool(address)
            assert isinstance(p, V3PoolState)
            # every tick the chain can have initialized is an edge of a position the test
            # minted: the words holding those and the sync's own ticks show missing and extra
            minted = self.act.ticks(address)
            truth = m.v3_truth(address, {*minted, *p.ticks, 0})
            assert truth.ticks == minted, address
            assert (p.sqrt_price_x96, p.tick, p.liquidity) == (
                truth.sqrt_price_x96, truth.tick, truth.liquidity,
            ), address  # fmt: skip
            assert p.ticks == truth.ticks, address
            assert (address in sync.graph) == p.initialized
        assert len(sync.graph) == sum(
            1 for p in sync.pools.values() if isinstance(p, V2PoolState) or p.initialized
        )

    def quotes_match(self, sync: PoolSync) -> None:
        """The graph's one-hop quote of each pool equals the contract's (one pool per pair)."""
        m, g = self.m, sync.graph
        for pair in m.pairs:
            r0, r1 = m.v2_reserves(pair)
            t0, t1 = m.v2_tokens(pair)
            for zero_for_one in (True, False):
                r_in = r0 if zero_for_one else r1
                if r_in == 0:
                    continue
                x = max(1, int(r_in * self.rng.choice([1e-6, 1e-3, 0.05, 0.5])))
                chain_out = m.v2_out(pair, zero_for_one, x)
                src, dst = (t0, t1) if zero_for_one else (t1, t0)
                if chain_out == 0:
                    continue
                route = g.best_route(src, dst, x, max_hops=1)
                assert route.pools == [pair]
                assert route.amount_out == chain_out, (pair, zero_for_one, x)
                self.quotes += 1
        for address in m.pools:
            p = sync.pool(address)
            assert isinstance(p, V3PoolState)
            if not p.initialized or p.liquidity == 0:
                continue
            for zero_for_one in (True, False):
                # about 0.01% to 3% of the active liquidity's virtual reserve
                virtual = p.liquidity * (Q96 if zero_for_one else p.sqrt_price_x96)
                virtual //= p.sqrt_price_x96 if zero_for_one else Q96
                x = max(1, int(virtual * self.rng.choice([1e-4, 3e-3, 3e-2])))
                limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
                taken, paid = m.v3_out(address, zero_for_one, x, limit)
                src, dst = (p.token0, p.token1) if zero_for_one else (p.token1, p.token0)
                if taken < x:  # the pool cannot absorb it all: no exact-input route
                    with pytest.raises(RouteNotFound):
                        g.best_route(src, dst, x, max_hops=1)
                    continue
                route = g.best_route(src, dst, x, max_hops=1)
                assert route.pools == [address]
                assert route.amount_out == paid, (address, zero_for_one, x)
                self.quotes += 1

    def all(self, sync: PoolSync) -> None:
        self.state(sync)
        self.quotes_match(sync)


class Activity:
    """Seeded random swaps, mints and burns on the market's pairs and pools."""

    def __init__(self, m: UniswapMarket, rng: random.Random) -> None:
        self.m = m
        self.rng = rng
        self.positions: list[Position] = []
        self.counts: dict[str, int] = {}

    def ticks(self, pool: str) -> dict[int, tuple[int, int]]:
        """(liquidityGross, liquidityNet) of every tick the live positions initialize."""
        out: dict[int, tuple[int, int]] = {}
        for p in self.positions:
            if p.pool != pool:
                continue
            for t, net in ((p.lower, p.liquidity), (p.upper, -p.liquidity)):
                gross0, net0 = out.get(t, (0, 0))
                out[t] = (gross0 + p.liquidity, net0 + net)
        return out

    def mint(self, pool: str, lower: int, upper: int, liquidity: int) -> None:
        self.m.v3_mint(pool, lower, upper, liquidity)
        self.positions.append(Position(pool, lower, upper, liquidity))

    def burn(self, pos: Position, amount: int) -> None:
        self.m.v3_burn(pos.pool, pos.lower, pos.upper, amount)
        pos.liquidity -= amount
        if pos.liquidity == 0:
            self.positions.remove(pos)

    def step(self) -> None:
        m, rng = self.m, self.rng
        live = [a for a in m.pools if m.v3_state(a)[0] != 0]
        kinds = ["v2_swap", "v2_add", "v2_remove"] * bool(m.pairs)
        kinds += ["v3_swap", "v3_swap", "v3_mint"] * bool(live)
        kinds += ["v3_burn"] * bool(self.positions)
        kind = rng.choice(kinds)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind.startswith("v2"):
            pair = rng.choice(sorted(m.pairs))
            r0, r1 = m.v2_reserves(pair)
            if kind == "v2_swap":
                zero_for_one = rng.random() < 0.5
                r_in = r0 if zero_for_one else r1
                m.v2_swap(pair, zero_for_one, max(1, int(r_in * rng.uniform(0.001, 0.2))))
            elif kind == "v2_add":
                k = rng.uniform(0.05, 0.5)
                m.v2_add(pair, int(r0 * k) + 1, int(r1 * k) + 1)
            else:
                m.v2_remove(pair, rng.uniform(0.05, 0.5))
            return
        if kind == "v3_burn":
            pos = self.positions[rng.randrange(len(self.positions))]
            amount = pos.liquidity if rng.random() < 0.5 else rng.randint(1, pos.liquidity)
            self.burn(pos, amount)
            return
        pool = rng.choice(sorted(live))
        sqrt_price, tick, active = m.v3_state(pool)
        spacing = m.spacing[pool]
        if kind == "v3_mint":
            lower, upper = random_range(rng, tick, spacing)
            if rng.random() < 0.3 and self.positions:  # share an edge with a position
                other = rng.choice([p for p in self.positions if p.pool == pool] or [None])
                if other is not None:
                    lower, upper = other.upper, other.upper + spacing * rng.randint(1, 20)
            self.mint(pool, lower, upper, rng.randint(10**15, 10**19))
            return
        zero_for_one = rng.random() < 0.5
        liquidity = max(active, 10**18)
        amount = int(liquidity * rng.uniform(0.0005, 0.05))
        # a limit a few hundred ticks away, so a big swap stops there
        step = rng.randint(50, 2000)
        target = tick - step if zero_for_one else tick + step
        limit = get_sqrt_ratio_at_tick(max(min(target, 887000), -887000))
        if (zero_for_one and limit >= sqrt_price) or (not zero_for_one and limit <= sqrt_price):
            return
        m.v3_swap(pool, zero_for_one, amount, limit)


def seed_market(m: UniswapMarket, act: Activity) -> tuple[str, str]:
    """A V2 pair and an initialized V3 pool with liquidity, created through the factories."""
    pair = m.create_pair(0, 1)
    m.v2_add(pair, 10**21, 3 * 10**21)
    pool = m.create_pool(0, 2, 3000)
    m.v3_initialize(pool, get_sqrt_ratio_at_tick(-1234) + 12345)
    act.mint(pool, -60 * 300, 60 * 300, 10**20)
    act.mint(pool, -1260, -1200, 5 * 10**19)  # below the price
    act.mint(pool, -1200, 600, 2 * 10**20)  # shares -1200 with the one below
    act.mint(pool, 600, 1800, 2 * 10**20)  # tick 600: liquidityNet 0, still initialized
    return pair, pool


async def test_sync_follows_random_activity(env: Env, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    m = UniswapMarket(env.chain)
    act = Activity(m, rng)
    check = Checker(m, act, rng)
    async with opened(env, tmp_path) as store:
        start = await env.adapter.block_number()
        seed_market(m, act)
        sync = new_sync(env, m, store, start, max_range=5, snapshots=store.market)
        batches = await drain(sync)
        assert len(batches) > 1  # the backfill was split by max_range
        assert {a for b in batches for a in b.added} == set(m.pairs) | set(m.pools)
        check.all(sync)
        for round_ in range(6):
            if round_ == 1:  # discovery while following: a pair, and a pool left uninitialized
                pair = m.create_pair(2, 3)
                m.v2_add(pair, 5 * 10**20, 7 * 10**18)
                late_pool = m.create_pool(1, 3, 10000)
            if round_ == 2:
                m.v3_initialize(late_pool, 3 * Q96 // 2)
                act.mint(late_pool, -4000, 4000, 10**19)
            for _ in range(6):
                act.step()
            got = await drain(sync)
            assert got, "activity but no batch"
            assert not any(b.resynced for b in got)  # every event applied, none re-read
            check.all(sync)
            if round_ == 1:
                assert late_pool in sync.pools
                assert late_pool not in sync.graph  # created, not initialized
                assert pair in {a for b in got for a in b.added}
        assert check.quotes > 30, check.quotes
        assert {"v2_swap", "v3_swap", "v3_mint", "v3_burn"} <= set(act.counts), act.counts
        # the last snapshot stored of each pool is its state now
        for address, state in sync.pools.items():
            snap = await store.market.latest_pool_snapshot(env.adapter.chain_id, address)
            if isinstance(state, V2PoolState):
                assert snap is not None
                assert (snap.reserve0, snap.reserve1) == (state.reserve0, state.reserve1)
            elif state.initialized:
                assert snap is not None
                assert (snap.sqrt_price_x96, snap.tick, snap.liquidity) == (
                    state.sqrt_price_x96, state.tick, state.liquidity,
                )  # fmt: skip
        # a restart: a new sync of the same name restores from the cursor, then follows on
        for _ in range(3):
            act.step()
        restarted = new_sync(env, m, store, start)
        await restarted.start()
        assert restarted.last_block == sync.last_block
        assert set(restarted.pools) == set(sync.pools)
        await drain(restarted)
        check.all(restarted)


async def test_reorg_in_process(env: Env, tmp_path: Path) -> None:
    await reorg_case(env, tmp_path)


async def test_reorg_on_hardhat(hardhat: Env, tmp_path: Path) -> None:
    await reorg_case(hardhat, tmp_path)


async def reorg_case(env: Env, tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    m = UniswapMarket(env.chain, n_tokens=3)
    act = Activity(m, rng)
    check = Checker(m, act, rng)
    batched: list[int] = []
    if env.kind == "hardhat":  # reads go out as JSON-RPC batches: count them
        provider = env.adapter.web3.provider
        plain = provider.make_batch_request

        async def counting(requests: list[tuple[Any, Any]]) -> Any:
            batched.append(len(requests))
            return await plain(requests)

        provider.make_batch_request = counting  # type: ignore[method-assign]
    async with opened(env, tmp_path) as store:
        start = await env.adapter.block_number()
        pair, pool = seed_market(m, act)
        sync = new_sync(env, m, store, start)
        # a second follower that will be stopped on the losing branch and restarted after it
        stopped = new_sync(env, m, store, start, name="stopped")
        await drain(sync)
        await drain(stopped)
        check.all(sync)
        before = {p: m.v3_truth(p, act.ticks(p)) for p in m.pools}
        positions = [replace(p) for p in act.positions]
        snapshot = env.chain.snapshot()
        fork_block = await env.adapter.block_number()
        # the branch that will lose: swaps, a mint, a burn, and a new pair
        m.v2_swap(pair, True, 10**19)
        m.v3_swap(pool, True, 10**18, get_sqrt_ratio_at_tick(-2000))
        act.mint(pool, -600, 1200, 3 * 10**19)
        act.burn(next(p for p in act.positions if p.lower == -1260), 10**19)
        orphan = m.create_pair(1, 2)
        m.v2_add(orphan, 10**20, 10**20)
        await drain(sync)
        await drain(stopped)
        check.all(sync)
        assert orphan in sync.graph
        # the winning branch
        env.chain.revert(snapshot)
        del m.pairs[orphan]
        act.positions = positions
        assert {p: m.v3_truth(p, act.ticks(p)) for p in m.pools} == before
        env.chain.mine()
        m.v2_swap(pair, False, 5 * 10**19)
        m.v3_swap(pool, False, 2 * 10**18, get_sqrt_ratio_at_tick(0))
        batches = await drain(sync)
        first = batches[0]
        assert first.rewound_to is not None
        assert start <= first.rewound_to <= fork_block
        assert orphan in first.removed
        assert orphan not in sync.pools
        assert orphan not in sync.graph
        assert {pair, pool} <= set(first.resynced)
        check.all(sync)
        cursor = await store.cursors.get(env.adapter.chain_id, sync.name)
        head = await env.adapter.get_block("latest")
        assert cursor is not None
        assert head is not None
        assert (cursor.block_number, cursor.block_hash) == (head.number, "0x" + head.hash.hex())
        # restarted after the reorg, its cursor on the lost branch: restored, then rewound
        restarted = new_sync(env, m, store, start, name="stopped")
        await restarted.start()
        first = (await drain(restarted))[0]
        assert first.rewound_to is not None
        assert orphan not in restarted.pools
        check.all(restarted)
    if env.kind == "hardhat":
        # discovery and each re-read: reserves/slot0, 116 bitmap words, the ticks
        assert len(batched) >= 6
        assert max(batched) >= 116


async def test_a_pool_out_of_step_is_read_afresh(env: Env, tmp_path: Path) -> None:
    """A Burn the sync cannot apply (it lost a tick: state out of step with the chain) makes
    it read the pool afresh instead of failing the batch."""
    rng = random.Random(SEED + 2)
    m = UniswapMarket(env.chain, n_tokens=3)
    act = Activity(m, rng)
    async with opened(env, tmp_path) as store:
        start = await env.adapter.block_number()
        pair, pool = seed_market(m, act)
        sync = new_sync(env, m, store, start)
        await drain(sync)
        state = sync.pool(pool)
        assert isinstance(state, V3PoolState)
        broken = replace(state, ticks={t: v for t, v in state.ticks.items() if t != -1260})
        sync.track(broken)
        act.burn(next(p for p in act.positions if p.lower == -1260), 10**19)
        m.v2_swap(pair, True, 10**18)
        (batch,) = await drain(sync)
        assert batch.resynced == (pool,)
        assert set(batch.changed) == {pair, pool}
        Checker(m, act, rng).all(sync)
        # a batch that fails half-way (discovery applied, a read refused) is not acknowledged;
        # it comes again and every pool is read afresh
        m.v2_swap(pair, False, 10**18)
        late = m.create_pair(1, 2)
        m.v2_add(late, 10**20, 10**20)
        calls = sync._call

        async def refuse_once(batch: Any, block: int) -> list[bytes]:
            sync._call = calls  # type: ignore[method-assign]
            raise MarketDataError("refused")

        sync._call = refuse_once  # type: ignore[method-assign]
        with pytest.raises(MarketDataError):
            await sync.poll()
        (batch,) = await drain(sync)
        assert set(batch.resynced) == {pair, pool}
        assert batch.added == (late,)
        Checker(m, act, rng).all(sync)


async def test_run_follows_until_cancelled(env: Env, tmp_path: Path) -> None:
    """run(): batches reach the callback as the chain moves (waiting between polls), and
    cancelling the task stops it."""
    rng = random.Random(SEED + 3)
    m = UniswapMarket(env.chain, n_tokens=3)
    act = Activity(m, rng)
    async with opened(env, tmp_path) as store:
        start = await env.adapter.block_number()
        pair, _pool = seed_market(m, act)
        sync = new_sync(env, m, store, start, poll_s=0.02)
        seen: list[PoolSyncBatch] = []
        news = asyncio.Event()

        async def on_batch(batch: PoolSyncBatch) -> None:
            seen.append(batch)
            news.set()

        task = asyncio.create_task(sync.run(on_batch))
        try:
            await asyncio.wait_for(news.wait(), 20)  # the backfill
            assert pair in {a for b in seen for a in b.added}
            news.clear()
            m.v2_swap(pair, True, 10**18)
            await asyncio.wait_for(news.wait(), 20)  # found by a later poll
            assert pair in seen[-1].changed
            Checker(m, act, rng).all(sync)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


def test_bitmap_words_cover_the_tick_range() -> None:
    for spacing in (1, 10, 60, 200):
        words = bitmap_words(spacing)
        assert words[0] == (-887272 // spacing) >> 8
        assert words[-1] == (887272 // spacing) >> 8
    assert len(bitmap_words(60)) == 116


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="kind"):
        Factory("v4", "0x" + "11" * 20)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="fee_bps"):
        Factory("v2", "0x" + "11" * 20, fee_bps=10_000)
    with pytest.raises(InvalidInputError, match="address"):
        Factory("v2", "0x1234")
