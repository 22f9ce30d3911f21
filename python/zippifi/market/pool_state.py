"""What the pool sync knows: the factories it follows, each pool's state as the chain has it,
and what one :meth:`~zippifi.market.pools.PoolSync.poll` did. Units are those of the AMM
kernels (see :mod:`zippifi.market.pools`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from zippifi.errors import InvalidInputError, ZippiError
from zippifi.sign import to_checksum_address


@dataclass(frozen=True, slots=True)
class Factory:
    """A pool factory to follow. ``fee_bps`` is the swap fee of a V2 factory's pairs (30 for
    Uniswap V2; forks differ); V3 pools carry their own fee."""

    kind: Literal["v2", "v3"]
    address: str
    fee_bps: int = 30

    def __post_init__(self) -> None:
        if self.kind not in ("v2", "v3"):
            raise InvalidInputError(f"factory kind must be 'v2' or 'v3', got {self.kind!r}")
        if isinstance(self.fee_bps, bool) or not isinstance(self.fee_bps, int):
            raise InvalidInputError(f"factory fee_bps must be an int, got {self.fee_bps!r}")
        if not 0 <= self.fee_bps < 10_000:
            raise InvalidInputError(f"factory fee_bps must be in [0, 10000), got {self.fee_bps}")
        try:
            address = to_checksum_address(self.address)
        except ZippiError as exc:
            raise InvalidInputError(f"factory address {self.address!r}: {exc}") from None
        object.__setattr__(self, "address", address)


@dataclass(slots=True)
class V2PoolState:
    """A V2 pair as the chain has it. Live state of the sync: read it, do not modify it."""

    address: str
    factory: str
    token0: str
    token1: str
    fee_bps: int
    created_block: int
    reserve0: int = 0
    reserve1: int = 0

    @property
    def kind(self) -> Literal["v2"]:
        return "v2"


@dataclass(slots=True)
class V3PoolState:
    """A V3 pool as the chain has it; ``ticks`` maps every initialized tick to
    (liquidityGross, liquidityNet). Live state of the sync: read it, do not modify it."""

    address: str
    factory: str
    token0: str
    token1: str
    fee: int
    tick_spacing: int
    created_block: int
    sqrt_price_x96: int = 0
    tick: int = 0
    liquidity: int = 0
    ticks: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def kind(self) -> Literal["v3"]:
        return "v3"

    @property
    def initialized(self) -> bool:
        return self.sqrt_price_x96 != 0

    def nets(self) -> dict[int, int]:
        """liquidityNet of every initialized tick (what the swap kernel needs)."""
        return {t: net for t, (_gross, net) in self.ticks.items()}


PoolState = V2PoolState | V3PoolState


@dataclass(frozen=True, slots=True)
class PoolSyncBatch:
    """What one :meth:`PoolSync.poll` did, over blocks ``from_block..to_block``. ``changed``:
    every pool whose state in the graph changed (added, updated or read afresh), in order of
    first change; ``rewound_to``: a reorg rewound the sync to this block first."""

    from_block: int
    to_block: int
    changed: tuple[str, ...]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    resynced: tuple[str, ...] = ()
    rewound_to: int | None = None
    logs: int = 0


__all__ = ["Factory", "PoolState", "PoolSyncBatch", "V2PoolState", "V3PoolState"]
