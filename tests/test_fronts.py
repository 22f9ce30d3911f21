"""The package fronts: zippifi.chain, zippifi.market, zippifi.execution and zippifi.risk
re-export what their modules declare public, and nothing private."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import zippifi.chain
import zippifi.execution
import zippifi.market
import zippifi.market.pools
import zippifi.risk

FRONTS = [zippifi.chain, zippifi.market, zippifi.execution, zippifi.risk]


@pytest.mark.parametrize("front", FRONTS, ids=lambda m: m.__name__)
def test_a_front_re_exports_every_module_s_public_names(front: ModuleType) -> None:
    exported = set(front.__all__)
    assert len(exported) == len(front.__all__)
    assert not [n for n in exported if n.startswith("_")]
    for name in exported:
        assert getattr(front, name) is not None, name
    for info in pkgutil.iter_modules(front.__path__):
        if info.ispkg:  # a subpackage is a front of its own (zippifi.chain.artifacts)
            continue
        module = importlib.import_module(f"{front.__name__}.{info.name}")
        missing = set(getattr(module, "__all__", ())) - exported
        assert not missing, f"{module.__name__} declares {sorted(missing)}, the front lacks them"
        for name in set(getattr(module, "__all__", ())):
            assert getattr(front, name) is getattr(module, name), name


def test_pools_exports_only_the_pool_sync() -> None:
    assert zippifi.market.pools.__all__ == ["PoolSync"]
    assert zippifi.market.PoolSync is zippifi.market.pools.PoolSync
