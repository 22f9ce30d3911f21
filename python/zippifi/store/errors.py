"""The store's errors, defined in :mod:`zippifi.errors` with the rest of the family and
re-exported here for callers that import them from the store.

Bad values handed to the store (an amount out of range, an unknown status, a ledger journal that
does not balance) are :class:`~zippifi.errors.InvalidInputError`; conflicts with what is stored
(a stale fencing token, a duplicate key with other content, a forbidden status change) are
:class:`StoreError`, a :class:`~zippifi.errors.ZippiRuntimeError`.
"""

from __future__ import annotations

from zippifi.errors import (
    AmountOutOfRangeError,
    ConflictError,
    InvalidTransitionError,
    LedgerImbalanceError,
    LockLostError,
    LockNotAcquiredError,
    NotFoundError,
    ReorgDetectedError,
    StaleFencingTokenError,
    StoreError,
)

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
