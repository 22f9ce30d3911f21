"""The task queue's contract, on the in-process backend and on Redis Streams."""

from __future__ import annotations

import asyncio

import pytest

from zippifi.errors import InvalidInputError
from zippifi.store import Infra, Task, run_worker


async def test_each_task_goes_to_one_consumer_until_acked(infra: Infra) -> None:
    q = infra.queue("jobs")
    ids = [await q.enqueue({"n": i, "big": 2**256 - 1}) for i in range(4)]
    a = await q.fetch("A", count=3)
    b = await q.fetch("B", count=3)
    assert [t.payload["n"] for t in a] == [0, 1, 2]
    assert [t.payload["n"] for t in b] == [3]
    assert [t.id for t in a + b] == ids
    assert all(t.deliveries == 1 and t.key == t.id for t in a + b)
    assert a[0].payload["big"] == 2**256 - 1
    assert await q.pending() == 4
    for t in a + b:
        await q.ack(t)
    assert await q.pending() == 0
    assert await q.fetch("A", count=10, block_ms=50) == []  # nothing new: waits, then empty


async def test_producer_keys_reach_the_handler(infra: Infra) -> None:
    q = infra.queue("keyed")
    await q.enqueue({"x": 1}, key="intent:42")
    [task] = await q.fetch("A")
    assert task.key == "intent:42"
    with pytest.raises(InvalidInputError, match="JSON"):
        await q.enqueue({"x": object()})


async def test_blocking_fetch_wakes_on_enqueue(infra: Infra) -> None:
    q = infra.queue("wake")
    await q.fetch("A", block_ms=1)  # creates the group before the producer writes

    async def produce() -> None:
        await asyncio.sleep(0.1)
        await q.enqueue({"late": True})

    producer = asyncio.create_task(produce())
    got = await q.fetch("A", block_ms=3000)
    await producer
    assert [t.payload for t in got] == [{"late": True}]


async def test_a_dead_consumers_work_is_reclaimed(infra: Infra) -> None:
    q = infra.queue("reclaim")
    await q.enqueue({"job": 1})
    [taken] = await q.fetch("dies")  # ...and never acks
    assert await q.reclaim("B", min_idle_ms=10_000) == []  # not idle long enough yet
    await asyncio.sleep(0.15)
    [again] = await q.reclaim("B", min_idle_ms=100)
    assert (again.id, again.payload, again.deliveries) == (taken.id, {"job": 1}, 2)
    assert await q.reclaim("C", min_idle_ms=100) == []  # B holds it now
    await q.ack(again)
    assert await q.pending() == 0


async def test_worker_retries_then_dead_letters(infra: Infra) -> None:
    q = infra.queue("work")
    for i in range(5):
        await q.enqueue({"n": i}, key=f"job-{i}")
    seen: list[str] = []
    stop = asyncio.Event()

    async def handler(task: Task) -> None:
        seen.append(task.key)
        if task.payload["n"] == 3:
            raise RuntimeError("poison")

    async def stopper() -> None:  # the poison task: 2 deliveries, then the dead-letter stream
        while not await q.dead_letters():
            await asyncio.sleep(0.02)
        stop.set()

    watcher = asyncio.create_task(stopper())
    done = await run_worker(
        q, "W", handler, stop=stop, block_ms=20, reclaim_idle_ms=50, max_deliveries=2
    )
    await watcher
    assert done == 4
    assert seen.count("job-3") == 2
    assert all(seen.count(f"job-{i}") == 1 for i in (0, 1, 2, 4))
    [dead] = await q.dead_letters()
    assert dead.key == "job-3"
    assert dead.payload["task"] == {"n": 3}
    assert "2 deliveries" in dead.payload["reason"]
    assert await q.pending() == 0
