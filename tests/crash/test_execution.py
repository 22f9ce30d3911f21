"""Execution survives SIGKILL at every named point: a child carries intents through the live
runtime on a hardhat node (the sandbox's real vault and pools) and is killed after an intent is
stored, after signing, after the intents are marked signed, after a broadcast and before it is
recorded, before an intent is marked submitted, mid fill booking (inside its database
transaction) and mid settlement; restarted, it finishes. After each kill and restart every
intent ends in exactly one terminal status (settled), none is lost, and the vault emitted exactly
one ``Swapped`` per intent (none executed twice). The three intents go out as a ``swapBatch`` of
two and a single swap. ``ZIPPIFI_LONG_TESTS=1`` kills more."""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from tests.chain.hardhat import HARDHAT_CHAIN_ID, HardhatNode
from zippifi.chain import decode_event, event_topic
from zippifi.chain.artifacts import load
from zippifi.runtime import Runtime
from zippifi.sandbox import Sandbox
from zippifi.settings import load_settings
from zippifi.sign import Signer, write_keystore
from zippifi.store.types import utcnow

from .harness import CrashHarness

SINGLE = [
    "execution.proposed@2",  # the second intent stored, the third not yet
    "submit.recorded",  # the batch signed and recorded, nothing broadcast
    "submit.marked",  # the intents marked signed, nothing broadcast
    "submit.broadcast",  # the first broadcast, not yet marked
    "submit.broadcast@2",
    "execution.sent",  # broadcast, the intent not yet submitted
    "execution.fills",  # fills written inside the transaction that confirms: rolled back
    "execution.settling",  # the fill sink called, the fill not yet final
]
# killed twice: the restart dies again further on
TWICE = [
    ("execution.proposed@3", "submit.recorded"),
    ("submit.recorded", "execution.fills"),
    ("submit.marked", "execution.settling@2"),
    ("submit.broadcast@2", "execution.fills@2"),
]
LONG_ONLY = [
    ("execution.proposed", "submit.marked", "execution.fills@2"),
    ("submit.broadcast", "execution.fills", "execution.settling@2"),
    ("execution.sent", "execution.fills", "execution.settling@3"),
]
SEQUENCES = [(p,) for p in SINGLE] + TWICE
if os.environ.get("ZIPPIFI_LONG_TESTS") == "1":
    SEQUENCES += LONG_ONLY


async def _deploy(settings: Path, agent_key: bytes) -> dict[str, object]:
    deployer, agent = Signer(os.urandom(32)), Signer(agent_key)
    async with Runtime(load_settings(**json.loads(settings.read_text()))) as rt:
        adapter = await rt.adapter()
        for key in (deployer, agent):
            await adapter.rpc("hardhat_setBalance", [key.address, hex(10**21)])
        box = await Sandbox.deploy(rt, deployer=deployer, agent=agent)
    return box.addresses()


@pytest.mark.parametrize("points", SEQUENCES, ids=["+".join(s) for s in SEQUENCES])
async def test_intents_end_exactly_once_after_sigkill(
    hardhat_node: HardhatNode, tmp_path: Path, points: tuple[str, ...]
) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({
        "data_dir": str(tmp_path / "data"),
        "store": {"database_url": f"sqlite:///{tmp_path / 'exec.db'}"},
        "chains": {"default": "hardhat", "networks": [{
            "chain_id": HARDHAT_CHAIN_ID, "name": "hardhat", "rpc_urls": [hardhat_node.url],
            "confirmations": 0, "poll_interval_s": 0.05,
        }]},
    }))  # fmt: skip
    agent_key = os.urandom(32)
    agent = Signer(agent_key)
    addresses = await _deploy(settings, agent_key)
    sandbox = tmp_path / "sandbox.json"
    sandbox.write_text(json.dumps(addresses))
    password = secrets.token_hex(8)
    keystore = write_keystore(tmp_path / "agent.json", agent_key, password, iterations=2)
    tokens = addresses["tokens"]
    assert isinstance(tokens, dict)
    deadline = (utcnow() + timedelta(hours=1)).isoformat()
    intents = [
        {"key": f"intent-{i}", "token_in": tokens[a], "token_out": tokens[b], "amount": amount,
         "deadline": deadline}
        for i, (a, b, amount) in enumerate([("WETH", "USDC", 10**18), ("USDC", "DAI", 3 * 10**9),
                                            ("DAI", "WETH", 2_000 * 10**18)])
    ]  # fmt: skip
    plan = tmp_path / "intents.json"
    plan.write_text(json.dumps(intents))
    child = CrashHarness("tests.crash.exec_child", env={"ZIPPIFI_KEYSTORE_PASSWORD": password})
    args = (str(settings), str(sandbox), str(keystore), str(plan))
    for point in points:
        child.crash(*args, at=point)
    done = child.run(*args)
    (statuses,) = [json.loads(x) for x in done.lines("DONE")]
    assert statuses == {spec["key"]: "settled" for spec in intents}

    # on chain: exactly one Swapped per intent, from the agent, in the intent's transaction
    vault_abi = load("ZippiVault")
    async with Runtime(load_settings(**json.loads(settings.read_text()))) as rt:
        adapter = await rt.adapter()
        logs = await adapter.get_logs(from_block=0, to_block=await adapter.block_number(),
                                      addresses=[str(addresses["vault"])],
                                      topics=[[event_topic(vault_abi, "Swapped")]])  # fmt: skip
        swaps = [decode_event(vault_abi, "Swapped", log) for log in logs]
        assert len(swaps) == len(intents)
        assert {s.args["agent"] for s in swaps if s} == {agent.address}
        for spec in intents:
            intent = await rt.store.intents.by_key(str(spec["key"]))
            assert intent is not None
            txs = [t for t in await rt.store.transactions.for_intent(intent.id)
                   if t.status == "mined"]  # fmt: skip
            assert len(txs) == 1
            # a swapBatch transaction carries several: the intent's is at its place in it
            in_tx = sorted((s for s in swaps if s and "0x" + s.log.tx_hash.hex() == txs[0].tx_hash),
                           key=lambda s: s.log.log_index)  # fmt: skip
            served = await rt.store.transactions.intents_of(txs[0].id)
            assert len(in_tx) == len(served)
            mine = in_tx[served.index(intent.id)]
            (fill,) = await rt.store.fills.for_intent(intent.id)
            assert (fill.status, fill.log_index, fill.amount_in, fill.amount_out) == (
                "final", mine.log.log_index, mine.args["amountIn"], mine.args["amountOut"],
            )  # fmt: skip
