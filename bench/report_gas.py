"""The vault gas section of bench/RESULTS.md, from bench/test_vault_gas.py's rows in the same
pytest-benchmark JSON: each action's gas (identical in every round), and for an agent's swap
through Uniswap the extra gas over the same swap sent straight from an EOA. A batch row makes
several swaps: its per-swap gas and overhead divide by that number, against a peer row of the
same swaps sent as separate EOA transactions."""

from __future__ import annotations

from typing import Any

PEERS = {
    "eoa_v2": "test_gas_eoa_v2",
    "eoa_v3": "test_gas_eoa_v3",
    "eoa_batch": "test_gas_eoa_batch",
}
SECTION_TITLE = "## ZippiVault gas"


def gas_section(data: dict[str, Any]) -> list[str]:
    rows = [
        b for b in data.get("benchmarks", []) if b.get("extra_info", {}).get("suite") == "vault_gas"
    ]
    if not rows:
        return []
    by_name = {b["name"]: b for b in rows}
    lines = [
        SECTION_TITLE,
        "",
        "py-evm (Prague rules, contracts compiled for Cancun), solc 0.8.37 with the optimizer "
        "(200 runs); 2 WETH -> USDC per swap. The vault is an ERC-1967 proxy; its rolling "
        "windows are primed (`primeWindow`) except where a row says otherwise. "
        '"Over the EOA swap" is what the vault adds to the same swap sent directly '
        "(proxy, allowlists, caps, the rolling window, two oracle reads, handing over the "
        "input, balance checks, the Swapped event); for a batch, per swap, against the same "
        "swaps sent as separate EOA transactions.",
        "",
        "| action | gas | swaps | gas per swap | over the EOA swap, per swap |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for b in rows:
        info = b["extra_info"]
        gas, swaps = int(info["gas"]), int(info.get("swaps") or 1)
        extra = ""
        peer = by_name.get(PEERS.get(info.get("peer") or "", ""))
        if peer is not None:
            over = (gas - int(peer["extra_info"]["gas"])) / swaps
            extra = f"{over:+,.0f}"
        per_swap = f"{gas / swaps:,.0f}" if swaps > 1 else ""
        lines.append(f"| {info['action']} | {gas:,} | {swaps} | {per_swap} | {extra} |")
    return lines
