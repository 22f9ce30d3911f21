"""Curve StableSwap get_dy: the kernel against the pure-Python template (tests/reference), and
the invariant's properties, checked on both the kernel and the reference (a property the
reference breaks would be the template's, not the kernel's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import event, given, reject
from hypothesis import strategies as st

from tests.reference import Revert
from tests.reference import stableswap as ref
from zippifi import amm, errors

E18 = 10**18
A_PRECISION = ref.A_PRECISION

# ---------------------------------------------------------------- generators


def sized(lo_bits: int, hi_bits: int) -> st.SearchStrategy[int]:
    """Integers of every binary magnitude in [2**lo_bits, 2**hi_bits)."""
    return st.integers(lo_bits, hi_bits - 1).flatmap(lambda b: st.integers(2**b, 2 ** (b + 1) - 1))


n_coins = st.integers(2, 8)
# A from 1 to 1e6 (Curve's MAX_A) times A_PRECISION, and raw amp values that are not multiples
amps = st.one_of(
    st.sampled_from([1, 10, 100, 200, 2000, 5000, 10**6]).map(lambda a: a * A_PRECISION),
    st.integers(1, 10**6 * A_PRECISION),
)
# the fee on the 1e10 scale: 0, 3pool's 4 bps, Curve's 50% MAX_FEE, and anything below 100%
fees = st.one_of(st.sampled_from([0, 1, 4_000_000, 5 * 10**9]), st.integers(0, 10**10 - 1))
# balances up to ~1e30 in 18-decimal units (a trillion tokens)
balances_18 = st.one_of(sized(0, 100), st.integers(E18, 10**30))
# rates: 18 decimals (1e18), 6 (1e30), 8 (1e28), or a lending token's growing rate
rates_strategy = st.one_of(
    st.sampled_from([E18, 10**30, 10**28]),
    st.integers(E18, 2 * E18),
    st.integers(1, 10**36),
)
dxs = st.one_of(sized(0, 100), st.integers(0, 10**30), st.just(0))


@st.composite
def pools(draw: st.DrawFn, lopsided: bool = True) -> dict[str, Any]:
    """Random pools: balances either independent (often lopsided, which can revert: overflow,
    no convergence) or within a factor of ~1e3 of each other, as live pools are."""
    n = draw(n_coins)
    if lopsided and draw(st.booleans()):
        balances = draw(st.lists(balances_18, min_size=n, max_size=n))
    else:
        base = draw(st.integers(10**15, 10**27))
        balances = [base * draw(st.integers(1000, 10**6)) // 1000 for _ in range(n)]
    rates = draw(st.one_of(st.none(), st.lists(rates_strategy, min_size=n, max_size=n)))
    if rates is not None and not lopsided:
        # keep the pool balanced in value: a coin's balance scales against its rate
        balances = [b * E18 // r if r else b for b, r in zip(balances, rates, strict=True)]
        balances = [max(b, 1) for b in balances]
    i, j = draw(st.permutations(range(n)))[:2]
    return {
        "i": i,
        "j": j,
        "balances": balances,
        "amp": draw(amps),
        "fee": draw(fees),
        "rates": rates,
    }


# ---------------------------------------------------------------- equality with the reference


def _kernel(p: dict[str, Any], dx: int, **over: Any) -> int:
    q = {**p, **over}
    return amm.stable_get_dy(q["i"], q["j"], dx, q["balances"], q["amp"], q["fee"], q["rates"])


def _reference(p: dict[str, Any], dx: int, **over: Any) -> int:
    q = {**p, **over}
    return ref.get_dy(q["i"], q["j"], dx, q["balances"], q["amp"], q["fee"], q["rates"])


def _assert_same(p: dict[str, Any], dx: int) -> None:
    try:
        want = _reference(p, dx)
    except Revert as exc:
        event(f"reverts: {exc.reason}")
        with pytest.raises(errors.AmmRevertError):
            _kernel(p, dx)
        return
    except ValueError:
        with pytest.raises(errors.InvalidAmmInputError):
            _kernel(p, dx)
        return
    event("quotes")
    assert _kernel(p, dx) == want


@given(pools(), dxs)
def test_get_dy_equals_the_reference(pool: dict[str, Any], dx: int) -> None:
    """Any pool and trade: the same dy, or AmmRevertError exactly where Vyper reverts."""
    _assert_same(pool, dx)


@given(pools(lopsided=False), st.integers(1, 10**30))
def test_get_dy_equals_the_reference_live_pools(pool: dict[str, Any], dx: int) -> None:
    _assert_same(pool, dx)


def test_get_dy_3pool_like() -> None:
    """DAI/USDC/USDT: 18, 6 and 6 decimals, A = 2000, 4 bps."""
    balances = [170_000_000 * E18, 180_000_000 * 10**6, 90_000_000 * 10**6]
    rates = [E18, 10**30, 10**30]
    args = (balances, 2000 * A_PRECISION, 4_000_000, rates)
    for i, j, dx in [(0, 1, 1000 * E18), (1, 2, 10**12), (2, 0, 5 * 10**6), (0, 2, 10**26)]:
        want = ref.get_dy(i, j, dx, *args)
        assert amm.stable_get_dy(i, j, dx, *args) == want
        assert amm.stable_get_dy(i, j, dx, args[0], args[1], args[2], rates=args[3]) == want


def test_default_rates_are_1e18() -> None:
    b = [10**24, 2 * 10**24, 3 * 10**24]
    assert amm.stable_get_dy(0, 2, E18, b, 10**5, 10**6) == amm.stable_get_dy(
        0, 2, E18, b, 10**5, 10**6, [E18] * 3
    )


# ---------------------------------------------------------------- properties (kernel and reference)

IMPLEMENTATIONS: list[tuple[str, Callable[..., int]]] = [
    ("kernel", amm.stable_get_dy),
    ("reference", ref.get_dy),
]
implementations = pytest.mark.parametrize(
    "get_dy", [f for _, f in IMPLEMENTATIONS], ids=[name for name, _ in IMPLEMENTATIONS]
)


def _try(fn: Callable[[], int]) -> int:
    try:
        return fn()
    except ValueError:  # Revert, AmmRevertError, InvalidAmmInputError: not this property's case
        reject()


@implementations
@given(pools(lopsided=False), st.integers(1, 10**28))
def test_trade_never_lowers_D(get_dy: Callable[..., int], pool: dict[str, Any], dx: int) -> None:
    """Without the fee, balances after the trade have a D no lower than before, up to the
    rounding of D itself (the template's "- 1" and floors favour the pool)."""
    i, j, balances, amp, rates = (pool[k] for k in ("i", "j", "balances", "amp", "rates"))
    rates = rates or [E18] * len(balances)
    dy = _try(lambda: get_dy(i, j, dx, balances, amp, 0, rates))
    after = list(balances)
    after[i] += dx
    after[j] -= dy
    try:
        d_before = ref.get_D(ref.xp_of(balances, rates), amp)
        d_after = ref.get_D(ref.xp_of(after, rates), amp)
    except Revert:
        reject()
    assert d_after >= d_before - 2 - d_before // 10**15, (d_before, d_after)


@implementations
@given(pools(lopsided=False), st.integers(0, 10**28), st.integers(0, 10**28))
def test_more_in_never_gives_less_out(
    get_dy: Callable[..., int], pool: dict[str, Any], dx1: int, dx2: int
) -> None:
    lo, hi = sorted((dx1, dx2))
    args = (pool["balances"], pool["amp"], pool["fee"], pool["rates"])
    out_lo = _try(lambda: get_dy(pool["i"], pool["j"], lo, *args))
    out_hi = _try(lambda: get_dy(pool["i"], pool["j"], hi, *args))
    assert out_lo <= out_hi


@implementations
@given(pools(lopsided=False), st.integers(0, 10**20), st.integers(1, 10**6))
def test_one_more_wei_never_gives_less_out(
    get_dy: Callable[..., int], pool: dict[str, Any], dx: int, extra: int
) -> None:
    """Monotonic at the finest grain too, where Newton's stopping rule could wobble."""
    args = (pool["balances"], pool["amp"], pool["fee"], pool["rates"])
    a = _try(lambda: get_dy(pool["i"], pool["j"], dx, *args))
    b = _try(lambda: get_dy(pool["i"], pool["j"], dx + extra, *args))
    assert a <= b


@implementations
@given(
    n_coins,
    st.integers(10**15, 10**30),
    amps,
    fees,
    st.one_of(st.none(), rates_strategy),
    st.integers(1, 10**30),
    st.data(),
)
def test_symmetric_pool_is_symmetric(
    get_dy: Callable[..., int],
    n: int,
    balance: int,
    amp: int,
    fee: int,
    rate: int | None,
    dx: int,
    data: st.DataObject,
) -> None:
    i, j = data.draw(st.permutations(range(n)))[:2]
    rates = None if rate is None else [rate] * n
    forward = _try(lambda: get_dy(i, j, dx, [balance] * n, amp, fee, rates))
    backward = _try(lambda: get_dy(j, i, dx, [balance] * n, amp, fee, rates))
    assert forward == backward


# ---------------------------------------------------------------- bad input and reverts

GOOD = {"i": 0, "j": 1, "dx": E18, "balances": [10**24, 10**24], "amp": 100 * A_PRECISION, "fee": 0}


@pytest.mark.parametrize(
    "change",
    [
        {"j": 0},  # i == j
        {"i": 2},  # out of range
        {"j": 2},
        {"i": -1},
        {"j": 8, "balances": [10**24] * 8},
        {"dx": -1},
        {"dx": 2**256},
        {"balances": []},
        {"balances": [10**24]},
        {"balances": [10**24] * 9},
        {"balances": [10**24, -1]},
        {"rates": [E18]},  # one rate for two coins
        {"rates": [E18, 0]},  # a zero rate
        {"fee": -1},
        {"amp": -1},
    ],
)
def test_bad_input_is_invalid_amm_input(change: dict[str, Any]) -> None:
    a = {**GOOD, "rates": None, **change}
    args = (a["i"], a["j"], a["dx"], a["balances"], a["amp"], a["fee"], a["rates"])
    with pytest.raises(ValueError):  # noqa: PT011 (the reference's messages vary)
        ref.get_dy(*args)
    with pytest.raises(errors.InvalidAmmInputError):
        amm.stable_get_dy(*args)


@pytest.mark.parametrize("change", [{"fee": 10**10}, {"fee": 2 * 10**10}, {"amp": 0}])
def test_out_of_domain_raises_a_zippifi_error(change: dict[str, Any]) -> None:
    """A 100% fee or A = 0 is either rejected up front or reverts; never a generic error."""
    a = {**GOOD, **change}
    with pytest.raises((errors.InvalidAmmInputError, errors.AmmRevertError)):
        amm.stable_get_dy(a["i"], a["j"], a["dx"], a["balances"], a["amp"], a["fee"])


@pytest.mark.parametrize(
    ("balances", "dx", "amp", "why"),
    [
        ([10**24, 0], E18, 100 * A_PRECISION, "an empty coin: get_D divides by zero"),
        ([1, 10**30], 1, A_PRECISION, "D_P overflows uint256"),
        ([10**24, 10**24], 2**250, 100 * A_PRECISION, "dx * rate overflows"),
        (
            [120_825_691_700_748_875_742, 10**18, 1_263_505_012_695_777_278],
            1,
            A_PRECISION,
            "get_D cycles and never converges",
        ),
    ],
)
def test_reverts_where_the_template_reverts(
    balances: list[int], dx: int, amp: int, why: str
) -> None:
    j = len(balances) - 1
    with pytest.raises(Revert):
        ref.get_dy(0, j, dx, balances, amp, 0)
    with pytest.raises(errors.AmmRevertError):
        amm.stable_get_dy(0, j, dx, balances, amp, 0)


def test_errors_are_value_errors() -> None:
    assert issubclass(errors.InvalidAmmInputError, ValueError)
    assert issubclass(errors.AmmRevertError, errors.ZippiError)
