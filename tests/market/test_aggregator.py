"""PairAggregator: merging sources with per-source staleness, candles per source and for the
merged price (checked against the pure-Python rollup and a median computed here), anomaly
events raised through it, and persistence through the store's market repository on SQLite and
PostgreSQL (ticks and candles read back equal)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.market.test_candles import reference_rollup
from zippifi.errors import InvalidInputError
from zippifi.market import (
    MERGED,
    LiquidityDropAlert,
    LocalOrderBook,
    OracleDeviationAlert,
    PairAggregator,
    ReturnZScoreAlert,
)
from zippifi.settings import AnomalySettings, MarketSettings
from zippifi.store import Candle, Store, open_store

T0 = datetime(2024, 5, 1, 11, 58, 30, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAIR = "ETH/USDC"
INTERVALS = (1, 60, 300, 3600)
QUIET = AnomalySettings(zscore_threshold=1e9, ewma_vol_threshold=1e9, oracle_deviation_bps=1e9)


def ns(ts: datetime) -> int:
    return (ts - EPOCH) // timedelta(microseconds=1) * 1000


def as_rows(candles: list[Candle], source: str, interval: int) -> list[tuple[object, ...]]:
    return [
        (ns(c.ts), c.open, c.high, c.low, c.close, c.volume, c.trades)
        for c in candles
        if c.source == source and c.interval_s == interval
    ]


def median(values: list[Decimal]) -> Decimal:
    xs = sorted(values)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def test_view_merges_fresh_sources_and_flags_stale_ones() -> None:
    agg = PairAggregator(
        PAIR, stale_after_s=10, stale_after_by_source={"chainlink": 3600}, anomaly=QUIET
    )
    agg.on_quote("binance", "cex", T0, Decimal("2000.10"))
    agg.on_pool("univ3", T0 + timedelta(seconds=5), Decimal("2001.30"))
    agg.on_oracle("chainlink", T0 - timedelta(minutes=30), Decimal("1999.00"))
    view = agg.view(T0 + timedelta(seconds=9))
    assert view.fresh == ("binance", "univ3", "chainlink")
    assert view.price == Decimal("2000.10")  # median of three
    assert view.sources["binance"].age_s == 9
    view = agg.view(T0 + timedelta(seconds=12))  # binance is 12 s old now
    assert view.sources["binance"].stale
    assert not view.sources["univ3"].stale
    assert view.price == (Decimal("2001.30") + Decimal("1999.00")) / 2
    assert agg.view(T0 + timedelta(hours=2)).price is None


def test_candles_per_source_and_merged_match_references() -> None:
    rng = random.Random(3)
    agg = PairAggregator(PAIR, intervals_s=INTERVALS, stale_after_s=20, anomaly=QUIET)
    sources = {"binance": "cex", "univ3": "pool", "chainlink": "oracle"}
    inputs: dict[str, list[tuple[int, Decimal, Decimal]]] = {s: [] for s in sources}
    latest: dict[str, tuple[datetime, Decimal]] = {}
    merged: list[tuple[int, Decimal, Decimal]] = []
    last_merged: datetime | None = None
    now = T0
    for _ in range(1500):
        now += timedelta(microseconds=rng.randint(0, 8_000_000))
        source = rng.choice(list(sources))
        price = Decimal(rng.randint(199_000, 201_000)) / 100
        size = Decimal(rng.randint(0, 10_000)) / 1000 if source == "binance" else None
        if source in latest and latest[source] == (now, price):
            continue
        agg.on_quote(source, sources[source], now, price, size=size)  # type: ignore[arg-type]
        inputs[source].append((ns(now), price, size or Decimal(0)))
        latest[source] = (now, price)
        at = now if last_merged is None or now > last_merged else last_merged
        fresh = [p for t, p in latest.values() if (at - t).total_seconds() <= 20]
        if fresh:
            merged.append((ns(at), median(fresh), Decimal(0)))
            last_merged = at
    ticks, candles = agg.take_pending(close_open=True)
    assert len(ticks) == sum(len(v) for v in inputs.values())
    for interval in INTERVALS:
        for source, rows in inputs.items():
            assert as_rows(candles, source, interval) == reference_rollup(rows, interval)
        assert as_rows(candles, MERGED, interval) == reference_rollup(merged, interval)
    assert agg.pending == (0, 0)


def test_anomalies_through_the_aggregator() -> None:
    settings = AnomalySettings(
        zscore_window=5, zscore_threshold=5, oracle_deviation_bps=100,
        liquidity_window=3, liquidity_drop_fraction=0.5,
    )  # fmt: skip
    agg = PairAggregator(PAIR, anomaly=settings)
    for i in range(8):
        assert agg.on_pool("univ3", T0 + timedelta(seconds=i), Decimal(2000), 10**18) == []
    assert agg.on_oracle("chainlink", T0 + timedelta(seconds=8), Decimal("2010")) == []
    events = agg.on_oracle("chainlink", T0 + timedelta(seconds=9), Decimal("2030"))
    (dev,) = events
    assert isinstance(dev, OracleDeviationAlert)
    assert dev.source == "univ3"
    assert dev.deviation_bps == pytest.approx(10_000 * 30 / 2030)
    events = agg.on_pool("univ3", T0 + timedelta(seconds=10), Decimal(2100), 4 * 10**17)
    kinds = {type(e) for e in events}
    assert kinds == {ReturnZScoreAlert, LiquidityDropAlert, OracleDeviationAlert}
    assert agg.events[-3:] == events


def test_book_quotes_use_mid_bid_ask_and_depth() -> None:
    book = LocalOrderBook("ETHUSDT")
    book.load_snapshot(
        7,
        [(Decimal("1999"), Decimal(2)), (Decimal("1900"), Decimal(100))],
        [(Decimal("2001"), Decimal(3)), (Decimal("2100"), Decimal(100))],
    )
    agg = PairAggregator(PAIR, anomaly=QUIET)
    agg.on_book("binance", T0, book, depth_bps=100)
    (tick,) = agg.take_pending()[0]
    assert (tick.price, tick.bid, tick.ask) == (Decimal(2000), Decimal(1999), Decimal(2001))
    assert agg.on_book("binance", T0, LocalOrderBook()) == []  # empty book: no price


def test_bad_quotes_are_refused_without_changes() -> None:
    agg = PairAggregator(PAIR, anomaly=QUIET)
    agg.on_quote("binance", "cex", T0, Decimal(1))
    before = (agg.pending, agg.view(T0))
    bad = [
        (("binance", "cex", T0 - timedelta(seconds=1), Decimal(1)), {}, "older"),
        (("binance", "pool", T0, Decimal(2)), {}, "cex source"),
        (("binance", "cex", T0, Decimal(0)), {}, "price"),
        (("binance", "cex", T0, 1.5), {}, "price"),
        (("binance", "cex", datetime(2024, 5, 1), Decimal(1)), {}, "timezone"),
        (("x", "dex", T0, Decimal(1)), {}, "kind"),
        ((MERGED, "cex", T0, Decimal(1)), {}, "merged"),
        (("binance", "cex", T0, Decimal(2)), {"liquidity": -1}, "liquidity"),
        (("binance", "cex", T0, Decimal(2)), {"size": Decimal(-1)}, "size"),
    ]
    for args, kwargs, match in bad:
        with pytest.raises(InvalidInputError, match=match):
            agg.on_quote(*args, **kwargs)  # type: ignore[arg-type]
    assert (agg.pending, agg.view(T0)) == before
    assert agg.on_quote("binance", "cex", T0, Decimal(1)) == []  # a repeat: nothing new
    assert agg.pending == before[0]


async def test_flush_persists_ticks_and_candles(store: Store) -> None:
    agg = PairAggregator.from_settings(
        PAIR, MarketSettings(candle_intervals_s=[60, 1], anomaly=QUIET), store.market
    )
    assert agg.intervals_s == (1, 60)
    rng = random.Random(5)
    now = T0
    for _ in range(300):
        now += timedelta(microseconds=rng.randint(1, 900_000))
        price = Decimal(rng.randint(1, 10**12)) / 10**8
        agg.on_quote("binance", "cex", now, price, size=Decimal(rng.randint(0, 99)) / 8)
    closed = agg.pending[1]
    assert closed > 0
    n_ticks, n_candles = await agg.persist()
    assert (n_ticks, n_candles) == (300, closed)
    stored = await store.market.ticks(PAIR, T0, now + timedelta(seconds=1), source="binance")
    assert len(stored) == 300
    open_now = agg.open_candles()
    n_ticks, n_candles = await agg.flush()
    assert n_ticks == 0
    assert n_candles == len(open_now)
    assert agg.open_candles() == []
    end = now + timedelta(hours=1)
    for interval in (1, 60):
        for source in ("binance", MERGED):
            got = await store.market.candles(PAIR, interval, T0 - timedelta(hours=1), end,
                                             source=source)  # fmt: skip
            rows = [(ns(t.ts), t.price, t.size or Decimal(0)) for t in stored]
            if source == MERGED:
                rows = [(r[0], r[1], Decimal(0)) for r in rows]
            assert as_rows(got, source, interval) == reference_rollup(rows, interval)


async def test_failed_candle_write_keeps_candles_for_the_next_try(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        agg = PairAggregator(PAIR, intervals_s=[1], repository=store.market, anomaly=QUIET)
        for i in range(5):
            agg.on_quote("binance", "cex", T0 + timedelta(seconds=i), Decimal(100 + i))
        async with store.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE candles RENAME TO candles_away"))
        with pytest.raises(Exception, match="candles"):
            await agg.flush()
        assert agg.pending == (0, 10)  # ticks written once; candles wait
        async with store.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE candles_away RENAME TO candles"))
        assert await agg.persist() == (0, 10)
        got = await store.market.candles(PAIR, 1, T0, T0 + timedelta(seconds=9))
        assert [c.close for c in got if c.source == "binance"] == [
            Decimal(100 + i) for i in range(5)
        ]
    finally:
        await store.close()


async def test_persist_without_a_repository_is_an_error() -> None:
    agg = PairAggregator(PAIR)
    with pytest.raises(InvalidInputError, match="repository"):
        await agg.persist()
