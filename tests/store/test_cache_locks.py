"""The latest-price cache and the fenced locks, on the in-process backend and on Redis; and
the fencing token's end-to-end guarantee against both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from zippifi.errors import InvalidInputError
from zippifi.store import (
    Infra,
    LockLostError,
    LockNotAcquiredError,
    MemoryPriceCache,
    RedisInfra,
    RedisPriceCache,
    StaleFencingTokenError,
    Store,
    nonce_lock_name,
)

from .factories import ACCOUNT, tx_hash


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _clocked_cache(infra: Infra, clock: FakeClock) -> MemoryPriceCache | RedisPriceCache:
    if isinstance(infra, RedisInfra):
        return RedisPriceCache(infra.redis, infra.prefix, stale_after_s=5, ttl_s=60, clock=clock)
    return MemoryPriceCache(stale_after_s=5, ttl_s=60, clock=clock)


async def test_prices_are_exact_and_flagged_stale(infra: Infra) -> None:
    clock = FakeClock()
    cache = _clocked_cache(infra, clock)
    price = Decimal("3141.59265358979323846264338327950288")
    assert await cache.put("binance:ETH/USDC", price)
    got = await cache.get("binance:ETH/USDC")
    assert got is not None
    assert got.price == price
    assert not got.stale
    assert got.age_s == 0
    clock.now += 6
    got = await cache.get("binance:ETH/USDC")
    assert got is not None
    assert got.stale
    assert got.age_s == pytest.approx(6)
    assert await cache.get("nope") is None
    with pytest.raises(InvalidInputError, match="float"):
        await cache.put("k", 1.5)  # type: ignore[arg-type]


async def test_older_observations_do_not_overwrite_newer(infra: Infra) -> None:
    cache = infra.prices
    now = datetime.now(UTC)
    assert await cache.put("k", Decimal(2), observed_at=now)
    assert not await cache.put("k", Decimal(1), observed_at=now - timedelta(seconds=1))
    assert await cache.put("k", Decimal(3), observed_at=now + timedelta(milliseconds=1))
    got = await cache.get_many(["k", "missing"])
    assert list(got) == ["k"]
    assert got["k"].price == 3
    assert got["k"].observed_at == now + timedelta(milliseconds=1)  # exact to the microsecond


async def test_prices_expire_after_ttl(infra: Infra) -> None:
    # the fixture's settings: stale after 0.2 s, gone after 0.6 s (real time, Redis PX)
    await infra.prices.put("k", Decimal(1))
    await asyncio.sleep(0.3)
    got = await infra.prices.get("k")
    assert got is not None
    assert got.stale
    await asyncio.sleep(0.45)
    assert await infra.prices.get("k") is None


async def test_lock_lifecycle(infra: Infra) -> None:
    locks = infra.locks
    a = await locks.acquire("acct", ttl_s=5)
    assert await locks.holder("acct") == (a.owner, a.token)
    assert await locks.try_acquire("acct") is None
    with pytest.raises(LockNotAcquiredError, match="acct"):
        await locks.acquire("acct", wait_s=0.1)
    renewed = await locks.renew(a, ttl_s=5)
    assert renewed.token == a.token
    assert renewed.expires_at >= a.expires_at
    assert await locks.release(a)
    assert not await locks.release(a)
    assert await locks.holder("acct") is None
    async with locks.hold("acct") as b:
        assert b.token > a.token
    other = await locks.acquire("other-name")  # tokens count per name
    assert other.token == 1
    lifted = await locks.acquire("lifted", floor=1000)
    assert lifted.token == 1001


async def test_lock_waits_for_a_release(infra: Infra) -> None:
    a = await infra.locks.acquire("w", ttl_s=5)

    async def later() -> None:
        await asyncio.sleep(0.1)
        await infra.locks.release(a)

    releaser = asyncio.create_task(later())
    b = await infra.locks.acquire("w", wait_s=2, poll_s=0.02)
    await releaser
    assert b.token == a.token + 1


async def test_a_paused_holder_cannot_write_after_expiry(infra: Infra, store: Store) -> None:
    """A acquires, stalls past its lease; B acquires with a larger token and writes; A wakes
    up and its write is rejected by the store, not merely by the lock."""
    name = nonce_lock_name(1, ACCOUNT)
    a = await infra.locks.acquire(name, ttl_s=0.3)
    assert await store.nonces.reserve(1, ACCOUNT, fence=a.token) == 0

    await asyncio.sleep(0.45)  # A is "paused" (GC, swapped out...) past its lease

    b = await infra.locks.acquire(name, ttl_s=5)
    assert b.token > a.token
    assert await store.nonces.reserve(1, ACCOUNT, fence=b.token) == 1
    await store.nonces.mark_submitted(1, ACCOUNT, 1, tx_hash(2), fence=b.token)

    # A wakes up believing it still owns the account
    with pytest.raises(StaleFencingTokenError, match=f"token {a.token} is older than {b.token}"):
        await store.nonces.mark_submitted(1, ACCOUNT, 0, tx_hash(1), fence=a.token)
    with pytest.raises(StaleFencingTokenError):
        await store.nonces.reserve(1, ACCOUNT, fence=a.token)
    with pytest.raises(LockLostError, match="expired"):
        await infra.locks.renew(a)
    assert not await infra.locks.release(a)  # and cannot free B's lock
    assert await infra.locks.holder(name) == (b.owner, b.token)
    record = await store.nonces.get(1, ACCOUNT, 0)
    assert record is not None
    assert (record.status, record.tx_hash) == ("reserved", None)
