"""Signing N EIP-1559 transactions: eth-account (coincurve backend) vs the kernel, one call per
transaction and one batch call, with one raw libsecp256k1 signature (coincurve) per transaction
as the physical reference. All in one run; bench/report.py turns the JSON into RESULTS.md."""

from __future__ import annotations

import os
from typing import Any

import coincurve
import eth_keys
import pytest
from eth_account import Account

from bench.conftest import N_TXS, ROUNDS
from zippifi import sign

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
TO = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
GROUP = f"sign {N_TXS} EIP-1559 txs"


def _txs() -> list[dict[str, Any]]:
    return [
        {
            "type": 2,
            "chainId": 1,
            "nonce": n,
            "gas": 21000,
            "maxFeePerGas": 30 * 10**9 + n,
            "maxPriorityFeePerGas": 10**9,
            "to": TO,
            "value": 10**15 + n,
            "data": b"",
        }
        for n in range(N_TXS)
    ]


TXS = _txs()


def _info(benchmark: Any, **extra: Any) -> None:
    benchmark.extra_info.update({"n_txs": N_TXS, "cpu_count": os.cpu_count(), **extra})


def _run(benchmark: Any, fn: Any) -> Any:
    # one warm-up round: starts the thread pool and fills caches, for every row alike
    return benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)


@pytest.mark.benchmark(group=GROUP)
def test_eth_account(benchmark: Any) -> None:
    backend = type(eth_keys.KeyAPI().backend).__name__
    _info(benchmark, peer="eth-account", eth_keys_backend=backend)
    out = _run(benchmark, lambda: [Account.sign_transaction(tx, KEY) for tx in TXS])
    assert len(out) == N_TXS


@pytest.mark.benchmark(group=GROUP)
def test_kernel_one_call_per_tx(benchmark: Any) -> None:
    _info(benchmark)
    signer = sign.Signer(KEY)
    out = _run(benchmark, lambda: [signer.sign_transaction(tx) for tx in TXS])
    assert out[-1].raw_transaction == bytes(Account.sign_transaction(TXS[-1], KEY).raw_transaction)


@pytest.mark.benchmark(group=GROUP)
def test_kernel_batch(benchmark: Any) -> None:
    _info(benchmark)
    signer = sign.Signer(KEY)
    out = _run(benchmark, lambda: signer.sign_transactions(TXS))
    assert out[0].raw_transaction == bytes(Account.sign_transaction(TXS[0], KEY).raw_transaction)


@pytest.mark.benchmark(group=GROUP)
def test_raw_libsecp256k1_signature(benchmark: Any) -> None:
    """One coincurve sign_recoverable of a 32-byte hash per transaction: the floor per core."""
    _info(benchmark, reference=True)
    key = coincurve.PrivateKey(KEY)
    digests = [n.to_bytes(32, "big") for n in range(1, N_TXS + 1)]
    out = _run(benchmark, lambda: [key.sign_recoverable(d, hasher=None) for d in digests])
    assert len(out[0]) == 65
