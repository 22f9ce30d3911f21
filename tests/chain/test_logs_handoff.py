"""The follower's wait between polls, with a head subscription whose pushes the test makes by
hand (on the in-process chain): the handoff after (re-)subscribing, a head pushed while a poll
runs, a node that refuses eth_subscribe, and a subscription that drops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from zippifi.chain import Backoff, EvmAdapter, LogFollower, LogRecord
from zippifi.errors import RpcError, TransientRpcError
from zippifi.settings import EMBEDDED_CHAIN_ID, ChainConfig
from zippifi.store import Store

from .conftest import run

RESYNC_S = 0.3  # a wait that is not cut short by a head lasts this long
QUICK = Backoff(base_s=0.01, cap_s=0.01)


@pytest.fixture
def embedded() -> Iterator[EvmAdapter]:
    adapter = EvmAdapter(
        ChainConfig(chain_id=EMBEDDED_CHAIN_ID, name="embedded", rpc_urls=["inprocess://"])
    )
    run(adapter.connect())
    yield adapter
    run(adapter.close())


class FakeWatcher:
    """HeadWatcher's interface; ``push`` stands for a newHeads notification."""

    def __init__(self, refuse: Exception | None = None) -> None:
        self.count = 0
        self.alive = False
        self.error: Exception | None = None
        self.refuse = refuse
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.alive = True

    async def push(self) -> None:
        async with self._changed:
            self.count += 1
            self._changed.notify_all()

    async def drop(self) -> None:
        async with self._changed:
            self.alive = False
            self.error = TransientRpcError("eth_subscribe: the socket closed", method="x")
            self._changed.notify_all()

    async def wait(self, seen: int, timeout_s: float) -> None:
        try:
            async with asyncio.timeout(timeout_s), self._changed:
                await self._changed.wait_for(lambda: self.count > seen or not self.alive)
        except TimeoutError:
            pass

    async def close(self) -> None:
        self.alive = False


class PushingAdapter(EvmAdapter):
    """The in-process chain, with hand-made head subscriptions."""

    def __init__(self, inner: EvmAdapter, watchers: list[FakeWatcher]) -> None:
        super().__init__(inner.config)
        self._inner = inner
        self.watchers = watchers
        self.opened: list[FakeWatcher] = []
        self.during_get_logs: FakeWatcher | None = None

    def head_watcher(self) -> Any:
        watcher = self.watchers.pop(0)
        self.opened.append(watcher)
        return watcher

    async def rpc(self, method: str, params: Sequence[Any]) -> Any:
        return await self._inner.rpc(method, params)

    async def get_logs(self, **query: Any) -> list[LogRecord]:
        if self.during_get_logs is not None:
            await self.during_get_logs.push()  # a head arrives while the poll is reading
        return await self._inner.get_logs(**query)


async def _caught_up(follower: LogFollower) -> None:
    """Poll and acknowledge until there is nothing new."""
    for _ in range(100):
        batch = await follower.poll()
        if batch is None:
            return
        await follower.ack(batch)
    raise AssertionError("the follower never caught up")


async def _timed_wait(follower: LogFollower) -> float:
    began = time.monotonic()
    await follower.wait_for_news()
    return time.monotonic() - began


async def test_the_wait_ends_on_any_head_since_the_last_poll_began(
    embedded: EvmAdapter, store: Store
) -> None:
    first, second = FakeWatcher(), FakeWatcher()
    adapter = PushingAdapter(embedded, [first, second])
    follower = LogFollower(adapter, store.cursors, "handoff", poll_s=RESYNC_S,
                           resync_s=RESYNC_S, resubscribe=QUICK)  # fmt: skip
    await _caught_up(follower)  # backfill before any subscription
    # opening the subscription returns at once: the blocks before it are read by the next poll
    assert await _timed_wait(follower) < RESYNC_S / 2
    assert follower.subscribed
    assert await follower.poll() is None
    assert await _timed_wait(follower) >= RESYNC_S * 0.9  # nothing pushed: the resync timer
    # a head pushed after the poll, before the wait: the wait does not miss it
    assert await follower.poll() is None
    await first.push()
    assert await _timed_wait(follower) < RESYNC_S / 2
    # a head pushed while the poll was reading: the next wait returns at once as well
    await embedded.rpc("evm_mine", [])
    adapter.during_get_logs = first
    batch = await follower.poll()
    assert batch is not None
    await follower.ack(batch)
    adapter.during_get_logs = None
    assert await _timed_wait(follower) < RESYNC_S / 2
    # the subscription drops: the wait ends, the follower polls (sleeping poll_s) and re-opens
    assert await follower.poll() is None
    waiting = asyncio.ensure_future(follower.wait_for_news())
    await asyncio.sleep(0.01)
    await first.drop()
    await asyncio.wait_for(waiting, RESYNC_S / 2)
    assert not follower.subscribed
    assert await follower.poll() is None
    assert await _timed_wait(follower) < RESYNC_S * 1.5  # re-opened (or slept poll_s once)
    while not follower.subscribed:
        await follower.wait_for_news()
    assert adapter.opened == [first, second]
    assert follower.subscriptions == 2
    await follower.close()
    assert not second.alive


async def test_a_node_that_refuses_subscriptions_is_polled(
    embedded: EvmAdapter, store: Store
) -> None:
    refused = FakeWatcher(refuse=RpcError("eth_subscribe: method not found", method="x"))
    flaky = FakeWatcher(refuse=TransientRpcError("eth_subscribe: reset", method="x"))
    adapter = PushingAdapter(embedded, [flaky, refused])
    follower = LogFollower(adapter, store.cursors, "refused", poll_s=0.05, resubscribe=QUICK)
    for _ in range(6):
        await _caught_up(follower)
        await follower.wait_for_news()
    # a transient failure is retried; a refusal is final (no third watcher was asked for)
    assert adapter.opened == [flaky, refused]
    assert follower.subscriptions == 0
    assert not follower.subscribed
