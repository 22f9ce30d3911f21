"""call_many: answers in order and at the block asked for, through JSON-RPC batches on HTTP (the
hardhat node, directly and through a proxy that rate-limits, errors, resets and loses answers)
and through single calls elsewhere (py-evm); a read-endpoint that keeps failing its batches
falls back to single calls that fail over; a call the node refuses is a MarketDataError.

The identity precompile (0x...04) returns its calldata, so every answer says which call it
belongs to without deploying anything."""

from __future__ import annotations

import random

import pytest

from tests.chain.conftest import hardhat_config
from tests.chain.fault_proxy import FaultProxy, Faults
from tests.chain.hardhat import HardhatNode
from zippifi.chain import Backoff, EvmAdapter
from zippifi.errors import InvalidInputError, MarketDataError
from zippifi.market import EthCall, call_many
from zippifi.settings import EMBEDDED_CHAIN_ID, ChainConfig

IDENTITY = "0x" + "00" * 19 + "04"
CALLS = [EthCall(IDENTITY, i.to_bytes(4, "big") + bytes(range(i % 50))) for i in range(300)]
FAULTS = Faults(delay=0.2, too_many=0.1, server_error=0.1, reset=0.1, after_forward=0.1,
                max_delay_s=0.02)  # fmt: skip


def counting(adapter: EvmAdapter) -> list[int]:
    """Sizes of the JSON-RPC batches the adapter's first read endpoint is sent."""
    sizes: list[int] = []
    provider = adapter.web3.provider
    plain = provider.make_batch_request

    async def wrapper(requests: list[tuple[object, object]]) -> object:
        sizes.append(len(requests))
        return await plain(requests)  # type: ignore[arg-type]

    provider.make_batch_request = wrapper  # type: ignore[method-assign, assignment]
    return sizes


async def test_batches_on_hardhat_through_faults(hardhat_node: HardhatNode) -> None:
    direct = EvmAdapter(hardhat_config(hardhat_node.url))
    proxy = await FaultProxy(hardhat_node.url, FAULTS, seed=7).start()
    backoff = Backoff(base_s=0.01, cap_s=0.1, attempts=12)
    faulty = EvmAdapter(hardhat_config(proxy.url, request_timeout_s=3.0), backoff=backoff)
    try:
        await direct.connect()
        await faulty.connect()
        block = await direct.block_number()
        sizes = counting(direct)
        assert await call_many(direct, CALLS, block, max_batch=128) == [c.data for c in CALLS]
        assert sizes == [128, 128, 44]
        assert await call_many(faulty, CALLS, block, max_batch=64) == [c.data for c in CALLS]
        assert proxy.counts["ok"] + proxy.counts["delay"] >= 5  # answered batches
        assert sum(proxy.counts[f] for f in ("too_many", "server_error", "reset")) > 0
        with pytest.raises(MarketDataError, match="selector"):
            await call_many(direct, CALLS[:3], block + 1000)  # a block the node does not have
        assert await call_many(direct, [], block) == []
        with pytest.raises(InvalidInputError):
            await call_many(direct, CALLS, -1)
    finally:
        await direct.close()
        await faulty.close()
        await proxy.stop()


async def test_a_failing_batch_endpoint_falls_back_to_single_calls(
    hardhat_node: HardhatNode,
) -> None:
    broken = await FaultProxy(hardhat_node.url, Faults(server_error=1.0), seed=1).start()
    config = hardhat_config(broken.url, rpc_urls=[broken.url, hardhat_node.url])
    adapter = EvmAdapter(config, backoff=Backoff(base_s=0.001, cap_s=0.01, attempts=3))
    try:
        block = int(str(await adapter.rpc("eth_blockNumber", [])), 16)
        got = await call_many(adapter, CALLS[:40], block, max_batch=16)
        assert got == [c.data for c in CALLS[:40]]
        assert broken.counts["server_error"] >= 9  # 3 chunks x 3 attempts, then singles
    finally:
        await adapter.close()
        await broken.stop()


async def test_single_calls_in_process() -> None:
    config = ChainConfig(chain_id=EMBEDDED_CHAIN_ID, name="embedded", rpc_urls=["inprocess://"])
    adapter = EvmAdapter(config, rng=random.Random(1))
    await adapter.connect()
    try:
        block = await adapter.block_number()
        got = await call_many(adapter, CALLS[:60], block, concurrency=4)
        assert got == [c.data for c in CALLS[:60]]
    finally:
        await adapter.close()
