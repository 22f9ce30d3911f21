"""The vault gas section of bench/RESULTS.md, from bench/test_vault_gas.py's rows in the same
pytest-benchmark JSON: each action's gas (identical in every round), and for an agent's swap
through Uniswap the extra gas over the same swap sent straight from an EOA."""

from __future__ import annotations

from typing import Any

PEERS = {"eoa_v2": "test_gas_eoa_v2", "eoa_v3": "test_gas_eoa_v3"}


def gas_section(data: dict[str, Any]) -> list[str]:
    rows = [
        b for b in data.get("benchmarks", []) if b.get("extra_info", {}).get("suite") == "vault_gas"
    ]
    if not rows:
        return []
    by_name = {b["name"]: b for b in rows}
    lines = [
        "## ZippiVault gas",
        "",
        "py-evm (Cancun), solc 0.8.37 with the optimizer (200 runs); 2 WETH -> USDC per swap. "
        '"Over the EOA swap" is what the vault adds to the same swap sent directly '
        "(allowlists, caps, the rolling window, two oracle reads, exact approval and reset, "
        "balance checks).",
        "",
        "| action | gas | over the EOA swap |",
        "| --- | ---: | ---: |",
    ]
    for b in rows:
        info = b["extra_info"]
        extra = ""
        peer = by_name.get(PEERS.get(info.get("peer") or "", ""))
        if peer is not None:
            extra = f"+{int(info['gas']) - int(peer['extra_info']['gas']):,}"
        lines.append(f"| {info['action']} | {int(info['gas']):,} | {extra} |")
    return lines
