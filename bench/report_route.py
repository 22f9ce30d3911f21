"""The routing section of bench/RESULTS.md, from bench/test_route_bench.py's rows in the same
pytest-benchmark JSON (``extra_info["suite"] == "route"``, one ``row`` name each): the graph's
build and update cost, quote latency at 2 and 3 hops, the batch call, the networkx + pure-Python
peer on a sample of the same queries, ``split_route`` against ``best_route``, and a pool update
followed by ``arbitrage_after_update``."""

from __future__ import annotations

from typing import Any

P50_GOAL_US = 1_000.0  # 3-hop best route p50 on one core
PEER_GOAL = 100.0  # speed-up over the networkx + pure-Python baseline
ARB_GOAL_US = 1_000.0  # pool update to arbitrage verdict, p50, max_hops 3


def _goal(value: float, goal: float, *, at_most: bool, unit: str) -> str:
    met = value <= goal if at_most else value >= goal
    sign = "<=" if at_most else ">="
    return f"{sign} {goal:,.0f}{unit}: {'met' if met else 'NOT met'}"


def route_section(data: dict[str, Any]) -> list[str]:
    rows: dict[str, dict[str, Any]] = {}
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if info.get("suite") == "route":
            rows[info["row"]] = bench
    if not rows:
        return []
    lines = ["## Route finding on the benchmark graph (`bench/graphs.py`)", ""]
    build = rows.get("build")
    if build:
        info = build["extra_info"]
        lines += [
            f"{info['pools']:,} pools over {info['tokens']:,} tokens. Graph build "
            f"{build['stats']['min'] * 1e3:,.0f} ms (best round), snapshot "
            f"{info['snapshot_bytes'] / 1e6:,.1f} MB, about "
            f"{info['rss_kib_per_graph'] / 1024:,.0f} MiB resident per graph.",
            "",
        ]
    updates = rows.get("updates")
    if updates:
        n = updates["extra_info"]["n_items"]
        lines += [
            f"Pool updates (V2 reserves and V3 state, {n:,} per round): "
            f"{updates['stats']['min'] / n * 1e6:,.2f} µs each.",
            "",
        ]
    lines += [
        "| query | n | p50 µs | p99 µs | mean µs | quotes/s per core | found | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for hops in (2, 3):
        q = rows.get(f"quotes_{hops}")
        if not q:
            continue
        info = q["extra_info"]
        goal = ""
        if hops == 3:
            goal = "p50 " + _goal(info["p50_us"], P50_GOAL_US, at_most=True, unit=" µs")
        lines.append(
            f"| `best_route`, max_hops {hops}, one call each | {info['n_items']:,} | "
            f"{info['p50_us']:,.0f} | {info['p99_us']:,.0f} | {info['mean_us']:,.0f} | "
            f"{1e6 / info['mean_us']:,.0f} | {info['found']:,} | {goal} |"
        )
    for hops in (2, 3):
        b = rows.get(f"batch_{hops}")
        if not b:
            continue
        n = b["extra_info"]["n_items"]
        cores = b["extra_info"]["cpu_count"]
        wall = b["stats"]["min"]
        lines.append(
            f"| `best_routes` batch, max_hops {hops}, {cores} cores | {n:,} | | | "
            f"{wall / n * 1e6:,.0f} (wall) | {n / wall / cores:,.0f} | | |"
        )
    split = rows.get("split_3")
    if split:
        info = split["extra_info"]
        lines.append(
            f"| `split_route`, max_hops 3, up to 4 paths, one call each | {info['n_items']:,} | "
            f"{info['p50_us']:,.0f} | {info['p99_us']:,.0f} | {info['mean_us']:,.0f} | "
            f"{1e6 / info['mean_us']:,.0f} | {info['found']:,} | |"
        )
    verdicts = (
        ("arb_after_update", "V2 trade's update + `arbitrage_after_update`, max_hops 3"),
        ("scanner", "scanner: event -> graph update -> verdict, max_hops 3"),
    )
    for row, label in verdicts:
        if row not in rows:
            continue
        info = rows[row]["extra_info"]
        cycles = f"{info['cycles']:,} cycles" if "cycles" in info else ""
        lines.append(
            f"| {label} | {info['n_items']:,} | {info['p50_us']:,.0f} | {info['p99_us']:,.0f} "
            f"| | | {cycles} | p50 {_goal(info['p50_us'], ARB_GOAL_US, at_most=True, unit=' µs')} |"
        )
    if split:
        info = split["extra_info"]
        lines += [
            "",
            f"`split_route` spread {info['multi_path']:,} of its {info['found']:,} answers over "
            f"more than one path; on those, the median gain over `best_route`'s output on the same "
            f"quote is {info['median_gain_bps']:,.1f} bps. Every answer is checked to pay at "
            "least `best_route`'s net output.",
        ]
    peer_rows = [(h, rows[f"peer_{h}"]) for h in (2, 3) if f"peer_{h}" in rows]
    if peer_rows:
        lines += [
            "",
            "Baseline: networkx `all_simple_edge_paths` plus the pure-Python contract math "
            "(`tests/reference`) on a sample of the same queries, same run; every answer it "
            "finishes is checked equal to the kernel's. A peer query that exceeds its time budget "
            "is stopped and counted at the budget, so the speed-up is then a lower bound.",
            "",
            "| max_hops | queries | peer s per query | kernel µs per query | speed-up | "
            "stopped at budget | goal |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for hops, peer in peer_rows:
            info = peer["extra_info"]
            n = info["n_items"]
            peer_s = peer["stats"]["min"]
            ratio = peer_s / info["kernel_s"]
            bound = "at least " if info["stopped"] else ""
            lines.append(
                f"| {hops} | {n:,} | {peer_s / n:,.3f} | {info['kernel_s'] / n * 1e6:,.0f} | "
                f"{bound}{ratio:,.0f}x | {info['stopped']} (budget {info['budget_s']:g} s) | "
                f"{_goal(ratio, PEER_GOAL, at_most=False, unit='x')} |"
            )
    return lines
