"""The EVM the harness deploys to: a node at ``ZIPPIFI_TEST_EVM_URL`` when set, else py-evm.

py-evm runs in this process (web3's EthereumTesterProvider), so there is no node to start or
stop and nothing to leak: the Uniswap V3 factory (24,536 bytes of runtime code, under the
EIP-170 limit) deploys on it, and a V3 swap costs ~50 ms. Its block gas limit is raised to
2e9 so that swaps walking thousands of tick-bitmap words (price limits far away in a pool with
tick spacing 1) fit in one transaction. An external node (hardhat, anvil, ...) must expose its
usual dev RPC: unlocked accounts, ``evm_snapshot``/``evm_revert``; its block gas limit bounds how
far one swap may walk (``Chain.max_tx_gas``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any, cast

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, Web3Exception
from web3.types import TxReceipt

from tests.uniswap.artifacts import Artifact, HarnessUnavailableError

IN_PROCESS_GAS_LIMIT = 2_000_000_000
EVM_URL_ENV = "ZIPPIFI_TEST_EVM_URL"

_PREFIXES = (
    re.compile(r"^execution reverted:?\s*"),
    re.compile(r"^VM Exception while processing transaction: reverted with reason string\s*"),
    re.compile(r"^VM Exception while processing transaction:\s*"),
)


class Reverted(Exception):  # noqa: N818 (named after what the chain does)
    """A call or transaction reverted; ``reason`` is the revert reason string when it had one
    (``"AS"``, ``"UniswapV2: K"``), else a description of the raw revert (panic, empty, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def revert_reason(exc: BaseException) -> str:
    """The reason string of a revert as web3 or eth-tester reports it, prefixes stripped."""
    msg = str(exc.args[0]) if exc.args else str(exc)
    if isinstance(exc.args[0] if exc.args else None, tuple):  # web3: (message, data)
        msg = str(exc.args[0][0])
    for pattern in _PREFIXES:
        msg = pattern.sub("", msg)
    return msg.strip().strip("'\"")


def _is_revert(exc: BaseException) -> bool:
    if isinstance(exc, ContractLogicError):
        return True
    try:
        from eth_tester.exceptions import TransactionFailed
    except ImportError:  # pragma: no cover - eth-tester is a dependency of the project
        return False
    return isinstance(exc, TransactionFailed)


class Chain:
    """A web3 connection plus the few things the harness needs: deploy, send, call, snapshot."""

    def __init__(self, w3: Web3, kind: str, max_tx_gas: int) -> None:
        self.w3 = w3
        self.kind = kind
        self.max_tx_gas = max_tx_gas
        accounts = w3.eth.accounts
        if not accounts:
            raise HarnessUnavailableError(f"{kind}: the node has no unlocked account")
        self.account: ChecksumAddress = accounts[0]

    @classmethod
    def in_process(cls, gas_limit: int = IN_PROCESS_GAS_LIMIT) -> Chain:
        try:
            from eth_tester import EthereumTester, PyEVMBackend
            from web3 import EthereumTesterProvider
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise HarnessUnavailableError(f"eth-tester[py-evm] is not installed: {exc}") from exc
        params = PyEVMBackend.generate_genesis_params({"gas_limit": gas_limit})
        backend = PyEVMBackend(genesis_parameters=params)
        w3 = Web3(EthereumTesterProvider(EthereumTester(backend)))
        # a transaction may use half a block: the base fee then never rises between blocks
        return cls(w3, "py-evm (in process)", gas_limit // 2)

    @classmethod
    def connect(cls, url: str) -> Chain:
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 120}))
        try:
            gas_limit = int(w3.eth.get_block("latest")["gasLimit"])
        except Exception as exc:
            raise HarnessUnavailableError(
                f"{EVM_URL_ENV}={url}: no EVM answers there: {exc}"
            ) from exc
        return cls(w3, f"node at {url}", gas_limit * 9 // 10)

    # contracts

    def deploy(self, artifact: Artifact, *args: Any) -> Contract:
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx_hash = factory.constructor(*args).transact(
            {"from": self.account, "gas": min(self.max_tx_gas, 29_000_000)}
        )
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1 or not receipt["contractAddress"]:
            raise HarnessUnavailableError(f"deploying {artifact.name} failed on {self.kind}")
        return self.at(artifact, receipt["contractAddress"])

    def at(self, artifact: Artifact, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact.abi)

    def send(self, fn: ContractFunction, gas: int | None = None) -> TxReceipt:
        """Sends a transaction, waits for it; raises Reverted (with the reason) if it reverts."""
        try:
            tx_hash = fn.transact({"from": self.account, "gas": gas or self.max_tx_gas})
        except Web3Exception as exc:
            if _is_revert(exc):
                raise Reverted(revert_reason(exc)) from exc
            raise
        except Exception as exc:
            if _is_revert(exc):
                raise Reverted(revert_reason(exc)) from exc
            raise
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            # the failed transaction changed nothing but the nonce: replaying it finds the reason
            self.call(fn, gas=gas)
            raise Reverted(f"transaction reverted (gas used {receipt['gasUsed']})")
        return receipt

    def call(self, fn: ContractFunction, gas: int | None = None) -> Any:
        """eth_call at the latest block; raises Reverted (with the reason) if it reverts."""
        try:
            return fn.call({"from": self.account, "gas": gas or self.max_tx_gas})
        except Exception as exc:
            if _is_revert(exc):
                raise Reverted(revert_reason(exc)) from exc
            raise

    # state

    def snapshot(self) -> Any:
        """A snapshot id of the current state (revert to it with :meth:`revert`)."""
        self.mine()  # an empty snapshot block: reverting to it (py-evm re-imports it) is cheap
        return self._rpc("evm_snapshot", [])

    def revert(self, snapshot_id: Any) -> None:
        """Back to the snapshot's state. Some nodes drop a snapshot once used: take a new one."""
        ok = self._rpc("evm_revert", [snapshot_id])
        if ok is False:
            raise HarnessUnavailableError(f"{self.kind}: evm_revert({snapshot_id}) refused")

    def mine(self) -> None:
        self._rpc("evm_mine", [])

    def _rpc(self, method: str, params: Sequence[Any]) -> Any:
        response = self.w3.provider.make_request(cast(Any, method), list(params))
        if "error" in response:
            raise HarnessUnavailableError(f"{self.kind}: {method} failed: {response['error']}")
        return response.get("result")


def open_chain() -> Chain:
    """The node at ZIPPIFI_TEST_EVM_URL when set, else a fresh in-process py-evm chain."""
    url = os.environ.get(EVM_URL_ENV)
    if url:
        return Chain.connect(url)
    return Chain.in_process()
