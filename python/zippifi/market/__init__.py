"""Market monitor: exact local order books from a venue's feed, oracle prices, per-pair
aggregation into ticks and OHLCV candles, and anomaly detection; Uniswap V2/V3 pools kept
current from the chain's logs (:class:`PoolSync`) and the arbitrage they open
(:class:`ArbitrageScanner`).

This front re-exports every module's ``__all__``: callers outside the package import from
``zippifi.market``, modules inside it import their siblings directly.
"""

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
from zippifi.market.arbitrage import ArbitrageOpportunity, ArbitrageScanner
from zippifi.market.batch_calls import DEFAULT_CONCURRENCY, DEFAULT_MAX_BATCH, EthCall, call_many
from zippifi.market.binance import (
    BinanceDepthFeed,
    BookListener,
    FeedStats,
    parse_depth_event,
    parse_snapshot,
)
from zippifi.market.book import BookSide, Level, LocalOrderBook
from zippifi.market.candles import EPOCH, CandleBuilder, bucket_start, check_intervals, epoch_us
from zippifi.market.depth_sync import (
    DepthEvent,
    DepthSnapshot,
    DepthSynchronizer,
    Outcome,
    SyncState,
)
from zippifi.market.oracle import (
    AGGREGATOR_V3_ABI,
    PHASE_OFFSET,
    ChainlinkFeed,
    OracleReading,
    OracleRound,
    check_round,
    round_problems,
)
from zippifi.market.pool_events import (
    GET_RESERVES,
    LIQUIDITY,
    MAX_TICK,
    MIN_TICK,
    PAIR_CREATED,
    POOL_CREATED,
    SLOT0,
    TICK_BITMAP,
    TICKS,
    TOPICS,
    U112,
    V2_SYNC,
    V3_BURN,
    V3_INITIALIZE,
    V3_MINT,
    V3_SWAP,
    bitmap_words,
)
from zippifi.market.pool_state import Factory, PoolState, PoolSyncBatch, V2PoolState, V3PoolState
from zippifi.market.pool_tracker import PoolTracker
from zippifi.market.pools import PoolSync
from zippifi.market.rollup import CandleArrays, rollup, rollup_many

__all__ = [
    "AGGREGATOR_V3_ABI",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_BATCH",
    "EPOCH",
    "GET_RESERVES",
    "LIQUIDITY",
    "MAX_TICK",
    "MERGED",
    "MIN_TICK",
    "PAIR_CREATED",
    "PHASE_OFFSET",
    "POOL_CREATED",
    "SLOT0",
    "TICKS",
    "TICK_BITMAP",
    "TOPICS",
    "U112",
    "V2_SYNC",
    "V3_BURN",
    "V3_INITIALIZE",
    "V3_MINT",
    "V3_SWAP",
    "AnomalyEvent",
    "AnomalyMonitor",
    "ArbitrageOpportunity",
    "ArbitrageScanner",
    "BinanceDepthFeed",
    "BookListener",
    "BookSide",
    "CandleArrays",
    "CandleBuilder",
    "ChainlinkFeed",
    "DepthEvent",
    "DepthSnapshot",
    "DepthSynchronizer",
    "EthCall",
    "EwmaVolatilityDetector",
    "Factory",
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
    "PoolState",
    "PoolSync",
    "PoolSyncBatch",
    "PoolTracker",
    "ReturnZScoreAlert",
    "ReturnZScoreDetector",
    "SourceKind",
    "SourceStatus",
    "SyncState",
    "V2PoolState",
    "V3PoolState",
    "VolatilityAlert",
    "bitmap_words",
    "bucket_start",
    "call_many",
    "check_intervals",
    "check_round",
    "epoch_us",
    "oracle_deviation",
    "parse_depth_event",
    "parse_snapshot",
    "rollup",
    "rollup_many",
    "round_problems",
    "zscore",
]
