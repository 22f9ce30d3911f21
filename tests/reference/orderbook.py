"""A central limit order book walked level by level with Python floats.

``bids`` and ``asks`` are (n, 2) arrays (or lists) of (price, size): bids best (highest) first,
asks best (lowest) first, prices strictly ordered. A "buy" takes asks, a "sell" takes bids.
Slippage is the average price's distance from the mid (the taken side's best price when the
other side is empty), in basis points, positive when worse for the taker; 0 when nothing fills.
``depth`` sums the sizes priced within ``bps`` of that same reference price.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

NAN = float("nan")


@dataclass(frozen=True)
class Fill:
    filled: float
    cost: float
    average_price: float
    worst_price: float
    levels: int
    slippage_bps: float


@dataclass(frozen=True)
class Fills:
    """fill_many's columns, as numpy arrays."""

    filled: np.ndarray
    cost: np.ndarray
    average_price: np.ndarray
    worst_price: np.ndarray
    levels: np.ndarray
    slippage_bps: np.ndarray


def _levels(raw: Any, name: str) -> list[tuple[float, float]]:
    rows = raw.tolist() if hasattr(raw, "tolist") else [list(r) for r in raw]
    out = []
    for row in rows:
        if len(row) != 2:
            raise ValueError(f"{name}: each level is (price, size), got {row}")
        price, size = float(row[0]), float(row[1])
        if not (math.isfinite(price) and math.isfinite(size)):
            raise ValueError(f"{name}: price and size must be finite, got {row}")
        if price <= 0 or size < 0:
            raise ValueError(f"{name}: price must be > 0 and size >= 0, got {row}")
        out.append((price, size))
    return out


class OrderBook:
    def __init__(self, bids: Any, asks: Any) -> None:
        self.bids = _levels(bids, "bids")
        self.asks = _levels(asks, "asks")
        for a, b in zip(self.bids, self.bids[1:], strict=False):
            if b[0] >= a[0]:
                raise ValueError("bids must be sorted by price, highest first")
        for a, b in zip(self.asks, self.asks[1:], strict=False):
            if b[0] <= a[0]:
                raise ValueError("asks must be sorted by price, lowest first")
        if self.bids and self.asks and self.bids[0][0] >= self.asks[0][0]:
            raise ValueError("crossed book: best bid >= best ask")

    def _side(self, side: str) -> list[tuple[float, float]]:
        if side == "buy":
            return self.asks
        if side == "sell":
            return self.bids
        raise ValueError(f"side must be 'buy' or 'sell', not {side!r}")

    @property
    def mid(self) -> float | None:
        if not (self.bids and self.asks):
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2

    def _reference(self, levels: list[tuple[float, float]]) -> float:
        mid = self.mid
        if mid is not None:
            return mid
        return levels[0][0] if levels else NAN

    def fill(self, side: str, quantity: float) -> Fill:
        """Take up to ``quantity`` from the best level down; a partial fill if the book is thin."""
        levels = self._side(side)
        quantity = float(quantity)
        if not math.isfinite(quantity) or quantity < 0:
            raise ValueError(f"quantity must be finite and >= 0: {quantity}")
        filled = cost = 0.0
        touched = 0
        worst = NAN
        for price, size in levels:
            if filled >= quantity:
                break
            if size <= 0.0:  # an empty level trades nothing
                continue
            touched += 1
            worst = price
            rest = quantity - filled
            if size >= rest:  # this level completes the order
                cost += rest * price
                filled = quantity
                break
            cost += size * price
            filled += size
        if filled <= 0.0:
            return Fill(0.0, 0.0, NAN, NAN, 0, 0.0)
        average = cost / filled
        ref = self._reference(levels)
        if side == "buy":
            slippage = (average - ref) / ref * 10_000.0
        else:
            slippage = (ref - average) / ref * 10_000.0
        return Fill(filled, cost, average, worst, touched, slippage)

    def fill_many(self, side: str, quantities: Iterable[float]) -> Fills:
        """One fill per quantity, in a loop, gathered into columns."""
        qs = quantities.tolist() if hasattr(quantities, "tolist") else list(quantities)
        fills = [self.fill(side, q) for q in qs]
        return Fills(
            filled=np.array([f.filled for f in fills], dtype=np.float64),
            cost=np.array([f.cost for f in fills], dtype=np.float64),
            average_price=np.array([f.average_price for f in fills], dtype=np.float64),
            worst_price=np.array([f.worst_price for f in fills], dtype=np.float64),
            levels=np.array([f.levels for f in fills], dtype=np.int64),
            slippage_bps=np.array([f.slippage_bps for f in fills], dtype=np.float64),
        )

    def depth(self, side: str, bps: float) -> float:
        """Total size on ``side``'s levels priced within ``bps`` basis points of the mid."""
        levels = self._side(side)
        if not math.isfinite(bps) or bps < 0:
            raise ValueError(f"bps must be finite and >= 0: {bps}")
        if not levels:
            return 0.0
        ref = self._reference(levels)
        total = 0.0
        if side == "buy":
            limit = ref * (1.0 + bps / 10_000.0)
            for price, size in levels:
                if price > limit:
                    break
                total += size
        else:
            limit = ref * (1.0 - bps / 10_000.0)
            for price, size in levels:
                if price < limit:
                    break
                total += size
        return total


def as_levels(rows: Sequence[tuple[float, float]]) -> np.ndarray:
    """(price, size) rows as the (n, 2) float64 array the kernel takes."""
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)
