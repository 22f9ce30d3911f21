"""The crash points' arming: ``store.statement`` is hooked into an engine only when the test
environment names a ``store.*`` point (a production engine carries no listener), and
``name@0`` counts without ever firing."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

import zippifi.crashpoints as crashpoints
from zippifi.store import create_engine

from .conftest import run


@pytest.fixture
def rearm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests set ZIPPIFI_TEST_CRASH_AT and reload the module; afterwards it is read again."""
    yield
    monkeypatch.delenv(crashpoints.CRASH_ENV, raising=False)
    importlib.reload(crashpoints)


@pytest.mark.parametrize(
    ("spec", "hooked"),
    [(None, False), ("submit.recorded", False), ("logs.ack@2", False), ("store.statement@3", True)],
)
def test_the_statement_hook_is_installed_only_for_a_store_point(
    rearm: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, spec: str | None, hooked: bool
) -> None:
    if spec is None:
        monkeypatch.delenv(crashpoints.CRASH_ENV, raising=False)
    else:
        monkeypatch.setenv(crashpoints.CRASH_ENV, spec)
    importlib.reload(crashpoints)
    engine = create_engine(f"sqlite:///{tmp_path / 'points.db'}")
    try:
        assert bool(engine.sync_engine.dispatch.after_cursor_execute) is hooked
    finally:
        run(engine.dispose())


def test_a_point_armed_at_zero_counts_and_never_fires(
    rearm: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(crashpoints.CRASH_ENV, "store.statement@0")
    importlib.reload(crashpoints)
    engine = create_engine(f"sqlite:///{tmp_path / 'points.db'}")
    seen: list[str] = []  # every statement the engine ran, by a listener of our own
    event.listen(engine.sync_engine, "after_cursor_execute",
                 lambda _conn, _cursor, statement, *_: seen.append(statement))  # fmt: skip

    async def statements(n: int) -> None:
        async with engine.begin() as conn:
            for _ in range(n):
                await conn.exec_driver_sql("SELECT 1")

    try:
        run(statements(5))
        assert seen.count("SELECT 1") == 5
        assert crashpoints.reached() == len(seen)
        crashpoints.crash_point("execution.fills")  # another point: not counted
        assert crashpoints.reached() == len(seen)
    finally:
        run(engine.dispose())
