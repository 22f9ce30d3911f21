"""`zippifi demo`: the most complete real thing ZippiFi does today.

1. Signs a batch of EIP-1559 transactions with eth-account and with the kernel (one call per
   transaction, and one batch call), checks every byte agrees, and reports the speed-ups.
2. Starts the embedded chain (an in-process EVM), funds a fresh agent key, batch-signs transfers
   with the kernel, submits them and follows every receipt.

Later issues grow this into the whole loop (market -> decision -> risk -> execution -> ledger).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from eth_account import Account
from rich.console import Console
from rich.table import Table

from zippifi import sign
from zippifi.errors import ZippiRuntimeError

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    label: str
    seconds: float
    count: int

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


def _timed(label: str, count: int, fn: Callable[[], T]) -> tuple[Timing, T]:
    start = time.perf_counter()
    out = fn()
    return Timing(label, time.perf_counter() - start, count), out


def _transactions(n: int, to: str, chain_id: int, max_fee: int) -> list[dict[str, Any]]:
    return [
        {
            "type": 2,
            "chainId": chain_id,
            "nonce": i,
            "gas": 21000,
            "to": to,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": 10**9,
            "value": 10**12 + i,
        }
        for i in range(n)
    ]


def signing_comparison(n: int, console: Console) -> list[Timing]:
    key = os.urandom(32)
    signer = sign.Signer(key)
    txs = _transactions(n, signer.address, 1, 30 * 10**9)
    peer, reference = _timed(
        "eth-account", n, lambda: [Account.sign_transaction(t, key) for t in txs]
    )
    single, ours = _timed(
        "zippifi, one call per tx", n, lambda: [signer.sign_transaction(t) for t in txs]
    )
    batch, ours_batch = _timed("zippifi, one batch call", n, lambda: signer.sign_transactions(txs))
    for i, (ref, a, b) in enumerate(zip(reference, ours, ours_batch, strict=True)):
        if not (bytes(ref.raw_transaction) == a.raw_transaction == b.raw_transaction):
            raise ZippiRuntimeError(f"transaction {i}: kernel and eth-account disagree")
    table = Table(title=f"Signing {n:,} EIP-1559 transactions")
    table.add_column("signer")
    table.add_column("tx/s", justify="right")
    table.add_column("vs eth-account", justify="right")
    for t in (peer, single, batch):
        table.add_row(t.label, f"{t.per_second:,.0f}", f"{peer.seconds / t.seconds:,.1f}x")
    console.print(table)
    console.print(f"All {n:,} transactions byte-identical to eth-account's.")
    return [peer, single, batch]


def embedded_chain_run(n: int, console: Console) -> dict[str, int]:
    from web3 import EthereumTesterProvider, Web3
    from web3.types import Wei

    w3 = Web3(EthereumTesterProvider())
    agent = sign.Signer(os.urandom(32))
    payee = sign.Signer(os.urandom(32)).address
    funder = w3.eth.accounts[0]
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": funder, "to": agent.address, "value": Wei(10**20)})
    )
    base_fee = int(w3.eth.get_block("latest")["baseFeePerGas"])
    txs = _transactions(n, payee, w3.eth.chain_id, 4 * base_fee)
    timing, signed = _timed("batch sign", n, lambda: agent.sign_transactions(txs))
    hashes = [w3.eth.send_raw_transaction(s.raw_transaction) for s in signed]
    receipts = [w3.eth.wait_for_transaction_receipt(h) for h in hashes]
    ok = sum(1 for r in receipts if r["status"] == 1)
    if ok != n or any(r["from"] != agent.address for r in receipts):
        raise ZippiRuntimeError(f"only {ok} of {n} transactions succeeded on the embedded chain")
    expected = sum(int(t["value"]) for t in txs)
    if w3.eth.get_balance(payee) != expected:
        raise ZippiRuntimeError("payee balance does not match the transfers")
    gas = sum(int(r["gasUsed"]) for r in receipts)
    console.print(
        f"Embedded chain (py-evm, chain id {w3.eth.chain_id}): agent {agent.address} "
        f"batch-signed {n} transfers in {timing.seconds * 1e3:.1f} ms; all {ok} mined with "
        f"status 1, {gas:,} gas, payee received {expected:,} wei."
    )
    return {"mined": ok, "gas_used": gas, "paid_wei": expected}


def run_demo(n_sign: int = 2000, n_chain: int = 50, console: Console | None = None) -> None:
    console = console or Console(soft_wrap=True)
    console.rule("ZippiFi demo")
    signing_comparison(n_sign, console)
    embedded_chain_run(n_chain, console)
    console.rule("done")
