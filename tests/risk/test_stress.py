"""Stress tests: every shocked pool state is checked through the AMM kernels directly (the
arbitrage is a trade the kernel prices, it reaches the target and one raw unit more would
cross it), and every revaluation equals the route tests' brute force (each simple path
simulated leg by leg on ``zippifi.amm``, nothing from the route kernel) on the shocked states.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.route.checks import Coverage, budget
from tests.route.generators import markets
from tests.route.market import (
    Market,
    PoolSpec,
    Sim,
    StableSpec,
    V2Spec,
    V3Spec,
    address_of,
    all_outcomes,
    best_of,
)
from zippifi import amm
from zippifi.errors import InvalidInputError, InvalidRiskInputError
from zippifi.risk import (
    PoolState,
    Scenario,
    StablePoolState,
    V2PoolState,
    V3PoolState,
    depeg,
    drained,
    price_move,
    shock,
    stress_test,
)
from zippifi.risk.shocks import STABLE_PROBE, drain, liquidity_profile, reprice
from zippifi.route import PoolGraph

GAS = PoolGraph().gas_model
factors = st.fractions(Fraction(1, 100), Fraction(100)).filter(lambda f: f != 1)
kept = st.fractions(Fraction(1, 1000), Fraction(1)).filter(lambda f: f > 0)


def state_of(spec: PoolSpec) -> PoolState:
    if isinstance(spec, V2Spec):
        return V2PoolState(spec.address, spec.token0, spec.token1, spec.reserve0, spec.reserve1,
                           spec.fee_bps)  # fmt: skip
    if isinstance(spec, V3Spec):
        return V3PoolState(spec.address, spec.token0, spec.token1, spec.sqrt_price_x96,
                           spec.tick, spec.liquidity, spec.fee, spec.tick_spacing,
                           dict(spec.ticks))  # fmt: skip
    return StablePoolState(spec.address, spec.tokens, spec.balances, spec.amp, spec.fee)


def spec_of(state: PoolState) -> PoolSpec:
    if isinstance(state, V2PoolState):
        return V2Spec(state.address, state.token0, state.token1, state.reserve0, state.reserve1,
                      state.fee_bps)  # fmt: skip
    if isinstance(state, V3PoolState):
        return V3Spec(state.address, state.token0, state.token1, state.sqrt_price_x96,
                      state.tick, state.liquidity, state.fee, state.tick_spacing,
                      tuple(sorted(state.ticks.items())))  # fmt: skip
    assert state.rates is None
    return StableSpec(state.address, state.tokens, state.balances, state.amp, state.fee)


def brute_force_value(market: Market, token: str, amount: int, quote: str) -> int:
    """The most any simple path of at most 3 pools pays, simulated on the AMM kernels."""
    if token == quote or amount == 0:
        return amount if token == quote else 0
    best = best_of(all_outcomes(market, Sim(market), token, quote, amount, 3, model=GAS))
    return 0 if best is None else best.amount_out


# --- the shocked pools, checked through the kernels -------------------------------------------


@settings(max_examples=200)
@given(
    r0=st.integers(10**3, 10**30),
    r1=st.integers(10**3, 10**30),
    fee=st.sampled_from([5, 30, 100]),
    ratio=factors,
)
def test_v2_is_arbitraged_by_a_real_swap_to_exactly_the_shocked_price(
    r0: int, r1: int, fee: int, ratio: Fraction
) -> None:
    a, b = address_of("token a"), address_of("token b")
    pool = V2PoolState(address_of("pool"), a, b, r0, r1, fee)
    new = reprice(pool, {a: ratio})
    assert isinstance(new, V2PoolState)
    sell0 = ratio < 1  # token a got cheaper: arbitrageurs sell it into the pool
    r_in, r_out = (r0, r1) if sell0 else (r1, r0)
    new_in, new_out = (new.reserve0, new.reserve1) if sell0 else (new.reserve1, new.reserve0)
    size = new_in - r_in
    assert size >= 0
    paid = amm.v2_amount_out(size, r_in, r_out, fee) if size else 0
    assert new_out == r_out - paid  # the pair's own update after the kernel's swap
    target = Fraction(r_out, r_in) * (ratio if sell0 else 1 / ratio)
    assert Fraction(new_out, new_in) >= target
    one_more = r_out - amm.v2_amount_out(size + 1, r_in, r_out, fee)
    assert Fraction(one_more, new_in + 1) < target
    # the fee stays in the pool: k grows, and the price lands near the target
    assert new.reserve0 * new.reserve1 >= r0 * r1
    if min(r0, r1) >= 10**12:
        assert float(Fraction(new_out, new_in) / target) == pytest.approx(1, rel=1e-6)


@settings(max_examples=60)
@given(market=markets(min_tokens=4, max_tokens=5, min_pools=3, max_pools=6, stable=False),
       ratio=factors, left=kept)  # fmt: skip
def test_v3_moves_to_the_shocked_sqrt_price_with_the_liquidity_its_ticks_imply(
    market: Market, ratio: Fraction, left: Fraction
) -> None:
    for spec in market.pools:
        if not isinstance(spec, V3Spec):
            continue
        pool = state_of(spec)
        assert isinstance(pool, V3PoolState)
        target = math.isqrt(spec.sqrt_price_x96**2 * ratio.numerator // ratio.denominator)
        if not amm.MIN_SQRT_RATIO < target < amm.MAX_SQRT_RATIO:
            with pytest.raises(InvalidRiskInputError, match="outside the range"):
                reprice(pool, {spec.token0: ratio})
            continue
        new = reprice(pool, {spec.token0: ratio})
        assert isinstance(new, V3PoolState)
        assert new.sqrt_price_x96 == target
        assert new.ticks == pool.ticks
        at = amm.get_tick_at_sqrt_ratio(target)
        on_boundary = amm.get_sqrt_ratio_at_tick(at) == target
        assert new.tick == at or (
            on_boundary and new.tick == at - 1 and target < pool.sqrt_price_x96
        )
        assert new.liquidity == sum(n for t, n in spec.ticks if t <= new.tick)

        # a drain keeps the floored fraction of every range's liquidity
        ticks, ranges, current = liquidity_profile(pool)
        drained_pool = drain(pool, left)
        assert isinstance(drained_pool, V3PoolState)
        new_ticks, new_ranges, new_current = liquidity_profile(drained_pool)
        assert (new_ticks, new_current) == (ticks, current)
        assert new_ranges == [x * left.numerator // left.denominator for x in ranges]
        assert drained_pool.liquidity == new_ranges[current]


@settings(max_examples=150)
@given(
    b0=st.integers(10**15, 10**27),
    skew=st.fractions(Fraction(1, 3), Fraction(3)),
    amp=st.sampled_from([1_000, 10_000, 200_000]),
    fee=st.sampled_from([1_000_000, 4_000_000]),
    ratio=st.fractions(Fraction(1, 2), Fraction(2)).filter(lambda f: f != 1),
)
def test_stable_pool_is_arbitraged_by_a_real_swap_to_the_shocked_rate(
    b0: int, skew: Fraction, amp: int, fee: int, ratio: Fraction
) -> None:
    a, b = address_of("token a"), address_of("token b")
    balances = (b0, int(b0 * skew))
    pool = StablePoolState(address_of("pool"), (a, b), balances, amp, fee)
    new = reprice(pool, {a: ratio})
    assert isinstance(new, StablePoolState)
    i = 0 if ratio < 1 else 1
    j = 1 - i
    drop = ratio if i == 0 else 1 / ratio
    size = new.balances[i] - balances[i]
    assert size >= 0
    paid = amm.stable_get_dy(i, j, size, list(balances), amp, fee) if size else 0
    assert new.balances[j] == balances[j] - paid  # the whole fee stays in the pool
    probe = max(balances[i] // STABLE_PROBE, 1)

    def rate(bal: list[int]) -> int:
        return amm.stable_get_dy(i, j, probe, bal, amp, 0)

    start = rate(list(balances))
    assert rate(list(new.balances)) >= drop * start
    more = [balances[0], balances[1]]
    more[j] -= amm.stable_get_dy(i, j, size + 1, list(balances), amp, fee)
    more[i] += size + 1
    assert rate(more) < drop * start
    assert rate(list(new.balances)) / (drop * start) == pytest.approx(1, rel=1e-3)


def test_drains_floor_every_reserve_and_balance() -> None:
    a, b, c = (address_of(f"token {k}") for k in "abc")
    v2 = V2PoolState(address_of("v2"), a, b, 10**18 + 7, 3 * 10**9 + 9)
    assert drain(v2, Fraction(1, 10)) == V2PoolState(v2.address, a, b, 10**17, 3 * 10**8)
    s = StablePoolState(address_of("s"), (a, b, c), (19, 10**6, 10**18 + 1), 2000, 10**6)
    assert drain(s, Fraction(1, 10)).balances == (1, 10**5, 10**17)  # type: ignore[union-attr]


# --- revaluation against the brute force ------------------------------------------------------


def test_stressed_values_equal_the_brute_force_on_the_shocked_pools() -> None:
    cov = Coverage()

    @given(market=markets(min_tokens=4, max_tokens=6, min_pools=4, max_pools=8), data=st.data())
    @budget(60)
    def run(market: Market, data: st.DataObject) -> None:
        pools = [state_of(p) for p in market.pools]
        # StableSwap pools here hold only pegged tokens 0-2 (some three at a time, which cannot
        # be repriced), so price shocks hit the other tokens
        moves = data.draw(st.dictionaries(st.sampled_from(market.tokens[3:]), factors,
                                          min_size=1, max_size=2), label="moves")  # fmt: skip
        left = data.draw(st.dictionaries(st.sampled_from([p.address for p in pools]), kept,
                                         max_size=2), label="drains")  # fmt: skip
        stable = [p.address for p in pools if isinstance(p, StablePoolState)]
        if stable and data.draw(st.booleans(), label="drain a StableSwap pool"):
            left[data.draw(st.sampled_from(stable), label="stable pool")] = data.draw(kept)
        scenario = Scenario("random", prices=moves, liquidity=left)
        quote = data.draw(st.sampled_from(market.tokens), label="quote")
        others = data.draw(st.lists(st.sampled_from(market.tokens), max_size=2), label="held")
        positions = {t: data.draw(st.integers(0, 10**24), label=f"balance {t}")
                     for t in [*moves, *others]}  # fmt: skip
        try:
            [result] = stress_test(pools, positions, quote, [scenario])
        except InvalidRiskInputError as exc:  # a V3 price pushed beyond its range
            why = str(exc)
            result = None
        if result is None:
            assert "outside the range" in why
            cov["V3 price out of range"] += 1
            return
        assert result.pools == shock(pools, scenario)
        shocked = Market(market.tokens, tuple(spec_of(p) for p in result.pools), market.native)
        for token, amount in positions.items():
            before = brute_force_value(market, token, amount, quote)
            after = brute_force_value(shocked, token, amount, quote)
            assert result.before.values[token] == before
            assert result.after.values[token] == after
            assert result.pnl[token] == after - before
            routable = token == quote or amount == 0 or after > 0
            assert (token in result.after.unroutable) == (not routable)
            cov["position with a loss"] += after < before
            cov["position with a gain"] += after > before
            cov["unroutable position"] += not routable
        assert result.total_pnl == result.after.total - result.before.total
        for old, new in zip(pools, result.pools, strict=True):
            cov[f"{type(old).__name__} shocked"] += old != new

    run()
    cov.require(
        **{
            "position with a loss": 20,
            "position with a gain": 5,
            "V2PoolState shocked": 20,
            "V3PoolState shocked": 20,
            "StablePoolState shocked": 5,
        }
    )


WETH, USDC, DAI = (address_of(name) for name in ("WETH", "USDC", "DAI"))
E18, E6 = 10**18, 10**6


def book() -> list[PoolState]:
    """WETH at 3,000 dollars; USDC (6 decimals) and DAI pegged in a Curve-like pool."""
    return [
        V2PoolState(address_of("WETH/USDC"), WETH, USDC, 1_000 * E18, 3_000_000 * E6),
        StablePoolState(
            address_of("USDC/DAI"),
            (USDC, DAI),
            (5_000_000 * E6, 5_000_000 * E18),
            20_000,
            4_000_000,
            (10**30, 10**18),
        ),
        V2PoolState(address_of("WETH/DAI"), WETH, DAI, 500 * E18, 1_500_000 * E18),
    ]


def test_the_three_standard_scenarios_on_a_small_book() -> None:
    positions = {WETH: 10 * E18, USDC: 50_000 * E6, DAI: 20_000 * E18}
    pools = book()
    results = stress_test(
        pools, positions, DAI,
        [depeg(USDC, 0.90), price_move(WETH, -0.30), drained(address_of("WETH/DAI"), 0.1)],
    )  # fmt: skip
    by_name = {r.scenario.name: r for r in results}
    assert list(by_name) == [
        f"{USDC} depegs to 0.9",
        f"{WETH} moves by -30.00%",
        f"{address_of('WETH/DAI')} drained to 10%",
    ]
    dep, crash, drain_ = results
    for r in results:
        assert r.pnl[DAI] == 0  # the quote token is worth its balance
        assert r.total_pnl == sum(r.pnl.values())

    # the depeg: selling 50,000 USDC into the repriced pool now fetches about 0.9 DAI each
    per_usdc = Fraction(dep.after.values[USDC], 50_000 * E18)
    assert Fraction(88, 100) < per_usdc < Fraction(90, 100)
    assert dep.pnl[USDC] < 0

    # WETH down 30% against everything: 10 WETH fetch about 70% of what they did
    ratio = Fraction(crash.after.values[WETH], crash.before.values[WETH])
    assert Fraction(69, 100) < ratio < Fraction(71, 100)
    shocked_v2 = crash.pools[2]
    assert isinstance(shocked_v2, V2PoolState)
    spot = Fraction(shocked_v2.reserve1, shocked_v2.reserve0)
    assert float(spot / Fraction(3000)) == pytest.approx(0.7, rel=1e-9)

    # the drained WETH/DAI pool: WETH is sold whichever way pays more, through the kernels
    assert drain_.pools[2] == V2PoolState(address_of("WETH/DAI"), WETH, DAI, 50 * E18,
                                          150_000 * E18)  # fmt: skip
    direct = amm.v2_amount_out(10 * E18, 50 * E18, 150_000 * E18)
    assert drain_.after.values[WETH] >= direct
    assert drain_.pnl[WETH] <= 0


def test_a_single_pool_position_is_exactly_the_kernel_quote_on_the_shocked_reserves() -> None:
    pool = V2PoolState(address_of("WETH/DAI"), WETH, DAI, 500 * E18, 1_500_000 * E18)
    [r] = stress_test([pool], {WETH: 7 * E18}, DAI, [price_move(WETH, -0.3)])
    new = r.pools[0]
    assert isinstance(new, V2PoolState)
    assert r.before.values[WETH] == amm.v2_amount_out(7 * E18, 500 * E18, 1_500_000 * E18)
    assert r.after.values[WETH] == amm.v2_amount_out(7 * E18, new.reserve0, new.reserve1)
    assert r.pnl[WETH] == r.after.values[WETH] - r.before.values[WETH]


def test_a_position_no_pool_can_absorb_is_valued_at_zero_and_listed() -> None:
    a, b = address_of("thin a"), address_of("thin b")
    sp = amm.get_sqrt_ratio_at_tick(0)
    thin = V3PoolState(address_of("thin"), a, b, sp, 0, 10**6, 3000, 60, {-60: 10**6, 60: -(10**6)})
    [r] = stress_test([thin], {a: 10**30}, b, [drained(thin.address, 0.5)])
    assert r.before.values[a] == 0
    assert r.before.unroutable == (a,)
    assert r.after.unroutable == (a,)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: stress_test(book(), {WETH: -1}, DAI, []), "int >= 0"),
        (lambda: stress_test(book(), {WETH: 1.5}, DAI, []), "int >= 0"),  # type: ignore[dict-item]
        (lambda: stress_test(book(), {WETH: 1, WETH.lower(): 2}, DAI, []), "given twice"),
        (lambda: shock(book(), drained(address_of("nowhere"))), "not among the pools"),
        (lambda: shock(book(), depeg(address_of("nothing"))), "in no pool"),
        (lambda: drained(address_of("x"), 1.5), "(0, 1]"),
        (lambda: drained(address_of("x"), 0), "positive"),
        (lambda: depeg(USDC, float("nan")), "positive"),
        (lambda: price_move(WETH, -1), "positive"),
        (lambda: Scenario("bad", prices={"0x12": Fraction(1, 2)}), "0x12"),
        (lambda: V2PoolState(address_of("p"), WETH, DAI, -5, 1), "raw ints"),
        (lambda: StablePoolState(address_of("p"), (WETH, DAI), (1,), 100, 0), "balances"),
        (
            lambda: shock(
                [StablePoolState(address_of("3pool"), (WETH, USDC, DAI), (E18, E6, E18), 2000, 0)],
                depeg(USDC),
            ),
            "only two-token pools",
        ),
    ],
)
def test_bad_input_is_named(call: object, words: str) -> None:
    assert callable(call)
    with pytest.raises(InvalidInputError) as info:
        call()
    assert words in str(info.value)
