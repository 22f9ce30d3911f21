"""Two real processes share one Redis stream; one is SIGKILLed mid-task, and the other
re-claims its work (XAUTOCLAIM) and finishes it. Every task has exactly one effect, thanks to
the idempotent handler (the task key is the trade intent's idempotency key)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from zippifi.settings import StoreSettings
from zippifi.store import RedisInfra, Store, open_infra

from .factories import seed

WORKER = Path(__file__).with_name("queue_worker.py")
N_TASKS = 30


async def _wait_for(
    what: str, check: Callable[[], Awaitable[object]], timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_killed_worker_is_taken_over(
    store: Store, db_url: str, redis_url: str, redis_prefix: str
) -> None:
    s = await seed(store)
    infra = await open_infra(StoreSettings(redis_url=redis_url, redis_prefix=redis_prefix))
    assert isinstance(infra, RedisInfra)
    r, p = infra.redis, redis_prefix
    common = [
        sys.executable, str(WORKER), "--db", db_url, "--redis", redis_url, "--prefix", p,
        "--strategy-id", str(s.strategy.id), "--account-id", str(s.account.id),
    ]  # fmt: skip
    a = subprocess.Popen([*common, "--consumer", "A", "--hang-first"])
    b = subprocess.Popen([*common, "--consumer", "B"])
    try:

        async def both_ready() -> bool:
            return await r.exists(f"{p}:ready:A", f"{p}:ready:B") == 2

        await _wait_for("both workers ready", both_ready)
        queue = infra.queue("intents")
        for i in range(N_TASKS):
            await queue.enqueue({"amount": 2**255 + i}, key=f"task-{i}")

        await _wait_for("A to hang mid-task", lambda: r.exists(f"{p}:hung"))
        hung = await r.get(f"{p}:hung")
        a.send_signal(signal.SIGKILL)  # mid-task: effect applied, no ack
        assert a.wait(timeout=10) == -signal.SIGKILL

        async def all_done() -> bool:
            return await r.hlen(f"{p}:effects") == N_TASKS and await queue.pending() == 0

        await _wait_for("B to finish everything, A's task included", all_done)
        effects = await r.hgetall(f"{p}:effects")
        deliveries = await r.hgetall(f"{p}:deliveries")
        log = await r.lrange(f"{p}:log", 0, -1)
    finally:
        for proc in (a, b):
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        await infra.close()

    keys = {f"task-{i}" for i in range(N_TASKS)}
    assert set(effects) == keys
    assert set(effects.values()) == {"1"}
    assert deliveries[hung] == "2"  # A took it, died; B re-claimed it
    assert all(deliveries[k] == "1" for k in keys - {hung})
    assert f"A {hung}" in log
    assert f"B {hung}" in log
    assert log.index(f"A {hung}") < log.index(f"B {hung}")
    assert any(line.startswith("B ") for line in log)
    intents = await store.intents.search()
    assert sorted(i.idempotency_key for i in intents) == sorted(keys)
    assert {i.amount_in for i in intents} == {2**255 + i for i in range(N_TASKS)}
