"""ZippiVault from Python: deployment (implementation + ERC-1967 proxy), owners' actions
(encode, EIP-712 typed data, M-of-N signatures), and the calldata of an agent's swaps
(``swapExactIn``, ``swapBatch``) and of the routers the vault trades through.

A vault is a :data:`PROXY` (``ZippiVaultProxy``, OpenZeppelin's ERC1967Proxy) in front of a
:data:`IMPLEMENTATION` (``ZippiVault``), initialized in the proxy's constructor::

    impl = implementation_initcode()                      # deploy once per version
    proxy = proxy_initcode(impl_address, initialize_calldata(owners, 2, guardian, 100, 2 * DAY))
    # or, on a node with unlocked accounts (tests, the demo): deploy_vault(w3, sender=..., ...)

An owners' action is ``Action(uint8 kind, bytes params, uint256 nonce, uint256 deadline)``
signed under the domain ``ZippiVault`` / ``1`` / chain id / vault (proxy) address; the vault
wants the signatures ordered by ascending signer address (:func:`sign_action` does that)::

    act = action(ActionKind.SET_AGENT, agent, True, nonce=vault_nonce, deadline=now + 600)
    sigs = sign_action(act, [owner1, owner2], chain_id=1, vault=vault_address)
    vault.functions.execute(act.as_tuple(), sigs).transact(...)

An agent's swap is a :class:`VaultSwap` (target, tokens, amountIn, minOut, target calldata);
:func:`swap_exact_in_calldata` and :func:`swap_batch_calldata` encode the vault call. With a
route executor as target, ``zippifi.chain.executor`` builds the swap from a kernel route.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import EncodingError
from eth_typing import ChecksumAddress

from zippifi.chain.artifacts import load
from zippifi.errors import InvalidInputError
from zippifi.sign import Signer, keccak256, to_checksum_address

if TYPE_CHECKING:
    from web3 import Web3

__all__ = [
    "DEFAULT_UPGRADE_DELAY",
    "IMPLEMENTATION",
    "PARAM_TYPES",
    "PROXY",
    "ActionKind",
    "VaultAction",
    "VaultDeployment",
    "VaultSwap",
    "action",
    "deploy_vault",
    "implementation_initcode",
    "initialize_calldata",
    "proxy_initcode",
    "sign_action",
    "swap_batch_calldata",
    "swap_exact_in_calldata",
    "typed_data",
    "v2_swap_calldata",
    "v3_swap_calldata",
]

UINT256_MAX = 2**256 - 1
IMPLEMENTATION = "ZippiVault"  # the artifact of the vault's code
PROXY = "ZippiVaultProxy"  # the artifact of the address a vault lives at
DEFAULT_UPGRADE_DELAY = 2 * 24 * 60 * 60  # 2 days (the vault allows 1 hour ..= 30 days)


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
    SET_EXECUTOR = 12
    SCHEDULE_UPGRADE = 13
    CANCEL_UPGRADE = 14
    EXECUTE_UPGRADE = 15
    SET_UPGRADE_DELAY = 16


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
    ActionKind.SET_EXECUTOR: ("address", "bool"),
    ActionKind.SCHEDULE_UPGRADE: ("address", "bytes"),
    ActionKind.CANCEL_UPGRADE: (),
    ActionKind.EXECUTE_UPGRADE: ("address", "bytes"),
    ActionKind.SET_UPGRADE_DELAY: ("uint256",),
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


# ---------------------------------------------------------------------------- agent swaps

_SWAP_TUPLE = "(address,address,address,uint256,uint256,bytes)"


@dataclass(frozen=True)
class VaultSwap:
    """One agent swap: what ``swapExactIn`` takes (besides the deadline), and one element of
    ``swapBatch``'s array. ``data`` is the calldata the vault sends to ``target``: a router call
    paying the vault (:func:`v2_swap_calldata`), or a route executor's plan
    (``zippifi.chain.executor.ExecutorPlan.calldata``)."""

    target: str
    token_in: str
    token_out: str
    amount_in: int
    min_out: int
    data: bytes

    def __post_init__(self) -> None:
        # addresses in any case come out checksummed
        for name in ("target", "token_in", "token_out"):
            object.__setattr__(self, name, to_checksum_address(getattr(self, name)))
        _uint("amount_in", self.amount_in)
        _uint("min_out", self.min_out)
        if not isinstance(self.data, bytes):
            raise InvalidInputError(f"data must be bytes, got {type(self.data).__name__}")

    def as_tuple(self) -> tuple[str, str, str, int, int, bytes]:
        """The ``Swap`` struct argument of ``swapBatch``."""
        return (
            self.target,
            self.token_in,
            self.token_out,
            self.amount_in,
            self.min_out,
            self.data,
        )


def swap_exact_in_calldata(swap: VaultSwap, deadline: int) -> bytes:
    """``swapExactIn(target, tokenIn, tokenOut, amountIn, minOut, deadline, data)`` calldata."""
    types = ["address", "address", "address", "uint256", "uint256", "uint256", "bytes"]
    args = [
        swap.target,
        swap.token_in,
        swap.token_out,
        swap.amount_in,
        swap.min_out,
        _uint("deadline", deadline),
        swap.data,
    ]
    return _selector(f"swapExactIn({','.join(types)})") + abi_encode(types, args)


def swap_batch_calldata(swaps: Sequence[VaultSwap], deadline: int) -> bytes:
    """``swapBatch(Swap[] swaps, uint256 deadline)`` calldata: the swaps run in this order, each
    under every rule of swapExactIn, in one transaction."""
    if not swaps:
        raise InvalidInputError("a batch needs at least one swap")
    return _selector(f"swapBatch({_SWAP_TUPLE}[],uint256)") + abi_encode(
        [f"{_SWAP_TUPLE}[]", "uint256"],
        [[s.as_tuple() for s in swaps], _uint("deadline", deadline)],
    )


# ---------------------------------------------------------------------------- deployment


@dataclass(frozen=True)
class VaultDeployment:
    """A deployed vault: ``address`` is the proxy (where funds, owners' signatures and agents
    go); ``implementation`` the ZippiVault code it runs."""

    address: ChecksumAddress
    implementation: ChecksumAddress


def initialize_calldata(
    owners: Sequence[str],
    threshold: int,
    guardian: str,
    max_slippage_bps: int,
    upgrade_delay: int = DEFAULT_UPGRADE_DELAY,
) -> bytes:
    """``initialize(owners, threshold, guardian, maxSlippageBps, upgradeDelay)`` calldata, run
    by the proxy's constructor (guardian ``0x00..00`` for none; ``upgrade_delay`` in seconds)."""
    if not owners:
        raise InvalidInputError("a vault needs at least one owner")
    types = ["address[]", "uint256", "address", "uint256", "uint256"]
    args = [
        [to_checksum_address(o) for o in owners],
        _uint("threshold", threshold),
        to_checksum_address(guardian),
        _uint("max_slippage_bps", max_slippage_bps),
        _uint("upgrade_delay", upgrade_delay),
    ]
    return _selector(f"initialize({','.join(types)})") + abi_encode(types, args)


def implementation_initcode() -> bytes:
    """The creation code of the ZippiVault implementation (no constructor arguments)."""
    return bytes.fromhex(load(IMPLEMENTATION).bytecode[2:])


def proxy_initcode(implementation: str, init_data: bytes) -> bytes:
    """The creation code of a vault: ZippiVaultProxy(implementation, init_data), where
    ``init_data`` is :func:`initialize_calldata` (it runs in the deploying transaction)."""
    code = bytes.fromhex(load(PROXY).bytecode[2:])
    return code + abi_encode(["address", "bytes"], [to_checksum_address(implementation), init_data])


def deploy_vault(
    w3: Web3,
    *,
    sender: str,
    owners: Sequence[str],
    threshold: int,
    guardian: str,
    max_slippage_bps: int,
    upgrade_delay: int = DEFAULT_UPGRADE_DELAY,
    implementation: str | None = None,
    gas: int = 8_000_000,
) -> VaultDeployment:
    """Deploys a vault from ``sender``, an account the node unlocks (a dev chain, the tests, the
    demo): the implementation first unless one is given (one implementation serves any number
    of vaults), then the initialized proxy. For signed transactions, send
    :func:`implementation_initcode` and :func:`proxy_initcode` yourself."""

    def create(initcode: bytes) -> ChecksumAddress:
        tx_hash = w3.eth.send_transaction(
            {"from": to_checksum_address(sender), "data": initcode, "gas": gas}
        )
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        address = receipt["contractAddress"]
        if receipt["status"] != 1 or address is None:
            raise InvalidInputError(f"deploying a vault contract failed: {receipt!r}")
        return to_checksum_address(address)

    impl = (
        to_checksum_address(implementation)
        if implementation is not None
        else create(implementation_initcode())
    )
    init = initialize_calldata(owners, threshold, guardian, max_slippage_bps, upgrade_delay)
    return VaultDeployment(address=create(proxy_initcode(impl, init)), implementation=impl)
