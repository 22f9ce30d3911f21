"""A hardhat 2 node for the chain-layer tests: ``ZIPPIFI_TEST_HARDHAT_URL`` if set (any
hardhat-compatible node: evm_snapshot/evm_revert, hardhat_setBalance, evm_setAutomine), else
``npx hardhat node`` started from contracts/ on a free loopback port and stopped by killing its
process group. (``ZIPPIFI_TEST_EVM_URL`` is the Uniswap harness's node and is not used here.)
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HARDHAT_URL_ENV = "ZIPPIFI_TEST_HARDHAT_URL"
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
HARDHAT_CHAIN_ID = 31337
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rpc(url: str, method: str, params: list[object] | None = None, timeout: float = 10) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


@dataclass
class HardhatNode:
    url: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    started: bool = field(default=False)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def unavailable_reason() -> str | None:
    if os.environ.get(HARDHAT_URL_ENV):
        return None
    if shutil.which("npx") is None or shutil.which("node") is None:
        return "node/npx not installed (needed to run the hardhat node)"
    if not (CONTRACTS / "node_modules" / "hardhat").is_dir():
        return "contracts/node_modules/hardhat missing: run `npm ci --prefix contracts`"
    return None


def start(log_dir: Path) -> HardhatNode:
    """The external node if configured, else a fresh hardhat node (raises if it won't start)."""
    external = os.environ.get(HARDHAT_URL_ENV)
    if external:
        rpc(external, "eth_chainId")  # fails loudly if nothing answers there
        return HardhatNode(url=external)
    port = free_port()
    log_path = log_dir / f"hardhat-{port}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            ["npx", "hardhat", "node", "--hostname", "127.0.0.1", "--port", str(port)],
            cwd=CONTRACTS, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    node = HardhatNode(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    atexit.register(node.stop)  # also when the session ends without running its finalizers
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"hardhat node exited: {log_path.read_text()[-2000:]}")
        try:
            if rpc(node.url, "eth_chainId", timeout=2) is not None:
                return node
        except OSError:
            pass
        if time.monotonic() > deadline:
            node.stop()
            raise RuntimeError(f"hardhat node did not answer within {START_TIMEOUT_S}s")
        time.sleep(0.25)
