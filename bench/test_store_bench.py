"""Bulk tick ingest: N ticks per call into PostgreSQL with COPY (the store's path) and with
asyncpg's executemany (the peer), same rows, same partitioned and indexed table, one run; the
embedded SQLite default (executemany) beside them for reference. Each round starts from an
empty table; the partition the rows need exists (made by the warm-up round). Rows per second
= ``extra_info["rows"] / stats.min``; the goal is >= 100,000 ticks/s with COPY."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from bench.conftest import N_TICKS, ROUNDS
from tests.store import servers
from zippifi.store import Store, Tick, open_store
from zippifi.store.repositories.market import TickMethod

GROUP = f"ingest {N_TICKS} ticks"
GOAL_ROWS_PER_S = 100_000
T0 = datetime(2024, 5, 1, tzinfo=UTC)
_loop = asyncio.new_event_loop()


def _run(coro: Any) -> Any:
    return _loop.run_until_complete(coro)


@pytest.fixture(scope="module")
def pg_store() -> Iterator[Store]:
    admin, reason = servers.find_postgres()
    if admin is None:
        pytest.skip(f"PostgreSQL unavailable ({reason})")
    name = servers.unique_name("zippifi_bench")
    _run(servers.create_database(admin, name))
    store = _run(open_store(servers.with_database(admin, name)))
    yield store
    _run(store.close())
    _run(servers.drop_database(admin, name))


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = _run(open_store(f"sqlite:///{tmp_path_factory.mktemp('bench') / 'bench.db'}"))
    yield store
    _run(store.close())


@functools.cache
def _ticks() -> list[Tick]:
    """A realistic feed: two venues, one pair, microsecond times, 4 exact decimals per tick."""
    return [
        Tick(
            T0 + timedelta(microseconds=10 * i),
            "binance" if i % 2 else "coinbase",
            "ETH/USDC",
            Decimal("3141.59") + Decimal(i) / 100,
            Decimal("3141.58"),
            Decimal("3141.60"),
            Decimal("0.25"),
        )
        for i in range(N_TICKS)
    ]


async def _empty(store: Store) -> None:
    statement = "TRUNCATE ticks" if store.dialect == "postgresql" else "DELETE FROM ticks"
    async with store.engine.begin() as conn:
        await conn.execute(text(statement))


async def _count(store: Store) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM ticks"))).scalar_one())


def _ingest(benchmark: Any, store: Store, method: TickMethod) -> None:
    benchmark.extra_info.update(
        {
            "rows": N_TICKS,
            "rows_per_call": N_TICKS,
            "method": method,
            "engine": store.dialect,
            "goal_rows_per_s": GOAL_ROWS_PER_S if method == "copy" else None,
            "cpu_count": os.cpu_count(),
        }
    )
    ticks = _ticks()
    inserted = benchmark.pedantic(
        lambda: _run(store.market.insert_ticks(ticks, method=method)),
        setup=lambda: _run(_empty(store)),
        rounds=ROUNDS,
        iterations=1,
        warmup_rounds=1,
    )
    assert inserted == N_TICKS
    assert _run(_count(store)) == N_TICKS
    best = benchmark.stats.stats.min
    benchmark.extra_info["rows_per_s"] = round(N_TICKS / best) if best else None


@pytest.mark.benchmark(group=GROUP)
def test_postgres_copy(benchmark: Any, pg_store: Store) -> None:
    _ingest(benchmark, pg_store, "copy")


@pytest.mark.benchmark(group=GROUP)
def test_postgres_executemany(benchmark: Any, pg_store: Store) -> None:
    _ingest(benchmark, pg_store, "executemany")


@pytest.mark.benchmark(group=GROUP)
def test_sqlite_executemany(benchmark: Any, sqlite_store: Store) -> None:
    _ingest(benchmark, sqlite_store, "executemany")
