"""BinanceDepthFeed against a local exchange (tests/market/exchange.py) on 127.0.0.1: the REST
snapshot and websocket diff stream in the venue's documented format, with gaps, duplicates,
replays, disconnects, stale and held snapshots, HTTP errors and garbage frames. After every
scenario the feed's exact book must equal the exchange's own book."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import numpy as np
import pytest

from tests.market.exchange import ExchangeModel, LocalBinance
from zippifi.amm import OrderBook
from zippifi.errors import InvalidInputError
from zippifi.market import BinanceDepthFeed, LocalOrderBook, PairAggregator, SyncState

WAIT_S = 15


class Harness:
    def __init__(self, exchange: LocalBinance, feed: BinanceDepthFeed) -> None:
        self.exchange = exchange
        self.feed = feed
        self.model = exchange.model

    async def settle(self) -> None:
        """One clean event, then wait until the feed has caught up with the exchange."""
        await self.exchange.step()
        target = self.model.last_id
        await self.feed.wait_until(lambda b: b.last_update_id == target, timeout=WAIT_S)

    def assert_same_book(self) -> None:
        book = self.feed.book
        assert book.last_update_id == self.model.last_id
        assert book.levels("bids") == self.model.bids
        assert book.levels("asks") == self.model.asks


@contextlib.asynccontextmanager
async def running(seed: int = 0, **feed_kwargs: Any) -> AsyncIterator[Harness]:
    model = ExchangeModel(seed=seed)
    async with LocalBinance(model) as exchange, aiohttp.ClientSession() as session:
        options: dict[str, Any] = {
            "rest_url": exchange.url,
            "ws_url": exchange.ws_url,
            "depth_limit": 500,
            "reconnect_initial_s": 0.01,
            "reconnect_max_s": 0.05,
            "session": session,
        }
        options.update(feed_kwargs)
        feed = BinanceDepthFeed(model.symbol, **options)
        task = asyncio.create_task(feed.run())
        try:
            await exchange.wait_connections(1)
            yield Harness(exchange, feed)
        finally:
            await feed.stop()
            await asyncio.wait_for(task, WAIT_S)


async def test_clean_stream_matches_after_every_event() -> None:
    async with running(seed=1) as h:
        await h.settle()
        for _ in range(60):
            await h.exchange.step()
            target = h.model.last_id
            await h.feed.wait_until(lambda b, t=target: b.last_update_id == t, timeout=WAIT_S)
            h.assert_same_book()
        assert h.feed.stats.snapshots == 1
        assert h.feed.stats.gaps == 0
        request = h.exchange.snapshot_requests[0]
        assert request == {"symbol": "ETHUSDT", "limit": "500"}


async def test_events_before_the_snapshot_are_buffered_and_old_ones_dropped() -> None:
    """The snapshot is answered only after many events went by, and reflects a state in the
    middle of one event (U <= lastUpdateId + 1 <= u): buffered events at or below it are
    dropped and the straddling one is applied."""
    async with running(seed=2) as h:
        h.exchange.snapshot_gate = gate = asyncio.Event()
        frames = [await h.exchange.step(n_updates=3) for _ in range(10)]
        await asyncio.sleep(0.05)  # the feed has buffered them and asked for a snapshot
        h.exchange.stale_snapshot_ids = [frames[6]["U"] + 1]  # mid-event
        gate.set()
        await h.settle()
        h.assert_same_book()
        assert h.feed.stats.dropped >= 6
        assert h.feed.stats.stale_snapshots == 0


async def test_gap_triggers_resync() -> None:
    async with running(seed=3) as h:
        for round_ in range(5):
            await h.settle()
            await h.settle()  # an event after the snapshot's: past bridging, strictly chained
            assert h.feed.state is SyncState.SYNCED
            h.model.emit()  # made on the venue, never sent: a gap
            for _ in range(3):
                await h.exchange.step()
            await h.settle()
            h.assert_same_book()
            assert h.feed.stats.gaps == round_ + 1
        assert h.feed.stats.snapshots == 6


async def test_duplicates_and_replays_are_dropped_without_resync() -> None:
    async with running(seed=4) as h:
        await h.settle()
        sent = []
        for _ in range(20):
            frame = await h.exchange.step()
            sent.append(frame)
            await h.exchange.publish(frame)  # exact duplicate
        for frame in sent[5:12]:  # an old stretch replayed
            await h.exchange.publish(frame)
        await h.settle()
        h.assert_same_book()
        assert h.feed.stats.dropped >= 27
        assert h.feed.stats.gaps == 0
        assert h.feed.stats.snapshots == 1


async def test_server_disconnects_reconnect_and_resync() -> None:
    async with running(seed=5) as h:
        await h.settle()
        for n in range(2, 6):
            await h.exchange.disconnect_all()
            for _ in range(3):
                h.model.emit()  # changes the feed cannot see while it is away
            await h.exchange.wait_connections(n)
            await h.settle()
            h.assert_same_book()
        assert h.feed.stats.connects >= 5
        assert h.feed.stats.snapshots >= 5


async def test_stale_snapshots_are_refetched() -> None:
    async with running(seed=6) as h:
        old = h.model.last_id
        for _ in range(5):
            h.model.emit()
        # the first two answers predate the first event the feed will buffer
        h.exchange.stale_snapshot_ids = [old, old + 1]
        await h.settle()
        h.assert_same_book()
        assert h.feed.stats.stale_snapshots == 2
        assert len(h.exchange.snapshot_requests) == 3


async def test_too_many_stale_snapshots_reconnects_then_recovers() -> None:
    async with running(seed=7, max_stale_snapshots=1) as h:
        old = h.model.last_id
        for _ in range(5):
            h.model.emit()
        h.exchange.stale_snapshot_ids = [old, old, old]
        await h.exchange.step()
        await h.exchange.wait_connections(2)
        await h.settle()
        h.assert_same_book()
        assert h.feed.stats.stale_snapshots == 3


async def test_http_errors_and_garbage_frames_reconnect_then_recover() -> None:
    async with running(seed=8) as h:
        h.exchange.snapshot_errors = 2
        for n in (2, 3):  # each failed snapshot ends a connection
            await h.exchange.step()
            await h.exchange.wait_connections(n)
        await h.settle()
        h.assert_same_book()
        for n, garbage in enumerate(
            [
                "not json",
                json.dumps({"e": "depthUpdate", "s": "ETHUSDT", "U": 1}),
                json.dumps({**h.model.emit(), "b": [[2000.5, "1"]]}),  # float price
                json.dumps({**h.model.emit(), "s": "BTCUSDT"}),  # another symbol
            ],
            start=4,
        ):
            await h.exchange.publish(garbage)
            await h.exchange.wait_connections(n)
            await h.settle()
            h.assert_same_book()
        assert h.feed.stats.malformed == 4


async def test_combined_stream_frames_and_subscription_answers() -> None:
    async with running(seed=9) as h:
        await h.settle()
        await h.exchange.publish({"result": None, "id": 1})
        frame = h.model.emit()
        await h.exchange.publish({"stream": "ethusdt@depth@100ms", "data": frame})
        target = h.model.last_id
        await h.feed.wait_until(lambda b: b.last_update_id == target, timeout=WAIT_S)
        h.assert_same_book()
        assert h.feed.stats.malformed == 0


async def test_random_fault_mix_matches_reference() -> None:
    """Gaps, duplicates, replays and disconnects drawn at random, many rounds."""
    async with running(seed=10) as h:
        rng = h.model.rng
        connections = 1
        sent: list[dict[str, Any]] = []
        await h.settle()
        for _ in range(40):
            roll = rng.random()
            if roll < 0.15:
                h.model.emit()
            elif roll < 0.3 and sent:
                await h.exchange.publish(rng.choice(sent))
            elif roll < 0.35:
                await h.exchange.disconnect_all()
                connections += 1
                await h.exchange.wait_connections(connections)
            else:
                sent.append(await h.exchange.step())
            if rng.random() < 0.2:
                await h.settle()
                h.assert_same_book()
        await h.settle()
        h.assert_same_book()


async def test_float_view_feeds_amm_order_book() -> None:
    async with running(seed=11) as h:
        await h.settle()
        book = h.feed.book
        bids, asks = book.bids_array(), book.asks_array()
        assert bids.dtype == np.float64
        assert bids.shape == (len(h.model.bids), 2)
        assert asks.shape == (len(h.model.asks), 2)
        assert np.all(np.diff(bids[:, 0]) < 0)
        assert np.all(np.diff(asks[:, 0]) > 0)
        ref_bids = sorted(h.model.bids.items(), reverse=True)
        assert bids.tolist() == [[float(p), float(s)] for p, s in ref_bids]
        amm = book.to_amm()
        assert isinstance(amm, OrderBook)
        # buying the whole ask side costs exactly the sum over the reference's levels
        total = sum(h.model.asks.values())
        fill = amm.fill("buy", float(total))
        expected = sum(float(p) * float(s) for p, s in sorted(h.model.asks.items()))
        assert fill.cost == pytest.approx(expected, rel=1e-12)
        best_bid, best_ask = max(h.model.bids), min(h.model.asks)
        assert book.mid() == (best_bid + best_ask) / 2


def test_feed_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match="symbol"):
        BinanceDepthFeed("ETH/USDT")
    with pytest.raises(InvalidInputError, match="depth_limit"):
        BinanceDepthFeed("ETHUSDT", depth_limit=5001)
    with pytest.raises(InvalidInputError, match="speed_ms"):
        BinanceDepthFeed("ETHUSDT", speed_ms=250)
    with pytest.raises(InvalidInputError, match="reconnect"):
        BinanceDepthFeed("ETHUSDT", reconnect_initial_s=2, reconnect_max_s=1)


def test_stream_url_follows_the_documented_names() -> None:
    fast = BinanceDepthFeed("ethusdt", ws_url="wss://example.invalid:9443/")
    assert fast.stream_url == "wss://example.invalid:9443/ws/ethusdt@depth@100ms"
    slow = BinanceDepthFeed("ETHUSDT", ws_url="wss://example.invalid:9443", speed_ms=1000)
    assert slow.stream_url == "wss://example.invalid:9443/ws/ethusdt@depth"
    assert fast.symbol == "ETHUSDT"


async def test_feed_into_the_aggregator() -> None:
    """The book listener stamps quotes with the venue's event time; the aggregator's last tick
    is the reference book's mid and best prices."""
    async with running(seed=12) as h:
        agg = PairAggregator("ETH/USDT")

        def on_book(book: LocalOrderBook) -> None:
            when = h.feed.event_time
            assert when is not None
            agg.on_book("binance", when, book)

        def broken(book: LocalOrderBook) -> None:
            raise RuntimeError("a consumer's bug")

        h.feed.add_listener(broken)  # logged; must not disturb the feed or the next listener
        h.feed.add_listener(on_book)
        for i in range(20):
            frame = await h.exchange.step()
            if i % 5 == 0:
                await h.exchange.publish(frame)  # duplicates carry old event times
            await h.settle()
        ticks, _ = agg.take_pending()
        assert ticks
        last = ticks[-1]
        best_bid, best_ask = max(h.model.bids), min(h.model.asks)
        assert (last.bid, last.ask, last.price) == (best_bid, best_ask, (best_bid + best_ask) / 2)
        assert last.ts == datetime.fromtimestamp((1_700_000_000_000 + h.model.last_id) / 1000, UTC)
        assert h.feed.stats.connects == 1
