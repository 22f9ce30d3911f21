"""The tick-ingest section of bench/RESULTS.md, from bench/test_store_bench.py's rows in the same
pytest-benchmark JSON: COPY (the store's path) against asyncpg executemany, SQLite beside them."""

from __future__ import annotations

from typing import Any

ROWS = [
    ("test_postgres_copy", "PostgreSQL COPY (the store's path)"),
    ("test_postgres_executemany", "PostgreSQL asyncpg executemany (peer)"),
    ("test_sqlite_executemany", "SQLite executemany (embedded default, reference)"),
]
PEER = "test_postgres_executemany"
GOAL_ROWS_PER_S = 100_000


def store_section(data: dict[str, Any]) -> list[str]:
    by_name = {b["name"]: b for b in data["benchmarks"]}
    present = [(name, label) for name, label in ROWS if name in by_name]
    if not present:
        return []
    rows = int(by_name[present[0][0]]["extra_info"].get("rows_per_call", 0))
    lines = [
        f"## Tick ingest, {rows:,} ticks per call",
        "",
        "Best round (median beside it); ticks/s = rows / seconds.",
        "",
        "| method | ticks/s | median ticks/s | vs executemany | goal |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    peer_min = by_name[PEER]["stats"]["min"] if PEER in by_name else None
    for name, label in present:
        stats = by_name[name]["stats"]
        n = int(by_name[name]["extra_info"].get("rows_per_call", rows))
        best, median = n / stats["min"], n / stats["median"]
        ratio = f"{peer_min / stats['min']:,.1f}x" if peer_min else ""
        goal = ""
        if name == "test_postgres_copy":
            goal = f">= {GOAL_ROWS_PER_S:,}/s: {'met' if best >= GOAL_ROWS_PER_S else 'NOT met'}"
        lines.append(f"| {label} | {best:,.0f} | {median:,.0f} | {ratio} | {goal} |")
    return lines
