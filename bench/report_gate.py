"""The risk gate section of bench/RESULTS.md (bench/test_gate_bench.py's rows)."""

from __future__ import annotations

from typing import Any

GOAL_P50_MS = 1.0
GATE_TITLE = "## Risk gate per decision (`bench/test_gate_bench.py`)"
LABELS = (
    ("approve", "approve: every size rule checked (notional, window, impact on the kernel)"),
    ("reject", "reject: a fixed rule (the slippage bound)"),
    ("resize", "exact resize: the impact bound by bisection to one raw unit"),
)


def gate_section(data: dict[str, Any]) -> list[str]:
    rows = {b["extra_info"]["row"]: b for b in data["benchmarks"]
            if b.get("extra_info", {}).get("suite") == "gate"}  # fmt: skip
    if not rows:
        return []
    lines = [
        GATE_TITLE,
        "",
        "One decision on the benchmark graph (5,000 pools) for a single-route intent, prices "
        "from memory, decisions kept in memory: the gate's own cost.",
        "",
        "| decision | n | p50 ms | p99 ms | goal |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for row, label in LABELS:
        b = rows.get(row)
        if b is None:
            continue
        e = b["extra_info"]
        p50 = e["p50_s"] * 1e3
        goal = ""
        if row in ("approve", "reject"):
            goal = f"p50 <= {GOAL_P50_MS:g} ms: " + ("met" if p50 <= GOAL_P50_MS else "not met")
        lines.append(f"| {label} | {e['n']:,} | {p50:,.3f} | {e['p99_s'] * 1e3:,.3f} | {goal} |")
    return [*lines, ""]
