"""zippifi.amm's Uniswap V2 quotes against the real contracts, wei for wei.

On a local EVM (``tests/uniswap``): the ``@uniswap/v2-core`` factory's pair and the
``@uniswap/v2-periphery`` Router02 (UniswapV2Library's getAmountOut/getAmountIn as deployed).
For random reserves up to 2**112 - 1 (the pair's uint112), with the pair's 30 bps fee:

* ``v2_amount_out`` equals the library and is exactly the largest output the pair pays for that
  input: it accepts ``out`` and refuses ``out + 1`` ("UniswapV2: K");
* ``v2_amount_in`` equals the library and is (but for one documented case) the least input for
  which the pair pays that output;
* wherever the library or the pair reverts (zero amounts or liquidity, output >= reserve,
  overflow) the kernel raises AmmRevertError;
* the batch equals the singles.

CI runs a few hundred cases; ``ZIPPIFI_LONG_TESTS=1`` ten times more. The seed is printed and
named in failures; ``ZIPPIFI_TEST_SEED=<n>`` replays a run.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from types import ModuleType

import pytest

from tests.uniswap.artifacts import HarnessUnavailableError
from tests.uniswap.chain import Reverted, open_chain
from tests.uniswap.v2 import MAX_RESERVE, V2Deployment

LONG = os.environ.get("ZIPPIFI_LONG_TESTS") == "1"
SEED = int(os.environ.get("ZIPPIFI_TEST_SEED") or random.SystemRandom().randrange(2**32))
N_RESERVES = 400 if LONG else 36
AMOUNTS_PER_RESERVES = 4
UINT256_MAX = 2**256 - 1
K = "UniswapV2: K"
LIQUIDITY = "UniswapV2: INSUFFICIENT_LIQUIDITY"


def _rng(salt: str) -> random.Random:
    return random.Random(f"{SEED}:{salt}")


@pytest.fixture(scope="module")
def v2() -> V2Deployment:
    try:
        return V2Deployment(open_chain())
    except HarnessUnavailableError as exc:
        pytest.skip(f"Uniswap V2 harness unavailable: {exc}")


@pytest.fixture(scope="module")
def amm() -> ModuleType:
    try:
        from zippifi import amm as kernel
    except ImportError as exc:
        pytest.skip(f"zippifi.amm cannot be imported: {exc}")
    return kernel


@pytest.fixture(scope="module")
def errors() -> ModuleType:
    from zippifi import errors as errs

    return errs


def _log_uniform(rng: random.Random, lo: int, hi: int) -> int:
    """An int in [lo, hi] whose bit length is uniform: every magnitude gets its share."""
    if hi <= lo:
        return lo
    bits = rng.randint(max(lo, 1).bit_length(), hi.bit_length())
    value = rng.getrandbits(bits) | (1 << (bits - 1))
    return min(max(value, lo), hi)


def _reserve(rng: random.Random) -> int:
    return rng.choice(
        [
            rng.choice([1, 2, 3, 1000, 10**6, MAX_RESERVE, MAX_RESERVE - 1, 2**111]),
            _log_uniform(rng, 1, MAX_RESERVE),
            _log_uniform(rng, 1, MAX_RESERVE),
            rng.randint(1, MAX_RESERVE),
        ]
    )


def _reserve_pairs(rng: random.Random, n: int) -> list[tuple[int, int]]:
    fixed = [(1, 1), (MAX_RESERVE, MAX_RESERVE), (1, MAX_RESERVE), (MAX_RESERVE, 1), (1000, 1000)]
    return (fixed + [(_reserve(rng), _reserve(rng)) for _ in range(n)])[:n]


def _amounts_in(rng: random.Random, reserve_in: int) -> list[int]:
    """Inputs the pair can hold (reserve_in + amount <= 2**112 - 1), from 1 wei to the most."""
    room = MAX_RESERVE - reserve_in
    if room < 1:
        return []
    picks = [
        1,
        rng.randint(1, min(room, 1000)),
        _log_uniform(rng, 1, room),
        _log_uniform(rng, 1, room),
        min(room, max(1, reserve_in // rng.choice([1, 3, 1000, 10**9]))),
        room,
    ]
    rng.shuffle(picks)
    return picks[:AMOUNTS_PER_RESERVES]


def _library_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """UniswapV2Library.getAmountOut's formula (for the harness self-test only)."""
    with_fee = amount_in * 997
    return with_fee * reserve_out // (reserve_in * 1000 + with_fee)


# ----------------------------------------------------------------------------------------------
# the harness on its own (no kernel)


def test_harness_pair_pays_exactly_the_library_quote(v2: V2Deployment) -> None:
    """The deployed library quotes the textbook formula and the real pair pays exactly that
    much and not one wei more: the harness drives the pair and the router correctly."""
    rng = _rng("harness")
    for r0, r1 in [(10**18, 2 * 10**21), (1000, 1000), (MAX_RESERVE, 12345), (7, MAX_RESERVE)]:
        v2.set_reserves(r0, r1)
        assert v2.reserves() == (r0, r1)
        for zero_for_one in (True, False):
            rin, rout = (r0, r1) if zero_for_one else (r1, r0)
            for a in _amounts_in(rng, rin):
                out = _library_out(a, rin, rout)
                assert v2.router_amount_out(a, rin, rout) == out
                if out > 0:
                    assert v2.pair_swap_error(zero_for_one, a, out) is None
                assert v2.pair_swap_error(zero_for_one, a, out + 1) in (K, LIQUIDITY)
    v2.set_reserves(5, 5)
    assert v2.pair_swap_error(True, 10**6, 5) == LIQUIDITY  # never the whole reserve
    assert v2.pair_swap_error(True, 0, 1) == "UniswapV2: INSUFFICIENT_INPUT_AMOUNT"
    assert v2.pair_swap_error(True, MAX_RESERVE, 1) == "UniswapV2: OVERFLOW"
    with pytest.raises(Reverted, match="INSUFFICIENT_INPUT_AMOUNT"):
        v2.router_amount_out(0, 5, 5)


# ----------------------------------------------------------------------------------------------
# the kernel against the chain


def test_amount_out_is_the_most_the_pair_pays(amm: ModuleType, v2: V2Deployment) -> None:
    print(f"seed={SEED} (replay with ZIPPIFI_TEST_SEED={SEED})")
    rng = _rng("amount-out")
    counts: Counter[str] = Counter()
    for r0, r1 in _reserve_pairs(rng, N_RESERVES):
        v2.set_reserves(r0, r1)
        for zero_for_one in (True, False):
            rin, rout = (r0, r1) if zero_for_one else (r1, r0)
            for a in _amounts_in(rng, rin):
                case = f"seed={SEED} v2_amount_out({a}, {rin}, {rout})"
                out = amm.v2_amount_out(a, rin, rout)
                assert out == v2.router_amount_out(a, rin, rout), f"{case}: library differs"
                assert amm.v2_amount_out(a, rin, rout, fee_bps=30) == out
                if out > 0:
                    assert v2.pair_swap_error(zero_for_one, a, out) is None, f"{case}: pair refuses"
                more = v2.pair_swap_error(zero_for_one, a, out + 1)
                assert more == (LIQUIDITY if out + 1 >= rout else K), f"{case}: pair pays out+1"
                counts["cases"] += 1
                counts["zero_out" if out == 0 else "positive_out"] += 1
                counts["max_reserve" if MAX_RESERVE in (rin, rout, rin + a) else "other"] += 1
    print(f"amount_out coverage: {dict(counts)}")
    assert counts["cases"] >= N_RESERVES * 4
    assert counts["zero_out"] >= 1
    assert counts["max_reserve"] >= 5


def test_amount_in_is_the_least_the_pair_takes(amm: ModuleType, v2: V2Deployment) -> None:
    """v2_amount_in = getAmountIn = floor(1000*rin*out / (997*(rout-out))) + 1: the least input
    the pair accepts, except when that division is exact, where the library (and so the kernel)
    asks one wei more than the pair needs; both cases are checked against the pair."""
    print(f"seed={SEED} (replay with ZIPPIFI_TEST_SEED={SEED})")
    rng = _rng("amount-in")
    counts: Counter[str] = Counter()
    pairs = _reserve_pairs(rng, N_RESERVES)
    # with 997 | reserve_in, out = reserve_out - 1 divides exactly
    pairs[-3:] = [(997 * 3, 4985), (997 * 10**6, 10**20), (997 * 2**90, 2**100 + 1)]
    for r0, r1 in pairs:
        v2.set_reserves(r0, r1)
        for zero_for_one in (True, False):
            rin, rout = (r0, r1) if zero_for_one else (r1, r0)
            if rout < 2:
                continue
            outs = [rout - 1, 1, _log_uniform(rng, 1, rout - 1), rng.randint(1, rout - 1)]
            for out in outs[:AMOUNTS_PER_RESERVES]:
                case = f"seed={SEED} v2_amount_in({out}, {rin}, {rout})"
                need = amm.v2_amount_in(out, rin, rout)
                assert need == v2.router_amount_in(out, rin, rout), f"{case}: library differs"
                assert amm.v2_amount_in(out, rin, rout, fee_bps=30) == need
                counts["cases"] += 1
                if rin + need > MAX_RESERVE:
                    counts["input_overflows_pair"] += 1  # the pair could never hold it
                    continue
                assert v2.pair_swap_error(zero_for_one, need, out) is None, f"{case}: pair refuses"
                exact = (1000 * rin * out) % (997 * (rout - out)) == 0
                if exact:
                    counts["exact_division"] += 1
                    assert v2.pair_swap_error(zero_for_one, need - 1, out) is None, case
                    least = need - 1
                else:
                    least = need
                less = v2.pair_swap_error(zero_for_one, least - 1, out)
                assert less in (K, "UniswapV2: INSUFFICIENT_INPUT_AMOUNT"), f"{case}: not least"
                counts["checked_on_pair"] += 1
    print(f"amount_in coverage: {dict(counts)}")
    assert counts["checked_on_pair"] >= N_RESERVES * 4
    assert counts["exact_division"] >= 1


def _reverts_on_chain(fn_name: str, v2: V2Deployment, *args: int) -> str | None:
    call = v2.router_amount_out if fn_name == "out" else v2.router_amount_in
    try:
        call(*args)
    except Reverted as exc:
        return exc.reason
    return None


REVERT_CASES_OUT = [
    (0, 10, 10),  # INSUFFICIENT_INPUT_AMOUNT
    (0, 0, 0),
    (1, 0, 10),  # INSUFFICIENT_LIQUIDITY
    (1, 10, 0),
    (10**18, 0, 0),
    (UINT256_MAX, 1, 1),  # ds-math-mul-overflow: amountIn * 997
    (2**256 // 997 + 1, 1, 1),
    (2**256 // 997, 1, 1),  # the largest amountIn * 997 that fits: then * reserveOut
    (2**256 // 997 // MAX_RESERVE, 1, MAX_RESERVE),
    (2**256 // 997 // MAX_RESERVE + 1, 1, MAX_RESERVE),
    (1, 2**256 // 1000 + 1, 1),  # reserveIn * 1000 overflows
    (1, UINT256_MAX, UINT256_MAX),
    (2**140, 2**100, 2**100),
]
REVERT_CASES_IN = [
    (0, 10, 10),  # INSUFFICIENT_OUTPUT_AMOUNT
    (1, 0, 10),  # INSUFFICIENT_LIQUIDITY
    (1, 10, 0),
    (10, 10, 10),  # out == reserveOut: division by zero (the pair: INSUFFICIENT_LIQUIDITY)
    (11, 10, 10),  # out > reserveOut: ds-math-sub-underflow
    (MAX_RESERVE, 1, MAX_RESERVE),
    (MAX_RESERVE - 1, MAX_RESERVE, MAX_RESERVE),
    (2**100, 2**200, 2**101),  # reserveIn * amountOut * 1000 overflows
    (2**60, 2**187, 2**61),
    (1, UINT256_MAX, UINT256_MAX),
    (UINT256_MAX - 1, 1, UINT256_MAX),  # (reserveOut - out) * 997 fits, numerator does not
]


@pytest.mark.parametrize(
    ("fn", "args"), [("out", c) for c in REVERT_CASES_OUT] + [("in", c) for c in REVERT_CASES_IN]
)
def test_reverts_where_the_library_reverts(
    amm: ModuleType, errors: ModuleType, v2: V2Deployment, fn: str, args: tuple[int, int, int]
) -> None:
    kernel = amm.v2_amount_out if fn == "out" else amm.v2_amount_in
    reason = _reverts_on_chain(fn, v2, *args)
    if reason is None:
        expected = (v2.router_amount_out if fn == "out" else v2.router_amount_in)(*args)
        assert kernel(*args) == expected
    else:
        with pytest.raises(errors.AmmRevertError) as raised:
            kernel(*args)
        if not reason.startswith("Invalid opcode"):  # a reason string: the kernel names it
            assert reason in str(raised.value)


def test_reverts_where_the_pair_reverts(
    amm: ModuleType, errors: ModuleType, v2: V2Deployment
) -> None:
    """No output of the whole reserve or more, none from an empty pair, none for no input."""
    v2.set_reserves(10**18, 5 * 10**17)
    rin, rout = 10**18, 5 * 10**17
    for out in (rout, rout + 1):
        assert v2.pair_swap_error(True, 10**40, out) == LIQUIDITY
        with pytest.raises(errors.AmmRevertError):
            amm.v2_amount_in(out, rin, rout)
    assert v2.pair_swap_error(True, 0, 1) == "UniswapV2: INSUFFICIENT_INPUT_AMOUNT"
    with pytest.raises(errors.AmmRevertError):
        amm.v2_amount_out(0, rin, rout)
    v2.set_reserves(0, 10**18)
    assert v2.pair_swap_error(False, 10**18, 1) == LIQUIDITY
    with pytest.raises(errors.AmmRevertError):
        amm.v2_amount_out(10**18, 10**18, 0)
    with pytest.raises(errors.AmmRevertError):
        amm.v2_amount_in(1, 10**18, 0)


def test_batch_equals_singles(amm: ModuleType, v2: V2Deployment) -> None:
    rng = _rng("batch")
    for size in (1, 2, 7, 64, 300):
        reserves = [(_reserve(rng), _reserve(rng)) for _ in range(size)]
        amounts = [_log_uniform(rng, 1, 2**120) for _ in range(size)]
        rins = [r[0] for r in reserves]
        routs = [r[1] for r in reserves]
        singles = [
            amm.v2_amount_out(a, ri, ro) for a, ri, ro in zip(amounts, rins, routs, strict=True)
        ]
        assert amm.v2_amount_out_many(amounts, rins, routs) == singles
        assert amm.v2_amount_out_many(tuple(amounts), rins, routs, fee_bps=30) == singles
        # a scalar stands for the same value in every row
        rin, rout = reserves[0]
        assert amm.v2_amount_out_many(amounts, rin, rout) == [
            amm.v2_amount_out(a, rin, rout) for a in amounts
        ]
        assert amm.v2_amount_out_many(amounts[0], rins, rout) == [
            amm.v2_amount_out(amounts[0], ri, rout) for ri in rins
        ]
        # and some rows against the library on-chain
        for i in rng.sample(range(size), min(size, 3)):
            assert singles[i] == v2.router_amount_out(amounts[i], rins[i], routs[i])
