from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contracts.harness import VaultEnv
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
