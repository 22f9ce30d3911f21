"""Differential harness: the real Uniswap V2/V3 contracts on a local EVM.

The contracts are the npm packages' own build artifacts (``contracts/package.json`` pins them:
``@uniswap/v2-core``, ``@uniswap/v2-periphery``, ``@uniswap/v3-core``), deployed unchanged.
Small Solidity helpers written for these tests (``contracts/test/``: a mintable ERC20, a V3
callee that mints and swaps straight through ``pool.swap``, a V3 lens, a V2 swapper) are
compiled by ``contracts/scripts/compile-test-helpers.js`` with the pinned solc-js.

* :mod:`.artifacts` finds and loads the artifacts (compiling the helpers when stale);
* :mod:`.chain` is the EVM: ``ZIPPIFI_TEST_EVM_URL`` when set, else py-evm in process;
* :mod:`.tickmath` is TickMath in plain Python (checked against the chain by the self-tests);
* :mod:`.v2` and :mod:`.v3` deploy factories, pairs and pools and drive them.

Nothing here imports ``zippifi``: the harness is tested on its own (``tests/test_amm_uniswap_*``
self-tests) before it is used to judge the kernels.
"""

from __future__ import annotations

from tests.uniswap.artifacts import HarnessUnavailableError
from tests.uniswap.chain import Chain, Reverted, open_chain

__all__ = ["Chain", "HarnessUnavailableError", "Reverted", "open_chain"]
