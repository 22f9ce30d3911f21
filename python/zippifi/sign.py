"""Ethereum signing, byte-identical to eth-account and many times faster.

>>> from zippifi.sign import Signer
>>> signer = Signer("0x" + "11" * 32)
>>> signed = signer.sign_transaction({"type": 2, "chainId": 1, "nonce": 0, "gas": 21000,
...     "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9,
...     "to": signer.address, "value": 1})
>>> recover_transaction(signed.raw_transaction) == signer.address
True

Transactions are dicts with eth-account's field names. ``Signer.sign_transactions`` and the
module-level ``sign_transactions`` sign a whole batch in one call, with the GIL released and
the work spread over all cores. The private key is copied into Rust memory, erased when the
``Signer`` is dropped, and never appears in a repr, a log line or an exception.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from eth_account import Account
from eth_typing import HexStr

from zippifi._core import (
    SignedMessage,
    SignedTransaction,
    hash_typed_data,
    keccak256,
    recover_message,
    recover_transaction,
    sign_transactions,
    to_checksum_address,
)
from zippifi._core import Signer as _RustSigner
from zippifi.errors import KeystoreError

__all__ = [
    "SignedMessage",
    "SignedTransaction",
    "Signer",
    "encrypt_keystore",
    "hash_typed_data",
    "keccak256",
    "recover_message",
    "recover_transaction",
    "sign_transactions",
    "to_checksum_address",
    "write_keystore",
]

KeystoreSource = Mapping[str, Any] | str | bytes | os.PathLike[str]


def _keystore_dict(keystore: KeystoreSource) -> dict[str, Any]:
    """A v3 keystore from a dict, JSON text, or a file path."""
    if isinstance(keystore, Mapping):
        return dict(keystore)
    if isinstance(keystore, bytes):
        text = keystore.decode("utf-8", errors="replace")
    elif isinstance(keystore, str) and keystore.lstrip().startswith("{"):
        text = keystore
    else:
        path = Path(keystore)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KeystoreError(f"keystore: cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeystoreError(f"keystore: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise KeystoreError("keystore: expected a JSON object (a v3 keystore)")
    return data


def _password_text(password: str | bytes) -> str:
    if isinstance(password, bytes):
        try:
            return password.decode("utf-8")
        except UnicodeDecodeError:
            raise KeystoreError("keystore: a bytes password must be UTF-8") from None
    return password


class Signer(_RustSigner):
    """An Ethereum account that signs transactions, messages and typed data."""

    @classmethod
    def from_keystore(cls, keystore: KeystoreSource, password: str | bytes) -> Signer:
        """Open a v3 keystore (dict, JSON text or file path), decrypted by eth-account."""
        data = _keystore_dict(keystore)
        try:
            key = bytearray(Account.decrypt(data, _password_text(password)))
        except ValueError as exc:
            # eth-account says "MAC mismatch" for a wrong password; never echo the input.
            raise KeystoreError(f"keystore: cannot decrypt ({exc})") from None
        except (KeyError, TypeError, NotImplementedError) as exc:
            raise KeystoreError(
                f"keystore: not a v3 keystore ({type(exc).__name__}: {exc})"
            ) from None
        try:
            return cls(key)
        finally:
            key[:] = bytes(len(key))


def encrypt_keystore(
    private_key: bytes | bytearray | str,
    password: str | bytes,
    *,
    kdf: Literal["scrypt", "pbkdf2"] = "scrypt",
    iterations: int | None = None,
) -> dict[str, Any]:
    """A v3 keystore dict for ``private_key``, encrypted with ``password`` by eth-account."""
    address = Signer(private_key).address  # validates the key before eth-account sees it
    key: bytes | HexStr = (
        HexStr(private_key) if isinstance(private_key, str) else bytes(private_key)
    )
    data: dict[str, Any] = Account.encrypt(
        key, _password_text(password), kdf=kdf, iterations=iterations
    )
    if to_checksum_address("0x" + str(data["address"]).removeprefix("0x")) != address:
        raise KeystoreError("keystore: encrypted address does not match the key")
    return data


def write_keystore(
    path: str | os.PathLike[str],
    private_key: bytes | bytearray | str,
    password: str | bytes,
    *,
    kdf: Literal["scrypt", "pbkdf2"] = "scrypt",
    iterations: int | None = None,
) -> Path:
    """Write a v3 keystore file readable by its owner only. Refuses to overwrite a file."""
    target = Path(path)
    data = encrypt_keystore(private_key, password, kdf=kdf, iterations=iterations)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeystoreError(f"keystore: {target} exists; not overwriting it") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    return target
