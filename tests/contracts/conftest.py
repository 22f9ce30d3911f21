from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.chain import hardhat
from tests.contracts.devnode import DevNode
from tests.contracts.harness import VaultEnv
from tests.contracts.hostile_env import World, build
from tests.uniswap.chain import Chain


@pytest.fixture(scope="module")
def deployed() -> tuple[VaultEnv, list[Any]]:
    """One deployment per test module (py-evm in process), snapshotted once configured."""
    env = VaultEnv(Chain.in_process())
    return env, [env.chain.snapshot()]


@pytest.fixture
def env(deployed: tuple[VaultEnv, list[Any]]) -> Iterator[VaultEnv]:
    """The configured deployment, fresh for each test (the chain reverts to the snapshot)."""
    chain_env, snapshot = deployed
    yield chain_env
    chain_env.chain.revert(snapshot[0])
    snapshot[0] = chain_env.chain.snapshot()  # some nodes forget a snapshot once reverted to


@pytest.fixture(scope="package")
def hostile_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The adversarial tests' deployment on a hardhat node (ZIPPIFI_TEST_HARDHAT_URL, else one
    started here and stopped after this package's tests): skipped without node/npm, a failure
    under CI=true."""
    reason = hardhat.unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"hardhat node unavailable under CI=true: {reason}")
        pytest.skip(reason)
    node = hardhat.start(tmp_path_factory.mktemp("hardhat"))
    try:
        dev = DevNode(node.url)
        if node.process is not None:
            # our own node: its log of every request costs more than the requests (3-4x)
            dev.rpc("hardhat_setLoggingEnabled", [False])
        yield World(build(dev))
    finally:
        node.stop()
