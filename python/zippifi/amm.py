"""Exact AMM math: Uniswap V2 and V3, Curve StableSwap, and order books.

Amounts are Python ints in raw token units, exact beyond 64 bits (U256 inside), and every
result equals what the contract computes; where the contract would revert,
``zippifi.errors.AmmRevertError`` says why. Units follow each protocol: V2 ``fee_bps`` in basis
points (30 = 0.3%); V3 ``fee`` in hundredths of a bip (3000 = 0.3%); StableSwap ``fee`` on
Curve's 1e10 scale and ``amp`` = A * 100 (what ``A_precise()`` returns).

>>> v2_amount_out(10**18, 100 * 10**18, 200_000 * 10**6)
1974316068
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from zippifi import _core
from zippifi._core import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Fill,
    V3Pool,
    V3SwapResult,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    stable_get_dy,
    v2_amount_in,
    v2_amount_out,
    v2_amount_out_many,
)
from zippifi.errors import InvalidAmmInputError, InvalidInputError, InvalidOrderBookError

__all__ = [
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "Fill",
    "FillArrays",
    "OrderBook",
    "V3Pool",
    "V3SwapResult",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "stable_get_dy",
    "v2_amount_in",
    "v2_amount_out",
    "v2_amount_out_many",
]

Side = Literal["buy", "sell"]
FloatArray = npt.NDArray[np.float64]


def _floats(
    values: npt.ArrayLike, name: str, what: str, error: type[InvalidInputError]
) -> FloatArray:
    """``values`` as a contiguous float64 array, or ``error`` naming ``name``: never numpy's own
    TypeError, ValueError or OverflowError (an int beyond float range)."""
    try:
        return np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise error(f"{name}: not an array of {what}: {exc}") from None


def _levels(levels: npt.ArrayLike, name: str) -> FloatArray:
    arr = _floats(levels, name, "(price, size) numbers", InvalidOrderBookError)
    if arr.size == 0:
        return arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidOrderBookError(
            f"{name}: expected shape (n, 2) of (price, size), got {arr.shape}"
        )
    return arr


@dataclass(frozen=True)
class FillArrays:
    """fill() of many quantities at once, one array per field."""

    filled: FloatArray
    cost: FloatArray
    average_price: FloatArray
    worst_price: FloatArray
    levels: npt.NDArray[np.int64]
    slippage_bps: FloatArray


class OrderBook(_core.OrderBook):
    """A central limit order book from (n, 2) arrays of (price, size): bids descending, asks
    ascending. Crossed, unsorted, negative or non-finite books raise InvalidOrderBookError."""

    def __new__(cls, bids: npt.ArrayLike, asks: npt.ArrayLike) -> OrderBook:
        return super().__new__(cls, _levels(bids, "bids"), _levels(asks, "asks"))

    def fill_many(self, side: Side, quantities: npt.ArrayLike) -> FillArrays:
        """fill() for every quantity, computed in one GIL-free call."""
        qs = _floats(quantities, "quantities", "numbers", InvalidAmmInputError).reshape(-1)
        parts = self._fill_many_raw(side, qs)
        f64 = [np.frombuffer(p, dtype="<f8") for p in parts]
        return FillArrays(
            filled=f64[0],
            cost=f64[1],
            average_price=f64[2],
            worst_price=f64[3],
            levels=np.frombuffer(parts[4], dtype="<i8"),
            slippage_bps=f64[5],
        )
