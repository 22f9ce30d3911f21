"""Fee arithmetic, replacement bumps, ceilings and backoff: properties, and the base-fee
formula checked against the blocks a hardhat node and py-evm actually produce."""

from __future__ import annotations

import random

import pytest
from eth_abi.abi import encode
from hypothesis import given
from hypothesis import strategies as st

from zippifi.chain import (
    URGENCY_PERCENTILE,
    Backoff,
    Eip1559Fees,
    FeeCeiling,
    FeeHistory,
    LegacyFees,
    TxRequest,
    bump,
    decode_revert,
    is_valid_replacement,
    next_base_fee,
    priority_fee_from_history,
    suggest_eip1559,
    with_margin,
)
from zippifi.errors import FeeCeilingError, InvalidInputError
from zippifi.sign import Signer
from zippifi.store import MemoryLockManager, Store

from .conftest import DevChain
from .helpers import account

WEI = st.integers(min_value=0, max_value=10**30)
PERCENTILES = sorted(set(URGENCY_PERCENTILE.values()))


@st.composite
def eip1559_fees(draw: st.DrawFn) -> Eip1559Fees:
    tip = draw(WEI)
    return Eip1559Fees(tip + draw(WEI), tip)


@given(eip1559_fees(), st.integers(min_value=10, max_value=300))
def test_bump_satisfies_the_replacement_rule(old: Eip1559Fees, percent: int) -> None:
    new = bump(old, percent=percent)
    assert isinstance(new, Eip1559Fees)
    assert is_valid_replacement(old, new, percent)
    assert new.max_fee_per_gas > old.max_fee_per_gas
    assert new.max_priority_fee_per_gas > old.max_priority_fee_per_gas
    # minimal: one wei less on the max fee would break the rule (or the +1 floor)
    shy = Eip1559Fees(new.max_fee_per_gas - 1, min(new.max_priority_fee_per_gas,
                                                    new.max_fee_per_gas - 1))  # fmt: skip
    assert not is_valid_replacement(old, shy, percent) or new.max_fee_per_gas == (
        old.max_fee_per_gas + 1
    )


@given(eip1559_fees(), eip1559_fees())
def test_bump_never_offers_less_than_the_network_asks(old: Eip1559Fees, now: Eip1559Fees) -> None:
    new = bump(old, current=now)
    assert isinstance(new, Eip1559Fees)
    assert new.max_fee_per_gas >= now.max_fee_per_gas
    assert new.max_priority_fee_per_gas >= now.max_priority_fee_per_gas
    assert is_valid_replacement(old, new)


@given(st.integers(min_value=0, max_value=10**30))
def test_legacy_bump(price: int) -> None:
    new = bump(LegacyFees(price))
    assert new.max_price * 100 >= price * 110
    assert new.max_price > price


def test_bump_refuses_below_ten_percent_and_above_the_ceiling() -> None:
    with pytest.raises(InvalidInputError, match="10%"):
        bump(Eip1559Fees(100, 10), percent=9)
    with pytest.raises(FeeCeilingError, match="max_fee_per_gas"):
        bump(Eip1559Fees(100, 10), ceiling=FeeCeiling(max_fee_per_gas=105))


@given(
    st.integers(min_value=7, max_value=10**15),
    st.lists(st.tuples(st.floats(0.01, 1.0), st.lists(WEI, min_size=4, max_size=4)),
             min_size=1, max_size=20),
    st.sampled_from(sorted(URGENCY_PERCENTILE)),
)  # fmt: skip
def test_suggested_fees_follow_the_history(
    base: int, blocks: list[tuple[float, list[int]]], urgency: str
) -> None:
    rewards = tuple(tuple(sorted(r)) for _, r in blocks)
    history = FeeHistory(0, (base,) * (len(blocks) + 1), tuple(g for g, _ in blocks), rewards)
    fees = suggest_eip1559(history, urgency, percentiles=PERCENTILES)  # type: ignore[arg-type]
    column = PERCENTILES.index(URGENCY_PERCENTILE[urgency])
    samples = sorted(r[column] for r in rewards)
    assert samples[0] <= fees.max_priority_fee_per_gas <= samples[-1]
    assert fees.max_fee_per_gas >= base + fees.max_priority_fee_per_gas
    capped = suggest_eip1559(history, urgency, percentiles=PERCENTILES,  # type: ignore[arg-type]
                             ceiling=FeeCeiling(base, 1))  # fmt: skip
    assert capped.max_fee_per_gas <= base
    assert capped.max_priority_fee_per_gas <= 1
    with pytest.raises(FeeCeilingError, match="exceeds"):
        suggest_eip1559(history, urgency, percentiles=PERCENTILES,  # type: ignore[arg-type]
                        ceiling=FeeCeiling(base - 1))  # fmt: skip


def test_priority_fee_is_the_median_of_busy_blocks() -> None:
    history = FeeHistory(0, (1, 1, 1, 1, 1), (0.5, 0.0, 0.5, 0.5), ((5,), (1000,), (7,), (9,)))
    assert priority_fee_from_history(history, 0) == 7  # the empty block's 1000 is ignored
    assert priority_fee_from_history(FeeHistory(0, (1,), (), ()), 0, floor=3) == 3


@given(st.integers(0, 10**8), st.integers(0, 500), st.integers(0, 10**8))
def test_margin(estimate: int, percent: int, cap: int) -> None:
    limit = with_margin(estimate, percent)
    assert limit * 100 >= estimate * (100 + percent) > (limit - 1) * 100 or estimate == 0
    assert with_margin(estimate, percent, cap=cap) == min(limit, max(cap, estimate))


@given(st.floats(1e-4, 1.0), st.floats(1.0, 4.0), st.floats(1.0, 60.0), st.integers(0, 200),
       st.integers(0, 2**32))  # fmt: skip
def test_backoff_is_bounded_and_grows(
    base: float, factor: float, cap: float, attempt: int, seed: int
) -> None:
    policy = Backoff(base_s=base, factor=factor, cap_s=max(cap, base))
    delay = policy.delay(attempt, random.Random(seed))
    assert 0 <= delay <= policy.ceiling(attempt) <= policy.cap_s
    assert policy.ceiling(attempt) <= policy.ceiling(attempt + 1)


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(InvalidInputError):
        Backoff(base_s=0)
    with pytest.raises(InvalidInputError):
        Backoff(attempts=0)


def test_revert_data_is_decoded() -> None:
    error = bytes.fromhex("08c379a0") + encode(["string"], ["UniswapV2: K"])
    assert decode_revert(error) == "UniswapV2: K"
    panic = bytes.fromhex("4e487b71") + encode(["uint256"], [0x11])
    assert decode_revert(panic) == "Panic(0x11: arithmetic overflow or underflow)"
    assert decode_revert(bytes.fromhex("deadbeef")) == "custom error 0xdeadbeef"
    assert decode_revert(b"") == ""


async def test_base_fee_formula_matches_the_node(
    chain: DevChain, store: Store, locks: MemoryLockManager
) -> None:
    """Each block's base fee, as the node computed it, equals next_base_fee(parent)."""
    async with account(chain, store, locks) as acct:
        sink = Signer("0x" + "79" * 32).address
        for size in (1, 12, 0, 3):
            if size:
                await acct.submitter.submit_many([TxRequest(to=sink, value=1)] * size)
            else:
                await chain.mine()
        head = await chain.adapter.block_number()
        checked = 0
        for number in range(max(1, head - 20), head + 1):
            parent = await chain.adapter.get_block(number - 1)
            block = await chain.adapter.get_block(number)
            assert parent is not None
            assert block is not None
            assert parent.base_fee_per_gas is not None
            expected = next_base_fee(parent.base_fee_per_gas, parent.gas_used, parent.gas_limit)
            assert block.base_fee_per_gas == expected, number
            checked += 1
        assert checked >= 5
