"""A real process SIGKILLed with transactions in flight, then restarted on the same store (a
SQLite file, and a fresh PostgreSQL database of its own): the nonce manager and the log
follower resume with no gap and no duplicate."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from zippifi.sign import Signer
from zippifi.store import MemoryLockManager, open_store

from .conftest import DevChain
from .contracts import emitter_init
from .helpers import account, deploy
from .restart_child import STREAM

ROOT = Path(__file__).resolve().parents[2]


def _child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.chain.restart_child", *args], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


async def test_sigkill_with_transactions_in_flight_then_resume(
    hardhat_chain: DevChain, tmp_path: Path, db: str
) -> None:
    chain = hardhat_chain
    key = "0x" + secrets.token_hex(32)
    # the emitter is deployed by another account, so the child's nonces start at 0
    setup_store = await open_store(f"sqlite:///{tmp_path / 'setup.db'}")
    async with account(chain, setup_store, MemoryLockManager(default_ttl_s=30)) as deployer:
        emitter = await deploy(deployer, emitter_init())
    await setup_store.close()
    child_address = Signer(key).address
    await chain.fund(child_address, 10**21)
    start = str(await chain.adapter.block_number())
    url = chain.adapter.config.rpc_urls[0]

    first = _child("crash", url, db, key, emitter, start, "3")
    lines: list[str] = []
    assert first.stdout is not None
    for line in first.stdout:
        lines.append(line.strip())
        if line.startswith("IN-FLIGHT"):
            break
    assert lines[-1].startswith("IN-FLIGHT"), lines
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL

    second = _child("resume", url, db, key, emitter, start, "2")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, (out, err)
    # nonce 15 was mined before the kill (reconciling on start confirmed it); 16..19 were
    # stored with their hashes but never left: filled with no-ops
    recovered = next(x for x in out.splitlines() if x.startswith("RECOVERED"))
    assert recovered == "RECOVERED [] [] [16, 17, 18, 19]"

    store = await open_store(db)
    try:
        chain_count = await chain.adapter.get_transaction_count(child_address)
        assert await store.nonces.in_flight(chain.adapter.chain_id, child_address) == []
        expected_logs: list[dict[str, Any]] = []
        for nonce in range(chain_count):
            record = await store.nonces.get(chain.adapter.chain_id, child_address, nonce)
            assert record is not None, nonce
            assert record.status == "confirmed"
            assert record.tx_hash is not None
            tx_hash = bytes.fromhex(record.tx_hash[2:])
            info = await chain.adapter.get_transaction(tx_hash)
            assert info is not None
            assert (info.nonce, info.sender, info.block_number is not None) == (
                nonce, child_address, True,
            )  # fmt: skip
            receipt = await chain.adapter.get_receipt(tx_hash)
            assert receipt is not None
            expected_logs.extend(
                {"block_hash": r.block_hash.hex(), "log_index": r.log_index, "data": r.data.hex()}
                for r in receipt.logs
            )
        # nothing stored beyond the chain's nonce
        assert await store.nonces.get(chain.adapter.chain_id, child_address, chain_count) is None
        # 3 batches before the crash, the first tx of the crashing batch, 2 batches after
        # (and no-op fillers for the 4 that never left): 5 x 3 + 1 + 4 + 5 x 2 = 30 nonces
        assert chain_count == 30
        records = await store.audit.records(STREAM, limit=1000)
        assert [json.loads(r.payload) for r in records] == expected_logs
        payloads = [bytes.fromhex(p["data"]) for p in expected_logs]
        assert payloads == [
            *(f"crash-{b}-{i}".encode() for b in range(3) for i in range(5)),
            b"doomed-0",
            *(f"resume-{b}-{i}".encode() for b in range(2) for i in range(5)),
        ]
        assert (await store.audit.verify(STREAM)).ok
    finally:
        await store.close()
