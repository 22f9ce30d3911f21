"""The store's errors, all in the zippifi.errors family.

Bad values handed to the store (an amount out of range, an unknown status, a ledger journal that
does not balance) are :class:`~zippifi.errors.InvalidInputError`; conflicts with what is stored
(a stale fencing token, a duplicate key with other content, a forbidden status change) are
:class:`StoreError`, a :class:`~zippifi.errors.ZippiRuntimeError`.
"""

from __future__ import annotations

from zippifi.errors import InvalidInputError, ZippiRuntimeError


class StoreError(ZippiRuntimeError):
    """The database, cache, queue or lock backend refused or failed an operation."""


class AmountOutOfRangeError(InvalidInputError):
    """An amount is not an int in the range its column holds (raw token units: 0..2**256-1)."""


class NotFoundError(StoreError, LookupError):
    """The row an operation needs does not exist."""


class ConflictError(StoreError):
    """A write conflicts with stored rows: a unique key taken with other content, or a
    referenced row missing."""


class InvalidTransitionError(StoreError):
    """A status change that the row's current status does not allow."""


class StaleFencingTokenError(StoreError):
    """A write carried a fencing token older than one the store has already seen: the writer's
    lock expired and another holder took it, so the write is rejected."""


class LedgerImbalanceError(InvalidInputError):
    """A ledger journal whose entries do not sum to zero for every asset."""


class ReorgDetectedError(StoreError):
    """A block's parent hash does not match the hash the log-follower cursor recorded."""


class LockNotAcquiredError(StoreError):
    """A lock is held by someone else and did not become free in time."""


class LockLostError(StoreError):
    """A lease expired or was taken over before its holder renewed or released it."""


__all__ = [
    "AmountOutOfRangeError",
    "ConflictError",
    "InvalidTransitionError",
    "LedgerImbalanceError",
    "LockLostError",
    "LockNotAcquiredError",
    "NotFoundError",
    "ReorgDetectedError",
    "StaleFencingTokenError",
    "StoreError",
]
