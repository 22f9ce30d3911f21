"""The risk gate's own cost per decision on the benchmark graph (bench/graphs.py, 5,000 pools):
an approval of a single-route intent (every size rule checked: notional per trade and per
window, price impact on the kernel against the graph's reference rate), a rejection (the
slippage bound), and an exact resize (the impact bound found by bisection to one raw unit).
Prices come from memory (the route and its inputs already quoted), decisions are kept in
memory: the gate alone. Rows (suite "gate") are read by bench/report_gate.py."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from statistics import quantiles
from typing import Any

import pytest

from bench.conftest import scaled
from bench.graphs import BenchGraph, make_graph
from zippifi.domain import TradeIntent
from zippifi.errors import RouteNotFound
from zippifi.risk import Limits, MemoryDecisionLog, Price, RiskEngine, RiskPolicy
from zippifi.route import PoolGraph

N_DECISIONS = max(scaled(2_000), 64)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FlatPrices:
    """Every raw unit worth one quote unit: notional rules run, prices cost nothing."""

    async def price(self, token: str) -> Price:
        return Price(Fraction(1), "bench")


def _intent(n: int, token_in: str, token_out: str, amount: int, slippage_bps: int) -> TradeIntent:
    return TradeIntent(
        id=n, idempotency_key=f"b{n}", proposer="bench", strategy_id=None, account_id=1,
        chain_id=1, token_in=token_in, token_out=token_out, kind="exact_in", amount=amount,
        amount_in=amount, min_amount_out=0, slippage_bps=slippage_bps, deadline=None,
        urgency="normal", status="proposed", reason=None, status_cause=None, params={},
        created_at=T0, updated_at=T0,
    )  # fmt: skip


@pytest.fixture(scope="module")
def bench_graph() -> BenchGraph:
    return make_graph()


@pytest.fixture(scope="module")
def graph(bench_graph: BenchGraph) -> PoolGraph:
    return bench_graph.build()


def _routable(graph: PoolGraph, bench_graph: BenchGraph, n: int) -> list[tuple[str, str, int]]:
    out = []
    for a, b, amount in bench_graph.queries(4 * n, seed=11):
        try:
            graph.best_route(a, b, amount)
        except RouteNotFound:
            continue
        out.append((a, b, amount))
        if len(out) == n:
            break
    return out


def _decide(graph: PoolGraph, queries: list[tuple[str, str, int]], limits: Limits,
            slippage_bps: int) -> tuple[list[float], list[str]]:  # fmt: skip
    engine = RiskEngine(RiskPolicy(default=limits), graph=graph, prices=FlatPrices(),
                        log=MemoryDecisionLog())  # fmt: skip
    times, verdicts = [], []

    async def go() -> None:
        for n, (a, b, amount) in enumerate(queries):
            intent = _intent(n, a, b, amount, slippage_bps)
            start = time.perf_counter()
            decision = await engine.review(intent)
            times.append(time.perf_counter() - start)
            verdicts.append(decision.verdict)

    asyncio.run(go())
    return times, verdicts


CASES = {
    # every size rule checked, none binding
    "approve": (Limits(max_notional_per_trade=2**200, max_notional_per_window=2**200,
                       window_s=3600, max_price_impact_bps=10_000, max_slippage_bps=100), 50),
    # refused by a fixed rule before any size rule
    "reject": (Limits(max_slippage_bps=10, max_price_impact_bps=10_000), 50),
    # a price-impact cap every quote breaks: the exact bound, by bisection on the kernel
    "resize": (Limits(max_price_impact_bps=1), 50),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_gate_decision(benchmark: Any, graph: PoolGraph, bench_graph: BenchGraph,
                       case: str) -> None:  # fmt: skip
    limits, slippage = CASES[case]
    n = N_DECISIONS if case != "resize" else max(N_DECISIONS // 10, 32)
    queries = _routable(graph, bench_graph, n)
    if case == "resize":  # ten times the size, so nearly every one moves its pools past 1 bps
        queries = [(a, b, amount * 10) for a, b, amount in queries]
    times, verdicts = benchmark.pedantic(_decide, args=(graph, queries, limits, slippage),
                                         rounds=1, iterations=1)  # fmt: skip
    wanted = {"approve": {"approve"}, "reject": {"reject"},
              "resize": {"resize", "approve", "reject"}}[case]  # fmt: skip
    assert set(verdicts) <= wanted
    assert verdicts.count(case) >= len(verdicts) // 2  # the case is what was measured
    cuts = quantiles(sorted(times), n=100)
    benchmark.extra_info.update({"suite": "gate", "row": case, "n": len(times),
                                 "p50_s": cuts[49], "p99_s": cuts[98],
                                 "share": verdicts.count(case) / len(verdicts)})  # fmt: skip


def test_resize_is_exact_on_the_bench_graph(graph: PoolGraph, bench_graph: BenchGraph) -> None:
    """What the resize row measures is the real thing: the size passes, one unit more fails."""
    limits, slippage = CASES["resize"]
    engine = RiskEngine(RiskPolicy(default=limits), graph=graph, prices=FlatPrices())
    for n, (a, b, amount) in enumerate(_routable(graph, bench_graph, 8)):
        decision = asyncio.run(engine.review(_intent(n, a, b, amount, slippage)))
        if decision.verdict != "resize":
            continue
        size = decision.amount_in
        assert size is not None
        again = asyncio.run(engine.review(replace(_intent(n, a, b, size, slippage))))
        assert again.verdict == "approve"
        more = asyncio.run(engine.review(_intent(n, a, b, size + 1, slippage)))
        assert more.verdict != "approve"
