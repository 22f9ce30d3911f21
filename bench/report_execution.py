"""The execution section of bench/RESULTS.md (bench/test_execution_bench.py's rows)."""

from __future__ import annotations

from typing import Any

GOAL_P50_MS = 2.0
EXECUTION_TITLE = "## Execution pipeline per intent (`bench/test_execution_bench.py`)"


def execution_section(data: dict[str, Any]) -> list[str]:
    rows = {b["extra_info"]["row"]: b for b in data["benchmarks"]
            if b.get("extra_info", {}).get("suite") == "execution"}  # fmt: skip
    if not rows:
        return []
    lines = [
        EXECUTION_TITLE,
        "",
        "Store the intent, the risk gate (the vault's rules in memory), route on the benchmark "
        "graph, minimum output and vault calldata, the gate again, sign, record the signed "
        "transaction with its nonce, on a SQLite store; no node, no eth_call. Through the store "
        "calls the engine makes: each proposal stored on its own (as proposers send them), then "
        "each stage's writes for the batch in one transaction (a stage's status changes in one "
        "`transition_many`, the nonces in one `reserve_many`, the signed transactions and their "
        "nonce marks in one journal record) and the batch signed in one call. One at a time is "
        "a batch of one; in batches of 32 each intent is charged the batch's time / 32.",
        "",
        "| route | intents | p50 ms | p99 ms | SQL statements / intent | store | gate | route | "
        "sign | record | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row, label in (("pipeline_best_route", "`best_route`, one at a time"),
                       ("pipeline_split_route", "`split_route` (4 paths), one at a time"),
                       ("pipeline_best_route_batch", "`best_route`, batches of 32"),
                       ("pipeline_split_route_batch", "`split_route`, batches of 32")):  # fmt: skip
        bench = rows.get(row)
        if bench is None:
            continue
        e = bench["extra_info"]
        sh = e["shares"]
        p50 = e["p50_s"] * 1e3
        goal = ""
        if row.startswith("pipeline_best_route"):
            goal = f"p50 <= {GOAL_P50_MS:g} ms: " + ("met" if p50 <= GOAL_P50_MS else "not met")
        statements = e.get("statements_per_intent")  # absent from runs before it was counted
        counted = "" if statements is None else f"{statements:,.1f}"
        lines.append(
            f"| {label} | {e['n_intents']:,} | {p50:,.2f} | {e['p99_s'] * 1e3:,.2f} | {counted} | "
            f"{sh['store']:.0%} | {sh['gate'] + sh['gate again']:.0%} | {sh['route']:.0%} | "
            f"{sh['sign']:.0%} | {sh['record']:.0%} | {goal} |"
        )
    first = rows.get("pipeline_best_route")
    if first and first["extra_info"].get("round_trip_s"):
        e = first["extra_info"]
        rt = e["round_trip_s"] * 1e3
        lines += [
            "",
            f"The floor under these numbers is the store: one `SELECT 1` through SQLAlchemy's "
            f"async engine and aiosqlite takes {rt:.2f} ms here, and every statement (`BEGIN` "
            "included; an executemany counts once, as it is one round trip) and every `COMMIT` "
            "pays it.",
        ]
        if "statements_per_intent" in e:
            batched = rows.get("pipeline_best_route_batch")
            for b, how in ((first, "One at a time"), (batched, "In batches of 32")):
                if b is None:
                    continue
                x = b["extra_info"]
                trips = x["statements_per_intent"] + x["commits_per_intent"]
                lines[-1] += (
                    f" {how} an intent sends {x['statements_per_intent']:.1f} statements and "
                    f"{x['commits_per_intent']:.2f} commits: {trips:.1f} round trips, about "
                    f"{trips * rt:,.1f} ms before any work."
                )
            lines[-1] += (
                " A batch's stages cost a fixed number of statements whatever its size, so in "
                "batches most of an intent's round trips are its proposal's own transaction "
                "(`BEGIN`, the intent, its event, `COMMIT`), stored as it arrives."
            )
    chains = (("in-process EVM (py-evm)", ""), ("hardhat node (JSON-RPC over HTTP)", "_hardhat"))
    through = [(chain, venue, rows.get(f"throughput_{venue}{suffix}"))
               for chain, suffix in chains for venue in ("live", "paper")]  # fmt: skip
    if any(b for _, _, b in through):
        lines += [
            "",
            "Through the whole engine, sandbox market, intents from proposal to settlement, on "
            "the in-process EVM and on a hardhat node (automine; a fill settles once mined). "
            "Bound by the node, so reported, not a goal:",
            "",
            "| chain | venue | intents | seconds | intents/s |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        for chain, venue, b in through:
            if b:
                e = b["extra_info"]
                lines.append(f"| {chain} | {venue} | {e['n_intents']:,} | {e['seconds']:,.1f} | "
                             f"{e['n_intents'] / e['seconds']:,.1f} |")  # fmt: skip
    ours, peer = rows.get("calldata_sign_zippifi"), rows.get("calldata_sign_peer")
    if ours and peer:
        a, b = ours["stats"]["median"], peer["stats"]["median"]
        lines += [
            "",
            "Stage shares include the store writes each stage makes (the gate's approval, the "
            "route's transition, the nonce reservation before signing).",
            "",
            "| vault call: calldata + EIP-1559 signature | µs (median) | speed-up |",
            "| --- | ---: | ---: |",
            f"| web3.py `encode_abi` + eth-account (peer) | {b * 1e6:,.0f} | 1.0x |",
            f"| zippifi `chain.encode_call` + `Signer.sign_transactions` | {a * 1e6:,.0f} | "
            f"{b / a:,.1f}x |",
        ]
    return [*lines, ""]
