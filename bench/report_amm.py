"""The AMM section of bench/RESULTS.md, from the rows of bench/test_amm_bench.py in the same
pytest-benchmark JSON: per workload, each kernel variant against the pure-Python peer, per item;
and, when criterion's estimates of core-rs/benches/v3_swap.rs are present, the V3 swap in Rust
alone beside its Rust peer and beside the Python call.

Each row's ``extra_info`` has ``suite`` "amm" and names its ``workload``, ``role`` (peer or
kernel), ``variant`` (per_call: one call per item; batch: one call for all) and ``n_items`` per
round.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

V3_SPEEDUP_GOAL = 100.0  # V3 swap: the kernel, one call per swap, >= 100x the peer
V2_BATCH_GOAL_S = 0.5e-6  # V2: batched quotes <= 0.5 µs each, from Python, conversions included

LABELS = {
    ("peer", "per_call"): "pure-Python peer (tests/reference), one call per item",
    ("kernel", "per_call"): "zippifi, one call per item",
    ("kernel", "per_call_cold"): "zippifi, one call per item, each on a pool that never swapped",
    ("kernel", "batch"): "zippifi, one batch call",
}


def _title(workload: str, info: dict[str, Any]) -> str:
    if workload.startswith("v3_swap_cross_"):
        n = info.get("ticks_crossed", "?")
        return f"V3 exact-input swap crossing {n} initialized tick{'' if n == 1 else 's'}"
    if workload == "v2_quotes":
        return "V2 getAmountOut quote"
    if workload.startswith("stableswap_get_dy"):
        return f"StableSwap get_dy, {info.get('n_coins', '?')} coins"
    if workload == "book_fill_many":
        return f"order-book fill, {info.get('n_levels', '?'):,}-level book"
    return workload


def _order(workload: str) -> tuple[int, int, str]:
    if workload.startswith("v3_swap_cross_"):
        return (0, int(workload.rsplit("_", 1)[1]), workload)
    rank = {"v2_quotes": 1, "book_fill_many": 3}.get(workload, 2)
    return (rank, 0, workload)


def _goal(workload: str, role: str, variant: str, per_item: float, peer: float | None) -> str:
    if role != "kernel":
        return ""
    if workload.startswith("v3_swap_cross_") and variant in ("per_call", "per_call_cold"):
        met = peer is not None and peer / per_item >= V3_SPEEDUP_GOAL
        return f">= {V3_SPEEDUP_GOAL:.0f}x the peer: {'met' if met else 'NOT met'}"
    if workload == "v2_quotes" and variant == "batch":
        met = per_item <= V2_BATCH_GOAL_S
        return f"<= {V2_BATCH_GOAL_S * 1e6:.1f} µs per quote: {'met' if met else 'NOT met'}"
    return ""


def _us(seconds: float) -> str:
    us = seconds * 1e6
    return f"{us:,.3f}" if us < 10 else f"{us:,.1f}"


def amm_section(data: dict[str, Any]) -> list[str]:
    """Markdown lines for the AMM benchmarks, or [] when the JSON has none."""
    rows = [b for b in data.get("benchmarks", []) if b.get("extra_info", {}).get("suite") == "amm"]
    if not rows:
        return []
    workloads: dict[str, list[dict[str, Any]]] = {}
    for b in rows:
        workloads.setdefault(b["extra_info"]["workload"], []).append(b)
    rounds = min(b["stats"]["rounds"] for b in rows)
    lines = [
        "## AMM kernels against pure-Python peers",
        "",
        f"Best of {rounds} rounds (median beside it), per item. Each round runs every item of "
        "a precomputed list of distinct inputs; peer and kernel take the same inputs and are "
        "checked to agree. The peer is plain big-int Python (`tests/reference`). V3 swaps run "
        "on one pool object, as a simulation or a live pool does: from the pool's second swap "
        "on, a swap step that reaches an initialized tick is remembered on that tick and later "
        "swaps over the same range reuse it; likewise the first step from the pool's current "
        "state, the same for every swap until the state changes (the input amount is never "
        "cached). The rows 'each on a pool that never swapped' give the first-swap cost, with "
        "nothing remembered.",
        "",
        "| workload | what | items per round | µs per item | median µs | speed-up vs peer | goal |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for workload in sorted(workloads, key=_order):
        group = workloads[workload]
        peers = [b for b in group if b["extra_info"]["role"] == "peer"]
        peer = peers[0]["stats"]["min"] / peers[0]["extra_info"]["n_items"] if peers else None
        title = _title(workload, group[0]["extra_info"])
        key = {
            ("peer", "per_call"): 0,
            ("kernel", "per_call"): 1,
            ("kernel", "per_call_cold"): 2,
            ("kernel", "batch"): 3,
        }
        for b in sorted(
            group, key=lambda b: key.get((b["extra_info"]["role"], b["extra_info"]["variant"]), 4)
        ):
            info = b["extra_info"]
            n = int(info["n_items"])
            per_item = b["stats"]["min"] / n
            median = b["stats"]["median"] / n
            what = LABELS.get((info["role"], info["variant"]), f"{info['role']} {info['variant']}")
            ratio = f"{peer / per_item:,.1f}x" if peer else ""
            goal = _goal(workload, info["role"], info["variant"], per_item, peer)
            lines.append(
                f"| {title} | {what} | {n:,} | {_us(per_item)} | {_us(median)} | {ratio} | {goal} |"
            )
    return lines


V3_CROSSINGS = (0, 1, 10, 100)


def _criterion_us(root: Path, group: str, name: str) -> float | None:
    """Criterion's median estimate for one benchmark, in µs, or None when it did not run."""
    est = root / group / name / "new" / "estimates.json"
    if not est.exists():
        return None
    return float(json.loads(est.read_text())["median"]["point_estimate"]) / 1000


def _python_us(data: dict[str, Any], crossed: int, role: str, variant: str) -> float | None:
    for b in data.get("benchmarks", []):
        info = b.get("extra_info", {})
        if (
            info.get("suite") == "amm"
            and info.get("workload") == f"v3_swap_cross_{crossed}"
            and (info.get("role"), info.get("variant")) == (role, variant)
        ):
            return float(b["stats"]["min"]) / int(info["n_items"]) * 1e6
    return None


def v3_rust_section(data: dict[str, Any], criterion: Path) -> list[str]:
    """The V3 swap in Rust alone (criterion) against the `uniswap_v3_math` crate, and the share
    of a Python call it accounts for; [] when `cargo bench --bench v3_swap` has not run."""
    rows = []
    for n in V3_CROSSINGS:
        rust_peer = _criterion_us(criterion, "v3_swap_peer", f"cross_{n}")
        warm = _criterion_us(criterion, "v3_swap_warm", f"cross_{n}")
        cold = _criterion_us(criterion, "v3_swap_cold", f"cross_{n}")
        if rust_peer is None or warm is None or cold is None:
            return []
        call = _python_us(data, n, "kernel", "per_call")
        py_peer = _python_us(data, n, "peer", "per_call")

        def fmt(x: float | None) -> str:
            return "" if x is None else f"{x:,.3f}" if x < 10 else f"{x:,.1f}"

        def ratio(a: float | None, b: float | None) -> str:
            return "" if a is None or b is None else f"{a / b:,.1f}x"

        share = "" if call is None else f"{min(warm / call, 1.0):.0%}"
        rows.append(
            f"| {n} | {fmt(rust_peer)} | {fmt(warm)} | {fmt(cold)} | {ratio(rust_peer, warm)} "
            f"/ {ratio(rust_peer, cold)} | {fmt(call)} | {share} | {fmt(py_peer)} | "
            f"{ratio(py_peer, rust_peer)} | {ratio(py_peer, warm)} |"
        )
    return [
        "## V3 swap in Rust alone (criterion, `cargo bench -p zippifi-core --bench v3_swap`)",
        "",
        "The swaps of the table above, same pool and amounts, with no Python around them: the "
        "kernel on one pool ('one pool', as the Python row 'one call per item') and on a pool "
        "that never swapped, beside the Rust peer: the `uniswap_v3_math` crate (the port amms-rs "
        "builds on) driven by the UniswapV3Pool.swap loop in the bench; the bench checks that "
        "both agree on every swap. Criterion's median, µs per swap. 'Rust share' is the part of "
        "the Python call that is the kernel's own work; the last column is the speed-up over the "
        "pure-Python peer that a Python call costing nothing would give: the ceiling for any "
        "per-call speed-up from Python.",
        "",
        "| ticks crossed | uniswap_v3_math µs | zippifi in Rust, one pool µs | zippifi in Rust, "
        "never swapped µs | zippifi vs uniswap_v3_math (one pool / never swapped) | zippifi from "
        "Python µs | Rust share of the call | pure-Python peer µs | pure-Python peer / "
        "uniswap_v3_math | pure-Python peer / zippifi in Rust |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
    ]
