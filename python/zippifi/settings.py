"""One typed settings object: defaults < TOML file < ZIPPIFI_* environment variables.

The file is the path in ``ZIPPIFI_CONFIG``, else ``zippifi.toml`` in the working directory if
present. Nested sections map to ``ZIPPIFI_<SECTION>__<KEY>`` variables, e.g.
``ZIPPIFI_LOG__LEVEL=debug``. Later issues add their sections here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from zippifi.errors import ConfigError

CONFIG_ENV = "ZIPPIFI_CONFIG"
DEFAULT_CONFIG_FILE = Path("zippifi.toml")


class LogSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    format: Literal["json", "console"] = "json"

    @field_validator("level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class SignSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Where keystores live when a command is given a bare name instead of a path.
    keystore_dir: Path = Path("~/.zippifi/keystores")
    # The environment variable the runtime reads a keystore's password from (never a setting:
    # secrets stay out of files).
    password_env: str = Field(default="ZIPPIFI_KEYSTORE_PASSWORD", min_length=1)


class StoreSettings(BaseModel):
    """Database, cache, queue and locks (zippifi.store); its messages mask URL passwords."""

    model_config = ConfigDict(extra="forbid")

    # None: the embedded SQLite file <data_dir>/zippifi.db. Else sqlite:///path or
    # postgresql://user:pass@host:port/db (the async drivers, aiosqlite and asyncpg, are implied).
    database_url: str | None = None
    # None: cache, queue and locks in-process (one daemon). Else redis://host:port/db.
    redis_url: str | None = None
    # Prefix of every Redis key, so several deployments can share one Redis.
    redis_prefix: str = "zippifi"
    pool_size: int = Field(default=5, ge=1)
    # Task queue: how long a read blocks, when a silent consumer's task is re-claimed, and
    # after how many deliveries a task goes to the dead-letter stream.
    queue_block_ms: int = Field(default=1000, ge=1)
    queue_reclaim_idle_ms: int = Field(default=30_000, ge=1)
    queue_max_deliveries: int = Field(default=5, ge=1)
    # Locks (per-account nonce ownership): lease time; a holder must renew before it ends.
    lock_ttl_s: float = Field(default=30.0, gt=0)
    # Latest-price cache: a price older than stale_after is flagged stale; after ttl it is gone.
    price_stale_after_s: float = Field(default=10.0, gt=0)
    price_ttl_s: float = Field(default=300.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value


class AnomalySettings(BaseModel):
    """Thresholds of zippifi.market's anomaly detectors (sliding windows counted in ticks)."""

    model_config = ConfigDict(extra="forbid")

    # z-score of the newest log return against the previous `zscore_window` returns
    zscore_window: int = Field(default=60, ge=2)
    zscore_threshold: float = Field(default=6.0, gt=0)
    # RiskMetrics EWMA of squared log returns; alert when its square root exceeds the threshold
    ewma_lambda: float = Field(default=0.94, gt=0, lt=1)
    ewma_vol_threshold: float = Field(default=0.02, gt=0)
    ewma_warmup: int = Field(default=20, ge=1)
    # |pool - oracle| / oracle, in basis points
    oracle_deviation_bps: float = Field(default=150.0, gt=0)
    # liquidity below (1 - fraction) x the mean of the previous `liquidity_window` readings
    liquidity_window: int = Field(default=20, ge=1)
    liquidity_drop_fraction: float = Field(default=0.5, gt=0, lt=1)


class ArbitrageSettings(BaseModel):
    """The arbitrage scanner (zippifi.market.arbitrage): which cycles it reports."""

    model_config = ConfigDict(extra="forbid")

    # pools per cycle (2..max_hops)
    max_hops: int = Field(default=3, ge=2, le=6)
    # least profit net of gas, in raw units of the cycle's start token
    min_profit: int = Field(default=1, ge=1)
    # per start token (address -> raw units), overriding min_profit for that token
    min_profit_by_token: dict[str, int] = {}
    # gas price (wei) the verdicts are net of until the caller sets a live one; gas is valued
    # through the graph's wrapped native token (a graph without one prices gas at 0)
    gas_price_wei: int = Field(default=0, ge=0)

    @field_validator("min_profit_by_token")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for token, amount in value.items():
            body = token.removeprefix("0x")
            if len(body) != 40 or not token.startswith("0x"):
                raise ValueError(f"{token!r} is not a 0x-prefixed 20-byte hex address")
            int(body, 16)
            if amount < 1:
                raise ValueError(f"min profit of {token} must be >= 1, got {amount}")
        return value


class MarketSettings(BaseModel):
    """Market monitor: the Binance depth feed, source staleness, candles, anomalies, arbitrage."""

    model_config = ConfigDict(extra="forbid")

    binance_rest_url: str = "https://api.binance.com"
    binance_ws_url: str = "wss://stream.binance.com:9443"
    # REST snapshot depth (the venue accepts 1..5000) and the diff stream's speed
    depth_limit: int = Field(default=1000, ge=1, le=5000)
    depth_speed_ms: int = 100  # 100 or 1000 (an int field, so env strings convert)
    # reconnect backoff: doubles from initial to max after each failed attempt
    reconnect_initial_s: float = Field(default=0.5, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)
    # a source whose latest price is older than this is stale (not merged)
    source_stale_after_s: float = Field(default=30.0, gt=0)
    # Chainlink: an answer older than the feed's heartbeat is stale
    oracle_heartbeat_s: float = Field(default=3600.0, gt=0)
    candle_intervals_s: list[int] = Field(default=[1, 60, 300, 3600], min_length=1)
    anomaly: AnomalySettings = AnomalySettings()
    arbitrage: ArbitrageSettings = ArbitrageSettings()

    @field_validator("depth_speed_ms")
    @classmethod
    def _known_speed(cls, value: int) -> int:
        if value not in (100, 1000):
            raise ValueError("the diff depth stream runs at 100 or 1000 ms")
        return value

    @field_validator("candle_intervals_s")
    @classmethod
    def _positive_intervals(cls, value: list[int]) -> list[int]:
        if any(i <= 0 for i in value) or len(set(value)) != len(value):
            raise ValueError("candle intervals must be distinct positive seconds")
        return sorted(value)


# eth-tester's chain id: the in-process EVM (``inprocess://``) answers eth_chainId with it.
EMBEDDED_CHAIN_ID = 131277322940537
_RPC_SCHEMES = ("http://", "https://", "ws://", "wss://", "inprocess://")


class FactoryConfig(BaseModel):
    """A pool factory whose pools the runtime syncs into its pool graph (zippifi.market)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["v2", "v3"]
    address: str
    # a V2 factory's swap fee (30 for Uniswap V2; forks differ); V3 pools carry their own
    fee_bps: int = Field(default=30, ge=0, lt=10_000)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        return _check_address(value)


def _check_address(value: str) -> str:
    body = value.removeprefix("0x")
    if len(body) != 40 or not value.startswith("0x"):
        raise ValueError("must be a 0x-prefixed 20-byte hex address")
    int(body, 16)
    return value


class ChainConfig(BaseModel):
    """One EVM chain: identity, tokens, fee model, endpoints (zippifi.chain)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chain_id: int = Field(gt=0)
    name: str = Field(min_length=1)
    native_symbol: str = "ETH"
    # the ERC-20 that wraps the native token (WETH, WMATIC, ...); None where there is none
    wrapped_native: str | None = None
    eip1559: bool = True
    # read endpoints in failover order: http(s)://, ws(s):// or inprocess:// (py-evm here)
    rpc_urls: list[str] = Field(min_length=1)
    # where signed transactions go (a private relay); empty: the read endpoints
    send_urls: list[str] = []
    request_timeout_s: float = Field(default=10.0, gt=0)
    confirmations: int = Field(default=1, ge=0)
    poll_interval_s: float = Field(default=1.0, gt=0)
    # fee ceilings in wei: never offer more (None: no ceiling)
    max_fee_per_gas: int | None = Field(default=None, gt=0)
    max_priority_fee_per_gas: int | None = Field(default=None, ge=0)
    # gas limit = estimate x (100 + margin) / 100
    gas_margin_percent: int = Field(default=20, ge=0, le=1000)
    # pool factories the runtime follows into its pool graph, from this block on
    factories: list[FactoryConfig] = []
    pools_start_block: int = Field(default=0, ge=0)

    @field_validator("rpc_urls", "send_urls")
    @classmethod
    def _known_schemes(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(_RPC_SCHEMES):
                raise ValueError(f"{url!r}: an RPC URL must start with one of {_RPC_SCHEMES}")
        return value

    @field_validator("wrapped_native")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else _check_address(value)


def _embedded_chain() -> ChainConfig:
    return ChainConfig(
        chain_id=EMBEDDED_CHAIN_ID, name="embedded", rpc_urls=["inprocess://"],
        confirmations=0, poll_interval_s=0.05,
    )  # fmt: skip


class ChainSettings(BaseModel):
    """The chains ZippiFi talks to; ``default`` names one of them. A chain named ``embedded``
    (the in-process EVM) is always there unless ``networks`` redefines it."""

    model_config = ConfigDict(extra="forbid")

    default: str = "embedded"
    networks: list[ChainConfig] = []

    @field_validator("networks")
    @classmethod
    def _unique(cls, value: list[ChainConfig]) -> list[ChainConfig]:
        names = [c.name for c in value]
        if len(set(names)) != len(names):
            raise ValueError(f"chain names must be unique, got {names}")
        return value

    @model_validator(mode="after")
    def _known_default(self) -> ChainSettings:
        # checked when the settings load (at startup), not when a chain is first used
        known = self.all()
        if self.default not in known:
            raise ValueError(
                f"chains.default = {self.default!r} is not a configured chain "
                f"(known: {', '.join(sorted(known))})"
            )
        return self

    def all(self) -> dict[str, ChainConfig]:
        chains = {"embedded": _embedded_chain()}
        chains.update((c.name, c) for c in self.networks)
        return chains


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZIPPIFI_",
        env_nested_delimiter="__",
        extra="forbid",
        toml_file=None,
    )

    data_dir: Path = Field(default=Path("~/.zippifi"), description="state of the embedded backends")
    log: LogSettings = LogSettings()
    sign: SignSettings = SignSettings()
    store: StoreSettings = StoreSettings()
    chains: ChainSettings = ChainSettings()
    market: MarketSettings = MarketSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_path()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def _config_path() -> Path | None:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}: no settings file at {path}")
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning any validation failure into a ConfigError naming the key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(f"invalid settings file: {exc}") from None
