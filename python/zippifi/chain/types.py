"""Typed records the chain layer hands out: blocks, transactions, receipts, logs, fee history.

Amounts and fees are Python ints (wei); hashes and topics are bytes; addresses are checksummed
strings. Every record is built from a node's JSON-RPC answer by the adapter, so nothing above
the chain layer sees web3's AttributeDicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zippifi.errors import InvalidInputError
from zippifi.sign import to_checksum_address


def as_bytes(value: Any, field: str) -> bytes:
    """bytes from a node's hex string or web3's HexBytes."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        try:
            return bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            pass
    raise InvalidInputError(f"{field}: expected hex bytes, got {value!r}")


def as_int(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        return int(value, 16)
    raise InvalidInputError(f"{field}: expected an integer, got {value!r}")


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return None if value is None else as_int(value, key)


def _opt_bytes(data: Mapping[str, Any], key: str) -> bytes | None:
    value = data.get(key)
    return None if value is None else as_bytes(value, key)


@dataclass(frozen=True, slots=True)
class Block:
    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    gas_limit: int
    gas_used: int
    base_fee_per_gas: int | None  # None before London (or on a legacy chain)

    @classmethod
    def from_rpc(cls, data: Mapping[str, Any]) -> Block:
        return cls(
            number=as_int(data["number"], "number"),
            hash=as_bytes(data["hash"], "hash"),
            parent_hash=as_bytes(data["parentHash"], "parentHash"),
            timestamp=as_int(data["timestamp"], "timestamp"),
            gas_limit=as_int(data["gasLimit"], "gasLimit"),
            gas_used=as_int(data["gasUsed"], "gasUsed"),
            base_fee_per_gas=_opt_int(data, "baseFeePerGas"),
        )


@dataclass(frozen=True, slots=True)
class TxInfo:
    """A transaction as the node knows it; ``block_number`` is None while it is pending."""

    hash: bytes
    sender: str
    nonce: int
    block_number: int | None
    block_hash: bytes | None

    @classmethod
    def from_rpc(cls, data: Mapping[str, Any]) -> TxInfo:
        return cls(
            hash=as_bytes(data["hash"], "hash"),
            sender=to_checksum_address(data["from"]),
            nonce=as_int(data["nonce"], "nonce"),
            block_number=_opt_int(data, "blockNumber"),
            block_hash=_opt_bytes(data, "blockHash"),
        )


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One log as the chain emitted it. ``removed`` is True when a reorg took it back."""

    block_number: int
    block_hash: bytes
    tx_hash: bytes
    tx_index: int
    log_index: int
    address: str
    topics: tuple[bytes, ...]
    data: bytes
    removed: bool = False

    @classmethod
    def from_rpc(cls, data: Mapping[str, Any]) -> LogRecord:
        return cls(
            block_number=as_int(data["blockNumber"], "blockNumber"),
            block_hash=as_bytes(data["blockHash"], "blockHash"),
            tx_hash=as_bytes(data["transactionHash"], "transactionHash"),
            tx_index=as_int(data["transactionIndex"], "transactionIndex"),
            log_index=as_int(data["logIndex"], "logIndex"),
            address=to_checksum_address(data["address"]),
            topics=tuple(as_bytes(t, "topics") for t in data.get("topics", ())),
            data=as_bytes(data.get("data", b""), "data"),
            removed=bool(data.get("removed", False)),
        )

    @property
    def key(self) -> tuple[bytes, int]:
        """Identifies a log across re-fetches: (block hash, log index)."""
        return self.block_hash, self.log_index


@dataclass(frozen=True, slots=True)
class Receipt:
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    status: int  # 1 success, 0 reverted
    gas_used: int
    effective_gas_price: int | None
    contract_address: str | None
    logs: tuple[LogRecord, ...]

    @classmethod
    def from_rpc(cls, data: Mapping[str, Any]) -> Receipt:
        contract = data.get("contractAddress")
        return cls(
            tx_hash=as_bytes(data["transactionHash"], "transactionHash"),
            block_number=as_int(data["blockNumber"], "blockNumber"),
            block_hash=as_bytes(data["blockHash"], "blockHash"),
            status=as_int(data.get("status", 1), "status"),
            gas_used=as_int(data["gasUsed"], "gasUsed"),
            effective_gas_price=_opt_int(data, "effectiveGasPrice"),
            contract_address=None if not contract else to_checksum_address(contract),
            logs=tuple(LogRecord.from_rpc(log) for log in data.get("logs", ())),
        )


@dataclass(frozen=True, slots=True)
class FeeHistory:
    """eth_feeHistory: ``base_fee_per_gas`` has one entry per block plus the next block's;
    ``reward[i][j]`` is block i's priority fee at the j-th requested percentile."""

    oldest_block: int
    base_fee_per_gas: tuple[int, ...]
    gas_used_ratio: tuple[float, ...]
    reward: tuple[tuple[int, ...], ...]

    @classmethod
    def from_rpc(cls, data: Mapping[str, Any]) -> FeeHistory:
        return cls(
            oldest_block=as_int(data["oldestBlock"], "oldestBlock"),
            base_fee_per_gas=tuple(as_int(b, "baseFeePerGas") for b in data["baseFeePerGas"]),
            gas_used_ratio=tuple(float(r) for r in data.get("gasUsedRatio", ())),
            reward=tuple(
                tuple(as_int(r, "reward") for r in row) for row in data.get("reward") or ()
            ),
        )

    @property
    def next_base_fee(self) -> int:
        return self.base_fee_per_gas[-1]
