"""A task queue with consumer groups: at-least-once delivery, acknowledgement, re-claim.

On Redis it is a Stream with one consumer group: ``XREADGROUP`` hands each new task to one
consumer, ``XACK`` (plus ``XDEL``) retires it, and ``XAUTOCLAIM`` moves tasks that a consumer
took but never acknowledged (it died, or hangs) to a live consumer once they have been idle
for ``reclaim_idle_ms``. A task delivered more than ``max_deliveries`` times goes to the
dead-letter stream ``<stream>:dead`` instead of being retried forever. The in-process queue
keeps the same semantics in memory, for the embedded default.

Delivery is at-least-once: a task can run again after its consumer died mid-way, so handlers
must be idempotent — key their effects on :attr:`Task.key` (for example as a trade intent's
idempotency key), which the producer may set to a business key and otherwise is the entry id.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from zippifi.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Task:
    id: str  # stream entry id
    key: str  # idempotency key for handlers
    payload: dict[str, Any]
    deliveries: int  # 1 on first delivery


def _encode(key: str | None, payload: Mapping[str, Any]) -> dict[str, str]:
    try:
        body = json.dumps(dict(payload), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"task payload is not plain JSON: {exc}") from None
    return {"key": key or "", "payload": body}


def _decode(entry_id: str, fields: Mapping[str, str], deliveries: int) -> Task:
    return Task(entry_id, fields.get("key") or entry_id, json.loads(fields["payload"]), deliveries)


class TaskQueue(ABC):
    def __init__(self, stream: str, group: str) -> None:
        if not stream or not group:
            raise InvalidInputError("queue stream and group names must not be empty")
        self.stream = stream
        self.group = group

    @abstractmethod
    async def enqueue(self, payload: Mapping[str, Any], *, key: str | None = None) -> str:
        """Append a task; returns its entry id."""

    @abstractmethod
    async def fetch(self, consumer: str, *, count: int = 1, block_ms: int = 0) -> list[Task]:
        """New tasks for ``consumer`` (they stay pending until acknowledged), waiting up to
        ``block_ms`` for one."""

    @abstractmethod
    async def reclaim(self, consumer: str, *, min_idle_ms: int, count: int = 10) -> list[Task]:
        """Take over tasks other consumers took but left unacknowledged for ``min_idle_ms``."""

    @abstractmethod
    async def ack(self, task: Task) -> None:
        """Retire a handled task."""

    @abstractmethod
    async def dead_letter(self, task: Task, reason: str) -> None:
        """Move a task that keeps failing to ``<stream>:dead`` and retire it."""

    @abstractmethod
    async def pending(self) -> int:
        """Tasks delivered but not acknowledged."""

    @abstractmethod
    async def dead_letters(self) -> list[Task]:
        """Tasks in the dead-letter stream (with the failure reason in ``payload``)."""


# --- in-process -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    consumer: str
    delivered_at: float
    deliveries: int


class MemoryTaskQueue(TaskQueue):
    """One process's queue, with Redis Streams' group semantics."""

    def __init__(self, stream: str, group: str = "workers") -> None:
        super().__init__(stream, group)
        self._entries: dict[str, dict[str, str]] = {}
        self._order: list[str] = []
        self._next = 0  # index into _order of the next undelivered entry
        self._pending: dict[str, _Pending] = {}
        self._dead: list[Task] = []
        self._seq = 0
        self._arrived = asyncio.Condition()

    async def enqueue(self, payload: Mapping[str, Any], *, key: str | None = None) -> str:
        fields = _encode(key, payload)
        self._seq += 1
        entry_id = f"{int(time.time() * 1000)}-{self._seq}"
        self._entries[entry_id] = fields
        self._order.append(entry_id)
        async with self._arrived:
            self._arrived.notify_all()
        return entry_id

    async def fetch(self, consumer: str, *, count: int = 1, block_ms: int = 0) -> list[Task]:
        if self._next >= len(self._order) and block_ms > 0:
            async with self._arrived:
                try:
                    await asyncio.wait_for(
                        self._arrived.wait_for(lambda: self._next < len(self._order)),
                        block_ms / 1000,
                    )
                except TimeoutError:
                    return []
        out: list[Task] = []
        while self._next < len(self._order) and len(out) < count:
            entry_id = self._order[self._next]
            self._next += 1
            if entry_id not in self._entries:
                continue
            self._pending[entry_id] = _Pending(consumer, time.monotonic(), 1)
            out.append(_decode(entry_id, self._entries[entry_id], 1))
        return out

    async def reclaim(self, consumer: str, *, min_idle_ms: int, count: int = 10) -> list[Task]:
        now = time.monotonic()
        out: list[Task] = []
        for entry_id, p in list(self._pending.items()):
            if len(out) >= count:
                break
            if (now - p.delivered_at) * 1000 < min_idle_ms:
                continue
            p.consumer, p.delivered_at, p.deliveries = consumer, now, p.deliveries + 1
            out.append(_decode(entry_id, self._entries[entry_id], p.deliveries))
        return out

    async def ack(self, task: Task) -> None:
        self._pending.pop(task.id, None)
        self._entries.pop(task.id, None)

    async def dead_letter(self, task: Task, reason: str) -> None:
        self._dead.append(Task(task.id, task.key, {"task": task.payload, "reason": reason}, 0))
        await self.ack(task)

    async def pending(self) -> int:
        return len(self._pending)

    async def dead_letters(self) -> list[Task]:
        return list(self._dead)


# --- Redis Streams --------------------------------------------------------------------------


class RedisTaskQueue(TaskQueue):
    """A Redis Stream ``<prefix>:queue:<stream>`` with consumer group ``group``; several
    processes (daemons) share it."""

    def __init__(self, redis: Redis, prefix: str, stream: str, group: str = "workers") -> None:
        super().__init__(stream, group)
        self._redis = redis
        self._key = f"{prefix}:queue:{stream}"
        self._dead_key = f"{self._key}:dead"
        self._group_ready = False

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self._redis.xgroup_create(self._key, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def enqueue(self, payload: Mapping[str, Any], *, key: str | None = None) -> str:
        await self._ensure_group()
        entry_id = await self._redis.xadd(self._key, _encode(key, payload))  # type: ignore[arg-type]
        return str(entry_id)

    async def fetch(self, consumer: str, *, count: int = 1, block_ms: int = 0) -> list[Task]:
        await self._ensure_group()
        reply: Any = await self._redis.xreadgroup(
            self.group, consumer, {self._key: ">"}, count=count, block=block_ms or None
        )
        out: list[Task] = []
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                if fields:  # an entry deleted while pending comes back without fields
                    out.append(_decode(str(entry_id), fields, 1))
        return out

    async def reclaim(self, consumer: str, *, min_idle_ms: int, count: int = 10) -> list[Task]:
        await self._ensure_group()
        reply: Any = await self._redis.xautoclaim(
            self._key, self.group, consumer, min_idle_ms, start_id="0-0", count=count
        )
        claimed = [(str(i), f) for i, f in reply[1] if f]
        if not claimed:
            return []
        # XAUTOCLAIM does not say how often each was delivered; XPENDING does.
        info = await self._redis.xpending_range(
            self._key, self.group, min=claimed[0][0], max=claimed[-1][0], count=len(claimed) * 2,
            consumername=consumer,
        )  # fmt: skip
        deliveries = {str(p["message_id"]): int(p["times_delivered"]) for p in info}
        return [_decode(i, f, deliveries.get(i, 2)) for i, f in claimed]

    async def ack(self, task: Task) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(self._key, self.group, task.id)
            pipe.xdel(self._key, task.id)
            await pipe.execute()

    async def dead_letter(self, task: Task, reason: str) -> None:
        fields = _encode(task.key, {"task": task.payload, "reason": reason, "id": task.id})
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._dead_key, fields)  # type: ignore[arg-type]
            pipe.xack(self._key, self.group, task.id)
            pipe.xdel(self._key, task.id)
            await pipe.execute()

    async def pending(self) -> int:
        await self._ensure_group()
        summary: Any = await self._redis.xpending(self._key, self.group)
        return int(summary["pending"])

    async def dead_letters(self) -> list[Task]:
        entries: Any = await self._redis.xrange(self._dead_key)
        return [_decode(str(i), f, 0) for i, f in entries]


# --- worker loop ----------------------------------------------------------------------------

Handler = Callable[[Task], Awaitable[None]]
# stdlib logging: the store layer uses nothing of ours but errors and settings
_log = logging.getLogger(__name__)


async def run_worker(
    queue: TaskQueue,
    consumer: str,
    handler: Handler,
    *,
    stop: asyncio.Event,
    block_ms: int = 1000,
    reclaim_idle_ms: int = 30_000,
    max_deliveries: int = 5,
    batch: int = 1,
) -> int:
    """Handle tasks until ``stop`` is set; returns how many were acknowledged.

    Each round first re-claims tasks idle longer than ``reclaim_idle_ms`` (their consumer is
    presumed dead), then reads new ones. A task is acknowledged only after ``handler``
    returns; if it raises, the task stays pending and is retried after ``reclaim_idle_ms``,
    up to ``max_deliveries`` times, then dead-lettered."""
    done = 0
    while not stop.is_set():
        tasks = await queue.reclaim(consumer, min_idle_ms=reclaim_idle_ms, count=batch)
        if not tasks:
            tasks = await queue.fetch(consumer, count=batch, block_ms=block_ms)
        for task in tasks:
            if task.deliveries > max_deliveries:
                await queue.dead_letter(task, f"failed {task.deliveries - 1} deliveries")
                _log.warning("%s: task %s (%s) dead-lettered", queue.stream, task.id, task.key)
                continue
            try:
                await handler(task)
            except Exception as exc:
                _log.warning("%s: task %s failed, will retry: %r", queue.stream, task.id, exc)
                continue
            await queue.ack(task)
            done += 1
    return done
