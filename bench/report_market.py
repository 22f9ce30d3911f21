"""The market section of bench/RESULTS.md, from bench/test_market_bench.py's rows in the same
pytest-benchmark JSON: the numpy OHLCV rollup against pandas ``resample().ohlc()``, per
workload. Each row's ``extra_info`` has ``suite`` "market", its ``workload``, ``role`` (zippifi
or pandas) and ``n_ticks``."""

from __future__ import annotations

from typing import Any

TITLES = {
    "rollup_1m": "1-minute candles",
    "rollup_4_intervals": "1s, 1m, 5m and 1h candles",
}
LABELS = {
    "zippifi": "zippifi `market.rollup` (numpy)",
    "pandas": "pandas `resample().ohlc()` + volume + count (peer)",
}


def market_section(data: dict[str, Any]) -> list[str]:
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if info.get("suite") == "market":
            rows.setdefault(info["workload"], {})[info["role"]] = bench
    if not rows:
        return []
    n_ticks = int(next(iter(next(iter(rows.values())).values()))["extra_info"]["n_ticks"])
    lines = [
        f"## OHLCV rollup of {n_ticks:,} ticks",
        "",
        "Best round (median beside it), arrays already in memory on both sides; each row "
        "checked equal to the other (open/high/low/close/count exactly, volume to 1e-12).",
        "",
        "| candles | what | ms | median ms | M ticks/s | vs pandas |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for workload in sorted(rows, key=lambda w: list(TITLES).index(w) if w in TITLES else 99):
        by_role = rows[workload]
        peer = by_role.get("pandas")
        for role in ("pandas", "zippifi"):
            if role not in by_role:
                continue
            stats = by_role[role]["stats"]
            best, median = stats["min"], stats["median"]
            ratio = f"{peer['stats']['min'] / best:,.1f}x" if peer else ""
            lines.append(
                f"| {TITLES.get(workload, workload)} | {LABELS.get(role, role)} | "
                f"{best * 1e3:,.1f} | {median * 1e3:,.1f} | {n_ticks / best / 1e6:,.1f} | "
                f"{ratio} |"
            )
    return lines
