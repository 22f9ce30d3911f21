"""Write bench/RESULTS.md from pytest-benchmark JSON (and criterion's estimates, if present).

    python bench/report.py bench/.results/sign.json [--criterion DIR] [-o bench/RESULTS.md]
    python bench/report.py bench/.results/gas.json --only gas   # just the vault gas section
    python bench/report.py bench/.results/exec.json --only execution
    python bench/report.py bench/.results/gate.json --only gate

RESULTS.md is only ever produced by this script: never edit it by hand. ``--only gas`` replaces
the "ZippiVault gas" section of the existing file (from ``pytest bench/test_vault_gas.py
--benchmark-json=...``), ``--only execution`` the execution pipeline's (from
``bench/test_execution_bench.py``), and every other section stays as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:  # run as a script, python bench/report.py, as the Makefile does
    from report_amm import amm_section, v3_rust_section
    from report_execution import EXECUTION_TITLE, execution_section
    from report_gas import SECTION_TITLE, gas_section
    from report_gate import GATE_TITLE, gate_section
    from report_market import market_section
    from report_route import route_section
    from report_store import store_section
except ImportError:  # imported as bench.report
    from bench.report_amm import amm_section, v3_rust_section
    from bench.report_execution import EXECUTION_TITLE, execution_section
    from bench.report_gas import SECTION_TITLE, gas_section
    from bench.report_gate import GATE_TITLE, gate_section
    from bench.report_market import market_section
    from bench.report_route import route_section
    from bench.report_store import store_section

SIGN_ROWS = [
    ("test_eth_account", "eth-account (peer)"),
    ("test_kernel_one_call_per_tx", "zippifi `Signer.sign_transaction`, one call per tx"),
    ("test_kernel_batch", "zippifi `Signer.sign_transactions`, one batch call"),
    (
        "test_raw_libsecp256k1_signature",
        "raw libsecp256k1 signature of a hash (coincurve, reference)",
    ),
]
GOALS = {
    "test_kernel_one_call_per_tx": 15.0,
    "test_kernel_batch": 40.0,
}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _sign_section(data: dict[str, Any]) -> list[str]:
    by_name = {b["name"]: b for b in data["benchmarks"]}
    missing = [name for name, _ in SIGN_ROWS if name not in by_name]
    if missing:
        raise SystemExit(f"benchmark JSON lacks {missing}; run the whole bench/ suite")
    n = int(by_name["test_kernel_batch"]["extra_info"]["n_txs"])
    cores = int(by_name["test_kernel_batch"]["extra_info"]["cpu_count"])
    # Best round (min), as timeit advises on shared machines; the median is shown beside it.
    per_tx = {name: by_name[name]["stats"]["min"] / n for name, _ in SIGN_ROWS}
    median = {name: by_name[name]["stats"]["median"] / n for name, _ in SIGN_ROWS}
    peer = per_tx["test_eth_account"]
    raw = per_tx["test_raw_libsecp256k1_signature"]
    backend = by_name["test_eth_account"]["extra_info"].get("eth_keys_backend", "?")
    rounds = by_name["test_kernel_batch"]["stats"]["rounds"]
    lines = [
        f"## Signing {n:,} EIP-1559 transactions",
        "",
        f"Best of {rounds} rounds (median beside it); eth-account's eth_keys backend: "
        f"`{backend}`. "
        '"Per core" multiplies the batch\'s wall time by the cores it spread over '
        f"({cores}); single-call rows run on one core.",
        "",
        "| what | µs per tx | median µs | tx/s | speed-up vs eth-account "
        "| cost per core vs raw signature | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, label in SIGN_ROWS:
        t = per_tx[name]
        per_core = t * cores if name == "test_kernel_batch" else t
        goal = GOALS.get(name)
        goal_text = ""
        if goal is not None:
            met = peer / t >= goal
            goal_text = f">= {goal:.0f}x: {'met' if met else 'NOT met'}"
        lines.append(
            f"| {label} | {t * 1e6:,.1f} | {median[name] * 1e6:,.1f} | {1 / t:,.0f} | "
            f"{peer / t:,.1f}x | "
            f"{per_core / raw:,.2f}x | {goal_text} |"
        )
    return lines


def _criterion_section(root: Path) -> list[str]:
    rows = []
    # benches/ecdsa.rs's group; benches/v3_swap.rs has its own section (report_amm.py)
    for est in sorted(root.glob("sign_recoverable/*/new/estimates.json")):
        bench = est.parent.parent
        mean_ns = json.loads(est.read_text())["mean"]["point_estimate"]
        rows.append((bench.parent.name, bench.name, mean_ns))
    if not rows:
        return []
    lines = [
        "## Rust ECDSA backends (criterion, `cargo bench -p zippifi-core --bench ecdsa`)",
        "",
        "Sign one 32-byte digest with a recoverable signature (RFC 6979, low-s).",
        "",
        "| group | backend | µs per signature |",
        "| --- | --- | ---: |",
    ]
    lines += [f"| {g} | {b} | {ns / 1000:,.1f} |" for g, b, ns in rows]
    return lines


def replace_section(text: str, title: str, section: list[str]) -> str:
    """``text`` with its ``title`` section (up to the next "## " heading) replaced by
    ``section``; appended at the end when it has none."""
    lines = text.splitlines()
    tail = "\n" if text.endswith("\n") else ""
    try:
        start = lines.index(title)
    except ValueError:
        return "\n".join([*lines, "", *section]) + "\n"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    rest = [*section, "", *lines[end:]] if end < len(lines) else section
    return "\n".join([*lines[:start], *rest]) + tail


# --only NAME: (section builder, its heading, the benchmark file that feeds it)
ONLY = {
    "gas": (gas_section, SECTION_TITLE, "bench/test_vault_gas.py"),
    "execution": (execution_section, EXECUTION_TITLE, "bench/test_execution_bench.py"),
    "gate": (gate_section, GATE_TITLE, "bench/test_gate_bench.py"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "json", type=Path, nargs="+", help="pytest-benchmark JSON (several: their rows merged)"
    )
    parser.add_argument("--criterion", type=Path, default=Path("target/criterion"))
    parser.add_argument("-o", "--output", type=Path, default=Path("bench/RESULTS.md"))
    parser.add_argument(
        "--only", choices=sorted(ONLY), help="replace only this section of the existing output file"
    )
    args = parser.parse_args()
    data = json.loads(args.json[0].read_text())
    for more in args.json[1:]:  # e.g. a section's rows run apart from the rest
        data["benchmarks"] += json.loads(more.read_text())["benchmarks"]
    if args.only is not None:
        make, title, source = ONLY[args.only]
        section = make(data)
        if not section:
            raise SystemExit(f"{args.json[0]} has no {args.only} rows ({source})")
        args.output.write_text(replace_section(args.output.read_text(), title, section))
        print(f"wrote the {args.only} section of {args.output}")
        return
    machine = data.get("machine_info", {})
    lines = [
        "# Benchmark results",
        "",
        "Generated by `bench/report.py` from pytest-benchmark JSON; do not edit by hand. "
        "Regenerate with `make bench`.",
        "",
        f"- Machine: {_cpu_model()}, {os.cpu_count()} cores, "
        f"{machine.get('python_implementation', 'CPython')} {machine.get('python_version', '')}, "
        f"{platform.system()} {platform.machine()}",
        f"- Run at: {data.get('datetime', datetime.now(UTC).isoformat())}",
        "",
        *_sign_section(data),
        "",
    ]
    # each section only when its benchmarks ran
    for section in (
        amm_section(data),
        v3_rust_section(data, args.criterion),
        store_section(data),
        market_section(data),
        route_section(data),
        execution_section(data),
        gate_section(data),
        gas_section(data),
    ):
        if section:
            lines += [*section, ""]
    crit = _criterion_section(args.criterion)
    if crit:
        lines += [*crit, ""]
    args.output.write_text("\n".join(lines))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
