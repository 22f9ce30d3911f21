"""Async tests of zippifi.market run on the store tests' session loop (so the ``store``
fixture's engines, bound to that loop, can be used here too), each with a timeout."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine
from typing import Any

import pytest

from tests.chain.conftest import hardhat_node  # noqa: F401 (one node for the pool-sync tests)
from tests.store.conftest import (  # noqa: F401 (fixtures re-exported for the aggregator tests)
    db_url,
    event_loop,
    pg_admin_url,
    pg_url,
    sqlite_url,
    store,
)

TEST_TIMEOUT_S = 60


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    coro: Coroutine[Any, Any, Any] = pyfuncitem.obj(**{n: pyfuncitem.funcargs[n] for n in names})
    event_loop().run_until_complete(asyncio.wait_for(coro, TEST_TIMEOUT_S))
    return True


def pytest_sessionfinish(session: pytest.Session) -> None:
    loop = event_loop()
    if not loop.is_closed():
        loop.close()
