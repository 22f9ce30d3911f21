"""What a failed RPC call means: transient (retry, fail over), a revert, or a node's refusal.

Nodes word their refusals differently (geth, erigon, hardhat, anvil, py-evm), so sends are
classified by the message text, lowercased, against the phrases each client uses.
"""

from __future__ import annotations

import asyncio
import json
from enum import Enum
from typing import Any

import aiohttp
from eth_abi.abi import decode as abi_decode
from web3.exceptions import (
    ContractLogicError,
    PersistentConnectionError,
    ProviderConnectionError,
    TaskNotRunning,
    TimeExhausted,
    Web3RPCError,
)
from websockets.exceptions import WebSocketException

from zippifi.errors import ChainError, RpcError, TransientRpcError, TxRevertedError

_ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
_PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)
PANIC_CODES = {
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to a zero-initialized function",
}
_TRANSIENT_PHRASES = (
    "timeout", "timed out", "rate limit", "too many requests", "429", "header not found",
    "try again", "temporarily unavailable", "service unavailable", "bad gateway",
    "connection reset", "server disconnected",
)  # fmt: skip
_REVERT_PREFIXES = (
    "execution reverted: ",
    "execution reverted",
    "error: vm exception while processing transaction: reverted with reason string ",
    "vm exception while processing transaction: reverted with reason string ",
)


def decode_revert(data: bytes) -> str:
    """The human reason in revert data: Error(string)'s text, a Panic's meaning, a custom
    error's selector, or "" for an empty revert."""
    if not data:
        return ""
    if data[:4] == _ERROR_SELECTOR:
        try:
            (text,) = abi_decode(["string"], data[4:])
            return str(text)
        except Exception:  # malformed payload: show it raw rather than fail
            return "Error(<malformed: 0x" + data[4:].hex() + ">)"
    if data[:4] == _PANIC_SELECTOR and len(data) == 36:
        code = int.from_bytes(data[4:], "big")
        return f"Panic(0x{code:02x}: {PANIC_CODES.get(code, 'unknown panic code')})"
    return f"custom error 0x{data[:4].hex()}" + (f" (0x{data[4:].hex()})" if data[4:] else "")


def _hex_data(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            return b""
    if isinstance(value, dict):  # some nodes nest it: {"data": {"data": "0x..."}}
        return _hex_data(value.get("data"))
    return b""


def _reason_from_message(message: str) -> str:
    low = message.lower()
    for prefix in _REVERT_PREFIXES:
        if low.startswith(prefix):
            message = message[len(prefix) :]
            low = message.lower()
    return message.strip().strip("'\"")


def reverted(message: str, data: bytes) -> TxRevertedError:
    reason = decode_revert(data) if data else _reason_from_message(message)
    return TxRevertedError(
        f"transaction reverts: {reason or 'no reason given'}", reason=reason, data=data
    )


def classify(exc: BaseException, *, method: str, url: str) -> ChainError:
    """The chain-layer error for ``exc`` raised by an RPC call."""
    if isinstance(exc, ChainError):
        return exc
    if isinstance(exc, ContractLogicError):
        return reverted(exc.message or str(exc), _hex_data(exc.data))
    if type(exc).__name__ == "TransactionFailed":  # eth-tester (the in-process EVM)
        return reverted(str(exc.args[0]) if exc.args else str(exc), b"")
    if isinstance(exc, aiohttp.ClientResponseError):
        kind = TransientRpcError if exc.status == 429 or exc.status >= 500 else RpcError
        return kind(f"{method}: HTTP {exc.status} {exc.message} from {url}",
                    method=method, code=exc.status, url=url)  # fmt: skip
    if isinstance(
        exc,
        asyncio.TimeoutError
        | aiohttp.ClientError
        | ConnectionError
        | ProviderConnectionError
        | json.JSONDecodeError
        # a WebSocket that closed or died, web3's own request timeout, its listener task gone
        | WebSocketException
        | PersistentConnectionError
        | TimeExhausted
        | TaskNotRunning,
    ):
        return TransientRpcError(f"{method}: {type(exc).__name__}: {exc} ({url})",
                                 method=method, url=url)  # fmt: skip
    if isinstance(exc, Web3RPCError):
        error: dict[str, Any] = dict((exc.rpc_response or {}).get("error") or {})
        message = str(error.get("message", exc.message or exc))
        code = error.get("code")
        if "revert" in message.lower() and error.get("data") is not None:
            return reverted(message, _hex_data(error.get("data")))
        return _by_message(message, method=method, code=code, url=url)
    if isinstance(exc, OSError):
        return TransientRpcError(f"{method}: {exc} ({url})", method=method, url=url)
    # eth-tester raises eth_utils' ValidationError (bad nonce, no funds, ...); web3 raises its
    # own for a malformed answer (a proxy returning garbage).
    return _by_message(f"{type(exc).__name__}: {exc}", method=method, code=None, url=url)


def _by_message(message: str, *, method: str, code: Any, url: str) -> RpcError:
    low = message.lower()
    code_int = code if isinstance(code, int) else None
    if any(p in low for p in _TRANSIENT_PHRASES) or code_int in (-32005, 429):
        return TransientRpcError(f"{method}: {message}", method=method, code=code_int, url=url)
    return RpcError(f"{method}: {message}", method=method, code=code_int, url=url)


class SendOutcome(Enum):
    """What a node's refusal of eth_sendRawTransaction means for our transaction."""

    ALREADY_KNOWN = "already_known"  # the node has it: success
    NONCE_TOO_LOW = "nonce_too_low"  # the nonce is used: by this tx (lost answer) or another
    NONCE_TOO_HIGH = "nonce_too_high"  # an earlier nonce has not arrived yet: retry
    UNDERPRICED = "underpriced"  # a replacement without enough bump, or a full pool: retry
    INSUFFICIENT_FUNDS = "insufficient_funds"
    OTHER = "other"


_SEND_PHRASES: tuple[tuple[SendOutcome, tuple[str, ...]], ...] = (
    (SendOutcome.ALREADY_KNOWN, ("already known", "known transaction", "already imported",
                                 "alreadyknown", "already in the mempool", "tx already exists")),
    (SendOutcome.NONCE_TOO_LOW, ("nonce too low", "nonce is too low", "oldnonce",
                                 "nonce has already been used")),
    (SendOutcome.NONCE_TOO_HIGH, ("nonce too high", "can't be queued", "nonce gap")),
    (SendOutcome.UNDERPRICED, ("underpriced", "fee too low", "replacement fee too low",
                               "txpool is full", "max fee per gas less than block base fee")),
    (SendOutcome.INSUFFICIENT_FUNDS, ("insufficient funds", "enough funds",
                                      "not have enough balance")),
)  # fmt: skip


def send_outcome(message: str) -> SendOutcome:
    low = message.lower()
    for outcome, phrases in _SEND_PHRASES:
        if any(p in low for p in phrases):
            return outcome
    # py-evm: "Invalid transaction nonce: Expected 5, but got 3"
    if "invalid transaction nonce" in low:
        try:
            expected = int(low.split("expected", 1)[1].split(",")[0])
            got = int(low.rsplit("got", 1)[1].strip(" .)"))
        except (IndexError, ValueError):
            return SendOutcome.OTHER
        return SendOutcome.NONCE_TOO_LOW if got < expected else SendOutcome.NONCE_TOO_HIGH
    return SendOutcome.OTHER
