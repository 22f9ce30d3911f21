"""The ``market`` settings section: defaults, environment overrides, refusals."""

from __future__ import annotations

import pytest

from zippifi.errors import ConfigError
from zippifi.market import BinanceDepthFeed, PairAggregator
from zippifi.settings import load_settings


def test_env_overrides_reach_the_feed_and_aggregator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZIPPIFI_MARKET__DEPTH_LIMIT", "250")
    monkeypatch.setenv("ZIPPIFI_MARKET__DEPTH_SPEED_MS", "1000")
    monkeypatch.setenv("ZIPPIFI_MARKET__CANDLE_INTERVALS_S", "[300, 60]")
    monkeypatch.setenv("ZIPPIFI_MARKET__ANOMALY__ZSCORE_WINDOW", "12")
    market = load_settings().market
    feed = BinanceDepthFeed.from_settings("BTCUSDT", market)
    assert feed.depth_limit == 250
    assert feed.stream_url.endswith("/ws/btcusdt@depth")
    agg = PairAggregator.from_settings("BTC/USDT", market)
    assert agg.intervals_s == (60, 300)
    assert agg.monitor.settings.zscore_window == 12


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("ZIPPIFI_MARKET__DEPTH_LIMIT", "5001", "depth_limit"),
        ("ZIPPIFI_MARKET__DEPTH_SPEED_MS", "250", "depth_speed_ms"),
        ("ZIPPIFI_MARKET__CANDLE_INTERVALS_S", "[60, 60]", "candle_intervals_s"),
        ("ZIPPIFI_MARKET__CANDLE_INTERVALS_S", "[0]", "candle_intervals_s"),
        ("ZIPPIFI_MARKET__ANOMALY__EWMA_LAMBDA", "1", "ewma_lambda"),
        ("ZIPPIFI_MARKET__ANOMALY__LIQUIDITY_DROP_FRACTION", "0", "liquidity_drop_fraction"),
    ],
)
def test_bad_values_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, match: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=match):
        load_settings()
