"""Execution tests run on a session loop of their own (tests/session_loop.py), with the chain
tests' hardhat node (``ZIPPIFI_TEST_HARDHAT_URL`` or ``npx hardhat node``)."""

from __future__ import annotations

import pytest

from tests.chain.conftest import hardhat_node  # noqa: F401 (the node the live runtimes use)
from tests.session_loop import SessionLoop

TEST_TIMEOUT_S = 180
_session = SessionLoop(TEST_TIMEOUT_S)
event_loop = _session.event_loop
run = _session.run


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    return _session.run_test(pyfuncitem)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _session.close()
