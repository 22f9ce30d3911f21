"""The one exception family of ZippiFi.

Catch :class:`ZippiError` for anything ZippiFi raises. Bad input of any kind is an
:class:`InvalidInputError`, which is also a :class:`ValueError`; failures of the machinery are
:class:`ZippiRuntimeError`, also a :class:`RuntimeError`. The Rust kernels raise their own
subclasses (created in ``core-rs/src/py/errors.rs`` and re-exported here), so each kernel error
can be caught precisely.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


class ZippiError(Exception):
    """Base of every error ZippiFi raises."""


class InvalidInputError(ZippiError, ValueError):
    """An input (argument, transaction field, config value, API payload) is wrong; the message
    names it."""


class ConfigError(InvalidInputError):
    """The settings file or a ZIPPIFI_* variable is invalid."""


class ZippiRuntimeError(ZippiError, RuntimeError):
    """Something failed while doing valid work."""


class RouteNotFound(ZippiError, LookupError):  # noqa: N818 - the name the API promises
    """No path of pools (within the hop limit, absorbing the whole amount) connects the two
    tokens; the message names them."""


class KeystoreError(InvalidInputError):
    """A keystore that cannot be read, or a wrong password."""


class MarketDataError(ZippiRuntimeError):
    """A market data source misbehaved: a venue's feed, a REST answer or an on-chain oracle."""


class MalformedMarketDataError(MarketDataError, InvalidInputError):
    """A venue sent a frame or document that is not in its documented format; the message says
    which field was wrong."""


class OrderBookSyncError(MarketDataError):
    """A local order book could not be brought in sync with the venue's sequence numbers."""


class OracleError(MarketDataError):
    """An oracle round must not be used; ``problems`` lists every check it failed."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class StaleOracleError(OracleError):
    """The oracle's last update is older than its heartbeat allows."""


class IncompleteRoundError(OracleError):
    """The round was never answered (updatedAt == 0), or was carried over from an earlier round
    (answeredInRound < roundId)."""


class InvalidOracleAnswerError(OracleError):
    """The oracle answered zero or a negative price."""


class ChainError(ZippiRuntimeError):
    """A chain operation (an RPC call, a submission, a wait for a receipt) failed."""


class RpcError(ChainError):
    """A node answered a JSON-RPC call with an error, or could not be reached; ``method`` is the
    call, ``code`` the JSON-RPC (or HTTP) error code when there was one, ``url`` the endpoint."""

    def __init__(
        self, message: str, *, method: str = "", code: int | None = None, url: str = ""
    ) -> None:
        super().__init__(message)
        self.method = method
        self.code = code
        self.url = url


class TransientRpcError(RpcError):
    """Worth retrying: a timeout, a 429 or 5xx answer, a reset connection, a busy node."""


class PermanentTxError(ChainError):
    """This transaction will never succeed as built: retrying it only wastes fees."""


class TxRevertedError(PermanentTxError):
    """The transaction reverts (found by eth_call before sending, so no gas was spent, or in its
    receipt). ``reason`` is the decoded revert reason (``Error(string)``, ``Panic(uint256)``
    or a custom error's selector), ``data`` the raw revert data when the node returned it."""

    def __init__(self, message: str, *, reason: str = "", data: bytes = b"") -> None:
        super().__init__(message)
        self.reason = reason
        self.data = data


class InsufficientFundsError(PermanentTxError):
    """The sender cannot pay value + gas x fee."""


class FeeCeilingError(PermanentTxError):
    """The fees the network needs now exceed the configured ceiling."""


class NonceError(ChainError):
    """An account's nonce cannot be used: taken by another transaction, or the nonce lease
    (the fenced lock over the account) was lost."""


class PreSignRefusedError(ChainError):
    """A pre-sign check refused a transaction (it names the rule): nothing of its batch was
    signed or sent."""


class LeaseLostError(NonceError):
    """This process no longer holds the account's nonce lease (it expired while the process
    was paused, or another holder's fencing token is newer): it must not sign or send for the
    account. What it recorded stays recorded, for the new holder's recovery."""


class TxTimeoutError(ChainError):
    """A transaction did not reach the awaited state before the deadline."""


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


class ExecutionError(ZippiRuntimeError):
    """The execution layer could not carry an intent further (no route, a revert found by
    simulation, a venue that refused); the intent is failed with this message as its cause."""


class InvalidIntentError(InvalidInputError):
    """A proposed intent that can never be executed as given (an unknown token, a zero or
    out-of-range amount, an expired deadline, the same token in and out, slippage over 100%);
    the message names the field. Nothing is stored."""


class SimulationRevertedError(ExecutionError):
    """eth_call of the transaction an intent would send reverts; ``error`` is the decoded
    custom error (e.g. ``TradeCapExceeded(...)``) when the contract's ABI knows it."""

    def __init__(self, message: str, *, error: str = "") -> None:
        super().__init__(message)
        self.error = error


class InvalidRiskInputError(InvalidInputError):
    """Bad input to a risk statistic or a stress test: a NaN or infinite return, a confidence
    outside (0, 1), a horizon below 1, mismatched shapes, an unknown pool; the message names it."""


class InsufficientDataError(InvalidRiskInputError):
    """Too few observations for the statistic asked (e.g. a historical VaR whose tail holds no
    observation); the message says how many it has and how many it needs."""


if TYPE_CHECKING:  # the names below resolve through __getattr__ at run time
    from zippifi._core import (
        AmmRevertError,
        CorruptGraphError,
        InvalidAmmInputError,
        InvalidKeyError,
        InvalidOrderBookError,
        InvalidRawTransactionError,
        InvalidRouteInputError,
        InvalidSignatureError,
        InvalidTransactionError,
        InvalidTypedDataError,
        KernelPanicError,
        SwapResultMismatchError,
        UnsupportedTransactionTypeError,
    )

# The Rust kernels' exceptions subclass the classes above. They are created when the extension
# loads, so they are looked up lazily: this module (and zippifi.domain) must load without it.
_KERNEL_ERRORS = frozenset(
    {
        "AmmRevertError",
        "CorruptGraphError",
        "InvalidAmmInputError",
        "InvalidKeyError",
        "InvalidOrderBookError",
        "InvalidRawTransactionError",
        "InvalidRouteInputError",
        "InvalidSignatureError",
        "InvalidTransactionError",
        "InvalidTypedDataError",
        "KernelPanicError",
        "SwapResultMismatchError",
        "UnsupportedTransactionTypeError",
    }
)


def __getattr__(name: str) -> type[ZippiError]:
    if name in _KERNEL_ERRORS:
        import zippifi._core as core

        cls: type[ZippiError] = getattr(core, name)
        globals()[name] = cls  # later lookups skip this function
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AmmRevertError",
    "AmountOutOfRangeError",
    "ChainError",
    "ConfigError",
    "ConflictError",
    "CorruptGraphError",
    "ExecutionError",
    "FeeCeilingError",
    "IncompleteRoundError",
    "InsufficientDataError",
    "InsufficientFundsError",
    "InvalidAmmInputError",
    "InvalidInputError",
    "InvalidIntentError",
    "InvalidKeyError",
    "InvalidOracleAnswerError",
    "InvalidOrderBookError",
    "InvalidRawTransactionError",
    "InvalidRiskInputError",
    "InvalidRouteInputError",
    "InvalidSignatureError",
    "InvalidTransactionError",
    "InvalidTransitionError",
    "InvalidTypedDataError",
    "KernelPanicError",
    "KeystoreError",
    "LeaseLostError",
    "LedgerImbalanceError",
    "LockLostError",
    "LockNotAcquiredError",
    "MalformedMarketDataError",
    "MarketDataError",
    "NonceError",
    "NotFoundError",
    "OracleError",
    "OrderBookSyncError",
    "PermanentTxError",
    "PreSignRefusedError",
    "ReorgDetectedError",
    "RouteNotFound",
    "RpcError",
    "SimulationRevertedError",
    "StaleFencingTokenError",
    "StaleOracleError",
    "StoreError",
    "SwapResultMismatchError",
    "TransientRpcError",
    "TxRevertedError",
    "TxTimeoutError",
    "UnsupportedTransactionTypeError",
    "ZippiError",
    "ZippiRuntimeError",
]
