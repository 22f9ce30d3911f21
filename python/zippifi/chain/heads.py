"""New chain heads pushed over a WebSocket (eth_subscribe "newHeads"), for waiters that would
otherwise sleep a poll interval.

A :class:`HeadWatcher` only says *that* the chain moved: it counts the heads it was sent and
wakes whoever waits. It carries no data to trust: notifications are lost silently when the
socket dies, and the head and log feeds of a node are not ordered with respect to each other,
so readers (the log follower) still read the chain themselves, and the push only tells them
when. The subscription has a connection of its own, so a burst of heads never queues behind,
or in front of, the adapter's calls.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol, runtime_checkable

from web3 import AsyncWeb3, WebSocketProvider
from web3.utils.subscriptions import NewHeadsSubscription

from zippifi.chain.rpc_errors import classify
from zippifi.errors import ChainError, TransientRpcError
from zippifi.log import get_logger

log = get_logger(__name__)
# pings find a socket that died silently (no RST, no close frame) within ping_timeout
WS_PINGS = {"ping_interval": 10.0, "ping_timeout": 20.0}


def websocket_web3(url: str, timeout_s: float) -> AsyncWeb3[Any]:
    """AsyncWeb3 on a WebSocket: one connection attempt per connect() (web3's own retries
    sleep 1.75 s and up; our callers' failover and backoff decide what follows a failure)."""
    provider = WebSocketProvider(
        url, request_timeout=timeout_s, max_connection_retries=1, websocket_kwargs=WS_PINGS
    )
    return AsyncWeb3(provider)


class HeadWatcher:
    """A newHeads subscription on its own WebSocket; see the module docstring."""

    def __init__(self, url: str, *, timeout_s: float) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.count = 0  # heads received on this subscription
        self.latest: int | None = None  # the newest head's number
        self.error: ChainError | None = None  # why it ended, if it did
        self._w3 = websocket_web3(url, timeout_s)
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Connect and subscribe; raises TransientRpcError when the node cannot be reached."""
        provider = self._w3.provider
        assert isinstance(provider, WebSocketProvider)
        try:
            async with asyncio.timeout(self.timeout_s):
                await provider.connect()
                await self._w3.subscription_manager.subscribe(NewHeadsSubscription())
        except Exception as exc:
            await self._disconnect()
            raise classify(exc, method="eth_subscribe", url=self.url) from exc
        self._task = asyncio.create_task(self._read(), name=f"heads {self.url}")

    async def _read(self) -> None:
        try:
            async for message in self._w3.socket.process_subscriptions():
                result: Any = message.get("result")
                number = result.get("number") if isinstance(result, dict) else None
                async with self._changed:
                    self.count += 1
                    self.latest = number if isinstance(number, int) else self.latest
                    self._changed.notify_all()
            # the stream ends when web3's listener stopped: the socket closed
            self.error = TransientRpcError(
                f"eth_subscribe: the WebSocket to {self.url} closed", method="eth_subscribe",
                url=self.url,
            )  # fmt: skip
        except Exception as exc:
            self.error = classify(exc, method="eth_subscribe", url=self.url)
        finally:
            async with self._changed:
                self._changed.notify_all()  # waiters learn that it ended

    async def wait(self, seen: int, timeout_s: float) -> None:
        """Return once more than ``seen`` heads arrived, the subscription ended, or after
        ``timeout_s``, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s), self._changed:
                await self._changed.wait_for(lambda: self.count > seen or not self.alive)

    async def _disconnect(self) -> None:
        provider = self._w3.provider
        assert isinstance(provider, WebSocketProvider)
        # a listener that died raises its error from disconnect(): it is gone either way
        with contextlib.suppress(Exception):
            await provider.disconnect()
        with contextlib.suppress(Exception):
            await provider._provider_specific_disconnect()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._disconnect()


@runtime_checkable
class HeadSource(Protocol):
    """An adapter that can open a :class:`HeadWatcher` (None: it has no WebSocket)."""

    def head_watcher(self) -> HeadWatcher | None: ...


__all__ = ["WS_PINGS", "HeadSource", "HeadWatcher", "websocket_web3"]
