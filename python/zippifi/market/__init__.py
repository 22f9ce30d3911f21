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
from zippifi.market.oracle import (
    AGGREGATOR_V3_ABI,
    ChainlinkFeed,
    OracleReading,
    OracleRound,
    check_round,
    round_problems,
)
from zippifi.market.rollup import CandleArrays, rollup, rollup_many

__all__ = [
    "AGGREGATOR_V3_ABI",
    "MERGED",
    "AnomalyEvent",
    "AnomalyMonitor",
    "BinanceDepthFeed",
    "CandleArrays",
    "CandleBuilder",
    "ChainlinkFeed",
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
    "OracleReading",
    "OracleRound",
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
    "check_round",
    "oracle_deviation",
    "parse_depth_event",
    "parse_snapshot",
    "rollup",
    "rollup_many",
    "round_problems",
    "zscore",
]
