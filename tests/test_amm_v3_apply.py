"""V3Pool.apply takes only a result of this pool's swap in its current state.

A swap result says where the pool goes; applied to another pool, or to this pool after it moved,
it would put that pool somewhere no swap leads (a stale price with the current liquidity, or
another pool's liquidity at its own price) and every later quote would be wrong. So a result
carries the pool and the state it came from, and ``apply`` refuses any other one with
:class:`~zippifi.errors.SwapResultMismatchError`, changing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zippifi import amm, errors

POOL: dict[str, Any] = {
    "sqrt_price_x96": 2**96,
    "tick": 0,
    "liquidity": 10**18,
    "fee": 3000,
    "tick_spacing": 60,
    "ticks": {-60: 10**18 - 5, 60: -(10**18 - 5)},
}


def _state(pool: amm.V3Pool) -> tuple[int, int, int]:
    return pool.sqrt_price_x96, pool.tick, pool.liquidity


def _refused(pool: amm.V3Pool, result: amm.V3SwapResult, why: str) -> None:
    before = _state(pool)
    with pytest.raises(errors.SwapResultMismatchError, match=why):
        pool.apply(result)
    assert _state(pool) == before


def test_stale_result_after_another_swap_is_refused() -> None:
    """Two quotes from one state, both applied: the second would move the pool back to where a
    swap from the first state ends, with that swap's liquidity (5 at MIN_TICK here, after a
    drain, and the next quote would pay out from liquidity that is not there)."""
    pool = amm.V3Pool(**POOL)
    drain = pool.swap(True, 10**20)
    small = pool.swap(True, 10**15)
    pool.apply(drain)
    assert _state(pool) == (drain.sqrt_price_x96, drain.tick, drain.liquidity)
    _refused(pool, small, "stale")
    # a fresh quote from the new state still applies
    back = pool.swap(False, 10**15)
    pool.apply(back)
    assert _state(pool) == (back.sqrt_price_x96, back.tick, back.liquidity)


def test_the_same_result_twice_is_refused() -> None:
    pool = amm.V3Pool(**POOL)
    r = pool.swap(False, 10**16)
    pool.apply(r)
    _refused(pool, r, "stale")


def test_result_from_another_pool_is_refused() -> None:
    """Even from a pool built from the very same state: it is another pool, which may move
    independently of this one."""
    pool, twin = amm.V3Pool(**POOL), amm.V3Pool(**POOL)
    other = amm.V3Pool(**{**POOL, "fee": 500})
    _refused(pool, other.swap(True, 10**15), "another pool")
    _refused(pool, twin.swap(True, 10**15), "another pool")
    # the refusals changed nothing: the pool's own result still applies
    own = pool.swap(True, 10**15)
    pool.apply(own)
    assert _state(pool) == (own.sqrt_price_x96, own.tick, own.liquidity)


def test_mismatch_is_an_amm_input_error() -> None:
    """Callers that already catch bad AMM input catch this too."""
    assert issubclass(errors.SwapResultMismatchError, errors.InvalidAmmInputError)
    assert issubclass(errors.SwapResultMismatchError, ValueError)


# ---------------------------------------------------------------- any sequence of swaps and applies


@dataclass(frozen=True)
class _Quote:
    pool: int
    version: int  # how many results the pool had applied when it quoted
    result: amm.V3SwapResult


operations = st.lists(
    st.one_of(
        # ("swap", pool, zero_for_one, amount): quote and keep the result
        st.tuples(
            st.just("swap"),
            st.integers(0, 1),
            st.booleans(),
            st.integers(1, 10**16) | st.integers(-(10**15), -1),
        ),
        # ("apply", pool, k): apply the k-th kept result (mod how many there are)
        st.tuples(st.just("apply"), st.integers(0, 1), st.integers(0, 50)),
    ),
    max_size=30,
)


@given(operations)
def test_apply_accepts_exactly_the_current_states_results(ops: list[tuple[Any, ...]]) -> None:
    """Against a model: a result applies iff it came from this pool at the number of applies
    it has now; applied, the pool is at the result's state; refused, the pool is unchanged."""
    pools = [amm.V3Pool(**POOL), amm.V3Pool(**{**POOL, "fee": 500})]
    versions = [0, 0]
    kept: list[_Quote] = []
    for op in ops:
        if op[0] == "swap":
            _, p, zero_for_one, amount = op
            try:
                result = pools[p].swap(zero_for_one, amount)
            except errors.AmmRevertError:  # the price limit reached: nothing to keep
                continue
            kept.append(_Quote(p, versions[p], result))
        elif kept:
            _, p, k = op
            quote = kept[k % len(kept)]
            if quote.pool == p and quote.version == versions[p]:
                pools[p].apply(quote.result)
                versions[p] += 1
                r = quote.result
                assert _state(pools[p]) == (r.sqrt_price_x96, r.tick, r.liquidity)
            else:
                _refused(pools[p], quote.result, "another pool" if quote.pool != p else "stale")
