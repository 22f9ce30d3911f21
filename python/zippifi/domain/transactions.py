"""Transactions as they travel through submission, and the stored record of each one signed.

:class:`UnsignedTx` is what the chain layer builds (nonce and fees assigned) and what a
:class:`~zippifi.domain.protocols.PreSignCheck` inspects; :class:`SignedTx` adds the signed
bytes and the intent/order it serves, and is written to the store before any broadcast, so a
restarted process can rebroadcast or reconcile from that record alone; :class:`ChainTransaction`
is that stored record with its life on chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from zippifi.errors import InvalidInputError

TxStatus = Literal["signed", "submitted", "mined", "reverted", "replaced", "dropped"]
TX_STATUSES: tuple[TxStatus, ...] = (
    "signed",  # hash known, stored before broadcast
    "submitted",  # broadcast
    "mined",  # receipt status 1
    "reverted",  # receipt status 0
    "replaced",  # another tx took its nonce (speed-up / cancel)
    "dropped",  # gone from the mempool, nonce free again
)
TX_TRANSITIONS: dict[str, frozenset[str]] = {
    "signed": frozenset({"submitted", "mined", "reverted", "replaced", "dropped"}),
    "submitted": frozenset({"mined", "reverted", "replaced", "dropped"}),
    # a reorg can send a mined transaction back to the mempool
    "mined": frozenset({"submitted"}),
    "reverted": frozenset({"submitted"}),
}
IN_FLIGHT_TXS: tuple[TxStatus, ...] = ("signed", "submitted")


def _uint(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInputError(f"{name} must be an int >= 0, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class UnsignedTx:
    """A transaction ready to sign: nonce, gas and fees set. EIP-1559 when
    ``max_fee_per_gas`` is set, else legacy (EIP-155) at ``gas_price``."""

    chain_id: int
    nonce: int
    to: str | None  # None creates a contract
    value: int
    data: bytes
    gas: int
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None

    def __post_init__(self) -> None:
        for name in ("chain_id", "nonce", "value", "gas"):
            _uint(getattr(self, name), name)
        if not isinstance(self.data, bytes):
            raise InvalidInputError(f"data must be bytes, got {type(self.data).__name__}")
        eip1559 = self.max_fee_per_gas is not None or self.max_priority_fee_per_gas is not None
        if eip1559 == (self.gas_price is not None):
            raise InvalidInputError(
                "a transaction needs either max_fee_per_gas and max_priority_fee_per_gas "
                "(EIP-1559) or gas_price (legacy), not both or neither"
            )
        if eip1559:
            _uint(self.max_fee_per_gas, "max_fee_per_gas")
            _uint(self.max_priority_fee_per_gas, "max_priority_fee_per_gas")
        else:
            _uint(self.gas_price, "gas_price")

    @property
    def is_eip1559(self) -> bool:
        return self.gas_price is None

    def fee_fields(self) -> dict[str, int]:
        """The fee part in eth-account's field names."""
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        return {
            "type": 2,
            "maxFeePerGas": self.max_fee_per_gas or 0,  # both set: checked on construction
            "maxPriorityFeePerGas": self.max_priority_fee_per_gas or 0,
        }

    def signable(self) -> dict[str, Any]:
        """The transaction in eth-account's field names, as ``Signer.sign_transactions`` takes
        it."""
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": self.nonce,
            "gas": self.gas,
            "value": self.value,
            "data": self.data,
            **self.fee_fields(),
        }
        if self.to is not None:
            tx["to"] = self.to
        return tx


@dataclass(frozen=True, slots=True)
class SignedTx:
    """A signed transaction, the record written before its broadcast: the signed bytes, hash,
    sender and the fields it was signed from, and the intent/order it serves (if any)."""

    tx: UnsignedTx
    sender: str
    tx_hash: bytes
    raw: bytes
    intent_id: int | None = None
    order_id: int | None = None
    # a batch transaction (the vault's swapBatch): every intent it serves, in swap order
    intent_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "intent_id", first_intent(self.intent_id, self.intent_ids))

    @property
    def intents(self) -> tuple[int, ...]:
        """Every intent the transaction serves, in the order of its swaps."""
        return serves(self.intent_id, self.intent_ids)

    @property
    def nonce(self) -> int:
        return self.tx.nonce

    @property
    def chain_id(self) -> int:
        return self.tx.chain_id

    @property
    def hash_hex(self) -> str:
        return "0x" + self.tx_hash.hex()


@dataclass(frozen=True, slots=True)
class ChainTransaction:
    """A stored transaction: signed before broadcast, then followed on chain."""

    id: int
    intent_id: int | None
    order_id: int | None
    chain_id: int
    sender: str
    nonce: int
    tx_hash: str
    raw_tx: str | None
    status: TxStatus
    gas_limit: int | None
    max_fee_per_gas: int | None
    max_priority_fee_per_gas: int | None
    block_number: int | None
    block_hash: str | None
    gas_used: int | None
    effective_gas_price: int | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    gas_price: int | None = None  # legacy transactions; EIP-1559 ones use the max_* fees

    @property
    def raw_bytes(self) -> bytes | None:
        """The signed bytes, for a rebroadcast after a restart."""
        return None if self.raw_tx is None else bytes.fromhex(self.raw_tx.removeprefix("0x"))


def serves(intent_id: int | None, intent_ids: tuple[int, ...]) -> tuple[int, ...]:
    """The intents a transaction serves: a batch's ``intent_ids``, else its one ``intent_id``."""
    if intent_ids:
        return intent_ids
    return () if intent_id is None else (intent_id,)


def first_intent(intent_id: int | None, intent_ids: tuple[int, ...]) -> int | None:
    """A batch's ``intent_id`` is its first intent; anything else is a contradiction."""
    if not intent_ids:
        return intent_id
    if len(set(intent_ids)) != len(intent_ids):
        raise InvalidInputError(f"intent_ids repeats an intent: {intent_ids}")
    if intent_id is not None and intent_id != intent_ids[0]:
        raise InvalidInputError(
            f"intent_id {intent_id} is not the batch's first intent {intent_ids[0]}"
        )
    return intent_ids[0]
