"""A small asyncio runner for a test directory: one event loop for the whole session (so that
session-scoped engines, clients and adapters bound to it can be shared), ``run`` for sync
fixtures, and ``async def`` tests run on that loop with a timeout each.

A conftest makes one :class:`SessionLoop` and wires its two hooks to it::

    _session = SessionLoop(timeout_s=TEST_TIMEOUT_S)
    event_loop, run = _session.event_loop, _session.run

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
        return _session.run_test(pyfuncitem)

    def pytest_sessionfinish(session: pytest.Session) -> None:
        _session.close()

Each conftest keeps a loop of its own, except tests/market, which runs on tests/store's (its
``session_loop``) with a timeout of its own.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


class SessionLoop:
    """A lazily created event loop (created again if closed) and the test timeout."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None

    def event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run on the session loop (from sync fixtures)."""

        async def wrapped() -> T:
            return await awaitable

        return self.event_loop().run_until_complete(wrapped())

    def run_test(self, pyfuncitem: pytest.Function, timeout_s: float | None = None) -> bool | None:
        """The ``pytest_pyfunc_call`` hook: an ``async def`` test runs on the loop, with the
        timeout (this loop's, or `timeout_s` for a directory that borrows the loop); anything
        else is left to pytest (None)."""
        if not inspect.iscoroutinefunction(pyfuncitem.obj):
            return None
        names = pyfuncitem._fixtureinfo.argnames
        coro: Coroutine[Any, Any, Any] = pyfuncitem.obj(
            **{n: pyfuncitem.funcargs[n] for n in names}
        )
        self.event_loop().run_until_complete(asyncio.wait_for(coro, timeout_s or self.timeout_s))
        return True

    def close(self) -> None:
        """The ``pytest_sessionfinish`` hook: close the loop if there is one."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.close()
