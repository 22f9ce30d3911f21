"""StableSwap's get_dy against curvesim's CurvePool, a Python StableSwap nobody here wrote.

Our kernel follows one generation of Curve's Vyper: curve-contract's
``pool-templates/base/SwapTemplateBase.vy`` (Vyper 0.2.8, the 2021 templates; the factory's
plain pools compute the same), with ``A_PRECISION = 100``, ``amp = A * 100`` (``A_precise()``)
and the fee taken in normalised units before the conversion back to the coin's
(``(dy - fee) * PRECISION / rates[j]``). Not the original 3pool contract (2020: no
A_PRECISION, and its get_dy converts before taking the fee), not stableswap-ng (2023: off-peg
fee multiplier, D_P divided by n**n once).

curvesim 0.5's CurvePool writes the invariant in the older form, without A_PRECISION
(``Ann = A * n``, ``(Ann - 1) * D``), and its ``exchange`` takes the fee as the template does.
For ``amp = 100 * A`` every one of our floor divisions has the same quotient as curvesim's (each
differs by a factor of 100 in numerator and denominator, or divides an exact multiple of 100),
so the two agree to the wei wherever the contract returns. Where they part, precisely:

1. A: curvesim takes a whole A only; amp values that are not multiples of 100 (a ramp's
   intermediate ``A_precise()``) are left to tests/test_amm_stableswap.py.
2. uint256: curvesim's ints are unbounded. Where an intermediate passes 2**256 the contract
   reverts and curvesim goes on (a number, or another failure).
3. Round limit: the contract reverts after 255 Newton rounds; curvesim's ``while`` has no limit
   and on lopsided pools never ends. tests/curvesim_pool.py stops it as it starts a 256th
   round (:class:`NoConvergence`), exactly where the contract reverts.
4. The first round: curvesim tests ``abs(D - Dprev) > 1`` before the first round (Dprev = 0),
   so for a pool whose normalised balances sum to at most 1 it returns D = S without dividing
   by the empty coin's balance, where the contract divides by zero and reverts.
5. Dust: when ``xp[j] - y - 1`` is negative (no input, or too little to move y) the contract's
   uint256 subtraction reverts. curvesim goes on with a negative dy: its fee
   ``dy * fee // 10**10`` floors to -1 when the fee is positive and dy = -1, giving back the 1,
   so it returns 0; otherwise its own ``assert dy >= 0`` fails.

Everything else (every pool where the contract returns, and every refusal for an empty coin or
a 256th round) must agree exactly; the tests below check each difference exactly as stated.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests import curvesim_pool as cs
from tests.generators import stable_pools
from zippifi import amm, errors

E18 = 10**18
RATE_6 = 10**30  # a 6-decimal coin's rate


def kernel(p: dict[str, Any]) -> int:
    return amm.stable_get_dy(p["i"], p["j"], p["dx"], p["balances"], p["amp"], p["fee"], p["rates"])


def _kernel_reverts(p: dict[str, Any]) -> str:
    with pytest.raises(errors.AmmRevertError) as info:
        kernel(p)
    return str(info.value)


def assert_agrees(p: dict[str, Any], *, overflow_possible: bool) -> str:
    """The kernel's get_dy is curvesim's exchange, or both refuse, or the pool is in one of the
    module docstring's regions where they part, and each behaves there as stated. Returns which
    case it was."""
    i, j, dx, fee = p["i"], p["j"], p["dx"], p["fee"]
    rates = p["rates"] or [E18] * len(p["balances"])
    xp = [b * r // E18 for b, r in zip(p["balances"], rates, strict=True)]
    if sum(xp) <= 1:
        # (4): curvesim skips its first round; the contract divides by the empty coin
        _kernel_reverts(p)
        return "S <= 1: the contract reverts (curvesim not compared)"
    try:
        pool = cs.pool(p["balances"], p["amp"], fee, p["rates"])
        raw = cs.raw_dy(pool, i, j, dx)
    except ZeroDivisionError:  # an empty coin: both refuse
        message = _kernel_reverts(p)
        assert "division by zero" in message or (overflow_possible and "overflow" in message)
        return "both refuse: an empty coin"
    except cs.NoConvergence:  # (3): both refuse at the 256th round
        message = _kernel_reverts(p)
        assert "did not converge" in message or (overflow_possible and "overflow" in message)
        return "both refuse: no convergence in 255 rounds"
    if raw < 0:
        # (5): the contract's xp[j] - y - 1 underflows; curvesim returns 0 or fails its assert
        message = _kernel_reverts(p)
        assert "underflow" in message or (overflow_possible and "overflow" in message)
        if raw - raw * fee // 10**10 == 0:
            assert cs.exchange(pool, i, j, dx) == 0
            return "dust: the contract reverts, curvesim returns 0"
        with pytest.raises(AssertionError):
            cs.exchange(pool, i, j, dx)
        return "dust: both refuse"
    want = cs.exchange(pool, i, j, dx)
    try:
        got = kernel(p)
    except errors.AmmRevertError as exc:
        reverted = str(exc)
    else:
        assert got == want
        return "equal"
    # (2): only an intermediate past 2**256, which curvesim's ints do not have
    assert overflow_possible, f"kernel reverts ({reverted}) where curvesim pays {want}"
    assert "overflow" in reverted
    return "uint256 overflow: the contract reverts, curvesim pays"


@given(stable_pools("live"))
def test_get_dy_equals_curvesim_live_pools(pool: dict[str, Any]) -> None:
    """Pools as they trade: equal to the wei, or one of the stated differences (dust); never a
    uint256 overflow, which no intermediate can reach here."""
    event(assert_agrees(pool, overflow_possible=False))


@pytest.mark.parametrize("shape", ["imbalanced", "near_empty", "wide"])
@given(data=st.data())
def test_get_dy_equals_curvesim_hard_pools(shape: str, data: st.DataObject) -> None:
    """Lopsided, near-empty and arbitrary pools: equal, or both refuse, or a stated difference
    (here an overflow can happen: curvesim is then not compared)."""
    event(assert_agrees(data.draw(stable_pools(shape)), overflow_possible=True))


# ---------------------------------------------------------------- named cases


def _case(balances: list[int], dx: int, *, i: int = 0, j: int = 1, a: int = 100,
          fee: int = 0, rates: list[int] | None = None) -> dict[str, Any]:  # fmt: skip
    return {"i": i, "j": j, "dx": dx, "balances": balances, "amp": 100 * a, "fee": fee,
            "rates": rates}  # fmt: skip


THREE_POOL = [170_000_000 * E18, 180_000_000 * 10**6, 90_000_000 * 10**6]


@pytest.mark.parametrize(
    "case",
    [
        # 3pool-like: DAI/USDC/USDT, 18/6/6 decimals, A = 2000, 4 bps, every direction
        *(
            _case(THREE_POOL, dx, i=i, j=j, a=2000, fee=4_000_000, rates=[E18, RATE_6, RATE_6])
            for i, j, dx in [
                (0, 1, 1000 * E18),
                (1, 2, 10**12),
                (2, 0, 5 * 10**6),
                (0, 2, 10**26),
                (2, 1, 89_000_000 * 10**6),
            ]
        ),
        # A at both ends, a 50% fee, a 4-coin pool mixing decimals
        _case([10**24, 3 * 10**24], 10**23, a=1),
        _case([10**24, 3 * 10**24], 10**23, a=10**6),
        _case([10**24, 10**24], 10**22, a=200, fee=5 * 10**9),
        _case(
            [10**24, 10**12, 10**24, 10**12],
            10**22,
            i=0,
            j=3,
            a=500,
            fee=1,
            rates=[E18, RATE_6, E18, RATE_6],
        ),
        # imbalanced 1e6 : 1, trading into and out of the scarce coin (at 1e9 : 1 and A = 100
        # get_D no longer converges: see test_both_refuse)
        _case([10**24, 10**18], 10**18, a=100, fee=4_000_000),
        _case([10**24, 10**18], 10**9, i=1, j=0, a=100, fee=4_000_000),
        # near-empty: a 6-decimal coin with a single raw unit, a trade draining coin j
        _case([10**6, 1], 10**12, a=2000, rates=[E18, RATE_6]),
        _case([10**6, 10**6], 10**15, a=2000, fee=4_000_000),
        _case([5, 5], 3, a=1),
    ],
    ids=lambda c: f"n{len(c['balances'])}-A{c['amp'] // 100}-fee{c['fee']}-dx{c['dx']}",
)
def test_named_pools_equal_curvesim(case: dict[str, Any]) -> None:
    assert assert_agrees(case, overflow_possible=False) == "equal"


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        (_case([10**24, 0], E18), "an empty coin"),
        (_case([0, 10**24], E18), "an empty coin"),
        (_case([10**24, 10**24, 0], E18, i=0, j=1, rates=[E18, E18, RATE_6]), "an empty coin"),
        (_case([10**24, 10**24], 0), "dust"),  # no input, no fee
        (
            # get_D cycles (tests/test_amm_stableswap.py's case), and a 1e9 : 1 pool at A = 100
            _case([120_825_691_700_748_875_742, 10**18, 1_263_505_012_695_777_278], 1, j=2, a=1),
            "no convergence",
        ),
        (_case([10**27, 10**18], 10**18, a=100, fee=4_000_000), "no convergence"),
    ],
)
def test_both_refuse(case: dict[str, Any], refusal: str) -> None:
    result = assert_agrees(case, overflow_possible=False)
    assert "both refuse" in result, result
    assert refusal in result


def test_where_curvesim_parts_from_the_contract() -> None:
    """The module docstring's differences (4), (5) and (2), each as stated."""
    # (4) normalised balances summing to 1: the contract divides by the empty coin
    with pytest.raises(errors.AmmRevertError, match="division by zero"):
        kernel(_case([1, 0], 1, fee=4_000_000))
    assert cs.pool([1, 0], 100 * 100, 4_000_000, None).D() == 1
    # (5) no input with a fee: the contract underflows, curvesim floors its fee and pays 0
    dust = _case([10**24, 10**24], 0, fee=4_000_000)
    assert assert_agrees(dust, overflow_possible=False) == (
        "dust: the contract reverts, curvesim returns 0"
    )
    # (2) dx * rate past 2**256: the contract reverts, curvesim pays out nearly all of coin j
    huge = _case([10**24, 10**24], 2**250)
    with pytest.raises(errors.AmmRevertError, match="overflow"):
        kernel(huge)
    paid = cs.exchange(cs.pool(huge["balances"], huge["amp"], 0, None), 0, 1, 2**250)
    assert 10**24 - 10**6 < paid < 10**24


def test_amp_must_be_whole_for_curvesim() -> None:
    """(1): the harness refuses what curvesim cannot express instead of rounding A."""
    with pytest.raises(ValueError, match="whole A"):
        cs.pool([10**24, 10**24], 150, 0, None)
