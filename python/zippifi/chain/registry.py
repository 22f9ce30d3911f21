"""The chains ZippiFi knows, from settings (``[chains]``), and one adapter per chain.

The embedded default, ``embedded``, is the in-process EVM (py-evm through web3's
AsyncEthereumTesterProvider): a fresh chain per registry, funded dev accounts, no node to run.
"""

from __future__ import annotations

from zippifi.chain.adapter import EvmAdapter
from zippifi.chain.backoff import Backoff
from zippifi.errors import ConfigError
from zippifi.settings import EMBEDDED_CHAIN_ID, ChainConfig, ChainSettings, Settings

__all__ = ["EMBEDDED_CHAIN_ID", "ChainConfig", "ChainRegistry"]


class ChainRegistry:
    def __init__(self, settings: ChainSettings, *, backoff: Backoff | None = None) -> None:
        self._chains = settings.all()
        self._by_id: dict[int, ChainConfig] = {}
        for config in self._chains.values():
            other = self._by_id.setdefault(config.chain_id, config)
            if other is not config:
                raise ConfigError(
                    f"chains {other.name!r} and {config.name!r} share chain id {config.chain_id}"
                )
        if settings.default not in self._chains:
            raise ConfigError(
                f"chains.default = {settings.default!r} is not a configured chain "
                f"(known: {sorted(self._chains)})"
            )
        self.default_name = settings.default
        self._backoff = backoff
        self._adapters: dict[str, EvmAdapter] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainRegistry:
        return cls(settings.chains)

    def names(self) -> list[str]:
        return sorted(self._chains)

    def config(self, chain: str | int | None = None) -> ChainConfig:
        """A chain by name or chain id; the default chain for None."""
        if chain is None:
            return self._chains[self.default_name]
        if isinstance(chain, int) and not isinstance(chain, bool):
            if chain in self._by_id:
                return self._by_id[chain]
        elif isinstance(chain, str) and chain in self._chains:
            return self._chains[chain]
        raise ConfigError(f"unknown chain {chain!r} (known: {sorted(self._chains)})")

    async def adapter(self, chain: str | int | None = None) -> EvmAdapter:
        """The chain's adapter, connected (chain id checked) on first use, then shared."""
        config = self.config(chain)
        adapter = self._adapters.get(config.name)
        if adapter is None:
            adapter = EvmAdapter(config, backoff=self._backoff)
            try:
                await adapter.connect()
            except BaseException:
                await adapter.close()  # its HTTP sessions, opened before the probe failed
                raise
            self._adapters[config.name] = adapter
        return adapter

    async def close(self) -> None:
        adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            await adapter.close()
