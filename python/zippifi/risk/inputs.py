"""The checked inputs every portfolio statistic takes: returns as finite float64 arrays, a
confidence in (0, 1), a whole horizon of at least one period. A bad value is an
:class:`~zippifi.errors.InvalidRiskInputError` naming it, never numpy's own error or a NaN
result."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from zippifi.errors import InsufficientDataError, InvalidRiskInputError

FloatArray = npt.NDArray[np.float64]


def _array(values: npt.ArrayLike, name: str) -> FloatArray:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidRiskInputError(f"{name}: not an array of numbers: {exc}") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InvalidRiskInputError(
            f"{name}: {int(bad.sum())} value(s) are NaN or infinite, the first at index "
            f"{where[0] if len(where) == 1 else where}"
        )
    return arr


def series(values: npt.ArrayLike, name: str = "returns", *, at_least: int = 2) -> FloatArray:
    """A 1-D series of at least ``at_least`` finite observations."""
    arr = _array(values, name)
    if arr.ndim != 1:
        raise InvalidRiskInputError(f"{name}: expected a 1-D series, got shape {arr.shape}")
    observations(len(arr), at_least, name)
    return arr


def panel(values: npt.ArrayLike, name: str = "returns", *, at_least: int = 2) -> FloatArray:
    """A (periods, assets) array of finite observations; a 1-D series is one asset."""
    arr = _array(values, name)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise InvalidRiskInputError(
            f"{name}: expected shape (periods, assets) with at least one asset, got {arr.shape}"
        )
    observations(arr.shape[0], at_least, name)
    return arr


def vector(values: npt.ArrayLike, name: str, size: int | None = None) -> FloatArray:
    """A 1-D array of finite numbers, of length ``size`` when given."""
    arr = _array(values, name)
    if arr.ndim != 1 or (size is not None and len(arr) != size):
        want = "a 1-D array" if size is None else f"{size} values"
        raise InvalidRiskInputError(f"{name}: expected {want}, got shape {arr.shape}")
    return arr


def matrix(values: npt.ArrayLike, name: str, size: int | None = None) -> FloatArray:
    """A symmetric square matrix of finite numbers, ``size`` x ``size`` when given."""
    arr = _array(values, name)
    n = arr.shape[0] if size is None and arr.ndim == 2 else size
    if arr.ndim != 2 or arr.shape != (n, n) or arr.size == 0:
        want = "a non-empty square matrix" if size is None else f"shape ({size}, {size})"
        raise InvalidRiskInputError(f"{name}: expected {want}, got shape {arr.shape}")
    scale = float(np.abs(arr).max(initial=0.0))
    if not np.allclose(arr, arr.T, rtol=0.0, atol=1e-12 * scale):
        raise InvalidRiskInputError(f"{name}: not symmetric")
    return arr


def observations(count: int, at_least: int, name: str) -> None:
    if count < at_least:
        raise InsufficientDataError(f"{name}: {count} observation(s), at least {at_least} needed")


def confidence(value: float) -> Fraction:
    """The confidence level as the decimal it was written as (0.9 is 9/10, not the binary
    double just above it), so that tail counts such as ``n * (1 - c)`` are exact."""
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        raise InvalidRiskInputError(f"confidence: expected a number in (0, 1), got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRiskInputError(f"confidence: expected a number in (0, 1), got {value!r}")
    exact = value if isinstance(value, Fraction) else Fraction(repr(float(value)))
    if not 0 < exact < 1:
        raise InvalidRiskInputError(f"confidence must be in (0, 1), got {value!r}")
    return exact


def horizon(value: int) -> int:
    """A horizon in whole periods of the returns, at least 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidRiskInputError(
            f"horizon: expected a whole number of periods >= 1, got {value!r}"
        )
    return int(value)


def decay(lam: float) -> float:
    """An EWMA decay factor in (0, 1)."""
    if isinstance(lam, bool) or not isinstance(lam, int | float) or not 0 < lam < 1:
        raise InvalidRiskInputError(f"lam (the EWMA decay) must be in (0, 1), got {lam!r}")
    return float(lam)
