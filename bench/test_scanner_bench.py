"""The market scanner's whole path on the benchmark graph (bench/graphs.py: 1,000 tokens, 5,000
pools): a pool event's log (V2 ``Sync`` or V3 ``Swap``, as the log follower hands it over) ->
``PoolTracker.apply_log`` (decode, pool state, graph update) -> ``ArbitrageScanner.check``
(``arbitrage_after_update`` at max_hops 3, typed opportunities). The issue's bullet: pool update
to arbitrage verdict <= 1 ms p50. Events are real trades' logs (each simulated on the AMM kernels
from its pool's state after the previous one). Per-event latencies in extra_info (suite "route",
row "scanner"): p50/p99 of the whole path, the decode + update part, and the kernel alone
(``update_*`` + ``arbitrage_after_update`` on a fresh graph replaying the same states), so the
Python overhead is their difference. Gas price 0 (every cycle with profit >= 1 is reported),
as in bench/test_route_bench.py's "arb_after_update" row. Scaled by ZIPPIFI_BENCH_SCALE.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import pytest

from bench.conftest import scaled
from bench.graphs import BenchGraph, make_graph
from zippifi import amm
from zippifi.chain import LogRecord
from zippifi.errors import ZippiError
from zippifi.market import V2_SYNC, V3_SWAP, ArbitrageScanner, PoolTracker, V2PoolState, V3PoolState
from zippifi.route import PoolGraph
from zippifi.sign import to_checksum_address

N_EVENTS = scaled(1_000)
FACTORY = "0x" + "fa" * 20


@pytest.fixture(scope="module")
def bench_graph() -> BenchGraph:
    return make_graph()


def _tracker(bg: BenchGraph) -> PoolTracker:
    """The benchmark graph's V2 and V3 pools installed through the tracker (StableSwap pools
    straight into the graph: the tracker follows Uniswap pools only)."""
    graph = PoolGraph(wrapped_native=bg.wrapped_native)
    for t in bg.tokens:
        graph.set_token(t.address, decimals=t.decimals)
    tracker = PoolTracker(graph)
    for p in bg.pools:
        t0, t1 = (bg.tokens[k].address for k in p.tokens[:2])
        if p.kind == "v2":
            a = p.args
            tracker.install(V2PoolState(p.address, FACTORY, t0, t1, a["fee_bps"], 0,
                                        a["reserve0"], a["reserve1"]))  # fmt: skip
        elif p.kind == "v3":
            a = p.args
            ticks = {t: (abs(net) or 1, net) for t, net in a["ticks"].items()}
            tracker.install(V3PoolState(
                p.address, FACTORY, t0, t1, a["fee"], a["tick_spacing"], 0,
                a["sqrt_price_x96"], a["tick"], a["liquidity"], ticks,
            ))  # fmt: skip
        else:
            graph.add_stable_pool(p.address, [bg.tokens[k].address for k in p.tokens], **p.args)
    return tracker


def _word(value: int) -> bytes:
    return (value % 2**256).to_bytes(32, "big")


def _events(bg: BenchGraph, n: int, rng: random.Random) -> list[LogRecord]:
    """The logs of ``n`` trades on pools drawn at random, each moving its pool as a real swap
    would (exact input of 0.01% to 1% of the input side's depth, simulated on the AMM kernels
    from the pool's state after the previous trade): a ``Sync`` with the pair's new reserves, or
    a ``Swap`` with the V3 pool's new price, tick and active liquidity."""
    pools = [p for p in bg.pools if p.kind in ("v2", "v3")]
    reserves: dict[str, tuple[int, int]] = {}
    v3: dict[str, amm.V3Pool] = {}
    out = []
    while len(out) < n:
        p = rng.choice(pools)
        address = to_checksum_address(p.address)
        a = p.args
        zero_for_one = rng.random() < 0.5
        share = 10 ** rng.uniform(-4, -2)
        if p.kind == "v2":
            r0, r1 = reserves.get(address, (a["reserve0"], a["reserve1"]))
            r_in, r_out = (r0, r1) if zero_for_one else (r1, r0)
            x = max(1, int(r_in * share))
            y = amm.v2_amount_out(x, r_in, r_out, a["fee_bps"])
            r_in, r_out = r_in + x, r_out - y
            if r_in >= 2**112 or r_out <= 0:
                continue
            r0, r1 = (r_in, r_out) if zero_for_one else (r_out, r_in)
            reserves[address] = (r0, r1)
            data = _word(r0) + _word(r1)
            topics: tuple[bytes, ...] = (V2_SYNC,)
        else:
            pool = v3.get(address) or amm.V3Pool(
                a["sqrt_price_x96"], a["tick"], a["liquidity"], a["fee"], a["tick_spacing"],
                a["ticks"],
            )  # fmt: skip
            v3[address] = pool
            depth = pool.liquidity * 2**96 // pool.sqrt_price_x96 if zero_for_one else (
                pool.liquidity * pool.sqrt_price_x96 // 2**96
            )  # fmt: skip
            x = max(1, int(depth * share))
            try:
                result = pool.swap(zero_for_one, x)
            except ZippiError:
                continue
            pool.apply(result)
            data = (_word(result.amount0) + _word(result.amount1) + _word(result.sqrt_price_x96)
                    + _word(result.liquidity) + _word(result.tick))  # fmt: skip
            topics = (V3_SWAP, _word(0), _word(0))
        k = len(out)
        out.append(LogRecord(1 + k, b"\x11" * 32, b"\x22" * 32, 0, k, address, topics, data))
    return out


def _pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] / 1e3 if ordered else 0.0


def test_scanner_event_to_verdict(benchmark: Any, bench_graph: BenchGraph) -> None:
    tracker = _tracker(bench_graph)
    assert len(tracker.graph) == len(bench_graph.pools)
    scanner = ArbitrageScanner(tracker.graph, max_hops=3)
    events = _events(bench_graph, N_EVENTS, random.Random(7))
    total: list[int] = []
    apply: list[int] = []
    by_kind: dict[bytes, list[int]] = {V2_SYNC: [], V3_SWAP: []}
    found = [0]

    def run() -> None:
        for lat in (total, apply, *by_kind.values()):
            lat.clear()
        for record in events:
            t = time.perf_counter_ns()
            pool = tracker.apply_log(record)
            t_applied = time.perf_counter_ns()
            assert pool is not None
            verdict = scanner.check(pool, record.block_number)
            elapsed = time.perf_counter_ns() - t
            found[0] += len(verdict)
            total.append(elapsed)
            apply.append(t_applied - t)
            by_kind[record.topics[0]].append(elapsed)

    benchmark.pedantic(run, rounds=1, iterations=1)

    # the kernel alone on the same states: a fresh graph, the decoded updates, the same call
    graph = bench_graph.build()
    kernel: list[int] = []
    for record in events:
        state = tracker.pools[record.address]
        if isinstance(state, V2PoolState):
            r0, r1 = (int.from_bytes(record.data[i : i + 32], "big") for i in (0, 32))
            t = time.perf_counter_ns()
            graph.update_v2_reserves(record.address, r0, r1)
        else:
            sqrt_price, liquidity, tick = (
                int.from_bytes(record.data[i : i + 32], "big", signed=True) for i in (64, 96, 128)
            )
            t = time.perf_counter_ns()
            graph.update_v3_state(record.address, sqrt_price, tick, liquidity)
        graph.arbitrage_after_update(record.address, max_hops=3)
        kernel.append(time.perf_counter_ns() - t)

    benchmark.extra_info.update({
        "suite": "route", "row": "scanner", "cpu_count": os.cpu_count(),
        "n_items": len(total), "p50_us": _pct(total, 0.5), "p99_us": _pct(total, 0.99),
        "p50_us_v2": _pct(by_kind[V2_SYNC], 0.5), "p50_us_v3": _pct(by_kind[V3_SWAP], 0.5),
        "p50_us_decode_update": _pct(apply, 0.5), "p50_us_kernel": _pct(kernel, 0.5),
        "p99_us_kernel": _pct(kernel, 0.99), "opportunities": found[0], "gas_price_wei": 0,
    })  # fmt: skip
