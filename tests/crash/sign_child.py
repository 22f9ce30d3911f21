"""The signing child of the crash tests: a live runtime on a hardhat node signs and sends one
batch of calls to an emitter contract, its signer opened from a keystore.

    python -m tests.crash.sign_child SETTINGS_JSON KEYSTORE EMITTER LABEL COUNT

Starting the runtime's submitter resolves what a killed predecessor left in flight (printed as
``RECOVERED {json}``); COUNT > 0 then sends COUNT calls whose calldata is ``LABEL-i``
(``SENT {json}``), or ``REFUSED {json}`` if the account's nonce lease was lost meanwhile. The
keystore's password is in ZIPPIFI_KEYSTORE_PASSWORD.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from zippifi.chain import TxRequest
from zippifi.errors import LeaseLostError
from zippifi.runtime import Runtime
from zippifi.settings import load_settings


async def main(settings_path: str, keystore: str, emitter: str, label: str, count: int) -> None:
    settings = load_settings(**json.loads(Path(settings_path).read_text()))
    async with Runtime(settings) as rt:
        signer = rt.signer(keystore)
        submitter = await rt.submitter(signer)
        r = rt.recoveries[(submitter.adapter.chain_id, submitter.account)]
        print("RECOVERED", json.dumps({
            "pending": r.pending, "released": r.released, "rebroadcast": r.rebroadcast,
            "filled": [f.nonce for f in r.filled],
        }), flush=True)  # fmt: skip
        if count:
            requests = [TxRequest(to=emitter, data=f"{label}-{i}".encode(), gas=60_000)
                        for i in range(count)]  # fmt: skip
            try:
                sent = await submitter.submit_many(requests)
            except LeaseLostError as exc:  # slept through losing the account: sends nothing
                print("REFUSED", json.dumps({"error": str(exc)}), flush=True)
                return
            print("SENT", json.dumps({"nonces": [s.nonce for s in sent],
                                      "errors": [str(s.error) for s in sent if s.error]}),
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    settings_path, keystore, emitter, label, count = sys.argv[1:6]
    asyncio.run(main(settings_path, keystore, emitter, label, int(count)))
