"""Column types that keep values exact on both engines.

* :class:`U256` — raw token units, ``0 .. 2**256-1``: ``NUMERIC(78,0)`` on PostgreSQL, ``TEXT``
  (decimal digits) on SQLite, whose NUMERIC affinity would silently turn big integers into
  floats. Python ``int`` both ways.
* :class:`SignedAmount` — ledger amounts, ``-(2**256-1) .. 2**256-1``, stored the same way.
* :class:`ExactDecimal` — market prices and sizes: ``NUMERIC`` (any precision) on PostgreSQL,
  canonical ``TEXT`` on SQLite; :class:`decimal.Decimal` both ways, floats refused.
* :class:`Address`, :class:`Hash32` — ``0x`` hex, validated and stored lower-case.
* :class:`UtcDateTime` — timezone-aware UTC datetimes both ways (``timestamptz`` on PostgreSQL).

SQLite columns of these types cannot be compared or summed in SQL; the repositories do that in
Python there, and in SQL on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import DateTime, Numeric, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from zippifi.errors import InvalidInputError
from zippifi.store.errors import AmountOutOfRangeError

U256_MAX = 2**256 - 1
_HEX = re.compile(r"^0x[0-9a-fA-F]*$")


def check_u256(value: object, what: str = "amount") -> int:
    """``value`` as an int in ``0 .. 2**256-1``, else :class:`AmountOutOfRangeError`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise AmountOutOfRangeError(
            f"{what} must be an int in raw token units, got {type(value).__name__}"
        )
    if not 0 <= value <= U256_MAX:
        raise AmountOutOfRangeError(f"{what} must be in 0..2**256-1, got {value}")
    return value


def check_signed(value: object, what: str = "amount") -> int:
    """``value`` as an int in ``-(2**256-1) .. 2**256-1``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise AmountOutOfRangeError(
            f"{what} must be an int in raw token units, got {type(value).__name__}"
        )
    if not -U256_MAX <= value <= U256_MAX:
        raise AmountOutOfRangeError(f"{what} must be in -(2**256-1)..2**256-1, got {value}")
    return value


def to_decimal(value: object, what: str = "value") -> Decimal:
    """An exact, finite Decimal from a Decimal, int or decimal string; floats are refused."""
    if isinstance(value, bool | float):
        raise InvalidInputError(f"{what} must be a Decimal, int or decimal string, not a float")
    try:
        dec = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInputError(f"{what} is not a decimal number: {value!r}") from None
    if not dec.is_finite():
        raise InvalidInputError(f"{what} must be finite, got {value!r}")
    return dec


def normalize_hex(value: object, n_bytes: int, what: str) -> str:
    """``0x``-prefixed lower-case hex of exactly ``n_bytes`` bytes."""
    if not isinstance(value, str) or not _HEX.match(value) or len(value) != 2 + 2 * n_bytes:
        raise InvalidInputError(
            f"{what} must be 0x followed by {2 * n_bytes} hex digits: {value!r}"
        )
    return value.lower()


class _BigInt(TypeDecorator[int]):
    """Shared by U256 and SignedAmount: NUMERIC(78,0) on PostgreSQL, TEXT on SQLite."""

    impl = Numeric(78, 0)
    cache_ok = True

    def _check(self, value: object) -> int:
        raise NotImplementedError

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(78, 0, asdecimal=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        checked = self._check(value)
        return Decimal(checked) if dialect.name == "postgresql" else str(checked)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(value)  # exact from Decimal and from a digit string alike

    @property
    def python_type(self) -> type[int]:
        return int


class U256(_BigInt):
    """Unsigned 256-bit raw token units."""

    cache_ok = True

    def _check(self, value: object) -> int:
        return check_u256(value)


class SignedAmount(_BigInt):
    """Signed amounts with 256-bit magnitude (ledger entries: debits negative)."""

    cache_ok = True

    def _check(self, value: object) -> int:
        return check_signed(value)


class ExactDecimal(TypeDecorator[Decimal]):
    """Exact decimal (prices, sizes): NUMERIC on PostgreSQL, canonical TEXT on SQLite."""

    impl = Numeric()
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        dec = to_decimal(value)
        return dec if dialect.name == "postgresql" else str(dec)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class _Hex(TypeDecorator[str]):
    impl = String(66)
    cache_ok = True
    n_bytes = 32
    what = "hash"

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return normalize_hex(value, self.n_bytes, self.what)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    @property
    def python_type(self) -> type[str]:
        return str


class Address(_Hex):
    """A 20-byte account or contract address, stored lower-case."""

    impl = String(42)
    cache_ok = True
    n_bytes = 20
    what = "address"


class Hash32(_Hex):
    """A 32-byte hash (transaction, block), stored lower-case."""

    impl = String(66)
    cache_ok = True
    n_bytes = 32
    what = "hash"


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, normalized to UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise InvalidInputError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInputError(f"datetime must be timezone-aware: {value!r}")
        utc = value.astimezone(UTC)
        # SQLite keeps a naive ISO string: store UTC wall time, re-attach UTC on the way out.
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
