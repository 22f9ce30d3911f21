"""Async tests of zippifi.market run on the store tests' session loop (so the ``store``
fixture's engines, bound to that loop, can be used here too), each with a timeout."""

from __future__ import annotations

import pytest

from tests.chain.conftest import hardhat_node  # noqa: F401 (one node for the pool-sync tests)
from tests.store.conftest import (  # noqa: F401 (fixtures re-exported for the aggregator tests)
    db_url,
    event_loop,
    pg_admin_url,
    pg_url,
    session_loop,
    sqlite_url,
    store,
)

TEST_TIMEOUT_S = 60


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    return session_loop.run_test(pyfuncitem, timeout_s=TEST_TIMEOUT_S)


def pytest_sessionfinish(session: pytest.Session) -> None:
    session_loop.close()
