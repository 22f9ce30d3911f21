"""Signing through the runtime survives SIGKILL at every point between the record and the
broadcast: a child signs a batch on a hardhat node and is killed after the records are written
and before the broadcast, or after a broadcast and before it is marked; a second child starts
the runtime on the same store and the same keystore. Every transaction lands exactly once, from
the bytes recorded before the kill: the same hashes on chain, none re-signed with a new nonce.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

from tests.chain.conftest import DevChain, hardhat_config
from tests.chain.contracts import EVENT_TOPIC, emitter_init
from tests.chain.hardhat import HARDHAT_CHAIN_ID, HardhatNode
from tests.chain.helpers import account, deploy
from zippifi.chain import EvmAdapter
from zippifi.sign import Signer, write_keystore
from zippifi.store import MemoryLockManager, open_store

from .conftest import run
from .harness import CrashHarness

BATCH = 5
# (where the first child dies, the nonces that must be sent again by the second)
POINTS = [
    ("submit.recorded", list(range(BATCH))),  # every record written, nothing broadcast
    ("submit.broadcast", None),  # one broadcast, not yet marked
    ("submit.broadcast@3", None),  # three broadcast (concurrently sent: which, varies)
]


@pytest.fixture(scope="module")
def emitter(hardhat_node: HardhatNode, tmp_path_factory: pytest.TempPathFactory) -> str:
    async def go() -> str:
        store = await open_store(f"sqlite:///{tmp_path_factory.mktemp('setup') / 's.db'}")
        adapter = EvmAdapter(hardhat_config(hardhat_node.url))
        await adapter.connect()
        try:
            async with account(DevChain("hardhat", adapter), store,
                               MemoryLockManager(default_ttl_s=30)) as deployer:  # fmt: skip
                return await deploy(deployer, emitter_init())
        finally:
            await adapter.close()
            await store.close()

    return run(go())


@pytest.mark.parametrize(("point", "resent"), POINTS, ids=[p for p, _ in POINTS])
async def test_batch_lands_exactly_once_after_sigkill(
    hardhat_node: HardhatNode, emitter: str, db: str, tmp_path: Path, point: str,
    resent: list[int] | None,
) -> None:  # fmt: skip
    key = os.urandom(32)
    agent = Signer(key).address
    password = secrets.token_hex(8)
    keystore = write_keystore(tmp_path / "agent.json", key, password, iterations=2)
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({
        "data_dir": str(tmp_path / "data"),
        "store": {"database_url": db},
        "chains": {"default": "hardhat", "networks": [{
            "chain_id": HARDHAT_CHAIN_ID, "name": "hardhat", "rpc_urls": [hardhat_node.url],
            "confirmations": 0, "poll_interval_s": 0.05,
        }]},
    }))  # fmt: skip
    adapter = EvmAdapter(hardhat_config(hardhat_node.url))
    await adapter.connect()
    try:
        await adapter.rpc("hardhat_setBalance", [agent, hex(10**21)])
        child = CrashHarness("tests.crash.sign_child", env={"ZIPPIFI_KEYSTORE_PASSWORD": password})
        label = f"{point}-{agent[2:10]}"
        args = (str(settings), str(keystore), emitter)
        child.crash(*args, label, str(BATCH), at=point)

        # what the killed child recorded: one signed transaction per nonce, with its bytes
        store = await open_store(db)
        try:
            recorded = {}
            for nonce in range(BATCH):
                (row,) = await store.transactions.by_nonce(HARDHAT_CHAIN_ID, agent, nonce)
                assert row.status in ("signed", "submitted")
                assert row.raw_tx is not None
                recorded[nonce] = row.tx_hash
        finally:
            await store.close()
        if point == "submit.recorded":
            assert await adapter.get_transaction_count(agent, "pending") == 0

        again = child.run(*args, label, "0")
        (recovered,) = [json.loads(x) for x in again.lines("RECOVERED")]
        assert recovered["filled"] == []
        assert recovered["released"] == []
        if resent is not None:
            assert recovered["rebroadcast"] == resent
        # a third start finds nothing left to do
        third = child.run(*args, label, "0")
        (calm,) = [json.loads(x) for x in third.lines("RECOVERED")]
        assert calm == {"pending": [], "released": [], "rebroadcast": [], "filled": []}

        # on chain: exactly the recorded transactions, each once, in nonce order
        assert await adapter.get_transaction_count(agent, "latest") == BATCH
        payloads = []
        for nonce, tx_hash in recorded.items():
            receipt = await adapter.get_receipt(bytes.fromhex(tx_hash[2:]))
            assert receipt is not None, f"recorded nonce {nonce} never landed"
            assert receipt.status == 1
            (log,) = [r for r in receipt.logs if r.topics == (EVENT_TOPIC,)]
            payloads.append(log.data)
        assert payloads == [f"{label}-{i}".encode() for i in range(BATCH)]
        store = await open_store(db)
        try:
            rows = []
            for nonce in range(BATCH):
                rows.extend(await store.transactions.by_nonce(HARDHAT_CHAIN_ID, agent, nonce))
            assert [r.tx_hash for r in rows] == list(recorded.values())  # none re-signed
            assert {r.status for r in rows} == {"submitted"}
            assert await store.nonces.in_flight(HARDHAT_CHAIN_ID, agent) == []
        finally:
            await store.close()
    finally:
        await adapter.close()
