"""ZippiVault from Python: owners' actions (encode, EIP-712 typed data, M-of-N signatures) and
the calldata an agent hands to ``swapExactIn`` for the routers the vault trades through.

An owners' action is ``Action(uint8 kind, bytes params, uint256 nonce, uint256 deadline)``
signed under the domain ``ZippiVault`` / ``1`` / chain id / vault address; the vault wants the
signatures ordered by ascending signer address (:func:`sign_action` does that)::

    act = action(ActionKind.SET_AGENT, agent, True, nonce=vault_nonce, deadline=now + 600)
    sigs = sign_action(act, [owner1, owner2], chain_id=1, vault=vault_address)
    vault.functions.execute(act.as_tuple(), sigs).transact(...)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import EncodingError
from eth_typing import ChecksumAddress

from zippifi.errors import InvalidInputError
from zippifi.sign import Signer, keccak256, to_checksum_address

__all__ = [
    "PARAM_TYPES",
    "ActionKind",
    "VaultAction",
    "action",
    "sign_action",
    "typed_data",
    "v2_swap_calldata",
    "v3_swap_calldata",
]

UINT256_MAX = 2**256 - 1


class ActionKind(IntEnum):
    """ZippiVault.ActionKind, in the contract's order."""

    SET_THRESHOLD = 0
    ADD_OWNER = 1
    REMOVE_OWNER = 2
    SET_AGENT = 3
    SET_GUARDIAN = 4
    SET_TARGET = 5
    SET_TOKEN = 6
    SET_PRICE_FEED = 7
    SET_MAX_SLIPPAGE = 8
    WITHDRAW = 9
    PAUSE = 10
    UNPAUSE = 11


# The ABI types of each kind's params, as the vault decodes them.
PARAM_TYPES: dict[ActionKind, tuple[str, ...]] = {
    ActionKind.SET_THRESHOLD: ("uint256",),
    ActionKind.ADD_OWNER: ("address",),
    ActionKind.REMOVE_OWNER: ("address",),
    ActionKind.SET_AGENT: ("address", "bool"),
    ActionKind.SET_GUARDIAN: ("address",),
    ActionKind.SET_TARGET: ("address", "bool"),
    ActionKind.SET_TOKEN: ("address", "bool", "uint256", "uint256"),
    ActionKind.SET_PRICE_FEED: ("address", "address", "uint256"),
    ActionKind.SET_MAX_SLIPPAGE: ("uint256",),
    ActionKind.WITHDRAW: ("address", "address", "uint256"),
    ActionKind.PAUSE: (),
    ActionKind.UNPAUSE: (),
}

_ACTION_TYPES = [
    {"name": "kind", "type": "uint8"},
    {"name": "params", "type": "bytes"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
_DOMAIN_TYPES = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def _uint(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
        raise InvalidInputError(f"{name} must be an int in 0..2**256-1, got {value!r}")
    return value


@dataclass(frozen=True)
class VaultAction:
    """One owners' action as the vault's ``execute`` takes it."""

    kind: ActionKind
    params: bytes
    nonce: int
    deadline: int

    def as_tuple(self) -> tuple[int, bytes, int, int]:
        """The ``Action`` struct argument of ``execute`` and ``actionDigest``."""
        return (int(self.kind), self.params, self.nonce, self.deadline)


def action(kind: ActionKind, *args: Any, nonce: int, deadline: int) -> VaultAction:
    """An action of ``kind`` with its params ABI-encoded from ``args`` (see PARAM_TYPES)."""
    try:
        kind = ActionKind(kind)
    except ValueError:
        raise InvalidInputError(f"unknown vault action kind {kind!r}") from None
    types = PARAM_TYPES[kind]
    if len(args) != len(types):
        raise InvalidInputError(
            f"{kind.name} takes {len(types)} params {types}, got {len(args)}: {args!r}"
        )
    try:
        params = abi_encode(list(types), list(args))
    except (EncodingError, TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"{kind.name} params {args!r} do not encode as {types}: {exc}"
        ) from exc
    return VaultAction(kind, params, _uint("nonce", nonce), _uint("deadline", deadline))


def typed_data(act: VaultAction, *, chain_id: int, vault: str) -> dict[str, Any]:
    """The EIP-712 message owners sign for ``act`` on the vault at ``vault``."""
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPES, "Action": _ACTION_TYPES},
        "primaryType": "Action",
        "domain": {
            "name": "ZippiVault",
            "version": "1",
            "chainId": _uint("chain_id", chain_id),
            "verifyingContract": to_checksum_address(vault),
        },
        "message": {
            "kind": int(act.kind),
            "params": act.params,
            "nonce": act.nonce,
            "deadline": act.deadline,
        },
    }


def sign_action(
    act: VaultAction, signers: Sequence[Signer], *, chain_id: int, vault: str
) -> list[bytes]:
    """Each signer's 65-byte signature of ``act``, ordered by ascending signer address as the
    vault requires; a signer given twice is an error (the vault would refuse it)."""
    if not signers:
        raise InvalidInputError("sign_action needs at least one signer")
    by_address: dict[int, Signer] = {}
    for signer in signers:
        key = int(signer.address, 16)
        if key in by_address:
            raise InvalidInputError(f"signer {signer.address} is given twice")
        by_address[key] = signer
    message = typed_data(act, chain_id=chain_id, vault=vault)
    return [by_address[k].sign_typed_data(message).signature for k in sorted(by_address)]


def _selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


def v2_swap_calldata(
    amount_in: int, amount_out_min: int, path: Sequence[str], to: str, deadline: int
) -> bytes:
    """``swapExactTokensForTokens`` calldata, for Uniswap V2's Router02 and ZippiRouter alike
    (``to`` should be the vault: the vault counts only what it receives)."""
    if len(path) < 2:
        raise InvalidInputError(f"a swap path needs at least two tokens, got {list(path)}")
    addresses: list[ChecksumAddress] = [to_checksum_address(p) for p in path]
    args = [
        _uint("amount_in", amount_in),
        _uint("amount_out_min", amount_out_min),
        addresses,
        to_checksum_address(to),
        _uint("deadline", deadline),
    ]
    return _selector("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)") + (
        abi_encode(["uint256", "uint256", "address[]", "address", "uint256"], args)
    )


def v3_swap_calldata(
    token_in: str,
    token_out: str,
    fee: int,
    amount_in: int,
    amount_out_min: int,
    to: str,
    deadline: int,
    sqrt_price_limit_x96: int = 0,
) -> bytes:
    """``ZippiV3SwapRouter.exactInputSingle`` calldata (price limit 0: no limit)."""
    if not 0 < fee < 2**24:
        raise InvalidInputError(f"fee must be a uint24 fee tier, got {fee!r}")
    if not 0 <= sqrt_price_limit_x96 < 2**160:
        raise InvalidInputError(
            f"sqrt_price_limit_x96 must be a uint160, got {sqrt_price_limit_x96!r}"
        )
    types = ["address", "address", "uint24", "uint256", "uint256", "address", "uint256", "uint160"]
    args = [
        to_checksum_address(token_in),
        to_checksum_address(token_out),
        fee,
        _uint("amount_in", amount_in),
        _uint("amount_out_min", amount_out_min),
        to_checksum_address(to),
        _uint("deadline", deadline),
        sqrt_price_limit_x96,
    ]
    return _selector(f"exactInputSingle({','.join(types)})") + abi_encode(types, args)
