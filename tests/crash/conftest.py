"""Crash tests run on a session loop of their own, with the chain tests' hardhat node and
scratch databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.chain.conftest import (  # noqa: F401 (the node the children talk to, their stores)
    db,
    hardhat_node,
    pg_admin_url,
)
from tests.session_loop import SessionLoop

TEST_TIMEOUT_S = 300
_session = SessionLoop(TEST_TIMEOUT_S)
event_loop = _session.event_loop
run = _session.run


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    return _session.run_test(pyfuncitem)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _session.close()
