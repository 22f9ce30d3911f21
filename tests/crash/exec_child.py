"""The execution child of the crash tests: a live runtime on a hardhat node attaches to the
sandbox market deployed by the test, resumes what an earlier (killed) run left, proposes the
same intents again (idempotent keys) and runs the engine until every intent is done.

    python -m tests.crash.exec_child SETTINGS_JSON SANDBOX_JSON KEYSTORE INTENTS_JSON

INTENTS_JSON lists {key, token_in, token_out, amount, deadline}. Prints ``DONE {json}`` with
each intent's status. The agent keystore's password is in ZIPPIFI_KEYSTORE_PASSWORD.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from zippifi.domain import IntentProposal
from zippifi.runtime import Runtime
from zippifi.sandbox import Sandbox
from zippifi.settings import load_settings


async def main(settings_path: str, sandbox_path: str, keystore: str, intents_path: str) -> None:
    settings = load_settings(**json.loads(Path(settings_path).read_text()))
    async with Runtime(settings) as rt:
        agent = rt.signer(keystore)
        box = await Sandbox.attach(rt, json.loads(Path(sandbox_path).read_text()), agent)
        assert box.vault_account is not None
        # three intents go out as a swapBatch of two and a single swap: kills land between two
        # broadcasts, and a batch's intents must end together
        engine = await rt.execution(box.vault_account, agent, **box.target(), swaps_per_tx=2)
        await engine.resume()
        for spec in json.loads(Path(intents_path).read_text()):
            await engine.propose(IntentProposal(
                idempotency_key=spec["key"], proposer="crash-test",
                account_id=box.vault_account.id, chain_id=box.chain_id,
                token_in=spec["token_in"], token_out=spec["token_out"], amount=spec["amount"],
                slippage_bps=100, deadline=datetime.fromisoformat(spec["deadline"]),
            ))  # fmt: skip
        await engine.run_until_idle(max_steps=50)
        intents = await rt.store.intents.search(account_id=box.vault_account.id)
        statuses = {i.idempotency_key: i.status for i in intents}
        print("DONE", json.dumps(statuses), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
