"""Fixtures for both engines and both infra backends, and a small asyncio runner
(tests/session_loop.py).

Every ``async def`` test runs on one session-wide event loop (so session-scoped engines and
Redis clients can be shared), with a timeout. ``store`` is parametrized over SQLite and
PostgreSQL: each engine gets one migrated database per session (PostgreSQL: a fresh database
created and dropped around the session), emptied before every test. ``infra`` is parametrized
over the in-process backend and Redis (a random key prefix per test, deleted afterwards).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.session_loop import SessionLoop
from zippifi.settings import StoreSettings
from zippifi.store import Infra, Store, migrate, open_infra, open_store
from zippifi.store.schema import metadata

from . import servers

TEST_TIMEOUT_S = 90
session_loop = SessionLoop(TEST_TIMEOUT_S)
event_loop = session_loop.event_loop
run = session_loop.run


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    return session_loop.run_test(pyfuncitem)


def pytest_sessionfinish(session: pytest.Session) -> None:
    session_loop.close()


# --- PostgreSQL / SQLite ------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url, reason = servers.find_postgres()
    if url is None:
        pytest.skip(f"PostgreSQL unavailable ({reason})")
    return url


@pytest.fixture(scope="session")
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A migrated database of its own for this session, dropped afterwards."""
    name = servers.unique_name("zippifi_test")
    run(servers.create_database(pg_admin_url, name))
    url = servers.with_database(pg_admin_url, name)
    try:
        run(migrate(url))
        yield url
    finally:
        _close_store(url)
        run(servers.drop_database(pg_admin_url, name))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'zippifi.db'}"
    run(migrate(url))
    yield url
    _close_store(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


_stores: dict[str, Store] = {}  # one open Store per session database, closed before its drop


def _close_store(url: str) -> None:
    store = _stores.pop(url, None)
    if store is not None:
        run(store.close())


async def _empty(store: Store) -> None:
    tables = [t.name for t in metadata.sorted_tables]
    # DELETE, not TRUNCATE: on a handful of rows it is far cheaper (no new relation files).
    # Ids keep counting across tests; tests never rely on their values.
    async with store.engine.begin() as conn:
        for name in reversed(tables):
            await conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def store(db_url: str) -> Store:
    """The session's store for this engine, emptied."""
    if db_url not in _stores:
        _stores[db_url] = run(open_store(db_url, run_migrations=False))
    s = _stores[db_url]
    run(_empty(s))
    return s


@pytest.fixture
def fresh_db(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database on the same engine as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    admin = request.getfixturevalue("pg_admin_url")
    name = servers.unique_name("zippifi_fresh")
    run(servers.create_database(admin, name))
    try:
        yield servers.with_database(admin, name)
    finally:
        run(servers.drop_database(admin, name))


# --- Redis / in-process -------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    url, reason = servers.find_redis()
    if url is None:
        pytest.skip(f"Redis unavailable ({reason})")
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    prefix = servers.unique_name("zippifi-test")
    yield prefix
    servers.delete_redis_prefix(redis_url, prefix)


def infra_settings(**overrides: Any) -> StoreSettings:
    base: dict[str, Any] = {"price_stale_after_s": 0.2, "price_ttl_s": 0.6, "lock_ttl_s": 1.0}
    return StoreSettings(**{**base, **overrides})


@pytest.fixture(params=["memory", "redis"])
def infra(request: pytest.FixtureRequest) -> Iterator[Infra]:
    if request.param == "memory":
        opened = run(open_infra(infra_settings()))
    else:
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        opened = run(open_infra(infra_settings(redis_url=url, redis_prefix=prefix)))
    yield opened
    run(opened.close())
