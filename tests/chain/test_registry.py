"""The chain registry from settings: the embedded default, configured chains, bad config."""

from __future__ import annotations

import pytest

from zippifi.chain import ChainRegistry, EvmAdapter
from zippifi.errors import ConfigError
from zippifi.settings import EMBEDDED_CHAIN_ID, ChainConfig, ChainSettings, load_settings

from .conftest import DevChain


async def test_embedded_default_is_the_in_process_evm() -> None:
    registry = ChainRegistry.from_settings(load_settings())
    try:
        adapter = await registry.adapter()
        assert adapter.chain_id == EMBEDDED_CHAIN_ID
        assert await adapter.rpc("eth_chainId", []) == EMBEDDED_CHAIN_ID
        assert await registry.adapter("embedded") is adapter
        assert await registry.adapter(EMBEDDED_CHAIN_ID) is adapter
    finally:
        await registry.close()


def test_settings_validate_chains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "ZIPPIFI_CHAINS",
        '{"default": "main", "networks": [{"chain_id": 1, "name": "main", '
        '"rpc_urls": ["https://a.example", "wss://b.example"], '
        '"send_urls": ["https://relay.example"], "eip1559": true, '
        '"wrapped_native": "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"}]}',
    )
    registry = ChainRegistry.from_settings(load_settings())
    assert registry.config().name == "main"
    assert registry.config(1).send_urls == ["https://relay.example"]
    assert registry.names() == ["embedded", "main"]
    with pytest.raises(ConfigError, match="unknown chain 'nope'"):
        registry.config("nope")
    monkeypatch.setenv("ZIPPIFI_CHAINS", '{"networks": [{"chain_id": 1, "name": "x", '
                       '"rpc_urls": ["ftp://x"]}]}')  # fmt: skip
    with pytest.raises(ConfigError, match="rpc_urls"):
        load_settings()
    monkeypatch.setenv("ZIPPIFI_CHAINS", '{"default": "missing"}')
    with pytest.raises(ConfigError, match="missing"):
        ChainRegistry.from_settings(load_settings())
    with pytest.raises(ConfigError, match="share chain id"):
        ChainRegistry(ChainSettings(networks=[
            ChainConfig(chain_id=EMBEDDED_CHAIN_ID, name="twin", rpc_urls=["inprocess://"])
        ]))  # fmt: skip


async def test_wrong_chain_id_is_refused(chain: DevChain) -> None:
    config = chain.adapter.config.model_copy(update={"chain_id": 5})
    adapter = EvmAdapter(config)
    try:
        with pytest.raises(ConfigError, match="serves chain id"):
            await adapter.connect()
    finally:
        await adapter.close()
