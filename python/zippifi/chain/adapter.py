"""The chain adapter: every read and send the chain layer makes, behind one interface.

:class:`EvmAdapter` talks JSON-RPC through web3's ``AsyncWeb3`` to a list of endpoints (HTTP,
WebSocket, or the in-process EVM) in failover order: a transient failure (timeout, 429/5xx,
reset) on one endpoint moves the call to the next, and the one that answered is tried first
next time. Reads are retried with backoff once every endpoint failed. Sends go to their own
endpoints (a private relay, say) and are *not* retried here: whether a failed send may be
repeated depends on what the node said, which the submitter decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, cast, runtime_checkable

from web3 import AsyncHTTPProvider, AsyncWeb3, WebSocketProvider
from web3.providers.eth_tester import AsyncEthereumTesterProvider

from zippifi.chain.backoff import Backoff, retry
from zippifi.chain.heads import HeadWatcher, websocket_web3
from zippifi.chain.rpc_errors import classify
from zippifi.chain.types import Block, FeeHistory, LogRecord, Receipt, TxInfo, as_bytes, as_int
from zippifi.errors import ConfigError, InvalidInputError, TransientRpcError
from zippifi.log import get_logger
from zippifi.settings import ChainConfig
from zippifi.sign import to_checksum_address

BlockId = int | str  # a number, or "latest" / "pending" / "safe" / "finalized" / "earliest"
log = get_logger(__name__)
_TAGS = ("latest", "pending", "safe", "finalized", "earliest")


@runtime_checkable
class ChainAdapter(Protocol):
    """What the chain layer needs from a chain; amounts in wei (int), hashes as bytes."""

    @property
    def config(self) -> ChainConfig: ...
    @property
    def chain_id(self) -> int: ...
    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def rpc(self, method: str, params: Sequence[Any]) -> Any: ...
    async def block_number(self) -> int: ...
    async def get_block(self, block: BlockId) -> Block | None: ...
    async def get_transaction_count(self, address: str, block: BlockId = "latest") -> int: ...
    async def get_balance(self, address: str, block: BlockId = "latest") -> int: ...
    async def call(self, tx: Mapping[str, Any], block: BlockId = "latest") -> bytes: ...
    async def estimate_gas(self, tx: Mapping[str, Any]) -> int: ...
    async def fee_history(
        self, block_count: int, newest: BlockId, percentiles: Sequence[float]
    ) -> FeeHistory: ...
    async def gas_price(self) -> int: ...
    async def max_priority_fee(self) -> int: ...
    async def send_raw_transaction(self, raw: bytes) -> bytes: ...
    async def get_transaction(self, tx_hash: bytes) -> TxInfo | None: ...
    async def get_receipt(self, tx_hash: bytes) -> Receipt | None: ...
    async def get_logs(
        self,
        *,
        from_block: int,
        to_block: int,
        addresses: Sequence[str] = (),
        topics: Sequence[Sequence[bytes] | bytes | None] = (),
    ) -> list[LogRecord]: ...


def _block_param(block: BlockId) -> str:
    if isinstance(block, bool):
        raise InvalidInputError(f"block: expected a number or a tag, got {block!r}")
    if isinstance(block, int):
        if block < 0:
            raise InvalidInputError(f"block: must be >= 0, got {block}")
        return hex(block)
    if block not in _TAGS:
        raise InvalidInputError(f"block: expected a number or one of {_TAGS}, got {block!r}")
    return block


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def rpc_tx(tx: Mapping[str, Any]) -> dict[str, Any]:
    """A call/estimate transaction in JSON-RPC form (hex quantities, hex data)."""
    out: dict[str, Any] = {}
    for key, value in tx.items():
        if value is None:
            continue
        if key in ("from", "to"):
            out[key] = to_checksum_address(value)
        elif key in ("data", "input"):
            out["data"] = _hex(bytes(value)) if isinstance(value, bytes | bytearray) else value
        elif key in ("value", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce"):
            out[key] = hex(value) if isinstance(value, int) else value
        elif key in ("chainId", "type", "accessList"):
            continue  # not needed to simulate; some nodes reject them in eth_call
        else:
            raise InvalidInputError(f"transaction field {key!r} is not supported in a call")
    return out


def _make_web3(url: str, timeout_s: float) -> AsyncWeb3[Any]:
    if url.startswith(("http://", "https://")):
        # web3's own retry is off: failover and backoff are ours, and must see every failure
        return AsyncWeb3(
            AsyncHTTPProvider(url, request_kwargs={"timeout": timeout_s},
                              exception_retry_configuration=None)
        )  # fmt: skip
    if url.startswith(("ws://", "wss://")):
        return websocket_web3(url, timeout_s)
    if url.startswith("inprocess://"):
        return AsyncWeb3(AsyncEthereumTesterProvider())
    raise ConfigError(f"unsupported RPC URL {url!r}")


def _is_envelope(value: Any) -> bool:
    """A JSON-RPC response message itself, which no RPC method returns as its result."""
    return (
        isinstance(value, dict)
        and "jsonrpc" in value
        and "id" in value
        and ("result" in value or "error" in value)
    )


class Endpoint:
    def __init__(self, url: str, w3: AsyncWeb3[Any]) -> None:
        self.url = url
        self.w3 = w3
        self._connected = False
        self._connecting = asyncio.Lock()

    def _socket(self) -> WebSocketProvider | None:
        provider = self.w3.provider
        return provider if isinstance(provider, WebSocketProvider) else None

    async def _ensure_connected(self, provider: WebSocketProvider) -> None:
        """(Re)open the WebSocket: once at first use, and again after it died. web3 never
        reconnects by itself: a dead socket would fail every later call on this endpoint."""
        async with self._connecting:  # concurrent calls share one connection attempt
            listener = provider._message_listener_task
            if self._connected and listener is not None and not listener.done():
                return
            if self._connected:
                log.info("websocket reconnect", url=self.url)
                await self._drop(provider)
            await provider.connect()
            self._connected = True

    async def _drop(self, provider: WebSocketProvider) -> None:
        self._connected = False
        with contextlib.suppress(Exception):  # it is broken already: only cleaning up
            await provider.disconnect()
        # disconnect() re-raises a listener's error before it closes the socket and forgets
        # the answers nobody will read (a stale error answer would be raised again later)
        with contextlib.suppress(Exception):
            await provider._provider_specific_disconnect()
        provider._request_processor.clear_caches()

    async def request(self, method: str, params: Sequence[Any], timeout_s: float) -> Any:
        provider = self._socket()
        try:
            if provider is None:
                call = self.w3.manager.coro_request(cast(Any, method), list(params))
            else:
                await self._ensure_connected(provider)
                # socket_request, not coro_request: it registers the request, so an error
                # answer goes to its caller; unregistered, web3's listener takes the error for
                # a stray one and dies raising it into every later call on the socket
                call = self.w3.manager.socket_request(cast(Any, method), list(params))
            result = await asyncio.wait_for(call, timeout_s)
        except Exception as exc:
            # a dead socket is replaced by the next call (above), not here: dropping it from
            # every failed call would also kill a fresh one another call just opened, and a
            # mere timeout must not cut the answers still coming for the other callers
            raise classify(exc, method=method, url=self.url) from exc
        if provider is not None and _is_envelope(result):
            # web3 handed back a whole JSON-RPC message instead of its result: after a cut
            # socket its request bookkeeping can pair answers wrongly, so this one may not even
            # be ours. Start the socket afresh and let the caller's retry ask again.
            async with self._connecting:
                await self._drop(provider)
            raise TransientRpcError(
                f"{method}: the WebSocket answered with a raw message (id {result.get('id')}); "
                f"reconnecting ({self.url})", method=method, url=self.url,
            )  # fmt: skip
        return result

    async def close(self) -> None:
        provider = self.w3.provider
        if isinstance(provider, WebSocketProvider):
            if self._connected:
                await self._drop(provider)
        elif isinstance(provider, AsyncHTTPProvider):
            await provider.disconnect()


class EvmAdapter:
    """:class:`ChainAdapter` over AsyncWeb3, with read and send endpoints and failover."""

    def __init__(
        self,
        config: ChainConfig,
        *,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        web3_factory: Callable[[str, float], AsyncWeb3[Any]] = _make_web3,
    ) -> None:
        self._config = config
        self.backoff = backoff or Backoff()
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not secrets)
        # one web3 per distinct URL: an in-process EVM listed for both reads and sends is one
        by_url: dict[str, Endpoint] = {}
        for url in [*config.rpc_urls, *config.send_urls]:
            if url not in by_url:
                by_url[url] = Endpoint(url, web3_factory(url, config.request_timeout_s))
        self._read = [by_url[u] for u in config.rpc_urls]
        self._send = [by_url[u] for u in (config.send_urls or config.rpc_urls)]
        self._endpoints = list(by_url.values())
        self._read_first = 0
        self._send_first = 0

    @property
    def config(self) -> ChainConfig:
        return self._config

    @property
    def chain_id(self) -> int:
        return self._config.chain_id

    @property
    def web3(self) -> AsyncWeb3[Any]:
        """The first read endpoint's AsyncWeb3 (for contract encoding helpers and tests)."""
        return self._read[0].w3

    def head_watcher(self) -> HeadWatcher | None:
        """A newHeads subscription (not started) on the first WebSocket read endpoint; None
        when every read endpoint is HTTP or in-process."""
        for endpoint in self._read:
            if endpoint.url.startswith(("ws://", "wss://")):
                return HeadWatcher(endpoint.url, timeout_s=self._timeout)
        return None

    async def connect(self) -> None:
        """Check that every endpoint that answers serves the configured chain (a wrong URL in
        a failover list would otherwise get transactions signed for another chain); an
        endpoint that is down is only logged, as long as one read and one send endpoint are up.
        """

        async def probe() -> None:
            up: set[str] = set()
            for endpoint in self._endpoints:
                try:
                    got = as_int(await endpoint.request("eth_chainId", [], self._timeout), "id")
                except TransientRpcError as exc:
                    log.warning("rpc endpoint down", url=endpoint.url, error=str(exc))
                    continue
                if got != self.chain_id:
                    raise ConfigError(
                        f"chain {self._config.name!r}: {endpoint.url} serves chain id {got}, "
                        f"configured {self.chain_id}"
                    )
                up.add(endpoint.url)
            for role, endpoints in (("read", self._read), ("send", self._send)):
                if not any(e.url in up for e in endpoints):
                    raise TransientRpcError(
                        f"chain {self._config.name!r}: no {role} endpoint answers "
                        f"({', '.join(e.url for e in endpoints)})", method="eth_chainId",
                    )  # fmt: skip

        await retry(probe, self.backoff, rng=self._rng, what=f"connect {self._config.name}")

    async def close(self) -> None:
        for endpoint in self._endpoints:
            await endpoint.close()

    async def __aenter__(self) -> EvmAdapter:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def _timeout(self) -> float:
        return self._config.request_timeout_s

    async def _failover(self, endpoints: list[Endpoint], first: int, method: str,
                        params: Sequence[Any]) -> tuple[Any, int]:  # fmt: skip
        """Try each endpoint once, starting at ``first``; the answer and who gave it."""
        last: TransientRpcError | None = None
        for step in range(len(endpoints)):
            index = (first + step) % len(endpoints)
            try:
                return await endpoints[index].request(method, params, self._timeout), index
            except TransientRpcError as exc:
                log.debug("rpc failover", method=method, url=endpoints[index].url, error=str(exc))
                last = exc
        assert last is not None
        raise last

    async def rpc(self, method: str, params: Sequence[Any]) -> Any:
        """One JSON-RPC call on the read endpoints, with failover and retries."""

        async def once() -> Any:
            result, self._read_first = await self._failover(
                self._read, self._read_first, method, params
            )
            return result

        return await retry(once, self.backoff, rng=self._rng, what=method)

    async def send_raw_transaction(self, raw: bytes) -> bytes:
        """eth_sendRawTransaction on the send endpoints (failover, no retry); the tx hash."""
        result, self._send_first = await self._failover(
            self._send, self._send_first, "eth_sendRawTransaction", [_hex(raw)]
        )
        return as_bytes(result, "transaction hash")

    async def block_number(self) -> int:
        return as_int(await self.rpc("eth_blockNumber", []), "eth_blockNumber")

    async def get_block(self, block: BlockId) -> Block | None:
        data = await self.rpc("eth_getBlockByNumber", [_block_param(block), False])
        return None if data is None else Block.from_rpc(data)

    async def get_transaction_count(self, address: str, block: BlockId = "latest") -> int:
        params = [to_checksum_address(address), _block_param(block)]
        return as_int(await self.rpc("eth_getTransactionCount", params), "nonce")

    async def get_balance(self, address: str, block: BlockId = "latest") -> int:
        params = [to_checksum_address(address), _block_param(block)]
        return as_int(await self.rpc("eth_getBalance", params), "balance")

    async def call(self, tx: Mapping[str, Any], block: BlockId = "latest") -> bytes:
        """eth_call; a revert raises TxRevertedError with the decoded reason."""
        return as_bytes(await self.rpc("eth_call", [rpc_tx(tx), _block_param(block)]), "result")

    async def estimate_gas(self, tx: Mapping[str, Any]) -> int:
        return as_int(await self.rpc("eth_estimateGas", [rpc_tx(tx)]), "gas")

    async def fee_history(
        self, block_count: int, newest: BlockId, percentiles: Sequence[float]
    ) -> FeeHistory:
        if block_count < 1:
            raise InvalidInputError(f"fee history: block_count must be >= 1, got {block_count}")
        params = [hex(block_count), _block_param(newest), list(percentiles)]
        return FeeHistory.from_rpc(await self.rpc("eth_feeHistory", params))

    async def gas_price(self) -> int:
        return as_int(await self.rpc("eth_gasPrice", []), "gasPrice")

    async def max_priority_fee(self) -> int:
        return as_int(await self.rpc("eth_maxPriorityFeePerGas", []), "maxPriorityFeePerGas")

    async def get_transaction(self, tx_hash: bytes) -> TxInfo | None:
        data = await self.rpc("eth_getTransactionByHash", [_hex(tx_hash)])
        return None if data is None else TxInfo.from_rpc(data)

    async def get_receipt(self, tx_hash: bytes) -> Receipt | None:
        data = await self.rpc("eth_getTransactionReceipt", [_hex(tx_hash)])
        return None if data is None else Receipt.from_rpc(data)

    async def get_logs(
        self,
        *,
        from_block: int,
        to_block: int,
        addresses: Sequence[str] = (),
        topics: Sequence[Sequence[bytes] | bytes | None] = (),
    ) -> list[LogRecord]:
        if from_block > to_block:
            raise InvalidInputError(f"get_logs: from_block {from_block} > to_block {to_block}")
        query: dict[str, Any] = {
            "fromBlock": _block_param(from_block),
            "toBlock": _block_param(to_block),
        }
        if addresses:
            query["address"] = [to_checksum_address(a) for a in addresses]
        if topics:
            query["topics"] = [
                None if t is None else _hex(t) if isinstance(t, bytes) else [_hex(x) for x in t]
                for t in topics
            ]
        data = await self.rpc("eth_getLogs", [query])
        return [LogRecord.from_rpc(entry) for entry in data]


__all__ = ["BlockId", "ChainAdapter", "Endpoint", "EvmAdapter", "rpc_tx"]
