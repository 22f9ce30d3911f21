"""A local L2 order book kept exactly: price levels are :class:`~decimal.Decimal` as the venue
sent them, so a book rebuilt from diffs compares equal to the venue's, level for level.

Analytics and fill simulation take floats: :meth:`LocalOrderBook.bids_array` and
:meth:`LocalOrderBook.asks_array` give numpy ``float64`` ``(n, 2)`` arrays of (price, size), bids
descending and asks ascending, which is what :class:`zippifi.amm.OrderBook` takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt

from zippifi.amm import OrderBook
from zippifi.errors import InvalidInputError

Level = tuple[Decimal, Decimal]
BookSide = Literal["bids", "asks"]
_ZERO = Decimal(0)


def _check_level(price: object, size: object, side: str) -> Level:
    if not isinstance(price, Decimal) or not isinstance(size, Decimal):
        raise InvalidInputError(
            f"{side} level must be (Decimal, Decimal), got ({price!r}, {size!r})"
        )
    if not price.is_finite() or price <= 0:
        raise InvalidInputError(f"{side} price must be a finite positive decimal, got {price}")
    if not size.is_finite() or size < 0:
        raise InvalidInputError(f"{side} size must be a finite decimal >= 0, got {size}")
    return price, size


class LocalOrderBook:
    """Bids and asks as ``{price: size}``; a size of zero removes the level. ``last_update_id``
    is the venue's sequence number the book reflects (``None`` before the first snapshot)."""

    __slots__ = ("_asks", "_asks_view", "_bids", "_bids_view", "last_update_id", "symbol")

    def __init__(self, symbol: str = "") -> None:
        self.symbol = symbol
        self._bids: dict[Decimal, Decimal] = {}
        self._asks: dict[Decimal, Decimal] = {}
        self._bids_view: list[Level] | None = None  # sorted caches, dropped on any change
        self._asks_view: list[Level] | None = None
        self.last_update_id: int | None = None

    # --- changes ------------------------------------------------------------------------

    def load_snapshot(
        self, last_update_id: int, bids: Iterable[Level], asks: Iterable[Level]
    ) -> None:
        """Replace the whole book (levels of size zero are skipped)."""
        new_bids = {p: s for p, s in (_check_level(p, s, "bids") for p, s in bids) if s}
        new_asks = {p: s for p, s in (_check_level(p, s, "asks") for p, s in asks) if s}
        self._bids, self._asks = new_bids, new_asks
        self._bids_view = self._asks_view = None
        self.last_update_id = last_update_id

    def apply(self, bids: Iterable[Level], asks: Iterable[Level], final_update_id: int) -> None:
        """Set each level's absolute size (zero removes it; removing an absent level is fine,
        venues do send those), then advance to ``final_update_id``. Levels are validated
        first, so a bad one changes nothing."""
        bid_levels = [_check_level(p, s, "bids") for p, s in bids]
        ask_levels = [_check_level(p, s, "asks") for p, s in asks]
        for side, levels in ((self._bids, bid_levels), (self._asks, ask_levels)):
            for price, size in levels:
                if size == _ZERO:
                    side.pop(price, None)
                else:
                    side[price] = size
        if bid_levels:
            self._bids_view = None
        if ask_levels:
            self._asks_view = None
        self.last_update_id = final_update_id

    def clear(self) -> None:
        self._bids, self._asks = {}, {}
        self._bids_view = self._asks_view = None
        self.last_update_id = None

    # --- reads --------------------------------------------------------------------------

    def bids(self) -> list[Level]:
        """(price, size), best (highest) first."""
        if self._bids_view is None:
            self._bids_view = sorted(self._bids.items(), reverse=True)
        return list(self._bids_view)

    def asks(self) -> list[Level]:
        """(price, size), best (lowest) first."""
        if self._asks_view is None:
            self._asks_view = sorted(self._asks.items())
        return list(self._asks_view)

    def levels(self, side: BookSide) -> dict[Decimal, Decimal]:
        """A copy of one side as ``{price: size}``."""
        return dict(self._bids if side == "bids" else self._asks)

    def best_bid(self) -> Level | None:
        return max(self._bids.items()) if self._bids else None

    def best_ask(self) -> Level | None:
        return min(self._asks.items()) if self._asks else None

    def mid(self) -> Decimal | None:
        """(best bid + best ask) / 2, exact; ``None`` while a side is empty."""
        bid, ask = self.best_bid(), self.best_ask()
        if bid is None or ask is None:
            return None
        return (bid[0] + ask[0]) / 2

    def bids_array(self) -> npt.NDArray[np.float64]:
        return _as_array(self.bids())

    def asks_array(self) -> npt.NDArray[np.float64]:
        return _as_array(self.asks())

    def to_amm(self) -> OrderBook:
        """This book as :class:`zippifi.amm.OrderBook` for fill simulation (float64)."""
        return OrderBook(self.bids_array(), self.asks_array())

    def __len__(self) -> int:
        return len(self._bids) + len(self._asks)

    def __repr__(self) -> str:
        return (
            f"LocalOrderBook({self.symbol!r}, last_update_id={self.last_update_id}, "
            f"bids={len(self._bids)}, asks={len(self._asks)})"
        )


def _as_array(levels: list[Level]) -> npt.NDArray[np.float64]:
    out = np.empty((len(levels), 2), dtype=np.float64)
    for i, (price, size) in enumerate(levels):
        out[i, 0] = float(price)
        out[i, 1] = float(size)
    return out


__all__ = ["BookSide", "Level", "LocalOrderBook"]
