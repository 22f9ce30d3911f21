from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contracts.harness import VaultEnv
from tests.uniswap.chain import Chain


@pytest.fixture(scope="module")
def _deployed() -> tuple[VaultEnv, list[Any]]:
    """One deployment per test module (py-evm in process), snapshotted once configured."""
    env = VaultEnv(Chain.in_process())
    return env, [env.chain.snapshot()]


@pytest.fixture
def env(_deployed: tuple[VaultEnv, list[Any]]) -> Iterator[VaultEnv]:
    """The configured deployment, fresh for each test (the chain reverts to the snapshot)."""
    deployed, snapshot = _deployed
    yield deployed
    deployed.chain.revert(snapshot[0])
    snapshot[0] = deployed.chain.snapshot()  # some nodes forget a snapshot once reverted to
