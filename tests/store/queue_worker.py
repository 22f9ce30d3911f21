"""A worker process for test_queue_processes.py (run as a script, not collected by pytest).

It consumes the Redis stream ``intents`` and, for each task, stores one trade intent whose
idempotency key is the task's key: the handler is idempotent, so a task delivered twice has
one effect. Counters in Redis let the test see deliveries and effects. With ``--hang-first``
the worker applies the effect of its first task and then hangs before acknowledging it — the
test kills it there.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from zippifi.domain import IntentProposal
from zippifi.settings import StoreSettings
from zippifi.store import RedisInfra, Task, open_infra, open_store, run_worker


async def main(args: argparse.Namespace) -> None:
    store = await open_store(args.db, run_migrations=False)
    infra = await open_infra(StoreSettings(redis_url=args.redis, redis_prefix=args.prefix))
    assert isinstance(infra, RedisInfra)
    r, p, me = infra.redis, args.prefix, args.consumer
    queue = infra.queue("intents")
    hung = False

    async def handler(task: Task) -> None:
        nonlocal hung
        await r.hincrby(f"{p}:deliveries", task.key, 1)
        await r.rpush(f"{p}:log", f"{me} {task.key}")
        _, created = await store.intents.create(
            IntentProposal(
                idempotency_key=task.key,
                proposer=f"strategy:{args.strategy_id}",
                strategy_id=args.strategy_id,
                account_id=args.account_id,
                chain_id=1,
                token_in="0x" + "11" * 20,
                token_out="0x" + "22" * 20,
                amount=task.payload["amount"],
                slippage_bps=50,
                deadline=datetime(2030, 1, 1, tzinfo=UTC),
            )
        )
        if created:
            await r.hincrby(f"{p}:effects", task.key, 1)
        if args.hang_first and not hung:
            hung = True
            await r.set(f"{p}:hung", task.key)
            await asyncio.sleep(3600)  # effect applied, never acknowledged: killed here
        await asyncio.sleep(0.01)  # a little work per task, so both workers get some

    await r.set(f"{p}:ready:{me}", 1)
    await run_worker(
        queue, me, handler, stop=asyncio.Event(), block_ms=100, reclaim_idle_ms=args.reclaim_ms
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--consumer", required=True)
    parser.add_argument("--strategy-id", type=int, required=True)
    parser.add_argument("--account-id", type=int, required=True)
    parser.add_argument("--reclaim-ms", type=int, default=1000)
    parser.add_argument("--hang-first", action="store_true")
    asyncio.run(main(parser.parse_args()))
