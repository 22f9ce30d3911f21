"""The arbitrage scanner on a price discrepancy between two real pools (a Uniswap V2 pair and a V3
pool of the same two tokens, created through the npm factories on py-evm and followed by
PoolSync): nothing while the prices agree; after a swap moves the pair's price, the cycle
through both pools, sized at its optimum. Every reported amount is re-simulated on the
contracts (the pair accepts exactly that output and refuses one more; the V3 pool's swap, by
eth_call, takes the whole input and pays exactly that), the size is checked against its
neighbours on chain, and gas is priced exactly (the cycle starts at the wrapped native token).
With gas above the profit, or a threshold above it, nothing is emitted; once the arbitrage is
executed on chain, nothing worth a trade is left.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.route.market import address_of
from tests.uniswap.artifacts import HarnessUnavailableError
from tests.uniswap.tickmath import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from zippifi.errors import ConfigError, InvalidInputError
from zippifi.market import ArbitrageOpportunity, ArbitrageScanner, Factory, PoolSync, PoolSyncBatch
from zippifi.route import PoolGraph
from zippifi.settings import load_settings
from zippifi.store import open_store

from .uniswap_env import Env, UniswapMarket, inprocess_env

Q96 = 2**96
DUST = 10**6  # what rounding may leave once the arbitrage is taken


@pytest.fixture
def env() -> Iterator[Env]:
    try:
        yield inprocess_env()
    except HarnessUnavailableError as exc:
        pytest.skip(str(exc))


def limit(zero_for_one: bool) -> int:
    return MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1


def chain_cycle(m: UniswapMarket, opp: ArbitrageOpportunity, amount_in: int) -> list[int] | None:
    """The cycle's path run on the contracts by eth_call from ``amount_in``: each leg's output,
    or None where a V3 leg cannot absorb its whole input."""
    amounts = [amount_in]
    for pool, token_in in zip(opp.pools, opp.tokens[:-1], strict=True):
        t0, _t1 = m.tokens_of(pool)
        zero_for_one = token_in == t0
        if pool in m.pairs:
            amounts.append(m.v2_out(pool, zero_for_one, amounts[-1]))
            continue
        taken, paid = m.v3_out(pool, zero_for_one, amounts[-1], limit(zero_for_one))
        if taken != amounts[-1]:
            return None
        amounts.append(paid)
    return amounts


def chain_profit(m: UniswapMarket, opp: ArbitrageOpportunity, amount_in: int) -> int:
    amounts = chain_cycle(m, opp, amount_in)
    return -(2**256) if amounts is None else amounts[-1] - amount_in


async def drain(sync: PoolSync) -> list[PoolSyncBatch]:
    batches = []
    while (batch := await sync.poll()) is not None:
        batches.append(batch)
    return batches


async def test_scanner_reports_the_sized_cycle_net_of_gas(env: Env, tmp_path: Path) -> None:
    m = UniswapMarket(env.chain, n_tokens=2)
    t0, t1 = (t.address for t in m.tokens)
    native = t1  # the profitable cycle below starts at token1: its gas is priced exactly
    store = await open_store(f"sqlite:///{tmp_path / 'zippifi.db'}")
    await env.adapter.connect()
    try:
        start = await env.adapter.block_number()
        pair = m.create_pair(0, 1)
        m.v2_add(pair, 10**21, 2 * 10**21)  # 2 token1 per token0
        pool = m.create_pool(0, 1, 3000)
        m.v3_initialize(pool, math.isqrt(2 * Q96 * Q96))
        m.v3_mint(pool, -887220, 887220, 10**21)
        m.v3_mint(pool, 6000, 7800, 5 * 10**21)  # around the price (tick 6931)
        graph = PoolGraph(wrapped_native=native)
        factories = [Factory("v2", m.v2_factory.address), Factory("v3", m.v3_factory.address)]
        sync = PoolSync(env.adapter, store.cursors, graph, factories, start_block=start)
        await drain(sync)
        scanner = ArbitrageScanner(graph)
        assert sync.last_block is not None
        # one price in both pools: the fees make every cycle lose
        assert scanner.scan([pair, pool], sync.last_block) == []
        assert scanner.check("0x" + "ab" * 20, sync.last_block) == []  # not a pool of the graph

        # token0 sold into the pair: it is cheap there, dear in the V3 pool
        m.v2_swap(pair, True, 6 * 10**19)
        (batch,) = await drain(sync)
        assert batch.changed == (pair,)
        opps = scanner.scan_batch(batch)
        assert opps, "the discrepancy was not found"
        best = max(opps, key=lambda o: o.profit_net)
        assert best.pools == (pair, pool)
        assert best.tokens == (native, t0, native)
        assert (best.block, best.trigger) == (batch.to_block, pair)
        for opp in opps:
            # every amount as the contracts compute it, leg after leg
            assert chain_cycle(m, opp, opp.amount_in) == list(opp.amounts)
            assert opp.amounts[0] == opp.amount_in
            assert opp.amounts[-1] == opp.amount_out
            assert opp.profit == opp.amount_out - opp.amount_in > 0
            assert opp.gas_cost == 0
            assert opp.profit_net == opp.profit
        # sized at the optimum: no neighbour pays more on chain
        x = best.amount_in
        for other in (x - 1, x + 1, x * 99 // 100, x * 101 // 100, x // 2, x * 2):
            assert chain_profit(m, best, other) <= best.profit, (other, x)
        # the gas model's units: base, one V2 hop, one V3 hop and the ticks it crossed
        model = graph.gas_model
        v3_leg = best.pools.index(pool)
        assert best.gas_estimate == (
            model["base"] + model["v2_hop"] + model["v3_hop"]
            + model["v3_tick"] * best.ticks_crossed[v3_leg]
        )  # fmt: skip

        # gas at half the profit: reported net of it (the start token is the native one)
        gas_price = best.profit // best.gas_estimate // 2
        scanner.gas_price_wei = gas_price
        with_gas = {o.key: o for o in scanner.scan_batch(batch)}
        net = with_gas[best.key]
        # the start token is the native one (price per wei 1.0): the cost is exact at any size
        assert net.gas_cost == net.gas_estimate * gas_price
        assert net.profit_net == net.profit - net.gas_cost > 0
        assert chain_cycle(m, net, net.amount_in) == list(net.amounts)
        # gas just above this cycle's profit: not reported; far above every profit: nothing
        scanner.gas_price_wei = best.profit // best.gas_estimate + 1
        assert best.key not in {o.key for o in scanner.scan_batch(batch)}
        scanner.gas_price_wei = max(o.profit for o in opps) + 1
        assert scanner.scan_batch(batch) == []
        # a threshold just above the profit net of gas: nothing; at it: the cycle
        scanner.gas_price_wei = gas_price
        above = ArbitrageScanner(graph, gas_price_wei=gas_price,
                                 min_profit_by_token={native: net.profit_net + 1})  # fmt: skip
        assert best.key not in {o.key for o in above.scan_batch(batch)}
        at = ArbitrageScanner(graph, gas_price_wei=gas_price,
                              min_profit_by_token={native.lower(): net.profit_net})  # fmt: skip
        assert best.key in {o.key for o in at.scan_batch(batch)}
        assert at.threshold(native) == net.profit_net
        assert at.threshold(t0) == 1

        # take the arbitrage on chain, leg by leg; then nothing worth a trade is left
        m.v2_swap(pair, False, best.amounts[0])
        m.v3_swap(pool, True, best.amounts[1], limit(True))
        await drain(sync)
        scanner.gas_price_wei = 0
        left = scanner.scan([pair, pool], sync.last_block)
        assert all(o.profit < DUST for o in left), left
    finally:
        await env.adapter.close()
        await store.close()


def test_settings_and_bad_input() -> None:
    graph = PoolGraph()
    settings = load_settings(
        market={"arbitrage": {"max_hops": 2, "min_profit": 7, "gas_price_wei": 3,
                              "min_profit_by_token": {"0x" + "ab" * 20: 9}}},
    )  # fmt: skip
    scanner = ArbitrageScanner.from_settings(graph, settings.market.arbitrage)
    assert (scanner.max_hops, scanner.min_profit, scanner.gas_price_wei) == (2, 7, 3)
    for spelling in ("0x" + "ab" * 20, "0x" + "AB" * 20, next(iter(scanner.min_profit_by_token))):
        assert scanner.threshold(spelling) == 9, spelling
    assert load_settings().market.arbitrage.max_hops == 3
    with pytest.raises(ConfigError, match="min_profit"):
        load_settings(market={"arbitrage": {"min_profit": 0}})
    with pytest.raises(ConfigError, match="address"):
        load_settings(market={"arbitrage": {"min_profit_by_token": {"0x12": 1}}})
    for kwargs in ({"max_hops": 1}, {"min_profit": 0}, {"min_profit": 1.5},
                   {"gas_price_wei": -1}, {"min_profit_by_token": {"nope": 1}},
                   {"min_profit_by_token": {"0x" + "ab" * 20: 0}}):  # fmt: skip
        with pytest.raises(InvalidInputError):
            ArbitrageScanner(graph, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="gas_price_wei"):
        scanner.gas_price_wei = True


def spellings(address: str) -> tuple[str, str, str]:
    """All lower case, all upper case (hex digits), and EIP-55 checksummed."""
    return "0x" + address[2:].lower(), "0x" + address[2:].upper(), address


def broken_checksum(address: str) -> str:
    """The checksummed address with its first letter's case flipped: mixed case, wrong sum."""
    i = next(i for i, ch in enumerate(address) if i >= 2 and ch.isalpha())
    return address[:i] + address[i].swapcase() + address[i + 1 :]


def test_thresholds_and_pools_in_any_case() -> None:
    """A token's threshold is the same whether it is configured or looked up in lower, upper or
    checksummed case (as the graph takes addresses), never the default by accident; a pool named
    in lower case triggers cycles reported under its checksummed address; a mixed-case spelling
    whose checksum is wrong is refused. Two V2 pairs of one pair of tokens, 3% apart: each
    pair's update opens the cycle through both, starting from the token it sells dear."""
    a, b = sorted((address_of("token a"), address_of("token b")), key=lambda x: int(x, 16))
    pair1, pair2 = address_of("pair 1"), address_of("pair 2")
    graph = PoolGraph()
    graph.add_v2_pool(pair1, a, b, 10**21, 103 * 10**19, 30)
    graph.add_v2_pool(pair2, a, b, 10**21, 97 * 10**19, 30)
    block = 7
    found = ArbitrageScanner(graph).scan([pair1, pair2], block)
    opps = {o.token: o for o in found}
    assert len(found) == 2, found
    assert set(opps) == {a, b}, found
    for token, opp in opps.items():
        for configured in spellings(token):
            above = ArbitrageScanner(graph, min_profit_by_token={configured: opp.profit_net + 1})
            at = ArbitrageScanner(graph, min_profit_by_token={configured: opp.profit_net})
            for lookup in spellings(token):
                assert above.threshold(lookup) == opp.profit_net + 1, (configured, lookup)
                assert at.threshold(lookup) == opp.profit_net, (configured, lookup)
            assert opp.key not in {o.key for o in above.scan([pair1, pair2], block)}
            assert opp.key in {o.key for o in at.scan([pair1, pair2], block)}
        with pytest.raises(InvalidInputError, match="checksum"):
            ArbitrageScanner(graph).threshold(broken_checksum(token))
        with pytest.raises(InvalidInputError, match="checksum"):
            ArbitrageScanner(graph, min_profit_by_token={broken_checksum(token): 5})
    scanner = ArbitrageScanner(graph)
    for pool in (pair1, pair2):
        for spelling in spellings(pool):
            got = scanner.check(spelling, block)
            assert got == scanner.check(pool, block) != []
            assert {o.trigger for o in got} == {pool}
        with pytest.raises(InvalidInputError, match="checksum"):
            scanner.check(broken_checksum(pool), block)
