"""Plain pure-Python reference implementations of the AMM math.

Straightforward big ints, no caching, no tricks: the code a Python trading bot would otherwise
write. They serve twice: as the peer the Rust kernels are benchmarked against (``bench/``) and
as an independent reference in the property tests. Each is written from the published
contracts' formulas (Uniswap V2/V3 core, Curve's v1 StableSwap template) and checked against
published facts in ``tests/test_reference_selfcheck.py``.

Where a contract would revert, the reference raises :class:`ValueError` (or :class:`Revert`, a
subclass that carries the contract's reason) so the tests can tell where the kernel must fail.
"""

from __future__ import annotations

UINT256_MAX = 2**256 - 1


class Revert(ValueError):  # noqa: N818 (named after what the chain does)
    """The contract would revert; ``reason`` is its reason string (or a short description)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_uint256(value: int, what: str = "uint256 overflow") -> int:
    """Solidity/Vyper checked arithmetic: a result outside [0, 2**256) reverts."""
    if value < 0 or value > UINT256_MAX:
        raise Revert(what)
    return value
