"""Cache, queue and locks behind one interface: Redis when ``store.redis_url`` is set, else
in-process (the embedded default, for one daemon)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from redis.asyncio import Redis

from zippifi.settings import StoreSettings
from zippifi.store.cache import MemoryPriceCache, PriceCache, RedisPriceCache
from zippifi.store.errors import StoreError
from zippifi.store.locks import LockManager, MemoryLockManager, RedisLockManager
from zippifi.store.queue import MemoryTaskQueue, RedisTaskQueue, TaskQueue


class Infra(ABC):
    """The parts beside the database: ``prices``, ``locks`` and named ``queue`` s."""

    prices: PriceCache
    locks: LockManager

    @abstractmethod
    def queue(self, stream: str, group: str = "workers") -> TaskQueue:
        """The task queue ``stream`` consumed by ``group``."""

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> Infra:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class MemoryInfra(Infra):
    def __init__(self, settings: StoreSettings) -> None:
        self.prices = MemoryPriceCache(
            stale_after_s=settings.price_stale_after_s, ttl_s=settings.price_ttl_s
        )
        self.locks = MemoryLockManager(default_ttl_s=settings.lock_ttl_s)
        self._queues: dict[tuple[str, str], MemoryTaskQueue] = {}

    def queue(self, stream: str, group: str = "workers") -> TaskQueue:
        return self._queues.setdefault((stream, group), MemoryTaskQueue(stream, group))


class RedisInfra(Infra):
    def __init__(self, redis: Redis, settings: StoreSettings) -> None:
        self.redis = redis
        self.prefix = settings.redis_prefix
        self.prices = RedisPriceCache(
            redis,
            self.prefix,
            stale_after_s=settings.price_stale_after_s,
            ttl_s=settings.price_ttl_s,
        )
        self.locks = RedisLockManager(redis, self.prefix, default_ttl_s=settings.lock_ttl_s)

    def queue(self, stream: str, group: str = "workers") -> TaskQueue:
        return RedisTaskQueue(self.redis, self.prefix, stream, group)

    async def close(self) -> None:
        await self.redis.aclose()


async def open_infra(settings: StoreSettings | None = None) -> Infra:
    """Redis if ``settings.redis_url`` is set (checked with a PING), else in-process."""
    settings = settings or StoreSettings()
    if settings.redis_url is None:
        return MemoryInfra(settings)
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        await redis.ping()
    except Exception as exc:
        await redis.aclose()
        raise StoreError(f"cannot reach Redis for cache/queue/locks: {exc}") from exc
    return RedisInfra(redis, settings)
