"""Routing on the benchmark graph (bench/graphs.py: 1,000 tokens, 5,000 pools), side by side with
the peer a Python user would otherwise pick: networkx simple-path enumeration plus the pure-Python
contract math (tests/reference), on a sample of the same queries, in the same run.

Rows (suite "route" in extra_info, read by bench/report_route.py):
- graph build, pool updates (V2 reserves, V3 state), snapshot size;
- 10,000 random quotes at max_hops 2 and 3, one call each: per-query latencies (p50/p99) and
  quotes/s on one core; the same quotes through ``best_routes`` (all cores);
- the peer on a sample of those quotes, checked to find the same output;
- ``split_route`` (max_hops 3, up to 4 paths) on random quotes, one call each, against
  ``best_route`` on the same quote: latency, and what splitting adds to the output;
- a pool update followed by ``arbitrage_after_update`` at max_hops 3 (the market scanner's path).
Scaled by ZIPPIFI_BENCH_SCALE (CI's short mode runs a few hundred quotes and a handful of peer
queries).
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from typing import Any

import networkx as nx
import pytest

from bench.conftest import ROUNDS, scaled
from bench.graphs import BenchGraph, make_graph
from tests.reference import stableswap as ref_stable
from tests.reference import uniswap_v2 as ref_v2
from tests.reference import uniswap_v3 as ref_v3
from zippifi import amm
from zippifi.errors import RouteNotFound
from zippifi.route import PoolGraph

N_QUERIES = scaled(10_000)
N_PEER = min(scaled(200), 200)
N_SPLIT = scaled(500)


@pytest.fixture(scope="module")
def bench_graph() -> BenchGraph:
    return make_graph()


@pytest.fixture(scope="module")
def graph(bench_graph: BenchGraph) -> PoolGraph:
    return bench_graph.build()


def _info(benchmark: Any, row: str, **extra: Any) -> None:
    benchmark.extra_info.update(
        {"suite": "route", "row": row, "cpu_count": os.cpu_count(), **extra}
    )


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_route_build(benchmark: Any, bench_graph: BenchGraph) -> None:
    before = _rss_kib()
    graphs: list[PoolGraph] = []
    benchmark.pedantic(lambda: graphs.append(bench_graph.build()), rounds=ROUNDS, iterations=1)
    g = graphs[-1]
    assert len(g) == len(bench_graph.pools)
    per_graph_kib = max(0, _rss_kib() - before) / len(graphs)
    _info(
        benchmark,
        "build",
        pools=len(g),
        tokens=g.token_count,
        snapshot_bytes=len(g.to_bytes()),
        rss_kib_per_graph=round(per_graph_kib),
    )


def test_route_updates(benchmark: Any, bench_graph: BenchGraph) -> None:
    g = bench_graph.build()
    rng = random.Random(3)
    v2 = [p for p in bench_graph.pools if p.kind == "v2"][:500]
    v3 = [p for p in bench_graph.pools if p.kind == "v3"][:500]
    moves = [
        (p.address, p.args["reserve0"] * rng.randint(990, 1010) // 1000, p.args["reserve1"])
        for p in v2
    ]
    states = [
        (p.address, p.args["sqrt_price_x96"], p.args["tick"], p.args["liquidity"]) for p in v3
    ]

    def run() -> None:
        for address, r0, r1 in moves:
            g.update_v2_reserves(address, r0, r1)
        for address, s, t, liq in states:
            g.update_v3_state(address, s, t, liq)

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    _info(benchmark, "updates", n_items=len(moves) + len(states))


@pytest.mark.parametrize("hops", [2, 3])
def test_route_quotes(benchmark: Any, bench_graph: BenchGraph, graph: PoolGraph, hops: int) -> None:
    queries = bench_graph.queries(N_QUERIES, seed=hops)
    latencies: list[int] = []
    found = [0]

    def run() -> None:
        latencies.clear()
        found[0] = 0
        for a, b, x in queries:
            t = time.perf_counter_ns()
            try:
                graph.best_route(a, b, x, max_hops=hops)
                found[0] += 1
            except RouteNotFound:
                pass
            latencies.append(time.perf_counter_ns() - t)

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    lat = sorted(latencies)
    assert found[0] > 0.9 * len(queries), f"only {found[0]} of {len(queries)} quotes found a route"
    _info(
        benchmark,
        f"quotes_{hops}",
        hops=hops,
        n_items=len(queries),
        found=found[0],
        p50_us=lat[len(lat) // 2] / 1e3,
        p99_us=lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1e3,
        mean_us=sum(lat) / len(lat) / 1e3,
    )


@pytest.mark.parametrize("hops", [2, 3])
def test_route_batch(benchmark: Any, bench_graph: BenchGraph, graph: PoolGraph, hops: int) -> None:
    queries = bench_graph.queries(N_QUERIES, seed=hops)
    results = benchmark.pedantic(
        lambda: graph.best_routes(queries, max_hops=hops), rounds=1, iterations=1
    )
    # Same answers as one call per query, for a sample.
    for (a, b, x), r in list(zip(queries, results, strict=True))[:50]:
        if r is None:
            with pytest.raises(RouteNotFound):
                graph.best_route(a, b, x, max_hops=hops)
        else:
            assert r.amount_out == graph.best_route(a, b, x, max_hops=hops).amount_out
    _info(benchmark, f"batch_{hops}", hops=hops, n_items=len(queries))


def test_route_split(benchmark: Any, bench_graph: BenchGraph, graph: PoolGraph) -> None:
    """split_route at max_hops 3 and up to 4 paths, one call each; every answer checked to pay at
    least best_route's net output (outside the timing)."""
    queries = bench_graph.queries(N_SPLIT, seed=7)
    latencies: list[int] = []
    answers: list[tuple[tuple[str, str, int], Any]] = []

    def run() -> None:
        latencies.clear()
        answers.clear()
        for a, b, x in queries:
            t = time.perf_counter_ns()
            with contextlib.suppress(RouteNotFound):
                answers.append(((a, b, x), graph.split_route(a, b, x, max_hops=3, max_splits=4)))
            latencies.append(time.perf_counter_ns() - t)

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    gains_bps: list[float] = []
    for (a, b, x), split in answers:
        best = graph.best_route(a, b, x, max_hops=3)
        assert split.amount_out_net >= best.amount_out_net, (a, b, x)
        if len(split.routes) > 1:
            gains_bps.append((split.amount_out - best.amount_out) / best.amount_out * 1e4)
    assert len(answers) > 0.9 * len(queries)
    lat = sorted(latencies)
    gains_bps.sort()
    _info(
        benchmark,
        "split_3",
        n_items=len(queries),
        found=len(answers),
        multi_path=len(gains_bps),
        median_gain_bps=gains_bps[len(gains_bps) // 2] if gains_bps else 0.0,
        p50_us=lat[len(lat) // 2] / 1e3,
        p99_us=lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1e3,
        mean_us=sum(lat) / len(lat) / 1e3,
    )


def _peer_model(bench_graph: BenchGraph) -> tuple[nx.MultiGraph, dict[str, Any]]:
    g = nx.MultiGraph()
    models: dict[str, Any] = {}
    for p in bench_graph.pools:
        addrs = [bench_graph.tokens[k].address for k in p.tokens]
        if p.kind == "v3":
            a = p.args
            models[p.address] = (
                "v3",
                ref_v3.V3Pool(
                    a["sqrt_price_x96"],
                    a["tick"],
                    a["liquidity"],
                    a["fee"],
                    a["tick_spacing"],
                    a["ticks"],
                ),
                addrs,
            )
        else:
            models[p.address] = (p.kind, p.args, addrs)
        for i in range(len(addrs)):
            for j in range(i + 1, len(addrs)):
                g.add_edge(addrs[i], addrs[j], key=p.address)
    return g, models


def _peer_leg(model: Any, token_in: str, token_out: str, amount: int) -> int | None:
    kind, m, addrs = model
    i, j = addrs.index(token_in), addrs.index(token_out)
    try:
        if kind == "v2":
            reserves = (m["reserve0"], m["reserve1"])
            out = ref_v2.get_amount_out(amount, reserves[i], reserves[j], m["fee_bps"])
        elif kind == "v3":
            r = m.swap(i == 0, amount)
            paid_in, paid_out = (r.amount0, r.amount1) if i == 0 else (r.amount1, r.amount0)
            if paid_in != amount:
                return None
            out = -paid_out
        else:
            out = ref_stable.get_dy(i, j, amount, m["balances"], m["amp"], m["fee"], m["rates"])
    except Exception:  # the reference reverts like the contract
        return None
    return out if out > 0 else None


# A peer query that runs longer than this is stopped: its time counts as this budget, so the
# reported speed-up is then a lower bound (3-hop enumeration through hub tokens runs for minutes).
PEER_BUDGET_S = float(os.environ.get("ZIPPIFI_BENCH_PEER_BUDGET_S", "20"))


class PeerTimeoutError(Exception):
    pass


def _peer_best(
    g: nx.MultiGraph, models: dict[str, Any], a: str, b: str, x: int, hops: int
) -> int | None:
    best: int | None = None
    deadline = time.perf_counter() + PEER_BUDGET_S
    for path in nx.all_simple_edge_paths(g, a, b, cutoff=hops):
        if time.perf_counter() > deadline:
            raise PeerTimeoutError
        amount: int | None = x
        token = a
        used = set()
        for u, v, key in path:
            if key in used or amount is None:
                amount = None
                break
            used.add(key)
            nxt = v if u == token else u
            amount = _peer_leg(models[key], token, nxt, amount)
            token = nxt
        if amount is not None and (best is None or amount > best):
            best = amount
    return best


@pytest.mark.parametrize("hops", [2, 3])
def test_route_peer(benchmark: Any, bench_graph: BenchGraph, graph: PoolGraph, hops: int) -> None:
    queries = bench_graph.queries(N_QUERIES, seed=hops)[
        : max(2, N_PEER if hops == 2 else N_PEER // 4)
    ]
    g, models = _peer_model(bench_graph)
    outs: list[int | PeerTimeoutError | None] = []

    def run() -> None:
        outs.clear()
        for a, b, x in queries:
            try:
                outs.append(_peer_best(g, models, a, b, x, hops))
            except PeerTimeoutError as stopped:
                outs.append(stopped)

    benchmark.pedantic(run, rounds=1, iterations=1)
    stopped = sum(isinstance(o, PeerTimeoutError) for o in outs)
    # The kernel on exactly these queries, timed here so the ratio compares like with like.
    kernel_ns = 0
    for (a, b, x), peer in zip(queries, outs, strict=True):
        t = time.perf_counter_ns()
        try:
            ours: int | None = graph.best_route(a, b, x, max_hops=hops).amount_out
        except RouteNotFound:
            ours = None
        kernel_ns += time.perf_counter_ns() - t
        if not isinstance(peer, PeerTimeoutError):
            assert ours == peer, f"kernel {ours} vs networkx + pure-Python {peer} for {a}->{b} {x}"
    _info(
        benchmark,
        f"peer_{hops}",
        hops=hops,
        n_items=len(queries),
        stopped=stopped,
        budget_s=PEER_BUDGET_S,
        kernel_s=kernel_ns / 1e9,
    )


def test_route_exhaustive_agrees(bench_graph: BenchGraph, graph: PoolGraph) -> None:
    """At scale: best_route equals the Rust exhaustive search (every simple path simulated)."""
    # The sample is 200 queries; short mode keeps it (about a minute on 2 cores).
    queries = bench_graph.queries(200, seed=11)
    for a, b, x in queries:
        try:
            fast = graph.best_route(a, b, x, max_hops=3)
        except RouteNotFound:
            with pytest.raises(RouteNotFound):
                graph.best_route_exhaustive(a, b, x, max_hops=3)
            continue
        slow = graph.best_route_exhaustive(a, b, x, max_hops=3)
        assert (fast.amount_out_net, fast.hops) == (slow.amount_out_net, slow.hops)


def test_route_arbitrage_after_update(benchmark: Any, bench_graph: BenchGraph) -> None:
    """A trade on a V2 pool (0.01% to 1% of a reserve, either way, as its Sync event reports
    it), then the cycles through that pool the trade opened; every cycle found is reported."""
    g = bench_graph.build()
    rng = random.Random(5)
    v2 = [p for p in bench_graph.pools if p.kind == "v2"]
    picks = rng.sample(v2, min(len(v2), scaled(2_000)))
    reserves = {p.address: (p.args["reserve0"], p.args["reserve1"]) for p in v2}
    trades = []
    for p in picks:
        r0, r1 = reserves[p.address]
        zero_for_one = rng.random() < 0.5
        r_in, r_out = (r0, r1) if zero_for_one else (r1, r0)
        dx = max(1, int(r_in * 10 ** rng.uniform(-4, -2)))
        dy = amm.v2_amount_out(dx, r_in, r_out, p.args["fee_bps"])
        r0, r1 = (r0 + dx, r1 - dy) if zero_for_one else (r0 - dy, r1 + dx)
        reserves[p.address] = (r0, r1)
        trades.append((p.address, r0, r1))
    latencies: list[int] = []
    found = [0]

    def run() -> None:
        latencies.clear()
        for address, r0, r1 in trades:
            t = time.perf_counter_ns()
            g.update_v2_reserves(address, r0, r1)
            found[0] += len(g.arbitrage_after_update(address, max_hops=3))
            latencies.append(time.perf_counter_ns() - t)

    benchmark.pedantic(run, rounds=1, iterations=1)
    lat = sorted(latencies)
    _info(
        benchmark,
        "arb_after_update",
        n_items=len(picks),
        cycles=found[0],
        p50_us=lat[len(lat) // 2] / 1e3,
        p99_us=lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1e3,
    )
