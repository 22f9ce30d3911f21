"""curvesim's ``CurvePool`` (curvesim 0.5, PyPI), an implementation of StableSwap nobody here
wrote, as the peer of the differential tests of our StableSwap kernel and route legs.

Two things are done to it, neither changing a number it computes:

- Only the pool's own module is loaded, not curvesim's package ``__init__``s: those import its
  whole simulator (pandas, scipy, matplotlib, altair, web3: ~6 s, and a font cache on a fresh
  machine). The module needs nothing from them (it imports gmpy2, ``curvesim.exceptions`` and
  ``curvesim.pool.base``/``snapshot``), so empty package objects stand in while it loads.
- Its Newton loops have no round limit (``while abs(D - Dprev) > 1``), where the contract gives
  up with a revert after 255 rounds, and on some lopsided pools they never end. A tracer counts
  the rounds of each ``get_D``/``get_y`` call and stops the call, with :class:`NoConvergence`,
  when it starts a 256th: exactly where the contract would have reverted.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import types
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

MAX_ROUNDS = 255  # the contract's `for _i in range(255)`


class NoConvergence(Exception):  # noqa: N818 (what happened, as the contract's revert)
    """A curvesim Newton loop was about to run a round the contract does not allow."""


def _load_pool_module() -> types.ModuleType:
    spec = importlib.util.find_spec("curvesim")
    if spec is None or spec.origin is None:
        raise ImportError("curvesim is not installed (the test extra of pyproject.toml)")
    root = Path(spec.origin).parent
    packages = {
        "curvesim": root,
        "curvesim.pool": root / "pool",
        "curvesim.pool.stableswap": root / "pool" / "stableswap",
    }
    stand_ins = [name for name in packages if name not in sys.modules]
    for name in stand_ins:
        package = types.ModuleType(name)
        package.__path__ = [str(packages[name])]
        sys.modules[name] = package
    try:
        return importlib.import_module("curvesim.pool.stableswap.pool")
    finally:
        # a later `import curvesim` gets the real package
        for name in stand_ins:
            del sys.modules[name]


_module = _load_pool_module()
CurvePool: Any = _module.CurvePool


def _first_body_line(function: Callable[..., object], loop: str) -> int:
    """The line number of the first statement inside ``function``'s Newton loop."""
    lines, start = inspect.getsourcelines(function)
    for offset, text in enumerate(lines):
        if text.strip().startswith(loop):
            return start + offset + 1
    raise RuntimeError(f"curvesim changed: no {loop!r} in {function.__qualname__}")


# One Newton round starts at each of these lines (curvesim 0.5's get_D and get_y).
_ROUND_STARTS = {
    CurvePool.get_D.__code__: _first_body_line(CurvePool.get_D, "while abs(D - Dprev) > 1:"),
    CurvePool.get_y.__code__: _first_body_line(CurvePool.get_y, "while abs(y - y_prev) > 1:"),
}


def capped(call: Callable[[], T]) -> T:
    """``call()`` with every curvesim Newton loop limited to the contract's 255 rounds."""

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        start = _ROUND_STARTS.get(frame.f_code)
        if start is None:
            return None
        rounds = 0

        def count(frame: FrameType, event: str, arg: object) -> Any:
            nonlocal rounds
            if event == "line" and frame.f_lineno == start:
                rounds += 1
                if rounds > MAX_ROUNDS:
                    raise NoConvergence(f"{frame.f_code.co_name}: no convergence in 255 rounds")
            return count

        return count

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return call()
    finally:
        sys.settrace(previous)


def pool(balances: list[int], amp: int, fee: int, rates: list[int] | None) -> Any:
    """A CurvePool for our kernel's arguments: ``amp`` is A * 100 (a multiple of 100: curvesim's
    A is the contract's A, an int), no admin fee (the route kernel leaves the whole fee in the
    pool). Its constructor computes D, so it can fail as get_D does."""
    if amp % 100:
        raise ValueError(f"amp: curvesim takes whole A only, got A * 100 = {amp}")
    n = len(balances)
    rates = list(rates) if rates is not None else [10**18] * n
    return capped(lambda: CurvePool(A=amp // 100, D=list(balances), n=n, rates=rates, fee=fee,
                                    admin_fee=0))  # fmt: skip


def exchange(p: Any, i: int, j: int, dx: int) -> int:
    """What curvesim's exchange pays for ``dx`` (and moves ``p`` by, as the contract does)."""
    dy, _fee = capped(lambda: p.exchange(i, j, dx))
    return int(dy)


def raw_dy(p: Any, i: int, j: int, dx: int) -> int:
    """``xp[j] - y - 1`` before the fee, in curvesim's own get_y: negative where the contract's
    ``xp[j] - y - 1`` underflows (its get_dy and exchange revert)."""
    xp = p._xp()
    x = xp[i] + dx * p.rates[i] // 10**18
    return int(xp[j] - capped(lambda: p.get_y(i, j, x, xp)) - 1)


def contract_pays(p: Any, i: int, j: int, dx: int) -> int | None:
    """What the template's exchange pays for ``dx`` on pool ``p`` (which it then moves), or None
    where the contract reverts for a reason curvesim sees: an empty coin (including the
    normalised balances summing to at most 1, where curvesim skips its first round), no
    convergence in 255 rounds, or ``xp[j] - y - 1`` below zero. A uint256 overflow is not among
    them: use it only where none is possible."""
    if sum(p._xp()) <= 1:
        return None
    try:
        if raw_dy(p, i, j, dx) < 0:
            return None
        return exchange(p, i, j, dx)
    except (ZeroDivisionError, NoConvergence):
        return None


def pool_or_none(balances: list[int], amp: int, fee: int, rates: list[int] | None) -> Any:
    """:func:`pool`, or None where its D cannot be computed (an empty coin, no convergence)."""
    try:
        return pool(balances, amp, fee, rates)
    except (ZeroDivisionError, NoConvergence):
        return None
