"""Many read-only ``eth_call``s at one block, in as few round trips as the endpoint allows.

Pool discovery reads thousands of small things (reserves, slot0, tick-bitmap words, ticks); one
HTTP round trip per read would make bootstrapping a V3 pool take seconds. :func:`call_many`
sends them as JSON-RPC batches (``max_batch`` calls per request) when the adapter's first read
endpoint is HTTP, retrying a batch that failed transiently with the adapter's backoff and, if it
keeps failing, falling back to single calls (which fail over between endpoints). Anything else
(the in-process EVM, WebSocket, another :class:`~zippifi.chain.ChainAdapter`) gets concurrent
single calls, at most ``concurrency`` at once.

Every call is pinned to the same block number, so the answers describe one state of the chain.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from web3 import AsyncHTTPProvider

from zippifi.chain import ChainAdapter, EvmAdapter, classify, retry
from zippifi.errors import ChainError, InvalidInputError, MarketDataError, TransientRpcError
from zippifi.log import get_logger
from zippifi.sign import to_checksum_address

log = get_logger(__name__)
DEFAULT_MAX_BATCH = 500
DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True, slots=True)
class EthCall:
    """One read: calldata sent to a contract."""

    to: str
    data: bytes

    def describe(self) -> str:
        return f"eth_call to {self.to} selector 0x{self.data[:4].hex()}"


async def call_many(
    adapter: ChainAdapter,
    calls: Sequence[EthCall],
    block: int,
    *,
    max_batch: int = DEFAULT_MAX_BATCH,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[bytes]:
    """The return data of every call, in order, all at ``block``. A call that reverts or that
    the node refuses raises :class:`~zippifi.errors.MarketDataError` naming it."""
    if isinstance(block, bool) or not isinstance(block, int) or block < 0:
        raise InvalidInputError(f"call_many: block must be a block number >= 0, got {block!r}")
    if max_batch < 1 or concurrency < 1:
        raise InvalidInputError("call_many: max_batch and concurrency must be >= 1")
    if not calls:
        return []
    provider = adapter.web3.provider if isinstance(adapter, EvmAdapter) else None
    if isinstance(provider, AsyncHTTPProvider):
        assert isinstance(adapter, EvmAdapter)
        out: list[bytes] = []
        for start in range(0, len(calls), max_batch):
            chunk = calls[start : start + max_batch]
            out.extend(await _http_batch(adapter, provider, chunk, block, concurrency))
        return out
    return await _singles(adapter, calls, block, concurrency)


async def _singles(
    adapter: ChainAdapter, calls: Sequence[EthCall], block: int, concurrency: int
) -> list[bytes]:
    gate = asyncio.Semaphore(concurrency)

    async def one(call: EthCall) -> bytes:
        async with gate:
            try:
                return await adapter.call({"to": call.to, "data": call.data}, block)
            except ChainError as exc:
                raise MarketDataError(f"{call.describe()} at block {block}: {exc}") from exc

    return list(await asyncio.gather(*(one(c) for c in calls)))


async def _http_batch(
    adapter: EvmAdapter,
    provider: AsyncHTTPProvider,
    calls: Sequence[EthCall],
    block: int,
    concurrency: int,
) -> list[bytes]:
    requests: list[tuple[Any, Any]] = [
        ("eth_call", [{"to": to_checksum_address(c.to), "data": "0x" + c.data.hex()}, hex(block)])
        for c in calls
    ]

    async def once() -> list[Any]:
        try:
            answer = await asyncio.wait_for(
                provider.make_batch_request(requests), adapter.config.request_timeout_s
            )
        except Exception as exc:
            raise classify(exc, method="eth_call batch", url=str(provider.endpoint_uri)) from exc
        if not isinstance(answer, list):  # one error object for the whole batch
            error = answer.get("error") if isinstance(answer, dict) else answer
            raise TransientRpcError(f"eth_call batch refused: {error}", method="eth_call")
        if len(answer) != len(requests):
            raise TransientRpcError(
                f"eth_call batch: {len(answer)} answers to {len(requests)} calls",
                method="eth_call",
            )
        return answer

    try:
        jitter = random.Random()  # noqa: S311 (backoff jitter, not secrets)
        answers = await retry(once, adapter.backoff, rng=jitter, what="eth_call batch")
    except TransientRpcError as exc:
        # the first endpoint keeps failing: single calls fail over to the others
        log.warning("eth_call batch failed, falling back to single calls", error=str(exc))
        return await _singles(adapter, calls, block, concurrency)
    out: list[bytes] = []
    for call, answer in zip(calls, answers, strict=True):
        if not isinstance(answer, dict) or "error" in answer or "result" not in answer:
            error = answer.get("error") if isinstance(answer, dict) else answer
            raise MarketDataError(f"{call.describe()} at block {block}: {error}")
        result = answer["result"]
        if not isinstance(result, str) or not result.startswith("0x"):
            raise MarketDataError(f"{call.describe()} at block {block}: answer {result!r}")
        try:
            out.append(bytes.fromhex(result[2:]))
        except ValueError:
            raise MarketDataError(
                f"{call.describe()} at block {block}: answer {result!r} is not hex"
            ) from None
    return out


__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_MAX_BATCH", "EthCall", "call_many"]
