"""Market monitor: exact local order books from a venue's feed, oracle prices, per-pair
aggregation into ticks and OHLCV candles, and anomaly detection."""

from __future__ import annotations

from zippifi.market.binance import BinanceDepthFeed, FeedStats, parse_depth_event, parse_snapshot
from zippifi.market.book import Level, LocalOrderBook
from zippifi.market.depth_sync import (
    DepthEvent,
    DepthSnapshot,
    DepthSynchronizer,
    Outcome,
    SyncState,
)

__all__ = [
    "BinanceDepthFeed",
    "DepthEvent",
    "DepthSnapshot",
    "DepthSynchronizer",
    "FeedStats",
    "Level",
    "LocalOrderBook",
    "Outcome",
    "SyncState",
    "parse_depth_event",
    "parse_snapshot",
]
