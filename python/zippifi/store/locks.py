"""Leased locks with fencing tokens (per-account nonce ownership).

A lease ends by itself after ``ttl_s`` unless renewed, so a crashed holder never blocks the
others for long. Every acquisition gets a fencing token larger than any before it for that
lock name; the holder passes the token with each write, and the store refuses tokens older
than the newest it has seen (:class:`~zippifi.store.errors.StaleFencingTokenError`). That is
what makes a lease safe: a holder paused past its lease (GC, swap, a stalled VM) wakes up
believing it holds the lock, but its writes are rejected.

``floor`` lets a caller lift the token counter above what the store has seen (e.g. after a
Redis restart lost the counter), so tokens stay monotonic from the store's point of view.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from redis.asyncio import Redis

from zippifi.errors import InvalidInputError
from zippifi.store.errors import LockLostError, LockNotAcquiredError
from zippifi.store.types import normalize_hex


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    owner: str
    token: int  # fencing token: pass it with every write made under this lease
    ttl_s: float
    expires_at: float  # time.monotonic() of this process, as last acquired or renewed


def nonce_lock_name(chain_id: int, account: str) -> str:
    """The lock that owns an account's nonces on one chain."""
    return f"nonce:{chain_id}:{normalize_hex(account, 20, 'account')}"


class LockManager(ABC):
    def __init__(self, *, default_ttl_s: float) -> None:
        self.default_ttl_s = default_ttl_s

    async def try_acquire(
        self, name: str, *, ttl_s: float | None = None, floor: int = 0
    ) -> Lease | None:
        """The lease if ``name`` is free now, else None."""
        ttl = self._ttl(ttl_s)
        owner = uuid.uuid4().hex
        started = time.monotonic()
        token = await self._acquire(name, owner, ttl, floor)
        return None if token is None else Lease(name, owner, token, ttl, started + ttl)

    async def acquire(
        self,
        name: str,
        *,
        ttl_s: float | None = None,
        wait_s: float = 0.0,
        poll_s: float = 0.05,
        floor: int = 0,
    ) -> Lease:
        """Acquire ``name``, waiting up to ``wait_s``; LockNotAcquiredError if still held."""
        deadline = time.monotonic() + wait_s
        while True:
            lease = await self.try_acquire(name, ttl_s=ttl_s, floor=floor)
            if lease is not None:
                return lease
            if time.monotonic() >= deadline:
                raise LockNotAcquiredError(f"lock {name!r} is held by another owner")
            await asyncio.sleep(poll_s)

    async def renew(self, lease: Lease, *, ttl_s: float | None = None) -> Lease:
        """Extend the lease; LockLostError if it already expired or another owner holds it."""
        ttl = self._ttl(ttl_s)
        started = time.monotonic()
        if not await self._renew(lease, ttl):
            raise LockLostError(
                f"lock {lease.name!r} (token {lease.token}) was lost: its lease expired"
            )
        return replace(lease, ttl_s=ttl, expires_at=started + ttl)

    async def release(self, lease: Lease) -> bool:
        """Free the lock if this lease still holds it; False if it had already been lost."""
        return await self._release(lease)

    async def holder(self, name: str) -> tuple[str, int] | None:
        """(owner, token) of the current lease on ``name``, or None if free."""
        return await self._holder(name)

    @asynccontextmanager
    async def hold(
        self, name: str, *, ttl_s: float | None = None, wait_s: float = 0.0, floor: int = 0
    ) -> AsyncIterator[Lease]:
        lease = await self.acquire(name, ttl_s=ttl_s, wait_s=wait_s, floor=floor)
        try:
            yield lease
        finally:
            await self.release(lease)

    def _ttl(self, ttl_s: float | None) -> float:
        ttl = self.default_ttl_s if ttl_s is None else ttl_s
        if ttl <= 0:
            raise InvalidInputError(f"lock ttl must be > 0 seconds, got {ttl}")
        return ttl

    @abstractmethod
    async def _acquire(self, name: str, owner: str, ttl_s: float, floor: int) -> int | None: ...

    @abstractmethod
    async def _renew(self, lease: Lease, ttl_s: float) -> bool: ...

    @abstractmethod
    async def _release(self, lease: Lease) -> bool: ...

    @abstractmethod
    async def _holder(self, name: str) -> tuple[str, int] | None: ...


class MemoryLockManager(LockManager):
    """In-process locks (the embedded default: one daemon)."""

    def __init__(self, *, default_ttl_s: float) -> None:
        super().__init__(default_ttl_s=default_ttl_s)
        self._held: dict[str, tuple[str, int, float]] = {}  # owner, token, expires (monotonic)
        self._tokens: dict[str, int] = {}

    def _live(self, name: str) -> tuple[str, int, float] | None:
        entry = self._held.get(name)
        if entry is not None and entry[2] <= time.monotonic():
            del self._held[name]
            return None
        return entry

    async def _acquire(self, name: str, owner: str, ttl_s: float, floor: int) -> int | None:
        if self._live(name) is not None:
            return None
        token = max(self._tokens.get(name, 0), floor) + 1
        self._tokens[name] = token
        self._held[name] = (owner, token, time.monotonic() + ttl_s)
        return token

    async def _renew(self, lease: Lease, ttl_s: float) -> bool:
        entry = self._live(lease.name)
        if entry is None or entry[:2] != (lease.owner, lease.token):
            return False
        self._held[lease.name] = (lease.owner, lease.token, time.monotonic() + ttl_s)
        return True

    async def _release(self, lease: Lease) -> bool:
        entry = self._live(lease.name)
        if entry is None or entry[:2] != (lease.owner, lease.token):
            return False
        del self._held[lease.name]
        return True

    async def _holder(self, name: str) -> tuple[str, int] | None:
        entry = self._live(name)
        return None if entry is None else (entry[0], entry[1])


_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local floor = tonumber(ARGV[3])
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if cur < floor then redis.call('SET', KEYS[2], floor) end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisLockManager(LockManager):
    """Locks shared by every daemon on one Redis: ``<prefix>:lock:<name>`` holds
    ``"<owner> <token>"`` with a PX expiry; ``<prefix>:fence:<name>`` counts tokens."""

    def __init__(self, redis: Redis, prefix: str, *, default_ttl_s: float) -> None:
        super().__init__(default_ttl_s=default_ttl_s)
        self._redis = redis
        self._prefix = prefix
        self._acquire_script = redis.register_script(_ACQUIRE)
        self._renew_script = redis.register_script(_RENEW)
        self._release_script = redis.register_script(_RELEASE)

    def _key(self, name: str) -> str:
        return f"{self._prefix}:lock:{name}"

    async def _acquire(self, name: str, owner: str, ttl_s: float, floor: int) -> int | None:
        keys = [self._key(name), f"{self._prefix}:fence:{name}"]
        token: Any = await self._acquire_script(
            keys=keys, args=[owner, max(1, round(ttl_s * 1000)), floor]
        )
        return None if token is None else int(token)

    async def _renew(self, lease: Lease, ttl_s: float) -> bool:
        done: Any = await self._renew_script(
            keys=[self._key(lease.name)],
            args=[f"{lease.owner} {lease.token}", max(1, round(ttl_s * 1000))],
        )
        return bool(int(done))

    async def _release(self, lease: Lease) -> bool:
        done: Any = await self._release_script(
            keys=[self._key(lease.name)], args=[f"{lease.owner} {lease.token}"]
        )
        return bool(int(done))

    async def _holder(self, name: str) -> tuple[str, int] | None:
        value = await self._redis.get(self._key(name))
        if value is None:
            return None
        owner, token = str(value).split(" ")
        return owner, int(token)
