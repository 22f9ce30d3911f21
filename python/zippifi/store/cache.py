"""The latest-price cache: one price per key (e.g. ``"binance:ETH/USDC"``), with staleness.

Each entry keeps the price (exact Decimal) and when it was observed at its source. A reading
older than ``stale_after_s`` comes back flagged ``stale``; after ``ttl_s`` without an update the
entry is gone. An update older than the stored one (feeds arrive out of order) is ignored.
Redis in production (one ``SET .. PX`` behind a compare script), a dict in-process.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis

from zippifi.errors import InvalidInputError
from zippifi.store.types import to_decimal

Clock = Callable[[], float]  # wall-clock seconds since the epoch


@dataclass(frozen=True, slots=True)
class CachedPrice:
    key: str
    price: Decimal
    observed_at: datetime
    age_s: float
    stale: bool


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _micros(ts: datetime) -> int:
    """Exact microseconds since the epoch (no float on the way)."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise InvalidInputError(f"observed_at must be timezone-aware: {ts!r}")
    return (ts - EPOCH) // _MICRO


class PriceCache(ABC):
    def __init__(self, *, stale_after_s: float, ttl_s: float, clock: Clock = time.time) -> None:
        if not 0 < stale_after_s <= ttl_s:
            raise InvalidInputError("price cache needs 0 < stale_after_s <= ttl_s")
        self.stale_after_s = stale_after_s
        self.ttl_s = ttl_s
        self._clock = clock

    async def put(
        self, key: str, price: Decimal | int | str, *, observed_at: datetime | None = None
    ) -> bool:
        """Store ``price`` for ``key``; False if a newer observation is already stored."""
        if not key:
            raise InvalidInputError("price cache key must not be empty")
        dec = to_decimal(price, "price")
        micros = round(self._clock() * 1_000_000) if observed_at is None else _micros(observed_at)
        return await self._put(key, str(dec), micros)

    async def get(self, key: str) -> CachedPrice | None:
        return (await self.get_many([key])).get(key)

    async def get_many(self, keys: Iterable[str]) -> dict[str, CachedPrice]:
        """The readings present among ``keys``, each with its age and stale flag."""
        keys = list(keys)
        if not keys:
            return {}
        raw = await self._get_many(keys)
        now = self._clock()
        out: dict[str, CachedPrice] = {}
        for key, entry in zip(keys, raw, strict=True):
            if entry is None:
                continue
            price, micros = entry
            age = max(0.0, now - micros / 1_000_000)
            observed = EPOCH + micros * _MICRO
            out[key] = CachedPrice(key, Decimal(price), observed, age, age > self.stale_after_s)
        return out

    @abstractmethod
    async def _put(self, key: str, price: str, micros: int) -> bool: ...

    @abstractmethod
    async def _get_many(self, keys: list[str]) -> list[tuple[str, int] | None]: ...


class MemoryPriceCache(PriceCache):
    """In-process (the embedded default): entries expire ``ttl_s`` after their last update."""

    def __init__(self, *, stale_after_s: float, ttl_s: float, clock: Clock = time.time) -> None:
        super().__init__(stale_after_s=stale_after_s, ttl_s=ttl_s, clock=clock)
        self._entries: dict[str, tuple[str, int, float]] = {}  # price, micros, expires (monotonic)

    async def _put(self, key: str, price: str, micros: int) -> bool:
        now = time.monotonic()
        current = self._entries.get(key)
        if current is not None and current[2] > now and current[1] > micros:
            return False
        self._entries[key] = (price, micros, now + self.ttl_s)
        return True

    async def _get_many(self, keys: list[str]) -> list[tuple[str, int] | None]:
        now = time.monotonic()
        out: list[tuple[str, int] | None] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and entry[2] <= now:
                del self._entries[key]
                entry = None
            out.append(None if entry is None else (entry[0], entry[1]))
        return out


# Replace the entry unless the stored observation is newer; PX = ttl.
_PUT = """
local cur = redis.call('GET', KEYS[1])
if cur then
  local t = tonumber(string.match(cur, '"t":(%d+)'))
  if t and t > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"""


class RedisPriceCache(PriceCache):
    """Shared by every daemon on one Redis; keys are ``<prefix>:price:<key>``."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        stale_after_s: float,
        ttl_s: float,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(stale_after_s=stale_after_s, ttl_s=ttl_s, clock=clock)
        self._redis = redis
        self._prefix = f"{prefix}:price:"
        self._script = redis.register_script(_PUT)

    async def _put(self, key: str, price: str, micros: int) -> bool:
        value = json.dumps({"p": price, "t": micros}, separators=(",", ":"))
        ttl_ms = max(1, round(self.ttl_s * 1000))
        done: Any = await self._script(keys=[self._prefix + key], args=[value, micros, ttl_ms])
        return bool(int(done))

    async def _get_many(self, keys: list[str]) -> list[tuple[str, int] | None]:
        values = await self._redis.mget([self._prefix + k for k in keys])
        out: list[tuple[str, int] | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            data = json.loads(value)
            out.append((str(data["p"]), int(data["t"])))
        return out
