"""Fixtures of the chain-layer tests: a hardhat node per session, the in-process EVM, a
SQLite store per test, scratch databases for tests whose processes share a store (SQLite and
PostgreSQL; tests/crash uses them too), and a small asyncio runner (one loop for the session, a
timeout per test; tests/session_loop.py) like tests/store's."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.session_loop import SessionLoop
from tests.store import servers
from zippifi.chain import EvmAdapter
from zippifi.settings import EMBEDDED_CHAIN_ID, ChainConfig
from zippifi.sign import Signer
from zippifi.store import MemoryLockManager, Store, open_store

from . import hardhat

TEST_TIMEOUT_S = 120
_session = SessionLoop(TEST_TIMEOUT_S)
event_loop = _session.event_loop
run = _session.run


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    return _session.run_test(pyfuncitem)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _session.close()


@pytest.fixture(scope="session")
def hardhat_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[hardhat.HardhatNode]:
    reason = hardhat.unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"hardhat node unavailable under CI=true: {reason}")
        pytest.skip(reason)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        # a `timeout` that kills pytest must not leave the node behind: exit through atexit
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    node = hardhat.start(tmp_path_factory.mktemp("hardhat"))
    try:
        yield node
    finally:
        node.stop()


def hardhat_config(url: str, **overrides: Any) -> ChainConfig:
    base: dict[str, Any] = {
        "chain_id": hardhat.HARDHAT_CHAIN_ID,
        "name": "hardhat",
        "rpc_urls": [url],
        "request_timeout_s": 5.0,
        "poll_interval_s": 0.05,
    }
    return ChainConfig(**{**base, **overrides})


@dataclass
class DevChain:
    """A chain under test: its adapter plus the dev-node powers the tests need."""

    kind: str
    adapter: EvmAdapter

    async def fund(self, address: str, wei: int) -> None:
        if self.kind == "hardhat":
            await self.adapter.rpc("hardhat_setBalance", [address, hex(wei)])
            return
        rich = (await self.adapter.rpc("eth_accounts", []))[0]
        await self.adapter.rpc(
            "eth_sendTransaction", [{"from": rich, "to": address, "value": hex(wei)}]
        )

    async def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            await self.adapter.rpc("evm_mine", [])

    async def new_signer(self, wei: int = 10**21) -> Signer:
        signer = Signer("0x" + secrets.token_hex(32))
        await self.fund(signer.address, wei)
        return signer


@pytest.fixture(params=["inprocess", "hardhat"])
def chain(request: pytest.FixtureRequest) -> Iterator[DevChain]:
    if request.param == "hardhat":
        node = request.getfixturevalue("hardhat_node")
        adapter = EvmAdapter(hardhat_config(node.url))
    else:
        adapter = EvmAdapter(
            ChainConfig(chain_id=EMBEDDED_CHAIN_ID, name="embedded", rpc_urls=["inprocess://"])
        )
    run(adapter.connect())
    yield DevChain(request.param, adapter)
    run(adapter.close())


@pytest.fixture
def hardhat_chain(hardhat_node: hardhat.HardhatNode) -> Iterator[DevChain]:
    adapter = EvmAdapter(hardhat_config(hardhat_node.url))
    run(adapter.connect())
    yield DevChain("hardhat", adapter)
    run(adapter.close())


def ws_url(http_url: str) -> str:
    """hardhat 2 serves JSON-RPC over WebSocket on its HTTP port."""
    return "ws" + http_url.removeprefix("http")


@pytest.fixture
def ws_chain(hardhat_node: hardhat.HardhatNode) -> Iterator[DevChain]:
    """The hardhat node, every call over one WebSocket connection."""
    adapter = EvmAdapter(hardhat_config(ws_url(hardhat_node.url)))
    run(adapter.connect())
    yield DevChain("hardhat", adapter)
    run(adapter.close())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = run(open_store(f"sqlite:///{tmp_path / 'zippifi.db'}"))
    yield opened
    run(opened.close())


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """As tests/store finds it: ZIPPIFI_TEST_POSTGRES_URL, else a local server, else skip
    (a failure under CI=true, where PostgreSQL is part of the job)."""
    url, reason = servers.find_postgres()
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unavailable under CI=true: {reason}")
        pytest.skip(f"PostgreSQL unavailable ({reason})")
    return url


@contextmanager
def scratch_database(
    request: pytest.FixtureRequest, engine: str, directory: Path, prefix: str
) -> Iterator[str]:
    """The URL of an empty, unmigrated database: a new SQLite file under ``directory``, or a new
    PostgreSQL database (dropped afterwards). Its own event loop per call, so any test
    directory's fixtures can use it."""
    if engine == "sqlite":
        yield f"sqlite:///{directory / f'{prefix}.db'}"
        return
    admin: str = request.getfixturevalue("pg_admin_url")
    name = servers.unique_name(f"zippifi_{prefix}")
    asyncio.run(servers.create_database(admin, name))
    try:
        yield servers.with_database(admin, name)
    finally:
        asyncio.run(servers.drop_database(admin, name))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store for processes to share: a new SQLite file, or a new PostgreSQL database (created
    empty, migrated by its first user, dropped afterwards)."""
    with scratch_database(request, request.param, tmp_path, "shared") as url:
        yield url


@pytest.fixture
def locks() -> MemoryLockManager:
    return MemoryLockManager(default_ttl_s=30.0)
