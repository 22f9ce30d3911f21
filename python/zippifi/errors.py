"""The one exception family of ZippiFi.

Catch :class:`ZippiError` for anything ZippiFi raises. Bad input of any kind is an
:class:`InvalidInputError`, which is also a :class:`ValueError`; failures of the machinery are
:class:`ZippiRuntimeError`, also a :class:`RuntimeError`. The Rust kernels raise their own
subclasses (created in ``core-rs/src/py/errors.rs`` and re-exported here), so each kernel error
can be caught precisely.
"""

from __future__ import annotations


class ZippiError(Exception):
    """Base of every error ZippiFi raises."""


class InvalidInputError(ZippiError, ValueError):
    """An input (argument, transaction field, config value, API payload) is wrong; the message
    names it."""


class ConfigError(InvalidInputError):
    """The settings file or a ZIPPIFI_* variable is invalid."""


class ZippiRuntimeError(ZippiError, RuntimeError):
    """Something failed while doing valid work."""


class KeystoreError(InvalidInputError):
    """A keystore that cannot be read, or a wrong password."""


# The Rust kernels' exceptions subclass the classes above, so this import comes last.
from zippifi._core import (  # noqa: E402
    AmmRevertError,
    InvalidAmmInputError,
    InvalidKeyError,
    InvalidOrderBookError,
    InvalidRawTransactionError,
    InvalidSignatureError,
    InvalidTransactionError,
    InvalidTypedDataError,
    KernelPanicError,
    UnsupportedTransactionTypeError,
)

__all__ = [
    "AmmRevertError",
    "ConfigError",
    "InvalidAmmInputError",
    "InvalidInputError",
    "InvalidKeyError",
    "InvalidOrderBookError",
    "InvalidRawTransactionError",
    "InvalidSignatureError",
    "InvalidTransactionError",
    "InvalidTypedDataError",
    "KernelPanicError",
    "KeystoreError",
    "UnsupportedTransactionTypeError",
    "ZippiError",
    "ZippiRuntimeError",
]
