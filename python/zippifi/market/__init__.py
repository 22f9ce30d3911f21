"""Market monitor: exact local order books from a venue's feed, oracle prices, per-pair
aggregation into ticks and OHLCV candles, and anomaly detection."""

from __future__ import annotations

from zippifi.market.aggregator import MERGED, PairAggregator, PairView, SourceKind, SourceStatus
from zippifi.market.anomaly import (
    AnomalyEvent,
    AnomalyMonitor,
    EwmaVolatilityDetector,
    LiquidityDropAlert,
    LiquidityDropDetector,
    OracleDeviationAlert,
    ReturnZScoreAlert,
    ReturnZScoreDetector,
    VolatilityAlert,
    oracle_deviation,
    zscore,
)
from zippifi.market.binance import BinanceDepthFeed, FeedStats, parse_depth_event, parse_snapshot
from zippifi.market.book import Level, LocalOrderBook
from zippifi.market.candles import CandleBuilder, bucket_start
from zippifi.market.depth_sync import (
    DepthEvent,
    DepthSnapshot,
    DepthSynchronizer,
    Outcome,
    SyncState,
)
from zippifi.market.rollup import CandleArrays, rollup, rollup_many

__all__ = [
    "MERGED",
    "AnomalyEvent",
    "AnomalyMonitor",
    "BinanceDepthFeed",
    "CandleArrays",
    "CandleBuilder",
    "DepthEvent",
    "DepthSnapshot",
    "DepthSynchronizer",
    "EwmaVolatilityDetector",
    "FeedStats",
    "Level",
    "LiquidityDropAlert",
    "LiquidityDropDetector",
    "LocalOrderBook",
    "OracleDeviationAlert",
    "Outcome",
    "PairAggregator",
    "PairView",
    "ReturnZScoreAlert",
    "ReturnZScoreDetector",
    "SourceKind",
    "SourceStatus",
    "SyncState",
    "VolatilityAlert",
    "bucket_start",
    "oracle_deviation",
    "parse_depth_event",
    "parse_snapshot",
    "rollup",
    "rollup_many",
    "zscore",
]
