"""The child of the crash-everywhere tests: the execution engine of a sandbox vault on a hardhat
node (swaps folded two to a ``swapBatch``, so batches and single swaps both go out) and, between
its steps, a log-follower consumer of the vault's ``Swapped`` events that appends each one to an
audit stream in the unit of work that acknowledges its batch. A redelivered event would show as
a second record of its (transaction, log index); a lost one as a missing record.

    python -m tests.crash.everywhere_child SETTINGS_JSON SANDBOX_JSON KEYSTORE PLAN_JSON

PLAN_JSON: {"from_block": N, "intents": [{key, token_in, token_out, amount, deadline}]}.
Starting resumes what a killed predecessor left; the plan's intents are proposed again
(idempotent keys). Prints ``DONE {json}`` (each of the plan's intents' status and its cause)
and, after the runtime stopped, ``REACHED n``: how often the crash point armed to count
(``name@0``) was reached.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from zippifi.chain import LogFollower, event_topic
from zippifi.chain.artifacts import load
from zippifi.crashpoints import reached
from zippifi.domain import IntentProposal
from zippifi.runtime import Runtime
from zippifi.sandbox import Sandbox
from zippifi.settings import load_settings
from zippifi.store import Store

AUDIT_STREAM = "crash-swapped"
FOLLOWER = "crash-swapped"
MAX_STEPS = 50


async def consume(follower: LogFollower, store: Store) -> None:
    """Every batch up to the head: its Swapped events recorded, and the batch acknowledged, in
    one unit of work."""
    while (batch := await follower.poll()) is not None:
        if batch.rewound_to is not None:
            raise RuntimeError(f"a reorg on the test node (rewound to {batch.rewound_to})")
        async with store.transaction() as uow:
            for log in batch.logs:
                tx = "0x" + log.tx_hash.hex()
                await uow.audit.append(AUDIT_STREAM, actor="crash-consumer", action="swapped",
                                       subject=f"{tx}:{log.log_index}",
                                       payload={"tx": tx, "log_index": log.log_index,
                                                "block": log.block_number})  # fmt: skip
            await follower.ack(batch, cursors=uow.cursors)


async def main(settings_path: str, sandbox_path: str, keystore: str, plan_path: str) -> None:
    settings = load_settings(**json.loads(Path(settings_path).read_text()))
    plan = json.loads(Path(plan_path).read_text())
    async with Runtime(settings) as rt:
        agent = rt.signer(keystore)
        box = await Sandbox.attach(rt, json.loads(Path(sandbox_path).read_text()), agent)
        vault = box.vault_account
        assert vault is not None
        engine = await rt.execution(vault, agent, **box.target(), swaps_per_tx=2)
        follower = LogFollower(
            await rt.adapter(), rt.store.cursors, FOLLOWER, addresses=[box.vault],
            topics=[event_topic(load("ZippiVault"), "Swapped")],
            start_block=plan["from_block"], subscribe=False,
        )  # fmt: skip
        await engine.resume()
        for spec in plan["intents"]:
            await engine.propose(IntentProposal(
                idempotency_key=spec["key"], proposer="crash-test", account_id=vault.id,
                chain_id=box.chain_id, token_in=spec["token_in"], token_out=spec["token_out"],
                amount=spec["amount"], slippage_bps=100,
                deadline=datetime.fromisoformat(spec["deadline"]),
            ))  # fmt: skip
        await consume(follower, rt.store)
        for _ in range(MAX_STEPS):
            report = await engine.step()
            await consume(follower, rt.store)
            busy = await rt.store.intents.search(
                status=("approved", "resized", "routed", "signed", "submitted", "confirmed"),
                account_id=vault.id,
            )  # fmt: skip
            if not report.moved and not busy:
                break
        statuses = {}
        for spec in plan["intents"]:
            intent = await rt.store.intents.by_key(spec["key"])
            statuses[spec["key"]] = (
                (None, None) if intent is None else (intent.status, intent.status_cause)
            )
        print("DONE", json.dumps(statuses), flush=True)
    print("REACHED", reached(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
