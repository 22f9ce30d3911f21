"""A hardhat node driven over raw JSON-RPC on one keep-alive HTTP connection, for the adversarial
vault tests: they send thousands of transactions, each at a block time they choose, and read
the chain after every one; web3's own overhead per request is several times hardhat's.

Time: every transaction is mined at exactly :attr:`DevNode.now` (``evm_setNextBlockTimestamp``),
which then moves on by one second; :meth:`DevNode.advance` jumps ahead. Reverts raise
:class:`Reverted` with the revert data (hardhat returns it for eth_call and, with automine, for
eth_sendTransaction too: the failed transaction is mined and changes nothing but the sender's
nonce).
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode

from zippifi.sign import keccak256, to_checksum_address

GAS = 15_000_000


def split_types(inner: str) -> list[str]:
    """``"address,(uint8,bytes)[],uint256"`` -> its top-level types."""
    out: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(inner[start:i])
            start = i + 1
    if inner[start:]:
        out.append(inner[start:])
    return out


def selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


def calldata(signature: str, *args: Any) -> bytes:
    """Calldata of ``signature`` (e.g. ``"transfer(address,uint256)"``) with ``args``."""
    types = split_types(signature[signature.index("(") + 1 : -1])
    return selector(signature) + abi_encode(types, list(args))


def decode(types: list[str], data: bytes) -> tuple[Any, ...]:
    return tuple(abi_decode(types, data))


class Reverted(Exception):  # noqa: N818 (named after what the chain does)
    """A call or transaction reverted with ``data`` (the raw revert data)."""

    def __init__(self, data: bytes, message: str) -> None:
        super().__init__(message)
        self.data = data


@dataclass(frozen=True)
class Log:
    address: str
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class Receipt:
    block_time: int
    logs: tuple[Log, ...]
    contract_address: str | None
    gas_used: int


def _hex(value: str | None) -> bytes:
    return bytes.fromhex(value[2:]) if value else b""


class DevNode:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._conn = http.client.HTTPConnection(self._host, self._port, timeout=120)
        self._id = 0
        self.accounts = [to_checksum_address(a) for a in self.rpc("eth_accounts", [])]
        latest = self.rpc("eth_getBlockByNumber", ["latest", False])
        self.now = int(latest["timestamp"], 16) + 1
        self.chain_id = int(self.rpc("eth_chainId", []), 16)

    # ------------------------------------------------------------------ transport

    def _post(self, body: bytes) -> Any:
        for attempt in (0, 1):
            try:
                self._conn.request("POST", "/", body, {"content-type": "application/json"})
                return json.loads(self._conn.getresponse().read())
            except (http.client.HTTPException, ConnectionError):
                # the node closed the keep-alive connection: one fresh connection, then give up
                self._conn.close()
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=120)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def rpc(self, method: str, params: list[Any]) -> Any:
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params})
        answer = self._post(body.encode())
        error = answer.get("error")
        if error is not None:
            data = error.get("data")
            raw = data.get("data") if isinstance(data, dict) else data
            if isinstance(raw, str) and raw.startswith("0x"):
                raise Reverted(_hex(raw), str(error.get("message")))
            if "revert" in str(error.get("message", "")):
                raise Reverted(b"", str(error.get("message")))
            raise RuntimeError(f"{method}: {error}")
        return answer["result"]

    # ------------------------------------------------------------------ chain

    def call(self, to: str, data: bytes, sender: str | None = None) -> bytes:
        tx: dict[str, Any] = {"to": to, "data": "0x" + data.hex(), "gas": hex(GAS)}
        if sender is not None:
            tx["from"] = sender
        return _hex(self.rpc("eth_call", [tx, "latest"]))

    def send(
        self, sender: str, to: str | None, data: bytes, value: int = 0, gas: int = GAS
    ) -> Receipt:
        """A transaction mined at exactly ``now`` (which then moves on a second)."""
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "gas": hex(gas)}
        if to is not None:
            tx["to"] = to
        if value:
            tx["value"] = hex(value)
        when = self.now
        self.rpc("evm_setNextBlockTimestamp", [when])
        self.now += 1
        tx_hash = self.rpc("eth_sendTransaction", [tx])
        r = self.rpc("eth_getTransactionReceipt", [tx_hash])
        if int(r["status"], 16) != 1:  # pragma: no cover - hardhat raises above instead
            raise Reverted(b"", f"status 0: {r}")
        logs = tuple(
            Log(
                to_checksum_address(log["address"]),
                tuple(_hex(t) for t in log["topics"]),
                _hex(log["data"]),
            )
            for log in r["logs"]
        )
        created = r.get("contractAddress")
        return Receipt(
            when, logs, to_checksum_address(created) if created else None, int(r["gasUsed"], 16)
        )

    def deploy(self, sender: str, initcode: bytes, value: int = 0) -> str:
        receipt = self.send(sender, None, initcode, value)
        assert receipt.contract_address is not None
        return receipt.contract_address

    def advance(self, seconds: int) -> None:
        self.now += seconds

    def storage_at(self, address: str, slot: int) -> int:
        return int(self.rpc("eth_getStorageAt", [address, hex(slot), "latest"]), 16)

    def snapshot(self) -> tuple[str, int]:
        return self.rpc("evm_snapshot", []), self.now

    def revert(self, snap: tuple[str, int]) -> None:
        if self.rpc("evm_revert", [snap[0]]) is not True:
            raise RuntimeError(f"evm_revert({snap[0]}) refused")
        self.now = snap[1]
